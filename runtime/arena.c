/*
 * arena.c - see arena.h.
 */
#include "arena.h"

#include <stdlib.h>

struct arena_chunk {
    struct arena_chunk *next;
    size_t size; /* bytes of data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void arena_pool_init(struct arena_pool *p, uint32_t max_free)
{
    p->free = NULL;
    p->n_free = 0;
    p->max_free = max_free;
}

void arena_pool_destroy(struct arena_pool *p)
{
    while (p->free != NULL) {
        struct arena_chunk *c = p->free;
        p->free = c->next;
        free(c);
    }
    p->n_free = 0;
}

void arena_init(struct arena *a, struct arena_pool *pool, size_t limit)
{
    a->pool = pool;
    a->chunks = NULL;
    a->total = 0;
    a->limit = limit;
}

static struct arena_chunk *chunk_get(struct arena *a, size_t size)
{
    struct arena_chunk *c;

    if (size == ARENA_CHUNK_SIZE && a->pool->free != NULL) {
        c = a->pool->free;
        a->pool->free = c->next;
        a->pool->n_free--;
    } else {
        c = malloc(sizeof *c + size);
        if (c == NULL)
            return NULL;
        c->size = size;
    }
    c->used = 0;
    c->next = a->chunks;
    a->chunks = c;
    a->total += size;
    return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    struct arena_chunk *c = a->chunks;

    if (c != NULL && c->size - c->used >= need) {
        void *p = c->data + c->used;
        c->used += need;
        return p;
    }
    size_t size = need > ARENA_CHUNK_SIZE ? need : ARENA_CHUNK_SIZE;
    if (a->total + size > a->limit)
        return NULL;
    /* A big allocation goes into its own chunk, placed behind the current
     * one so the current chunk's free space stays usable. */
    if (size > ARENA_CHUNK_SIZE && c != NULL) {
        struct arena_chunk *big = chunk_get(a, size);
        if (big == NULL)
            return NULL;
        a->chunks = c;
        big->next = c->next;
        c->next = big;
        big->used = need;
        return big->data;
    }
    c = chunk_get(a, size);
    if (c == NULL)
        return NULL;
    c->used = need;
    return c->data;
}

void arena_reset(struct arena *a)
{
    struct arena_chunk *c = a->chunks;

    while (c != NULL) {
        struct arena_chunk *next = c->next;
        if (c->size == ARENA_CHUNK_SIZE && a->pool->n_free < a->pool->max_free) {
            c->next = a->pool->free;
            a->pool->free = c;
            a->pool->n_free++;
        } else {
            free(c);
        }
        c = next;
    }
    a->chunks = NULL;
    a->total = 0;
}
