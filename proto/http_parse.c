/*
 * http_parse.c - strict, incremental, zero-copy HTTP/1.1 request head parser
 * (RFC 9112, RFC 9110; the contract is in http_parse.h).
 *
 * Two passes over the head:
 *
 *   scan_head()   runs on every call and resumes where the previous call
 *                 stopped, so a head that trickles in costs O(n) in all. It
 *                 only looks for control bytes (SIMD where available): CR
 *                 must be followed by LF, LF must follow CR, HTAB is let
 *                 through, anything else below 0x20 and DEL is a 400 at
 *                 once. It counts lines and enforces the three limits.
 *
 *   parse_head()  runs once, after the scan has seen the empty line. It may
 *                 therefore rely on what the scan proved: every line of
 *                 [start, head_len) ends in CRLF and holds no control byte
 *                 but HTAB, so the grammar loops need no bounds checks (the
 *                 CR that ends each line stops them all) and field values
 *                 need no per-byte check at all.
 *
 * Because both passes look at the bytes in order, and the scan never looks
 * past the point where a limit is crossed, the result does not depend on how
 * the input was split across calls.
 */
#include "http_parse.h"

#include "ascii.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- byte classes -------------------------------------------------------- */

#define T_ HTTP_CT_TCHAR
#define F_ HTTP_CT_FIELD
#define Q_ HTTP_CT_QDTEXT

/* Ranges are disjoint (gcc's -Woverride-init would flag an overlap). */
const uint8_t http_ctype[256] = {
    ['\t'] = F_ | Q_,
    [' '] = F_ | Q_,
    ['!'] = T_ | F_ | Q_,
    ['"'] = F_,
    ['#' ... '\''] = T_ | F_ | Q_,
    ['(' ... ')'] = F_ | Q_,
    ['*' ... '+'] = T_ | F_ | Q_,
    [','] = F_ | Q_,
    ['-' ... '.'] = T_ | F_ | Q_,
    ['/'] = F_ | Q_,
    ['0' ... '9'] = T_ | F_ | Q_,
    [':' ... '@'] = F_ | Q_,
    ['A' ... 'Z'] = T_ | F_ | Q_,
    ['['] = F_ | Q_,
    ['\\'] = F_,
    [']'] = F_ | Q_,
    ['^' ... '`'] = T_ | F_ | Q_,
    ['a' ... 'z'] = T_ | F_ | Q_,
    ['{'] = F_ | Q_,
    ['|'] = T_ | F_ | Q_,
    ['}'] = F_ | Q_,
    ['~'] = T_ | F_ | Q_,
    [0x80 ... 0xff] = F_ | Q_,
};

#undef T_
#undef F_
#undef Q_

/* Bytes of a request-target. Everything else ends it: SP (the separator),
 * CR (a missing version), and the bytes the target may never hold: controls,
 * DEL, '#' (a fragment is never sent) and anything >= 0x80 (must be
 * percent-encoded). */
enum target_class {
    TC_END = 0,
    TC_OK = 1,    /* a flag, so that runs can be tested 8 bytes at a time */
    TC_PCT = 2,   /* '%': must start a percent-escape */
    TC_QUERY = 4, /* '?': the first one starts the query */
};

static const uint8_t target_class[256] = {
    ['!' ... '"'] = TC_OK,
    ['$'] = TC_OK,
    ['%'] = TC_PCT,
    ['&' ... '>'] = TC_OK,
    ['?'] = TC_QUERY,
    ['@' ... '~'] = TC_OK,
};

/* reg-name of RFC 3986 without pct-encoded: unreserved and sub-delims. */
static const uint8_t regname_char[256] = {
    ['!'] = 1,
    ['$'] = 1,
    ['&' ... '.'] = 1,
    ['0' ... '9'] = 1,
    [';'] = 1,
    ['='] = 1,
    ['A' ... 'Z'] = 1,
    ['_'] = 1,
    ['a' ... 'z'] = 1,
    ['~'] = 1,
};

/*
 * Skip the bytes whose class in `table` has `bit`, from p, stopping at the
 * first one without it; the caller guarantees such a byte exists before
 * `end`. Eight bytes are tested with one branch while at least eight remain:
 * a byte-at-a-time loop spends a branch per byte on header names and paths.
 */
