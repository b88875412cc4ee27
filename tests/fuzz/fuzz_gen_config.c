// kiln-fuzz: gen
/*
 * fuzz_gen_config.c - the whole generator (JSON parse, schema, validation,
 * lints, canonical form, emission) on arbitrary bytes, in memory.
 *
 * Property checked besides memory safety: the canonical config of a valid
 * config is itself valid and canonicalizes to the same bytes (so the hash
 * `kiln --version` reports is stable under re-canonicalization).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gen_options opt = {.strict = 0, .check_fs = 0, .serve_all = 1};
    struct diag d = DIAG_INIT, d2 = DIAG_INIT;
    struct gen_result r, again;
    memset(&again, 0, sizeof again);
    if (gen_run((const char *)data, size, "fuzz.json", &opt, &d, &r) == 0) {
        if (gen_run(r.canonical, r.canonical_len, "fuzz.json", &opt, &d2, &again) != 0 ||
            again.canonical_len != r.canonical_len ||
            memcmp(again.canonical, r.canonical, r.canonical_len) != 0 ||
            strcmp(again.site_c.p, r.site_c.p) != 0)
            abort();
    }
    gen_result_free(&r);
    gen_result_free(&again);
    diag_free(&d);
    diag_free(&d2);
    return 0;
}
