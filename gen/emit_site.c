/*
 * emit_site.c - site.c: scalars, listener, upstream address, FastCGI
 * params, readiness, and the assembly of every part into the template.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstr.h"
#include "emit.h"
#include "fcgi_codec.h"
#include "lexical.h"
#include "netaddr.h"

/* A template variable holding a C string literal; its column in the
 * template is unknown, so long ones continue with a hanging indent. */
static void var_cstr(struct emit_vars *vars, const char *name, const char *s, size_t len)
{
    struct buf b = BUF_INIT;
    cstr_literal_at(&b, s, len, 8);
    vars_take(vars, name, &b);
}

static void var_bytes(struct emit_vars *vars, const char *name, const struct cfg_str *s)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "{.ptr = ");
    cstr_literal_at(&b, s->p, s->len, 8);
    buf_printf(&b, ", .len = %zu}", s->len);
    vars_take(vars, name, &b);
}

static void var_int(struct emit_vars *vars, const char *name, int64_t v)
{
    vars_set(vars, name, "%lld", (long long)v);
}

/* ---- parts -------------------------------------------------------------- */

static void emit_listener(const struct config *c, struct emit_vars *vars)
{
    struct hostport hp;
    hostport_parse(c->listen.p, c->listen.len, &hp); /* validated */
    var_cstr(vars, "listen", c->listen.p, c->listen.len);
    if (hp.kind == HOST_NAME) /* only "localhost" passes validation */
        var_cstr(vars, "listen_host", "127.0.0.1", 9);
    else
        var_cstr(vars, "listen_host", hp.host, hp.host_len);
    var_int(vars, "listen_port", hp.port);
    var_int(vars, "workers", c->workers);
}

static void emit_upstream(const struct config *c, struct emit_vars *vars)
{
    static const char *const nets[] = {"KILN_NET_TCP", "KILN_NET_TCP4", "KILN_NET_TCP6",
                                       "KILN_NET_UNIX"};
    vars_set(vars, "network", "%s", nets[c->network]);
    var_cstr(vars, "address", c->address.p, c->address.len);
    if (c->network == NET_UNIX) {
        var_cstr(vars, "upstream_host", "", 0);
        var_int(vars, "upstream_port", 0);
        var_cstr(vars, "upstream_path", c->address.p, c->address.len);
    } else {
        struct hostport hp;
        hostport_parse(c->address.p, c->address.len, &hp); /* validated */
        var_cstr(vars, "upstream_host", hp.host, hp.host_len);
        var_int(vars, "upstream_port", hp.port);
        var_cstr(vars, "upstream_path", "", 0);
    }
    var_bytes(vars, "document_root", &c->document_root);
    var_bytes(vars, "index", &c->index);
}

static void emit_scalars(const struct config *c, struct emit_vars *vars)
{
    const struct {
        const char *name;
        int64_t value;
    } scalars[] = {
        {"dial_timeout_ms", c->dial_timeout_ms},
        {"read_timeout_ms", c->read_timeout_ms},
        {"write_timeout_ms", c->write_timeout_ms},
        {"keepalive_timeout_ms", c->keepalive_timeout_ms},
        {"shutdown_timeout_ms", c->shutdown_timeout_ms},
        {"upstream_queue_timeout_ms", c->upstream_queue_timeout_ms},
        {"max_body_size", c->max_body_size},
        {"max_concurrency", c->max_concurrency},
        {"max_request_line", c->max_request_line},
        {"max_header_size", c->max_header_size},
        {"max_headers", c->max_headers},
        {"max_response_header_size", c->max_response_header_size},
        {"body_buffer_size", c->body_buffer_size},
        {"client_min_rate", c->client_min_rate},
        {"client_rate_grace_ms", c->client_rate_grace_ms},
        {"response_buffer_size", c->response_buffer_size},
        {"response_temp_max", c->response_temp_max},
        {"buffer_memory_max", c->buffer_memory_max},
        {"pool_max_idle", c->pool_max_idle},
        {"pool_idle_timeout_ms", c->pool_idle_timeout_ms},
        {"upstream_max_conns", c->upstream_max_conns},
    };
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        var_int(vars, scalars[i].name, scalars[i].value);
    var_cstr(vars, "temp_dir", c->temp_dir.p, c->temp_dir.len);
}

static void add_param(struct buf *out, const char *name, const char *value, size_t value_len)
{
    size_t n = fcgi_param_size(strlen(name), value_len);
    uint8_t *enc = xmalloc(n);
    fcgi_param_encode(enc, name, strlen(name), value, value_len);
    buf_append(out, enc, n);
    free(enc);
}

/* The params every request sends unchanged, encoded by the runtime's own
 * codec so the blob is exactly what it would have built. */
