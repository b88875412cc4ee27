/*
 * lexical.h - checks of single string values: header names and values,
 * paths, file names, user names, digest HA1 and bcrypt hashes.
 *
 * Pure functions on (const char *, size_t): no allocation, no I/O. A check
 * returns NULL when the value is fine, else a static reason that reads as
 * the end of "<path>: <reason>".
 */
#ifndef KILN_GEN_LEXICAL_H
#define KILN_GEN_LEXICAL_H

#include <stddef.h>

/* A byte below 0x20 or DEL; HTAB counts unless allow_tab. */
int lex_has_control(const char *s, size_t len, int allow_tab);

/* Header name as the reference proxy allows: letters, digits, '-'. */
const char *lex_header_name(const char *s, size_t len);
/* Header value: no control bytes but HTAB (so no CR, LF or NUL). */
const char *lex_header_value(const char *s, size_t len);
/* ASCII case-insensitive equality. */
int lex_ieq(const char *a, size_t alen, const char *b);
/* ASCII case-insensitive prefix test. */
int lex_iprefix(const char *s, size_t len, const char *prefix);

/* An exact-match location path in canonical form (see the definition). */
const char *lex_location_path(const char *s, size_t len);
/* An absolute file system path without "." or ".." segments or controls. */
const char *lex_abs_path(const char *s, size_t len);
/* Collapse "//" and drop a trailing '/' in place ("/" stays "/"); returns
 * the new length. Only for paths lex_abs_path() accepted. */
size_t lex_abs_path_normalize(char *s, size_t len);
/* A plain file name: no '/', '\\', NUL, not "." or "..". */
const char *lex_file_name(const char *s, size_t len);
/* An HTTP path to request from php-fpm: '/' first, no controls, spaces
 * or '?'. */
const char *lex_request_path(const char *s, size_t len);
/* An auth user name: 1..256 bytes, no ':', '"' or control bytes. */
const char *lex_username(const char *s, size_t len);
/* A digest realm: non-empty, no '"' or control bytes. */
const char *lex_realm(const char *s, size_t len);

/* Digest HA1: lower-case hex of exactly hex_len digits. */
const char *lex_ha1(const char *s, size_t len, size_t hex_len);
/* Does s start like a bcrypt hash ($2a$, $2b$, $2y$)? */
int lex_bcrypt_prefix(const char *s, size_t len);
/* Full bcrypt format: "$2a$" | "$2b$" | "$2y$", two-digit cost 04..31, '$',
 * then 53 characters of bcrypt's base64 alphabet (22 salt + 31 hash). */
const char *lex_bcrypt(const char *s, size_t len);
/* Cost of a hash lex_bcrypt() accepted. */
int lex_bcrypt_cost(const char *s);

#endif /* KILN_GEN_LEXICAL_H */
