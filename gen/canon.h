/*
 * canon.h - the canonical form of a config and its SHA-256.
 *
 * The canonical config is the effective config: every key of the schema
 * with its value after defaults and normalization (lower-cased origins,
 * upper-case methods, tidied paths and CIDRs), durations in the form of
 * duration_format_ms() ("1m30s", "100ms", "0s"). Keys of a `return` or
 * `upstream` location, and user fields, appear only when given; keys of
 * the other auth type (algorithm and nonce_lifetime under basic,
 * password_cache under digest) are left out, since they are not in effect.
 * So the canonical config is itself a valid config with the same
 * canonical form.
 *
 * Two renderings:
 *   compact: json_dumps(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII),
 *            no trailing newline, secrets included. Its SHA-256 identifies
 *            the config (kiln --version; kiln-gen --canonical | sha256sum);
 *   pretty:  JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII plus a
 *            newline, with ha1, password_hash and password shown as
 *            "<redacted>" (kiln --print-config).
 */
#ifndef KILN_GEN_CANON_H
#define KILN_GEN_CANON_H

#include <stddef.h>

#include "model.h"

/* malloc'ed text; *len excludes the NUL. */
char *canon_compact(const struct config *c, size_t *len);
char *canon_pretty_redacted(const struct config *c, size_t *len);

/* Lower-case hex SHA-256 of data. */
void canon_sha256_hex(const void *data, size_t len, char out[65]);

#endif /* KILN_GEN_CANON_H */
