/*
 * emit_http.c - HTTP bytes baked at build time: the response_headers block
 * and the complete heads of `return` locations.
 */
#include <stdlib.h>
#include <string.h>

#include "cstr.h"
#include "emit.h"
#include "http_reason.h"
#include "lexical.h"
#include "schema.h"

struct sorted_header {
    char *lower;
    const struct cfg_header *h;
};

static int cmp_header(const void *a, const void *b)
{
    return strcmp(((const struct sorted_header *)a)->lower,
                  ((const struct sorted_header *)b)->lower);
}

/* The configured headers sorted by lower-case name: their order on the
 * wire means nothing, and sorting makes the output independent of key
 * order in the JSON. Names are unique case-insensitively (validated). */
static struct sorted_header *sorted_headers(const struct config *c)
{
    size_t n = c->response_headers.n;
    const struct cfg_header *h = c->response_headers.v;
    struct sorted_header *s = xcalloc(n, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        s[i].h = &h[i];
        s[i].lower = xstrndup(h[i].name.p, h[i].name.len);
        for (char *p = s[i].lower; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    }
    qsort(s, n, sizeof *s, cmp_header);
    return s;
}

static void free_sorted(struct sorted_header *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].lower);
    free(s);
}

/* "Name: value\r\n" for every configured header, except one named `skip`
 * (NULL: none). */
static void header_block(const struct config *c, const char *skip, struct buf *out)
{
    size_t n = c->response_headers.n;
    struct sorted_header *s = sorted_headers(c);
    for (size_t i = 0; i < n; i++) {
        if (skip != NULL && strcmp(s[i].lower, skip) == 0)
            continue;
        buf_append(out, s[i].h->name.p, s[i].h->name.len);
        buf_puts(out, ": ");
        buf_append(out, s[i].h->value.p, s[i].h->value.len);
        buf_puts(out, "\r\n");
    }
    free_sorted(s, n);
}

void emit_response_headers(const struct config *c, struct buf *tables, struct emit_vars *vars)
{
    size_t n = c->response_headers.n;
    struct buf block = BUF_INIT;
    header_block(c, NULL, &block);
    buf_puts(tables, "/* $.response_headers: sorted by name; also part of every return head */\n"
                     "static const char site_response_headers[] =\n    ");
    cstr_literal(tables, buf_str(&block), block.len);
    buf_puts(tables, ";\n\n");
    vars_set(vars, "response_headers", "{.ptr = site_response_headers, .len = %zu}", block.len);
    vars_set(vars, "n_response_headers", "%zu", n);
    buf_free(&block);
    if (n == 0) {
        vars_set(vars, "response_header_names", "NULL");
        return;
    }
    struct sorted_header *s = sorted_headers(c);
    buf_puts(tables, "/* $.response_headers: names, lower case, sorted (the runtime "
                     "searches them) */\n"
                     "static const struct kiln_bytes site_response_header_names[] = {\n");
    for (size_t i = 0; i < n; i++) {
        buf_puts(tables, "    ");
        emit_bytes(tables, s[i].lower, strlen(s[i].lower));
        buf_puts(tables, ",\n");
    }
    buf_puts(tables, "};\n\n");
    free_sorted(s, n);
    vars_set(vars, "response_header_names", "site_response_header_names");
}

static int no_content(int64_t status)
{
    return status == 204 || status == 304;
}

/* Status line and every fixed header of a return location. */
static void return_head(const struct config *c, const struct cfg_return *r, struct buf *head)
{
    buf_printf(head, "HTTP/1.1 %lld %s\r\n", (long long)r->status, http_reason((unsigned)r->status));
    int typed = !no_content(r->status) && r->content_type.len > 0;
    if (typed) {
        buf_puts(head, "Content-Type: ");
        buf_append(head, r->content_type.p, r->content_type.len);
        buf_puts(head, "\r\n");
    }
    if (!no_content(r->status))
        buf_printf(head, "Content-Length: %zu\r\n", r->body.len);
    /* The location's own Content-Type wins over a configured one (set
     * semantics), so the head never carries two. */
    header_block(c, typed ? "content-type" : NULL, head);
}

void emit_returns(const struct config *c, struct buf *tables, struct emit_vars *vars)
{
    const struct cfg_location *locs = c->locations.v;
    size_t n = 0;
    for (size_t i = 0; i < c->locations.n; i++) {
        if (!schema_present(schema_location, &locs[i], "return"))
            continue;
        if (n++ == 0)
            buf_puts(tables, "/* $.locations[*].return: complete heads; the runtime adds "
                             "Date, Connection and the blank line */\n"
                             "static const struct kiln_static_response site_returns[] = {\n");
        const struct cfg_return *r = &locs[i].ret;
        char *path = xasprintf("$.locations[%zu]", i);
        struct buf head = BUF_INIT;
        return_head(c, r, &head);
        emit_comment(tables, "    ", path, &locs[i].path);
        buf_puts(tables, "    {\n        .head = ");
        emit_bytes(tables, head.p, head.len);
        buf_puts(tables, ",\n        .body = ");
        emit_bytes(tables, r->body.p, r->body.len);
        buf_printf(tables, ",\n        .status = %lld,\n        .json_path = \"%s\",\n    },\n",
                   (long long)r->status, path);
        buf_free(&head);
        free(path);
    }
    if (n > 0)
        buf_puts(tables, "};\n\n");
    vars_set(vars, "returns", n ? "site_returns" : "NULL");
    vars_set(vars, "n_returns", "%zu", n);
}
