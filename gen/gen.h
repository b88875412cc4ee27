/*
 * gen.h - the whole generator on one config text, in memory.
 *
 *   JSON text --config_load--> model --validate--> --lint--> --serve_check-->
 *             --canon--> canonical JSON + SHA-256 --emit--> site.c, locations.gperf
 *
 * No file is read or written here (the optional document_root symlink lint
 * only looks with lstat), so tests and the fuzzer run exactly what kiln-gen
 * runs.
 */
#ifndef KILN_GEN_GEN_H
#define KILN_GEN_GEN_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "model.h"

struct gen_options {
    int strict;    /* warnings fail the run */
    int check_fs;  /* run lints that look at the build host */
    int serve_all; /* skip serve_check(): the generator's own tests of the
                    * emitters of tables this runtime does not serve yet;
                    * kiln-gen never sets it */
};

struct gen_result {
    struct buf site_c;
    struct buf gperf;
    char *canonical; /* compact canonical JSON */
    size_t canonical_len;
    char sha256[65];
};

/* Parse JSON text into a model (defaults applied). Returns 0 when the text
 * was a JSON object (the model may still have errors: see d->errors), -1
 * on a syntax error or another top-level type. Free with config_free(),
 * also after -1. */
int config_load(const char *text, size_t len, struct config *c, struct diag *d);
void config_free(struct config *c);

/* Run everything. Returns 0 when `out` holds the output, -1 when an error
 * (or, with strict, a warning) was reported to d. config_name is the
 * basename the banner and site_root.config_name carry. Free out with
 * gen_result_free() in both cases. */
int gen_run(const char *text, size_t len, const char *config_name,
            const struct gen_options *opt, struct diag *d, struct gen_result *out);
void gen_result_free(struct gen_result *r);

#endif /* KILN_GEN_GEN_H */
