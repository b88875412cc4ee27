/*
 * fcgi_codec.h - FastCGI 1.0 record and name-value codec, written from the
 * specification (fastcgi.com spec, sections 3 and 5).
 *
 * Pure: no I/O, no allocation. Shared with kiln-gen, which uses the params
 * encoder to bake the constant part of every request's params.
 *
 * Record layout:
 *
 *   0        1        2        3        4        5        6        7
 *   +--------+--------+--------+--------+--------+--------+--------+--------+
 *   |version |  type  |   requestId     |  contentLength  |padding |reserved|
 *   +--------+--------+--------+--------+--------+--------+--------+--------+
 *   | contentData (contentLength bytes) | paddingData (paddingLength bytes) |
 *
 * Name-value pair: each length is one byte (0..127) or four bytes with the
 * top bit set (big endian, up to 2^31-1), name length first, then the name
 * and value bytes.
 */
#ifndef KILN_FCGI_CODEC_H
#define KILN_FCGI_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define FCGI_VERSION_1 1
#define FCGI_HEADER_LEN 8
#define FCGI_MAX_CONTENT 65535u

enum fcgi_type {
    FCGI_BEGIN_REQUEST = 1,
    FCGI_ABORT_REQUEST = 2,
    FCGI_END_REQUEST = 3,
    FCGI_PARAMS = 4,
    FCGI_STDIN = 5,
    FCGI_STDOUT = 6,
    FCGI_STDERR = 7,
    FCGI_DATA = 8,
    FCGI_GET_VALUES = 9,
    FCGI_GET_VALUES_RESULT = 10,
    FCGI_UNKNOWN_TYPE = 11,
};

enum fcgi_role { FCGI_RESPONDER = 1, FCGI_AUTHORIZER = 2, FCGI_FILTER = 3 };
#define FCGI_KEEP_CONN 1

enum fcgi_protocol_status {
    FCGI_REQUEST_COMPLETE = 0,
    FCGI_CANT_MPX_CONN = 1,
    FCGI_OVERLOADED = 2,
    FCGI_UNKNOWN_ROLE = 3,
};

struct fcgi_header {
    uint8_t version;
    uint8_t type;
    uint16_t request_id;
    uint16_t content_length;
    uint8_t padding_length;
};

/* Write an 8-byte record header. */
void fcgi_header_encode(uint8_t out[FCGI_HEADER_LEN], uint8_t type, uint16_t request_id,
                        uint16_t content_length, uint8_t padding_length);

/* Read an 8-byte record header from buf[0..len). Returns 8, 0 when len < 8,
 * or -1 when the version is not 1. The type is not checked here. */
int fcgi_header_decode(const uint8_t *buf, size_t len, struct fcgi_header *h);

/* Set the request id of every record in buf[0..len), a run of whole
 * records: a request is encoded before the connection that carries it (and
 * so its id) is known. Returns 0, or -1 when buf does not end exactly on a
 * record boundary (nothing is guaranteed about buf then). */
int fcgi_records_set_id(uint8_t *buf, size_t len, uint16_t request_id);

/* Write a complete BEGIN_REQUEST record (16 bytes). */
void fcgi_begin_request_encode(uint8_t out[16], uint16_t request_id, uint16_t role,
                               uint8_t flags);

/* Decode the 8-byte body of an END_REQUEST record. Returns 0, or -1 when
 * len != 8. */
int fcgi_end_request_decode(const uint8_t *body, size_t len, uint32_t *app_status,
                            uint8_t *protocol_status);

/* Bytes one name-value pair takes once encoded. */
size_t fcgi_param_size(size_t name_len, size_t value_len);

/* Encode one pair at `out`, which must have fcgi_param_size() bytes.
 * Returns the bytes written. Lengths must be below 2^31. */
size_t fcgi_param_encode(uint8_t *out, const char *name, size_t name_len,
                         const char *value, size_t value_len);

/* Decode one pair from buf[0..len). Returns the bytes consumed, or 0 when
 * buf holds less than one whole pair (or, never in practice, when the pair
 * is longer than INT_MAX bytes). The 4-byte length form is accepted for any
 * length, as the spec allows. */
int fcgi_param_decode(const uint8_t *buf, size_t len, const uint8_t **name,
                      uint32_t *name_len, const uint8_t **value, uint32_t *value_len);

/*
 * Response reader: walks the records an upstream sends for one request and
 * yields STDOUT/STDERR content as spans of the input, zero-copy. Handles
 * records split anywhere across calls (a partial header is kept in the
 * reader). Checks every record: version 1, the expected request id, a type
 * of STDOUT, STDERR or END_REQUEST, END_REQUEST content of exactly 8 bytes,
 * nothing on STDOUT after its empty closing record, and nothing after
 * END_REQUEST. Padding is skipped; FCGI_EV_END is returned only once the
 * END_REQUEST padding has been read too, so at that point no byte of this
 * response is left on the connection.
 */
enum fcgi_event {
    FCGI_EV_NEED_MORE = 0, /* consumed everything given; call with more */
    FCGI_EV_STDOUT,        /* data, data_len: STDOUT content (length 0
                            * for the empty record that closes the stream;
                            * php-fpm 8.2 never sends that record, its
                            * END_REQUEST alone ends STDOUT) */
    FCGI_EV_STDERR,        /* data, data_len: STDERR content */
    FCGI_EV_END,           /* END_REQUEST read; see app_status/protocol_status */
    FCGI_EV_ERROR,         /* protocol violation; see error */
};

struct fcgi_reader {
    uint16_t request_id;     /* expected id, set by fcgi_reader_init */
    uint8_t state;           /* private */
    uint8_t hfill;           /* private: bytes in hbuf */
    uint8_t hbuf[FCGI_HEADER_LEN]; /* private: partial header or END body */
    struct fcgi_header hdr;  /* private: current record */
    uint32_t content_left;   /* private */
    uint32_t padding_left;   /* private */
    uint32_t app_status;     /* valid after FCGI_EV_END */
    uint8_t protocol_status; /* valid after FCGI_EV_END */
    uint8_t stdout_closed;   /* an empty STDOUT record was seen */
    uint8_t answered;        /* a record for this request id was seen */
    uint8_t foreign;         /* the error is a record for another id */
    const char *error;       /* static description after FCGI_EV_ERROR */
};

void fcgi_reader_init(struct fcgi_reader *r, uint16_t request_id);

/*
 * fcgi_reader_next - advance over buf[0..len).
 *
 * Sets *consumed to the bytes used and returns the event they produced.
 * Returns at most one content span per call, so call in a loop:
 *
 *   while (len > 0) {
 *       ev = fcgi_reader_next(&r, buf, len, &used, &data, &dlen);
 *       buf += used; len -= used;
 *       if (ev == FCGI_EV_NEED_MORE) break;
 *       ...
 *   }
 *
 * After FCGI_EV_END any further byte is FCGI_EV_ERROR ("data after
 * END_REQUEST"): the connection is not clean and must not be reused.
 * A record for another request id is FCGI_EV_ERROR with r->foreign set;
 * with r->answered still 0 nothing of this request's answer was seen (the
 * bytes are strays of an earlier request on the same connection).
 * FCGI_EV_ERROR is sticky: every later call returns it and consumes nothing.
 */
enum fcgi_event fcgi_reader_next(struct fcgi_reader *r, const uint8_t *buf, size_t len,
                                 size_t *consumed, const uint8_t **data,
                                 size_t *data_len);

#endif /* KILN_FCGI_CODEC_H */
