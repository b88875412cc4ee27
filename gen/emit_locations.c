/*
 * emit_locations.c - the exact-path location table (gperf input) and the
 * upstream (cached fetch) locations.
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "schema.h"

void emit_location_slot(const struct config *c, size_t i, int *is_return, size_t *index)
{
    const struct cfg_location *locs = c->locations.v;
    size_t returns = 0, upstreams = 0;
    for (size_t j = 0; j < i; j++) {
        if (schema_present(schema_location, &locs[j], "return"))
            returns++;
        else
            upstreams++;
    }
    *is_return = schema_present(schema_location, &locs[i], "return");
    *index = *is_return ? returns : upstreams;
}

/* A gperf keyword in its quoted form: gperf reads ANSI-C escapes there,
 * so any byte is safe. Paths never contain '\\' or controls (validated),
 * but escaping does not rely on that. */
static void gperf_keyword(struct buf *out, const struct cfg_str *path)
{
    buf_putc(out, '"');
    for (size_t i = 0; i < path->len; i++) {
        unsigned char ch = (unsigned char)path->p[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
            buf_putc(out, (char)ch);
        else
            buf_printf(out, "\\%03o", ch);
    }
    buf_putc(out, '"');
}

static void gperf_file(const struct config *c, const struct emit_info *info, struct buf *out)
{
    const struct cfg_location *locs = c->locations.v;
    struct buf words = BUF_INIT;
    for (size_t i = 0; i < c->locations.n; i++) {
        int is_return;
        size_t index;
        emit_location_slot(c, i, &is_return, &index);
        buf_printf(&words, "# $.locations[%zu]\n", i);
        gperf_keyword(&words, &locs[i].path);
        buf_printf(&words, ", %s, %zu\n", is_return ? "KILN_LOC_RETURN" : "KILN_LOC_UPSTREAM",
                   index);
    }
    if (c->locations.n == 0) {
        /* gperf refuses an empty keyword list. This key is not a path (no
         * leading '/'), and site.c does not use this table at all when
         * there are no locations (see site_location_none). */
        buf_puts(&words, "# no locations: a placeholder that is never looked up\n"
                         "\"(none)\", 0, 0\n");
    }
    struct template_var vars[] = {
        {"generator_version", KILN_VERSION},
        {"config_name", info->config_name},
        {"config_sha256", info->sha256_hex},
        {"keywords", buf_str(&words)},
    };
    template_render(out, "locations.gperf.in", vars, sizeof vars / sizeof vars[0]);
    buf_free(&words);
}

static void upstream_table(const struct config *c, struct buf *tables, struct emit_vars *vars)
{
    const struct cfg_location *locs = c->locations.v;
    size_t n = 0;
    for (size_t i = 0; i < c->locations.n; i++) {
        const struct cfg_location *l = &locs[i];
        if (schema_present(schema_location, l, "return"))
            continue;
        if (n++ == 0)
            buf_puts(tables, "/* $.locations[*].upstream: fetched and cached */\n"
                             "static const struct kiln_upstream_location site_upstreams[] = "
                             "{\n");
        char *path = xasprintf("$.locations[%zu]", i);
        emit_comment(tables, "    ", path, &l->path);
        buf_puts(tables, "    {\n        .path = ");
        emit_cstr(tables, l->path.p, l->path.len);
        buf_puts(tables, ",\n        .url = ");
        emit_cstr(tables, l->upstream.p, l->upstream.len);
        buf_printf(tables, ",\n        .cache_ttl_ms = %lld,\n        .json_path = \"%s\",\n"
                           "    },\n",
                   (long long)l->cache_ttl_ms, path);
        free(path);
    }
    if (n > 0)
        buf_puts(tables, "};\n\n");
    vars_set(vars, "upstreams", n ? "site_upstreams" : "NULL");
    vars_set(vars, "n_upstreams", "%zu", n);
}

void emit_locations(const struct config *c, const struct emit_info *info, struct buf *tables,
                    struct emit_vars *vars, struct buf *gperf)
{
    gperf_file(c, info, gperf);
    upstream_table(c, tables, vars);
    vars_set(vars, "n_locations", "%zu", c->locations.n);
    if (c->locations.n > 0) {
        vars_set(vars, "lookup", "%s", "");
        vars_set(vars, "location_lookup", "site_location_lookup");
        return;
    }
    vars_set(vars, "lookup", "%s",
             "\n/* No locations: every lookup misses. locations.gperf holds only a\n"
             " * placeholder (gperf cannot build an empty table), never consulted. */\n"
             "static const struct kiln_location *site_location_none(const char *path, "
             "size_t len)\n"
             "{\n"
             "    (void)path;\n"
             "    (void)len;\n"
             "    (void)site_location_lookup;\n"
             "    return NULL;\n"
             "}\n");
    vars_set(vars, "location_lookup", "site_location_none");
}
