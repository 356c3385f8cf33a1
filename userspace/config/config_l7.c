// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The l7 section of the config: listeners and their routes, upstreams, caches; names resolved across them. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_yaml.h"

/* ---- listeners ---- */

static bool cy_log_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	static const char *const formats[] = { "combined", "json", NULL };
	struct cfg_access_log *al = obj;
	int e;

	if (!strcmp(key, "path")) {
		cy_str(cy, v, key, &al->path);
	} else if (!strcmp(key, "format")) {
		if (!cy_enum(cy, v, key, formats, &e))
			al->format = (enum cfg_log_format)e;
	} else if (!strcmp(key, "body_bytes")) {
		cy_size_u32(cy, v, key, 0, 1U << 20, "at most 1MiB", &al->body_bytes);
	} else if (!strcmp(key, "redact")) {
		cy_strlist(cy, v, key, &al->redact, &al->n_redact);
	} else {
		return false;
	}
	return true;
}

static bool cy_match_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg_match *m = obj;

	if (!strcmp(key, "host")) {
		cy_str(cy, v, key, &m->host);
	} else if (!strcmp(key, "path_prefix")) {
		if (!cy_str(cy, v, key, &m->path_prefix) && m->path_prefix[0] != '/')
			cy_err(cy, v, "'path_prefix' must start with '/', got '%s'", m->path_prefix);
	} else if (!strcmp(key, "header")) {
		char *h = NULL, *colon, *val, *end;

		if (cy_str(cy, v, key, &h))
			return true;
		/* "Name: value" -> name + value; a bare "Name" matches any value. */
		colon = strchr(h, ':');
		if (colon)
			*colon = '\0';
		for (end = h + strlen(h); end > h && isspace((unsigned char)end[-1]); end--)
			;
		*end = '\0';
		if (!*h || strpbrk(h, " \t")) {
			cy_err(cy, v, "match header must be 'Name: value', got '%s'", cy_scalar(v));
			free(h);
			return true;
		}
		m->header_name = strdup(h);
		if (colon) {
			for (val = colon + 1; isspace((unsigned char)*val); val++)
				;
			for (end = val + strlen(val); end > val && isspace((unsigned char)end[-1]); end--)
				;
			*end = '\0';
			m->header_value = strdup(val);
		}
		free(h);
	} else {
		return false;
	}
	return true;
}

static bool cy_split_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg_split *sp = obj;

	if (!strcmp(key, "upstream"))
		cy_str(cy, v, key, &sp->upstream);
	else if (!strcmp(key, "weight"))
		cy_u32(cy, v, key, 0, 1000, &sp->weight);
	else
		return false;
	return true;
}

struct route_walk {
	struct cfg_route *r;
	yaml_node_t *upstream, *split;
};

static bool cy_route_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct route_walk *w = obj;
	struct cfg_route *r = w->r;

	if (!strcmp(key, "match")) {
		cy_map(cy, v, "match", cy_match_key, &r->match);
	} else if (!strcmp(key, "upstream")) {
		w->upstream = v;
	} else if (!strcmp(key, "split")) {
		w->split = v;
	} else if (!strcmp(key, "log_body_sample")) {
		cy_u32(cy, v, key, 0, 1000000, &r->log_body_sample);
	} else {
		return false;
	}
	return true;
}

static void cy_route(struct cy *cy, yaml_node_t *n, struct cfg_route *r)
{
	struct route_walk w = { .r = r };
	yaml_node_item_t *items;
	uint64_t sum = 0;
	size_t ns;

	r->line = cy_line(n);
	if (cy_map(cy, n, "route", cy_route_key, &w))
		return;
	if (w.upstream && w.split) {
		cy_err(cy, n, "route has both 'upstream' and 'split'");
		return;
	}
	if (!w.upstream && !w.split) {
		cy_err(cy, n, "route needs 'upstream' or 'split'");
		return;
	}
	if (w.upstream) {
		r->splits = calloc(1, sizeof(*r->splits));
		if (!r->splits) {
			cy_err(cy, n, "out of memory");
			return;
		}
		r->n_splits = 1;
		r->splits[0].weight = 1;
		cy_str(cy, w.upstream, "upstream", &r->splits[0].upstream);
		return;
	}
	if (!(items = cy_seq(cy, w.split, "split", &ns)))
		return;
	r->splits = calloc(ns ? ns : 1, sizeof(*r->splits));
	if (!r->splits) {
		cy_err(cy, n, "out of memory");
		return;
	}
	r->n_splits = ns;
	for (size_t i = 0; i < ns; i++) {
		yaml_node_t *it = cy_node(cy, items[i]);

		r->splits[i].weight = 1;
		cy_require(cy, it, "split", "upstream", NULL);
		cy_map(cy, it, "split", cy_split_key, &r->splits[i]);
		sum += r->splits[i].weight;
	}
	if (!sum)
		cy_err(cy, w.split, "split weights sum to 0");
}

