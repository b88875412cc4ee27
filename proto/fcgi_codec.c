/*
 * fcgi_codec.c - FastCGI 1.0 records and name-value pairs (see the header
 * for the wire format).
 */
#include "fcgi_codec.h"

#include <limits.h>
#include <string.h>

void fcgi_header_encode(uint8_t out[FCGI_HEADER_LEN], uint8_t type, uint16_t request_id,
                        uint16_t content_length, uint8_t padding_length)
{
    out[0] = FCGI_VERSION_1;
    out[1] = type;
    out[2] = (uint8_t)(request_id >> 8);
    out[3] = (uint8_t)request_id;
    out[4] = (uint8_t)(content_length >> 8);
    out[5] = (uint8_t)content_length;
    out[6] = padding_length;
    out[7] = 0;
}

int fcgi_header_decode(const uint8_t *buf, size_t len, struct fcgi_header *h)
{
    if (len < FCGI_HEADER_LEN)
        return 0;
    if (buf[0] != FCGI_VERSION_1)
        return -1;
    h->version = buf[0];
    h->type = buf[1];
    h->request_id = (uint16_t)(buf[2] << 8 | buf[3]);
    h->content_length = (uint16_t)(buf[4] << 8 | buf[5]);
    h->padding_length = buf[6];
    return FCGI_HEADER_LEN;
}

int fcgi_records_set_id(uint8_t *buf, size_t len, uint16_t request_id)
{
    size_t off = 0;

    while (len - off >= FCGI_HEADER_LEN) {
        size_t rec = FCGI_HEADER_LEN + ((size_t)buf[off + 4] << 8 | buf[off + 5]) + buf[off + 6];
        if (rec > len - off)
            return -1;
        buf[off + 2] = (uint8_t)(request_id >> 8);
        buf[off + 3] = (uint8_t)request_id;
        off += rec;
    }
    return off == len ? 0 : -1;
}

void fcgi_begin_request_encode(uint8_t out[16], uint16_t request_id, uint16_t role,
                               uint8_t flags)
{
    fcgi_header_encode(out, FCGI_BEGIN_REQUEST, request_id, 8, 0);
    out[8] = (uint8_t)(role >> 8);
    out[9] = (uint8_t)role;
    out[10] = flags;
    memset(out + 11, 0, 5);
}

