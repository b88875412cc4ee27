/*
 * schema.c - the engine behind the key table: parse, defaults, canonical
 * JSON, free, docs.
 */
#include "schema.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "lexical.h"
#include "model.h"
#include "suggest.h"

#define FIELD(obj_ptr, key) ((char *)(obj_ptr) + (key)->offset)

static uint64_t *present_bits(const struct schema_obj *obj, void *obj_ptr)
{
    return (uint64_t *)((char *)obj_ptr + obj->present_offset);
}

static void str_set(struct cfg_str *s, const char *p, size_t len)
{
    free(s->p);
    s->p = xstrndup(p, len);
    s->len = len;
}

static void list_free_items(const struct schema_key *k, struct cfg_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (k->type == T_STRINGS) {
            free(((struct cfg_str *)l->v)[i].p);
        } else if (k->type == T_HEADERS) {
            struct cfg_header *h = &((struct cfg_header *)l->v)[i];
            free(h->name.p);
            free(h->value.p);
        } else {
            schema_free(k->sub, (char *)l->v + i * k->sub->size);
        }
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void field_free(const struct schema_key *k, void *field)
{
    switch (k->type) {
    case T_STRING: {
        struct cfg_str *s = field;
        free(s->p);
        s->p = NULL;
        s->len = 0;
        break;
    }
    case T_STRINGS:
    case T_HEADERS:
    case T_OBJECTS:
        list_free_items(k, field);
        break;
    case T_OBJECT:
        schema_free(k->sub, field);
        break;
    default:
        break;
    }
}

void schema_free(const struct schema_obj *obj, void *obj_ptr)
{
    for (size_t i = 0; i < obj->n_keys; i++)
        field_free(&obj->keys[i], FIELD(obj_ptr, &obj->keys[i]));
}

/* ---- parsing ------------------------------------------------------------ */

static const char *type_text(enum schema_type t)
{
    switch (t) {
    case T_BOOL:
        return "must be true or false";
    case T_INT:
        return "must be an integer";
    case T_STRING:
    case T_ENUM:
        return "must be a string";
    case T_DURATION:
        return "must be a duration string such as \"5s\", \"100ms\" or \"1m30s\"";
    case T_STRINGS:
        return "must be an array of strings";
    case T_HEADERS:
        return "must be an object of header name to value";
    case T_OBJECT:
        return "must be an object";
    case T_OBJECTS:
        return "must be an array of objects";
    }
    return "has the wrong type";
}

static void type_error(struct schema_ctx *p, const struct schema_key *k, json_t *v)
{
    /* Say what was found, since "10" vs 10 is the usual mistake. */
    const char *found = json_is_string(v)    ? "a string"
                        : json_is_integer(v) ? "an integer"
                        : json_is_real(v)    ? "a number with a fraction or exponent"
                        : json_is_boolean(v) ? "a boolean"
                        : json_is_null(v)    ? "null"
                        : json_is_array(v)   ? "an array"
                                             : "an object";
    diag_error(p->diag, p->path.p, "%s, not %s", type_text(k->type), found);
}

static void range_error(struct schema_ctx *p, const struct schema_key *k)
{
    if (k->type == T_DURATION) {
        char lo[DURATION_TEXT_MAX], hi[DURATION_TEXT_MAX];
        duration_format_ms(k->min, lo);
        duration_format_ms(k->max, hi);
        diag_error(p->diag, p->path.p, "must be between %s and %s", lo, hi);
    } else {
        diag_error(p->diag, p->path.p, "must be between %lld and %lld", (long long)k->min,
                   (long long)k->max);
    }
}

static void parse_int(struct schema_ctx *p, const struct schema_key *k, json_t *v, void *f)
{
    if (!json_is_integer(v)) {
        type_error(p, k, v);
        return;
    }
    int64_t n = (int64_t)json_integer_value(v);
    if (!p->lenient && (n < k->min || n > k->max))
        range_error(p, k);
    *(int64_t *)f = n;
}

static void parse_duration(struct schema_ctx *p, const struct schema_key *k, json_t *v, void *f)
{
    if (!json_is_string(v)) {
        type_error(p, k, v);
        return;
    }
    int64_t ms;
    const char *why = duration_parse_ms(json_string_value(v), json_string_length(v), &ms);
    if (why != NULL) {
        char *q = diag_quote(json_string_value(v), json_string_length(v), 40);
        diag_error(p->diag, p->path.p, "%s: %s", q, why);
        free(q);
        return;
    }
    if (!p->lenient && (ms < k->min || ms > k->max))
        range_error(p, k);
    *(int64_t *)f = ms;
}

static void parse_enum(struct schema_ctx *p, const struct schema_key *k, json_t *v, void *f)
{
    if (!json_is_string(v)) {
        type_error(p, k, v);
        return;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    for (int64_t i = 0; k->choices[i] != NULL; i++) {
        if (lex_ieq(s, len, k->choices[i])) {
            *(int64_t *)f = i;
            return;
        }
    }
    struct buf allowed = BUF_INIT;
    for (size_t i = 0; k->choices[i] != NULL; i++)
        buf_printf(&allowed, "%s\"%s\"", i ? (k->choices[i + 1] ? ", " : " or ") : "",
                   k->choices[i]);
    char *q = diag_quote(s, len, 40);
    diag_error(p->diag, p->path.p, "%s is not allowed; must be %s", q, allowed.p);
    free(q);
    buf_free(&allowed);
}

static void run_check(struct schema_ctx *p, const struct schema_key *k, void *field)
{
    if (k->check != NULL && !p->lenient)
        k->check(p, field);
}

/* Too many items is reported, but the items are still parsed and kept, so
 * that rules about the list ("at least one user") do not pile up on it. */
static void check_items(struct schema_ctx *p, const struct schema_key *k, size_t n)
{
    if ((int64_t)n > k->max)
        diag_error(p->diag, p->path.p, "has %zu entries; at most %lld are allowed", n,
                   (long long)k->max);
}

static void parse_strings(struct schema_ctx *p, const struct schema_key *k, json_t *v,
                          struct cfg_list *l)
{
    if (!json_is_array(v)) {
        type_error(p, k, v);
        return;
    }
    list_free_items(k, l);
    check_items(p, k, json_array_size(v));
    l->v = xcalloc(json_array_size(v), sizeof(struct cfg_str));
    size_t mark = p->path.len, i;
    json_t *item;
    json_array_foreach(v, i, item) {
        jpath_index(&p->path, i);
        if (!json_is_string(item)) {
            diag_error(p->diag, p->path.p, "must be a string");
        } else {
            struct cfg_str *s = &((struct cfg_str *)l->v)[l->n++];
            str_set(s, json_string_value(item), json_string_length(item));
            run_check(p, k, s);
        }
        buf_truncate(&p->path, mark);
    }
}

static void parse_headers(struct schema_ctx *p, const struct schema_key *k, json_t *v,
                          struct cfg_list *l)
{
    if (!json_is_object(v)) {
        type_error(p, k, v);
        return;
    }
    list_free_items(k, l);
    check_items(p, k, json_object_size(v));
    l->v = xcalloc(json_object_size(v), sizeof(struct cfg_header));
    size_t mark = p->path.len;
    const char *name;
    json_t *item;
    json_object_foreach(v, name, item) {
        jpath_key(&p->path, name, strlen(name));
        if (!json_is_string(item)) {
            diag_error(p->diag, p->path.p, "header value must be a string");
        } else {
            struct cfg_header *h = &((struct cfg_header *)l->v)[l->n++];
            str_set(&h->name, name, strlen(name));
            str_set(&h->value, json_string_value(item), json_string_length(item));
            run_check(p, k, h);
        }
        buf_truncate(&p->path, mark);
    }
}

static void parse_objects(struct schema_ctx *p, const struct schema_key *k, json_t *v,
                          struct cfg_list *l)
{
    if (!json_is_array(v)) {
        type_error(p, k, v);
        return;
    }
    list_free_items(k, l);
    check_items(p, k, json_array_size(v));
    l->v = xcalloc(json_array_size(v), k->sub->size);
    size_t mark = p->path.len, i;
    json_t *item;
    json_array_foreach(v, i, item) {
        jpath_index(&p->path, i);
        if (!json_is_object(item)) {
            diag_error(p->diag, p->path.p, "must be an object");
        } else {
            void *elem = (char *)l->v + l->n++ * k->sub->size;
            schema_defaults(k->sub, elem);
            schema_parse(p, k->sub, item, elem);
        }
        buf_truncate(&p->path, mark);
    }
}

static void parse_value(struct schema_ctx *p, const struct schema_key *k, json_t *v, void *f)
{
    switch (k->type) {
    case T_BOOL:
        if (json_is_boolean(v))
            *(bool *)f = json_is_true(v);
        else
            type_error(p, k, v);
        return;
    case T_INT:
        parse_int(p, k, v, f);
        run_check(p, k, f);
        return;
    case T_STRING:
        if (json_is_string(v)) {
            str_set(f, json_string_value(v), json_string_length(v));
            run_check(p, k, f);
        } else {
            type_error(p, k, v);
        }
        return;
    case T_ENUM:
        parse_enum(p, k, v, f);
        return;
    case T_DURATION:
        parse_duration(p, k, v, f);
        return;
    case T_STRINGS:
        parse_strings(p, k, v, f);
        return;
    case T_HEADERS:
        parse_headers(p, k, v, f);
        return;
    case T_OBJECT:
        if (json_is_object(v))
            schema_parse(p, k->sub, v, f);
        else
            type_error(p, k, v);
        return;
    case T_OBJECTS:
        parse_objects(p, k, v, f);
        return;
    }
}

static const struct schema_key *find_key(const struct schema_obj *obj, const char *name,
                                         size_t *index)
{
    for (size_t i = 0; i < obj->n_keys; i++) {
        if (strcmp(obj->keys[i].name, name) == 0) {
            *index = i;
            return &obj->keys[i];
        }
    }
    return NULL;
}

static void unknown_key(struct schema_ctx *p, const struct schema_obj *obj, const char *name)
{
    const char *names[64] = {NULL};
    size_t n = obj->n_keys < 64 ? obj->n_keys : 64;
    for (size_t i = 0; i < n; i++)
        names[i] = obj->keys[i].name;
    const char *best = suggest_closest(name, strlen(name), names, n);
    char *q = diag_quote(name, strlen(name), 60);
    if (best != NULL) {
        diag_error(p->diag, p->path.p, "unknown key %s; did you mean \"%s\"?", q, best);
    } else {
        struct buf list = BUF_INIT;
        for (size_t i = 0; i < n; i++)
            buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
        diag_error(p->diag, p->path.p, "unknown key %s; allowed keys: %s", q, list.p);
        buf_free(&list);
    }
    free(q);
}

/* Parse the gate key ("enabled") first: whether value rules apply to the
 * rest of the object depends on it, whatever order the keys come in. */
static int parse_gate(struct schema_ctx *p, const struct schema_obj *obj, json_t *json,
                      void *out)
{
    size_t gi;
    const struct schema_key *gate = obj->gate ? find_key(obj, obj->gate, &gi) : NULL;
    if (gate == NULL)
        return 1;
    bool *on = (bool *)FIELD(out, gate);
    json_t *v = json_object_get(json, gate->name);
    if (v != NULL) {
        size_t mark = p->path.len;
        jpath_key(&p->path, gate->name, strlen(gate->name));
        parse_value(p, gate, v, on);
        buf_truncate(&p->path, mark);
    }
    return *on;
}

void schema_parse(struct schema_ctx *p, const struct schema_obj *obj, json_t *json, void *out)
{
    int saved = p->lenient;
    if (!parse_gate(p, obj, json, out))
        p->lenient = 1;
    uint64_t *present = present_bits(obj, out);
    size_t mark = p->path.len;
    const char *name;
    json_t *v;
    json_object_foreach(json, name, v) {
        size_t i;
        const struct schema_key *k = find_key(obj, name, &i);
        if (k == NULL) {
            unknown_key(p, obj, name);
            continue;
        }
        *present |= 1ull << i;
        if (obj->gate != NULL && strcmp(name, obj->gate) == 0)
            continue;
        jpath_key(&p->path, name, strlen(name));
        parse_value(p, k, v, FIELD(out, k));
        buf_truncate(&p->path, mark);
    }
    for (size_t i = 0; i < obj->n_keys && !p->lenient; i++) {
        if ((obj->keys[i].flags & F_REQUIRED) && !(*present & (1ull << i)))
            diag_error(p->diag, p->path.p, "missing required key \"%s\"", obj->keys[i].name);
    }
    p->lenient = saved;
}

void schema_defaults(const struct schema_obj *obj, void *out)
{
    /* Defaults are parsed from the same JSON text the docs print, by the
     * same code as user values, so the two cannot disagree. */
    struct diag scratch = DIAG_INIT;
    struct schema_ctx p = {&scratch, BUF_INIT, 1};
    buf_puts(&p.path, "$");
    for (size_t i = 0; i < obj->n_keys; i++) {
        const struct schema_key *k = &obj->keys[i];
        if (k->type == T_OBJECT) {
            schema_defaults(k->sub, FIELD(out, k));
            continue;
        }
        if (k->def == NULL)
            continue;
        json_error_t err;
        json_t *v = json_loads(k->def, JSON_DECODE_ANY, &err);
        if (v == NULL) {
            fprintf(stderr, "kiln-gen: bad default for %s: %s\n", k->name, err.text);
            abort();
        }
        parse_value(&p, k, v, FIELD(out, k));
        json_decref(v);
    }
    if (scratch.n != 0) {
        fprintf(stderr, "kiln-gen: bad default in %s: %s\n", obj->name, scratch.msgs[0].text);
        abort();
    }
    buf_free(&p.path);
    diag_free(&scratch);
}

bool schema_present(const struct schema_obj *obj, const void *obj_ptr, const char *name)
{
    size_t i;
    if (find_key(obj, name, &i) == NULL) {
        fprintf(stderr, "kiln-gen: bug: no key \"%s\" in %s\n", name, obj->name);
        abort();
    }
    return (*present_bits(obj, (void *)obj_ptr) >> i) & 1;
}

/* ---- canonical JSON ----------------------------------------------------- */

static void jset(json_t *obj, const char *key, json_t *v)
{
    /* jansson fails only on allocation failure or invalid UTF-8, which the
     * loader already ruled out: both are fatal here. */
    if (v == NULL || json_object_set_new(obj, key, v) != 0) {
        fputs("kiln-gen: out of memory building JSON\n", stderr);
        abort();
    }
}

static void jappend(json_t *arr, json_t *v)
{
    if (v == NULL || json_array_append_new(arr, v) != 0) {
        fputs("kiln-gen: out of memory building JSON\n", stderr);
        abort();
    }
}

static json_t *str_json(const struct cfg_str *s)
{
    return json_stringn(s->p ? s->p : "", s->len);
}

static json_t *value_json(const struct schema_key *k, const void *f, int redact)
{
    char text[DURATION_TEXT_MAX];
    switch (k->type) {
    case T_BOOL:
        return json_boolean(*(const bool *)f);
    case T_INT:
        return json_integer(*(const int64_t *)f);
    case T_STRING:
        if (redact && (k->flags & F_SECRET))
            return json_string("<redacted>");
        return str_json(f);
    case T_ENUM:
        return json_string(k->choices[*(const int64_t *)f]);
    case T_DURATION:
        duration_format_ms(*(const int64_t *)f, text);
        return json_string(text);
    case T_STRINGS: {
        const struct cfg_list *l = f;
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < l->n; i++)
            jappend(arr, str_json(&((const struct cfg_str *)l->v)[i]));
        return arr;
    }
    case T_HEADERS: {
        const struct cfg_list *l = f;
        json_t *obj = json_object();
        for (size_t i = 0; obj != NULL && i < l->n; i++) {
            const struct cfg_header *h = &((const struct cfg_header *)l->v)[i];
            jset(obj, h->name.p, str_json(&h->value));
        }
        return obj;
    }
    case T_OBJECT:
        return schema_to_json(k->sub, f, redact);
    case T_OBJECTS: {
        const struct cfg_list *l = f;
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < l->n; i++)
            jappend(arr, schema_to_json(k->sub, (const char *)l->v + i * k->sub->size, redact));
        return arr;
    }
    }
    return NULL;
}