static inline const uint8_t *skip_class(const uint8_t *p, const uint8_t *end,
                                        const uint8_t *table, uint8_t bit)
{
    while (end - p >= 8 && (table[p[0]] & table[p[1]] & table[p[2]] & table[p[3]] &
                            table[p[4]] & table[p[5]] & table[p[6]] & table[p[7]] & bit))
        p += 8;
    while (table[*p] & bit)
        p++;
    return p;
}

static inline int is_hex(uint8_t c)
{
    return (unsigned)(c - '0') < 10u || (unsigned)((c | 0x20) - 'a') < 6u;
}

static inline int is_digit(uint8_t c)
{
    return (unsigned)(c - '0') < 10u;
}

static inline int is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* ---- pass 1: the incremental scan --------------------------------------- */

/*
 * Offset of the first byte in s[0..n) the scan has to look at: a control byte
 * (< 0x20, so CR, LF and HTAB too) or DEL; n when there is none. Headers are
 * long runs of printable bytes, so testing 16 at a time is most of the win.
 */
static inline size_t find_ctl(const uint8_t *s, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i top3 = _mm_set1_epi8((char)0xE0);
    const __m128i del = _mm_set1_epi8(0x7F);
    const __m128i zero = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i ctl = _mm_cmpeq_epi8(_mm_and_si128(v, top3), zero); /* c < 0x20 */
        __m128i hit = _mm_or_si128(ctl, _mm_cmpeq_epi8(v, del));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask != 0)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
    for (; i < n; i++)
        if (s[i] < 0x20 || s[i] == 0x7F)
            return i;
    return n;
}

/*
 * The CR ending the line that holds p; the scan proved there is one before
 * `end`. Inline rather than memchr: lines are short, and a call per header
 * line costs more than the search.
 */
static inline const uint8_t *find_cr(const uint8_t *p, const uint8_t *end)
{
#if defined(__SSE2__)
    const __m128i cr = _mm_set1_epi8('\r');
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr));
        if (mask != 0)
            return p + __builtin_ctz(mask);
    }
#else
    (void)end;
#endif
    while (*p != '\r')
        p++;
    return p;
}

/*
 * A CRLF at `cr` ended the line that began at p->line_start. Returns 1 when
 * that was the empty line ending the head, 0 to go on, or a negated status.
 */
static int end_line(struct http_parser *p, size_t cr, const struct http_limits *lim)
{
    int empty = cr == p->line_start;

    p->line_start = (uint32_t)(cr + 2);
    if (empty) {
        if (p->lines > 0)
            return 1;
        /* RFC 9112 2.2: tolerate a few CRLFs left over from a previous
         * request, but do not let a client stream them forever. */
        return ++p->skipped > HTTP_MAX_LEADING_CRLF ? -400 : 0;
    }
    if (++p->lines - 1 > lim->max_headers)
        return -431;
    return 0;
}

/*
 * Scan buf[p->scanned..len) for the end of the head. Returns the head length
 * once the empty line is in, 0 for "need more", or a negated status.
 *
 * The scan never looks at a byte at or past max_head, nor, in the request
 * line, past the first byte that makes the line too long: every error is
 * then decided by a prefix of the input, which is what makes the result
 * independent of how the input was split.
 */
static int scan_head(struct http_parser *p, const uint8_t *buf, size_t len, size_t max_head,
                     const struct http_limits *lim)
{
    size_t end = len < max_head ? len : max_head;
    size_t pos = p->scanned;
    int rc;

    if (p->saw_cr) {
        if (pos >= end)
            goto incomplete;
        if (buf[pos] != '\n')
            return -400; /* CR not followed by LF */
        p->saw_cr = 0;
        pos++;
        if ((rc = end_line(p, pos - 2, lim)) != 0)
            goto line_result;
    }
    while (pos < end) {
        size_t stop = end;
        /* In the request line, stop at the byte after the longest allowed
         * line: only CR may be there. */
        uint64_t rl_stop = (uint64_t)p->line_start + lim->max_request_line + 1;
        if (p->lines == 0 && rl_stop < stop)
            stop = (size_t)rl_stop;

        size_t i = pos + find_ctl(buf + pos, stop - pos);
        if (i == stop) {
            pos = stop;
            if (stop < end)
                break; /* request line too long: 414 below */
            continue;
        }
        if (buf[i] == '\t') {
            pos = i + 1;
            continue;
        }
        if (buf[i] != '\r')
            return -400; /* bare LF, NUL, any other control byte, DEL */
        if (i + 1 == end) {
            p->saw_cr = 1;
            pos = end;
            break;
        }
        if (buf[i + 1] != '\n')
            return -400; /* CR not followed by LF */
        pos = i + 2;
        if ((rc = end_line(p, i, lim)) != 0)
            goto line_result;
    }

incomplete:
    p->scanned = (uint32_t)pos;
    if (p->lines == 0 && pos - p->line_start - p->saw_cr > lim->max_request_line)
        return -414;
    /* All max_head bytes are here and the head has not ended: it cannot
     * fit any more. Saying so now, not one byte later, lets a caller whose
     * buffer holds exactly max_header_size bytes get its 431. */
    if (len >= max_head)
        return -431;
    return 0;

line_result:
    p->scanned = (uint32_t)pos;
    return rc > 0 ? (int)pos : rc;
}

