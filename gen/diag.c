/*
 * diag.c - collected errors and warnings, and JSON path building.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void add(struct diag *d, enum diag_level level, const char *where, const char *fmt,
                va_list ap) __attribute__((format(printf, 4, 0)));

static void add(struct diag *d, enum diag_level level, const char *where, const char *fmt,
                va_list ap)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->msgs = xrealloc(d->msgs, d->cap * sizeof *d->msgs);
    }
    struct buf text = BUF_INIT;
    buf_vprintf(&text, fmt, ap);
    struct diag_msg *m = &d->msgs[d->n++];
    m->level = level;
    m->where = where ? xstrndup(where, strlen(where)) : NULL;
    m->text = buf_take(&text, NULL);
    if (level == DIAG_ERROR)
        d->errors++;
    else
        d->warnings++;
}

void diag_error(struct diag *d, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(d, DIAG_ERROR, where, fmt, ap);
    va_end(ap);
}

void diag_warn(struct diag *d, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(d, DIAG_WARNING, where, fmt, ap);
    va_end(ap);
}

void diag_print(const struct diag *d, const char *file, FILE *out)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct diag_msg *m = &d->msgs[i];
        fprintf(out, "%s: ", file);
        if (m->where != NULL)
            fprintf(out, "%s: ", m->where);
        if (m->level == DIAG_WARNING)
            fputs("warning: ", out);
        fprintf(out, "%s\n", m->text);
    }
}

void diag_free(struct diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->msgs[i].where);
        free(d->msgs[i].text);
    }
    free(d->msgs);
    d->msgs = NULL;
    d->n = d->cap = d->errors = d->warnings = 0;
}

static int plain_name(const char *key, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

void jpath_key(struct buf *path, const char *key, size_t len)
{
    if (plain_name(key, len)) {
        buf_putc(path, '.');
        buf_append(path, key, len);
        return;
    }
    buf_puts(path, "[\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == '"' || c == '\\')
            buf_printf(path, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            buf_printf(path, "\\u%04x", c);
        else
            buf_putc(path, (char)c);
    }
    buf_puts(path, "\"]");
}

void jpath_index(struct buf *path, size_t i)
{
    buf_printf(path, "[%zu]", i);
}

char *diag_quote(const char *s, size_t len, size_t max)
{
    struct buf b = BUF_INIT;
    buf_putc(&b, '"');
    for (size_t i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            buf_printf(&b, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            buf_printf(&b, "\\x%02x", c);
        else
            buf_putc(&b, (char)c);
    }
    if (len > max)
        buf_puts(&b, "...");
    buf_putc(&b, '"');
    return buf_take(&b, NULL);
}
