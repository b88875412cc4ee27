/*
 * body.c - see body.h.
 */
#include "body.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void body_spool_init(struct body_spool *s)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

void body_spool_start(struct body_spool *s, const struct kiln_site *site)
{
    body_spool_reset(s);
    s->active = 1;
    chunked_init(&s->dec, site->max_body_size);
}

static int spool_to_file(struct body_spool *s, const struct kiln_site *site,
                         const uint8_t *data, size_t len)
{
    if (s->fd < 0) {
        s->fd = open(site->temp_dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
        if (s->fd < 0) {
            log_err("cannot create a temporary file in %s for a request body: %s",
                    site->temp_dir, strerror(errno));
            return -500;
        }
    }
    while (len > 0) {
        ssize_t n = pwrite(s->fd, data, len, (off_t)s->file_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_err("cannot write a request body to %s: %s", site->temp_dir,
                    n < 0 ? strerror(errno) : "short write");
            return -500;
        }
        s->file_len += (uint64_t)n;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Keep `len` decoded bytes: memory first, up to body_buffer_size. */
static int spool_store(struct body_spool *s, const struct kiln_site *site,
                       const uint8_t *data, size_t len)
{
    if (s->fd < 0 && s->mem_len < site->body_buffer_size) {
        size_t room_max = site->body_buffer_size - s->mem_len;
        size_t take = len < room_max ? len : room_max;
        if (s->mem_len + take > s->mem_cap) {
            size_t cap = s->mem_cap ? s->mem_cap : 16384;
            while (cap < s->mem_len + take)
                cap *= 2;
            if (cap > site->body_buffer_size)
                cap = site->body_buffer_size;
            uint8_t *p = realloc(s->mem, cap);
            if (p == NULL)
                return -500;
            s->mem = p;
            s->mem_cap = cap;
        }
        memcpy(s->mem + s->mem_len, data, take);
        s->mem_len += take;
        data += take;
        len -= take;
    }
    return len > 0 ? spool_to_file(s, site, data, len) : 0;
}

int body_spool_feed(struct body_spool *s, const struct kiln_site *site, const uint8_t *in,
                    size_t len, size_t *consumed)
{
    size_t used = 0;

    while (used < len && !s->dec.done) {
        size_t n;
        const uint8_t *data;
        size_t dlen;
        int rc = chunked_decode(&s->dec, in + used, len - used, &n, &data, &dlen);
        if (rc == CHUNKED_ERROR)
            return -400;
        if (rc == CHUNKED_TOO_LARGE)
            return -413;
        if (dlen > 0) {
            int st = spool_store(s, site, data, dlen);
            if (st < 0)
                return st;
        }
        if (n == 0)
            break;
        used += n;
    }
    *consumed = used;
    return s->dec.done ? 1 : 0;
}

uint64_t body_spool_length(const struct body_spool *s)
{
    return s->mem_len + s->file_len;
}

long body_spool_get(struct body_spool *s, uint64_t off, size_t max, const uint8_t **data)
{
    if (off < s->mem_len) {
        size_t n = s->mem_len - (size_t)off;
        *data = s->mem + off;
        return (long)(n < max ? n : max);
    }
    uint64_t foff = off - s->mem_len;
    if (foff >= s->file_len)
        return 0;
    if (s->stage == NULL && (s->stage = malloc(BODY_STAGE_SIZE)) == NULL)
        return -1;
    size_t want = max < BODY_STAGE_SIZE ? max : BODY_STAGE_SIZE;
    if (want > s->file_len - foff)
        want = (size_t)(s->file_len - foff);
    ssize_t n;
    do {
        n = pread(s->fd, s->stage, want, (off_t)foff);
    } while (n < 0 && errno == EINTR);
    if (n <= 0)
        return -1;
    *data = s->stage;
    return (long)n;
}

void body_spool_reset(struct body_spool *s)
{
    free(s->mem);
    free(s->stage);
    if (s->fd >= 0)
        close(s->fd);
    body_spool_init(s);
}
