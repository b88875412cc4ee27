/*
 * lint.c - warnings about legal but suspicious settings.
 */
#include "lint.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "duration.h"
#include "lexical.h"
#include "schema.h"

/* PHP's max_execution_time defaults to 30s; twice that is already a
 * request nobody waits for in a browser. */
#define LONG_UPSTREAM_TIMEOUT_MS 60000
/* AWS ALB and GCP load balancers close idle connections after 60s. */
#define LB_IDLE_TIMEOUT_MS 60000
/* Past this, an idle pooled connection pins a php-fpm worker for long. */
#define LONG_POOL_IDLE_MS 60000
/* php-fpm pools larger than this are rare; a bigger value usually means
 * upstream_max_conns was not matched to pm.max_children. */
#define MANY_UPSTREAM_CONNS 64
#define MANY_WORKERS 64
#define MANY_CREDENTIALED_ORIGINS 10

static void lint_document_root(const struct config *c, struct diag *d)
{
    /* Walk every prefix: /var, /var/www, /var/www/html. A path that does not
     * exist here is fine: php-fpm often runs in another container. */
    const char *root = c->document_root.p;
    size_t len = c->document_root.len;
    if (root == NULL || len < 2 || memchr(root, '\0', len) != NULL)
        return;
    for (size_t end = 1; end <= len; end++) {
        if (end < len && root[end] != '/')
            continue;
        char *prefix = xstrndup(root, end);
        struct stat st;
        int found = lstat(prefix, &st) == 0;
        if (found && S_ISLNK(st.st_mode)) {
            diag_warn(d, "$.document_root", "%s is a symlink on this host; PHP's realpath "
                      "cache and opcache key scripts by resolved path, so switching the link "
                      "can keep serving old code: point document_root at the real directory",
                      prefix);
            free(prefix);
            return;
        }
        free(prefix);
        if (!found)
            return;
    }
}

static void lint_upstream(const struct config *c, struct diag *d)
{
    if (c->network == NET_UNIX && c->address.len > 0 && c->address.p[0] != '/')
        diag_warn(d, "$.address", "\"%s\" is a relative socket path, resolved against "
                  "kiln's working directory at run time; use an absolute path", c->address.p);
    if (c->upstream_max_conns > MANY_UPSTREAM_CONNS)
        diag_warn(d, "$.upstream_max_conns", "%lld is more than php-fpm pools usually have "
                  "(pm.max_children); connections beyond max_children wait inside php-fpm "
                  "instead of queueing in kiln, so set it to pm.max_children",
                  (long long)c->upstream_max_conns);
    if (schema_present(&schema_config, c, "pool_max_idle") &&
        c->pool_max_idle > c->upstream_max_conns)
        diag_warn(d, "$.pool_max_idle", "%lld is more than upstream_max_conns (%lld); at most "
                  "%lld connections can ever be idle", (long long)c->pool_max_idle,
                  (long long)c->upstream_max_conns, (long long)c->upstream_max_conns);
    if (c->pool_idle_timeout_ms > LONG_POOL_IDLE_MS)
        diag_warn(d, "$.pool_idle_timeout", "longer than 60s: each idle pooled connection "
                  "holds a php-fpm worker that could serve another kiln replica or a "
                  "readiness probe");
    if (c->workers > MANY_WORKERS)
        diag_warn(d, "$.workers", "%lld threads: more than the CPUs of most hosts, and each "
                  "thread keeps its own php-fpm connections; 0 starts one per CPU",
                  (long long)c->workers);
}

static void lint_timeouts(const struct config *c, struct diag *d)
{
    static const char *const names[] = {"read_timeout", "write_timeout"};
    const int64_t values[] = {c->read_timeout_ms, c->write_timeout_ms};
    for (size_t i = 0; i < 2; i++) {
        if (values[i] <= LONG_UPSTREAM_TIMEOUT_MS)
            continue;
        char path[32], text[DURATION_TEXT_MAX];
        snprintf(path, sizeof path, "$.%s", names[i]);
        duration_format_ms(values[i], text);
        diag_warn(d, path, "%s is longer than 60s: PHP stops scripts after max_execution_time "
                  "(30s by default), so a slow or stuck request holds a client connection "
                  "and a php-fpm worker far longer than the script can run", text);
    }
    if (c->keepalive_timeout_ms <= LB_IDLE_TIMEOUT_MS)
        diag_warn(d, "$.keepalive_timeout", "60s or less: load balancers (AWS ALB, Google "
                  "Cloud) keep idle connections 60s, and when kiln closes first a request the "
                  "balancer sends on the closing connection fails with a 502");
}

