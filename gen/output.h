/*
 * output.h - writing the generated files, all or nothing.
 */
#ifndef KILN_GEN_OUTPUT_H
#define KILN_GEN_OUTPUT_H

#include "gen.h"

/* Write DIR/site.c and DIR/locations.gperf, each to a temporary file in DIR
 * that is renamed into place once complete. On failure returns -1 with
 * errno set, after removing the temporaries and every output (so no stale
 * file can be mistaken for a result). */
int output_write(const char *dir, const struct gen_result *r);

/* Remove DIR/site.c, DIR/locations.gperf and gperf's DIR/locations.c;
 * files that do not exist are fine. */
void output_remove(const char *dir);

#endif /* KILN_GEN_OUTPUT_H */