static void emit_fcgi_params(const struct config *c, struct buf *tables,
                             struct emit_vars *vars)
{
    struct hostport hp;
    hostport_parse(c->listen.p, c->listen.len, &hp);
    char port[8];
    snprintf(port, sizeof port, "%u", hp.port);
    struct buf params = BUF_INIT;
    add_param(&params, "GATEWAY_INTERFACE", "FastCGI/1.0", 11);
    add_param(&params, "SERVER_SOFTWARE", "kiln", 4);
    add_param(&params, "DOCUMENT_ROOT", c->document_root.p, c->document_root.len);
    add_param(&params, "REDIRECT_STATUS", "200", 3);
    add_param(&params, "SERVER_PORT", port, strlen(port));
    buf_puts(tables, "/* FastCGI name-value pairs sent with every request: GATEWAY_INTERFACE,\n"
                     " * SERVER_SOFTWARE, DOCUMENT_ROOT ($.document_root), REDIRECT_STATUS,\n"
                     " * SERVER_PORT ($.listen) */\n"
                     "static const char site_fcgi_params[] =\n    ");
    cstr_literal(tables, params.p, params.len);
    buf_puts(tables, ";\n\n");
    vars_set(vars, "fcgi_params_len", "%zu", params.len);
    buf_free(&params);
}

static void emit_readiness(const struct config *c, struct buf *tables, struct emit_vars *vars)
{
    const struct cfg_readiness *r = &c->readiness;
    const struct cfg_str *cidrs = r->drain_trusted_cidrs.v;
    size_t n = r->drain_trusted_cidrs.n;
    if (n > 0) {
        buf_puts(tables, "/* $.readiness.drain_trusted_cidrs: IPv4 as ::ffff:a.b.c.d with "
                         "prefix + 96, masked */\n"
                         "static const struct kiln_cidr site_drain_trusted[] = {\n");
        for (size_t i = 0; i < n; i++) {
            struct cidr net;
            cidr_parse(cidrs[i].p, cidrs[i].len, &net); /* validated */
            char *path = xasprintf("$.readiness.drain_trusted_cidrs[%zu]", i);
            emit_comment(tables, "    ", path, &cidrs[i]);
            free(path);
            buf_puts(tables, "    {.addr = {");
            for (size_t b = 0; b < 16; b++)
                buf_printf(tables, "%s%u", b ? ", " : "", net.addr[b]);
            buf_printf(tables, "}, .prefix = %u},\n", net.prefix);
        }
        buf_puts(tables, "};\n\n");
    }
    struct buf v = BUF_INIT;
    buf_printf(&v, "{\n        .enabled = %d,\n        .drain_enabled = %d,\n"
                   "        .status_path = ",
               r->enabled, r->drain_enabled);
    emit_bytes(&v, r->status_path.p, r->status_path.len);
    buf_printf(&v, ",\n        .timeout_ms = %lld,\n        .drain_trusted = %s,\n"
                   "        .n_drain_trusted = %zu,\n    }",
               (long long)r->timeout_ms, n ? "site_drain_trusted" : "NULL", n);
    vars_take(vars, "readiness", &v);
}

static void emit_identity(const struct emit_info *info, struct buf *tables,
                          struct emit_vars *vars)
{
    vars_set(vars, "generator_version", "%s", KILN_VERSION);
    var_cstr(vars, "generator_version_c", KILN_VERSION, strlen(KILN_VERSION));
    vars_set(vars, "config_name", "%s", info->config_name);
    var_cstr(vars, "config_name_c", info->config_name, strlen(info->config_name));
    vars_set(vars, "config_sha256", "%s", info->sha256_hex);
    buf_puts(tables, "/* The effective config, secrets redacted (kiln --print-config) */\n"
                     "static const char site_config_json[] =\n    ");
    cstr_literal(tables, info->config_json, info->config_json_len);
    buf_puts(tables, ";\n\n");
    vars_set(vars, "config_json_len", "%zu", info->config_json_len);
}

void emit_site(const struct config *c, const struct emit_info *info, struct buf *site_c,
               struct buf *gperf)
{
    struct emit_vars vars = {NULL, 0, 0};
    struct buf tables = BUF_INIT;
    buf_putc(&tables, '\n');
    emit_identity(info, &tables, &vars);
    emit_listener(c, &vars);
    emit_upstream(c, &vars);
    emit_scalars(c, &vars);
    emit_fcgi_params(c, &tables, &vars);
    emit_response_headers(c, &tables, &vars);
    emit_returns(c, &tables, &vars);
    emit_locations(c, info, &tables, &vars, gperf);
    emit_cors(c, &tables, &vars);
    emit_auth(c, &tables, &vars);
    emit_readiness(c, &tables, &vars);
    vars_take(&vars, "tables", &tables);
    template_render(site_c, "site.c.in", vars.v, vars.n);
    vars_free(&vars);
}
