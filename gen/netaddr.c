/*
 * netaddr.c - IP literals, host names, host:port, CIDR, origins and URLs.
 */
#include "netaddr.h"

#include "ascii.h"

#include <stdio.h>
#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower_ascii(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Decimal 0..max without leading zeros ("0" itself is fine). Returns the
 * digits used, 0 when none or when over max. */
static size_t parse_dec(const char *s, size_t len, unsigned max, unsigned *out)
{
    size_t i = 0;
    unsigned v = 0;
    while (i < len && is_digit(s[i])) {
        if (i == 1 && s[0] == '0')
            return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > max)
            return 0;
        i++;
    }
    *out = v;
    return i;
}

int ip4_parse(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return -1;
            i++;
        }
        unsigned v = 0;
        size_t n = parse_dec(s + i, len - i, 255, &v);
        if (n == 0)
            return -1;
        out[part] = (uint8_t)v;
        i += n;
    }
    return i == len ? 0 : -1;
}

int ip6_parse(const char *s, size_t len, uint8_t out[16])
{
    uint16_t words[8];
    int n = 0, gap = -1;
    size_t i = 0;
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (len == 0 || s[0] == ':') {
        return -1;
    }
    while (i < len) {
        if (n == 8)
            return -1;
        size_t j = i;
        while (j < len && ascii_hex_value((uint8_t)s[j]) >= 0)
            j++;
        if (j < len && s[j] == '.') {
            uint8_t v4[4];
            if (n > 6 || ip4_parse(s + i, len - i, v4) != 0)
                return -1;
            words[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
            words[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = len;
            break;
        }
        if (j == i || j - i > 4)
            return -1;
        unsigned w = 0;
        for (size_t k = i; k < j; k++)
            w = w << 4 | (unsigned)ascii_hex_value((uint8_t)s[k]);
        words[n++] = (uint16_t)w;
        i = j;
        if (i == len)
            break;
        if (s[i] != ':')
            return -1;
        i++;
        if (i < len && s[i] == ':') {
            if (gap >= 0)
                return -1;
            gap = n;
            i++;
        } else if (i == len) {
            return -1; /* a single trailing ':' */
        }
    }
    /* "::" stands for at least one group of zeros. */
    if ((gap < 0 && n != 8) || (gap >= 0 && n == 8))
        return -1;
    memset(out, 0, 16);
    int tail = gap < 0 ? 0 : n - gap;
    for (int k = 0; k < n - tail; k++) {
        out[2 * k] = (uint8_t)(words[k] >> 8);
        out[2 * k + 1] = (uint8_t)words[k];
    }
    for (int k = 0; k < tail; k++) {
        int at = 8 - tail + k;
        out[2 * at] = (uint8_t)(words[n - tail + k] >> 8);
        out[2 * at + 1] = (uint8_t)words[n - tail + k];
    }
    return 0;
}

const char *hostname_check(const char *s, size_t len)
{
    if (len > 0 && s[len - 1] == '.')
        len--;
    if (len == 0)
        return "host name is empty";
    if (len > 253)
        return "host name is longer than 253 bytes";
    size_t start = 0;
    int all_digits = 1;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            size_t label = i - start;
            if (label == 0)
                return "host name has an empty label";
            if (label > 63)
                return "host name label is longer than 63 bytes";
            if (s[start] == '-' || s[i - 1] == '-')
                return "host name label starts or ends with '-'";
            if (i < len) {
                start = i + 1;
                all_digits = 1;
            }
            continue;
        }
        char c = s[i];
        if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
              c == '_'))
            return "host name may contain only letters, digits, '-', '_' and '.'";
        if (!is_digit(c))
            all_digits = 0;
    }
    if (all_digits)
        return "not a valid IPv4 address (four decimal octets 0-255, no leading zeros)";
    return NULL;
}

static const char *parse_port(const char *s, size_t len, uint16_t *port)
{
    unsigned v = 0;
    if (len == 0)
        return "port is missing";
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return "port must be a decimal number 1-65535";
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > 65535)
            return "port must be 1-65535";
    }
    if (v == 0)
        return "port must be 1-65535";
    *port = (uint16_t)v;
    return NULL;
}