struct listener_walk {
	struct cfg_listener *l;
	yaml_node_t *routes;
	yaml_node_t *cache;
	yaml_node_t *http2, *alpn;    /* where they are written, for cy_listener_http2_resolve() */
};

static bool cy_listener_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	static const char *const modes[] = { "reverse", "forward", NULL };
	struct listener_walk *w = obj;
	struct cfg_listener *l = w->l;
	uint64_t sz;
	int e;

	if (!strcmp(key, "name")) {
		cy_str(cy, v, key, &l->name);
	} else if (!strcmp(key, "listen")) {
		cy_sockaddr(cy, v, key, &l->listen);
	} else if (!strcmp(key, "mode")) {
		if (!cy_enum(cy, v, key, modes, &e))
			l->mode = (enum cfg_mode)e;
	} else if (!strcmp(key, "cache")) {
		w->cache = v;
		cy_str(cy, v, key, &l->cache);
	} else if (!strcmp(key, "access_log")) {
		if (cy_scalar(v) && !cy_is_null(v))     /* access_log: /path */
			cy_str(cy, v, key, &l->access_log.path);
		else
			cy_map(cy, v, "access_log", cy_log_key, &l->access_log);
	} else if (!strcmp(key, "routes")) {
		w->routes = v;
	} else if (!strcmp(key, "max_header_bytes")) {
		cy_size_u32(cy, v, key, 1024, 1U << 20, "1KiB..1MiB", &l->max_header_bytes);
	} else if (!strcmp(key, "max_body_bytes")) {
		cy_size(cy, v, key, &l->max_body_bytes);
	} else if (!strcmp(key, "request_timeout") || !strcmp(key, "request_timeout_ms")) {
		cy_ms(cy, v, key, &l->request_timeout_ms);
	} else if (!strcmp(key, "client_idle") || !strcmp(key, "client_idle_ms")) {
		cy_ms(cy, v, key, &l->client_idle_ms);
	} else if (!strcmp(key, "request_buffering")) {
		/* a size, or off (0); bounded: every buffered request may hold this much memory */
		if (cy_scalar(v) && (!strcmp(cy_scalar(v), "off") || !strcmp(cy_scalar(v), "false")))
			l->request_buffering = 0;
		else if (!cy_size(cy, v, key, &sz)) {
			if (sz && (sz < 1024 || sz > 16U << 20))
				cy_err(cy, v, "'%s' must be off, 0 or 1KiB..16MiB", key);
			else
				l->request_buffering = (uint32_t)sz;
		}
	} else if (!strcmp(key, "max_connections")) {
		cy_u32(cy, v, key, 1, 1000000, &l->max_connections);
	} else if (!strcmp(key, "tls")) {
		cy_listener_tls(cy, v, &l->tls, &w->alpn);
	} else if (!strcmp(key, "http2")) {
		w->http2 = v;
		cy_listener_http2(cy, v, &l->http2);
	} else {
		return false;
	}
	return true;
}

static const char *const default_redact[] = { "Authorization", "Cookie" };

