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

/* Bounds on what is not data (each one more is CHUNKED_ERROR). */
#define CHUNKED_MAX_LINE        4096 /* bytes of a size or trailer line, without CRLF */
#define CHUNKED_MAX_SIZE_DIGITS 16   /* hex digits of a chunk-size, leading zeros included */
#define CHUNKED_MAX_TRAILERS    64   /* trailer field lines */

struct chunked_decoder {
    uint8_t state;        /* private: enum chunked_state in http_chunked.c */
    uint8_t size_digits;  /* private: hex digits of the chunk-size so far */
    uint8_t trailers;     /* private: trailer lines so far */
    uint32_t line_len;    /* private: bytes of the current size/trailer line */
    uint64_t chunk_left;  /* private: data bytes left in the current chunk
                           * (while the size line is read: the size so far) */
    uint64_t total;       /* data bytes decoded so far */
    uint64_t max_total;   /* limit on `total`; exceeding it is an error */
    uint8_t done;         /* set once the final CRLF after trailers is read */
};

enum chunked_result {
    CHUNKED_OK = 0,       /* consumed some input; see *data, *data_len */
    CHUNKED_ERROR = -1,   /* malformed: answer 400 and close */
    CHUNKED_TOO_LARGE = -2, /* total would exceed max_total: answer 413 */
};

/* Reset `d` for a new body of at most max_total data bytes. */
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
 * The decoder keeps its own state between calls: a call consumes every byte
 * it is given unless it stops after a data span or at the end of the body,
 * and the caller only keeps the bytes past *consumed. *data is NULL when
 * *data_len is 0. Returns CHUNKED_OK, CHUNKED_ERROR or CHUNKED_TOO_LARGE. Bounded:
 * a size or trailer line longer than CHUNKED_MAX_LINE bytes, a size with more
 * than CHUNKED_MAX_SIZE_DIGITS hex digits, or more than CHUNKED_MAX_TRAILERS
 * trailer lines is CHUNKED_ERROR. A chunk-size that would take `total` past
 * max_total is CHUNKED_TOO_LARGE as soon as its digits say so, before any of
 * its data. Strict, with no repair: a bare LF, a CR not followed by LF,
 * anything but CRLF right after the data, whitespace after the size that is
 * not followed by ';', a malformed extension and obs-fold or whitespace
 * before the colon in a trailer are all CHUNKED_ERROR.
 *
 * On an error *consumed and *data_len are 0, and the error is final: every
 * further call returns it again. After d->done, calls consume nothing and
 * return CHUNKED_OK.
 */
int chunked_decode(struct chunked_decoder *d, const uint8_t *in, size_t len,
                   size_t *consumed, const uint8_t **data, size_t *data_len);

#endif /* KILN_HTTP_CHUNKED_H */
