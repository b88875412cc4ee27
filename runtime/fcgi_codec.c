/*
 * fcgi_codec.c - FastCGI 1.0 records and name-value pairs (see the header
 * for the wire format).
 */
#include "fcgi_codec.h"

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
    if ((uint64_t)*name_len + *value_len > len - head)
        return 0;
    *name = buf + head;
    *value = buf + head + *name_len;
    return (int)(head + *name_len + *value_len);
}

/* ---- response reader ----------------------------------------------------- */

enum reader_state {
    RS_HEADER = 0, /* collecting the 8-byte record header */
    RS_CONTENT,    /* inside STDOUT/STDERR content */
    RS_END_BODY,   /* collecting the 8-byte END_REQUEST body */
    RS_PADDING,    /* skipping padding */
    RS_DONE,       /* END_REQUEST seen */
    RS_FAILED,
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

/* A complete header is in r->hdr: check it and pick the next state. */
static enum fcgi_event reader_begin_record(struct fcgi_reader *r)
{
    const struct fcgi_header *h = &r->hdr;

    if (h->request_id != r->request_id)
        return reader_fail(r, "record for another request id");
    r->content_left = h->content_length;
    r->padding_left = h->padding_length;
    switch (h->type) {
    case FCGI_STDOUT:
        if (h->content_length == 0) {
            r->stdout_closed = 1;
            r->state = RS_PADDING;
            return FCGI_EV_STDOUT; /* the empty record: end of stream */
        }
        if (r->stdout_closed)
            return reader_fail(r, "STDOUT after the end of STDOUT");
        r->state = RS_CONTENT;
        return FCGI_EV_NEED_MORE;
    case FCGI_STDERR:
        r->state = h->content_length ? RS_CONTENT : RS_PADDING;
        return FCGI_EV_NEED_MORE;
    case FCGI_END_REQUEST:
        if (h->content_length != 8)
            return reader_fail(r, "END_REQUEST body is not 8 bytes");
        r->hfill = 0;
        r->state = RS_END_BODY;
        return FCGI_EV_NEED_MORE;
    default:
        return reader_fail(r, "unexpected record type");
    }
}

enum fcgi_event fcgi_reader_next(struct fcgi_reader *r, const uint8_t *buf, size_t len,
                                 size_t *consumed, const uint8_t **data,
                                 size_t *data_len)
{
    size_t used = 0;
    enum fcgi_event ev = FCGI_EV_NEED_MORE;

    *data = NULL;
    *data_len = 0;
    while (used < len && ev == FCGI_EV_NEED_MORE) {
        switch (r->state) {
        case RS_HEADER: {
            size_t take = FCGI_HEADER_LEN - r->hfill;
            if (take > len - used)
                take = len - used;
            memcpy(r->hbuf + r->hfill, buf + used, take);
            r->hfill += (uint8_t)take;
            used += take;
            if (r->hfill < FCGI_HEADER_LEN)
                break;
            r->hfill = 0;
            if (fcgi_header_decode(r->hbuf, FCGI_HEADER_LEN, &r->hdr) < 0) {
                ev = reader_fail(r, "record version is not 1");
                break;
            }
            ev = reader_begin_record(r);
            if (ev == FCGI_EV_STDOUT)
                *data = buf + used; /* zero-length span */
            break;
        }
        case RS_CONTENT: {
            size_t take = r->content_left;
            if (take > len - used)
                take = len - used;
            *data = buf + used;
            *data_len = take;
            used += take;
            r->content_left -= (uint32_t)take;
            if (r->content_left == 0)
                r->state = RS_PADDING;
            ev = r->hdr.type == FCGI_STDOUT ? FCGI_EV_STDOUT : FCGI_EV_STDERR;
            break;
        }
        case RS_END_BODY: {
            size_t take = 8 - r->hfill;
            if (take > len - used)
                take = len - used;
            memcpy(r->hbuf + r->hfill, buf + used, take);
            r->hfill += (uint8_t)take;
            used += take;
            if (r->hfill < 8)
                break;
            r->hfill = 0;
            fcgi_end_request_decode(r->hbuf, 8, &r->app_status, &r->protocol_status);
            r->state = RS_PADDING;
            ev = FCGI_EV_END;
            break;
        }
        case RS_PADDING: {
            size_t take = r->padding_left;
            if (take > len - used)
                take = len - used;
            used += take;
            r->padding_left -= (uint32_t)take;
            break;
        }
        case RS_DONE:
            ev = reader_fail(r, "data after END_REQUEST");
            break;
        default:
            ev = FCGI_EV_ERROR;
            break;
        }
        /* A finished record hands over to the next header (or to DONE). */
        if (r->state == RS_PADDING && r->padding_left == 0) {
            r->state = (r->hdr.type == FCGI_END_REQUEST) ? RS_DONE : RS_HEADER;
        }
    }
    *consumed = used;
    return ev;
}
