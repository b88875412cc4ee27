/*
 * cgi_params.c - encode the FastCGI params of one request (see
 * cgi_params.h for the set and the header forwarding rules).
 *
 * Every param goes through one writer that checks the capacity once per
 * param and then copies without further checks; a param that does not fit
 * marks the writer full and everything after it is a no-op, so the caller
 * sees one "0" instead of a half-written block. Header names are converted
 * to HTTP_<NAME> while they are copied into the output, in the same pass
 * that validates them.
 */
#include "cgi_params.h"

#include "ascii.h"
#include "hdr.h"

/* The pair writers are inlined at each call site, where the name and its
 * length are constants: the name copies become a few moves instead of a
 * memcpy call each (some twenty per request). */
#define ALWAYS_INLINE __attribute__((always_inline))

#include <string.h>

struct piece {
    const void *ptr;
    size_t len;
};

struct writer {
    uint8_t *p;
    uint8_t *end;
    int full; /* something did not fit: the result is void */
};

#define LIT(s) {s, sizeof(s) - 1}
#define NAME(s) s, sizeof(s) - 1

/* ---- writer ----------------------------------------------------------------- */

static inline ALWAYS_INLINE uint8_t *put_len(uint8_t *p, size_t n)
{
    if (n < 128) {
        *p++ = (uint8_t)n;
        return p;
    }
    p[0] = (uint8_t)(0x80 | (n >> 24));
    p[1] = (uint8_t)(n >> 16);
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
    return p + 4;
}

#define MAX_PARAM_LEN 0x7fffffffu /* the 4-byte length form's limit */

/* Bytes of one encoded pair; fcgi_param_size(), restated here so that the
 * per-param hot path inlines it. */
static inline ALWAYS_INLINE size_t pair_size(size_t name_len, size_t value_len)
{
    return (name_len < 128 ? 1u : 4u) + (value_len < 128 ? 1u : 4u) + name_len + value_len;
}

/* Would a pair of these lengths fit? Lengths past MAX_PARAM_LEN cannot be
 * encoded; nothing that big fits a real buffer, but check rather than
 * trust the caller's capacity (this also keeps pair_size from wrapping). */
static inline ALWAYS_INLINE int fits(const struct writer *w, size_t name_len, size_t value_len)
{
    return !w->full && name_len <= MAX_PARAM_LEN && value_len <= MAX_PARAM_LEN &&
           pair_size(name_len, value_len) <= (size_t)(w->end - w->p);
}

/*
 * Reserve one pair with a name of name_len and a value of value_len bytes:
 * writes both lengths and returns where the name goes, or NULL (and marks
 * the writer full) when the pair does not fit.
 */
static inline ALWAYS_INLINE uint8_t *reserve(struct writer *w, size_t name_len, size_t value_len)
{
    if (!fits(w, name_len, value_len)) {
        w->full = 1;
        return NULL;
    }
    uint8_t *p = put_len(w->p, name_len);
    return put_len(p, value_len);
}

static inline ALWAYS_INLINE uint8_t *copy(uint8_t *p, const void *src, size_t len)
{
    if (len > 0) /* src may be NULL when len is 0 */
        memcpy(p, src, len);
    return p + len;
}

/* One param whose value is the concatenation of n pieces. */
static inline ALWAYS_INLINE void put(struct writer *w, const char *name, size_t name_len, const struct piece *v,
                size_t n)
{
    size_t value_len = 0;
    for (size_t i = 0; i < n; i++)
        value_len += v[i].len;
    uint8_t *p = reserve(w, name_len, value_len);
    if (p == NULL)
        return;
    p = copy(p, name, name_len);
    for (size_t i = 0; i < n; i++)
        p = copy(p, v[i].ptr, v[i].len);
    w->p = p;
}

static inline ALWAYS_INLINE void put1(struct writer *w, const char *name, size_t name_len, const void *value,
                 size_t value_len)
{
    struct piece v = {value, value_len};
    put(w, name, name_len, &v, 1);
}

/* ---- small helpers -------------------------------------------------------- */

