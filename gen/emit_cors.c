/*
 * emit_cors.c - CORS answers, precomputed per allowed origin.
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "lexical.h"

#define PREFLIGHT_VARY "Vary: Origin, Access-Control-Request-Method, " \
                       "Access-Control-Request-Headers\r\n"

static int cmp_str(const void *a, const void *b)
{
    const struct cfg_str *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->p, y->p, n);
    return r != 0 ? r : (x->len > y->len) - (x->len < y->len);
}

/* "a, b, c" from a list, each entry once (ASCII case-insensitively). */
static void join_unique(const struct cfg_list *l, struct buf *out)
{
    const struct cfg_str *s = l->v;
    size_t written = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t j = 0;
        while (j < i && !(s[j].len == s[i].len && lex_ieq(s[j].p, s[j].len, s[i].p)))
            j++;
        if (j < i)
            continue;
        if (written++ > 0)
            buf_puts(out, ", ");
        buf_append(out, s[i].p, s[i].len);
    }
}

/* Allowed methods: upper case (normalized while parsing), sorted, once. */
static struct cfg_str *sorted_methods(const struct cfg_cors *cors, size_t *n)
{
    struct cfg_str *m = xcalloc(cors->allowed_methods.n, sizeof *m);
    memcpy(m, cors->allowed_methods.v, cors->allowed_methods.n * sizeof *m);
    qsort(m, cors->allowed_methods.n, sizeof *m, cmp_str);
    size_t out = 0;
    for (size_t i = 0; i < cors->allowed_methods.n; i++)
        if (out == 0 || cmp_str(&m[out - 1], &m[i]) != 0)
            m[out++] = m[i];
    *n = out;
    return m;
}

static void allow_origin(const struct cfg_cors *cors, const struct cfg_str *origin,
                         struct buf *out)
{
    buf_puts(out, "Access-Control-Allow-Origin: ");
    buf_append(out, origin->p, origin->len);
    buf_puts(out, "\r\n");
    if (cors->allow_credentials)
        buf_puts(out, "Access-Control-Allow-Credentials: true\r\n");
}

static void simple_headers(const struct cfg_cors *cors, const struct cfg_str *origin,
                           struct buf *out)
{
    allow_origin(cors, origin, out);
    if (cors->exposed_headers.n > 0) {
        buf_puts(out, "Access-Control-Expose-Headers: ");
        join_unique(&cors->exposed_headers, out);
        buf_puts(out, "\r\n");
    }
    buf_puts(out, "Vary: Origin\r\n");
}

static void preflight_headers(const struct cfg_cors *cors, const struct cfg_str *origin,
                              const struct cfg_str *methods, size_t n_methods,
                              struct buf *out)
{
    allow_origin(cors, origin, out);
    if (n_methods > 0) {
        buf_puts(out, "Access-Control-Allow-Methods: ");
        for (size_t i = 0; i < n_methods; i++)
            buf_printf(out, "%s%s", i ? ", " : "", methods[i].p);
        buf_puts(out, "\r\n");
    }
    if (cors->allowed_headers.n > 0) {
        buf_puts(out, "Access-Control-Allow-Headers: ");
        join_unique(&cors->allowed_headers, out);
        buf_puts(out, "\r\n");
    }
    if (cors->max_age_ms >= 1000)
        buf_printf(out, "Access-Control-Max-Age: %lld\r\n", (long long)(cors->max_age_ms / 1000));
    buf_puts(out, PREFLIGHT_VARY);
}

/* One struct kiln_cors_origin initializer; origin NULL: the empty one. */
static void origin_entry(const struct cfg_cors *cors, const struct cfg_str *origin,
                         const struct cfg_str *methods, size_t n_methods, const char *indent,
                         struct buf *out)
{
    struct buf simple = BUF_INIT, preflight = BUF_INIT;
    char *inner = xasprintf("%s    ", indent);
    if (origin != NULL) {
        simple_headers(cors, origin, &simple);
        preflight_headers(cors, origin, methods, n_methods, &preflight);
    }
    buf_printf(out, "{\n%s.origin = ", inner);
    emit_bytes(out, origin ? origin->p : "", origin ? origin->len : 0);
    buf_printf(out, ",\n%s.simple_headers = ", inner);
    emit_bytes(out, buf_str(&simple), simple.len);
    buf_printf(out, ",\n%s.preflight_headers = ", inner);
    emit_bytes(out, buf_str(&preflight), preflight.len);
    buf_printf(out, ",\n%s}", indent);
    free(inner);
    buf_free(&simple);
    buf_free(&preflight);
}

