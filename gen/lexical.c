/*
 * lexical.c - checks of single string values.
 */
#include "lexical.h"

#include <string.h>

static int is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int lex_has_control(const char *s, size_t len, int allow_tab)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f)
            return 1;
    }
    return 0;
}

const char *lex_header_name(const char *s, size_t len)
{
    if (len == 0)
        return "header name is empty";
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-')
            return "header name may contain only letters, digits and '-'";
    return NULL;
}

const char *lex_header_value(const char *s, size_t len)
{
    if (lex_has_control(s, len, 1))
        return "must not contain control characters (CR, LF, NUL, ...); only tab is allowed";
    return NULL;
}

int lex_ieq(const char *a, size_t alen, const char *b)
{
    if (strlen(b) != alen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (lower(a[i]) != lower(b[i]))
            return 0;
    return 1;
}

int lex_iprefix(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && lex_ieq(s, n, prefix);
}

/* Is s[at..) the segment "." or ".." (up to the next '/' or the end)? */
static int dot_segment(const char *s, size_t len, size_t at)
{
    size_t n = 0;
    while (at + n < len && s[at + n] != '/')
        n++;
    return (n == 1 && s[at] == '.') || (n == 2 && s[at] == '.' && s[at + 1] == '.');
}

const char *lex_location_path(const char *s, size_t len)
{
    if (len == 0 || s[0] != '/')
        return "must start with '/'";
    if (len > 1024)
        return "must be at most 1024 bytes";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f)
            return "must not contain spaces or control characters";
        if (c == '%' || c == '?' || c == '#' || c == '\\')
            return "must not contain '%', '?', '#' or '\\': locations match the decoded, "
                   "canonical request path, so write the path as it is after decoding";
        if (c == '/' && i + 1 < len && s[i + 1] == '/')
            return "must not contain \"//\": locations match the canonical request path, "
                   "where repeated slashes are merged";
        if (c == '/' && dot_segment(s, len, i + 1))
            return "must not contain \".\" or \"..\" segments: locations match the "
                   "canonical request path, where they are resolved";
    }
    return NULL;
}

const char *lex_abs_path(const char *s, size_t len)
{
    if (len == 0 || s[0] != '/')
        return "must be an absolute path";
    if (lex_has_control(s, len, 0))
        return "must not contain control characters";
    for (size_t i = 0; i < len; i++)
        if (s[i] == '/' && dot_segment(s, len, i + 1))
            return "must not contain \".\" or \"..\" segments";
    return NULL;
}

size_t lex_abs_path_normalize(char *s, size_t len)
{
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '/' && out > 0 && s[out - 1] == '/')
            continue;
        s[out++] = s[i];
    }
    if (out > 1 && s[out - 1] == '/')
        out--;
    s[out] = '\0';
    return out;
}

const char *lex_file_name(const char *s, size_t len)
{
    if (len == 0)
        return "must not be empty";
    if (memchr(s, '/', len) || memchr(s, '\\', len) || memchr(s, '\0', len))
        return "must be a plain file name (no '/', '\\' or NUL)";
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        return "must be a plain file name, not \".\" or \"..\"";
    if (lex_has_control(s, len, 0))
        return "must not contain control characters";
    return NULL;
}

const char *lex_request_path(const char *s, size_t len)
{
    if (len == 0 || s[0] != '/')
        return "must start with '/'";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f)
            return "must not contain spaces or control characters";
        if (c == '?')
            return "must not contain '?'; it is a path, not a URL";
    }
    return NULL;
}

const char *lex_username(const char *s, size_t len)
{
    if (len == 0)
        return "must not be empty";
    if (len > 256)
        return "must be at most 256 bytes";
    if (memchr(s, ':', len) != NULL)
        return "must not contain ':' (it separates user and password in Basic auth)";
    if (memchr(s, '"', len) != NULL)
        return "must not contain '\"' (it ends the quoted username in Digest auth)";
    if (lex_has_control(s, len, 0))
        return "must not contain control characters (CR, LF, NUL, ...)";
    return NULL;
}

const char *lex_realm(const char *s, size_t len)
{
    if (len == 0)
        return "must not be empty";
    if (memchr(s, '"', len) != NULL)
        return "must not contain '\"' (the realm is sent as a quoted string)";
    if (lex_has_control(s, len, 0))
        return "must not contain control characters (CR, LF, NUL, ...)";
    return NULL;
}

const char *lex_ha1(const char *s, size_t len, size_t hex_len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F')
            return "must be lower-case hex";
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return "must be hex digits only (0-9, a-f)";
    }
    if (len != hex_len)
        return hex_len == 64 ? "must be 64 hex digits (SHA-256)"
                             : "must be 32 hex digits (MD5)";
    return NULL;
}

int lex_bcrypt_prefix(const char *s, size_t len)
{
    return len >= 4 && s[0] == '$' && s[1] == '2' &&
           (s[2] == 'a' || s[2] == 'b' || s[2] == 'y') && s[3] == '$';
}

static int bcrypt_b64(char c)
{
    return is_alnum(c) || c == '.' || c == '/';
}

const char *lex_bcrypt(const char *s, size_t len)
{
    if (len >= 4 && s[0] == '$' && s[1] == '2' && s[3] == '$' && !lex_bcrypt_prefix(s, len))
        return "is not a supported bcrypt hash: the variant must be $2a$, $2b$ or $2y$";
    if (!lex_bcrypt_prefix(s, len))
        return "plaintext passwords are rejected; store a bcrypt hash (htpasswd -B)";
    if (len != 60)
        return "is not a bcrypt hash: must be 60 characters ($2b$CC$ + 53)";
    if (!(s[4] >= '0' && s[4] <= '9' && s[5] >= '0' && s[5] <= '9') || s[6] != '$')
        return "is not a bcrypt hash: cost must be two digits followed by '$'";
    int cost = lex_bcrypt_cost(s);
    if (cost < 4 || cost > 31)
        return "is not a bcrypt hash: cost must be 04-31";
    for (size_t i = 7; i < 60; i++)
        if (!bcrypt_b64(s[i]))
            return "is not a bcrypt hash: salt and hash use only ./A-Za-z0-9";
    return NULL;
}

int lex_bcrypt_cost(const char *s)
{
    return (s[4] - '0') * 10 + (s[5] - '0');
}
