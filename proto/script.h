/*
 * script.h - request path canonicalization and front-controller script
 * resolution.
 *
 * Pure: the caller provides the output buffer (the request arena).
 *
 * Canonicalization of the raw (percent-encoded) request path:
 *   - the raw path must start with '/' (an empty one is 400);
 *   - percent-escapes are decoded once ("%252e" becomes "%2e", a literal);
 *     a malformed escape ('%' not followed by two hex digits, "%" or "%4"
 *     at the end) is 400;
 *   - NUL (raw or %00), any other byte below 0x20 and DEL (0x7f), raw or
 *     decoded, is 400;
 *   - a backslash (raw or %5C) is 400;
 *   - bytes 0x80..0xff (UTF-8) are kept as they are, never validated;
 *   - the decoded path is split on '/' (so %2F separates segments too);
 *     empty segments (doubled slashes) are dropped;
 *   - a segment "." or ".." (also "%2e", "%2e%2e") is 400: traversal is
 *     refused, never resolved;
 *   - a segment starting with '.' (".git", ".env", ".well-known", "...",
 *     ".php") is kept but flagged: a location may serve it
 *     (/.well-known/security.txt), script resolution refuses it with 403;
 *   - a trailing slash is kept (it selects the directory index).
 * The result always starts with '/', has no "//", no dot segments, and so
 * can never leave the document root when appended to it. It is not
 * NUL-terminated.
 *
 * Front-controller resolution of the canonical path, `index` = "index.php":
 *
 *   request path            SCRIPT_NAME            PATH_INFO
 *   /index.php              /index.php             ""
 *   /index.php/api/users    /index.php             /api/users
 *   /                       /index.php             ""
 *   /admin/                 /admin/index.php       ""
 *   /api/users              /index.php             /api/users
 *   /admin/dashboard.php    /admin/dashboard.php   ""
 *
 * The first segment ending in ".php" (ASCII case-insensitive: .PHP, .Php)
 * ends SCRIPT_NAME and the rest, from its '/', is PATH_INFO
 * ("/a.php/b.php/c" runs /a.php with PATH_INFO "/b.php/c"; "/a.php/" has
 * PATH_INFO "/"); else a path ending in '/' gets the index appended; else
 * the root index runs with the whole path as PATH_INFO. Only a segment that
 * ends in exactly ".php" names a script: "/foo.php5", "/foo.phps" and
 * "/foo.php.jpg" go to the front controller.
 */
#ifndef KILN_SCRIPT_H
#define KILN_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

struct script_result {
    const char *script_name; /* in the caller's buffer */
    const char *path_info;   /* in the caller's buffer; "" when none */
    uint32_t script_name_len;
    uint32_t path_info_len;
    const char *canonical;   /* the whole canonical decoded path */
    uint32_t canonical_len;
};

/*
 * script_canonicalize - decode and canonicalize raw path[0..len) into
 * out[0..cap). Returns the length written (> 0), or the negated status:
 * -400 (malformed escape, NUL/control, backslash, "." or ".." segment),
 * -414 (does not fit in cap). *hidden is set to 1 when a segment starts
 * with '.', else 0. The result is what locations are matched against.
 */
int script_canonicalize(const char *path, size_t len, char *out, size_t cap, int *hidden);

/*
 * script_resolve - split a canonical path (from script_canonicalize, with
 * its `hidden` flag) as the table above. `buf` receives the script name,
 * NUL-terminated, when the index must be appended; it needs
 * canonical_len + index_len + 1 bytes. Otherwise script_name is a prefix of
 * `canonical`. PATH_INFO is always a suffix of `canonical`, or "".
 * Returns 0, or -403 when `hidden` is set (no script is run for a hidden
 * path), when a segment of the script's own path starts with '.' (so a lost
 * flag still cannot run a script under ".git/"), or when the input does not
 * start with '/'; or -414 when buf is too small.
 */
int script_resolve(const char *canonical, size_t len, int hidden, const char *index,
                   size_t index_len, char *buf, size_t cap, struct script_result *res);

#endif /* KILN_SCRIPT_H */
