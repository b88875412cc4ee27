/*
 * schema.h - the declarative key table and the engine that runs it.
 *
 * Each JSON object of the config is described by a `struct schema_obj`: a
 * table of `struct schema_key` rows, one per key, naming the key, its type,
 * where it lives in the model struct, its default (as JSON text), its range
 * and a one-line description. From that one table the engine:
 *   - parses JSON into the model, with type errors, range errors, unknown
 *     keys (with "did you mean"), required keys and item limits;
 *   - fills defaults (parsing the same default text the docs show);
 *   - writes the effective config back as canonical JSON;
 *   - frees the model;
 *   - prints the reference table for README.md (kiln-gen --doc).
 * Rules about one value live in the row's `check` function; rules across
 * values live in validate.c.
 */
#ifndef KILN_GEN_SCHEMA_H
#define KILN_GEN_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "diag.h"

enum schema_type {
    T_BOOL,     /* bool */
    T_INT,      /* int64_t; min..max */
    T_STRING,   /* struct cfg_str */
    T_ENUM,     /* int64_t index into choices; matched case-insensitively */
    T_DURATION, /* int64_t ms; min..max in ms */
    T_STRINGS,  /* struct cfg_list of struct cfg_str; at most max items */
    T_HEADERS,  /* struct cfg_list of struct cfg_header; at most max items */
    T_OBJECT,   /* embedded struct described by `sub` */
    T_OBJECTS,  /* struct cfg_list of structs described by `sub` */
};

enum {
    F_REQUIRED = 1u << 0,    /* an error when missing (unless lenient) */
    F_SECRET = 1u << 1,      /* "<redacted>" in the printed config */
    F_ONLY_PRESENT = 1u << 2 /* canonical JSON holds it only when given */
};

/* Parse state handed to check functions. `path` is the JSON path of the
 * value being checked; report with diag_error(p->diag, p->path.p, ...). */
struct schema_ctx {
    struct diag *diag;
    struct buf path;
    int lenient; /* inside a disabled block: types are checked, values not */
};

/* Check one value after it is stored: `field` points at it (for lists, at
 * one element; for T_HEADERS at a struct cfg_header). May normalize it. */
typedef void (*schema_check_fn)(struct schema_ctx *p, void *field);

struct schema_obj;

struct schema_key {
    const char *name;
    enum schema_type type;
    size_t offset;             /* of the field in the owning struct */
    const char *def;           /* default as JSON text; NULL = none */
    int64_t min, max;          /* T_INT, T_DURATION: bounds; lists: max items */
    const char *const *choices; /* T_ENUM: NULL-terminated */
    const struct schema_obj *sub; /* T_OBJECT, T_OBJECTS */
    schema_check_fn check;
    unsigned flags;
    const char *only_with;     /* canonical JSON holds it only with this sibling */
    /* Canonical JSON holds it only when this returns true for the owning
     * struct (e.g. digest-only keys under basic auth); NULL = always. The
     * effective config leaves out what is not in effect, so it is itself a
     * valid config that canonicalizes to the same text. */
    bool (*applies)(const void *obj);
    const char *doc;           /* meaning, for the reference table */
    const char *doc_default;   /* shown instead of `def` */
    const char *doc_range;     /* shown instead of the computed range */
};

struct schema_obj {
    const char *name;            /* JSON path prefix for docs, e.g. "cors" */
    const struct schema_key *keys;
    size_t n_keys;
    size_t size;                 /* sizeof the model struct */
    size_t present_offset;       /* of its uint64_t `present` */
    const char *gate;            /* boolean key that enables value rules */
};

/* The tables, defined in keys.c: the root and the nested objects that
 * validate.c asks schema_present() about. */
extern const struct schema_obj schema_config;
extern const struct schema_obj *const schema_location;
extern const struct schema_obj *const schema_cors;
extern const struct schema_obj *const schema_auth;
extern const struct schema_obj *const schema_user;

/*
 * schema_parse - fill the model struct `out` (zeroed by the caller) from a
 * JSON object, defaults first. `p->path` must hold the object's path.
 * Every problem is reported to p->diag; parsing goes on after errors so
 * that all of them are found. The caller frees with schema_free().
 */
void schema_parse(struct schema_ctx *p, const struct schema_obj *obj, json_t *json, void *out);

/* Set every defaulted field of `out` (zeroed) to its default. */
void schema_defaults(const struct schema_obj *obj, void *out);

/* Free what schema_parse() allocated inside `obj_ptr` (not obj_ptr). */
void schema_free(const struct schema_obj *obj, void *obj_ptr);

/* Was key `name` given in the JSON? Aborts on a name the table lacks, so
 * a typo in the generator fails every test instead of passing silently. */
bool schema_present(const struct schema_obj *obj, const void *obj_ptr, const char *name);

/* The effective values as JSON (new reference). With `redact`, F_SECRET
 * strings become "<redacted>". */
json_t *schema_to_json(const struct schema_obj *obj, const void *obj_ptr, int redact);

/* The reference table of every key, as Markdown. */
void schema_doc(struct buf *out);

#endif /* KILN_GEN_SCHEMA_H */
