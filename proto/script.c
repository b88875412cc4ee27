/*
 * script.c - request path canonicalization and front-controller script
 * resolution (see script.h for the rules and the resolution table).
 *
 * Canonicalization is one pass over the raw path: escapes are decoded into
 * the output as they are read, and each segment is checked when its end is
 * reached, so a path is never scanned twice.
 */
#include "script.h"

#include "ascii.h"

#include <limits.h>
#include <string.h>

enum {
    ERR_BAD_REQUEST = -400,
    ERR_FORBIDDEN = -403,
    ERR_TOO_LONG = -414,
};


/* Bytes that never appear in a canonical path, raw or decoded: controls
 * (NUL included), DEL, and the backslash some servers treat as a separator. */
static int refused_byte(unsigned char c)
{
    return c < 0x20 || c == 0x7f || c == '\\';
}

/*
 * Close the segment out[seg..o): refuse "." and "..", flag a hidden one.
 * Returns 0 or ERR_BAD_REQUEST.
 */
static int end_segment(const char *out, size_t seg, size_t o, int *hidden)
{
    size_t n = o - seg;
    if (n == 0 || out[seg] != '.')
        return 0;
    if (n == 1 || (n == 2 && out[seg + 1] == '.'))
        return ERR_BAD_REQUEST;
    *hidden = 1;
    return 0;
}

/* The next path byte at path[*i], percent-decoded; advances *i. Returns the
 * byte, or -1 for a malformed escape or a byte no canonical path holds. */
static int next_byte(const char *path, size_t len, size_t *i)
{
    unsigned char c = (unsigned char)path[(*i)++];
    if (c == '%') {
        int hi = *i < len ? ascii_hex_value((uint8_t)path[*i]) : -1;
        int lo = *i + 1 < len ? ascii_hex_value((uint8_t)path[*i + 1]) : -1;
        if (hi < 0 || lo < 0)
            return -1;
        c = (unsigned char)(hi << 4 | lo);
        *i += 2;
    }
    return refused_byte(c) ? -1 : c;
}

int script_canonicalize(const char *path, size_t len, char *out, size_t cap, int *hidden)
{
    size_t i = 0, o, seg;

    *hidden = 0;
    if (len == 0 || path[0] != '/')
        return ERR_BAD_REQUEST;
    if (cap > INT_MAX)
        cap = INT_MAX; /* the length is returned as an int */
    if (cap == 0)
        return ERR_TOO_LONG;
    out[0] = '/';
    o = seg = 1; /* out[seg..o) is the segment being read */

    while (i < len) {
        int c = next_byte(path, len, &i);
        if (c < 0)
            return ERR_BAD_REQUEST;
        if (c == '/') {
            if (end_segment(out, seg, o, hidden) < 0)
                return ERR_BAD_REQUEST;
            if (o == seg)
                continue; /* doubled slash: the '/' already written serves */
        }
        if (o == cap)
            return ERR_TOO_LONG;
        out[o++] = (char)c;
        if (c == '/')
            seg = o;
    }
    /* The last segment; when empty, the path ends in '/' and keeps it. */
    if (end_segment(out, seg, o, hidden) < 0)
        return ERR_BAD_REQUEST;
    return (int)o;
}

static int ends_with_php(const char *s, size_t n)
{
    return n >= 4 && s[n - 4] == '.' && (s[n - 3] | 0x20) == 'p' && (s[n - 2] | 0x20) == 'h' &&
           (s[n - 1] | 0x20) == 'p';
}

/* Write "prefix[0..plen)" + index into buf as a NUL-terminated string. */
static int join_index(const char *prefix, size_t plen, const char *index, size_t index_len,
                      char *buf, size_t cap)
{
    if (plen + index_len >= cap || plen + index_len > UINT32_MAX)
        return ERR_TOO_LONG;
    memcpy(buf, prefix, plen);
    memcpy(buf + plen, index, index_len);
    buf[plen + index_len] = '\0';
    return 0;
}

int script_resolve(const char *canonical, size_t len, int hidden, const char *index,
                   size_t index_len, char *buf, size_t cap, struct script_result *res)
{
    if (hidden)
        return ERR_FORBIDDEN;
    if (len == 0 || canonical[0] != '/' || len > UINT32_MAX)
        return ERR_FORBIDDEN; /* not a canonical path: never run anything */

    res->canonical = canonical;
    res->canonical_len = (uint32_t)len;

    /* Walk the segments; the first one ending in ".php" ends SCRIPT_NAME.
     * A segment starting with '.' is refused here too, so a caller that
     * lost the hidden flag still cannot run a script under ".git/". */
    size_t seg = 1;
    while (seg <= len) {
        const char *slash = memchr(canonical + seg, '/', len - seg);
        size_t end = slash ? (size_t)(slash - canonical) : len;
        if (end > seg && canonical[seg] == '.')
            return ERR_FORBIDDEN;
        if (ends_with_php(canonical + seg, end - seg)) {
            res->script_name = canonical;
            res->script_name_len = (uint32_t)end;
            res->path_info = end < len ? canonical + end : "";
            res->path_info_len = (uint32_t)(len - end);
            return 0;
        }
        seg = end + 1;
    }

    int r;
    if (canonical[len - 1] == '/') {
        /* A directory: its index, no PATH_INFO. */
        r = join_index(canonical, len, index, index_len, buf, cap);
        res->path_info = "";
        res->path_info_len = 0;
        res->script_name_len = (uint32_t)(len + index_len);
    } else {
        /* Front controller: the root index gets the whole path. */
        r = join_index("/", 1, index, index_len, buf, cap);
        res->path_info = canonical;
        res->path_info_len = (uint32_t)len;
        res->script_name_len = (uint32_t)(1 + index_len);
    }
    res->script_name = buf;
    return r;
}