int fcgi_end_request_decode(const uint8_t *body, size_t len, uint32_t *app_status,
                            uint8_t *protocol_status)
{
    if (len != 8)
        return -1;
    *app_status = (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 |
                  (uint32_t)body[2] << 8 | body[3];
    *protocol_status = body[4];
    return 0;
}

/* ---- name-value pairs ---------------------------------------------------- */

static size_t length_size(size_t n)
{
    return n < 128 ? 1 : 4;
}

static uint8_t *length_encode(uint8_t *out, size_t n)
{
    if (n < 128) {
        *out++ = (uint8_t)n;
        return out;
    }
    *out++ = (uint8_t)(0x80 | (n >> 24));
    *out++ = (uint8_t)(n >> 16);
    *out++ = (uint8_t)(n >> 8);
    *out++ = (uint8_t)n;
    return out;
}

/* Returns the bytes the length took, or 0 when buf is too short. */
static size_t length_decode(const uint8_t *buf, size_t len, uint32_t *n)
{
    if (len < 1)
        return 0;
    if ((buf[0] & 0x80) == 0) {
        *n = buf[0];
        return 1;
    }
    if (len < 4)
        return 0;
    *n = (uint32_t)(buf[0] & 0x7f) << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 |
         buf[3];
    return 4;
}

size_t fcgi_param_size(size_t name_len, size_t value_len)
{
    return length_size(name_len) + length_size(value_len) + name_len + value_len;
}

size_t fcgi_param_encode(uint8_t *out, const char *name, size_t name_len,
                         const char *value, size_t value_len)
{
    uint8_t *p = length_encode(out, name_len);
    p = length_encode(p, value_len);
    /* memcpy with a NULL pointer is undefined even for 0 bytes. */
    if (name_len > 0)
        memcpy(p, name, name_len);
    p += name_len;
    if (value_len > 0)
        memcpy(p, value, value_len);
    p += value_len;
    return (size_t)(p - out);
}

int fcgi_param_decode(const uint8_t *buf, size_t len, const uint8_t **name,
                      uint32_t *name_len, const uint8_t **value, uint32_t *value_len)
{
    size_t a = length_decode(buf, len, name_len);
    if (a == 0)
        return 0;
    size_t b = length_decode(buf + a, len - a, value_len);
    if (b == 0)
        return 0;
    size_t head = a + b;
    uint64_t body = (uint64_t)*name_len + *value_len;
    /* The return type is int: a pair that could not be reported (only
     * possible with two near-2^31 lengths) is treated as incomplete. */
    if (body > len - head || body > (uint64_t)INT_MAX - head)
        return 0;
    *name = buf + head;
    *value = buf + head + *name_len;
    return (int)(head + *name_len + *value_len);
}

/* ---- response reader ----------------------------------------------------- */

#define END_BODY_LEN 8 /* FCGI_EndRequestBody */

_Static_assert(sizeof(((struct fcgi_reader *)0)->hbuf) >= FCGI_HEADER_LEN &&
                   sizeof(((struct fcgi_reader *)0)->hbuf) >= END_BODY_LEN,
               "hbuf holds a record header and an END_REQUEST body");

enum reader_state {
    RS_HEADER = 0,  /* collecting the 8-byte record header */
    RS_CONTENT,     /* inside STDOUT/STDERR content */
    RS_PADDING,     /* skipping the padding of a STDOUT/STDERR record */
    RS_END_BODY,    /* collecting the 8-byte END_REQUEST body */
    RS_END_PADDING, /* skipping END_REQUEST padding; END is reported after it */
    RS_DONE,        /* END_REQUEST read, padding included */
    RS_FAILED,      /* a protocol error was reported; sticky */
};

void fcgi_reader_init(struct fcgi_reader *r, uint16_t request_id)
{
    memset(r, 0, sizeof *r);
    r->request_id = request_id;
    r->state = RS_HEADER;
}

static enum fcgi_event reader_fail(struct fcgi_reader *r, const char *why)
{
    r->state = RS_FAILED;
    r->error = why;
    return FCGI_EV_ERROR;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Append up to `want` bytes of p[0..avail) to r->hbuf. Returns the bytes
 * taken; r->hfill == want once the buffer is complete. */
static size_t reader_fill(struct fcgi_reader *r, size_t want, const uint8_t *p, size_t avail)
{
    size_t take = min_size(want - r->hfill, avail);
    memcpy(r->hbuf + r->hfill, p, take);
    r->hfill = (uint8_t)(r->hfill + take);
    return take;
}

/* The current record's content is consumed: skip its padding, if any. */
static void reader_content_done(struct fcgi_reader *r)
{
    r->state = r->padding_left ? RS_PADDING : RS_HEADER;
}

/*
 * A complete header is in r->hdr: check it and pick the next state. The
 * empty STDOUT record is reported here, as a zero-length span at `at`
 * (where its content would have been), because no content step follows.
 */
static enum fcgi_event reader_begin_record(struct fcgi_reader *r, const uint8_t *at,
                                           const uint8_t **data)
{
    const struct fcgi_header *h = &r->hdr;

    if (h->request_id != r->request_id) {
        r->foreign = 1;
        return reader_fail(r, "record for another request id");
    }
    r->answered = 1;
    r->content_left = h->content_length;
    r->padding_left = h->padding_length;
    switch (h->type) {
    case FCGI_STDOUT:
        /* The stream ends with exactly one empty record; anything on STDOUT
         * after it, another empty record included, is a broken responder. */
        if (r->stdout_closed)
            return reader_fail(r, "STDOUT after the end of STDOUT");
        if (h->content_length == 0) {
            r->stdout_closed = 1;
            reader_content_done(r);
            *data = at;
            return FCGI_EV_STDOUT;
        }
        r->state = RS_CONTENT;
        return FCGI_EV_NEED_MORE;
    case FCGI_STDERR:
        if (h->content_length == 0)
            reader_content_done(r);
        else
            r->state = RS_CONTENT;
        return FCGI_EV_NEED_MORE;
    case FCGI_END_REQUEST:
        if (h->content_length != END_BODY_LEN)
            return reader_fail(r, "END_REQUEST body is not 8 bytes");
        r->state = RS_END_BODY;
        return FCGI_EV_NEED_MORE;
    default:
        return reader_fail(r, "unexpected record type");
    }
}

static enum fcgi_event reader_header(struct fcgi_reader *r, const uint8_t *p, size_t avail,
                                     size_t *used, const uint8_t **data)
{
    *used = reader_fill(r, FCGI_HEADER_LEN, p, avail);
    if (r->hfill < FCGI_HEADER_LEN)
        return FCGI_EV_NEED_MORE;
    r->hfill = 0;
    if (fcgi_header_decode(r->hbuf, FCGI_HEADER_LEN, &r->hdr) < 0)
        return reader_fail(r, "record version is not 1");
    return reader_begin_record(r, p + *used, data);
}

static enum fcgi_event reader_content(struct fcgi_reader *r, const uint8_t *p, size_t avail,
                                      size_t *used, const uint8_t **data, size_t *data_len)
{
    size_t take = min_size(r->content_left, avail);

    *data = p;
    *data_len = take;
    *used = take;
    r->content_left -= (uint32_t)take;
    if (r->content_left == 0)
        reader_content_done(r);
    return r->hdr.type == FCGI_STDOUT ? FCGI_EV_STDOUT : FCGI_EV_STDERR;
}

static size_t reader_skip_padding(struct fcgi_reader *r, size_t avail)
{
    size_t take = min_size(r->padding_left, avail);
    r->padding_left -= (uint32_t)take;
    return take;
}

/* END is reported only once the record's padding is read too: a caller that
 * pools the connection on FCGI_EV_END must not leave bytes of this response
 * in the socket for the next request to trip over. */
static enum fcgi_event reader_end_body(struct fcgi_reader *r, const uint8_t *p, size_t avail,
                                       size_t *used)
{
    *used = reader_fill(r, END_BODY_LEN, p, avail);
    if (r->hfill < END_BODY_LEN)
        return FCGI_EV_NEED_MORE;
    r->hfill = 0;
    fcgi_end_request_decode(r->hbuf, END_BODY_LEN, &r->app_status, &r->protocol_status);
    if (r->padding_left > 0) {
        r->state = RS_END_PADDING;
        return FCGI_EV_NEED_MORE;
    }
    r->state = RS_DONE;
    return FCGI_EV_END;
}

enum fcgi_event fcgi_reader_next(struct fcgi_reader *r, const uint8_t *buf, size_t len,
                                 size_t *consumed, const uint8_t **data,
                                 size_t *data_len)
{
    size_t used = 0;
    enum fcgi_event ev = FCGI_EV_NEED_MORE;

    *data = NULL;
    *data_len = 0;
    if (r->state == RS_FAILED) {
        *consumed = 0;
        return FCGI_EV_ERROR;
    }
    while (used < len && ev == FCGI_EV_NEED_MORE) {
        const uint8_t *p = buf + used;
        size_t avail = len - used, n = 0;

        switch ((enum reader_state)r->state) {
        case RS_HEADER:
            ev = reader_header(r, p, avail, &n, data);
            break;
        case RS_CONTENT:
            ev = reader_content(r, p, avail, &n, data, data_len);
            break;
        case RS_PADDING:
            n = reader_skip_padding(r, avail);
            if (r->padding_left == 0)
                r->state = RS_HEADER;
            break;
        case RS_END_BODY:
            ev = reader_end_body(r, p, avail, &n);
            break;
        case RS_END_PADDING:
            n = reader_skip_padding(r, avail);
            if (r->padding_left == 0) {
                r->state = RS_DONE;
                ev = FCGI_EV_END;
            }
            break;
        case RS_DONE:
            ev = reader_fail(r, "data after END_REQUEST");
            break;
        case RS_FAILED:
        default:
            ev = FCGI_EV_ERROR;
            break;
        }
        used += n;
    }
    *consumed = used;
    return ev;
}