/* First path segment names that usually mean private content. */
static const char *const private_segments[] = {
    "admin", "administrator", "wp-admin", "wp-login.php", "phpmyadmin", "adminer",
    "adminer.php", "server-status", "server-info", "backup", "backups", ".git", ".svn",
    ".hg", ".htpasswd", ".htaccess", ".ssh", NULL,
};

static int looks_private(const struct cfg_str *path)
{
    const char *seg = path->p + 1;
    const char *end = memchr(seg, '/', path->len - 1);
    size_t n = end ? (size_t)(end - seg) : path->len - 1;
    if (lex_iprefix(seg, n, ".env"))
        return 1;
    for (size_t i = 0; private_segments[i] != NULL; i++)
        if (lex_ieq(seg, n, private_segments[i]))
            return 1;
    return 0;
}

static void lint_locations(const struct config *c, struct diag *d)
{
    /* Locations are answered before authentication, by design. With auth
     * on, a private-looking location is an unexpected hole; with auth off, a
     * "return" there is usually a deliberate block (404 for /.git), but an
     * upstream fetch publishes whatever the upstream serves. */
    const struct cfg_location *locs = c->locations.v;
    for (size_t i = 0; i < c->locations.n; i++) {
        const struct cfg_location *l = &locs[i];
        if (l->path.p == NULL || l->path.len == 0 || !looks_private(&l->path))
            continue;
        char path[48];
        snprintf(path, sizeof path, "$.locations[%zu].path", i);
        int upstream = schema_present(schema_location, l, "upstream");
        if (c->auth.enabled)
            diag_warn(d, path, "\"%s\" looks private, but locations are served without "
                      "authentication (auth only guards requests that reach php-fpm)",
                      l->path.p);
        else if (upstream)
            diag_warn(d, path, "\"%s\" looks private and is fetched from \"%s\" for anyone: "
                      "auth is off, and locations bypass it anyway", l->path.p,
                      l->upstream.p);
    }
}

static void lint_cors(const struct config *c, struct diag *d)
{
    const struct cfg_cors *cors = &c->cors;
    if (!cors->enabled)
        return;
    if (cors->allow_credentials && cors->allowed_origins.n > MANY_CREDENTIALED_ORIGINS)
        diag_warn(d, "$.cors.allowed_origins", "%zu origins may send credentialed requests; "
                  "each one can act as the logged-in user, so keep this list short and "
                  "reviewed", cors->allowed_origins.n);
    const struct cfg_str *h = cors->allowed_headers.v;
    for (size_t i = 0; i < cors->allowed_headers.n && cors->allow_credentials; i++) {
        if (h[i].len == 1 && h[i].p[0] == '*') {
            char path[48];
            snprintf(path, sizeof path, "$.cors.allowed_headers[%zu]", i);
            diag_warn(d, path, "with allow_credentials, browsers read \"*\" as a header "
                      "literally named \"*\", not as a wildcard; list the headers");
        }
    }
    if (cors->max_age_ms % 1000 != 0)
        diag_warn(d, "$.cors.max_age", "Access-Control-Max-Age is in whole seconds; "
                  "%lldms is sent as %llds", (long long)cors->max_age_ms,
                  (long long)(cors->max_age_ms / 1000));
}

static void lint_auth(const struct config *c, struct diag *d)
{
    const struct cfg_auth *auth = &c->auth;
    if (!auth->enabled)
        return;
    if (auth->type == AUTH_DIGEST && auth->algorithm == ALG_MD5)
        diag_warn(d, "$.auth.algorithm", "MD5 is broken as a hash; use SHA-256 unless clients "
                  "that only speak MD5 digest must log in");
    if (auth->type == AUTH_BASIC && schema_present(schema_auth, auth, "nonce_lifetime"))
        diag_warn(d, "$.auth.nonce_lifetime", "only digest auth uses nonces; it is ignored "
                  "with basic auth");
    if (auth->type == AUTH_BASIC && !auth->password_cache.enabled)
        diag_warn(d, "$.auth.password_cache.enabled", "without the cache every request runs "
                  "bcrypt (about 50ms at cost 10), which limits each CPU to about 20 "
                  "authenticated requests per second");
}

void lint_config(const struct config *c, int check_fs, struct diag *d)
{
    if (check_fs)
        lint_document_root(c, d);
    lint_upstream(c, d);
    lint_timeouts(c, d);
    lint_locations(c, d);
    lint_cors(c, d);
    lint_auth(c, d);
}
