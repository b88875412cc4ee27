/*
 * validate.c - rules across values: address vs network, locations,
 * response headers vs CORS, CORS origins, authentication users.
 */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#include "lexical.h"
#include "netaddr.h"
#include "schema.h"

/* sun_path is 108 bytes including the NUL on Linux. */
#define UNIX_PATH_MAX_LEN 107

/* Paths are short-lived: each rule builds the ones it reports. */
static char *path_of(const char *base, size_t index, const char *key)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, base);
    if (index != (size_t)-1)
        jpath_index(&b, index);
    if (key != NULL)
        jpath_key(&b, key, strlen(key));
    return buf_take(&b, NULL);
}

static int str_eq(const struct cfg_str *a, const struct cfg_str *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static void check_address(const struct config *c, struct diag *d)
{
    const struct cfg_str *a = &c->address;
    if (a->len == 0) {
        diag_error(d, "$.address", "must not be empty; php-fpm's host:port or socket path");
        return;
    }
    if (c->network == NET_UNIX) {
        if (memchr(a->p, '\0', a->len) != NULL)
            diag_error(d, "$.address", "socket path must not contain NUL");
        else if (a->len > UNIX_PATH_MAX_LEN)
            diag_error(d, "$.address", "socket path is %zu bytes; a unix socket path is at "
                       "most %d bytes", a->len, UNIX_PATH_MAX_LEN);
        return;
    }
    struct hostport hp;
    const char *why = hostport_parse(a->p, a->len, &hp);
    if (why == NULL && hp.kind == HOST_NONE)
        why = "host is missing; write host:port, e.g. 127.0.0.1:9000";
    if (why == NULL && hp.kind == HOST_IP4 && c->network == NET_TCP6)
        why = "an IPv4 address cannot be reached with network \"tcp6\"";
    if (why == NULL && hp.kind == HOST_IP6 && c->network == NET_TCP4)
        why = "an IPv6 address cannot be reached with network \"tcp4\"";
    if (why != NULL) {
        char *q = diag_quote(a->p, a->len, 80);
        diag_error(d, "$.address", "%s: %s", q, why);
        free(q);
    }
}

static void check_limits(const struct config *c, struct diag *d)
{
    if (c->max_header_size < c->max_request_line + 2)
        diag_error(d, "$.max_header_size", "is %lld but must be at least max_request_line + "
                   "2 (%lld): the request head includes the request line and its CRLF",
                   (long long)c->max_header_size, (long long)c->max_request_line + 2);
}

static void check_response_headers(const struct config *c, struct diag *d)
{
    const struct cfg_header *h = c->response_headers.v;
    for (size_t i = 0; i < c->response_headers.n; i++) {
        struct buf path = BUF_INIT;
        buf_puts(&path, "$.response_headers");
        jpath_key(&path, h[i].name.p, h[i].name.len);
        for (size_t j = 0; j < i; j++) {
            if (lex_ieq(h[i].name.p, h[i].name.len, h[j].name.p)) {
                diag_error(d, path.p, "duplicates \"%s\" (header names are case-insensitive)",
                           h[j].name.p);
                break;
            }
        }
        if (c->cors.enabled && lex_iprefix(h[i].name.p, h[i].name.len, "Access-Control-"))
            diag_error(d, path.p, "Access-Control-* headers cannot be set while cors is "
                       "enabled; kiln computes them per request");
        buf_free(&path);
    }
}

static void check_location(const struct cfg_location *locs, size_t i, struct diag *d)
{
    const struct cfg_location *l = &locs[i];
    int up = schema_present(schema_location, l, "upstream");
    int ret = schema_present(schema_location, l, "return");
    char *path = path_of("$.locations", i, NULL);
    if (up && ret)
        diag_error(d, path, "has both \"upstream\" and \"return\"; a location is one or the "
                   "other");
    else if (!up && !ret)
        diag_error(d, path, "needs \"upstream\" (a URL to fetch) or \"return\" (a fixed "
                   "response)");
    free(path);
    if (ret && schema_present(schema_location, l, "cache_ttl")) {
        path = path_of("$.locations", i, "cache_ttl");
        diag_error(d, path, "only applies to \"upstream\" locations; a \"return\" response "
                   "is built into the binary and never expires");
        free(path);
    }
    if (ret && (l->ret.status == 204 || l->ret.status == 304) && l->ret.body.len > 0) {
        path = path_of("$.locations", i, "return");
        char *body = xasprintf("%s.body", path);
        diag_error(d, body, "must be empty: a %lld response has no content",
                   (long long)l->ret.status);
        free(body);
        free(path);
    }
    for (size_t j = 0; j < i; j++) {
        if (l->path.p != NULL && locs[j].path.p != NULL && str_eq(&l->path, &locs[j].path)) {
            path = path_of("$.locations", i, "path");
            diag_error(d, path, "\"%s\" is already used by $.locations[%zu]; paths must be "
                       "unique", l->path.p, j);
            free(path);
            break;
        }
    }
}

static void check_locations(const struct config *c, struct diag *d)
{
    for (size_t i = 0; i < c->locations.n; i++)
        check_location(c->locations.v, i, d);
}

/* A disabled block is only type-checked; setting more than `enabled` in it
 * is probably a mistake worth a word. */
static void warn_ignored(const struct schema_obj *obj, uint64_t present, const char *path,
                         struct diag *d)
{
    size_t gate = 0;
    while (gate < obj->n_keys && strcmp(obj->keys[gate].name, obj->gate) != 0)
        gate++;
    if (present & ~(1ull << gate))
        diag_warn(d, path, "%s is disabled (\"enabled\": false), so its other settings are "
                  "ignored", obj->name);
}

static void check_origins(const struct cfg_cors *cors, struct diag *d)
{
    const struct cfg_str *o = cors->allowed_origins.v;
    if (cors->allowed_origins.n == 0)
        diag_error(d, "$.cors.allowed_origins", "must list at least one origin when cors is "
                   "enabled");
    for (size_t i = 0; i < cors->allowed_origins.n; i++) {
        char *path = path_of("$.cors.allowed_origins", i, NULL);
        int any = o[i].len == 1 && o[i].p[0] == '*';
        int null = o[i].len == 4 && memcmp(o[i].p, "null", 4) == 0;
        if (cors->allow_credentials && any)
            diag_error(d, path, "\"*\" cannot be combined with allow_credentials: browsers "
                       "refuse credentialed responses to a wildcard origin");
        if (cors->allow_credentials && null)
            diag_error(d, path, "\"null\" cannot be combined with allow_credentials: any "
                       "sandboxed page or file:// document sends Origin: null");
        for (size_t j = 0; j < i; j++) {
            if (str_eq(&o[i], &o[j])) {
                diag_error(d, path, "\"%s\" duplicates $.cors.allowed_origins[%zu] "
                           "(origins are compared lower-cased)", o[i].p, j);
                break;
            }
        }
        free(path);
    }
}

static void warn_duplicates(const struct cfg_list *l, const char *base, struct diag *d)
{
    const struct cfg_str *s = l->v;
    for (size_t i = 0; i < l->n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (s[i].len == s[j].len && lex_ieq(s[i].p, s[i].len, s[j].p)) {
                char *path = path_of(base, i, NULL);
                diag_warn(d, path, "\"%s\" repeats %s[%zu]; it is listed once", s[i].p,
                          base, j);
                free(path);
                break;
            }
        }
    }
}