json_t *schema_to_json(const struct schema_obj *obj, const void *obj_ptr, int redact)
{
    json_t *out = json_object();
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < obj->n_keys; i++) {
        const struct schema_key *k = &obj->keys[i];
        if ((k->flags & F_ONLY_PRESENT) && !schema_present(obj, obj_ptr, k->name))
            continue;
        if (k->only_with != NULL && !schema_present(obj, obj_ptr, k->only_with))
            continue;
        if (k->applies != NULL && !k->applies(obj_ptr))
            continue;
        jset(out, k->name, value_json(k, (const char *)obj_ptr + k->offset, redact));
    }
    return out;
}

/* ---- documentation ------------------------------------------------------ */

static const char *type_name(enum schema_type t)
{
    static const char *const names[] = {
        [T_BOOL] = "boolean",        [T_INT] = "integer",
        [T_STRING] = "string",       [T_ENUM] = "string",
        [T_DURATION] = "duration",   [T_STRINGS] = "array of strings",
        [T_HEADERS] = "object",      [T_OBJECT] = "object",
        [T_OBJECTS] = "array of objects",
    };
    return names[t];
}

/* Table cells must not break the Markdown row. */
static void doc_cell(struct buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            buf_puts(out, "\\|");
        else
            buf_putc(out, *s);
    }
}

