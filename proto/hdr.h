/*
 * hdr.h - what kiln does with a header, by name: the one table for the
 * request side (which headers never reach the application as HTTP_*), the
 * response side (which headers the application may not send to the
 * client) and the generator (which headers response_headers may not set).
 *
 * Pure: names compare case-insensitively; the table is static.
 */
#ifndef KILN_HDR_H
#define KILN_HDR_H

#include <stddef.h>
#include <stdint.h>

#define HDR_REQ_DROP  0x01u /* never forwarded to the application as HTTP_* */
#define HDR_REQ_CORS  0x02u /* not forwarded while kiln answers CORS */
#define HDR_RESP_DROP 0x04u /* dropped from the application's response */
#define HDR_MANAGED   0x08u /* kiln sets it itself: not configurable */
#define HDR_HOP       0x10u /* hop-by-hop (RFC 9110 7.6.1) */

/* The headers a caller may want to tell apart (hdr_info.id). */
enum hdr_id {
    HDR_ID_OTHER = 0,
    HDR_ID_CONNECTION,
    HDR_ID_CONTENT_LENGTH,
    HDR_ID_X_ACCEL_BUFFERING,
};

struct hdr_info {
    const char *name; /* canonical spelling */
    uint8_t len;
    uint8_t flags;    /* HDR_* */
    uint8_t id;       /* enum hdr_id */
    const char *why;  /* for HDR_MANAGED: why it cannot be configured */
};

/* The flags of header `name` (0 when kiln gives it no special treatment);
 * *info, when not NULL, points at its entry (or NULL). */
unsigned hdr_class(const char *name, size_t len, const struct hdr_info **info);

/* The table itself, for diagnostics and tests. */
extern const struct hdr_info hdr_table[];
extern const size_t hdr_table_len;

#endif /* KILN_HDR_H */
