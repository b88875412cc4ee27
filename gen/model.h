/*
 * model.h - the configuration model: one C struct per JSON object.
 *
 * The schema (keys.c) describes every field of these structs once: its JSON
 * name, type, default, range and documentation. The generic engine in
 * schema.c fills them from JSON, applies defaults, frees them and turns
 * them back into canonical JSON, so adding a key means adding a struct
 * field and one table row.
 *
 * After config_parse() every field holds its effective value (defaults
 * applied); `present` says which keys the JSON actually had, bit i standing
 * for the i-th key of the object's table (see the K_* enums in keys.h).
 * Durations are whole milliseconds.
 */
#ifndef KILN_GEN_MODEL_H
#define KILN_GEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A string from JSON: NUL-terminated copy; may contain NUL bytes, so `len`
 * is the truth. */
struct cfg_str {
    char *p;
    size_t len;
};

/* A JSON array of strings or of objects; `v` points to n elements. */
struct cfg_list {
    void *v;
    size_t n;
};

/* One response_headers member, in the order written. */
struct cfg_header {
    struct cfg_str name;
    struct cfg_str value;
};

enum cfg_network { NET_TCP, NET_TCP4, NET_TCP6, NET_UNIX };
enum cfg_auth_type { AUTH_DIGEST, AUTH_BASIC };
enum cfg_digest_alg { ALG_SHA256, ALG_MD5 };

struct cfg_return {
    uint64_t present;
    int64_t status;
    struct cfg_str body;
    struct cfg_str content_type;
};

struct cfg_location {
    uint64_t present;
    struct cfg_str path;
    struct cfg_str upstream;
    int64_t cache_ttl_ms;
    struct cfg_return ret;
};

struct cfg_cors {
    uint64_t present;
    bool enabled;
    struct cfg_list allowed_origins; /* struct cfg_str */
    struct cfg_list allowed_methods; /* struct cfg_str */
    struct cfg_list allowed_headers; /* struct cfg_str */
    struct cfg_list exposed_headers; /* struct cfg_str */
    bool allow_credentials;
    int64_t max_age_ms;
};

struct cfg_user {
    uint64_t present;
    struct cfg_str username;
    struct cfg_str ha1;
    struct cfg_str password_hash;
    struct cfg_str password; /* declared only to reject it with a reason */
};

struct cfg_password_cache {
    uint64_t present;
    bool enabled;
    int64_t ttl_ms;
    int64_t max_entries;
};

struct cfg_auth {
    uint64_t present;
    bool enabled;
    int64_t type;      /* enum cfg_auth_type */
    struct cfg_str realm;
    int64_t algorithm; /* enum cfg_digest_alg */
    int64_t nonce_lifetime_ms;
    struct cfg_list users; /* struct cfg_user */
    struct cfg_password_cache password_cache;
};

struct cfg_readiness {
    uint64_t present;
    bool enabled;
    struct cfg_str status_path;
    int64_t timeout_ms;
    bool drain_enabled;
    struct cfg_list drain_trusted_cidrs; /* struct cfg_str */
};

struct config {
    uint64_t present;
    struct cfg_str listen;
    int64_t network; /* enum cfg_network */
    struct cfg_str address;
    struct cfg_str document_root;
    struct cfg_str index;
    int64_t dial_timeout_ms;
    int64_t read_timeout_ms;
    int64_t write_timeout_ms;
    int64_t max_body_size;
    int64_t max_concurrency;
    int64_t pool_max_idle;
    int64_t pool_idle_timeout_ms;
    struct cfg_list response_headers; /* struct cfg_header */
    struct cfg_list locations;        /* struct cfg_location */
    struct cfg_cors cors;
    struct cfg_auth auth;
    struct cfg_readiness readiness;
    int64_t workers;
    int64_t upstream_max_conns;
    int64_t upstream_queue_timeout_ms;
    int64_t keepalive_timeout_ms;
    int64_t shutdown_timeout_ms;
    int64_t max_request_line;
    int64_t max_header_size;
    int64_t max_headers;
    int64_t max_response_header_size;
    int64_t body_buffer_size;
    struct cfg_str temp_dir;
    int64_t client_min_rate;
    int64_t client_rate_grace_ms;
    int64_t response_buffer_size;
    int64_t response_temp_max;
    int64_t buffer_memory_max;
};

#endif /* KILN_GEN_MODEL_H */
