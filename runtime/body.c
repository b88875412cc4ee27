/*
 * body.c - see body.h.
 */
#include "body.h"

#include <string.h>

void body_spool_init(struct body_spool *s, struct spool_pool *pool, const struct kiln_site *site)
{
    s->active = 0;
    s->chunked = 0;
    s->left = 0;
    spool_init(&s->data, pool, site->body_buffer_size, site->max_body_size);
}

void body_spool_start(struct body_spool *s, const struct kiln_site *site, int chunked,
                      uint64_t content_length)
{
    body_spool_reset(s);
    s->active = 1;
    s->chunked = (uint8_t)chunked;
    s->left = chunked ? 0 : content_length;
    if (chunked)
        chunked_init(&s->dec, site->max_body_size);
}

static int store(struct body_spool *s, const uint8_t *data, size_t len)
{
    int rc = spool_append(&s->data, data, len);
    /* Room is never short: the limits are max_body_size, which the
     * decoder and the Content-Length check enforce first. */
    return rc == 0 ? 0 : -500;
}

static int feed_chunked(struct body_spool *s, const uint8_t *in, size_t len, size_t *consumed)
{
    size_t used = 0;

    while (used < len && !s->dec.done) {
        size_t n, dlen;
        const uint8_t *data;
        int rc = chunked_decode(&s->dec, in + used, len - used, &n, &data, &dlen);
        if (rc == CHUNKED_ERROR)
            return -400;
        if (rc == CHUNKED_TOO_LARGE)
            return -413;
        if (dlen > 0 && store(s, data, dlen) != 0)
            return -500;
        if (n == 0)
            break;
        used += n;
    }
    *consumed = used;
    return s->dec.done ? 1 : 0;
}

int body_spool_feed(struct body_spool *s, const uint8_t *in, size_t len, size_t *consumed)
{
    if (s->chunked)
        return feed_chunked(s, in, len, consumed);
    size_t take = len < s->left ? len : (size_t)s->left;
    *consumed = 0;
    if (take > 0 && store(s, in, take) != 0)
        return -500;
    *consumed = take;
    s->left -= take;
    return s->left == 0 ? 1 : 0;
}

void body_spool_reset(struct body_spool *s)
{
    s->active = 0;
    s->left = 0;
    spool_reset(&s->data);
}
