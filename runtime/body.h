/*
 * body.h - a chunked request body, collected before the request goes
 * upstream.
 *
 * PHP needs CONTENT_LENGTH before it reads a body, and a chunked body's
 * length is known only at its end. So the decoded body is kept in memory up
 * to site->body_buffer_size and spooled to an unnamed temporary file
 * (O_TMPFILE in site->temp_dir: nothing to clean up, even after a crash)
 * beyond that. Bounded by site->max_body_size.
 */
#ifndef KILN_BODY_H
#define KILN_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "http_chunked.h"
#include "site.h"

struct body_spool {
    uint8_t active;
    struct chunked_decoder dec;
    uint8_t *mem;        /* first mem_len bytes of the body */
    size_t mem_len;
    size_t mem_cap;
    int fd;              /* the rest, from offset 0; -1 when none */
    uint64_t file_len;
    uint8_t *stage;      /* read-back buffer for the file part */
};

#define BODY_STAGE_SIZE (64 * 1024)

void body_spool_init(struct body_spool *s);

/* Begin collecting a chunked body. */
void body_spool_start(struct body_spool *s, const struct kiln_site *site);

/*
 * Feed received bytes. Sets *consumed (the decoder stops at the end of the
 * body, so pipelined bytes after it stay unconsumed). Returns 1 when the
 * body is complete, 0 when more is needed, or the negated HTTP status:
 * -400 malformed, -413 too large, -500 temporary file trouble (logged).
 */
int body_spool_feed(struct body_spool *s, const struct kiln_site *site, const uint8_t *in,
                    size_t len, size_t *consumed);

/* Total decoded length. */
uint64_t body_spool_length(const struct body_spool *s);

/*
 * The body bytes at offset `off`: points *data at up to `max` bytes and
 * returns how many (0 at the end, -1 on a read error). Memory-held bytes are
 * returned in place; file bytes through the stage buffer, which stays valid
 * until the next call.
 */
long body_spool_get(struct body_spool *s, uint64_t off, size_t max, const uint8_t **data);

/* Release memory and the temporary file. Safe to call twice. */
void body_spool_reset(struct body_spool *s);

#endif /* KILN_BODY_H */
