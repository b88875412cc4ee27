/*
 * http_chunked.c - incremental decoder for the chunked transfer coding
 * (RFC 9112 7.1; the contract is in http_chunked.h).
 *
 * A byte-at-a-time state machine for everything that is not data (size
 * lines, extensions, CRLFs, trailers), and whole spans for the data, which
 * is nearly all of a body. The state machine consumes every byte it sees, so
 * an input split anywhere decodes the same as in one piece.
 *
 *   chunk-size [ BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ]* CRLF
 *   chunk-data CRLF
 *   ...
 *   1*"0" [ chunk-ext ] CRLF
 *   *( field-name ":" OWS field-value OWS CRLF )
 *   CRLF
 */
#include "http_chunked.h"

#include "ascii.h"

#include "http_parse.h" /* http_ctype: trailers are checked like header fields */

#include <string.h>

/* The states, in line order. The size line runs from CS_SIZE_FIRST to
 * CS_EXT_QUOTED_END and a trailer line from CS_TRAILER_START to
 * CS_TRAILER_VALUE; the bytes in those states count towards
 * CHUNKED_MAX_LINE. */
enum chunked_state {
    CS_SIZE_FIRST = 0, /* the first hex digit of a chunk-size */
    CS_SIZE,           /* more hex digits, or what follows them */
    CS_EXT_BWS,        /* BWS after the size or a value: only BWS or ';' may follow */
    CS_EXT_NAME_START, /* after ';': BWS, then the extension name */
    CS_EXT_NAME,       /* in the name */
    CS_EXT_NAME_BWS,   /* BWS after the name: BWS, ';' or '=' */
    CS_EXT_VALUE_START, /* after '=': BWS, then a token or a quoted-string */
    CS_EXT_TOKEN,      /* in a token value */
    CS_EXT_QUOTED,     /* in a quoted-string value */
    CS_EXT_QUOTED_PAIR, /* after a backslash in it */
    CS_EXT_QUOTED_END, /* after the closing quote */
    CS_SIZE_LF,        /* CR ended the size line, LF must follow */
    CS_DATA,           /* chunk_left data bytes to go */
    CS_DATA_CR,        /* the CR after the data */
    CS_DATA_LF,        /* the LF after the data */
    CS_TRAILER_START,  /* a trailer field line, or the final CRLF */
    CS_TRAILER_NAME,   /* in the field name */
    CS_TRAILER_VALUE,  /* after the colon */
    CS_TRAILER_LF,     /* CR ended a trailer line, LF must follow */
    CS_FINAL_LF,       /* CR of the final empty line, LF must follow */
    CS_DONE,
    CS_FAILED,         /* CHUNKED_ERROR was returned */
    CS_TOO_LARGE,      /* CHUNKED_TOO_LARGE was returned */
};


static inline int is_tchar(uint8_t c)
{
    return http_ctype[c] & HTTP_CT_TCHAR;
}

