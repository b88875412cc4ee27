/*
 * site.h - the one interface between generated code and the runtime.
 *
 * kiln-gen turns a site's config.json into C that defines exactly one
 * exported object, `site_root`, of type `struct kiln_site`. Everything else
 * it emits is `static const` and reached through this struct. The runtime
 * only ever reads it; it has no defaults of its own (defaults live in the
 * generator, once).
 *
 * Conventions:
 *   - durations are milliseconds, sizes are bytes;
 *   - strings are NUL-terminated and also carry their length where the hot
 *     path needs it (struct kiln_bytes);
 *   - header blocks are complete "Name: value\r\n" lines, already joined;
 *   - lists are sorted by the generator where the runtime searches them.
 *
 * Bump KILN_SITE_ABI on any change to a struct below: the runtime refuses a
 * site compiled against another ABI.
 */
#ifndef KILN_SITE_H
#define KILN_SITE_H

#include <stddef.h>
#include <stdint.h>

#define KILN_SITE_MAGIC 0x4b494c4eu /* "KILN" */
#define KILN_SITE_ABI 2u

/* A baked byte string. `ptr` is NUL-terminated for convenience; `len`
 * excludes the NUL. An empty string is {"", 0}, never NULL. */
struct kiln_bytes {
    const char *ptr;
    uint32_t len;
};

enum kiln_net {
    KILN_NET_TCP = 0, /* resolve the host; IPv4 or IPv6 */
    KILN_NET_TCP4 = 1,
    KILN_NET_TCP6 = 2,
    KILN_NET_UNIX = 3,
};

/* An IPv4 or IPv6 network, e.g. 127.0.0.0/8 or ::1/128. IPv4 networks are
 * stored as IPv4-mapped IPv6 (::ffff:a.b.c.d) with prefix + 96, so the
 * runtime does one comparison for either family. `addr` is masked. */
struct kiln_cidr {
    uint8_t addr[16];
    uint8_t prefix; /* 0..128 */
};

/* ---- locations ---------------------------------------------------------- */

enum kiln_location_kind {
    KILN_LOC_RETURN = 1,   /* answer with a baked static response */
    KILN_LOC_UPSTREAM = 2, /* cached fetch from an external HTTP(S) URL */
};

/* One exact-path location; the gperf table's entry type. `index` selects
 * site.returns[] or site.upstreams[] depending on `kind`. */
struct kiln_location {
    const char *path; /* gperf key; exact match */
    uint8_t kind;     /* enum kiln_location_kind */
    uint16_t index;
};

/* A `return` location, baked. `head` is the status line and every header
 * line (each ending "\r\n") except the per-request ones: Date and
 * Connection, and the blank line that ends the head, are appended by the
 * runtime. Content-Length is included (omitted for 1xx/204/304). HEAD
 * requests get `head` without `body`. Configured response_headers are
 * already part of `head`. */
struct kiln_static_response {
    struct kiln_bytes head;
    struct kiln_bytes body;
    uint16_t status;
    const char *json_path; /* "$.locations[3]" for logs */
};

/* An `upstream` location (location cache). */
struct kiln_upstream_location {
    const char *path;
    const char *url;          /* http:// or https://, no credentials */
    uint32_t cache_ttl_ms;    /* 0 = never cache */
    const char *json_path;
};

/* ---- CORS --------------------------------------------------------------- */

/* One allowed origin with its precomputed header blocks. */
struct kiln_cors_origin {
    struct kiln_bytes origin;    /* lower-cased, as matched */
    /* Header lines for an allowed simple (non-preflight) response:
     * Access-Control-Allow-Origin, -Allow-Credentials, -Expose-Headers,
     * Vary: Origin. */
    struct kiln_bytes simple_headers;
    /* Header lines for an allowed preflight (204) response, except
     * Access-Control-Allow-Headers when allowed_headers is empty (the
     * runtime echoes the validated request header then). */
    struct kiln_bytes preflight_headers;
};

struct kiln_cors {
    uint8_t enabled;
    uint8_t allow_credentials;
    uint8_t allow_any_origin;       /* "*" in allowed_origins */
    uint8_t allow_null_origin;      /* "null" in allowed_origins */
    uint8_t echo_request_headers;   /* allowed_headers empty: echo request */
    const struct kiln_cors_origin *origins; /* sorted by origin bytes */
    uint32_t n_origins;
    /* Used for "*" and "null" matches; ptr "" when not applicable. */
    struct kiln_cors_origin any;
    struct kiln_cors_origin null_origin;
    struct kiln_bytes vary_only;    /* "Vary: Origin\r\n" for refusals */
    uint32_t max_age_s;             /* 0 = no Access-Control-Max-Age */
    const char *const *allowed_methods; /* upper case, sorted */
    uint32_t n_allowed_methods;
};

/* ---- authentication ----------------------------------------------------- */

enum kiln_auth_type {
    KILN_AUTH_NONE = 0,
    KILN_AUTH_DIGEST = 1,
    KILN_AUTH_BASIC = 2,
};

enum kiln_digest_alg {
    KILN_DIGEST_SHA256 = 1,
    KILN_DIGEST_MD5 = 2,
};

