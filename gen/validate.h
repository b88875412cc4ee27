/*
 * validate.h - rules that relate several values of a parsed config.
 *
 * Rules about a single value run while parsing (keys.c); these run after,
 * on the whole model, and report errors (and the few warnings that are
 * really part of a rule, such as "this disabled block is ignored").
 */
#ifndef KILN_GEN_VALIDATE_H
#define KILN_GEN_VALIDATE_H

#include "diag.h"
#include "model.h"

void validate_config(const struct config *c, struct diag *d);

/* The digest HA1 length in hex digits for an algorithm. */
size_t validate_ha1_hex_len(int64_t algorithm);

#endif /* KILN_GEN_VALIDATE_H */
