/*
 * lint.h - warnings about legal but suspicious settings.
 *
 * Each warning names the JSON path and says why a reviewer would flag it.
 * They never stop a build unless kiln-gen runs with --strict. Thresholds
 * are documented next to each rule and in README.md.
 */
#ifndef KILN_GEN_LINT_H
#define KILN_GEN_LINT_H

#include "diag.h"
#include "model.h"

/* With check_fs, also look at the build host's file system (document_root
 * symlinks); the fuzzer and unit tests pass 0. */
void lint_config(const struct config *c, int check_fs, struct diag *d);

#endif /* KILN_GEN_LINT_H */
