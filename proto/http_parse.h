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
 *
 * Two passes. The incremental scan looks at each byte once, across calls:
 * it finds the line ends, refuses a bare LF, a CR not followed by LF and
 * every control byte but HTAB (so NUL or a stray CR is a 400 at once, not
 * after a timeout), skips up to HTTP_MAX_LEADING_CRLF empty lines before the
 * request line (RFC 9112 2.2) and enforces the three limits. Once the empty
 * line that ends the head is in, one full parse checks the grammar and the
 * framing headers. Whatever way the input is split, the result is the same
 * as for one call with all of it.
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

/* How many empty lines (CRLF) before the request line are skipped; one more
 * is a 400. They count into head_len and max_header_size. */
#define HTTP_MAX_LEADING_CRLF 4

/* A method token longer than this is answered with 501. */
#define HTTP_MAX_METHOD_LEN 32

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

/*
 * The parsed head. Strings are not NUL-terminated: use the _len fields. No
 * pointer is ever NULL; an absent part has length 0 and points somewhere
 * into the head.
 *
 *   origin-form    "/a/b?x=1"            target "/a/b?x=1", path "/a/b", query "x=1"
 *   absolute-form  "http://h:8/a?x=1"    target "/a?x=1", path "/a", query "x=1",
 *                                        host "h:8", HTTP_F_ABSOLUTE_FORM
 *   asterisk-form  "*" (OPTIONS only)    target "*", path "*", query "", HTTP_F_ASTERISK
 *
 * Percent-escapes are kept as received (checked to be '%' HEXDIG HEXDIG);
 * decoding and dot-segment removal belong to the path canonicalizer.
 */
struct http_request {
    const char *method;
    const char *target;  /* path and query as received (REQUEST_URI); for an
                          * absolute-form target without scheme and authority */
    const char *path;    /* raw (still percent-encoded) path; starts with '/',
                          * except "*" for HTTP_F_ASTERISK */
    const char *query;   /* after '?', without it; length 0 when none (see
                          * HTTP_F_HAS_QUERY to tell "/a?" from "/a") */
    const char *host;    /* Host header value, or the authority of an
                          * absolute-form target (which wins, RFC 9112 3.2.2);
                          * host_len 0 when there is none (HTTP/1.0) or it is
                          * empty. Syntax checked: reg-name, IPv4 or [IPv6],
                          * then optionally ':' and a port of 1-5 digits
                          * (<= 65535); never userinfo, '/' or spaces. */
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
/* max_header_size is capped at INT32_MAX internally (the result is an int). */

/* Parser state between calls; zero it (http_parser_init) per request.
 * All fields are private to the parser. */
struct http_parser {
    uint32_t scanned;       /* bytes already checked for the end of the head */
    uint32_t line_start;    /* start of the line being scanned */
    uint32_t lines;         /* complete lines seen (request line + headers) */
    uint32_t skipped;       /* leading empty lines skipped */
    uint8_t saw_cr;         /* previous scanned byte was CR */
};

/* Reset `p` for a new request head (the next pipelined request starts over
 * with a buffer that begins at its first byte). */
void http_parser_init(struct http_parser *p);

/*
 * http_parse_request - parse the request head at the start of buf[0..len).
 *
 * `req->headers` must point to an array of at least lim->max_headers
 * entries before the call. Between calls for one request the buffer may only
 * grow: the same bytes at the same start, more of them at the end. After a
 * non-zero result the parser must be re-initialised before it is used again.
 * `req` is only written on success; on success every header line is in
 * req->headers[0..n_headers), in arrival order, Host and the framing headers
 * included (the CGI layer decides what to forward).
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
 *         -431 head larger than lim->max_header_size (returned as soon
 *              as max_header_size bytes are in without the end of the
 *              head) or more than lim->max_headers header lines
 *         -405 CONNECT or TRACE
 *         -417 an Expect other than 100-continue
 *         -501 a method token longer than 32 bytes
 *         -505 an HTTP version other than 1.0 or 1.1
 *
 * Precedence: the scan's errors come first, in byte order (400 for a bad
 * byte or line end, 414, 431); then the request line left to right (method
 * 400/501, target bytes 400, version 400/505, CONNECT/TRACE 405, target
 * form 400); then each header line (400); then Host, Content-Length and
 * Transfer-Encoding (400); then Expect (417).
 *
 * Decisions the RFCs leave open:
 *   - "http://host" and "http://host?q" (absolute-form without a path) are
 *     400, as is an empty authority or one with userinfo;
 *   - an empty Host value is valid (host_len 0); "Host: :80" is not;
 *   - Expect: 100-continue in HTTP/1.0 is ignored (RFC 9110 10.1.1), any
 *     other Expect value is 417 in either version; repeated Expect lines
 *     must each be exactly "100-continue";
 *   - Connection tokens from every Connection line count; "close" wins over
 *     "keep-alive".
 */
int http_parse_request(struct http_parser *p, const uint8_t *buf, size_t len,
                       const struct http_limits *lim, struct http_request *req);

/* ASCII case-insensitive equality of two byte strings (header names,
 * tokens). Returns 1 when equal, else 0. */
int http_name_eq(const char *a, uint32_t a_len, const char *b, uint32_t b_len);

/* Does a comma-separated header value (e.g. Connection) contain `token`,
 * compared case-insensitively? Elements are trimmed of SP/HTAB; empty
 * elements are ignored. Returns 1 or 0. */
int http_list_has_token(const char *value, uint32_t len, const char *token, uint32_t token_len);

/*
 * Byte classes of RFC 9110, one table for every module that checks HTTP
 * syntax (the request parser, the chunked decoder's trailers), so they agree
 * byte for byte:
 *   HTTP_CT_TCHAR  token character (5.6.2): method, field name, coding
 *   HTTP_CT_FIELD  allowed in a field value: HTAB, SP, VCHAR, obs-text (5.5)
 *   HTTP_CT_QDTEXT allowed unescaped in a quoted-string (5.6.4)
 */
#define HTTP_CT_TCHAR  0x01u
#define HTTP_CT_FIELD  0x02u
#define HTTP_CT_QDTEXT 0x04u
extern const uint8_t http_ctype[256];

#endif /* KILN_HTTP_PARSE_H */
