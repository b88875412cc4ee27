/*
 * template.h - the C skeletons in templates/ (*.in), embedded at build time,
 * and the {{name}} substitution that fills them.
 */
#ifndef KILN_GEN_TEMPLATE_H
#define KILN_GEN_TEMPLATE_H

#include <stddef.h>

#include "buf.h"

struct template_file {
    const char *name; /* e.g. "site.c.in" */
    const unsigned char *text;
    size_t len;
};

/* Defined in the generated templates.c. */
extern const struct template_file template_files[];
extern const size_t template_count;

struct template_var {
    const char *name;
    const char *value;
};

/* Append template `name` to out, each "{{var}}" replaced by its value.
 * A missing template or variable is a bug in kiln-gen: it aborts. */
void template_render(struct buf *out, const char *name, const struct template_var *vars,
                     size_t n);

#endif /* KILN_GEN_TEMPLATE_H */
