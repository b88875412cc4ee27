/*
 * emit.h - turning a valid config model into C source.
 *
 * emit_site() writes site.c (from templates/site.c.in) and locations.gperf
 * (from templates/locations.gperf.in) into memory. The emit_*.c files each
 * own one part of struct kiln_site: they append `static const` tables to
 * `tables` and set the template variables that refer to them.
 *
 * Output is deterministic: tables follow the config's order, except where
 * the runtime searches them (sorted by bytes) or order means nothing
 * (sorted); no pointers, time or randomness.
 */
#ifndef KILN_GEN_EMIT_H
#define KILN_GEN_EMIT_H

#include <stddef.h>

#include "buf.h"
#include "model.h"
#include "template.h"

struct emit_info {
    const char *config_name; /* basename of the config file */
    const char *sha256_hex;  /* of the canonical config */
    const char *config_json; /* pretty, redacted */
    size_t config_json_len;
};

/* c must have passed validation. Appends to site_c and gperf. */
void emit_site(const struct config *c, const struct emit_info *info, struct buf *site_c,
               struct buf *gperf);

/* ---- shared by the emit_*.c files --------------------------------------- */

struct emit_vars {
    struct template_var *v;
    size_t n, cap;
};

/* Set a template variable to a formatted, owned value. */
void vars_set(struct emit_vars *vars, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Set a template variable to the content of b (taken; b is reset). */
void vars_take(struct emit_vars *vars, const char *name, struct buf *b);
void vars_free(struct emit_vars *vars);

/* {.ptr = "...", .len = N}; a long literal continues aligned under its
 * first quote. */
void emit_bytes(struct buf *out, const char *s, size_t len);
/* A string literal, or NULL for a NULL pointer. */
void emit_cstr(struct buf *out, const char *s, size_t len);
/* "    /" "* $.locations[3] "/robots.txt" *" "/\n" */
void emit_comment(struct buf *out, const char *indent, const char *json_path,
                  const struct cfg_str *value);

/* Each location's slot: returns[] or upstreams[] index, in config order. */
void emit_location_slot(const struct config *c, size_t i, int *is_return, size_t *index);

void emit_response_headers(const struct config *c, struct buf *tables, struct emit_vars *vars);
void emit_returns(const struct config *c, struct buf *tables, struct emit_vars *vars);
void emit_locations(const struct config *c, const struct emit_info *info, struct buf *tables,
                    struct emit_vars *vars, struct buf *gperf);
void emit_cors(const struct config *c, struct buf *tables, struct emit_vars *vars);
void emit_auth(const struct config *c, struct buf *tables, struct emit_vars *vars);

#endif /* KILN_GEN_EMIT_H */