static int is_literal(const struct cfg_str *s, const char *lit)
{
    return s->len == strlen(lit) && memcmp(s->p, lit, s->len) == 0;
}

/* Named origins (not "*" or "null"), sorted by bytes for bsearch. */
static struct cfg_str *named_origins(const struct cfg_cors *cors, size_t *n)
{
    const struct cfg_str *o = cors->allowed_origins.v;
    struct cfg_str *named = xcalloc(cors->allowed_origins.n, sizeof *named);
    size_t k = 0;
    for (size_t i = 0; i < cors->allowed_origins.n; i++)
        if (!is_literal(&o[i], "*") && !is_literal(&o[i], "null"))
            named[k++] = o[i];
    qsort(named, k, sizeof *named, cmp_str);
    *n = k;
    return named;
}

static int has_origin(const struct cfg_cors *cors, const char *lit)
{
    const struct cfg_str *o = cors->allowed_origins.v;
    for (size_t i = 0; i < cors->allowed_origins.n; i++)
        if (is_literal(&o[i], lit))
            return 1;
    return 0;
}

static void cors_tables(const struct cfg_cors *cors, const struct cfg_str *named, size_t n_named,
                        const struct cfg_str *methods, size_t n_methods, struct buf *tables)
{
    if (n_named > 0) {
        buf_puts(tables, "/* $.cors.allowed_origins: lower case, sorted by bytes (the "
                         "runtime searches them) */\n"
                         "static const struct kiln_cors_origin site_cors_origins[] = {\n");
        for (size_t i = 0; i < n_named; i++) {
            emit_comment(tables, "    ", "$.cors.allowed_origins", &named[i]);
            buf_puts(tables, "    ");
            origin_entry(cors, &named[i], methods, n_methods, "    ", tables);
            buf_puts(tables, ",\n");
        }
        buf_puts(tables, "};\n\n");
    }
    if (n_methods > 0) {
        buf_puts(tables, "/* $.cors.allowed_methods: upper case, sorted */\n"
                         "static const char *const site_cors_methods[] = {");
        for (size_t i = 0; i < n_methods; i++)
            buf_printf(tables, "%s\"%s\"", i ? ", " : "", methods[i].p);
        buf_puts(tables, "};\n\n");
    }
}

void emit_cors(const struct config *c, struct buf *tables, struct emit_vars *vars)
{
    const struct cfg_cors *cors = &c->cors;
    int on = cors->enabled;
    size_t n_named = 0, n_methods = 0;
    struct cfg_str *named = on ? named_origins(cors, &n_named) : NULL;
    struct cfg_str *methods = on ? sorted_methods(cors, &n_methods) : NULL;
    int any = on && has_origin(cors, "*"), null = on && has_origin(cors, "null");
    static const struct cfg_str star = {"*", 1}, null_text = {"null", 4};
    if (on)
        cors_tables(cors, named, n_named, methods, n_methods, tables);

    struct buf v = BUF_INIT;
    buf_printf(&v, "{\n        .enabled = %d,\n        .allow_credentials = %d,\n"
                   "        .allow_any_origin = %d,\n        .allow_null_origin = %d,\n"
                   "        .echo_request_headers = %d,\n"
                   "        .origins = %s,\n        .n_origins = %zu,\n        .any = ",
               on, on && cors->allow_credentials, any, null,
               on && cors->allowed_headers.n == 0, n_named ? "site_cors_origins" : "NULL",
               n_named);
    origin_entry(cors, any ? &star : NULL, methods, n_methods, "        ", &v);
    buf_puts(&v, ",\n        .null_origin = ");
    origin_entry(cors, null ? &null_text : NULL, methods, n_methods, "        ", &v);
    buf_puts(&v, ",\n        .vary_only = ");
    if (on)
        emit_bytes(&v, "Vary: Origin\r\n", 14);
    else
        emit_bytes(&v, "", 0);
    buf_printf(&v, ",\n        .max_age_s = %lld,\n        .allowed_methods = %s,\n"
                   "        .n_allowed_methods = %zu,\n    }",
               on ? (long long)(cors->max_age_ms / 1000) : 0LL,
               n_methods ? "site_cors_methods" : "NULL", n_methods);
    vars_take(vars, "cors", &v);
    free(named);
    free(methods);
}
