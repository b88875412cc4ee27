/*
 * http_chunked.h - incremental decoder for the chunked transfer coding of
 * request bodies (RFC 9112 section 7.1).
 *
 * Pure and zero-copy: data comes back as spans of the input buffer. Chunk
 * extensions are checked for syntax and ignored; trailer fields are checked
 * like header fields and discarded (they are never forwarded).
 *
 *   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk = 1*"0" [ chunk-ext ] CRLF
 *   body       = *chunk last-chunk trailer-section CRLF
 */
#ifndef KILN_HTTP_CHUNKED_H
#define KILN_HTTP_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

struct chunked_decoder {
    uint8_t state;        /* private */
    uint8_t size_digits;  /* private */
    uint8_t saw_cr;       /* private */
    uint32_t line_len;    /* private: bytes of the current size/trailer line */
    uint64_t chunk_left;  /* private: data bytes left in the current chunk */
    uint64_t total;       /* data bytes decoded so far */
    uint64_t max_total;   /* limit on `total`; exceeding it is an error */
    uint8_t done;         /* set once the final CRLF after trailers is read */
};

enum chunked_result {
    CHUNKED_OK = 0,       /* consumed some input; see *data/*data_len */
    CHUNKED_ERROR = -1,   /* malformed: answer 400 and close */
    CHUNKED_TOO_LARGE = -2, /* total would exceed max_total: answer 413 */
};

void chunked_init(struct chunked_decoder *d, uint64_t max_total);

/*
 * chunked_decode - decode from in[0..len).
 *
 * Sets *consumed to the input bytes used (possibly fewer than len: the call
 * stops after each data span, and at the end of the body, leaving any
 * following bytes -- a pipelined request -- untouched). When the bytes
 * consumed include chunk data, *data and *data_len give that span (a part
 * of `in`); otherwise *data_len is 0. Call again with the rest until
 * *consumed is 0 (need more input) or d->done is set.
 *
 * Returns CHUNKED_OK, CHUNKED_ERROR or CHUNKED_TOO_LARGE. Bounded: a size or
 * trailer line longer than 4096 bytes, a size with more than 16 hex digits,
 * or more than 64 trailer lines is CHUNKED_ERROR.
 */
int chunked_decode(struct chunked_decoder *d, const uint8_t *in, size_t len,
                   size_t *consumed, const uint8_t **data, size_t *data_len);

#endif /* KILN_HTTP_CHUNKED_H */