/* ---- pass 2: the full parse --------------------------------------------- */

/* What the header lines said about framing and connection handling. */
struct head_facts {
    const struct http_header *host;
    const struct http_header *content_length;
    const struct http_header *transfer_encoding;
    uint32_t n_host;
    uint32_t n_content_length;
    uint32_t n_transfer_encoding;
    uint8_t conn_close;
    uint8_t conn_keep_alive;
    uint8_t expect_continue;
    uint8_t expect_other;
};

static int bytes_eq(const uint8_t *s, size_t n, const char *lit, size_t lit_len)
{
    return n == lit_len && memcmp(s, lit, n) == 0;
}

/* Methods are case-sensitive (RFC 9110 9.1): "get" is an unknown method. */
static int method_lookup(const uint8_t *m, size_t n, uint8_t *id)
{
    static const struct {
        const char *name;
        uint8_t len;
        uint8_t id;
    } known[] = {
        {"GET", 3, HTTP_M_GET},         {"HEAD", 4, HTTP_M_HEAD},
        {"POST", 4, HTTP_M_POST},       {"PUT", 3, HTTP_M_PUT},
        {"DELETE", 6, HTTP_M_DELETE},   {"OPTIONS", 7, HTTP_M_OPTIONS},
        {"PATCH", 5, HTTP_M_PATCH},
    };

    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (bytes_eq(m, n, known[i].name, known[i].len)) {
            *id = known[i].id;
            return 0;
        }
    }
    /* kiln tunnels nothing (CONNECT) and echoes nothing back (TRACE, which
     * would reflect credentials to a script in the page). */
    if (bytes_eq(m, n, "CONNECT", 7) || bytes_eq(m, n, "TRACE", 5))
        return -405;
    *id = HTTP_M_OTHER;
    return 0;
}

/* "HTTP/1.1" or "HTTP/1.0" exactly; another well-formed version is 505. */
static int parse_version(const uint8_t *v, size_t n, uint8_t *minor)
{
    if (n == 8 && memcmp(v, "HTTP/1.", 7) == 0 && (v[7] == '0' || v[7] == '1')) {
        *minor = (uint8_t)(v[7] - '0');
        return 0;
    }
    if (n == 8 && memcmp(v, "HTTP/", 5) == 0 && is_digit(v[5]) && v[6] == '.' &&
        is_digit(v[7]))
        return -505;
    return -400;
}

/* port = 1*5DIGIT, at most 65535 (an empty port is refused, although
 * RFC 3986 allows it: nobody sends one on purpose). */
static int port_valid(const uint8_t *s, size_t n)
{
    uint32_t v = 0;

    if (n == 0 || n > 5)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return 0;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    return v <= 65535;
}

static int ipv6_valid(const uint8_t *s, size_t n)
{
    char text[INET6_ADDRSTRLEN];
    struct in6_addr addr;

    if (n == 0 || n >= sizeof text)
        return 0;
    memcpy(text, s, n);
    text[n] = '\0';
    return inet_pton(AF_INET6, text, &addr) == 1;
}

/*
 * Host syntax (RFC 9110 7.2, RFC 3986 3.2.2): uri-host [ ":" port ], where
 * uri-host is an IP-literal "[IPv6]" or a non-empty reg-name (which covers
 * IPv4 too). No userinfo ('@'), no '/', no whitespace, no "..": applications
 * build file paths from SERVER_NAME (one config per site). An empty value is
 * valid; the caller decides where that is allowed.
 */