static void check_cors(const struct config *c, struct diag *d)
{
    const struct cfg_cors *cors = &c->cors;
    if (!cors->enabled) {
        warn_ignored(schema_cors, cors->present, "$.cors", d);
        return;
    }
    check_origins(cors, d);
    warn_duplicates(&cors->allowed_methods, "$.cors.allowed_methods", d);
    warn_duplicates(&cors->allowed_headers, "$.cors.allowed_headers", d);
    warn_duplicates(&cors->exposed_headers, "$.cors.exposed_headers", d);
}

size_t validate_ha1_hex_len(int64_t algorithm)
{
    return algorithm == ALG_MD5 ? 32 : 64;
}

static void check_user(const struct cfg_auth *auth, size_t i, struct diag *d)
{
    const struct cfg_user *users = auth->users.v, *u = &users[i];
    int digest = auth->type == AUTH_DIGEST;
    const char *need = digest ? "ha1" : "password_hash";
    const char *other = digest ? "password_hash" : "ha1";
    if (schema_present(schema_user, u, other)) {
        char *path = path_of("$.auth.users", i, other);
        diag_error(d, path, "is for %s auth, but auth.type is \"%s\"; %s users need \"%s\"",
                   digest ? "basic" : "digest", digest ? "digest" : "basic",
                   digest ? "digest" : "basic", need);
        free(path);
    }
    if (!schema_present(schema_user, u, need) && !schema_present(schema_user, u, "password")) {
        char *path = path_of("$.auth.users", i, NULL);
        diag_error(d, path, "missing required key \"%s\"", need);
        free(path);
    }
    if (digest && schema_present(schema_user, u, "ha1")) {
        size_t want = validate_ha1_hex_len(auth->algorithm);
        const char *why = lex_ha1(u->ha1.p, u->ha1.len, want);
        if (why != NULL) {
            char *path = path_of("$.auth.users", i, "ha1");
            diag_error(d, path, "%s; it is hex %s(username:realm:password)", why,
                       want == 64 ? "SHA-256" : "MD5");
            free(path);
        }
    }
    for (size_t j = 0; j < i; j++) {
        if (u->username.p != NULL && users[j].username.p != NULL &&
            str_eq(&u->username, &users[j].username)) {
            char *path = path_of("$.auth.users", i, "username");
            diag_error(d, path, "\"%s\" is already used by $.auth.users[%zu]", u->username.p,
                       j);
            free(path);
            break;
        }
    }
}

static void check_auth(const struct config *c, struct diag *d)
{
    const struct cfg_auth *auth = &c->auth;
    if (!auth->enabled) {
        warn_ignored(schema_auth, auth->present, "$.auth", d);
        return;
    }
    if (!schema_present(schema_auth, auth, "realm"))
        diag_error(d, "$.auth", "missing required key \"realm\" (auth is enabled)");
    if (auth->users.n == 0)
        diag_error(d, "$.auth.users", "must list at least one user when auth is enabled");
    if (auth->type == AUTH_BASIC && schema_present(schema_auth, auth, "algorithm"))
        diag_error(d, "$.auth.algorithm", "only applies to digest auth; basic auth sends the "
                   "password and checks it against a bcrypt hash");
    if (auth->type == AUTH_DIGEST && schema_present(schema_auth, auth, "password_cache"))
        diag_error(d, "$.auth.password_cache", "only applies to basic auth, whose bcrypt "
                   "checks it caches; digest auth has no password check to cache");
    for (size_t i = 0; i < auth->users.n; i++)
        check_user(auth, i, d);
}

void validate_config(const struct config *c, struct diag *d)
{
    check_address(c, d);
    check_limits(c, d);
    check_response_headers(c, d);
    check_locations(c, d);
    check_cors(c, d);
    check_auth(c, d);
}
