/*
 * body.h - a request body, collected in full before its request takes a
 * php-fpm connection.
 *
 * php-fpm gives a connection one worker process until it closes, so a body
 * that streamed to php-fpm as a slow client sends it would hold a worker
 * (and an upstream_max_conns slot) for as long as the client likes. kiln
 * does what nginx's request buffering does: the body is received first, and
 * only the complete body goes to php-fpm, at the speed of a local socket.
 * (A chunked body must be collected anyway: PHP needs CONTENT_LENGTH before
 * it reads.)
 *
 * The decoded body is kept in a spool (spool.h): memory up to
 * site->body_buffer_size, then an unnamed temporary file in site->temp_dir.
 * A Content-Length body that is already in the connection's input buffer
 * with its head (most form posts) is not copied at all: the connection
 * sends it from there (conn.c).
 */
#ifndef KILN_BODY_H
#define KILN_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "http_chunked.h"
#include "site.h"
#include "spool.h"

struct body_spool {
    uint8_t active;
    uint8_t chunked;
    struct chunked_decoder dec;
    uint64_t left;        /* Content-Length: bytes still to come */
    struct spool data;
};

/* Bound to the thread's block pool; inactive. */
void body_spool_init(struct body_spool *s, struct spool_pool *pool, const struct kiln_site *site);

/* Begin collecting a body: chunked, or of `content_length` bytes. */
void body_spool_start(struct body_spool *s, const struct kiln_site *site, int chunked,
                      uint64_t content_length);

/*
 * Feed received bytes. Sets *consumed (the body's end is found, so
 * pipelined bytes after it stay unconsumed). Returns 1 when the body is
 * complete, 0 when more is needed, or the negated HTTP status: -400
 * malformed chunked coding, -413 too large, -500 temporary file trouble
 * (logged).
 */
int body_spool_feed(struct body_spool *s, const uint8_t *in, size_t len, size_t *consumed);

/* Decoded length so far (the whole body's once complete). */
static inline uint64_t body_spool_length(const struct body_spool *s)
{
    return spool_length(&s->data);
}

/* The body bytes at offset `off` (see spool_get). */
static inline long body_spool_get(struct body_spool *s, uint64_t off, size_t max,
                                  const uint8_t **data)
{
    return spool_get(&s->data, off, max, data);
}

/* Is the byte at `off` held in the temporary file (read through the one
 * stage buffer)? */
static inline int body_spool_in_file(const struct body_spool *s, uint64_t off)
{
    return off >= s->data.mem_end;
}

/* Release memory and the temporary file. Safe to call twice. */
void body_spool_reset(struct body_spool *s);

#endif /* KILN_BODY_H */
