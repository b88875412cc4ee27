// kiln-fuzz: proto
/*
 * fuzz_script.c - path canonicalization and script resolution on arbitrary
 * request paths.
 *
 * Byte 0 picks the output capacity (0 = twice the input, else 4 * byte),
 * the rest is the raw path. Checked, for every path that is accepted:
 *   - the result starts with '/', has no "//", no "." or ".." segment, no
 *     control byte, DEL or backslash, and fits the capacity;
 *   - `hidden` is set exactly when a segment starts with '.';
 *   - SCRIPT_NAME + PATH_INFO is the canonical path (a .php segment), or
 *     SCRIPT_NAME is the canonical path + index (a directory), or
 *     SCRIPT_NAME is "/" + index and PATH_INFO the canonical path;
 *   - a canonical path without '%' canonicalizes to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "script.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static const char INDEX[] = "index.php";
#define INDEX_LEN (sizeof INDEX - 1)

static void check_shape(const char *c, size_t n)
{
    CHECK(n >= 1 && c[0] == '/');
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)c[i];
        CHECK(b >= 0x20 && b != 0x7f && b != '\\');
        if (b != '/')
            continue;
        CHECK(i + 1 == n || c[i + 1] != '/');
        size_t end = i + 1;
        while (end < n && c[end] != '/')
            end++;
        size_t seg = end - (i + 1);
        const char *s = c + i + 1;
        CHECK(!(seg == 1 && s[0] == '.'));
        CHECK(!(seg == 2 && s[0] == '.' && s[1] == '.'));
    }
}

static int has_hidden_segment(const char *c, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (c[i] == '/' && c[i + 1] == '.')
            return 1;
    return 0;
}

static void check_resolve(const char *c, size_t n, int hidden)
{
    size_t cap = n + INDEX_LEN + 1;
    char *buf = malloc(cap);
    CHECK(buf);
    struct script_result res;
    int rc = script_resolve(c, n, hidden, INDEX, INDEX_LEN, buf, cap, &res);
    if (hidden) {
        CHECK(rc == -403);
        free(buf);
        return;
    }
    CHECK(rc == 0); /* the documented capacity is always enough */
    CHECK(res.canonical == c && res.canonical_len == n);
    size_t sl = res.script_name_len, pl = res.path_info_len;
    if (res.script_name == c) {
        /* A .php segment: the two halves make the path again. */
        CHECK(sl + pl == n);
        CHECK(pl == 0 || res.path_info == c + sl);
        CHECK(pl == 0 || c[sl] == '/');
        CHECK(sl >= 5 && strncasecmp(c + sl - 4, ".php", 4) == 0);
    } else if (pl == 0) {
        CHECK(res.script_name == buf && c[n - 1] == '/');
        CHECK(sl == n + INDEX_LEN && memcmp(buf, c, n) == 0);
        CHECK(memcmp(buf + n, INDEX, INDEX_LEN) == 0 && buf[sl] == '\0');
    } else {
        CHECK(res.script_name == buf && sl == 1 + INDEX_LEN);
        CHECK(buf[0] == '/' && memcmp(buf + 1, INDEX, INDEX_LEN) == 0);
        CHECK(res.path_info == c && pl == n && c[n - 1] != '/');
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = size - 1;
    size_t cap = data[0] == 0 ? 2 * len + 1 : 4u * data[0];
    char *path = malloc(len ? len : 1);
    char *out = malloc(cap ? cap : 1);
    CHECK(path && out);
    if (len)
        memcpy(path, data + 1, len);

    int hidden = -1;
    int n = script_canonicalize(path, len, out, cap, &hidden);
    CHECK(n != 0);
    if (n < 0) {
        CHECK(n == -400 || n == -414);
        CHECK(n != -414 || cap < len); /* the output never outgrows the input */
    } else {
        CHECK((size_t)n <= cap && (size_t)n <= len);
        check_shape(out, (size_t)n);
        CHECK(hidden == has_hidden_segment(out, (size_t)n));
        check_resolve(out, (size_t)n, hidden);
        if (memchr(out, '%', (size_t)n) == NULL) {
            char *again = malloc((size_t)n);
            int h2;
            CHECK(again);
            CHECK(script_canonicalize(out, (size_t)n, again, (size_t)n, &h2) == n);
            CHECK(memcmp(again, out, (size_t)n) == 0 && h2 == hidden);
            free(again);
        }
    }
    free(out);
    free(path);
    return 0;
}
