/*
 * cgi_response.h - parser for the CGI header block a FastCGI responder
 * writes at the start of STDOUT (RFC 3875 section 6).
 *
 * Pure, zero-copy. The upstream is not trusted to be well-formed: anything
 * that could split or inject a response header is an error (the proxy
 * answers 502), never repaired.
 *
 *   header-block = *( field CRLF-or-LF ) CRLF-or-LF
 *   field        = name ":" *( SP / HTAB ) value
 *
 * Lines may end in CRLF or LF (CGI allows either; PHP sends CRLF). A bare CR
 * anywhere, NUL or other control bytes (except HTAB in values), an empty or
 * non-token name, whitespace before the colon, and obs-fold (a line starting
 * with SP/HTAB) are errors.
 */
#ifndef KILN_CGI_RESPONSE_H
#define KILN_CGI_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

struct cgi_header {
    const char *name;
    const char *value; /* leading/trailing SP/HTAB trimmed */
    uint32_t name_len;
    uint32_t value_len;
};

struct cgi_response {
    uint16_t status;       /* from Status:, else 302 with Location, else 200 */
    const char *reason;    /* reason phrase from Status:, or NULL */
    uint32_t reason_len;
    uint8_t has_status;    /* a Status: line was present */
    uint8_t has_location;  /* a Location: line was present */
    uint32_t n_headers;    /* every line but Status: */
    struct cgi_header *headers; /* caller's array */
};

/*
 * cgi_header_end - find the end of the header block in buf[0..len).
 * Returns the offset just past the blank line that ends it (where the body
 * starts), or 0 when the block is not complete within len bytes.
 *
 * cgi_header_end_from - the same, for a buffer that grew: buf[0..from) was
 * already looked at (and held no end), so only a blank line completed by
 * the bytes from `from` on is looked for. Linear over a head that arrives
 * in many pieces.
 */
size_t cgi_header_end_from(const uint8_t *buf, size_t len, size_t from);
static inline size_t cgi_header_end(const uint8_t *buf, size_t len)
{
    return cgi_header_end_from(buf, len, 0);
}

/*
 * cgi_parse_headers - parse a complete header block buf[0..len), where len
 * is what cgi_header_end() returned. `r->headers` must point to an array of
 * `max_headers` entries.
 *
 * Returns 0 on success, -1 when the block is malformed, has more than
 * max_headers lines (Status: is not counted, it is not stored), repeats
 * Status:, or has a Status: that is not three digits in 200..599
 * optionally followed by SP and a reason phrase, or does not end exactly at
 * its first blank line (bytes after it, or no blank line). Names match
 * ASCII case-insensitively ("status", "LOCATION"). Each header is a span of
 * buf. On error, *why (if not NULL) is set to a static description for the
 * log.
 */
int cgi_parse_headers(const uint8_t *buf, size_t len, struct cgi_response *r,
                      uint32_t max_headers, const char **why);

#endif /* KILN_CGI_RESPONSE_H */
