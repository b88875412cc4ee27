/*
 * template.c - {{name}} substitution in the embedded templates.
 */
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct template_file *find_template(const char *name)
{
    for (size_t i = 0; i < template_count; i++)
        if (strcmp(template_files[i].name, name) == 0)
            return &template_files[i];
    fprintf(stderr, "kiln-gen: bug: no template %s\n", name);
    abort();
}

static const char *find_var(const struct template_var *vars, size_t n, const char *name,
                            size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
            return vars[i].value;
    fprintf(stderr, "kiln-gen: bug: template variable %.*s has no value\n", (int)len, name);
    abort();
}

void template_render(struct buf *out, const char *name, const struct template_var *vars,
                     size_t n)
{
    const struct template_file *t = find_template(name);
    const char *s = (const char *)t->text, *end = s + t->len;
    while (s < end) {
        const char *open = strstr(s, "{{");
        if (open == NULL) {
            buf_append(out, s, (size_t)(end - s));
            break;
        }
        const char *close = strstr(open + 2, "}}");
        if (close == NULL) {
            fprintf(stderr, "kiln-gen: bug: unclosed {{ in template %s\n", name);
            abort();
        }
        buf_append(out, s, (size_t)(open - s));
        buf_puts(out, find_var(vars, n, open + 2, (size_t)(close - open - 2)));
        s = close + 2;
    }
}