static void cy_listener(struct cy *cy, yaml_node_t *n, struct cfg_listener *l)
{
	struct listener_walk w = { .l = l };
	yaml_node_item_t *items;
	size_t nr;

	l->line = cy_line(n);
	l->max_header_bytes = 16384;
	l->max_body_bytes = 1ULL << 30;
	l->request_timeout_ms = 10000;
	l->client_idle_ms = 60000;
	l->max_connections = 10000;
	l->request_buffering = 64 * 1024;
	cy_http2_defaults(&l->http2);
	cy_require(cy, n, "listener", "listen", NULL);
	if (cy_map(cy, n, "listener", cy_listener_key, &w))
		return;
	cy_listener_http2_resolve(cy, l, w.http2, w.alpn);
	if (!l->access_log.redact) {
		l->access_log.redact = calloc(2, sizeof(char *));
		if (l->access_log.redact) {
			l->access_log.n_redact = 2;
			for (size_t i = 0; i < 2; i++)
				l->access_log.redact[i] = strdup(default_redact[i]);
		}
	}
	if (!l->name && l->listen.len)   /* unnamed: the address names it in logs */
		l->name = strdup(l->listen.text);
	if (!w.routes || cy_is_null(w.routes)) {
		if (l->mode == CFG_MODE_REVERSE)
			cy_err(cy, n, "listener '%s' is in reverse mode but has no routes", l->name ? l->name : "?");
		return;
	}
	if ((items = cy_seq(cy, w.routes, "routes", &nr))) {
		if (l->mode == CFG_MODE_FORWARD && nr) {
			cy_err(cy, w.routes, "listener '%s' is in forward mode and cannot have routes",
			       l->name ? l->name : "?");
			return;
		}
		l->routes = calloc(nr ? nr : 1, sizeof(*l->routes));
		if (!l->routes) {
			cy_err(cy, n, "out of memory");
			return;
		}
		l->n_routes = nr;
		for (size_t i = 0; i < nr; i++)
			cy_route(cy, cy_node(cy, items[i]), &l->routes[i]);
		if (!nr && l->mode == CFG_MODE_REVERSE)
			cy_err(cy, w.routes, "listener '%s' is in reverse mode but has no routes", l->name ? l->name : "?");
	}
}

/* ---- upstreams ---- */

static bool cy_server_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg_server *sv = obj;

	if (!strcmp(key, "address"))
		cy_sockaddr(cy, v, key, &sv->addr);
	else if (!strcmp(key, "weight"))
		cy_u32(cy, v, key, 1, 1000, &sv->weight);
	else
		return false;
	return true;
}

static void cy_servers(struct cy *cy, yaml_node_t *v, struct cfg_upstream *up)
{
	yaml_node_item_t *items;
	size_t n;

	if (!(items = cy_seq(cy, v, "servers", &n)))
		return;
	up->servers = calloc(n ? n : 1, sizeof(*up->servers));
	if (!up->servers) {
		cy_err(cy, v, "out of memory");
		return;
	}
	up->n_servers = n;
	if (!n)
		cy_err(cy, v, "upstream '%s' has no servers", up->name ? up->name : "?");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = cy_node(cy, items[i]);
		struct cfg_server *sv = &up->servers[i];

		sv->weight = 1;
		sv->line = cy_line(it);
		if (cy_scalar(it) && !cy_is_null(it)) {    /* "- 127.0.0.1:9001": address only */
			cy_sockaddr(cy, it, "address", &sv->addr);
		} else {
			cy_require(cy, it, "server", "address", NULL);
			cy_map(cy, it, "server", cy_server_key, sv);
		}
		for (size_t j = 0; j < i && sv->addr.len; j++)
			if (up->servers[j].addr.len == sv->addr.len &&
			    !memcmp(&up->servers[j].addr.ss, &sv->addr.ss, sv->addr.len))
				cy_err(cy, it, "upstream '%s': duplicate server %s (first at line %d)",
				       up->name ? up->name : "?", sv->addr.text, up->servers[j].line);
	}
}

static int cy_hash_key(struct cy *cy, yaml_node_t *v, struct cfg_upstream *up)
{
	const char *s = cy_scalar(v);
	const char *name = NULL;

	if (s && !strcmp(s, "client_ip")) {
		up->hash_key = CFG_HASH_CLIENT_IP;
		return 0;
	}
	if (s && !strncmp(s, "header:", 7)) {
		up->hash_key = CFG_HASH_HEADER;
		name = s + 7;
	} else if (s && !strncmp(s, "cookie:", 7)) {
		up->hash_key = CFG_HASH_COOKIE;
		name = s + 7;
	}
	if (!name || !*name || strpbrk(name, " \t:;=")) {
		cy_err(cy, v, "'hash_key' must be client_ip, header:NAME or cookie:NAME, got '%s'",
		       s ? s : "(not a scalar)");
		return -1;
	}
	free(up->hash_name);
	up->hash_name = strdup(name);
	return 0;
}

