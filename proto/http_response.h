/*
 * http_response.h - the pieces of responses kiln writes itself: reason
 * phrases, the Date header, and ready-made error responses.
 *
 * Error responses carry a generic body (the status text); the detail of
 * what went wrong goes only to the log.
 */
#ifndef KILN_HTTP_RESPONSE_H
#define KILN_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http_reason.h"
#include "site.h"

/* "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" for one second, cached per
 * thread and refreshed by its once-a-second timer. */
#define HTTP_DATE_LINE_LEN 37
struct http_date {
    time_t second;
    char line[64]; /* HTTP_DATE_LINE_LEN used */
};
void http_date_update(struct http_date *d, time_t now);

/* A prebuilt error response: `head` is the status line, Content-Type and
 * Content-Length (plus Retry-After for 503); the caller appends Date,
 * Connection and the blank line, then `body`. */
struct http_error {
    struct kiln_bytes head;
    struct kiln_bytes body;
};

/* Build the table once at start-up. */
void http_errors_init(void);

/* The error response for a 4xx/5xx status (500 for one not in the table). */
const struct http_error *http_error_get(unsigned status);

#endif /* KILN_HTTP_RESPONSE_H */
