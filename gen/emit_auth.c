/*
 * emit_auth.c - the digest HA1 table and the basic bcrypt table.
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "lexical.h"

static int cmp_user(const void *a, const void *b)
{
    const struct cfg_user *x = *(const struct cfg_user *const *)a;
    const struct cfg_user *y = *(const struct cfg_user *const *)b;
    size_t n = x->username.len < y->username.len ? x->username.len : y->username.len;
    int r = memcmp(x->username.p, y->username.p, n);
    return r != 0 ? r : (x->username.len > y->username.len) - (x->username.len < y->username.len);
}

/* Users sorted by username bytes (unique, validated): the runtime
 * bsearches them. */
static const struct cfg_user **sorted_users(const struct cfg_auth *auth)
{
    const struct cfg_user *u = auth->users.v;
    const struct cfg_user **s = xcalloc(auth->users.n, sizeof *s);
    for (size_t i = 0; i < auth->users.n; i++)
        s[i] = &u[i];
    qsort(s, auth->users.n, sizeof *s, cmp_user);
    return s;
}

static int hex_nibble(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

static void digest_table(const struct cfg_auth *auth, const struct cfg_user **users,
                         struct buf *tables)
{
    buf_puts(tables, "/* $.auth.users: HA1 in binary, sorted by username */\n"
                     "static const struct kiln_digest_user site_digest_users[] = {\n");
    for (size_t i = 0; i < auth->users.n; i++) {
        const struct cfg_user *u = users[i];
        size_t ha1_len = u->ha1.len / 2;
        emit_comment(tables, "    ", "$.auth.users", &u->username);
        buf_puts(tables, "    {\n        .username = ");
        emit_bytes(tables, u->username.p, u->username.len);
        buf_puts(tables, ",\n        .ha1 = {");
        for (size_t b = 0; b < ha1_len; b++)
            buf_printf(tables, "%s0x%02x", b == 0 ? "" : b % 8 ? ", " : ",\n                 ",
                       hex_nibble(u->ha1.p[2 * b]) << 4 | hex_nibble(u->ha1.p[2 * b + 1]));
        buf_printf(tables, "},\n        .ha1_len = %zu,\n    },\n", ha1_len);
    }
    buf_puts(tables, "};\n\n");
}

/* The hash compared against for unknown users: the highest cost, the first
 * such user in sorted order, so the choice is deterministic. */
static const struct cfg_user *dummy_user(const struct cfg_auth *auth,
                                         const struct cfg_user **users)
{
    const struct cfg_user *best = NULL;
    for (size_t i = 0; i < auth->users.n; i++)
        if (best == NULL ||
            lex_bcrypt_cost(users[i]->password_hash.p) > lex_bcrypt_cost(best->password_hash.p))
            best = users[i];
    return best;
}

static void basic_table(const struct cfg_auth *auth, const struct cfg_user **users,
                        struct buf *tables)
{
    buf_puts(tables, "/* $.auth.users: bcrypt hashes, sorted by username */\n"
                     "static const struct kiln_basic_user site_basic_users[] = {\n");
    for (size_t i = 0; i < auth->users.n; i++) {
        const struct cfg_user *u = users[i];
        emit_comment(tables, "    ", "$.auth.users", &u->username);
        buf_puts(tables, "    {\n        .username = ");
        emit_bytes(tables, u->username.p, u->username.len);
        buf_puts(tables, ",\n        .password_hash = ");
        emit_cstr(tables, u->password_hash.p, u->password_hash.len);
        buf_puts(tables, ",\n    },\n");
    }
    buf_puts(tables, "};\n\n");
}

void emit_auth(const struct config *c, struct buf *tables, struct emit_vars *vars)
{
    const struct cfg_auth *auth = &c->auth;
    int digest = auth->enabled && auth->type == AUTH_DIGEST;
    int basic = auth->enabled && auth->type == AUTH_BASIC;
    const struct cfg_user **users = auth->enabled ? sorted_users(auth) : NULL;
    if (digest)
        digest_table(auth, users, tables);
    if (basic)
        basic_table(auth, users, tables);

    struct buf v = BUF_INIT;
    buf_printf(&v, "{\n        .type = %s,\n        .digest_alg = %s,\n        .realm = ",
               digest ? "KILN_AUTH_DIGEST" : basic ? "KILN_AUTH_BASIC" : "KILN_AUTH_NONE",
               !digest                       ? "0"
               : auth->algorithm == ALG_MD5 ? "KILN_DIGEST_MD5"
                                             : "KILN_DIGEST_SHA256");
    if (auth->enabled)
        emit_bytes(&v, auth->realm.p, auth->realm.len);
    else
        emit_bytes(&v, "", 0);
    buf_printf(&v, ",\n        .nonce_lifetime_ms = %lld,\n"
                   "        .digest_users = %s,\n        .n_digest_users = %zu,\n"
                   "        .basic_users = %s,\n        .n_basic_users = %zu,\n"
                   "        .basic_dummy_hash = ",
               digest ? (long long)auth->nonce_lifetime_ms : 0LL,
               digest ? "site_digest_users" : "NULL", digest ? auth->users.n : 0,
               basic ? "site_basic_users" : "NULL", basic ? auth->users.n : 0);
    if (basic) {
        const struct cfg_user *d = dummy_user(auth, users);
        emit_cstr(&v, d->password_hash.p, d->password_hash.len);
    } else {
        buf_puts(&v, "NULL");
    }
    const struct cfg_password_cache *pc = &auth->password_cache;
    buf_printf(&v, ",\n        .password_cache_enabled = %d,\n"
                   "        .password_cache_ttl_ms = %lld,\n"
                   "        .password_cache_max_entries = %lld,\n    }",
               basic && pc->enabled, basic ? (long long)pc->ttl_ms : 0LL,
               basic ? (long long)pc->max_entries : 0LL);
    vars_take(vars, "auth", &v);
    free(users);
}