/* fail_on: a list of connect | timeout | 5xx (a bare word is a list of one; [] counts nothing). */
static void cy_fail_on(struct cy *cy, yaml_node_t *v, uint32_t *out)
{
	static const struct { const char *name; uint32_t bit; } kinds[] = {
		{ "connect", CFG_FAIL_CONNECT }, { "timeout", CFG_FAIL_TIMEOUT }, { "5xx", CFG_FAIL_5XX },
	};
	char **list = NULL;
	size_t n = 0;
	uint32_t bits = 0;
	bool bad = false;

	if (cy_strlist(cy, v, "fail_on", &list, &n))
		goto out;
	for (size_t i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(list[i], kinds[k].name); k++)
			;
		if (k == sizeof(kinds) / sizeof(kinds[0])) {
			cy_err(cy, v, "'fail_on' items must be connect, timeout or 5xx, got '%s'", list[i]);
			bad = true;
			continue;
		}
		bits |= kinds[k].bit;
	}
	if (!bad)
		*out = bits;
out:
	cfg_strv_free(list, n);
}

/* keepalive: auto (the default bound) or a number 0..10000. */
static void cy_keepalive(struct cy *cy, yaml_node_t *v, uint32_t *out)
{
	const char *s = cy_scalar(v);

	if (s && !strcmp(s, "auto"))
		*out = CFG_KEEPALIVE_AUTO;
	else if (s && (*s < '0' || *s > '9'))
		cy_err(cy, v, "'keepalive' must be auto or a number, got '%s'", s);
	else
		cy_u32(cy, v, "keepalive", 0, 10000, out);
}

static bool cy_upstream_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	static const char *const balances[] = { "round_robin", "weighted", "least_conn", "hash", "p2c", NULL };
	struct cfg_upstream *up = obj;
	int e;

	if (!strcmp(key, "name")) {
		cy_str(cy, v, key, &up->name);
	} else if (!strcmp(key, "balance")) {
		if (!cy_enum(cy, v, key, balances, &e))
			up->balance = (enum cfg_balance)e;
	} else if (!strcmp(key, "hash_key")) {
		cy_hash_key(cy, v, up);
	} else if (!strcmp(key, "host")) {
		cy_str(cy, v, key, &up->host);
	} else if (!strcmp(key, "servers")) {
		cy_servers(cy, v, up);
	} else if (!strcmp(key, "health")) {
		cy_health(cy, v, &up->health);
	} else if (!strcmp(key, "connect_timeout") || !strcmp(key, "connect_timeout_ms")) {
		if (!cy_ms(cy, v, key, &up->connect_timeout_ms) && !up->connect_timeout_ms)
			cy_err(cy, v, "'%s' must be positive", key);
	} else if (!strcmp(key, "response_timeout") || !strcmp(key, "response_timeout_ms")) {
		if (!cy_ms(cy, v, key, &up->response_timeout_ms) && !up->response_timeout_ms)
			cy_err(cy, v, "'%s' must be positive", key);
	} else if (!strcmp(key, "retries")) {
		cy_u32(cy, v, key, 0, 10, &up->retries);
	} else if (!strcmp(key, "max_fails")) {
		cy_u32(cy, v, key, 0, 1000, &up->max_fails);
	} else if (!strcmp(key, "fail_on")) {
		cy_fail_on(cy, v, &up->fail_on);
	} else if (!strcmp(key, "fail_timeout") || !strcmp(key, "fail_timeout_ms")) {
		cy_ms(cy, v, key, &up->fail_timeout_ms);
	} else if (!strcmp(key, "slow_start") || !strcmp(key, "slow_start_ms")) {
		cy_ms(cy, v, key, &up->slow_start_ms);
	} else if (!strcmp(key, "keepalive")) {
		cy_keepalive(cy, v, &up->keepalive);
	} else if (!strcmp(key, "via")) {
		cy_bool(cy, v, key, &up->via);
	} else if (!strcmp(key, "tls")) {
		cy_upstream_tls(cy, v, &up->tls);
	} else {
		return false;
	}
	return true;
}

