/*
 * diag.h - errors and warnings, collected and reported together.
 *
 * Every finding names where it is: a JSON path ("$.cors.allowed_origins[2]")
 * or, for syntax errors, a line and column. Nothing is printed until the
 * whole file was checked, so a user sees every problem in one run, in the
 * order the checks found them.
 *
 *   FILE: $.path: what is wrong; what is allowed
 *   FILE: $.path: warning: what is suspicious; why
 */
#ifndef KILN_GEN_DIAG_H
#define KILN_GEN_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

enum diag_level { DIAG_ERROR, DIAG_WARNING };

struct diag_msg {
    enum diag_level level;
    char *where; /* JSON path, or NULL for a whole-file message */
    char *text;
};

struct diag {
    struct diag_msg *msgs;
    size_t n, cap;
    size_t errors, warnings;
};

#define DIAG_INIT {NULL, 0, 0, 0, 0}

void diag_error(struct diag *d, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warn(struct diag *d, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Print every message as "FILE: where: text" lines. */
void diag_print(const struct diag *d, const char *file, FILE *out);
void diag_free(struct diag *d);

/*
 * JSON paths are built in a struct buf: append a member or an index, and
 * truncate back to the mark taken before. A member name that is not a plain
 * identifier (letters, digits, '_', '-') is written in bracket form with
 * JSON escaping, e.g. $.response_headers["X Bad"], so any key is readable.
 */
void jpath_key(struct buf *path, const char *key, size_t len);
void jpath_index(struct buf *path, size_t i);

/* Quote up to `max` bytes of s for a message: printable ASCII as is, the
 * rest as \xNN; "..." marks a cut. Returns a malloc'ed string. */
char *diag_quote(const char *s, size_t len, size_t max);

#endif /* KILN_GEN_DIAG_H */
