// kiln-fuzz: gen
/*
 * fuzz_gen_duration.c - the Go duration parser on arbitrary bytes.
 *
 * Besides memory safety: a value that parses to whole milliseconds must
 * format canonically and parse back to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t ns, ms, back;
    int exact;
    if (duration_parse((const char *)data, size, &ns, &exact) != NULL)
        return 0;
    if (duration_parse_ms((const char *)data, size, &ms) != NULL)
        return 0;
    char text[DURATION_TEXT_MAX];
    duration_format_ms(ms, text);
    if (duration_parse_ms(text, strlen(text), &back) != NULL || back != ms)
        abort();
    return 0;
}
