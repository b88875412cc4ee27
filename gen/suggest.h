/*
 * suggest.h - "did you mean" for unknown keys.
 */
#ifndef KILN_GEN_SUGGEST_H
#define KILN_GEN_SUGGEST_H

#include <stddef.h>

/* Optimal string alignment distance (Levenshtein plus adjacent
 * transposition, so "lsiten" is one edit from "listen"), ASCII
 * case-insensitive. Strings longer than 64 bytes count as far from all. */
size_t suggest_distance(const char *a, size_t alen, const char *b, size_t blen);

/* The candidate closest to word, or NULL when none is close enough to be a
 * likely typo (1 edit for short words, 2 up to 8 bytes, 3 beyond). Ties go
 * to the earlier candidate. */
const char *suggest_closest(const char *word, size_t len, const char *const *cands, size_t n);

#endif /* KILN_GEN_SUGGEST_H */
