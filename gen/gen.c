/*
 * gen.c - the generator pipeline, in memory.
 */
#include "gen.h"

#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "emit.h"
#include "lint.h"
#include "schema.h"
#include "serve.h"
#include "validate.h"

int config_load(const char *text, size_t len, struct config *c, struct diag *d)
{
    memset(c, 0, sizeof *c);
    schema_defaults(&schema_config, c);
    json_error_t err;
    /* NUL inside strings is allowed by the loader so the rules can reject
     * it with a JSON path instead of a bare syntax error. */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (root == NULL) {
        diag_error(d, NULL, "line %d, column %d: invalid JSON: %s", err.line, err.column,
                   err.text);
        return -1;
    }
    int rc = 0;
    if (!json_is_object(root)) {
        diag_error(d, "$", "the config must be a JSON object");
        rc = -1;
    } else {
        struct schema_ctx p = {d, BUF_INIT, 0};
        buf_puts(&p.path, "$");
        schema_parse(&p, &schema_config, root, c);
        buf_free(&p.path);
    }
    json_decref(root);
    return rc;
}

void config_free(struct config *c)
{
    schema_free(&schema_config, c);
}

static int failed(const struct diag *d, const struct gen_options *opt)
{
    return d->errors > 0 || (opt->strict && d->warnings > 0);
}

int gen_run(const char *text, size_t len, const char *config_name,
            const struct gen_options *opt, struct diag *d, struct gen_result *out)
{
    struct config c;
    char *pretty = NULL;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (config_load(text, len, &c, d) != 0)
        goto done;
    validate_config(&c, d);
    /* Lint only a valid config: warnings about a broken one are noise. */
    if (d->errors == 0)
        lint_config(&c, opt->check_fs, d);
    if (d->errors == 0 && !opt->serve_all)
        serve_check(&c, d);
    if (failed(d, opt))
        goto done;

    out->canonical = canon_compact(&c, &out->canonical_len);
    canon_sha256_hex(out->canonical, out->canonical_len, out->sha256);
    size_t pretty_len;
    pretty = canon_pretty_redacted(&c, &pretty_len);
    struct emit_info info = {config_name, out->sha256, pretty, pretty_len};
    emit_site(&c, &info, &out->site_c, &out->gperf);
    rc = 0;
done:
    free(pretty);
    config_free(&c);
    return rc;
}

void gen_result_free(struct gen_result *r)
{
    buf_free(&r->site_c);
    buf_free(&r->gperf);
    free(r->canonical);
    r->canonical = NULL;
    r->canonical_len = 0;
}