static void doc_range(struct buf *out, const struct schema_key *k)
{
    char lo[DURATION_TEXT_MAX], hi[DURATION_TEXT_MAX];
    if (k->doc_range != NULL) {
        doc_cell(out, k->doc_range);
        return;
    }
    switch (k->type) {
    case T_INT:
        buf_printf(out, "%lld – %lld", (long long)k->min, (long long)k->max);
        break;
    case T_DURATION:
        duration_format_ms(k->min, lo);
        duration_format_ms(k->max, hi);
        buf_printf(out, "`%s` – `%s`", lo, hi);
        break;
    case T_ENUM:
        for (size_t i = 0; k->choices[i] != NULL; i++)
            buf_printf(out, "%s`%s`", i ? ", " : "", k->choices[i]);
        break;
    case T_STRINGS:
    case T_HEADERS:
    case T_OBJECTS:
        buf_printf(out, "at most %lld entries", (long long)k->max);
        break;
    default:
        break;
    }
}

static void doc_obj(struct buf *out, const struct schema_obj *obj, const char *prefix)
{
    for (size_t i = 0; i < obj->n_keys; i++) {
        const struct schema_key *k = &obj->keys[i];
        char *name = xasprintf("%s%s", prefix, k->name);
        buf_printf(out, "| `%s` | %s | ", name, type_name(k->type));
        if (k->doc_default != NULL)
            doc_cell(out, k->doc_default);
        else if (k->def != NULL)
            buf_printf(out, "`%s`", k->def);
        else
            buf_puts(out, "—");
        buf_puts(out, " | ");
        doc_range(out, k);
        buf_puts(out, " | ");
        doc_cell(out, k->doc);
        buf_puts(out, " |\n");
        if (k->type == T_OBJECT || k->type == T_OBJECTS) {
            char *sub = xasprintf("%s%s", name, k->type == T_OBJECTS ? "[]." : ".");
            doc_obj(out, k->sub, sub);
            free(sub);
        }
        free(name);
    }
}

void schema_doc(struct buf *out)
{
    buf_puts(out, "| Key | Type | Default | Range | Meaning |\n"
                  "|---|---|---|---|---|\n");
    doc_obj(out, &schema_config, "");
}
