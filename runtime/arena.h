/*
 * arena.h - request-scoped bump allocator.
 *
 * Everything a request needs beyond its connection's input buffer (encoded
 * FastCGI params, the canonical path, the response head) comes from its
 * arena and is released at once by arena_reset() when the request ends.
 *
 * Memory comes in fixed-size chunks from a per-thread free list, so once a
 * thread has served its peak concurrency, a request allocates nothing from
 * malloc. A single allocation larger than a chunk gets a chunk of its own,
 * freed at reset (rare: huge headers). An arena is bounded: past `limit`
 * bytes arena_alloc() fails, and the caller answers with an error status,
 * so every request has a known memory ceiling.
 */
#ifndef KILN_ARENA_H
#define KILN_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define ARENA_CHUNK_SIZE (16 * 1024)

struct arena_chunk;

/* Per-thread supply of standard chunks. */
struct arena_pool {
    struct arena_chunk *free;
    uint32_t n_free;
    uint32_t max_free; /* chunks kept for reuse; more are freed */
};

struct arena {
    struct arena_pool *pool;
    struct arena_chunk *chunks; /* newest first */
    size_t total;               /* bytes of chunks held */
    size_t limit;
};

void arena_pool_init(struct arena_pool *p, uint32_t max_free);
void arena_pool_destroy(struct arena_pool *p);

void arena_init(struct arena *a, struct arena_pool *pool, size_t limit);

/* Returns 16-byte aligned memory for n bytes, or NULL when the arena's
 * limit would be exceeded or memory is exhausted. */
void *arena_alloc(struct arena *a, size_t n);

/* Release everything; the arena can be used again. */
void arena_reset(struct arena *a);

#endif /* KILN_ARENA_H */
