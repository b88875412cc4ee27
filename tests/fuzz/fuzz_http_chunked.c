// kiln-fuzz: proto
/*
 * fuzz_http_chunked.c - the chunked body decoder, fed like a connection.
 *
 * Input: one control byte, then the raw body (and whatever follows it). The
 * control byte's low two bits pick max_total (0, 16, 1 MiB, no limit); the
 * rest seeds the sizes of the pieces the body is fed in.
 *
 * The body is decoded in one piece, in random pieces and (when short) one
 * byte at a time, keeping unconsumed bytes as a connection does. All must
 * agree on the result, the data and the byte where the body ends; every data
 * span must lie in its piece and end where the call stopped; and an accepted
 * body must read the same to a naive decoder. Every call gets an exact-size
 * heap copy of its piece, so AddressSanitizer catches a read past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_chunked.h"

#define CHECK(cond)          \
    do {                     \
        if (!(cond))         \
            abort();         \
    } while (0)

static const uint64_t max_totals[4] = {0, 16, (uint64_t)1 << 20, UINT64_MAX};

enum feed { FEED_WHOLE, FEED_RANDOM, FEED_BYTES };

struct rng {
    uint32_t s;
};

static uint32_t rng_next(struct rng *r)
{
    uint32_t x = r->s; /* xorshift32 */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return r->s = x;
}

static size_t piece_size(struct rng *r, enum feed how)
{
    uint32_t x = rng_next(r);
    if (how == FEED_BYTES)
        return 1;
    switch (x & 3) {
    case 0:
        return 1;
    case 1:
        return 1 + (x >> 2) % 8;
    case 2:
        return 1 + (x >> 2) % 64;
    default:
        return 1 + (x >> 2) % 1024;
    }
}

struct body {
    int rc;
    int done;
    size_t end;
    uint8_t *data;
    size_t data_len;
};

static void decode(struct body *out, const uint8_t *s, size_t n, uint64_t max, enum feed how,
                   struct rng *rng)
{
    struct chunked_decoder d;
    size_t pos = 0, avail = how == FEED_WHOLE ? n : 0, used = 0;

    memset(out, 0, sizeof *out);
    out->data = malloc(n ? n : 1);
    CHECK(out->data != NULL);
    chunked_init(&d, max);
    for (;;) {
        if (how != FEED_WHOLE && avail < n && (pos == avail || used == 0)) {
            avail += piece_size(rng, how);
            if (avail > n)
                avail = n;
        }
        size_t len = avail - pos;
        uint8_t *piece = malloc(len ? len : 1);
        CHECK(piece != NULL);
        if (len > 0)
            memcpy(piece, s + pos, len);
        const uint8_t *data;
        size_t dlen;
        uint64_t before = d.total;
        out->rc = chunked_decode(&d, piece, len, &used, &data, &dlen);
        CHECK(used <= len && dlen <= used);
        CHECK(d.total == before + dlen && d.total <= max);
        if (dlen > 0) {
            CHECK(data >= piece && data + dlen == piece + used);
            memcpy(out->data + out->data_len, data, dlen);
            out->data_len += dlen;
        }
        free(piece);
        if (out->rc != CHUNKED_OK) {
            CHECK(out->rc == CHUNKED_ERROR || out->rc == CHUNKED_TOO_LARGE);
            CHECK(used == 0 && dlen == 0);
            /* errors are final */
            CHECK(chunked_decode(&d, s, n, &used, &data, &dlen) == out->rc && used == 0);
            break;
        }
        pos += used;
        if (d.done) {
            /* and so is the end of the body */
            CHECK(chunked_decode(&d, s + pos, n - pos, &used, &data, &dlen) == CHUNKED_OK);
            CHECK(used == 0 && dlen == 0);
            break;
        }
        if (used == 0 && avail == n)
            break;
    }
    out->done = d.done;
    out->end = pos;
    CHECK(d.total == out->data_len);
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t after_crlf(const uint8_t *s, size_t n, size_t pos)
{
    while (pos + 1 < n && !(s[pos] == '\r' && s[pos + 1] == '\n'))
        pos++;
    CHECK(pos + 1 < n);
    return pos + 2;
}

/* A naive re-reading of an accepted body: the same data, the same end, and
 * only syntax the decoder is meant to accept. */
static void check_accepted(const struct body *b, const uint8_t *s, size_t n)
{
    size_t pos = 0, got = 0, line;
    int trailers = 0;

    for (;;) {
        uint64_t size = 0;
        int v, digits = 0;
        while ((v = hexval(s[pos])) >= 0) {
            size = size << 4 | (uint64_t)v;
            pos++;
            digits++;
        }
        CHECK(digits >= 1 && digits <= CHUNKED_MAX_SIZE_DIGITS);
        CHECK(s[pos] == '\r' || s[pos] == ';' || s[pos] == ' ' || s[pos] == '\t');
        line = pos;
        pos = after_crlf(s, n, pos);
        CHECK(pos - 2 - line + (size_t)digits <= CHUNKED_MAX_LINE);
        for (size_t i = line; i < pos - 2; i++)
            CHECK(s[i] != '\n' && s[i] != '\r' && s[i] != 0);
        if (size == 0)
            break;
        CHECK(size <= n - pos && got + size <= b->data_len);
        CHECK(memcmp(s + pos, b->data + got, (size_t)size) == 0);
        got += (size_t)size;
        pos += (size_t)size;
        CHECK(pos + 2 <= n && s[pos] == '\r' && s[pos + 1] == '\n');
        pos += 2;
    }
    while (!(s[pos] == '\r' && s[pos + 1] == '\n')) {
        line = pos;
        pos = after_crlf(s, n, pos);
        CHECK(pos - 2 - line <= CHUNKED_MAX_LINE);
        CHECK(memchr(s + line, ':', pos - 2 - line) != NULL);
        CHECK(s[line] != ' ' && s[line] != '\t' && s[line] != ':');
        for (size_t i = line; i < pos - 2; i++)
            CHECK(s[i] == '\t' || (s[i] >= 0x20 && s[i] != 0x7F));
        trailers++;
    }
    CHECK(trailers <= CHUNKED_MAX_TRAILERS);
    CHECK(got == b->data_len && pos + 2 == b->end);
}

static void check_same(const struct body *a, const struct body *b)
{
    CHECK(a->rc == b->rc);
    if (a->rc != CHUNKED_OK)
        return;
    CHECK(a->done == b->done && a->end == b->end && a->data_len == b->data_len);
    CHECK(memcmp(a->data, b->data, a->data_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint64_t max = max_totals[data[0] & 3];
    struct rng rng = {.s = 0x9E3779B9u ^ (uint32_t)data[0] << 8 ^ (uint32_t)size};
    const uint8_t *s = data + 1;
    size_t n = size - 1;
    struct body whole, part;

    decode(&whole, s, n, max, FEED_WHOLE, &rng);
    if (whole.rc == CHUNKED_OK && whole.done)
        check_accepted(&whole, s, n);

    decode(&part, s, n, max, FEED_RANDOM, &rng);
    check_same(&whole, &part);
    free(part.data);

    if (n <= 512) {
        decode(&part, s, n, max, FEED_BYTES, &rng);
        check_same(&whole, &part);
        free(part.data);
    }
    free(whole.data);
    return 0;
}
