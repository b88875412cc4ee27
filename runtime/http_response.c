/*
 * http_response.c - see http_response.h.
 */
#include "http_response.h"

#include <stdio.h>
#include <string.h>

const char *http_reason(unsigned status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
    }
}

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
