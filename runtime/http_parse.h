/*
 * http_parse.h - strict, incremental, zero-copy HTTP/1.1 request head parser
 * (RFC 9112, RFC 9110).
 *
 * Pure: no I/O, no allocation. Every pointer in the result points into the
 * caller's buffer, which must stay unchanged while the result is used.
 *
 * Incremental: the caller appends bytes to one buffer and calls
 * http_parse_request() with the whole buffer each time; the parser keeps a
 * scan offset in `struct http_parser` so a head that arrives byte by byte
 * costs O(n) overall, and limits are enforced as soon as they are crossed
 * (a request line that is too long is refused before its end arrives).
 *
 * Strict: everything a request-smuggling or header-injection attack needs is
 * an error, never "repaired".
 */
#ifndef KILN_HTTP_PARSE_H
#define KILN_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum http_method {
    HTTP_M_OTHER = 0, /* a valid token we do not know; forwarded as is */
    HTTP_M_GET,
    HTTP_M_HEAD,
    HTTP_M_POST,
    HTTP_M_PUT,
    HTTP_M_DELETE,
    HTTP_M_OPTIONS,
    HTTP_M_PATCH,
};

struct http_header {
    const char *name;  /* as sent; case preserved */
    const char *value; /* leading and trailing SP/HTAB trimmed */
    uint32_t name_len;
    uint32_t value_len;
};

/* Request flags (struct http_request.flags). */
#define HTTP_F_KEEP_ALIVE      0x0001u /* connection may be reused after this request */
#define HTTP_F_CHUNKED         0x0002u /* Transfer-Encoding: chunked */
#define HTTP_F_CONTENT_LENGTH  0x0004u /* Content-Length present */
#define HTTP_F_EXPECT_CONTINUE 0x0008u /* Expect: 100-continue */
#define HTTP_F_ABSOLUTE_FORM   0x0010u /* target was http(s)://authority/path */
#define HTTP_F_ASTERISK        0x0020u /* target was "*" (OPTIONS only) */
#define HTTP_F_HAS_QUERY       0x0040u /* target contained '?' (query may be empty) */

struct http_request {
    const char *method;
    const char *target;  /* raw request-target as received (REQUEST_URI) */
    const char *path;    /* raw (still percent-encoded) path, starts with '/' */
    const char *query;   /* after '?', without it; "" when none */
    const char *host;    /* Host header value, or the authority of an
                          * absolute-form target (which wins, RFC 9112 3.2.2) */
    uint32_t method_len;
    uint32_t target_len;
    uint32_t path_len;
    uint32_t query_len;
    uint32_t host_len;
    uint8_t method_id;     /* enum http_method */
    uint8_t version_minor; /* 0 (HTTP/1.0) or 1 (HTTP/1.1) */
    uint16_t flags;        /* HTTP_F_* */
    uint64_t content_length; /* valid when HTTP_F_CONTENT_LENGTH */
    uint32_t head_len;     /* bytes of the head, including the final CRLF CRLF
                            * and any leading empty lines that were skipped */
    uint32_t n_headers;
    struct http_header *headers; /* caller's array, see http_parse_request */
};

struct http_limits {
    uint32_t max_request_line; /* bytes of the request line without CRLF */
    uint32_t max_header_size;  /* bytes of the whole head */
    uint32_t max_headers;      /* header lines; <= capacity of headers[] */
};

/* Parser state between calls; zero it (http_parser_init) per request. */
struct http_parser {
    uint32_t scanned;       /* bytes already checked for the end of the head */
    uint32_t line_start;    /* start of the line being scanned */
    uint32_t lines;         /* complete lines seen (request line + headers) */
    uint32_t skipped;       /* leading empty lines skipped */
    uint8_t saw_cr;         /* previous scanned byte was CR */
};

void http_parser_init(struct http_parser *p);

/*
 * http_parse_request - parse the request head at the start of buf[0..len).
 *
 * `req->headers` must point to an array of at least lim->max_headers
 * entries before the call.
 *
 * Returns:
 *   > 0   the head is complete and valid; the value is req->head_len, the
 *         number of bytes it took (the body, if any, starts there);
 *     0   need more bytes (nothing is wrong so far);
 *   < 0   the negated HTTP status to answer with, then close:
 *         -400 malformed or ambiguous (smuggling vectors, bad bytes, bad
 *              Host, bad Content-Length, any Transfer-Encoding but a single
 *              "chunked", Transfer-Encoding in HTTP/1.0, obs-fold, bare CR
 *              or LF, whitespace before a colon, ...)
 *         -414 request line longer than lim->max_request_line
 *         -431 head larger than lim->max_header_size or more than
 *              lim->max_headers header lines
 *         -405 CONNECT or TRACE
 *         -417 an Expect other than 100-continue
 *         -501 a method token longer than 32 bytes
 *         -505 an HTTP version other than 1.0 or 1.1
 */
int http_parse_request(struct http_parser *p, const uint8_t *buf, size_t len,
                       const struct http_limits *lim, struct http_request *req);

/* Case-insensitive ASCII comparison of a header name with a lower-case
 * literal. */
int http_name_eq(const char *name, uint32_t len, const char *lower, uint32_t lower_len);

/* Does a comma-separated header value (e.g. Connection) contain `token`
 * (lower case), compared case-insensitively? */
int http_list_has_token(const char *value, uint32_t len, const char *lower, uint32_t lower_len);

#endif /* KILN_HTTP_PARSE_H */
