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
 * Then the HTTP/1.1 head built from what parsed (resp_head.h), with facts
 * from byte 0: within the size it announced, one status line, lines that
 * all end in CRLF with no bare CR or LF (no header injection), exactly one
 * framing header (or none), and none of the dropped ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgi_response.h"
#include "http_response.h"
#include "resp_head.h"

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

static size_t count(const char *h, size_t len, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (size_t i = 0; i + k <= len; i++)
        if (strncasecmp(h + i, needle, k) == 0)
            n++;
    return n;
}

static void check_head(const struct cgi_response *r, uint8_t facts)
{
    static const char date[] = "Date: Tue, 08 Dec 2026 01:00:00 GMT\r\n";
    static const struct kiln_bytes names[] = {{"x-site", 6}};
    struct resp_facts f = {
        .head_only = facts & 1,
        .http10 = (facts >> 1) & 1,
        .close = (facts >> 2) & 1,
        .body_len = (facts & 8) ? (long long)(facts >> 4) : -1,
        .date_line = date,
        .site_headers = {"X-Site: 1\r\n", 11},
        .site_header_names = names,
        .n_site_headers = (facts >> 5) & 1,
    };
    struct resp_head h;
    size_t size = resp_head_size(r, &f);
    char *out = malloc(size);
    CHECK(out);
    if (resp_head_build(r, &f, out, &h) != 0) {
        CHECK(h.why != NULL);
        free(out);
        return;
    }
    CHECK(h.len <= size && h.len >= 4);
    CHECK(memcmp(out, "HTTP/1.1 ", 9) == 0);
    CHECK(memcmp(out + h.len - 4, "\r\n\r\n", 4) == 0);
    for (size_t i = 0; i < h.len; i++) {
        if (out[i] == '\n')
            CHECK(i > 0 && out[i - 1] == '\r');
        if (out[i] == '\r')
            CHECK(i + 1 < h.len && out[i + 1] == '\n');
    }
    size_t framing = count(out, h.len, "\r\nContent-Length:") +
                     count(out, h.len, "\r\nTransfer-Encoding:");
    CHECK(framing <= 1);
    CHECK(count(out, h.len, "\r\nConnection:") <= 1);
    CHECK(count(out, h.len, "\r\nServer:") == 0);
    CHECK(count(out, h.len, "\r\nKeep-Alive:") == 0);
    CHECK(count(out, h.len, "\r\nDate:") == 1);
    if (h.framing == FRAME_CHUNKED)
        CHECK(count(out, h.len, "\r\nTransfer-Encoding: chunked\r\n") == 1);
    if (h.framing == FRAME_CLOSE)
        CHECK(h.close);
    free(out);
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
        if (cgi_parse_headers(b, end, &r, max, &why) == 0) {
            check_parsed(b, end, &r, max);
            check_head(&r, data[0]);
        } else {
            CHECK(why != NULL);
        }
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
