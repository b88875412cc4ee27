/*
 * cstr.c - bytes as C string literals and comment text.
 */
#include "cstr.h"

#define CHUNK 64

static void escape_byte(struct buf *out, unsigned char c)
{
    switch (c) {
    case '"':
        buf_puts(out, "\\\"");
        return;
    case '\\':
        buf_puts(out, "\\\\");
        return;
    case '?':
        buf_puts(out, "\\?");
        return;
    case '\n':
        buf_puts(out, "\\n");
        return;
    case '\r':
        buf_puts(out, "\\r");
        return;
    case '\t':
        buf_puts(out, "\\t");
        return;
    default:
        if (c >= 0x20 && c < 0x7f)
            buf_putc(out, (char)c);
        else
            buf_printf(out, "\\%03o", c);
    }
}

/* The column the next byte of out lands in. */
static size_t column(const struct buf *b)
{
    size_t i = b->len;
    while (i > 0 && b->p[i - 1] != '\n')
        i--;
    return b->len - i;
}

void cstr_literal(struct buf *out, const char *s, size_t len)
{
    cstr_literal_at(out, s, len, column(out));
}

void cstr_literal_at(struct buf *out, const char *s, size_t len, size_t indent)
{
    size_t line_start = out->len;
    buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        escape_byte(out, c);
        int more = i + 1 < len;
        if (more && (c == '\n' || out->len - line_start >= CHUNK)) {
            buf_printf(out, "\"\n%*s", (int)indent, "");
            line_start = out->len;
            buf_putc(out, '"');
        }
    }
    buf_putc(out, '"');
}

void cstr_comment(struct buf *out, const char *s, size_t len, size_t max)
{
    buf_putc(out, '"');
    for (size_t i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '*' && c != '/' && c != '?' && c != '\\' && c != '"')
            buf_putc(out, (char)c);
        else if (c == '/' && !(i + 1 < len && s[i + 1] == '*'))
            buf_putc(out, '/');
        else
            buf_printf(out, "\\x%02x", c);
    }
    if (len > max)
        buf_puts(out, "...");
    buf_putc(out, '"');
}
