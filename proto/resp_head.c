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

static int site_sets(const struct resp_facts *f, const struct cgi_header *h)
{
    for (uint32_t i = 0; i < f->n_site_headers; i++)
        if (name_is(h, f->site_header_names[i].ptr, f->site_header_names[i].len))
            return 1;
    return 0;
}

/* What one pass over the application's headers tells: which are dropped by
 * name (hdr.h), whether it sent Connection, X-Accel-Buffering: no, and its
 * Content-Length (exactly one valid value, else refused). */
#define CLASSIFIED 256

struct scan {
    uint8_t drop[CLASSIFIED];
    uint8_t has_connection;
    uint8_t no_buffering;
    int has_len;      /* 1 one valid value, 0 none, -1 invalid or repeated */
    uint64_t len;
};

static int parse_length(const struct cgi_header *h, uint64_t *len)
{
    uint64_t v = 0;
    if (h->value_len == 0 || h->value_len > 18)
        return -1;
    for (uint32_t k = 0; k < h->value_len; k++) {
        if (h->value[k] < '0' || h->value[k] > '9')
            return -1;
        v = v * 10 + (uint64_t)(h->value[k] - '0');
    }
    *len = v;
    return 1;
}

static void scan_headers(const struct cgi_response *r, struct scan *sc)
{
    sc->has_connection = sc->no_buffering = 0;
    sc->has_len = 0;
    sc->len = 0;
    for (uint32_t i = 0; i < r->n_headers; i++) {
        const struct cgi_header *k = &r->headers[i];
        const struct hdr_info *info;
        unsigned flags = hdr_class(k->name, k->name_len, &info);
        if (i < CLASSIFIED)
            sc->drop[i] = (flags & HDR_RESP_DROP) != 0;
        if (info == NULL)
            continue;
        if (info->id == HDR_ID_CONNECTION)
            sc->has_connection = 1;
        else if (info->id == HDR_ID_X_ACCEL_BUFFERING &&
                 http_name_eq(k->value, k->value_len, "no", 2))
            sc->no_buffering = 1;
        else if (info->id == HDR_ID_CONTENT_LENGTH && sc->has_len >= 0)
            sc->has_len = sc->has_len == 0 ? parse_length(k, &sc->len) : -1;
    }
}

static int dropped(const struct cgi_response *r, const struct resp_facts *f,
                   const struct scan *sc, uint32_t i)
{
    const struct cgi_header *h = &r->headers[i];
    int by_name = i < CLASSIFIED ? sc->drop[i]
                                 : (hdr_class(h->name, h->name_len, NULL) & HDR_RESP_DROP) != 0;
    return by_name || site_sets(f, h) || (sc->has_connection && named_by_connection(r, h));
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
                           const struct scan *sc, struct resp_head *h)
{
    h->close = f->close;
    if (f->head_only || r->status == 204 || r->status == 304) {
        h->framing = FRAME_NONE;
    } else if (f->body_len >= 0) {
        h->framing = FRAME_LENGTH;
        h->length = (uint64_t)f->body_len;
    } else if (sc->has_len) {
        h->framing = FRAME_LENGTH;
        h->length = sc->len;
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
    struct scan sc;

    memset(h, 0, sizeof *h);
    scan_headers(r, &sc);
    if (sc.has_len < 0) {
        h->why = "invalid or repeated Content-Length from the upstream";
        return -1;
    }
    h->no_buffering = sc.no_buffering;
    decide_framing(r, f, &sc, h);

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
        if (dropped(r, f, &sc, i))
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
    else if (f->head_only && sc.has_len)
        p = put_content_length(p, sc.len);
    if (h->close)
        p = put(p, "Connection: close\r\n", 19);
    else if (f->http10)
        p = put(p, "Connection: keep-alive\r\n", 24);
    p = put(p, "\r\n", 2);
    h->len = (size_t)(p - out);
    return 0;
}
