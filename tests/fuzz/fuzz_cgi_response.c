// kiln-fuzz: proto
/*
 * fuzz_cgi_response.c - CGI header block end detection and parsing on
 * arbitrary STDOUT bytes.
 *
 * Byte 0 sets max_headers (0..63), the rest is the start of STDOUT.
 * Checked: the end offset is the first blank line (no shorter prefix has
 * one, the block up to it has it); whatever parses has only token names,
 * values without CR, LF, NUL or other controls (HTAB aside) and without
 * surrounding whitespace, spans inside the block, at most max_headers
 * lines, a status in 200..599 that follows the Status/Location rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgi_response.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

#define MAX_HEADERS 64

static int is_tchar(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void check_parsed(const uint8_t *b, size_t len, const struct cgi_response *r,
                         uint32_t max)
{
    CHECK(r->n_headers <= max);
    CHECK(r->status >= 200 && r->status <= 599);
    if (!r->has_status)
        CHECK(r->status == (r->has_location ? 302 : 200));
    if (r->reason != NULL)
        CHECK((const uint8_t *)r->reason >= b &&
              (const uint8_t *)r->reason + r->reason_len <= b + len);
    for (uint32_t i = 0; i < r->n_headers; i++) {
        const struct cgi_header *h = &r->headers[i];
        const uint8_t *n = (const uint8_t *)h->name, *v = (const uint8_t *)h->value;
        CHECK(h->name_len > 0);
        CHECK(n >= b && n + h->name_len <= b + len);
        CHECK(v >= b && v + h->value_len <= b + len);
        for (uint32_t k = 0; k < h->name_len; k++)
            CHECK(is_tchar(n[k]));
        for (uint32_t k = 0; k < h->value_len; k++)
            CHECK(v[k] == '\t' || (v[k] >= 0x20 && v[k] != 0x7f));
        if (h->value_len > 0) {
            CHECK(v[0] != ' ' && v[0] != '\t');
            CHECK(v[h->value_len - 1] != ' ' && v[h->value_len - 1] != '\t');
        }
        CHECK(!(h->name_len == 6 && strncasecmp((const char *)n, "status", 6) == 0));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint32_t max = data[0] % MAX_HEADERS;
    size_t len = size - 1;
    uint8_t *b = malloc(len ? len : 1);
    CHECK(b);
    if (len)
        memcpy(b, data + 1, len);

    struct cgi_header headers[MAX_HEADERS];
    struct cgi_response r;
    const char *why = NULL;
    r.headers = headers;

    size_t end = cgi_header_end(b, len);
    CHECK(end <= len);
    if (end > 0) {
        CHECK(cgi_header_end(b, end) == end);
        CHECK(cgi_header_end(b, end - 1) == 0);
        CHECK(b[end - 1] == '\n');
        /* Resuming after any prefix that held no end finds the same end,
         * as the proxy does with a head that arrives in pieces. */
        for (size_t k = 0; k < end; k += 1 + k / 8)
            CHECK(cgi_header_end_from(b, len, k) == end);
        if (cgi_parse_headers(b, end, &r, max, &why) == 0)
            check_parsed(b, end, &r, max);
        else
            CHECK(why != NULL);
    }
    /* Any length, complete or not, must be safe to hand in. */
    why = NULL;
    if (cgi_parse_headers(b, len, &r, max, &why) == 0) {
        CHECK(end == len);
        check_parsed(b, len, &r, max);
    } else {
        CHECK(why != NULL);
    }
    free(b);
    return 0;
}
