/*
 * resp_head.h - an HTTP/1.1 response head from a CGI head: the status line,
 * the application's headers minus the ones it may not send, the site's
 * response_headers, and the framing of the body.
 *
 * Pure: the caller gives the parsed CGI head and what it knows of the
 * request and the connection; the builder writes into the caller's buffer
 * and decides the framing:
 *
 *   no body      HEAD, 204, 304 (a HEAD answer keeps the application's own
 *                valid Content-Length)
 *   Content-Length  when the whole body is in hand (body_len >= 0), else
 *                the application's own valid Content-Length
 *   chunked      HTTP/1.1 otherwise
 *   until close  HTTP/1.0 otherwise (the connection closes)
 *
 * Dropped from the application's head: hop-by-hop headers and the ones
 * kiln frames or owns (hdr.h, HDR_RESP_DROP), every header named by any of
 * its Connection lines, and every header the site sets itself
 * (response_headers replace, by name). An invalid or repeated
 * Content-Length is refused.
 */
#ifndef KILN_RESP_HEAD_H
#define KILN_RESP_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "cgi_response.h"
#include "site.h"

enum resp_framing {
    FRAME_NONE = 0, /* no body (HEAD, 204, 304) */
    FRAME_LENGTH,   /* Content-Length */
    FRAME_CHUNKED,
    FRAME_CLOSE,    /* until the connection closes (HTTP/1.0) */
};

/* What the request and the connection know. */
struct resp_facts {
    uint8_t head_only;      /* HEAD */
    uint8_t http10;         /* HTTP/1.0 client */
    uint8_t close;          /* the connection closes after this response */
    long long body_len;     /* the whole body's length when in hand, else -1 */
    const char *date_line;  /* "Date: ...\r\n", HTTP_DATE_LINE_LEN bytes */
    struct kiln_bytes site_headers;           /* response_headers, joined */
    const struct kiln_bytes *site_header_names; /* their names, lower case */
    uint32_t n_site_headers;
};

/* What was decided. */
struct resp_head {
    uint8_t framing;        /* enum resp_framing */
    uint8_t close;          /* "Connection: close" was sent: close after */
    uint8_t no_buffering;   /* the application sent X-Accel-Buffering: no */
    uint64_t length;        /* FRAME_LENGTH: the body's length */
    size_t len;             /* bytes written */
    const char *why;        /* static text when the head is refused */
};

/* Bytes resp_head_build() may write for this head. */
size_t resp_head_size(const struct cgi_response *r, const struct resp_facts *f);

/* Build the head into out (resp_head_size() bytes). Returns 0, or -1 with
 * h->why set (an invalid or repeated Content-Length: a 502). */
int resp_head_build(const struct cgi_response *r, const struct resp_facts *f, char *out,
                    struct resp_head *h);

#endif /* KILN_RESP_HEAD_H */