static int host_valid(const uint8_t *s, size_t n)
{
    const uint8_t *p = s, *end = s + n;

    if (n == 0)
        return 1;
    if (*p == '[') {
        const uint8_t *close = memchr(p, ']', n);
        if (close == NULL || !ipv6_valid(p + 1, (size_t)(close - p - 1)))
            return 0;
        p = close + 1;
    } else {
        while (p < end) {
            if (*p == '.' && p > s && p[-1] == '.') {
                return 0; /* "..": SERVER_NAME ends up in file paths */
            } else if (regname_char[*p]) {
                p++;
            } else if (*p == '%' && end - p >= 3 && is_hex(p[1]) && is_hex(p[2])) {
                p += 3;
            } else {
                break;
            }
        }
        if (p == s)
            return 0;
    }
    if (p == end)
        return 1;
    return *p == ':' && port_valid(p + 1, (size_t)(end - p - 1));
}

/* Does target t[0..n) start with "http://" or "https://" (any case)?
 * Returns the length of that prefix, or 0. */
static size_t http_scheme_len(const uint8_t *t, size_t n)
{
    static const char http[] = "http://";
    size_t i = 0;

    for (; i < 4; i++)
        if (i >= n || ascii_lower(t[i]) != (uint8_t)http[i])
            return 0;
    if (i < n && ascii_lower(t[i]) == 's')
        i++;
    if (n - i < 3 || memcmp(t + i, "://", 3) != 0)
        return 0;
    return i + 3;
}

/*
 * Split an absolute-form target "http://authority/path?query": the authority
 * becomes req->host, and target/path keep only the origin-form part (which
 * is what REQUEST_URI and routing need).
 */
static int parse_absolute_form(struct http_request *r, const uint8_t *t, size_t n)
{
    size_t s = http_scheme_len(t, n);
    const uint8_t *auth, *a_end, *end = t + n;

    if (s == 0)
        return -400; /* neither origin-form, nor http(s), nor "*" */
    auth = t + s;
    a_end = auth;
    while (a_end < end && *a_end != '/' && *a_end != '?')
        a_end++;
    if (a_end == auth || !host_valid(auth, (size_t)(a_end - auth)))
        return -400;
    if (a_end == end || *a_end != '/')
        return -400; /* no path: "http://h" or "http://h?q" */
    r->host = (const char *)auth;
    r->host_len = (uint32_t)(a_end - auth);
    r->target = (const char *)a_end;
    r->target_len = (uint32_t)(end - a_end);
    r->flags |= HTTP_F_ABSOLUTE_FORM;
    return 0;
}

/*
 * Classify target t[0..n) (bytes already checked) and set target, path and
 * query. `q` is the first '?' in it, or NULL.
 */
static int parse_target(struct http_request *r, const uint8_t *t, size_t n, const uint8_t *q)
{
    const uint8_t *end = t + n;

    r->target = (const char *)t;
    r->target_len = (uint32_t)n;
    if (t[0] == '*') {
        /* asterisk-form: exactly "*", and only for OPTIONS (RFC 9112 3.2.4) */
        if (n != 1 || r->method_id != HTTP_M_OPTIONS)
            return -400;
        r->flags |= HTTP_F_ASTERISK;
    } else if (t[0] != '/') {
        int rc = parse_absolute_form(r, t, n);
        if (rc != 0)
            return rc;
    }
    r->path = r->target;
    if (q != NULL) {
        r->flags |= HTTP_F_HAS_QUERY;
        r->query = (const char *)q + 1;
        r->query_len = (uint32_t)(end - q - 1);
    } else {
        r->query = (const char *)end;
        r->query_len = 0;
    }
    r->path_len = (uint32_t)(r->query - r->path - (q != NULL));
    return 0;
}

/*
 *   request-line = method SP request-target SP HTTP-version CRLF
 *
 * Parses the line at *pp and leaves *pp at the next line.
 */