/* Classify and check a host (brackets already removed for IPv6). */
static const char *parse_host(const char *h, size_t len, int bracketed, struct hostport *hp)
{
    hp->host = h;
    hp->host_len = len;
    memset(hp->addr, 0, sizeof hp->addr);
    if (bracketed) {
        hp->kind = HOST_IP6;
        return ip6_parse(h, len, hp->addr) == 0 ? NULL : "not a valid IPv6 address";
    }
    if (len == 0) {
        hp->kind = HOST_NONE;
        return NULL;
    }
    if (memchr(h, ':', len) != NULL)
        return "an IPv6 address must be in brackets, e.g. [::1]:9000";
    if (ip4_parse(h, len, hp->addr) == 0) {
        hp->kind = HOST_IP4;
        return NULL;
    }
    hp->kind = HOST_NAME;
    return hostname_check(h, len);
}

const char *hostport_parse(const char *s, size_t len, struct hostport *hp)
{
    const char *host = s, *port;
    size_t host_len;
    int bracketed = 0;
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return "missing ']' after the IPv6 address";
        host = s + 1;
        host_len = (size_t)(close - host);
        if ((size_t)(close - s) + 1 >= len || close[1] != ':')
            return "expected ':port' after ']'";
        port = close + 2;
        bracketed = 1;
    } else {
        const char *colon = NULL;
        for (size_t i = len; i > 0; i--) {
            if (s[i - 1] == ':') {
                colon = s + i - 1;
                break;
            }
        }
        if (colon == NULL)
            return "missing ':port'";
        host_len = (size_t)(colon - s);
        port = colon + 1;
    }
    const char *why = parse_port(port, len - (size_t)(port - s), &hp->port);
    if (why != NULL)
        return why;
    return parse_host(host, host_len, bracketed, hp);
}

static void apply_mask(uint8_t addr[16], unsigned prefix, uint8_t *host_bits)
{
    for (unsigned bit = prefix; bit < 128; bit++) {
        uint8_t m = (uint8_t)(0x80u >> (bit % 8));
        if (addr[bit / 8] & m) {
            *host_bits = 1;
            addr[bit / 8] &= (uint8_t)~m;
        }
    }
}

const char *cidr_parse(const char *s, size_t len, struct cidr *c)
{
    const char *slash = memchr(s, '/', len);
    if (slash == NULL)
        return "missing '/prefix' (write a single address as a.b.c.d/32 or addr/128)";
    size_t alen = (size_t)(slash - s), plen = len - alen - 1;
    memset(c, 0, sizeof *c);
    unsigned max;
    uint8_t v4[4];
    if (ip4_parse(s, alen, v4) == 0) {
        c->is_ip4 = 1;
        c->addr[10] = c->addr[11] = 0xff;
        memcpy(c->addr + 12, v4, 4);
        max = 32;
    } else if (ip6_parse(s, alen, c->addr) == 0) {
        max = 128;
    } else {
        return "not a valid IPv4 or IPv6 address";
    }
    unsigned prefix = 0;
    if (plen == 0 || parse_dec(slash + 1, plen, max, &prefix) != plen)
        return c->is_ip4 ? "prefix must be 0-32 without leading zeros"
                         : "prefix must be 0-128 without leading zeros";
    c->prefix = (uint8_t)(c->is_ip4 ? prefix + 96 : prefix);
    apply_mask(c->addr, c->prefix, &c->host_bits);
    return NULL;
}

static void format_ip6(const uint8_t a[16], char *out, size_t cap)
{
    unsigned w[8];
    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    /* RFC 5952: compress the longest run of two or more zero groups,
     * the first one on a tie. */
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            n += (size_t)snprintf(out + n, cap - n, "::");
            i += best_len - 1;
            continue;
        }
        if (n > 0 && out[n - 1] != ':')
            n += (size_t)snprintf(out + n, cap - n, ":");
        n += (size_t)snprintf(out + n, cap - n, "%x", w[i]);
    }
}

void cidr_format(const struct cidr *c, char out[CIDR_TEXT_MAX])
{
    if (c->is_ip4) {
        snprintf(out, CIDR_TEXT_MAX, "%u.%u.%u.%u/%u", c->addr[12], c->addr[13], c->addr[14],
                 c->addr[15], c->prefix - 96u);
        return;
    }
    char text[48];
    format_ip6(c->addr, text, sizeof text);
    snprintf(out, CIDR_TEXT_MAX, "%s/%u", text, c->prefix);
}

