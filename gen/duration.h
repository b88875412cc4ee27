/*
 * duration.h - Go-style duration strings ("100ms", "1m30s", "1.5h").
 *
 * The grammar is Go's time.ParseDuration: an optional sign, then one or
 * more <decimal><unit> terms, where a decimal may have a fraction ("1.5",
 * ".5", "5.") and the unit is ns, us, µs, μs, ms, s, m or h; the bare string
 * "0" needs no unit. Unlike Go, fractions are computed exactly (no float
 * rounding), and a result that is not a whole number of nanoseconds is
 * reported instead of truncated. The sum must fit in int64 nanoseconds
 * (about 292 years), as in Go.
 *
 * Pure functions: no allocation, no global state.
 */
#ifndef KILN_GEN_DURATION_H
#define KILN_GEN_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define NS_PER_MS 1000000LL

/* Parse s[0..len). On success returns NULL and sets *ns; *exact is 0 when
 * a fraction left less than a nanosecond (e.g. "1.5ns"), in which case *ns
 * is truncated toward zero. On failure returns a static reason such as
 * "missing unit (use ns, us, ms, s, m or h)". */
const char *duration_parse(const char *s, size_t len, int64_t *ns, int *exact);

/* Parse and require a whole number of milliseconds (what the runtime
 * stores). Returns NULL or a static reason; "has a sub-millisecond part"
 * when the value is not whole milliseconds. */
const char *duration_parse_ms(const char *s, size_t len, int64_t *ms);

/* Longest text duration_format_ms() writes, with its NUL. */
#define DURATION_TEXT_MAX 40

/* Canonical text of a millisecond count (a '-' leads a negative one): the largest units
 * first, zero terms left out ("1h", "1m30s", "1s500ms", "100ms"), and "0s"
 * for zero. Go's ParseDuration reads it back to the same value. */
void duration_format_ms(int64_t ms, char out[DURATION_TEXT_MAX]);

#endif /* KILN_GEN_DURATION_H */
