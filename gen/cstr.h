/*
 * cstr.h - bytes as C source: string literals and comment text.
 *
 * Any byte sequence becomes valid C: printable ASCII stays readable, '"',
 * '\\' and '?' are escaped ('?' so no trigraph can form), everything else
 * is a three-digit octal escape (never hex: a hex escape would swallow a
 * following hex digit). Long data is split into adjacent literals after
 * each "\n" and every 64 source bytes, so generated files stay readable and
 * diffable.
 */
#ifndef KILN_GEN_CSTR_H
#define KILN_GEN_CSTR_H

#include <stddef.h>

#include "buf.h"

/* Append s[0..len) as adjacent literals, continuation lines aligned under
 * the first quote. An empty string is "". */
void cstr_literal(struct buf *out, const char *s, size_t len);
/* The same with continuation lines indented by `indent` spaces. */
void cstr_literal_at(struct buf *out, const char *s, size_t len, size_t indent);

/* Append s[0..len) quoted for use inside a C comment: printable ASCII
 * except '*', '/', '?' and '\\' kept, the rest as \xNN, at most `max`
 * bytes ("..." marks a cut). */
void cstr_comment(struct buf *out, const char *s, size_t len, size_t max);

#endif /* KILN_GEN_CSTR_H */