static int name_is(const struct http_header *h, const char *lower_lit, uint32_t len)
{
    return http_name_eq(h->name, h->name_len, lower_lit, len);
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * The next element of the comma-separated list value[*pos..len), without
 * surrounding whitespace, in *tok / *tok_len. Returns 0 at the end of the
 * list. Empty elements ("a,,b") are skipped (RFC 9110 5.6.1).
 */
static int next_token(const char *value, uint32_t len, uint32_t *pos, const char **tok,
                      uint32_t *tok_len)
{
    uint32_t i = *pos;
    while (i < len && (is_ows(value[i]) || value[i] == ','))
        i++;
    if (i == len) {
        *pos = i;
        return 0;
    }
    uint32_t start = i;
    while (i < len && value[i] != ',')
        i++;
    uint32_t end = i;
    while (end > start && is_ows(value[end - 1]))
        end--;
    *pos = i;
    *tok = value + start;
    *tok_len = end - start;
    return 1;
}

static size_t format_u64(char out[20], uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* ---- per-request params ---------------------------------------------------- */

/*
 * SERVER_NAME: the host without its port, lower-cased like nginx's $host
 * and Apache's SERVER_NAME. An IPv6 literal keeps its brackets, so that
 * "http://" . $_SERVER['SERVER_NAME'] is still a valid URL in PHP.
 */
static void put_server_name(struct writer *w, const struct kiln_site *site,
                            const struct http_request *req)
{
    const char *host = req->host;
    size_t len = host ? req->host_len : 0;

    if (len == 0) {
        /* HTTP/1.0 without Host: the listen address, else a fixed name. */
        const char *lh = site->listen_host ? site->listen_host : "";
        size_t lh_len = strlen(lh);
        if (lh_len == 0) {
            put1(w, NAME("SERVER_NAME"), "localhost", 9);
        } else if (memchr(lh, ':', lh_len) != NULL) {
            struct piece v[3] = {LIT("["), {lh, lh_len}, LIT("]")};
            put(w, NAME("SERVER_NAME"), v, 3);
        } else {
            put1(w, NAME("SERVER_NAME"), lh, lh_len);
        }
        return;
    }
    if (host[0] == '[') {
        const char *close = memchr(host, ']', len);
        if (close != NULL)
            len = (size_t)(close - host) + 1;
    } else {
        const char *colon = memchr(host, ':', len);
        if (colon != NULL)
            len = (size_t)(colon - host);
    }
    uint8_t *p = reserve(w, 11, len);
    if (p == NULL)
        return;
    p = copy(p, "SERVER_NAME", 11);
    for (size_t i = 0; i < len; i++)
        p[i] = ascii_lower((uint8_t)host[i]);
    w->p = p + len;
}

/* REQUEST_URI: the target as received; for an absolute-form target, its
 * path and query only, as a PHP application expects (nginx does the same). */
static void put_request_uri(struct writer *w, const struct http_request *req)
{
    if (!(req->flags & HTTP_F_ABSOLUTE_FORM)) {
        put1(w, NAME("REQUEST_URI"), req->target, req->target_len);
        return;
    }
    int q = (req->flags & HTTP_F_HAS_QUERY) != 0;
    struct piece v[3] = {
        {req->path, req->path_len},
        {"?", q ? 1u : 0u},
        {req->query, q ? req->query_len : 0u},
    };
    put(w, NAME("REQUEST_URI"), v, 3);
}

/* SCRIPT_FILENAME: the document root and the script name; a root of "/"
 * must not double the script's leading slash. */
static void put_script_filename(struct writer *w, const struct kiln_site *site,
                                const struct script_result *script)
{
    const struct kiln_bytes *root = &site->document_root;
    int slash_root = root->len == 1 && root->ptr[0] == '/';
    struct piece v[2] = {
        {root->ptr, slash_root ? 0 : root->len},
        {script->script_name, script->script_name_len},
    };
    put(w, NAME("SCRIPT_FILENAME"), v, 2);
}

static void put_document_uri(struct writer *w, const struct script_result *script)
{
    struct piece v[2] = {
        {script->script_name, script->script_name_len},
        {script->path_info, script->path_info_len},
    };
    put(w, NAME("DOCUMENT_URI"), v, 2);
}

/* HTTPS only on TLS (PHP tests !empty($_SERVER['HTTPS'])); the scheme
 * always. */
static void put_scheme(struct writer *w, const struct cgi_conn_info *conn)
{
    if (conn->tls) {
        put1(w, NAME("HTTPS"), "on", 2);
        put1(w, NAME("REQUEST_SCHEME"), "https", 5);
    } else {
        put1(w, NAME("REQUEST_SCHEME"), "http", 4);
    }
}

/* Where the headers that change how the others are handled are: found in
 * one pass before anything is written. n_headers means "none". */
struct header_index {
    uint32_t content_type;     /* the first Content-Type */
    uint32_t first_connection; /* the first Connection */
};

static void index_headers(const struct http_request *req, struct header_index *ix)
{
    uint32_t n = req->n_headers;

    ix->content_type = n;
    ix->first_connection = n;
    for (uint32_t i = 0; i < n; i++) {
        const struct http_header *h = &req->headers[i];
        if (ix->content_type == n && name_is(h, "content-type", 12))
            ix->content_type = i;
        else if (ix->first_connection == n && name_is(h, "connection", 10))
            ix->first_connection = i;
    }
}

/*
 * CONTENT_TYPE and CONTENT_LENGTH are always sent, empty when the request
 * has no such header / no body, as nginx's stock fastcgi_params do: PHP
 * reads a missing and an empty value alike, and applications written
 * against nginx may test isset(). A request with a body (Content-Length or
 * chunked) gets the length that is actually sent, "0" included.
 */
static void put_content(struct writer *w, const struct http_request *req,
                        const struct header_index *ix, uint64_t content_length)
{
    if (ix->content_type < req->n_headers) {
        const struct http_header *ct = &req->headers[ix->content_type];
        put1(w, NAME("CONTENT_TYPE"), ct->value, ct->value_len);
    } else {
        put1(w, NAME("CONTENT_TYPE"), "", 0);
    }

    char num[20];
    size_t n = 0;
    if (content_length == CGI_LENGTH_LATER)
        return;
    if (content_length > 0 || (req->flags & (HTTP_F_CONTENT_LENGTH | HTTP_F_CHUNKED)))
        n = format_u64(num, content_length);
    put1(w, NAME("CONTENT_LENGTH"), num, n);
}

size_t cgi_params_content_length(uint8_t *out, size_t cap, uint64_t content_length)
{
    struct writer w = {out, out + cap, 0};
    char num[20];
    size_t n = format_u64(num, content_length);

    put1(&w, NAME("CONTENT_LENGTH"), num, n);
    return w.full ? 0 : (size_t)(w.p - out);
}

/* ---- request headers -------------------------------------------------------- */

/* Request headers never forwarded as HTTP_* (hdr.h): httpoxy, the
 * client's own forwarding claims, what is sent as a CGI variable of its
 * own, the hop-by-hop headers, and with CORS answered by the proxy, the
 * CORS request headers too. */
static int is_dropped_name(const struct http_header *h, int cors)
{
    unsigned f = hdr_class(h->name, h->name_len, NULL);
    return (f & HDR_REQ_DROP) || (cors && (f & HDR_REQ_CORS));
}

/* Header name byte -> CGI byte: letters upper-cased, digits kept, '-' to
 * '_', everything else 0 (the header is dropped: '_' in particular, so
 * X_Forwarded_For cannot pose as X-Forwarded-For). */
static const uint8_t cgi_name_byte[256] = {
    ['-'] = '_',
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['A'] = 'A', ['B'] = 'B', ['C'] = 'C', ['D'] = 'D', ['E'] = 'E', ['F'] = 'F',
    ['G'] = 'G', ['H'] = 'H', ['I'] = 'I', ['J'] = 'J', ['K'] = 'K', ['L'] = 'L',
    ['M'] = 'M', ['N'] = 'N', ['O'] = 'O', ['P'] = 'P', ['Q'] = 'Q', ['R'] = 'R',
    ['S'] = 'S', ['T'] = 'T', ['U'] = 'U', ['V'] = 'V', ['W'] = 'W', ['X'] = 'X',
    ['Y'] = 'Y', ['Z'] = 'Z',
    ['a'] = 'A', ['b'] = 'B', ['c'] = 'C', ['d'] = 'D', ['e'] = 'E', ['f'] = 'F',
    ['g'] = 'G', ['h'] = 'H', ['i'] = 'I', ['j'] = 'J', ['k'] = 'K', ['l'] = 'L',
    ['m'] = 'M', ['n'] = 'N', ['o'] = 'O', ['p'] = 'P', ['q'] = 'Q', ['r'] = 'R',
    ['s'] = 'S', ['t'] = 'T', ['u'] = 'U', ['v'] = 'V', ['w'] = 'W', ['x'] = 'X',
    ['y'] = 'Y', ['z'] = 'Z',
};

static int is_upper(uint8_t c)
{
    return (unsigned)c - 'A' < 26u;
}

/* A CGI name needs a letter: "123" or "-" would make HTTP_123, HTTP__. The
 * first byte is nearly always one, so the scan rarely runs. */
static int has_letter(const uint8_t *cgi, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (is_upper(cgi[i]))
            return 1;
    return 0;
}

/*
 * Write "HTTP_" and the converted name at p. Returns the end, or NULL when
 * the name has a byte outside letters/digits/'-' or no letter at all.
 */
static uint8_t *convert_name(uint8_t *p, const char *name, uint32_t len)
{
    memcpy(p, "HTTP_", 5);
    p += 5;
    for (uint32_t i = 0; i < len; i++) {
        uint8_t c = cgi_name_byte[(uint8_t)name[i]];
        if (c == 0)
            return NULL;
        p[i] = c;
    }
    return has_letter(p, len) ? p + len : NULL;
}

/* convert_name()'s verdict without writing anything (cold: only for a
 * header that does not fit). */
static int name_is_valid(const char *name, uint32_t len)
{
    int letters = 0;
    for (uint32_t i = 0; i < len; i++) {
        uint8_t c = cgi_name_byte[(uint8_t)name[i]];
        if (c == 0)
            return 0;
        letters |= is_upper(c);
    }
    return letters;
}

/*
 * Per-call scratch for grouping repeated header names without allocation:
 * a bitset of the lines already handled, and a case-insensitive hash of
 * each name so that comparing two names is one integer compare unless
 * they really match (a thousand lines sharing a long prefix stay cheap).
 */
struct header_scan {
    uint64_t seen[CGI_PARAMS_MAX_HEADERS / 64];
    uint32_t hash[CGI_PARAMS_MAX_HEADERS];
};

/*
 * Hash of a name that ignores ASCII case, eight bytes at a time. It folds
 * case by setting bit 5 of every byte, which also merges a few non-letters
 * ('^' and '~'): harmless, a hash match is always confirmed by http_name_eq().
 */
static uint32_t name_hash(const char *name, uint32_t len)
{
    const uint64_t fold = 0x2020202020202020u, mul = 0xff51afd7ed558ccdu;
    uint64_t h = 0x9e3779b97f4a7c15u ^ len, w;
    uint32_t i = 0;

    for (; len - i >= 8; i += 8) {
        memcpy(&w, name + i, 8);
        h = (h ^ (w | fold)) * mul;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, name + i, len - i);
    h = (h ^ (w | fold)) * mul;
    return (uint32_t)(h ^ (h >> 29));
}

static void seen_set(struct header_scan *sc, uint32_t i)
{
    sc->seen[i / 64] |= (uint64_t)1 << (i % 64);
}

static int seen_test(const struct header_scan *sc, uint32_t i)
{
    return (sc->seen[i / 64] >> (i % 64)) & 1;
}

/* The first line at or after `from` with the same name as line i, or
 * n_headers. */
static uint32_t next_same(const struct header_scan *sc, const struct http_request *req,
                          uint32_t i, uint32_t from)
{
    const struct http_header *h = &req->headers[i];
    for (uint32_t j = from; j < req->n_headers; j++) {
        const struct http_header *d = &req->headers[j];
        if (sc->hash[j] == sc->hash[i] && http_name_eq(h->name, h->name_len, d->name, d->name_len))
            return j;
    }
    return req->n_headers;
}

static uint64_t length_bit(uint32_t len)
{
    return (uint64_t)1 << (len < 63 ? len : 63);
}

/*
 * A header named in Connection is hop-by-hop (RFC 9110 7.6.1) and is never
 * forwarded: mark all of them seen before the main loop. A token whose
 * length no header name has costs one test, so a long "a,b,c,..." list
 * stays linear; other tokens cost one hash compare per line.
 */
static void mark_connection_named(struct header_scan *sc, const struct http_request *req,
                                  uint32_t first)
{
    uint64_t lengths = 0;

    for (uint32_t k = 0; k < req->n_headers; k++)
        lengths |= length_bit(req->headers[k].name_len);
    for (uint32_t j = first; j < req->n_headers; j++) {
        const struct http_header *c = &req->headers[j];
        const char *tok;
        uint32_t tok_len, pos = 0;
        if (!name_is(c, "connection", 10))
            continue;
        while (next_token(c->value, c->value_len, &pos, &tok, &tok_len)) {
            if (!(lengths & length_bit(tok_len)))
                continue;
            uint32_t h = name_hash(tok, tok_len);
            for (uint32_t k = 0; k < req->n_headers; k++) {
                const struct http_header *x = &req->headers[k];
                if (sc->hash[k] == h && http_name_eq(x->name, x->name_len, tok, tok_len))
                    seen_set(sc, k);
            }
        }
    }
}

/*
 * One HTTP_<NAME> param for headers[i] and every later line of the same
 * name (marked seen), values joined in arrival order: "; " for Cookie
 * (RFC 9113 8.2.3, what PHP's cookie parser expects), ", " for the rest
 * (RFC 9110 5.3).
 */
static void put_header_group(struct writer *w, struct header_scan *sc,
                             const struct http_request *req, uint32_t i)
{
    const struct http_header *h = &req->headers[i];
    const char *sep = name_is(h, "cookie", 6) ? "; " : ", ";
    size_t value_len = h->value_len;
    uint32_t n = req->n_headers;
    uint32_t first_dup = next_same(sc, req, i, i + 1);

    for (uint32_t j = first_dup; j < n; j = next_same(sc, req, i, j + 1)) {
        seen_set(sc, j);
        value_len += 2 + req->headers[j].value_len;
    }

    if (!fits(w, 5 + (size_t)h->name_len, value_len)) {
        /* A header that would be dropped anyway is no reason to fail. */
        if (name_is_valid(h->name, h->name_len))
            w->full = 1;
        return;
    }
    uint8_t *start = w->p;
    uint8_t *p = reserve(w, 5 + (size_t)h->name_len, value_len);
    p = convert_name(p, h->name, h->name_len);
    if (p == NULL) {
        w->p = start; /* dropped: undo the lengths already written */
        return;
    }
    p = copy(p, h->value, h->value_len);
    for (uint32_t j = first_dup; j < n; j = next_same(sc, req, i, j + 1)) {
        p = copy(p, sep, 2);
        p = copy(p, req->headers[j].value, req->headers[j].value_len);
    }
    w->p = p;
}

/* Every forwarded header; n_headers <= CGI_PARAMS_MAX_HEADERS. */
static void put_headers(struct writer *w, const struct kiln_site *site,
                        const struct http_request *req, const struct header_index *ix)
{
    struct header_scan sc; /* ~4 KiB of stack; no allocation */
    int cors = site->cors.enabled != 0;

    memset(sc.seen, 0, sizeof sc.seen);
    for (uint32_t k = 0; k < req->n_headers; k++)
        sc.hash[k] = name_hash(req->headers[k].name, req->headers[k].name_len);
    if (ix->first_connection < req->n_headers)
        mark_connection_named(&sc, req, ix->first_connection);
    for (uint32_t i = 0; i < req->n_headers && !w->full; i++) {
        if (seen_test(&sc, i) || is_dropped_name(&req->headers[i], cors))
            continue;
        put_header_group(w, &sc, req, i);
    }
}

/* ---- the whole block ----------------------------------------------------------- */

size_t cgi_params_build(uint8_t *out, size_t cap, const struct kiln_site *site,
                        const struct http_request *req, const struct script_result *script,
                        const struct cgi_conn_info *conn, uint64_t content_length)
{
    struct writer w = {out, out + cap, 0};
    struct header_index ix;

    if (req->n_headers > CGI_PARAMS_MAX_HEADERS)
        return 0;
    index_headers(req, &ix);
    /* GATEWAY_INTERFACE, SERVER_SOFTWARE, DOCUMENT_ROOT, REDIRECT_STATUS,
     * SERVER_PORT: baked by the generator. */
    if (site->fcgi_static_params.len > cap)
        return 0;
    w.p = copy(w.p, site->fcgi_static_params.ptr, site->fcgi_static_params.len);

    put1(&w, NAME("SERVER_PROTOCOL"), req->version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1", 8);
    put_server_name(&w, site, req);
    put1(&w, NAME("REQUEST_METHOD"), req->method, req->method_len);
    put_request_uri(&w, req);
    put1(&w, NAME("SCRIPT_NAME"), script->script_name, script->script_name_len);
    put_script_filename(&w, site, script);
    put1(&w, NAME("PATH_INFO"), script->path_info, script->path_info_len);
    put1(&w, NAME("QUERY_STRING"), req->query, req->query_len);
    put_document_uri(&w, script);
    put1(&w, NAME("REMOTE_ADDR"), conn->remote_addr, conn->remote_addr_len);
    put1(&w, NAME("REMOTE_PORT"), conn->remote_port, conn->remote_port_len);
    put_content(&w, req, &ix, content_length);
    put_scheme(&w, conn);
    put1(&w, NAME("SERVER_ADDR"), conn->server_addr, conn->server_addr_len);

    if (req->host != NULL && req->host_len > 0)
        put1(&w, NAME("HTTP_HOST"), req->host, req->host_len);
    put_headers(&w, site, req, &ix);
    put1(&w, NAME("HTTP_X_FORWARDED_FOR"), conn->remote_addr, conn->remote_addr_len);
    put1(&w, NAME("HTTP_X_REAL_IP"), conn->remote_addr, conn->remote_addr_len);

    return w.full ? 0 : (size_t)(w.p - out);
}
