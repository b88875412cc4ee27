/*
 * keys.c - every configuration key, declared once.
 *
 * A row gives the key's JSON name, type, model field, default (JSON text),
 * range and meaning; `check` holds the rules about that one value. The
 * README reference table is printed from these rows (kiln-gen --doc), and a
 * test keeps README.md identical to it.
 *
 * Rules that relate several values (address vs network, HA1 length vs
 * algorithm, credentials vs "*" origins, ...) are in validate.c.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "hdr.h"
#include "lexical.h"
#include "model.h"
#include "netaddr.h"
#include "schema.h"

#define MS_S 1000LL
#define MS_M (60 * MS_S)
#define MS_H (60 * MS_M)
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Report "<path>: "<value>": <reason>". */
static void bad_value(struct schema_ctx *p, const struct cfg_str *s, const char *reason)
{
    char *q = diag_quote(s->p, s->len, 80);
    diag_error(p->diag, p->path.p, "%s: %s", q, reason);
    free(q);
}

/* ---- checks of single values ------------------------------------------- */

static void check_listen(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    struct hostport hp;
    const char *why = hostport_parse(s->p, s->len, &hp);
    if (why == NULL && hp.kind == HOST_NAME && !lex_ieq(hp.host, hp.host_len, "localhost"))
        why = "host must be empty (all addresses), an IP address or \"localhost\"; kiln "
              "never resolves a name to listen on";
    if (why != NULL)
        bad_value(p, s, why);
}

static void check_abs_path(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    const char *why = lex_abs_path(s->p, s->len);
    if (why != NULL) {
        bad_value(p, s, why);
        return;
    }
    s->len = lex_abs_path_normalize(s->p, s->len);
}

static void check_index(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    const char *why = lex_file_name(s->p, s->len);
    if (why != NULL) {
        bad_value(p, s, why);
        return;
    }
    if (s->len < 4 || !lex_ieq(s->p + s->len - 4, 4, ".php"))
        diag_warn(p->diag, p->path.p, "index \"%s\" does not end in .php; requests for "
                  "directories and front-controller routes are sent to it as a PHP script",
                  s->p);
}

static void check_response_header(struct schema_ctx *p, void *field)
{
    struct cfg_header *h = field;
    const char *why = lex_header_name(h->name.p, h->name.len);
    if (why != NULL) {
        bad_value(p, &h->name, why);
        return;
    }
    const struct hdr_info *info;
    if (hdr_class(h->name.p, h->name.len, &info) & HDR_MANAGED) {
        diag_error(p->diag, p->path.p, "%s cannot be configured: %s", h->name.p, info->why);
        return;
    }
    why = lex_header_value(h->value.p, h->value.len);
    if (why != NULL)
        bad_value(p, &h->value, why);
}

static void check_location_path(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    const char *why = lex_location_path(s->p, s->len);
    if (why != NULL)
        bad_value(p, s, why);
}

static void check_url(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    const char *why = url_check(s->p, s->len);
    if (why != NULL)
        bad_value(p, s, why);
}

static void check_status(struct schema_ctx *p, void *field)
{
    int64_t status = *(int64_t *)field;
    if (status >= 100 && status < 200)
        diag_error(p->diag, p->path.p, "%lld is an informational (1xx) status, not a final "
                   "response: the client would wait for another response; use 200-599",
                   (long long)status);
}

static void check_body(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    if (s->len > 65536)
        diag_error(p->diag, p->path.p, "is %zu bytes; at most 65536 are allowed (serve "
                   "larger content from php-fpm or an upstream location)", s->len);
}

static void check_header_value(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    const char *why = lex_header_value(s->p, s->len);
    if (why != NULL)
        bad_value(p, s, why);
}

static void check_origin(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    char *lower = xmalloc(s->len + 1);
    int default_port;
    const char *why = origin_parse(s->p, s->len, lower, &default_port);
    if (why != NULL) {
        bad_value(p, s, why);
    } else {
        memcpy(s->p, lower, s->len + 1);
        if (default_port)
            diag_warn(p->diag, p->path.p, "\"%s\" names the scheme's default port, which "
                      "browsers leave out of Origin, so it never matches; drop the port",
                      s->p);
    }
    free(lower);
}

