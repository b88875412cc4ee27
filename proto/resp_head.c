/*
 * resp_head.c - see resp_head.h.
 */
#include "resp_head.h"

#include <string.h>

#include "hdr.h"
#include "http_parse.h"
#include "http_reason.h"
#include "http_response.h"

static int name_is(const struct cgi_header *h, const char *lower, uint32_t len)
{
    return http_name_eq(h->name, h->name_len, lower, len);
}
#define NAME_IS(h, lit) name_is((h), (lit), sizeof(lit) - 1)

/* Is h named by any of the response's Connection lines (RFC 9110 7.6.1:
 * every one of them counts)? */
static int named_by_connection(const struct cgi_response *r, const struct cgi_header *h)
{
    for (uint32_t i = 0; i < r->n_headers; i++) {
        const struct cgi_header *k = &r->headers[i];
        if (NAME_IS(k, "connection") &&
            http_list_has_token(k->value, k->value_len, h->name, h->name_len))
            return 1;
    }
    return 0;
}

static int dropped(const struct cgi_response *r, const struct resp_facts *f,
                   const struct cgi_header *h, int has_connection)
{
    if (hdr_class(h->name, h->name_len, NULL) & HDR_RESP_DROP)
        return 1;
    for (uint32_t i = 0; i < f->n_site_headers; i++)
        if (name_is(h, f->site_header_names[i].ptr, f->site_header_names[i].len))
            return 1;
    return has_connection && named_by_connection(r, h);
}

/* The application's Content-Length: 1 when it sent exactly one valid value,
 * 0 when none, -1 when invalid or repeated. */
static int app_length(const struct cgi_response *r, uint64_t *len)
{
    int found = 0;

    for (uint32_t i = 0; i < r->n_headers; i++) {
        const struct cgi_header *h = &r->headers[i];
        if (!NAME_IS(h, "content-length"))
            continue;
        if (found++ || h->value_len == 0 || h->value_len > 18)
            return -1;
        uint64_t v = 0;
        for (uint32_t k = 0; k < h->value_len; k++) {
            if (h->value[k] < '0' || h->value[k] > '9')
                return -1;
            v = v * 10 + (uint64_t)(h->value[k] - '0');
        }
        *len = v;
    }
    return found;
}

static char *put(char *p, const void *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* Decimal, without printf's machinery (this runs for every response). */
static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_content_length(char *p, uint64_t v)
{
    p = put(p, "Content-Length: ", 16);
    p = put_u64(p, v);
    return put(p, "\r\n", 2);
}

size_t resp_head_size(const struct cgi_response *r, const struct resp_facts *f)
{
    size_t size = 128 + HTTP_DATE_LINE_LEN + f->site_headers.len + r->reason_len;

    for (uint32_t i = 0; i < r->n_headers; i++)
        size += r->headers[i].name_len + r->headers[i].value_len + 4;
    return size;
}

static void decide_framing(const struct cgi_response *r, const struct resp_facts *f,
                           int has_len, uint64_t len, struct resp_head *h)
{
    h->close = f->close;
    if (f->head_only || r->status == 204 || r->status == 304) {
        h->framing = FRAME_NONE;
    } else if (f->body_len >= 0) {
        h->framing = FRAME_LENGTH;
        h->length = (uint64_t)f->body_len;
    } else if (has_len) {
        h->framing = FRAME_LENGTH;
        h->length = len;
    } else if (f->http10) {
        h->framing = FRAME_CLOSE;
        h->close = 1;
    } else {
        h->framing = FRAME_CHUNKED;
    }
}

int resp_head_build(const struct cgi_response *r, const struct resp_facts *f, char *out,
                    struct resp_head *h)
{
    int has_connection = 0;
    uint64_t len = 0;
    int has_len = app_length(r, &len);

    memset(h, 0, sizeof *h);
    if (has_len < 0) {
        h->why = "invalid or repeated Content-Length from the upstream";
        return -1;
    }
    for (uint32_t i = 0; i < r->n_headers; i++) {
        const struct cgi_header *k = &r->headers[i];
        if (NAME_IS(k, "connection"))
            has_connection = 1;
        else if (NAME_IS(k, "x-accel-buffering") && http_name_eq(k->value, k->value_len, "no", 2))
            h->no_buffering = 1;
    }
    decide_framing(r, f, has_len, len, h);

    char *p = put(out, "HTTP/1.1 ", 9);
    p = put_u64(p, r->status);
    *p++ = ' ';
    if (r->reason != NULL && r->reason_len > 0) {
        p = put(p, r->reason, r->reason_len);
    } else {
        const char *reason = http_reason(r->status);
        p = put(p, reason, strlen(reason));
    }
    p = put(p, "\r\n", 2);
    p = put(p, f->date_line, HTTP_DATE_LINE_LEN);
    for (uint32_t i = 0; i < r->n_headers; i++) {
        const struct cgi_header *k = &r->headers[i];
        if (dropped(r, f, k, has_connection))
            continue;
        p = put(p, k->name, k->name_len);
        p = put(p, ": ", 2);
        p = put(p, k->value, k->value_len);
        p = put(p, "\r\n", 2);
    }
    p = put(p, f->site_headers.ptr, f->site_headers.len);
    if (h->framing == FRAME_LENGTH)
        p = put_content_length(p, h->length);
    else if (h->framing == FRAME_CHUNKED)
        p = put(p, "Transfer-Encoding: chunked\r\n", 28);
    else if (f->head_only && has_len)
        p = put_content_length(p, len);
    if (h->close)
        p = put(p, "Connection: close\r\n", 19);
    else if (f->http10)
        p = put(p, "Connection: keep-alive\r\n", 24);
    p = put(p, "\r\n", 2);
    h->len = (size_t)(p - out);
    return 0;
}
