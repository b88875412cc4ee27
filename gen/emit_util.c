/*
 * emit_util.c - what every emit_*.c file uses: template variables and C
 * literals (see emit.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cstr.h"
#include "emit.h"

static void vars_add(struct emit_vars *vars, const char *name, char *value)
{
    if (vars->n == vars->cap) {
        vars->cap = vars->cap ? vars->cap * 2 : 64;
        vars->v = xrealloc(vars->v, vars->cap * sizeof *vars->v);
    }
    vars->v[vars->n].name = name;
    vars->v[vars->n].value = value;
    vars->n++;
}

void vars_set(struct emit_vars *vars, const char *name, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    vars_add(vars, name, buf_take(&b, NULL));
}

void vars_take(struct emit_vars *vars, const char *name, struct buf *b)
{
    vars_add(vars, name, buf_take(b, NULL));
}

void vars_free(struct emit_vars *vars)
{
    for (size_t i = 0; i < vars->n; i++)
        free((char *)vars->v[i].value);
    free(vars->v);
    vars->v = NULL;
    vars->n = vars->cap = 0;
}

void emit_bytes(struct buf *out, const char *s, size_t len)
{
    buf_puts(out, "{.ptr = ");
    cstr_literal(out, s ? s : "", len);
    buf_printf(out, ", .len = %zu}", len);
}

void emit_cstr(struct buf *out, const char *s, size_t len)
{
    if (s == NULL)
        buf_puts(out, "NULL");
    else
        cstr_literal(out, s, len);
}

void emit_comment(struct buf *out, const char *indent, const char *json_path,
                  const struct cfg_str *value)
{
    buf_printf(out, "%s/* %s ", indent, json_path);
    cstr_comment(out, value->p, value->len, 100);
    buf_puts(out, " */\n");
}

