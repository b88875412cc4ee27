/*
 * spool.c - see spool.h.
 */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

struct spool_block {
    struct spool_block *next;
    uint32_t len;
    uint8_t data[SPOOL_BLOCK_SIZE];
};

void spool_pool_init(struct spool_pool *p, uint32_t max_free, _Atomic uint64_t *budget_used,
                     uint64_t budget, const char *temp_dir)
{
    p->free = NULL;
    p->n_free = 0;
    p->max_free = max_free;
    p->budget_used = budget_used;
    p->budget = budget;
    p->temp_dir = temp_dir;
}

void spool_pool_destroy(struct spool_pool *p)
{
    while (p->free != NULL) {
        struct spool_block *b = p->free;
        p->free = b->next;
        free(b);
    }
    p->n_free = 0;
}

/* A block from the pool. `budgeted` blocks hold data and count against the
 * shared budget (NULL when it is spent: the caller uses its file); a stage
 * buffer does not, so reading back never fails for want of memory. */
static struct spool_block *block_get(struct spool_pool *p, int budgeted)
{
    struct spool_block *b;

    if (budgeted &&
        atomic_fetch_add(p->budget_used, SPOOL_BLOCK_SIZE) + SPOOL_BLOCK_SIZE > p->budget) {
        atomic_fetch_sub(p->budget_used, SPOOL_BLOCK_SIZE);
        return NULL;
    }
    if ((b = p->free) != NULL) {
        p->free = b->next;
        p->n_free--;
    } else if ((b = malloc(sizeof *b)) == NULL) {
        if (budgeted)
            atomic_fetch_sub(p->budget_used, SPOOL_BLOCK_SIZE);
        return NULL;
    }
    b->next = NULL;
    b->len = 0;
    return b;
}

static void block_put(struct spool_pool *p, struct spool_block *b, int budgeted)
{
    if (budgeted)
        atomic_fetch_sub(p->budget_used, SPOOL_BLOCK_SIZE);
    if (p->n_free < p->max_free) {
        b->next = p->free;
        p->free = b;
        p->n_free++;
        return;
    }
    free(b);
}

void spool_init(struct spool *s, struct spool_pool *pool, uint64_t mem_limit,
                uint64_t file_limit)
{
    memset(s, 0, sizeof *s);
    s->pool = pool;
    s->mem_limit = mem_limit;
    s->file_limit = file_limit;
    s->fd = -1;
}

static uint64_t mem_bytes(const struct spool *s)
{
    return s->head == NULL ? 0 : s->mem_end - s->head_base;
}

