// kiln-fuzz: proto
/*
 * fuzz_fcgi_params.c - FastCGI name-value pairs: decode arbitrary bytes,
 * then re-encode every decoded pair and decode it again.
 *
 * Checked: spans stay inside the input; the canonical re-encoding is never
 * longer than what was read (the 4-byte length form may be used for short
 * lengths on the wire, the encoder never does); fcgi_param_size() is what
 * the encoder writes; the round trip gives back the same name and value;
 * every proper prefix of an encoded pair is "need more".
 *
 * The decoded pairs then serve as request headers for cgi_params_build():
 * its output must decode into whole pairs with unique names, HTTP_* names
 * only of [A-Z0-9_] with a letter and never one of the dropped headers, and
 * no capacity may be written past (exact-size heap buffers).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgi_params.h"
#include "fcgi_codec.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static void round_trip(const uint8_t *name, uint32_t nl, const uint8_t *value, uint32_t vl,
                       size_t read_len)
{
    size_t size = fcgi_param_size(nl, vl);
    CHECK(size <= read_len);
    uint8_t *buf = malloc(size);
    CHECK(buf);
    CHECK(fcgi_param_encode(buf, (const char *)name, nl, (const char *)value, vl) == size);

    const uint8_t *n2, *v2;
    uint32_t nl2, vl2;
    CHECK(fcgi_param_decode(buf, size, &n2, &nl2, &v2, &vl2) == (int)size);
    CHECK(nl2 == nl && vl2 == vl);
    CHECK(memcmp(n2, name, nl) == 0 && memcmp(v2, value, vl) == 0);
    /* A few prefixes (all of them would be quadratic on long pairs). */
    for (size_t k = 0; k < size && k < 16; k++)
        CHECK(fcgi_param_decode(buf, k, &n2, &nl2, &v2, &vl2) == 0);
    CHECK(fcgi_param_decode(buf, size - 1, &n2, &nl2, &v2, &vl2) == 0);
    free(buf);
}

/* ---- the decoded pairs as request headers for cgi_params_build() --------- */

#define MAX_HEADERS 64 /* keeps the quadratic uniqueness check cheap */

static const struct kiln_site *test_site(void)
{
    static uint8_t blob[64];
    static struct kiln_site site;
    size_t n = fcgi_param_encode(blob, "GATEWAY_INTERFACE", 17, "CGI/1.1", 7);
    site.fcgi_static_params.ptr = (const char *)blob;
    site.fcgi_static_params.len = (uint32_t)n;
    site.document_root.ptr = "/srv/www";
    site.document_root.len = 8;
    site.listen_host = "";
    site.cors.enabled = 1;
    return &site;
}

static int is_cgi_name_byte(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The output of cgi_params_build: whole pairs, no name twice, every HTTP_
 * name made of [A-Z0-9_] with a letter, none of the names never forwarded. */
static void check_params(const uint8_t *out, size_t len)
{
    static const char *const never[] = {
        "HTTP_PROXY", "HTTP_CONNECTION", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH",
        "HTTP_TRANSFER_ENCODING", "HTTP_TE", "HTTP_UPGRADE", "HTTP_ORIGIN",
    };
    const uint8_t *names[MAX_HEADERS + 64];
    uint32_t lens[MAX_HEADERS + 64];
    size_t n = 0, at = 0;

    while (at < len) {
        const uint8_t *name, *value;
        uint32_t nl, vl;
        int used = fcgi_param_decode(out + at, len - at, &name, &nl, &value, &vl);
        CHECK(used > 0);
        for (size_t i = 0; i < n; i++)
            CHECK(!(lens[i] == nl && memcmp(names[i], name, nl) == 0));
        CHECK(n < sizeof names / sizeof names[0]);
        names[n] = name;
        lens[n++] = nl;
        if (nl >= 5 && memcmp(name, "HTTP_", 5) == 0) {
            int letter = 0;
            CHECK(nl > 5);
            for (uint32_t k = 5; k < nl; k++) {
                CHECK(is_cgi_name_byte(name[k]));
                letter |= name[k] >= 'A' && name[k] <= 'Z';
            }
            CHECK(letter);
            for (size_t k = 0; k < sizeof never / sizeof never[0]; k++)
                CHECK(!(nl == strlen(never[k]) && memcmp(name, never[k], nl) == 0));
        }
        at += (size_t)used;
    }
}

static void build_params(const struct http_header *headers, uint32_t n_headers, size_t in_size,
                         uint8_t cap_byte)
{
    static const char canon[] = "/index.php";
    struct http_request req;
    struct script_result script = {canon, "", 10, 0, canon, 10};
    struct cgi_conn_info conn = {"192.0.2.1", "1234", "192.0.2.2", 9, 4, 9, 0};

    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.method_len = 3;
    req.target = req.path = "/";
    req.target_len = req.path_len = 1;
    req.query = "";
    req.host = "example.com";
    req.host_len = 11;
    req.version_minor = 1;
    req.headers = (struct http_header *)headers;
    req.n_headers = n_headers;

    const struct kiln_site *site = test_site();
    /* Room for everything: each header costs at most its bytes, "HTTP_",
     * 8 length bytes and a 2-byte separator; the fixed params fit 4 KiB. */
    size_t big = 4096 + in_size + 15u * n_headers;
    uint8_t *out = malloc(big);
    CHECK(out);
    size_t len = cgi_params_build(out, big, site, &req, &script, &conn, 0);
    CHECK(len > 0);
    check_params(out, len);

    /* Exact-size buffers: one byte short fails cleanly, exact succeeds with
     * the same bytes, and an arbitrary capacity never writes past itself. */
    size_t caps[3] = {len - 1, len, (size_t)cap_byte * 8};
    for (int i = 0; i < 3; i++) {
        uint8_t *b = malloc(caps[i] ? caps[i] : 1);
        CHECK(b);
        size_t r = cgi_params_build(b, caps[i], site, &req, &script, &conn, 0);
        CHECK(r == 0 || r == len);
        CHECK(r == len ? caps[i] >= len && memcmp(b, out, len) == 0 : caps[i] < len);
        free(b);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact copy, so reads past the end are caught. */
    uint8_t *in = malloc(size ? size : 1);
    struct http_header *headers = malloc(MAX_HEADERS * sizeof *headers);
    uint32_t n_headers = 0;
    CHECK(in && headers);
    if (size)
        memcpy(in, data, size);

    size_t at = 0;
    while (at < size) {
        const uint8_t *name, *value;
        uint32_t nl, vl;
        int used = fcgi_param_decode(in + at, size - at, &name, &nl, &value, &vl);
        if (used <= 0)
            break;
        CHECK((size_t)used <= size - at);
        CHECK(name >= in + at && name + nl <= in + at + (size_t)used);
        CHECK(value == name + nl && value + vl == in + at + (size_t)used);
        round_trip(name, nl, value, vl, (size_t)used);
        if (n_headers < MAX_HEADERS)
            headers[n_headers++] = (struct http_header){(const char *)name, (const char *)value,
                                                        nl, vl};
        at += (size_t)used;
    }
    build_params(headers, n_headers, size, size ? data[0] : 0);
    free(headers);
    free(in);
    return 0;
}
