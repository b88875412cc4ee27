/*
 * spool.h - bytes held for one request: in memory first, in blocks from a
 * per-thread pool, then in an unnamed temporary file.
 *
 * Two uses, both to keep php-fpm's workers free of slow clients:
 *   - a request body, collected in full before a php-fpm connection is
 *     taken, then read back (from offset 0, twice if the request is sent
 *     again on a new connection);
 *   - the part of a response a slow client has not taken yet: appended at
 *     the end while php-fpm writes, read and dropped from the front as the
 *     client takes it, so the worker is free as soon as the script is done.
 *
 *        start           mem_end                end
 *          |  memory blocks  |   temporary file   |
 *          +-----------------+--------------------+
 *   dropped before start      appended at end ->
 *
 * Bounds: each spool has its own memory and file limits, and every spool of
 * every thread draws its blocks from one memory budget (buffer_memory_max):
 * past it, a spool goes to its file at once. Once a byte is in the file,
 * every later one goes there too (the order is kept); a spool emptied by
 * its reader starts over in memory. Blocks return to the thread's pool, so
 * in steady state nothing is allocated.
 */
#ifndef KILN_SPOOL_H
#define KILN_SPOOL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "outq.h"

#define SPOOL_BLOCK_SIZE (16 * 1024)

struct spool_block;

/* A thread's supply of blocks, and the budget all threads share. */
struct spool_pool {
    struct spool_block *free;
    uint32_t n_free;
    uint32_t max_free;            /* blocks kept for reuse; more are freed */
    _Atomic uint64_t *budget_used; /* bytes of blocks held by spools, all threads */
    uint64_t budget;              /* site->buffer_memory_max */
    const char *temp_dir;         /* site->temp_dir */
};

struct spool {
    struct spool_pool *pool;
    struct spool_block *head, *tail; /* the memory part, in order */
    uint64_t head_base;   /* offset of head's first byte */
    uint64_t start;       /* first byte not dropped */
    uint64_t mem_end;     /* end of the memory part; the file starts here */
    uint64_t end;         /* one past the last byte appended */
    uint64_t mem_limit;   /* most bytes in memory */
    uint64_t file_limit;  /* most bytes in the file */
    int fd;               /* the file, or -1 */
    uint8_t in_file;      /* appends go to the file */
    struct spool_block *stage; /* read-back buffer for the file part */
    uint64_t stage_off;   /* what stage holds: [stage_off, +stage_len) */
    uint32_t stage_len;
    struct spool_block *rd;    /* read cursor over the blocks */
    uint64_t rd_base;
};

void spool_pool_init(struct spool_pool *p, uint32_t max_free, _Atomic uint64_t *budget_used,
                     uint64_t budget, const char *temp_dir);
void spool_pool_destroy(struct spool_pool *p);

/* An empty spool with these limits; allocates nothing. */
void spool_init(struct spool *s, struct spool_pool *pool, uint64_t mem_limit,
                uint64_t file_limit);

/* Bytes held and not dropped. */
static inline uint64_t spool_pending(const struct spool *s)
{
    return s->end - s->start;
}

/* Total bytes appended (offset of the next one). */
static inline uint64_t spool_length(const struct spool *s)
{
    return s->end;
}

/* How many more bytes spool_append() takes, given the limits. */
uint64_t spool_room(const struct spool *s);

/* Append len bytes. Returns 0, -1 when they do not fit (spool_room()), or
 * -2 when the temporary file could not be created or written (logged). On
 * failure nothing was appended. */
int spool_append(struct spool *s, const void *data, size_t len);

/*
 * Contiguous bytes at offset `off` (start <= off <= end): points *data at
 * up to `max` of them and returns how many (0 at the end, -1 on a read
 * error, logged). Memory bytes are returned in place and stay valid until
 * dropped; file bytes come through the stage buffer, valid until the next
 * call that reads the file.
 */
long spool_get(struct spool *s, uint64_t off, size_t max, const uint8_t **data);

/* Queue up to `max` bytes from `start` into q, as long as q has room (one
 * entry per block; the file part as one entry through the stage buffer).
 * Returns the bytes queued, or -1 on a read error. */
long spool_peek(struct spool *s, struct outq *q, size_t max);

/* Drop everything before `upto` (start <= upto <= end): blocks wholly
 * before it go back to the pool. When nothing is left, the file is
 * emptied and appends go to memory again. */
void spool_drop(struct spool *s, uint64_t upto);

/* Release everything: blocks, stage and file. Safe to call twice. */
void spool_release(struct spool *s);

/* spool_release(), nearly free for a spool that never held a byte (the
 * usual case: it runs at the end of every request). */
static inline void spool_reset(struct spool *s)
{
    if (s->end != 0 || s->stage != NULL || s->fd >= 0)
        spool_release(s);
}

#endif /* KILN_SPOOL_H */