uint64_t spool_room(const struct spool *s)
{
    uint64_t mem = s->in_file || mem_bytes(s) >= s->mem_limit ? 0 : s->mem_limit - mem_bytes(s);
    uint64_t file = s->end - s->mem_end;
    return mem + (file < s->file_limit ? s->file_limit - file : 0);
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Copy as much as the memory limit and the budget allow; returns the bytes
 * taken. Sets in_file once memory is over. */
static size_t append_memory(struct spool *s, const uint8_t *p, size_t len)
{
    size_t done = 0;

    while (done < len && !s->in_file) {
        uint64_t used = mem_bytes(s);
        struct spool_block *b = s->tail;
        if (used >= s->mem_limit) {
            s->in_file = 1;
            break;
        }
        if (b == NULL || b->len == SPOOL_BLOCK_SIZE) {
            if ((b = block_get(s->pool, 1)) == NULL) {
                s->in_file = 1;
                break;
            }
            if (s->tail == NULL) {
                s->head = b;
                s->head_base = s->mem_end;
            } else {
                s->tail->next = b;
            }
            s->tail = b;
        }
        size_t take = min_size(len - done, SPOOL_BLOCK_SIZE - b->len);
        take = min_size(take, (size_t)(s->mem_limit - used));
        memcpy(b->data + b->len, p + done, take);
        b->len += (uint32_t)take;
        done += take;
        s->mem_end += take;
        s->end += take;
    }
    return done;
}

static int append_file(struct spool *s, const uint8_t *p, size_t len)
{
    const char *dir = s->pool->temp_dir;

    if (s->fd < 0) {
        s->fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
        if (s->fd < 0) {
            log_err("cannot create a temporary file in %s: %s", dir, strerror(errno));
            return -2;
        }
    }
    uint64_t at = s->end - s->mem_end;
    while (len > 0) {
        ssize_t n = pwrite(s->fd, p, len, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_err("cannot write a temporary file in %s: %s", dir,
                    n < 0 ? strerror(errno) : "short write");
            return -2;
        }
        at += (uint64_t)n;
        p += n;
        len -= (size_t)n;
    }
    s->end = s->mem_end + at;
    return 0;
}

/* Undo an append that could not be completed: drop what it added. */
static void append_undo(struct spool *s, struct spool_block *tail, uint32_t tail_len,
                        uint64_t end, uint64_t mem_end, uint8_t in_file)
{
    struct spool_block *b = tail == NULL ? s->head : tail->next;

    while (b != NULL) {
        struct spool_block *next = b->next;
        if (s->rd == b)
            s->rd = NULL;
        block_put(s->pool, b, 1);
        b = next;
    }
    if (tail == NULL) {
        s->head = NULL;
    } else {
        tail->next = NULL;
        tail->len = tail_len;
    }
    s->tail = tail;
    s->end = end;
    s->mem_end = mem_end;
    s->in_file = in_file;
}

int spool_append(struct spool *s, const void *data, size_t len)
{
    struct spool_block *tail = s->tail;
    uint32_t tail_len = tail != NULL ? tail->len : 0;
    uint64_t end = s->end, mem_end = s->mem_end;
    uint8_t in_file = s->in_file;

    if (len == 0)
        return 0;
    if (len > spool_room(s))
        return -1;
    size_t done = append_memory(s, data, len);
    if (done == len)
        return 0;
    int rc = -1;
    if (s->end - s->mem_end + (len - done) <= s->file_limit)
        rc = append_file(s, (const uint8_t *)data + done, len - done);
    if (rc != 0)
        append_undo(s, tail, tail_len, end, mem_end, in_file);
    return rc;
}

long spool_get(struct spool *s, uint64_t off, size_t max, const uint8_t **data)
{
    if (off >= s->end || max == 0)
        return 0;
    if (off < s->mem_end) {
        struct spool_block *b = s->head;
        uint64_t base = s->head_base;
        if (s->rd != NULL && s->rd_base <= off) {
            b = s->rd;
            base = s->rd_base;
        }
        while (off >= base + b->len) {
            base += b->len;
            b = b->next;
        }
        s->rd = b;
        s->rd_base = base;
        size_t in = (size_t)(off - base);
        *data = b->data + in;
        return (long)min_size(b->len - in, max);
    }
    if (s->stage_len > 0 && off >= s->stage_off && off < s->stage_off + s->stage_len) {
        size_t in = (size_t)(off - s->stage_off);
        *data = s->stage->data + in;
        return (long)min_size(s->stage_len - in, max);
    }
    if (s->stage == NULL && (s->stage = block_get(s->pool, 0)) == NULL)
        return -1;
    size_t want = min_size(min_size(max, SPOOL_BLOCK_SIZE), (size_t)(s->end - off));
    ssize_t n;
    do {
        n = pread(s->fd, s->stage->data, want, (off_t)(off - s->mem_end));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        log_err("cannot read back a temporary file: %s", n < 0 ? strerror(errno) : "short");
        s->stage_len = 0;
        return -1;
    }
    s->stage_off = off;
    s->stage_len = (uint32_t)n;
    *data = s->stage->data;
    return (long)n;
}

long spool_peek(struct spool *s, struct outq *q, size_t max)
{
    uint64_t off = s->start;
    size_t queued = 0;

    while (queued < max && off < s->end && outq_space(q) > 0) {
        const uint8_t *data;
        int from_file = off >= s->mem_end;
        long n = spool_get(s, off, max - queued, &data);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        outq_push(q, data, (size_t)n);
        queued += (size_t)n;
        off += (uint64_t)n;
        if (from_file)
            break; /* one stage buffer: the next read would overwrite it */
    }
    return (long)queued;
}

void spool_drop(struct spool *s, uint64_t upto)
{
    struct spool_block *b;

    s->start = upto;
    while ((b = s->head) != NULL && s->head_base + b->len <= upto) {
        s->head = b->next;
        s->head_base += b->len;
        if (s->rd == b)
            s->rd = NULL;
        block_put(s->pool, b, 1);
    }
    if (s->head == NULL)
        s->tail = NULL;
    if (s->start == s->end) {
        /* Drained: start over in memory, give the file's space back. */
        if (s->in_file && s->fd >= 0 && ftruncate(s->fd, 0) != 0)
            log_warn("cannot empty a temporary file: %s", strerror(errno));
        s->in_file = 0;
        s->head_base = s->mem_end = s->end;
        s->stage_len = 0;
    }
}

void spool_release(struct spool *s)
{
    struct spool_pool *pool = s->pool;
    struct spool_block *b = s->head;

    while (b != NULL) {
        struct spool_block *next = b->next;
        block_put(pool, b, 1);
        b = next;
    }
    if (s->stage != NULL)
        block_put(pool, s->stage, 0);
    if (s->fd >= 0)
        close(s->fd);
    spool_init(s, pool, s->mem_limit, s->file_limit);
}