struct kiln_digest_user {
    struct kiln_bytes username;
    uint8_t ha1[32];   /* binary; first ha1_len bytes used */
    uint8_t ha1_len;   /* 32 for SHA-256, 16 for MD5 */
};

struct kiln_basic_user {
    struct kiln_bytes username;
    const char *password_hash; /* bcrypt, $2a$/$2b$/$2y$ */
};

struct kiln_auth {
    uint8_t type;              /* enum kiln_auth_type */
    uint8_t digest_alg;        /* enum kiln_digest_alg */
    struct kiln_bytes realm;
    uint32_t nonce_lifetime_ms;
    const struct kiln_digest_user *digest_users; /* sorted by username */
    uint32_t n_digest_users;
    const struct kiln_basic_user *basic_users;   /* sorted by username */
    uint32_t n_basic_users;
    /* A bcrypt hash at the highest configured cost, compared against for
     * unknown users so timing does not reveal which names exist. */
    const char *basic_dummy_hash;
    uint8_t password_cache_enabled;
    uint32_t password_cache_ttl_ms;
    uint32_t password_cache_max_entries;
};

/* ---- readiness ---------------------------------------------------------- */

struct kiln_readiness {
    uint8_t enabled;
    uint8_t drain_enabled;
    struct kiln_bytes status_path;  /* php-fpm pm.status_path */
    uint32_t timeout_ms;
    const struct kiln_cidr *drain_trusted; /* empty = no check */
    uint32_t n_drain_trusted;
};

/* ---- the site ----------------------------------------------------------- */

struct kiln_site {
    uint32_t magic; /* KILN_SITE_MAGIC */
    uint32_t abi;   /* KILN_SITE_ABI */

    /* identity */
    const char *generator_version; /* kiln version that generated this */
    const char *config_name;       /* basename of the config file */
    const char *config_sha256;     /* hex SHA-256 of the canonical config */
    struct kiln_bytes config_json; /* canonical config, secrets redacted */

    /* listener */
    const char *listen;      /* as written, e.g. ":8080" */
    const char *listen_host; /* "" = every address (IPv6 and IPv4) */
    uint16_t listen_port;
    uint16_t workers;        /* threads; 0 = number of CPUs at start */

    /* upstream (FastCGI) */
    uint8_t network;         /* enum kiln_net */
    const char *address;     /* as written */
    const char *upstream_host; /* tcp*: host without brackets */
    uint16_t upstream_port;    /* tcp*: port */
    const char *upstream_path; /* unix: socket path */
    struct kiln_bytes document_root; /* absolute, no trailing slash ("/" stays "/") */
    struct kiln_bytes index;         /* plain file name, e.g. "index.php" */

    /* timeouts */
    uint32_t dial_timeout_ms;
    uint32_t read_timeout_ms;
    uint32_t write_timeout_ms;
    uint32_t keepalive_timeout_ms;   /* idle client connection */
    uint32_t shutdown_timeout_ms;    /* grace for in-flight requests */
    uint32_t upstream_queue_timeout_ms; /* max wait for an upstream slot */

    /* limits */
    uint64_t max_body_size;
    uint32_t max_concurrency;        /* client connections, all threads */
    uint32_t max_request_line;       /* bytes; longer -> 414 */
    uint32_t max_header_size;        /* request head bytes; more -> 431 */
    uint32_t max_headers;            /* header lines; more -> 431 */
    uint32_t max_response_header_size; /* CGI header block from upstream */
    uint32_t body_buffer_size;       /* request body kept in memory up to */
    const char *temp_dir;            /* bodies and responses past memory go here */

    /* slow clients (body.h, spool.h, conn.c) */
    uint32_t client_min_rate;        /* bytes/s a head, then a body, must keep up */
    uint32_t client_rate_grace_ms;   /* before client_min_rate applies */
    uint32_t response_buffer_size;   /* response held in memory for a slow client */
    uint64_t response_temp_max;      /* ... then in a temporary file up to this */
    uint64_t buffer_memory_max;      /* bodies and held responses, all threads */

    /* upstream connection pool */
    uint32_t pool_max_idle;          /* idle connections kept, all threads */
    uint32_t pool_idle_timeout_ms;
    uint32_t upstream_max_conns;     /* open upstream connections, all threads */

    /* response headers added to every proxied response (Set semantics) */
    struct kiln_bytes response_headers;        /* joined "Name: value\r\n" */
    const struct kiln_bytes *response_header_names; /* lower case, sorted */
    uint32_t n_response_headers;

    /* FastCGI params that never vary, pre-encoded as FastCGI name-value
     * pairs: GATEWAY_INTERFACE, SERVER_SOFTWARE, DOCUMENT_ROOT,
     * REDIRECT_STATUS, SERVER_PORT. */
    struct kiln_bytes fcgi_static_params;

    /* locations: exact-path lookup (gperf); NULL when not found */
    const struct kiln_location *(*location_lookup)(const char *path, size_t len);
    uint32_t n_locations;
    const struct kiln_static_response *returns;
    uint32_t n_returns;
    const struct kiln_upstream_location *upstreams;
    uint32_t n_upstreams;

    struct kiln_cors cors;
    struct kiln_auth auth;
    struct kiln_readiness readiness;
};

/* Defined by the generated code. */
extern const struct kiln_site site_root;

#endif /* KILN_SITE_H */