static inline int is_bws(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static inline int in_line(uint8_t state)
{
    return state <= CS_EXT_QUOTED_END ||
           (state >= CS_TRAILER_START && state <= CS_TRAILER_VALUE);
}

/* Another hex digit of the chunk-size. The limit is checked on every digit:
 * the size only grows, so it is refused before the rest of it arrives. */
static int size_digit(struct chunked_decoder *d, int v)
{
    if (d->size_digits == CHUNKED_MAX_SIZE_DIGITS)
        return CHUNKED_ERROR; /* also what keeps the size within 64 bits */
    d->size_digits++;
    d->chunk_left = d->chunk_left << 4 | (uint64_t)v;
    if (d->chunk_left > d->max_total - d->total)
        return CHUNKED_TOO_LARGE;
    return CHUNKED_OK;
}

/* The size line ends: the chunk's data follows, or the trailers. */
static void size_line_done(struct chunked_decoder *d)
{
    d->line_len = 0;
    d->state = d->chunk_left == 0 ? CS_TRAILER_START : CS_DATA;
}

/* Start the next size line. */
static void next_chunk(struct chunked_decoder *d)
{
    d->state = CS_SIZE_FIRST;
    d->size_digits = 0;
    d->chunk_left = 0;
    d->line_len = 0;
}

/* The chunk-size and chunk-ext states. */
static int size_line_byte(struct chunked_decoder *d, uint8_t c)
{
    int v;

    switch (d->state) {
    case CS_SIZE_FIRST:
        if ((v = ascii_hex_value(c)) < 0)
            return CHUNKED_ERROR; /* sign, space, "0x", empty size */
        d->state = CS_SIZE;
        return size_digit(d, v);
    case CS_SIZE:
        if ((v = ascii_hex_value(c)) >= 0)
            return size_digit(d, v);
        break; /* what may follow a size may follow a value: below */
    case CS_EXT_BWS:
        if (is_bws(c))
            return CHUNKED_OK;
        if (c != ';')
            return CHUNKED_ERROR; /* BWS is only allowed before ';' */
        d->state = CS_EXT_NAME_START;
        return CHUNKED_OK;
    case CS_EXT_NAME_START:
        if (is_bws(c))
            return CHUNKED_OK;
        if (!is_tchar(c))
            return CHUNKED_ERROR;
        d->state = CS_EXT_NAME;
        return CHUNKED_OK;
    case CS_EXT_NAME:
        if (is_tchar(c))
            return CHUNKED_OK;
        if (is_bws(c)) {
            d->state = CS_EXT_NAME_BWS;
            return CHUNKED_OK;
        }
        if (c == '=') {
            d->state = CS_EXT_VALUE_START;
            return CHUNKED_OK;
        }
        break;
    case CS_EXT_NAME_BWS:
        if (is_bws(c))
            return CHUNKED_OK;
        if (c == '=')
            d->state = CS_EXT_VALUE_START;
        else if (c == ';')
            d->state = CS_EXT_NAME_START;
        else
            return CHUNKED_ERROR;
        return CHUNKED_OK;
    case CS_EXT_VALUE_START:
        if (is_bws(c))
            return CHUNKED_OK;
        if (c == '"')
            d->state = CS_EXT_QUOTED;
        else if (is_tchar(c))
            d->state = CS_EXT_TOKEN;
        else
            return CHUNKED_ERROR;
        return CHUNKED_OK;
    case CS_EXT_TOKEN:
        if (is_tchar(c))
            return CHUNKED_OK;
        break;
    case CS_EXT_QUOTED:
        if (c == '"')
            d->state = CS_EXT_QUOTED_END;
        else if (c == '\\')
            d->state = CS_EXT_QUOTED_PAIR;
        else if (!(http_ctype[c] & HTTP_CT_QDTEXT))
            return CHUNKED_ERROR; /* CR, LF and other controls included */
        return CHUNKED_OK;
    case CS_EXT_QUOTED_PAIR:
        /* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
        if (!(http_ctype[c] & HTTP_CT_FIELD))
            return CHUNKED_ERROR;
        d->state = CS_EXT_QUOTED;
        return CHUNKED_OK;
    case CS_EXT_QUOTED_END:
        break;
    default:
        return CHUNKED_ERROR;
    }

    /* After the size, an extension name without value, a token value or a
     * closing quote: another extension, BWS before one, or the line end. */
    if (c == ';')
        d->state = CS_EXT_NAME_START;
    else if (is_bws(c))
        d->state = CS_EXT_BWS;
    else if (c == '\r')
        d->state = CS_SIZE_LF;
    else
        return CHUNKED_ERROR; /* a bare LF, a non-hex digit, junk */
    return CHUNKED_OK;
}

/* The trailer section: field lines like header lines, then CRLF. */
static int trailer_byte(struct chunked_decoder *d, uint8_t c)
{
    switch (d->state) {
    case CS_TRAILER_START:
        if (c == '\r') {
            d->state = CS_FINAL_LF;
            return CHUNKED_OK;
        }
        /* obs-fold and an empty name land here too */
        if (!is_tchar(c) || d->trailers == CHUNKED_MAX_TRAILERS)
            return CHUNKED_ERROR;
        d->trailers++;
        d->state = CS_TRAILER_NAME;
        return CHUNKED_OK;
    case CS_TRAILER_NAME:
        if (is_tchar(c))
            return CHUNKED_OK;
        if (c != ':')
            return CHUNKED_ERROR; /* whitespace before the colon, no colon */
        d->state = CS_TRAILER_VALUE;
        return CHUNKED_OK;
    case CS_TRAILER_VALUE:
        if (c == '\r')
            d->state = CS_TRAILER_LF;
        else if (!(http_ctype[c] & HTTP_CT_FIELD))
            return CHUNKED_ERROR; /* NUL, bare LF, other controls, DEL */
        return CHUNKED_OK;
    case CS_TRAILER_LF:
        if (c != '\n')
            return CHUNKED_ERROR;
        d->line_len = 0;
        d->state = CS_TRAILER_START;
        return CHUNKED_OK;
    case CS_FINAL_LF:
        if (c != '\n')
            return CHUNKED_ERROR;
        d->state = CS_DONE;
        d->done = 1;
        return CHUNKED_OK;
    default:
        return CHUNKED_ERROR;
    }
}

/* One byte that is not chunk data. */
static int control_byte(struct chunked_decoder *d, uint8_t c)
{
    if (in_line(d->state) && c != '\r' && ++d->line_len > CHUNKED_MAX_LINE)
        return CHUNKED_ERROR;

    switch (d->state) {
    case CS_SIZE_LF:
        if (c != '\n')
            return CHUNKED_ERROR;
        size_line_done(d);
        return CHUNKED_OK;
    case CS_DATA_CR:
        /* Exactly CRLF after the data: anything else means the size lied,
         * which is what a smuggled request would look like. */
        if (c != '\r')
            return CHUNKED_ERROR;
        d->state = CS_DATA_LF;
        return CHUNKED_OK;
    case CS_DATA_LF:
        if (c != '\n')
            return CHUNKED_ERROR;
        next_chunk(d);
        return CHUNKED_OK;
    default:
        if (d->state <= CS_EXT_QUOTED_END)
            return size_line_byte(d, c);
        return trailer_byte(d, c);
    }
}

void chunked_init(struct chunked_decoder *d, uint64_t max_total)
{
    memset(d, 0, sizeof *d);
    d->state = CS_SIZE_FIRST;
    d->max_total = max_total;
}

int chunked_decode(struct chunked_decoder *d, const uint8_t *in, size_t len,
                   size_t *consumed, const uint8_t **data, size_t *data_len)
{
    size_t i = 0;

    *data = NULL;
    *data_len = 0;
    *consumed = 0;
    if (d->state == CS_FAILED)
        return CHUNKED_ERROR;
    if (d->state == CS_TOO_LARGE)
        return CHUNKED_TOO_LARGE;

    while (i < len && d->state != CS_DONE) {
        if (d->state == CS_DATA) {
            size_t n = len - i;
            if (n > d->chunk_left)
                n = (size_t)d->chunk_left;
            *data = in + i;
            *data_len = n;
            d->chunk_left -= n;
            d->total += n;
            i += n;
            if (d->chunk_left == 0)
                d->state = CS_DATA_CR;
            break; /* one data span per call */
        }
        int rc = control_byte(d, in[i]);
        if (rc != CHUNKED_OK) {
            d->state = rc == CHUNKED_TOO_LARGE ? CS_TOO_LARGE : CS_FAILED;
            return rc;
        }
        i++;
    }
    *consumed = i;
    return CHUNKED_OK;
}
