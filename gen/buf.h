/*
 * buf.h - growable byte buffer and allocation wrappers for kiln-gen.
 *
 * kiln-gen is a short-lived build tool: running out of memory is not a
 * condition it can recover from, so the x* wrappers abort (one policy, as in
 * the runtime's long-lived allocations). The buffer keeps a NUL after its
 * bytes so `p` can be used as a C string whenever the content has no NUL.
 */
#ifndef KILN_GEN_BUF_H
#define KILN_GEN_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *p;    /* NULL until the first append */
    size_t len; /* bytes, excluding the trailing NUL */
    size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrndup(const char *s, size_t n);
/* Formatted allocation; the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void buf_append(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Shrink to `len` bytes (a mark taken earlier from b->len). */
void buf_truncate(struct buf *b, size_t len);
/* The content as a C string: "" for an empty buffer, never NULL. */
const char *buf_str(const struct buf *b);
/* Hand the bytes to the caller (who frees them) and reset the buffer. */
char *buf_take(struct buf *b, size_t *len);
/* Release the memory; safe to call twice. */
void buf_free(struct buf *b);

#endif /* KILN_GEN_BUF_H */