static const char *const cors_methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                           "PATCH", "DELETE", "OPTIONS", NULL};

static void check_method(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    for (size_t i = 0; cors_methods[i] != NULL; i++) {
        if (lex_ieq(s->p, s->len, cors_methods[i])) {
            memcpy(s->p, cors_methods[i], s->len);
            return;
        }
    }
    bad_value(p, s, "must be GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
}

static void check_cors_header(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    if (s->len == 1 && s->p[0] == '*')
        return;
    const char *why = lex_header_name(s->p, s->len);
    if (why != NULL)
        bad_value(p, s, "must be a header name (letters, digits, '-') or \"*\"");
}

static void check_realm(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    const char *why = lex_realm(s->p, s->len);
    if (why != NULL)
        bad_value(p, s, why);
    else if (memchr(s->p, '\\', s->len) != NULL)
        diag_warn(p->diag, p->path.p, "the realm contains '\\', an escape character in the "
                  "quoted challenge; clients will hash a realm without it and digest logins "
                  "will fail");
}

static void check_username(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    const char *why = lex_username(s->p, s->len);
    if (why != NULL)
        bad_value(p, s, why);
}

static void check_password_hash(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    const char *why = lex_bcrypt(s->p, s->len);
    if (why != NULL)
        diag_error(p->diag, p->path.p, "%s", why);
}

static void check_password(struct schema_ctx *p, void *field)
{
    (void)field;
    diag_error(p->diag, p->path.p, "plaintext passwords are rejected; store a bcrypt hash "
               "(htpasswd -B) in \"password_hash\"");
}

static void check_request_path(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    const char *why = lex_request_path(s->p, s->len);
    if (why != NULL)
        bad_value(p, s, why);
}

static void check_cidr(struct schema_ctx *p, void *field)
{
    struct cfg_str *s = field;
    struct cidr c;
    const char *why = cidr_parse(s->p, s->len, &c);
    if (why != NULL) {
        bad_value(p, s, why);
        return;
    }
    char text[CIDR_TEXT_MAX];
    cidr_format(&c, text);
    if (c.host_bits)
        diag_warn(p->diag, p->path.p, "\"%s\" has bits set after the prefix; it is used as %s",
                  s->p, text);
    free(s->p);
    s->len = strlen(text);
    s->p = xstrndup(text, s->len);
}

/* ---- the tables --------------------------------------------------------- */

static const char *const networks[] = {"tcp", "tcp4", "tcp6", "unix", NULL};
static const char *const auth_types[] = {"digest", "basic", NULL};
static const char *const algorithms[] = {"SHA-256", "MD5", NULL};

#define RET(f) offsetof(struct cfg_return, f)
static const struct schema_key return_keys[] = {
    {.name = "status", .type = T_INT, .offset = RET(status), .def = "200", .min = 100,
     .max = 599, .check = check_status,
     .doc = "Status code; 1xx is rejected (not a final response).",
     .doc_range = "200 – 599"},
    {.name = "body", .type = T_STRING, .offset = RET(body), .flags = F_REQUIRED,
     .check = check_body, .doc = "Response body; may be empty; must be empty for 204 and 304.",
     .doc_default = "— (required)", .doc_range = "at most 65536 bytes"},
    {.name = "content_type", .type = T_STRING, .offset = RET(content_type),
     .def = "\"text/plain; charset=utf-8\"", .check = check_header_value,
     .doc = "Content-Type of the response; \"\" sends none. Not sent with 204 or 304.",
     .doc_range = "no control characters"},
};
static const struct schema_obj return_obj = {
    "locations[].return", return_keys, COUNT(return_keys), sizeof(struct cfg_return),
    offsetof(struct cfg_return, present), NULL};

#define LOC(f) offsetof(struct cfg_location, f)
static const struct schema_key location_keys[] = {
    {.name = "path", .type = T_STRING, .offset = LOC(path), .flags = F_REQUIRED,
     .check = check_location_path,
     .doc = "Exact request path this entry answers, matched after decoding and "
            "normalization, so it must be written in that canonical form.",
     .doc_default = "— (required)",
     .doc_range = "starts with `/`; at most 1024 bytes; no `//`, `.`/`..` segments, `%`, "
                  "`?`, `#`, `\\`, spaces or controls"},
    {.name = "upstream", .type = T_STRING, .offset = LOC(upstream), .flags = F_ONLY_PRESENT,
     .check = check_url,
     .doc = "Fetch the response from this URL and cache it. Exactly one of `upstream` and "
            "`return`.",
     .doc_range = "`http://` or `https://` URL, no credentials"},
    {.name = "cache_ttl", .type = T_DURATION, .offset = LOC(cache_ttl_ms), .def = "\"5m\"",
     .min = 0, .max = 1000 * MS_H, .only_with = "upstream",
     .doc = "How long a fetched 200 response is reused; `0s` fetches every time. Only with "
            "`upstream`. The runtime keeps milliseconds in 32 bits, hence the bound."},
    {.name = "return", .type = T_OBJECT, .offset = LOC(ret), .sub = &return_obj,
     .flags = F_ONLY_PRESENT,
     .doc = "Answer with this fixed response, built at compile time."},
};
static const struct schema_obj location_obj = {
    "locations[]", location_keys, COUNT(location_keys), sizeof(struct cfg_location),
    offsetof(struct cfg_location, present), NULL};

#define CORS(f) offsetof(struct cfg_cors, f)
static const struct schema_key cors_keys[] = {
    {.name = "enabled", .type = T_BOOL, .offset = CORS(enabled), .def = "false",
     .doc = "Answer CORS at the proxy. When false the rest of the block is only "
            "type-checked, and PHP sees CORS requests unchanged."},
    {.name = "allowed_origins", .type = T_STRINGS, .offset = CORS(allowed_origins),
     .def = "[]", .max = 1000, .check = check_origin,
     .doc = "Origins allowed, matched exactly after lower-casing: "
            "`scheme://host[:port]` with scheme http, https or app, `\"null\"`, or `\"*\"`. "
            "Required when enabled.",
     .doc_range = "1 – 1000 entries when enabled"},
    {.name = "allowed_methods", .type = T_STRINGS, .offset = CORS(allowed_methods),
     .def = "[]", .max = 7, .check = check_method,
     .doc = "Methods listed in preflight answers (stored upper case). Empty allows only the "
            "CORS-safelisted GET, HEAD and POST.",
     .doc_range = "GET HEAD POST PUT PATCH DELETE OPTIONS"},
    {.name = "allowed_headers", .type = T_STRINGS, .offset = CORS(allowed_headers),
     .def = "[]", .max = 100, .check = check_cors_header,
     .doc = "Request headers allowed in preflight answers. Empty: the validated "
            "Access-Control-Request-Headers is echoed.",
     .doc_range = "header names or `\"*\"`, at most 100"},
    {.name = "exposed_headers", .type = T_STRINGS, .offset = CORS(exposed_headers),
     .def = "[]", .max = 100, .check = check_cors_header,
     .doc = "Response headers scripts may read (Access-Control-Expose-Headers).",
     .doc_range = "header names or `\"*\"`, at most 100"},
    {.name = "allow_credentials", .type = T_BOOL, .offset = CORS(allow_credentials),
     .def = "false",
     .doc = "Send Access-Control-Allow-Credentials: true. Not allowed with `\"*\"` or "
            "`\"null\"` origins."},
    {.name = "max_age", .type = T_DURATION, .offset = CORS(max_age_ms), .def = "\"0s\"",
     .min = 0, .max = 24 * MS_H,
     .doc = "How long browsers may cache a preflight answer (whole seconds); `0s` sends no "
            "Access-Control-Max-Age."},
};
static const struct schema_obj cors_obj = {"cors", cors_keys, COUNT(cors_keys),
                                           sizeof(struct cfg_cors),
                                           offsetof(struct cfg_cors, present), "enabled"};

#define USER(f) offsetof(struct cfg_user, f)
static const struct schema_key user_keys[] = {
    {.name = "username", .type = T_STRING, .offset = USER(username), .flags = F_REQUIRED,
     .check = check_username, .doc = "User name, unique within `users`.",
     .doc_default = "— (required)",
     .doc_range = "1 – 256 bytes; no `:`, `\"` or controls"},
    {.name = "ha1", .type = T_STRING, .offset = USER(ha1),
     .flags = F_SECRET | F_ONLY_PRESENT,
     .doc = "Digest only: lower-case hex of H(username:realm:password).",
     .doc_range = "64 hex digits (SHA-256) or 32 (MD5)"},
    {.name = "password_hash", .type = T_STRING, .offset = USER(password_hash),
     .flags = F_SECRET | F_ONLY_PRESENT, .check = check_password_hash,
     .doc = "Basic only: a bcrypt hash, e.g. from `htpasswd -nB user`.",
     .doc_range = "`$2a$`, `$2b$` or `$2y$`, cost 04 – 31"},
    {.name = "password", .type = T_STRING, .offset = USER(password),
     .flags = F_SECRET | F_ONLY_PRESENT, .check = check_password,
     .doc = "Always rejected: plaintext passwords do not belong in a config.",
     .doc_range = "rejected"},
};
static const struct schema_obj user_obj = {"auth.users[]", user_keys, COUNT(user_keys),
                                           sizeof(struct cfg_user),
                                           offsetof(struct cfg_user, present), NULL};

#define PCACHE(f) offsetof(struct cfg_password_cache, f)
static const struct schema_key pcache_keys[] = {
    {.name = "enabled", .type = T_BOOL, .offset = PCACHE(enabled), .def = "true",
     .doc = "Remember successful Basic logins so bcrypt does not run on every request."},
    {.name = "ttl", .type = T_DURATION, .offset = PCACHE(ttl_ms), .def = "\"1m\"",
     .min = MS_S, .max = MS_H, .doc = "How long a successful login is remembered."},
    {.name = "max_entries", .type = T_INT, .offset = PCACHE(max_entries), .def = "10000",
     .min = 1, .max = 1000000, .doc = "Most logins remembered at once."},
};
static const struct schema_obj pcache_obj = {
    "auth.password_cache", pcache_keys, COUNT(pcache_keys), sizeof(struct cfg_password_cache),
    offsetof(struct cfg_password_cache, present), NULL};

static bool is_digest(const void *auth)
{
    return ((const struct cfg_auth *)auth)->type == AUTH_DIGEST;
}

static bool is_basic(const void *auth)
{
    return ((const struct cfg_auth *)auth)->type == AUTH_BASIC;
}

#define AUTH(f) offsetof(struct cfg_auth, f)
static const struct schema_key auth_keys[] = {
    {.name = "enabled", .type = T_BOOL, .offset = AUTH(enabled), .def = "false",
     .doc = "Require HTTP authentication for everything that reaches php-fpm. When false the "
            "rest of the block is only type-checked."},
    {.name = "type", .type = T_ENUM, .offset = AUTH(type), .def = "\"digest\"",
     .choices = auth_types, .doc = "Digest (RFC 7616) or Basic (RFC 7617)."},
    {.name = "realm", .type = T_STRING, .offset = AUTH(realm), .def = "\"\"",
     .check = check_realm, .doc = "Protection space named in the challenge. Required when "
                                  "enabled.",
     .doc_default = "— (required)", .doc_range = "non-empty; no `\"` or controls"},
    {.name = "algorithm", .type = T_ENUM, .offset = AUTH(algorithm), .def = "\"SHA-256\"",
     .choices = algorithms, .applies = is_digest,
     .doc = "Digest only: the hash of HA1 and the response."},
    {.name = "nonce_lifetime", .type = T_DURATION, .offset = AUTH(nonce_lifetime_ms),
     .def = "\"5m\"", .min = 30 * MS_S, .max = 24 * MS_H, .applies = is_digest,
     .doc = "Digest only: how long a server nonce is accepted."},
    {.name = "users", .type = T_OBJECTS, .offset = AUTH(users), .def = "[]", .max = 1000,
     .sub = &user_obj, .doc = "The accounts. Required (non-empty) when enabled.",
     .doc_range = "1 – 1000 entries when enabled"},
    {.name = "password_cache", .type = T_OBJECT, .offset = AUTH(password_cache),
     .sub = &pcache_obj, .applies = is_basic,
     .doc = "Basic only: cache of successful bcrypt checks."},
};
static const struct schema_obj auth_obj = {"auth", auth_keys, COUNT(auth_keys),
                                           sizeof(struct cfg_auth),
                                           offsetof(struct cfg_auth, present), "enabled"};

#define READY(f) offsetof(struct cfg_readiness, f)
static const struct schema_key readiness_keys[] = {
    {.name = "enabled", .type = T_BOOL, .offset = READY(enabled), .def = "true",
     .doc = "`/readyz` asks php-fpm's status page; when false it answers like `/healthz`."},
    {.name = "status_path", .type = T_STRING, .offset = READY(status_path),
     .def = "\"/status\"", .check = check_request_path,
     .doc = "php-fpm's `pm.status_path`, requested by `/readyz`.",
     .doc_range = "starts with `/`; no spaces, `?` or controls"},
    {.name = "timeout", .type = T_DURATION, .offset = READY(timeout_ms), .def = "\"2s\"",
     .min = 100, .max = 5 * MS_M, .doc = "Deadline of one readiness probe."},
    {.name = "drain_enabled", .type = T_BOOL, .offset = READY(drain_enabled),
     .def = "true", .doc = "Serve `/healthz/fail`, which starts draining; 404 when false."},
    {.name = "drain_trusted_cidrs", .type = T_STRINGS, .offset = READY(drain_trusted_cidrs),
     .def = "[\"127.0.0.0/8\", \"::1/128\"]", .max = 1000, .check = check_cidr,
     .doc = "Client networks allowed to call `/healthz/fail`; `[]` allows every client.",
     .doc_range = "IPv4 or IPv6 CIDRs, at most 1000"},
};
static const struct schema_obj readiness_obj = {
    "readiness", readiness_keys, COUNT(readiness_keys), sizeof(struct cfg_readiness),
    offsetof(struct cfg_readiness, present), NULL};

#define CFG(f) offsetof(struct config, f)
static const struct schema_key config_keys[] = {
    {.name = "listen", .type = T_STRING, .offset = CFG(listen), .def = "\":8080\"",
     .check = check_listen,
     .doc = "Address to accept HTTP on. An empty host means every IPv6 and IPv4 address; "
            "`localhost` means 127.0.0.1.",
     .doc_range = "`host:port`; host empty, IPv4, `[IPv6]` or `localhost`"},
    {.name = "network", .type = T_ENUM, .offset = CFG(network), .def = "\"tcp\"",
     .choices = networks, .doc = "How to reach php-fpm."},
    {.name = "address", .type = T_STRING, .offset = CFG(address),
     .def = "\"127.0.0.1:9000\"",
     .doc = "php-fpm's address: `host:port` for tcp (a name or IP literal that fits the "
            "network), a socket path for unix.",
     .doc_range = "unix: at most 107 bytes"},
    {.name = "document_root", .type = T_STRING, .offset = CFG(document_root),
     .def = "\"/var/www/html\"", .check = check_abs_path,
     .doc = "Root of the PHP files as php-fpm sees it (DOCUMENT_ROOT, SCRIPT_FILENAME).",
     .doc_range = "absolute; no `.`/`..` segments"},
    {.name = "index", .type = T_STRING, .offset = CFG(index), .def = "\"index.php\"",
     .check = check_index,
     .doc = "Script for directory requests and front-controller routes.",
     .doc_range = "plain file name"},
    {.name = "workers", .type = T_INT, .offset = CFG(workers), .def = "0", .min = 0,
     .max = 256, .doc = "Event-loop threads; 0 starts one per CPU."},
    {.name = "dial_timeout", .type = T_DURATION, .offset = CFG(dial_timeout_ms),
     .def = "\"5s\"", .min = 100, .max = 5 * MS_M,
     .doc = "Deadline to connect to php-fpm."},
    {.name = "read_timeout", .type = T_DURATION, .offset = CFG(read_timeout_ms),
     .def = "\"30s\"", .min = 100, .max = 5 * MS_M,
     .doc = "Longest wait for the client's request or for php-fpm's response."},
    {.name = "write_timeout", .type = T_DURATION, .offset = CFG(write_timeout_ms),
     .def = "\"30s\"", .min = 100, .max = 5 * MS_M,
     .doc = "Longest wait to send to php-fpm or to the client."},
    {.name = "keepalive_timeout", .type = T_DURATION, .offset = CFG(keepalive_timeout_ms),
     .def = "\"75s\"", .min = 100, .max = 5 * MS_M,
     .doc = "How long an idle client connection stays open; above the 60s idle timeout of "
            "common load balancers, so they close first."},
    {.name = "shutdown_timeout", .type = T_DURATION, .offset = CFG(shutdown_timeout_ms),
     .def = "\"20s\"", .min = MS_S, .max = 5 * MS_M,
     .doc = "Grace for requests in flight after SIGTERM."},
    {.name = "upstream_queue_timeout", .type = T_DURATION,
     .offset = CFG(upstream_queue_timeout_ms), .def = "\"10s\"", .min = 100, .max = 5 * MS_M,
     .doc = "How long a request waits for a php-fpm connection when all are busy; then 503."},
    {.name = "max_body_size", .type = T_INT, .offset = CFG(max_body_size),
     .def = "10485760", .min = 1, .max = 268435456,
     .doc = "Largest request body in bytes; larger gets 413."},
    {.name = "max_concurrency", .type = T_INT, .offset = CFG(max_concurrency),
     .def = "1024", .min = 1, .max = 65535,
     .doc = "Most client connections open at once, over all threads."},
    {.name = "max_request_line", .type = T_INT, .offset = CFG(max_request_line),
     .def = "8192", .min = 256, .max = 65536,
     .doc = "Longest request line in bytes; longer gets 414."},
    {.name = "max_header_size", .type = T_INT, .offset = CFG(max_header_size),
     .def = "32768", .min = 1024, .max = 1048576,
     .doc = "Largest request head (request line and headers) in bytes; larger gets 431. At "
            "least `max_request_line` + 2."},
    {.name = "max_headers", .type = T_INT, .offset = CFG(max_headers), .def = "100",
     .min = 1, .max = 1000, .doc = "Most request header lines; more gets 431."},
    {.name = "max_response_header_size", .type = T_INT,
     .offset = CFG(max_response_header_size), .def = "65536", .min = 1024, .max = 1048576,
     .doc = "Largest header block a script may send; larger gets 502."},
    {.name = "body_buffer_size", .type = T_INT, .offset = CFG(body_buffer_size),
     .def = "1048576", .min = 4096, .max = 268435456,
     .doc = "A request body is received in full before it goes to php-fpm: in memory up to "
            "this many bytes, then in a temporary file in `temp_dir`."},
    {.name = "temp_dir", .type = T_STRING, .offset = CFG(temp_dir), .def = "\"/tmp\"",
     .check = check_abs_path,
     .doc = "Where request bodies and responses past their memory bounds are held, in "
            "unnamed temporary files.",
     .doc_range = "absolute; no `.`/`..` segments"},
    {.name = "client_min_rate", .type = T_INT, .offset = CFG(client_min_rate), .def = "1024",
     .min = 1, .max = 1073741824,
     .doc = "Slowest average rate, in bytes per second, at which a client may send a request "
            "head, and then its body, once `client_rate_grace` has passed; slower gets 408 "
            "and the connection is closed."},
    {.name = "client_rate_grace", .type = T_DURATION, .offset = CFG(client_rate_grace_ms),
     .def = "\"10s\"", .min = 100, .max = 5 * MS_M,
     .doc = "Time a request head, and then its body, may take before `client_min_rate` "
            "applies."},
    {.name = "response_buffer_size", .type = T_INT, .offset = CFG(response_buffer_size),
     .def = "262144", .min = 4096, .max = 268435456,
     .doc = "A response the client takes more slowly than php-fpm sends it is held in "
            "memory up to this many bytes, then in a temporary file, so the php-fpm worker "
            "is free when the script ends."},
    {.name = "response_temp_max", .type = T_INT, .offset = CFG(response_temp_max),
     .def = "134217728", .min = 0, .max = 68719476736LL,
     .doc = "Most bytes of one response held in a temporary file; beyond, php-fpm is read "
            "only as fast as the client takes the response. `0`: memory only."},
    {.name = "buffer_memory_max", .type = T_INT, .offset = CFG(buffer_memory_max),
     .def = "67108864", .min = 1048576, .max = 68719476736LL,
     .doc = "Memory for request bodies and held responses over all connections; past it, "
            "they go to temporary files."},
    {.name = "pool_max_idle", .type = T_INT, .offset = CFG(pool_max_idle), .def = "32",
     .min = 1, .max = 1024,
     .doc = "Idle php-fpm connections kept for reuse, over all threads (never more than "
            "`upstream_max_conns`)."},
    {.name = "pool_idle_timeout", .type = T_DURATION, .offset = CFG(pool_idle_timeout_ms),
     .def = "\"30s\"", .min = MS_S, .max = 5 * MS_M,
     .doc = "An idle php-fpm connection unused this long is closed."},
    {.name = "upstream_max_conns", .type = T_INT, .offset = CFG(upstream_max_conns),
     .def = "5", .min = 1, .max = 65535,
     .doc = "Most php-fpm connections open at once, over all threads. Set it to the pool's "
            "`pm.max_children` (split between kiln replicas sharing the pool): each "
            "connection, idle or not, holds a php-fpm worker, so a higher value makes "
            "requests hang instead of queue."},
    {.name = "response_headers", .type = T_HEADERS, .offset = CFG(response_headers),
     .def = "{}", .max = 64, .check = check_response_header,
     .doc = "Headers set on every response (replacing any of the same name from PHP).",
     .doc_range = "at most 64; names of letters, digits, `-`"},
    {.name = "locations", .type = T_OBJECTS, .offset = CFG(locations), .def = "[]",
     .max = 100, .sub = &location_obj,
     .doc = "Exact paths answered before authentication and PHP: a fixed `return` or a "
            "cached `upstream` fetch."},
    {.name = "cors", .type = T_OBJECT, .offset = CFG(cors), .sub = &cors_obj,
     .doc = "Cross-origin resource sharing, answered by kiln."},
    {.name = "auth", .type = T_OBJECT, .offset = CFG(auth), .sub = &auth_obj,
     .doc = "HTTP authentication in front of php-fpm."},
    {.name = "readiness", .type = T_OBJECT, .offset = CFG(readiness), .sub = &readiness_obj,
     .doc = "The `/readyz` probe and the `/healthz/fail` drain switch."},
};

const struct schema_obj schema_config = {"config", config_keys, COUNT(config_keys),
                                         sizeof(struct config),
                                         offsetof(struct config, present), NULL};

/* Exported for validate.c, which needs the sub-tables for schema_present(). */
const struct schema_obj *const schema_location = &location_obj;
const struct schema_obj *const schema_cors = &cors_obj;
const struct schema_obj *const schema_auth = &auth_obj;
const struct schema_obj *const schema_user = &user_obj;
