/*
 * http_response.c - see http_response.h.
 */
#include "http_response.h"

#include <stdio.h>
#include <string.h>

void http_date_update(struct http_date *d, time_t now)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    if (d->second == now && d->line[0] != '\0')
        return;
    gmtime_r(&now, &tm);
    snprintf(d->line, sizeof d->line, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
             days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    d->second = now;
}

/* The statuses kiln answers on its own. */
static const unsigned error_statuses[] = {400, 403, 404, 405, 408, 413, 414, 417,
                                          431, 500, 501, 502, 503, 504, 505};
#define N_ERRORS (sizeof error_statuses / sizeof error_statuses[0])

static char error_text[N_ERRORS][192];
static char error_body[N_ERRORS][64];
static struct http_error errors[N_ERRORS];

void http_errors_init(void)
{
    for (size_t i = 0; i < N_ERRORS; i++) {
        unsigned s = error_statuses[i];
        int blen = snprintf(error_body[i], sizeof error_body[i], "%u %s\n", s, http_reason(s));
        int hlen = snprintf(error_text[i], sizeof error_text[i],
                            "HTTP/1.1 %u %s\r\n"
                            "Content-Type: text/plain; charset=utf-8\r\n"
                            "Content-Length: %d\r\n"
                            "%s",
                            s, http_reason(s), blen, s == 503 ? "Retry-After: 1\r\n" : "");
        errors[i].head.ptr = error_text[i];
        errors[i].head.len = (uint32_t)hlen;
        errors[i].body.ptr = error_body[i];
        errors[i].body.len = (uint32_t)blen;
    }
}

const struct http_error *http_error_get(unsigned status)
{
    for (size_t i = 0; i < N_ERRORS; i++)
        if (error_statuses[i] == status)
            return &errors[i];
    return http_error_get(500);
}