static void cy_upstream(struct cy *cy, yaml_node_t *n, struct cfg_upstream *up)
{
	up->line = cy_line(n);
	up->hash_key = CFG_HASH_CLIENT_IP;
	up->connect_timeout_ms = 2000;
	up->response_timeout_ms = 30000;
	up->retries = 1;
	up->max_fails = 3;
	up->fail_on = CFG_FAIL_CONNECT | CFG_FAIL_TIMEOUT;   /* as nginx: a 5xx is an answer, not a failure */
	up->fail_timeout_ms = 10000;
	up->keepalive = CFG_KEEPALIVE_AUTO;
	up->tls.verify = true;        /* for when tls is turned on */
	cy_health_defaults(&up->health);
	cy_require(cy, n, "upstream", "name", "servers", NULL);
	cy_map(cy, n, "upstream", cy_upstream_key, up);
}

/* ---- caches ---- */

static bool cy_cache_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg_cache *c = obj;

	if (!strcmp(key, "name"))
		cy_str(cy, v, key, &c->name);
	else if (!strcmp(key, "memory") || !strcmp(key, "memory_bytes"))
		cy_size(cy, v, key, &c->memory_bytes);
	else if (!strcmp(key, "max_object") || !strcmp(key, "max_object_bytes"))
		cy_size(cy, v, key, &c->max_object_bytes);
	else
		return false;
	return true;
}

static void cy_cache(struct cy *cy, yaml_node_t *n, struct cfg_cache *c)
{
	int before = cy->errors;

	c->line = cy_line(n);
	c->memory_bytes = 64ULL << 20;
	cy_require(cy, n, "cache", "name", NULL);
	if (cy_map(cy, n, "cache", cy_cache_key, c) || cy->errors != before)
		return;
	if (c->memory_bytes < 1ULL << 20)
		cy_err(cy, n, "cache '%s': memory must be at least 1MiB", c->name ? c->name : "?");
	else if (!c->max_object_bytes)
		c->max_object_bytes = c->memory_bytes / 16;
	else if (c->max_object_bytes > c->memory_bytes)
		cy_err(cy, n, "cache '%s': max_object (%llu bytes) exceeds memory (%llu bytes)", c->name ? c->name : "?",
		       (unsigned long long)c->max_object_bytes, (unsigned long long)c->memory_bytes);
}

/* ---- the section ---- */

struct l7_walk {
	struct cfg_l7 *l7;
	yaml_node_t *listeners, *upstreams, *caches, *forward, *batch;
};

static bool cy_l7_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct l7_walk *w = obj;

	(void)cy;
	if (!strcmp(key, "listeners"))
		w->listeners = v;
	else if (!strcmp(key, "upstreams"))
		w->upstreams = v;
	else if (!strcmp(key, "caches"))
		w->caches = v;
	else if (!strcmp(key, "forward"))
		w->forward = v;
	else if (!strcmp(key, "batch"))
		w->batch = v;
	else
		return false;
	return true;
}

static bool cy_batch_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg_batch *b = obj;

	if (!strcmp(key, "wait_us"))
		cy_u32(cy, v, key, 0, 1000, &b->wait_us);
	else if (!strcmp(key, "clients"))
		cy_u32(cy, v, key, 1, 1000000, &b->clients);
	else if (!strcmp(key, "rate"))
		cy_u32(cy, v, key, 0, 100000000, &b->rate);
	else
		return false;
	return true;
}

/* Allocates @*arr for the list @v: items, or NULL (reported) when @v is not a list. */
static yaml_node_item_t *cy_list(struct cy *cy, yaml_node_t *v, const char *key, void **arr, size_t size,
				 size_t *n)
{
	yaml_node_item_t *items;

	*n = 0;
	if (!v || cy_is_null(v) || !(items = cy_seq(cy, v, key, n)))
		return NULL;
	*arr = calloc(*n ? *n : 1, size);
	if (!*arr) {
		cy_err(cy, v, "out of memory");
		*n = 0;
		return NULL;
	}
	return items;
}

static ssize_t cy_find_upstream(const struct cfg_l7 *l7, const char *name)
{
	for (size_t i = 0; i < l7->n_upstreams; i++)
		if (l7->upstreams[i].name && !strcmp(l7->upstreams[i].name, name))
			return (ssize_t)i;
	return -1;
}

