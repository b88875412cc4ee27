/*
 * duration.c - exact parser and canonical formatter for Go durations.
 */
#include "duration.h"

#include <stdio.h>
#include <string.h>

typedef unsigned __int128 u128;

/* 2^63: the magnitude limit of int64 (reached only by a negative value). */
#define LIMIT ((u128)1 << 63)

struct unit {
    const char *name;
    uint64_t ns;
};

/* Longest names first so "ms" is not read as "m" followed by junk. */
static const struct unit units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000}, /* U+03BC greek small letter mu */
    {"ms", 1000000},
    {"s", 1000000000ULL},
    {"m", 60000000000ULL},
    {"h", 3600000000000ULL},
};

static const struct unit *match_unit(const char *s, size_t len, size_t *used)
{
    /* A unit runs until the next digit or '.', as in Go. */
    size_t n = 0;
    while (n < len && !(s[n] >= '0' && s[n] <= '9') && s[n] != '.')
        n++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) == n && memcmp(s, units[i].name, n) == 0) {
            *used = n;
            return &units[i];
        }
    }
    *used = n;
    return NULL;
}

/* One <decimal><unit> term at s; adds its value to *total. */
static const char *parse_term(const char *s, size_t len, size_t *used, u128 *total,
                              int *exact)
{
    size_t i = 0;
    u128 whole = 0;
    int have_whole = 0, have_frac = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        whole = whole * 10 + (u128)(s[i] - '0');
        if (whole > LIMIT)
            return "is too large for a duration (about 292 years at most)";
        have_whole = 1;
        i++;
    }
    u128 frac = 0, scale = 1;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            /* 19 digits keep frac below 10^19; further digits can only
             * leave a sub-nanosecond part, since no unit exceeds 10^13 ns. */
            if (scale < (u128)10000000000000000000ULL) {
                frac = frac * 10 + (u128)(s[i] - '0');
                scale *= 10;
            } else if (s[i] != '0') {
                *exact = 0;
            }
            have_frac = 1;
            i++;
        }
    }
    if (!have_whole && !have_frac)
        return "is not a duration; write one such as \"5s\", \"100ms\" or \"1m30s\"";
    size_t ulen;
    const struct unit *u = match_unit(s + i, len - i, &ulen);
    if (ulen == 0)
        return "missing unit (use ns, us, ms, s, m or h)";
    if (u == NULL)
        return "unknown unit (use ns, us, ms, s, m or h)";
    i += ulen;
    u128 value = whole * u->ns;
    if (value > LIMIT)
        return "is too large for a duration (about 292 years at most)";
    u128 part = frac * u->ns;
    if (part % scale != 0)
        *exact = 0;
    value += part / scale;
    *total += value;
    if (*total > LIMIT)
        return "is too large for a duration (about 292 years at most)";
    *used = i;
    return NULL;
}

const char *duration_parse(const char *s, size_t len, int64_t *ns, int *exact)
{
    size_t i = 0;
    int negative = 0;
    *exact = 1;
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        negative = s[i] == '-';
        i++;
    }
    if (i == len)
        return "is empty; write a duration such as \"5s\", \"100ms\" or \"1m30s\"";
    if (len - i == 1 && s[i] == '0') {
        *ns = 0;
        return NULL;
    }
    u128 total = 0;
    while (i < len) {
        size_t used;
        const char *why = parse_term(s + i, len - i, &used, &total, exact);
        if (why != NULL)
            return why;
        i += used;
    }
    if (!negative && total == LIMIT)
        return "is too large for a duration (about 292 years at most)";
    *ns = negative ? (int64_t)(0 - (uint64_t)total) : (int64_t)total;
    return NULL;
}

const char *duration_parse_ms(const char *s, size_t len, int64_t *ms)
{
    int64_t ns;
    int exact;
    const char *why = duration_parse(s, len, &ns, &exact);
    if (why != NULL)
        return why;
    if (!exact || ns % NS_PER_MS != 0)
        return "has a sub-millisecond part; kiln keeps durations in whole milliseconds";
    *ms = ns / NS_PER_MS;
    return NULL;
}

void duration_format_ms(int64_t ms, char out[DURATION_TEXT_MAX])
{
    static const struct {
        const char *name;
        int64_t ms;
    } parts[] = {{"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};

    size_t n = 0;
    if (ms == 0) {
        snprintf(out, DURATION_TEXT_MAX, "0s");
        return;
    }
    uint64_t left = ms < 0 ? 0 - (uint64_t)ms : (uint64_t)ms;
    if (ms < 0)
        out[n++] = '-';
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        uint64_t q = left / (uint64_t)parts[i].ms;
        left %= (uint64_t)parts[i].ms;
        if (q > 0)
            n += (size_t)snprintf(out + n, DURATION_TEXT_MAX - n, "%llu%s",
                                  (unsigned long long)q, parts[i].name);
    }
}
