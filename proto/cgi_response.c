/*
 * cgi_response.c - strict parser for the CGI header block at the start of a
 * FastCGI responder's STDOUT (see cgi_response.h for the grammar).
 *
 * One pass per line: memchr finds the line end, the HTTP parser's byte-class
 * table (http_ctype) checks the name and the value. A PHP response has a handful of short lines, so
 * there is nothing to gain from anything cleverer.
 */
#include "cgi_response.h"

#include <string.h>

#include "http_parse.h"

size_t cgi_header_end_from(const uint8_t *buf, size_t len, size_t from)
{
    if (len == 0)
        return 0;
    /* A block without any header line: the blank line comes first. */
    if (buf[0] == '\n')
        return 1;
    if (buf[0] == '\r' && len >= 2 && buf[1] == '\n')
        return 2;

    /* A blank line completed by a new byte starts with an LF at most two
     * bytes before it ("\n\r\n"). */
    const uint8_t *p = buf + (from > 2 ? from - 2 : 0), *end = buf + len;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        p++; /* start of the next line */
        if (p == end)
            return 0;
        if (*p == '\n')
            return (size_t)(p + 1 - buf);
        if (*p == '\r') {
            if (p + 1 == end)
                return 0;
            if (p[1] == '\n')
                return (size_t)(p + 2 - buf);
        }
    }
    return 0;
}

/* "Status: NNN" or "Status: NNN reason": three digits in 200..599, then
 * nothing or one SP and the reason (RFC 3875 6.3.3). Returns 0 or -1. */
static int parse_status(const uint8_t *v, size_t len, struct cgi_response *r, const char **why)
{
    if (len < 3 || (len > 3 && v[3] != ' ')) {
        *why = "malformed Status";
        return -1;
    }
    unsigned code = 0;
    for (int i = 0; i < 3; i++) {
        if (v[i] < '0' || v[i] > '9') {
            *why = "malformed Status";
            return -1;
        }
        code = code * 10 + (unsigned)(v[i] - '0');
    }
    if (code < 200 || code > 599) {
        *why = "Status out of range";
        return -1;
    }
    r->status = (uint16_t)code;
    r->has_status = 1;
    if (len > 4) {
        r->reason = (const char *)v + 4;
        r->reason_len = (uint32_t)(len - 4);
    }
    return 0;
}

/* Why a byte that is not allowed where it stands is refused. */
static const char *bad_byte(uint8_t c, const char *other)
{
    return c == '\r' ? "bare CR" : c == 0 ? "NUL byte" : other;
}

/*
 * Parse one non-empty line p[0..eol). Returns 0 or -1 (with *why set).
 */
static int parse_line(const uint8_t *p, const uint8_t *eol, struct cgi_response *r,
                      uint32_t max_headers, const char **why)
{
    if (*p == ' ' || *p == '\t') {
        *why = "obs-fold (line starts with whitespace)";
        return -1;
    }
    const uint8_t *q = p;
    while (q < eol && (http_ctype[*q] & HTTP_CT_TCHAR))
        q++;
    if (q == eol) {
        *why = "header line without a colon";
        return -1;
    }
    if (*q != ':') {
        if (*q != ' ' && *q != '\t')
            *why = bad_byte(*q, "invalid byte in header name");
        else if (memchr(q, ':', (size_t)(eol - q)) != NULL)
            *why = "whitespace before the colon";
        else
            *why = "header line without a colon";
        return -1;
    }
    if (q == p) {
        *why = "empty header name";
        return -1;
    }
    size_t name_len = (size_t)(q - p);

    const uint8_t *v = q + 1;
    while (v < eol && (*v == ' ' || *v == '\t'))
        v++;
    const uint8_t *ve = v;
    while (ve < eol && (http_ctype[*ve] & HTTP_CT_FIELD))
        ve++;
    if (ve != eol) {
        *why = bad_byte(*ve, "control byte in header value");
        return -1;
    }
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    size_t value_len = (size_t)(ve - v);

    if (http_name_eq((const char *)p, (uint32_t)name_len, "status", 6)) {
        if (r->has_status) {
            *why = "duplicate Status";
            return -1;
        }
        return parse_status(v, value_len, r, why);
    }
    if (r->n_headers >= max_headers) {
        *why = "too many header lines";
        return -1;
    }
    if (http_name_eq((const char *)p, (uint32_t)name_len, "location", 8))
        r->has_location = 1;
    struct cgi_header *h = &r->headers[r->n_headers++];
    h->name = (const char *)p;
    h->name_len = (uint32_t)name_len;
    h->value = (const char *)v;
    h->value_len = (uint32_t)value_len;
    return 0;
}

int cgi_parse_headers(const uint8_t *buf, size_t len, struct cgi_response *r,
                      uint32_t max_headers, const char **why)
{
    const char *ignored;
    const uint8_t *p = buf, *end = buf + len;

    if (why == NULL)
        why = &ignored;
    r->status = 200;
    r->reason = NULL;
    r->reason_len = 0;
    r->has_status = 0;
    r->has_location = 0;
    r->n_headers = 0;

    for (;;) {
        const uint8_t *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        if (nl == NULL) {
            *why = "header block not terminated";
            return -1;
        }
        const uint8_t *eol = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
        if (eol == p) {
            /* The blank line ends what cgi_header_end() measured. */
            if (nl + 1 != end) {
                *why = "bytes after the blank line";
                return -1;
            }
            break;
        }
        if (parse_line(p, eol, r, max_headers, why) < 0)
            return -1;
        p = nl + 1;
    }
    if (!r->has_status)
        r->status = r->has_location ? 302 : 200;
    return 0;
}