static int parse_request_line(const uint8_t **pp, const uint8_t *head_end, struct http_request *r)
{
    const uint8_t *p = *pp, *m = p, *t, *q = NULL, *v, *cr;
    int rc;

    p = skip_class(p, head_end, http_ctype, HTTP_CT_TCHAR);
    if (p == m || *p != ' ')
        return -400;
    if (p - m > HTTP_MAX_METHOD_LEN)
        return -501;
    r->method = (const char *)m;
    r->method_len = (uint32_t)(p - m);

    t = ++p;
    for (;;) {
        p = skip_class(p, head_end, target_class, TC_OK);
        if (*p == '?') {
            if (q == NULL)
                q = p;
            p++;
        } else if (*p == '%') {
            /* p[1] and p[2] exist: the line ends in CR, which is not hex */
            if (!is_hex(p[1]) || !is_hex(p[2]))
                return -400;
            p += 3;
        } else {
            break;
        }
    }
    /* Anything but exactly one SP after a non-empty target: a space inside
     * the target, a fragment, a control or non-ASCII byte, two spaces. */
    if (p == t || *p != ' ')
        return -400;

    v = p + 1;
    cr = find_cr(v, head_end);
    if ((rc = parse_version(v, (size_t)(cr - v), &r->version_minor)) != 0)
        return rc;
    if ((rc = method_lookup(m, (size_t)r->method_len, &r->method_id)) != 0)
        return rc;
    if ((rc = parse_target(r, t, (size_t)(p - t), q)) != 0)
        return rc;
    *pp = cr + 2;
    return 0;
}

/* Connection = #connection-option: look for "close" and "keep-alive" in one
 * walk over the list (http_list_has_token would take two). */
static void note_connection(const struct http_header *h, struct head_facts *f)
{
    const char *p = h->value, *end = h->value + h->value_len;

    while (p < end) {
        const char *s = p, *t;
        while (p < end && *p != ',')
            p++;
        t = p;
        while (s < t && is_ows((uint8_t)*s))
            s++;
        while (t > s && is_ows((uint8_t)t[-1]))
            t--;
        if (http_name_eq(s, (uint32_t)(t - s), "close", 5))
            f->conn_close = 1;
        else if (http_name_eq(s, (uint32_t)(t - s), "keep-alive", 10))
            f->conn_keep_alive = 1;
        if (p < end)
            p++; /* the comma */
    }
}

/* Note what a header line means for framing; its syntax is already checked. */
static void note_header(const struct http_header *h, struct head_facts *f)
{
    switch (h->name_len) {
    case 4:
        if (http_name_eq(h->name, 4, "host", 4)) {
            f->host = h;
            f->n_host++;
        }
        break;
    case 6:
        if (http_name_eq(h->name, 6, "expect", 6)) {
            if (http_name_eq(h->value, h->value_len, "100-continue", 12))
                f->expect_continue = 1;
            else
                f->expect_other = 1;
        }
        break;
    case 10:
        if (http_name_eq(h->name, 10, "connection", 10))
            note_connection(h, f);
        break;
    case 14:
        if (http_name_eq(h->name, 14, "content-length", 14)) {
            f->content_length = h;
            f->n_content_length++;
        }
        break;
    case 17:
        if (http_name_eq(h->name, 17, "transfer-encoding", 17)) {
            f->transfer_encoding = h;
            f->n_transfer_encoding++;
        }
        break;
    default:
        break;
    }
}

/*
 *   field-line = field-name ":" OWS field-value OWS CRLF
 *
 * Parses the header lines at p up to the empty line. The scan already
 * refused control bytes, so a value needs no byte check: only trimming.
 */
static int parse_headers(const uint8_t *p, const uint8_t *head_end, const struct http_limits *lim,
                         struct http_request *r, struct head_facts *f)
{
    uint32_t n = 0;

    while (*p != '\r') {
        const uint8_t *name = p, *value, *vend, *cr;
        struct http_header *h;

        p = skip_class(p, head_end, http_ctype, HTTP_CT_TCHAR);
        /* Stops here: obs-fold (a line starting with SP/HTAB), whitespace
         * or any other non-token byte before the colon, no colon at all,
         * an empty name. */
        if (*p != ':' || p == name)
            return -400;
        if (n == lim->max_headers)
            return -431; /* the scan counted already; never trust it blindly */
        h = &r->headers[n++];
        h->name = (const char *)name;
        h->name_len = (uint32_t)(p - name);

        p++;
        while (is_ows(*p))
            p++;
        value = p;
        cr = find_cr(p, head_end);
        vend = cr;
        while (vend > value && is_ows(vend[-1]))
            vend--;
        h->value = (const char *)value;
        h->value_len = (uint32_t)(vend - value);
        note_header(h, f);
        p = cr + 2;
    }
    r->n_headers = n;
    return 0;
}

