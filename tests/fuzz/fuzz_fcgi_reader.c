// kiln-fuzz: proto
/*
 * fuzz_fcgi_reader.c - the FastCGI response reader on arbitrary upstream
 * bytes.
 *
 * Input: byte 0 picks the largest piece (in units of 1 + len/1024 bytes),
 * byte 1 seeds the piece sizes, the rest is the stream from the upstream
 * (request id 1). The stream is fed one-shot, in data-derived pieces and
 * (up to 4 KiB) byte by byte. Checked:
 *   - every span lies inside the piece it was returned from;
 *   - STDOUT/STDERR content is exactly what a plain reference walk of the
 *     records finds (never more than the records declare, never padding);
 *   - every way of cutting the stream gives the same outcome.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi_codec.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

struct outcome {
    uint8_t *out, *err;
    size_t out_len, err_len;
    unsigned eof;  /* empty STDOUT events */
    int end;       /* FCGI_EV_END seen */
    int failed;    /* FCGI_EV_ERROR seen */
    uint32_t app_status;
    uint8_t protocol_status;
    size_t consumed;
};

static void outcome_init(struct outcome *o, size_t cap)
{
    memset(o, 0, sizeof *o);
    o->out = malloc(cap ? cap : 1);
    o->err = malloc(cap ? cap : 1);
    CHECK(o->out && o->err);
}

static void outcome_free(struct outcome *o)
{
    free(o->out);
    free(o->err);
}

/*
 * Feed one piece, copied to the very end of `scratch` (scratch_len bytes,
 * an exact heap block) so that AddressSanitizer catches a read past the
 * piece. Returns 1 once the reader has failed (stop feeding).
 */
static int feed(struct fcgi_reader *r, uint8_t *scratch, size_t scratch_len, const uint8_t *src,
                size_t plen, struct outcome *o)
{
    uint8_t *piece = scratch + scratch_len - plen;
    memcpy(piece, src, plen);
    const uint8_t *p = piece;
    size_t len = plen;
    int stop = 0;

    while (len > 0 && !stop) {
        size_t used, dlen;
        const uint8_t *data;
        enum fcgi_event ev = fcgi_reader_next(r, p, len, &used, &data, &dlen);
        CHECK(used <= len);
        if (ev == FCGI_EV_STDOUT || ev == FCGI_EV_STDERR) {
            CHECK(data >= p && data + dlen <= p + used);
        } else {
            CHECK(data == NULL && dlen == 0);
        }
        switch (ev) {
        case FCGI_EV_NEED_MORE:
            CHECK(used == len);
            break;
        case FCGI_EV_STDOUT:
            o->eof += dlen == 0;
            memcpy(o->out + o->out_len, data, dlen);
            o->out_len += dlen;
            break;
        case FCGI_EV_STDERR:
            CHECK(dlen > 0);
            memcpy(o->err + o->err_len, data, dlen);
            o->err_len += dlen;
            break;
        case FCGI_EV_END:
            CHECK(!o->end);
            o->end = 1;
            o->app_status = r->app_status;
            o->protocol_status = r->protocol_status;
            break;
        case FCGI_EV_ERROR:
            CHECK(r->error != NULL);
            o->failed = 1;
            stop = 1;
            break;
        }
        o->consumed += used;
        p += used;
        len -= used;
    }
    return stop;
}

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* max_piece 0 = one shot. */
static void run(const uint8_t *s, size_t n, size_t max_piece, uint32_t seed, struct outcome *o)
{
    struct fcgi_reader r;
    size_t at = 0;
    size_t scratch_len = max_piece ? max_piece : n;
    uint8_t *scratch = malloc(scratch_len ? scratch_len : 1);

    CHECK(scratch);
    fcgi_reader_init(&r, 1);
    outcome_init(o, n);
    while (at < n) {
        size_t piece = max_piece ? 1 + next_rand(&seed) % max_piece : n - at;
        if (piece > n - at)
            piece = n - at;
        if (feed(&r, scratch, scratch_len, s + at, piece, o))
            break;
        at += piece;
    }
    free(scratch);
}

/* The same stream, walked record by record without any incremental state. */
static void reference(const uint8_t *s, size_t n, struct outcome *o)
{
    size_t at = 0;
    int closed = 0;

    outcome_init(o, n);
    while (at < n) {
        struct fcgi_header h;
        if (o->end || n - at < FCGI_HEADER_LEN) {
            o->failed = o->end; /* bytes after END, else just incomplete */
            return;
        }
        if (fcgi_header_decode(s + at, n - at, &h) < 0 || h.request_id != 1) {
            o->failed = 1;
            return;
        }
        size_t body = at + FCGI_HEADER_LEN;
        size_t avail = n - body;
        size_t clen = h.content_length < avail ? h.content_length : avail;
        if (h.type == FCGI_STDOUT) {
            if (closed) {
                o->failed = 1;
                return;
            }
            memcpy(o->out + o->out_len, s + body, clen);
            o->out_len += clen;
            if (h.content_length == 0) {
                closed = 1;
                o->eof++;
            }
        } else if (h.type == FCGI_STDERR) {
            memcpy(o->err + o->err_len, s + body, clen);
            o->err_len += clen;
        } else if (h.type == FCGI_END_REQUEST && h.content_length == 8) {
            if (avail < 8u + h.padding_length)
                return;
            fcgi_end_request_decode(s + body, 8, &o->app_status, &o->protocol_status);
            o->end = 1;
        } else {
            o->failed = 1;
            return;
        }
        at = body + h.content_length + h.padding_length;
    }
}

static void same(const struct outcome *a, const struct outcome *b)
{
    CHECK(a->out_len == b->out_len && memcmp(a->out, b->out, a->out_len) == 0);
    CHECK(a->err_len == b->err_len && memcmp(a->err, b->err, a->err_len) == 0);
    CHECK(a->eof == b->eof);
    CHECK(a->end == b->end && a->failed == b->failed);
    CHECK(a->app_status == b->app_status && a->protocol_status == b->protocol_status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const uint8_t *s = data + 2;
    size_t n = size - 2;
    /* Pieces scale with the stream, so a long stream is not fed in
     * thousands of tiny pieces (byte by byte is covered below). */
    size_t max_piece = ((size_t)data[0] + 1) * (1 + n / 1024);
    uint32_t seed = 0x9e3779b9u ^ data[1];

    struct outcome whole, cut, ref;
    run(s, n, 0, 0, &whole);
    run(s, n, max_piece, seed, &cut);
    reference(s, n, &ref);
    same(&whole, &cut);
    same(&whole, &ref);
    CHECK(whole.consumed == cut.consumed);
    CHECK(whole.out_len + whole.err_len <= n);
    if (n <= 4096) {
        struct outcome bytes;
        run(s, n, 1, 0, &bytes);
        same(&whole, &bytes);
        outcome_free(&bytes);
    }
    outcome_free(&whole);
    outcome_free(&cut);
    outcome_free(&ref);
    return 0;
}
