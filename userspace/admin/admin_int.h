/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Inside the admin API: the growable text buffer responses are built in, and the handler table. */
#ifndef SLUICE_ADMIN_INT_H
#define SLUICE_ADMIN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "admin/admin.h"

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* sbuf_printf() - append; on allocation failure the buffer is marked and stays as it was. */
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sbuf_json_str() - append @s as a JSON string literal (quotes included). */
void sbuf_json_str(struct sbuf *b, const char *s);

/* sbuf_html() - append @s with &<>" escaped. */
void sbuf_html(struct sbuf *b, const char *s);

/* A request as the router sees it. */
struct admin_req {
	const char *method;
	char *path;                       /* decoded, without the query */
	char *query;                      /* raw, NULL if none */
	const char *body;
	size_t body_len;
};

/* A response: status, content type and body. */
struct admin_resp {
	int status;
	const char *type;
	const char *headers;              /* more header lines, each ending in \r\n; NULL for none */
	struct sbuf body;
};

/*
 * admin_host_ok() - may a request whose Host header is @host (@len bytes,
 * port and all) reach this admin API over TCP, @local being the address the
 * connection came in on? True for localhost, a loopback address and @local
 * itself; a DNS name that only resolves here (DNS rebinding) is refused. The
 * port is not compared: an SSH tunnel's local port differs.
 */
bool admin_host_ok(const char *host, size_t len, const struct sockaddr_storage *local);

/*
 * admin_bearer_ok() - does the Authorization header value @v (@len bytes)
 * carry "Bearer @token"? The token is compared in constant time.
 */
bool admin_bearer_ok(const char *v, size_t len, const char *token);

/* admin_route() - answer @req into @resp (admin_api.c). */
void admin_route(struct admin_ctx *ctx, const struct admin_req *req, struct admin_resp *resp);

/* Views (admin_views.c). */
void admin_view_metrics(struct admin_ctx *ctx, struct sbuf *b);
void admin_view_html(struct admin_ctx *ctx, struct sbuf *b);

/* The cache's endpoints and counters (cache_admin.c). */
void cache_admin_purge(struct admin_ctx *ctx, const struct admin_req *req, struct admin_resp *resp);
void cache_admin_status(struct admin_ctx *ctx, struct sbuf *b);   /* ,"cache_stats":[...] */
void cache_admin_metrics(struct admin_ctx *ctx, struct sbuf *b);
void cache_admin_html(struct admin_ctx *ctx, struct sbuf *b);      /* a table for GET /, nothing without caches */

/* admin_query_get() - value of @key in a query string, decoded into @out. true if present. */
bool admin_query_get(const char *query, const char *key, char *out, size_t outlen);

#endif