/* Content-Length = 1*DIGIT, at most INT64_MAX (so it fits an off_t). */
static int parse_content_length(const char *s, uint32_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0)
        return -400;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (!is_digit(c))
            return -400; /* sign, space, comma list, hex, ... */
        if (v > (uint64_t)(INT64_MAX - (c - '0')) / 10)
            return -400;
        v = v * 10 + (uint64_t)(c - '0');
    }
    *out = v;
    return 0;
}

/*
 * The message framing (RFC 9112 6.1-6.3) and the headers that change how the
 * request is handled. Any ambiguity about where the body ends is a 400:
 * another hop might resolve it differently (request smuggling).
 */
static int check_framing(struct http_request *r, const struct head_facts *f)
{
    const struct http_header *h;

    if (f->n_host > 1 || (r->version_minor == 1 && f->n_host == 0))
        return -400;
    if ((h = f->host) != NULL && !host_valid((const uint8_t *)h->value, h->value_len))
        return -400;
    if (!(r->flags & HTTP_F_ABSOLUTE_FORM)) {
        r->host = h != NULL ? h->value : r->method;
        r->host_len = h != NULL ? h->value_len : 0;
    }

    if (f->n_content_length > 1 || f->n_transfer_encoding > 1)
        return -400;
    if ((h = f->transfer_encoding) != NULL) {
        if (r->version_minor == 0 || f->n_content_length != 0 ||
            !http_name_eq(h->value, h->value_len, "chunked", 7))
            return -400;
        r->flags |= HTTP_F_CHUNKED;
    }
    if ((h = f->content_length) != NULL) {
        if (parse_content_length(h->value, h->value_len, &r->content_length) != 0)
            return -400;
        r->flags |= HTTP_F_CONTENT_LENGTH;
    }

    if (f->expect_other)
        return -417;
    if (f->expect_continue && r->version_minor == 1)
        r->flags |= HTTP_F_EXPECT_CONTINUE;

    if (r->version_minor == 1 ? !f->conn_close : (f->conn_keep_alive && !f->conn_close))
        r->flags |= HTTP_F_KEEP_ALIVE;
    return 0;
}

/* Parse the complete head buf[0..head_len), whose request line starts after
 * `skipped` empty lines. */
static int parse_head(const uint8_t *buf, size_t head_len, uint32_t skipped,
                      const struct http_limits *lim, struct http_request *req)
{
    const uint8_t *p = buf + 2 * (size_t)skipped, *head_end = buf + head_len;
    struct http_request r = {.headers = req->headers};
    struct head_facts f = {0};
    int rc;

    if ((rc = parse_request_line(&p, head_end, &r)) != 0)
        return rc;
    if ((rc = parse_headers(p, head_end, lim, &r, &f)) != 0)
        return rc;
    if ((rc = check_framing(&r, &f)) != 0)
        return rc;
    r.head_len = (uint32_t)head_len;
    *req = r;
    return (int)head_len;
}

/* ---- public -------------------------------------------------------------- */

void http_parser_init(struct http_parser *p)
{
    memset(p, 0, sizeof *p);
}

int http_parse_request(struct http_parser *p, const uint8_t *buf, size_t len,
                       const struct http_limits *lim, struct http_request *req)
{
    size_t max_head = lim->max_header_size < INT32_MAX ? lim->max_header_size : INT32_MAX;
    int rc = scan_head(p, buf, len, max_head, lim);

    if (rc <= 0)
        return rc;
    return parse_head(buf, (size_t)rc, p->skipped, lim, req);
}

int http_name_eq(const char *a, uint32_t a_len, const char *b, uint32_t b_len)
{
    if (a_len != b_len)
        return 0;
    for (uint32_t i = 0; i < a_len; i++)
        if (a[i] != b[i] && ascii_lower((uint8_t)a[i]) != ascii_lower((uint8_t)b[i]))
            return 0;
    return 1;
}

int http_list_has_token(const char *value, uint32_t len, const char *token, uint32_t token_len)
{
    const char *p = value, *end = value + len;

    while (p < end) {
        const char *e = memchr(p, ',', (size_t)(end - p));
        const char *s = p, *t;

        if (e == NULL)
            e = end;
        t = e;
        while (s < t && is_ows((uint8_t)*s))
            s++;
        while (t > s && is_ows((uint8_t)t[-1]))
            t--;
        if (http_name_eq(s, (uint32_t)(t - s), token, token_len))
            return 1;
        if (e == end)
            break;
        p = e + 1;
    }
    return 0;
}
