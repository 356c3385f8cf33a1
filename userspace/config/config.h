/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The parsed sluiced configuration (the YAML schema of docs/config.md) and its loader. */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* An IP address without port (L4 VIPs and backends). family is AF_INET or AF_INET6. */
struct cfg_ip {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* A listen or connect address: host:port, [v6]:port, or unix:/path. */
struct cfg_sockaddr {
	struct sockaddr_storage ss;   /* AF_INET, AF_INET6 or AF_UNIX */
	socklen_t len;
	char text[128];               /* as written in the config, for logs */
};

/* A CIDR prefix for allow lists. */
struct cfg_cidr {
	struct cfg_ip ip;
	uint8_t prefix_len;
};

enum cfg_health_type { CFG_HEALTH_NONE = 0, CFG_HEALTH_TCP, CFG_HEALTH_HTTP };

struct cfg_health {
	enum cfg_health_type type;
	uint16_t port;                /* 0: the server's own port */
	char *path;                   /* http: request path, default "/" */
	char *host;                   /* http: Host header, default the address */
	uint16_t expect_status;       /* http: 0 = any 2xx or 3xx */
	uint32_t interval_ms;         /* default 1000 */
	uint32_t timeout_ms;          /* default 500 */
	uint32_t rise;                /* default 2 */
	uint32_t fall;                /* default 3 */
};

/* ---- l4 ---- */

enum cfg_xdp_mode { CFG_XDP_NATIVE = 0, CFG_XDP_GENERIC };
enum cfg_forwarding { CFG_FWD_IPIP = 0, CFG_FWD_DSR };
enum cfg_empty { CFG_EMPTY_DROP = 0, CFG_EMPTY_PASS };   /* VIP with no healthy backend */

struct cfg_backend {
	struct cfg_ip addr;
	uint32_t weight;              /* 0..1000, default 100; 0 = drained */
	int line;
};

struct cfg_vip {
	char *name;
	struct cfg_ip addr;
	uint16_t port;                /* 0 = every port */
	uint8_t proto;                /* IPPROTO_TCP | IPPROTO_UDP */
	enum cfg_forwarding forwarding; /* default: l4.forwarding */
	bool hash_src;                /* hash on source address only (key: hash: source) */
	enum cfg_empty on_empty;      /* key: on_no_backend: drop | pass */
	uint32_t ring_size;           /* default: l4.ring_size */
	struct cfg_backend *backends;
	size_t n_backends;
	struct cfg_health health;
	int line;
};

struct cfg_l4 {
	bool present;
	char **interfaces;
	size_t n_interfaces;
	enum cfg_xdp_mode xdp_mode;
	enum cfg_forwarding forwarding;
	uint32_t conntrack_entries;   /* default 1000000 */
	uint32_t conntrack_insert_rate; /* new entries per second per CPU, default SL_CT_INSERT_RATE; 0 = no limit */
	uint32_t ring_size;           /* default 65537; must be prime */
	uint32_t hash_seed;           /* default 0 */
	uint32_t udp_timeout_ms;      /* default 30000 */
	struct cfg_ip tunnel_src4;    /* IPIP outer source base (default 198.19.0.0) */
	uint8_t tunnel_src4_bits;     /* host bits varied per flow (default 16) */
	struct cfg_ip tunnel_src6;    /* default 2001:2:0:ffff:: */
	bool icmp_echo;               /* answer pings to VIPs in XDP, default true */
	bool detach_on_exit;          /* default false: XDP keeps forwarding across restarts */
	struct cfg_vip *vips;
	size_t n_vips;
};

/* ---- l7 ---- */

enum cfg_mode { CFG_MODE_REVERSE = 0, CFG_MODE_FORWARD };
enum cfg_log_format { CFG_LOG_COMBINED = 0, CFG_LOG_JSON };
enum cfg_balance {
	CFG_BAL_ROUND_ROBIN = 0, CFG_BAL_WEIGHTED, CFG_BAL_LEAST_CONN, CFG_BAL_HASH, CFG_BAL_P2C,
};
enum cfg_hash_key { CFG_HASH_CLIENT_IP = 0, CFG_HASH_HEADER, CFG_HASH_COOKIE };
/* What counts toward an upstream's max_fails (key: fail_on), as bits. */
enum cfg_fail {
	CFG_FAIL_CONNECT = 1 << 0,    /* connect refused or reset, connection lost before the response ended, malformed response */
	CFG_FAIL_TIMEOUT = 1 << 1,    /* connect_timeout or response_timeout */
	CFG_FAIL_5XX = 1 << 2,        /* a 5xx response */
};
#define CFG_KEEPALIVE_AUTO 1024       /* keepalive: auto (the default): the pool follows demand up to this */

struct cfg_access_log {
	char *path;                   /* NULL: no access log */
	enum cfg_log_format format;
	uint32_t body_bytes;          /* capture request/response bodies up to this many bytes; 0 = off */
	char **redact;                /* header names to redact; default Authorization, Cookie */
	size_t n_redact;
};

struct cfg_match {
	char *host;                   /* NULL = any */
	char *path_prefix;            /* NULL = any */
	char *header_name;            /* "X-Canary: 1" splits into name and value */
	char *header_value;
};

struct cfg_split {
	char *upstream;
	size_t upstream_idx;          /* resolved index into l7.upstreams */
	uint32_t weight;
};

struct cfg_route {
	struct cfg_match match;
	struct cfg_split *splits;     /* `upstream: X` becomes one split of weight 1 */
	size_t n_splits;
	uint32_t log_body_sample;     /* per-route body capture: 1 in N requests; 0 = never */
	int line;
};

/* ---- tls (listeners and upstreams; docs/config.md "TLS") ---- */

/* protocols: bits, TLS 1.2 and 1.3 by default (1.0 and 1.1 only when listed). */
enum cfg_tls_proto { CFG_TLS10 = 1 << 0, CFG_TLS11 = 1 << 1, CFG_TLS12 = 1 << 2, CFG_TLS13 = 1 << 3 };
enum cfg_tls_verify { CFG_VERIFY_OFF = 0, CFG_VERIFY_OPTIONAL, CFG_VERIFY_REQUIRED };

/* One certificate and its key (PEM; the certificate file holds the leaf first, then its chain). */
struct cfg_tls_cert {
	char *cert;
	char *key;
	int line;
};

/* A listener's tls: present when the listener terminates TLS. */
struct cfg_tls {
	bool present;
	struct cfg_tls_cert *certs;   /* the first is the default (no SNI, or a name no certificate has) */
	size_t n_certs;
	uint32_t protocols;           /* CFG_TLS* bits, default CFG_TLS12 | CFG_TLS13 */
	char *ciphers;                /* TLS 1.2 cipher list, NULL: Mozilla intermediate */
	char *ciphersuites;           /* TLS 1.3 suites, NULL: Mozilla intermediate (OpenSSL's three) */
	char **alpn;                  /* default ["h2", "http/1.1"] when the listener's http2 is on, else ["http/1.1"] */
	size_t n_alpn;
	bool session_tickets;         /* default true */
	uint32_t ticket_rotate_ms;    /* a new ticket key this often, default 1 h (the previous one still decrypts) */
	uint32_t session_timeout_ms;  /* ticket lifetime, default 2 h */
	uint32_t handshake_timeout_ms; /* default 10 s */
	uint32_t max_handshakes;      /* in progress per worker, default 1024; past it new connections are closed */
	char *client_ca;              /* mTLS: request client certificates verified against this PEM bundle */
	enum cfg_tls_verify client_verify; /* default required when client_ca is set */
	char *client_header;          /* the verified subject goes upstream in this header, default X-Client-Subject */
	int line;
	int ciphers_line, ciphersuites_line, client_ca_line;   /* where those keys are (messages about their values) */
};

/* An upstream's tls: `tls: true`, or a mapping of these. */
struct cfg_upstream_tls {
	bool enabled;
	char *ca;                     /* NULL: the system's store (/etc/ssl/certs) */
	char *server_name;            /* SNI and the name verified; NULL: the upstream's host, else none */
	bool verify;                  /* default true */
	char *cert, *key;             /* a client certificate, optional */
	int line;
	int ca_line, cert_line;       /* where those keys are */
};

#define CFG_MAX_LISTENERS 64   /* listener slots a process has (userspace/l7.c): one per address a listener has had */

/*
 * A listener's `http2:` (`true`/`false`, or a mapping of these). On a TLS
 * listener h2 is offered by ALPN ahead of http/1.1; on a cleartext one a
 * connection that opens with the HTTP/2 preface is h2c (prior knowledge), any
 * other HTTP/1.1 (docs/http2.md).
 */
struct cfg_http2 {
	bool enabled;                    /* default: true on a TLS listener, false on a cleartext one */
	bool enabled_set;                /* said in the config (else the default by tls) */
	uint32_t max_concurrent_streams; /* SETTINGS_MAX_CONCURRENT_STREAMS, default 128 */
	uint32_t max_header_list_size;   /* decoded request headers per stream, default: max_header_bytes */
	uint32_t header_table_size;      /* HPACK table the client may make us keep, default 4096 */
	uint32_t stream_window;          /* receive window per stream (request bodies), default 256 KiB */
	uint32_t connection_window;      /* receive window of the connection, default 1 MiB */
	uint32_t max_resets;             /* streams the client may reset per second (Rapid Reset), default 200 */
	uint32_t max_control_frames;     /* SETTINGS, PING, PRIORITY, empty DATA per second, default 200 */
	uint32_t max_continuations;      /* CONTINUATION frames in one header block, default 8 (nghttp2's own limit is set just past it) */
	int line;
};

struct cfg_listener {
	char *name;
	struct cfg_sockaddr listen;
	enum cfg_mode mode;
	char *cache;                  /* NULL = no cache */
	size_t cache_idx;
	struct cfg_access_log access_log;
	struct cfg_route *routes;
	size_t n_routes;
	uint32_t max_header_bytes;    /* default 16384 -> 431 */
	uint64_t max_body_bytes;      /* default 1 GiB -> 413; 0 = unlimited */
	uint32_t request_timeout_ms;  /* header read timeout, default 10000 -> 408 */
	uint32_t client_idle_ms;      /* keep-alive idle, default 60000 */
	uint32_t max_connections;     /* per listener, default 10000 */
	uint32_t request_buffering;   /* request bodies up to this are gathered before going upstream; 0 = off, default 64 KiB */
	struct cfg_tls tls;
	struct cfg_http2 http2;
	int line;
};

struct cfg_server {
	struct cfg_sockaddr addr;
	uint32_t weight;              /* default 1 */
	int line;
};

struct cfg_upstream {
	char *name;
	enum cfg_balance balance;
	enum cfg_hash_key hash_key;
	char *hash_name;              /* header or cookie name */
	char *host;                   /* rewrite Host to this; NULL = preserve the client's */
	struct cfg_server *servers;
	size_t n_servers;
	struct cfg_health health;
	uint32_t connect_timeout_ms;  /* default 2000 -> 502/504 */
	uint32_t response_timeout_ms; /* default 30000 -> 504 */
	uint32_t retries;             /* default 1 (idempotent requests only) */
	uint32_t max_fails;           /* passive ejection after N consecutive failures, default 3 */
	uint32_t fail_on;             /* CFG_FAIL_* bits counted as failures, default connect | timeout */
	uint32_t fail_timeout_ms;     /* how long an ejected server stays out, default 10000 */
	uint32_t slow_start_ms;       /* default 0 */
	uint32_t keepalive;           /* idle pooled connections per worker per server at most, default
				       * CFG_KEEPALIVE_AUTO; below it the pool keeps what recent demand needs */
	bool via;                     /* add a Via header, default false */
	struct cfg_upstream_tls tls;
	int line;
};

struct cfg_cache {
	char *name;
	uint64_t memory_bytes;
	uint64_t max_object_bytes;    /* default memory / 16 */
	int line;
};

/* l7.batch: when a busy worker waits for several completions per loop turn (worker.c ring_wait()) */
struct cfg_batch {
	uint32_t wait_us;             /* longest wait for a batch, default 30; 0 = never wait for one */
	uint32_t clients;             /* busy: at least this many clients sent within a 16 ms tick, default 8 */
	uint32_t rate;                /* ... and completions came at least this fast (a second), default 64000 */
};

struct cfg_forward {
	struct cfg_cidr *allow_clients;   /* default 127.0.0.0/8 and ::1/128 */
	size_t n_allow_clients;
	char **allow_hosts;               /* default ["*"] */
	size_t n_allow_hosts;
	char **deny_hosts;
	size_t n_deny_hosts;
	uint16_t *connect_ports;          /* default [443] */
	size_t n_connect_ports;
	bool allow_private_destinations;
	char *auth_file;
	bool anonymize;
	char **identifying_headers;       /* extra headers stripped when anonymize */
	size_t n_identifying_headers;
};

struct cfg_l7 {
	struct cfg_listener *listeners;
	size_t n_listeners;
	struct cfg_upstream *upstreams;
	size_t n_upstreams;
	struct cfg_cache *caches;
	size_t n_caches;
	struct cfg_forward forward;
	struct cfg_batch batch;
};

/* admin: beside listen (struct cfg's admin, kept where it was for its users). */
struct cfg_admin_access {
	char *token_file;                 /* admin.token_file: NULL = no token, TCP clients may only read */
	char *token;                      /* its contents, checked when the config loads (so sluiced -t reads it) */
	uint32_t mode;                    /* admin.mode: the unix socket's permissions, default 0660 */
	char *group;                      /* admin.group: the unix socket's group, NULL = sluiced's own */
	uint32_t gid;                     /* resolved from group when set */
};

struct cfg {
	char *path;
	uint32_t workers;                 /* 0 = auto (one per core) */
	struct cfg_sockaddr admin;        /* default 127.0.0.1:9900 */
	struct cfg_admin_access admin_access;
	struct cfg_l4 l4;
	struct cfg_l7 l7;
	int l4_line, l7_line;             /* where the sections start, 0 when absent */
};

/*
 * cfg_load() - parse and validate a config file.
 * Every problem is written to @errs as "file:line: message", one per line.
 * Returns the config, or NULL with errno set (EINVAL: invalid, with messages
 * on @errs; other: the file could not be read). Never returns a half-valid config.
 */
struct cfg *cfg_load(const char *path, FILE *errs);

/*
 * cfg_read_file() - the whole of @path in a malloc'ed buffer (a NUL after the
 * last byte), its length in *@len. NULL with errno (EIO for a read error),
 * said on @errs (when not NULL) as "PATH: reason".
 */
char *cfg_read_file(const char *path, size_t *len, FILE *errs);

/* cfg_load_string() - the same for text in memory; @name is used in messages. */
struct cfg *cfg_load_string(const char *name, const char *text, size_t len, FILE *errs);

void cfg_free(struct cfg *cfg);

/*
 * cfg_check_serves() - a config must serve something: at least one L7
 * listener or one L4 VIP. An empty file (an editor's or config management's
 * truncated write) parses as every default and nothing else; started or
 * reloaded, it would close every listener. Returns 0, or -EINVAL with
 * "file:line: message" on @errs.
 */
int cfg_check_serves(const struct cfg *cfg, FILE *errs);

/* Token sizes admin.token_file accepts (bytes, after trailing whitespace is dropped). */
#define CFG_ADMIN_TOKEN_MIN 16
#define CFG_ADMIN_TOKEN_MAX 512

#endif
