/*
 * netaddr.h - network address syntax: IP literals, host names, host:port,
 * CIDR networks, CORS origins and upstream URLs.
 *
 * Written out in full rather than with inet_pton/getaddrinfo, so the
 * accepted language is ours and the same on every build host:
 *   - IPv4 is exactly four decimal octets 0..255 without leading zeros:
 *     "010.0.0.1" is octal 8.0.0.1 to inet_aton but 10.0.0.1 to a reader,
 *     so it is rejected rather than guessed at;
 *   - IPv6 is RFC 4291 section 2.2 text (hex groups, one "::", an optional
 *     dotted IPv4 tail), without a zone ("%eth0"), which no config needs;
 *   - a host name is RFC 1123 labels of letters, digits and '-', plus '_'
 *     (Docker Compose service names use it), each 1..63 bytes, at most 253
 *     in all, an optional final '.'; a name whose last label is all digits
 *     looks like a broken IPv4 address and is rejected.
 *
 * Pure functions: no allocation, no I/O. The parse functions return NULL on
 * success or a static reason that completes "<value>: <reason>".
 */
#ifndef KILN_GEN_NETADDR_H
#define KILN_GEN_NETADDR_H

#include <stddef.h>
#include <stdint.h>

int ip4_parse(const char *s, size_t len, uint8_t out[4]);
int ip6_parse(const char *s, size_t len, uint8_t out[16]);
/* Returns NULL when s is a valid host name, else why not. */
const char *hostname_check(const char *s, size_t len);

enum host_kind { HOST_NONE, HOST_NAME, HOST_IP4, HOST_IP6 };

struct hostport {
    enum host_kind kind; /* HOST_NONE: empty host (":8080") */
    const char *host;    /* into the input, without brackets */
    size_t host_len;
    uint8_t addr[16];    /* HOST_IP4: first 4 bytes; HOST_IP6: all 16 */
    uint16_t port;
};

/* "host:port", "[v6]:port" or ":port"; port is decimal 1..65535. */
const char *hostport_parse(const char *s, size_t len, struct hostport *hp);

/* A network, IPv4 stored as IPv4-mapped IPv6 with prefix + 96, masked. */
struct cidr {
    uint8_t addr[16];
    uint8_t prefix;    /* 0..128 */
    uint8_t host_bits; /* the text had bits set below the prefix */
    uint8_t is_ip4;    /* written as IPv4 */
};

/* "a.b.c.d/n" (n 0..32) or "v6/n" (n 0..128). */
const char *cidr_parse(const char *s, size_t len, struct cidr *c);

/* Longest text cidr_format() writes, with its NUL. */
#define CIDR_TEXT_MAX 64
/* Canonical text: dotted IPv4 for IPv4, RFC 5952 for IPv6. */
void cidr_format(const struct cidr *c, char out[CIDR_TEXT_MAX]);

/* A CORS origin: "null", "*" or scheme "://" host [":" port] with scheme
 * http, https or app, no path, query, fragment, userinfo or trailing '/'.
 * On success, lower[0..len) holds the lower-cased form (scheme and host are
 * case-insensitive; RFC 6454), NUL-terminated: lower needs len + 1 bytes.
 * *default_port is set when an explicit port equals the scheme's default,
 * which browsers never send. */
const char *origin_parse(const char *s, size_t len, char *lower, int *default_port);

/* An upstream URL: http:// or https://, a valid host [":" port], no
 * userinfo; then optionally a path and query of printable ASCII. */
const char *url_check(const char *s, size_t len);

#endif /* KILN_GEN_NETADDR_H */