/* Unique names, and every route and listener naming things that exist. */
static void cy_l7_resolve(struct cy *cy, struct cfg_l7 *l7)
{
	for (size_t i = 0; i < l7->n_upstreams; i++)
		for (size_t j = 0; j < i; j++)
			if (l7->upstreams[i].name && l7->upstreams[j].name &&
			    !strcmp(l7->upstreams[i].name, l7->upstreams[j].name))
				cy_err_line(cy, l7->upstreams[i].line, "duplicate upstream name '%s' (first at line %d)",
					    l7->upstreams[i].name, l7->upstreams[j].line);
	for (size_t i = 0; i < l7->n_caches; i++)
		for (size_t j = 0; j < i; j++)
			if (l7->caches[i].name && l7->caches[j].name && !strcmp(l7->caches[i].name, l7->caches[j].name))
				cy_err_line(cy, l7->caches[i].line, "duplicate cache name '%s' (first at line %d)",
					    l7->caches[i].name, l7->caches[j].line);
	for (size_t i = 0; i < l7->n_listeners; i++) {
		struct cfg_listener *l = &l7->listeners[i];

		for (size_t j = 0; j < i; j++) {
			struct cfg_listener *o = &l7->listeners[j];

			if (l->name && o->name && !strcmp(l->name, o->name))
				cy_err_line(cy, l->line, "duplicate listener name '%s' (first at line %d)", l->name, o->line);
			else if (l->listen.len && l->listen.len == o->listen.len &&
				 !memcmp(&l->listen.ss, &o->listen.ss, l->listen.len))
				cy_err_line(cy, l->line, "duplicate listen address %s (first at line %d)",
					    l->listen.text, o->line);
		}
		if (l->cache) {
			size_t k;

			for (k = 0; k < l7->n_caches; k++)
				if (l7->caches[k].name && !strcmp(l7->caches[k].name, l->cache))
					break;
			if (k == l7->n_caches)
				cy_err_line(cy, l->line, "listener '%s': unknown cache '%s'", l->name ? l->name : "?",
					    l->cache);
			l->cache_idx = k;
		}
		for (size_t r = 0; r < l->n_routes; r++) {
			for (size_t s = 0; s < l->routes[r].n_splits; s++) {
				struct cfg_split *sp = &l->routes[r].splits[s];
				ssize_t k;

				if (!sp->upstream)
					continue;
				k = cy_find_upstream(l7, sp->upstream);
				if (k < 0)
					cy_err_line(cy, l->routes[r].line, "route names unknown upstream '%s'", sp->upstream);
				sp->upstream_idx = k < 0 ? 0 : (size_t)k;
			}
		}
	}
}

int cy_l7_defaults(struct cfg_l7 *l7)
{
	l7->batch.wait_us = 30;
	l7->batch.clients = 8;
	l7->batch.rate = 64000;
	return cy_forward_defaults(&l7->forward);
}

void cy_l7(struct cy *cy, yaml_node_t *v, struct cfg_l7 *l7)
{
	struct l7_walk w = { .l7 = l7 };
	yaml_node_item_t *items;

	if (cy_map(cy, v, "l7", cy_l7_key, &w))
		return;
	/* Parsed in the usual file order so messages come out in line order; names resolve after. */
	if ((items = cy_list(cy, w.listeners, "listeners", (void **)&l7->listeners, sizeof(*l7->listeners),
			     &l7->n_listeners)))
		for (size_t i = 0; i < l7->n_listeners; i++)
			cy_listener(cy, cy_node(cy, items[i]), &l7->listeners[i]);
	if (l7->n_listeners > CFG_MAX_LISTENERS)
		cy_err(cy, w.listeners, "at most %d listeners, got %zu", CFG_MAX_LISTENERS, l7->n_listeners);
	if ((items = cy_list(cy, w.upstreams, "upstreams", (void **)&l7->upstreams, sizeof(*l7->upstreams),
			     &l7->n_upstreams)))
		for (size_t i = 0; i < l7->n_upstreams; i++)
			cy_upstream(cy, cy_node(cy, items[i]), &l7->upstreams[i]);
	if ((items = cy_list(cy, w.caches, "caches", (void **)&l7->caches, sizeof(*l7->caches), &l7->n_caches)))
		for (size_t i = 0; i < l7->n_caches; i++)
			cy_cache(cy, cy_node(cy, items[i]), &l7->caches[i]);
	if (w.forward)
		cy_forward(cy, w.forward, &l7->forward);
	if (w.batch)
		cy_map(cy, w.batch, "batch", cy_batch_key, &l7->batch);
	cy_l7_resolve(cy, l7);
}
