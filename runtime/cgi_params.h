/*
 * cgi_params.h - the FastCGI params (CGI/1.1 environment) of one request.
 *
 * Pure: writes encoded name-value pairs into the caller's buffer (the
 * request arena) and nothing else. The constant params are baked by the
 * generator (site->fcgi_static_params) and copied first; this adds what
 * varies per request:
 *
 *   SERVER_PROTOCOL, REQUEST_METHOD, REQUEST_URI, QUERY_STRING,
 *   SCRIPT_NAME, SCRIPT_FILENAME, PATH_INFO, DOCUMENT_URI, SERVER_NAME,
 *   SERVER_ADDR, REMOTE_ADDR, REMOTE_PORT, REQUEST_SCHEME, HTTPS (TLS only),
 *   CONTENT_TYPE, CONTENT_LENGTH (from the body actually sent),
 *   HTTP_X_FORWARDED_FOR and HTTP_X_REAL_IP (the peer address), and one
 *   HTTP_<NAME> per forwarded request header.
 *
 * Request headers:
 *   - names are upper-cased with '-' turned into '_'; a name with any byte
 *     but ASCII letters, digits and '-', or without a letter, is dropped
 *     (so "X_Forwarded_For" cannot pose as X-Forwarded-For);
 *   - never forwarded: Proxy (httpoxy), X-Forwarded-For and X-Real-IP
 *     (replaced by the peer address), Content-Type and Content-Length (sent
 *     as CONTENT_*), the hop-by-hop headers Connection, Keep-Alive,
 *     Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade,
 *     Proxy-Authorization, Expect, and any header named in Connection;
 *   - repeated Cookie lines are joined into one HTTP_COOKIE with "; ",
 *     other repeated headers with ", " (RFC 9110 5.3), in arrival order.
 */
#ifndef KILN_CGI_PARAMS_H
#define KILN_CGI_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "script.h"
#include "site.h"

/* What the connection knows that the request head does not. */
struct cgi_conn_info {
    const char *remote_addr; /* textual peer address, no brackets */
    const char *remote_port;
    const char *server_addr; /* textual local address, no brackets */
    uint8_t remote_addr_len;
    uint8_t remote_port_len;
    uint8_t server_addr_len;
    uint8_t tls;             /* 1 when the client connection is TLS */
};

/*
 * cgi_params_build - encode every param of one request into out[0..cap).
 *
 * `content_length` is the body length that will be sent on STDIN (for a
 * chunked request, the decoded length). SERVER_NAME comes from req->host
 * without its port (or listen_host, else "localhost", when there is no
 * Host).
 *
 * Returns the number of bytes written, or 0 when they do not fit in cap
 * (the caller answers 431: the request's headers are too large to forward).
 */
size_t cgi_params_build(uint8_t *out, size_t cap, const struct kiln_site *site,
                        const struct http_request *req, const struct script_result *script,
                        const struct cgi_conn_info *conn, uint64_t content_length);

#endif /* KILN_CGI_PARAMS_H */
