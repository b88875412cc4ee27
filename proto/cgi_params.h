/*
 * cgi_params.h - the FastCGI params (CGI/1.1 environment) of one request.
 *
 * Pure: writes encoded name-value pairs into the caller's buffer (the
 * request arena) and nothing else. The constant params are baked by the
 * generator (site->fcgi_static_params) and copied first; this adds what
 * varies per request, in this order (PHP does not care about the order; it
 * is fixed so the output is reproducible):
 *
 *   SERVER_PROTOCOL  "HTTP/1.0" or "HTTP/1.1"
 *   SERVER_NAME      req->host without its port, lower-cased (nginx $host,
 *                    Apache); an IPv6 literal keeps its brackets ("[::1]")
 *                    so "http://".SERVER_NAME stays a valid URL. Without a
 *                    host: listen_host (bracketed when IPv6), else
 *                    "localhost".
 *   REQUEST_METHOD
 *   REQUEST_URI      the raw target; for an absolute-form target its path
 *                    and "?query" only (what nginx sends)
 *   SCRIPT_NAME      script->script_name (decoded)
 *   SCRIPT_FILENAME  document_root + script_name; a root of "/" adds nothing
 *   PATH_INFO        script->path_info (decoded); always sent, "" when
 *                    none, like nginx: php-fpm treats "" and absent alike
 *                    when SCRIPT_FILENAME exists
 *   QUERY_STRING     raw, "" when none
 *   DOCUMENT_URI     script_name + path_info
 *   REMOTE_ADDR, REMOTE_PORT
 *   CONTENT_TYPE     the first Content-Type header; "" when there is none
 *   CONTENT_LENGTH   `content_length` in decimal when the request has a
 *                    body (Content-Length or chunked, "0" included), else
 *                    "". Both are always sent, as nginx's stock
 *                    fastcgi_params do: php-fpm reads absent and empty
 *                    alike, and applications written against nginx may
 *                    test isset(). With CGI_LENGTH_LATER it is left out
 *                    here and appended last by cgi_params_content_length()
 *                    once the body is in (a chunked body's length is known
 *                    only at its end).
 *   HTTPS            "on", only on a TLS connection
 *   REQUEST_SCHEME   "https" or "http"
 *   SERVER_ADDR
 *   HTTP_HOST        req->host (the Host header, or the absolute-form
 *                    authority that overrides it), when there is one
 *   HTTP_<NAME>      one per forwarded request header, in arrival order
 *   HTTP_X_FORWARDED_FOR, HTTP_X_REAL_IP   the peer address
 *
 * Request headers:
 *   - names are upper-cased with '-' turned into '_'; a name with any byte
 *     but ASCII letters, digits and '-', or without a letter, is dropped
 *     (so "X_Forwarded_For" cannot pose as X-Forwarded-For);
 *   - never forwarded: Proxy (httpoxy), X-Forwarded-For and X-Real-IP
 *     (replaced by the peer address), Content-Type and Content-Length (sent
 *     as CONTENT_*), Host (sent as HTTP_HOST from req->host), the
 *     hop-by-hop headers Connection, Keep-Alive, Proxy-Connection, TE,
 *     Trailer, Transfer-Encoding, Upgrade, Proxy-Authorization, Expect, and
 *     any header named in Connection;
 *   - when site->cors.enabled, Origin, Access-Control-Request-Method and
 *     Access-Control-Request-Headers are not forwarded either: the proxy is
 *     the only CORS authority;
 *   - repeated Cookie lines are joined into one HTTP_COOKIE with "; ",
 *     other repeated headers with ", " (RFC 9110 5.3), in arrival order;
 *     names are grouped case-insensitively, without allocation (about
 *     4 KiB of stack).
 */
#ifndef KILN_CGI_PARAMS_H
#define KILN_CGI_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "script.h"
#include "site.h"

/* The most request header lines cgi_params_build() forwards; a request
 * with more gets 0 (431). The generator keeps max_headers below it. */
#define CGI_PARAMS_MAX_HEADERS 1024u

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
 * Never writes past out + cap. A header that is dropped never makes the
 * result 0, however large it is. More than CGI_PARAMS_MAX_HEADERS header
 * lines also give 0.
 */
size_t cgi_params_build(uint8_t *out, size_t cap, const struct kiln_site *site,
                        const struct http_request *req, const struct script_result *script,
                        const struct cgi_conn_info *conn, uint64_t content_length);

/* content_length for cgi_params_build(): leave CONTENT_LENGTH out. */
#define CGI_LENGTH_LATER UINT64_MAX

/* The most bytes cgi_params_content_length() writes. */
#define CGI_LENGTH_PAIR_MAX 36

/* Encode CONTENT_LENGTH alone (for params built with CGI_LENGTH_LATER).
 * Returns the bytes written, or 0 when they do not fit in cap. */
size_t cgi_params_content_length(uint8_t *out, size_t cap, uint64_t content_length);

#endif /* KILN_CGI_PARAMS_H */