/* Shared by origins and URLs: "scheme://" at s; returns the scheme length
 * or 0. */
static size_t scheme_len(const char *s, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++) {
        if (s[i] == ':')
            return s[i + 1] == '/' && s[i + 2] == '/' && i > 0 ? i : 0;
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || is_digit(s[i]) ||
              s[i] == '+' || s[i] == '-' || s[i] == '.'))
            return 0;
    }
    return 0;
}

static int scheme_is(const char *s, size_t len, const char *want)
{
    if (strlen(want) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (lower_ascii(s[i]) != want[i])
            return 0;
    return 1;
}

/* An authority without userinfo: host [":" port]; IPv6 in brackets. */
static const char *authority_check(const char *s, size_t len, uint16_t *port, int *has_port)
{
    struct hostport hp;
    const char *why;
    *has_port = 0;
    if (len == 0)
        return "host is missing";
    if (memchr(s, '@', len) != NULL)
        return "must not contain credentials (user:pass@)";
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return "missing ']' after the IPv6 address";
        size_t after = len - (size_t)(close - s) - 1;
        if (after == 0)
            return parse_host(s + 1, (size_t)(close - s - 1), 1, &hp);
        *has_port = 1;
        why = hostport_parse(s, len, &hp);
    } else if (memchr(s, ':', len) != NULL) {
        *has_port = 1;
        why = hostport_parse(s, len, &hp);
        if (why == NULL && hp.kind == HOST_NONE)
            why = "host is missing";
    } else {
        return parse_host(s, len, 0, &hp);
    }
    *port = hp.port;
    return why;
}

const char *origin_parse(const char *s, size_t len, char *lower, int *default_port)
{
    *default_port = 0;
    if ((len == 4 && memcmp(s, "null", 4) == 0) || (len == 1 && s[0] == '*')) {
        memcpy(lower, s, len);
        lower[len] = '\0';
        return NULL;
    }
    size_t sl = scheme_len(s, len);
    if (sl == 0)
        return "must be scheme://host[:port], \"null\" or \"*\"";
    int http = scheme_is(s, sl, "http"), https = scheme_is(s, sl, "https");
    if (!http && !https && !scheme_is(s, sl, "app"))
        return "scheme must be http, https or app";
    const char *auth = s + sl + 3;
    size_t alen = len - sl - 3;
    for (size_t i = 0; i < alen; i++) {
        if (auth[i] == '/')
            return i + 1 == alen ? "must not end with '/'; an origin has no path"
                                 : "must not have a path; an origin is scheme://host[:port]";
        if (auth[i] == '?' || auth[i] == '#')
            return "must not have a query or fragment";
    }
    for (size_t i = 0; i < alen; i++)
        if ((unsigned char)auth[i] <= 0x20 || (unsigned char)auth[i] >= 0x7f)
            return "must be printable ASCII without spaces (write IDN hosts in punycode)";
    uint16_t port = 0;
    int has_port;
    const char *why = authority_check(auth, alen, &port, &has_port);
    if (why != NULL)
        return why;
    if (has_port) {
        /* Browsers serialize the port without leading zeros. */
        const char *p = auth + alen;
        while (p > auth && is_digit(p[-1]))
            p--;
        if (*p == '0')
            return "port must not have leading zeros; browsers never send them";
        *default_port = (http && port == 80) || (https && port == 443);
    }
    for (size_t i = 0; i < len; i++)
        lower[i] = lower_ascii(s[i]);
    lower[len] = '\0';
    return NULL;
}

const char *url_check(const char *s, size_t len)
{
    size_t sl = scheme_len(s, len);
    if (sl == 0 || !(scheme_is(s, sl, "http") || scheme_is(s, sl, "https")))
        return "must start with http:// or https://";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return "must be printable ASCII without spaces (percent-encode the rest)";
    const char *auth = s + sl + 3;
    size_t alen = 0;
    while (sl + 3 + alen < len && auth[alen] != '/' && auth[alen] != '?' && auth[alen] != '#')
        alen++;
    uint16_t port;
    int has_port;
    return authority_check(auth, alen, &port, &has_port);
}
