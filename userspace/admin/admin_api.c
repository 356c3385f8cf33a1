// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The admin API's routes and JSON documents (shapes documented in docs/admin-api.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin_int.h"
#include "l4/l4.h"
#include "l7/l7.h"

#define SLUICE_VERSION "0.1.0"

static void api_error(struct admin_resp *r, int status, const char *msg)
{
	r->status = status;
	r->body.len = 0;
	sbuf_printf(&r->body, "{\"error\":");
	sbuf_json_str(&r->body, msg);
	sbuf_printf(&r->body, "}\n");
}

static const char *api_health_type(enum cfg_health_type t)
{
	return t == CFG_HEALTH_TCP ? "tcp" : t == CFG_HEALTH_HTTP ? "http" : "none";
}

static size_t api_vip_up(const struct l4_vip *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->n_backends; i++)
		if (!strcmp(l4_backend_state(v->backends[i]), "up"))
			n++;
	return n;
}

static void api_backend_json(struct l4 *l4, struct sbuf *b, const struct l4_backend *be)
{
	struct sl_backend_stats st = { 0 };

	l4_maps_be_stats(l4_maps(l4), be->id, &st);
	sbuf_printf(b, "{\"id\":%u,\"name\":", be->id);
	sbuf_json_str(b, be->name);
	sbuf_printf(b, ",\"vip\":");
	sbuf_json_str(b, be->vip->name);
	sbuf_printf(b, ",\"address\":\"%s\",\"state\":\"%s\",\"health\":\"%s\",\"health_check\":\"%s\","
		    "\"weight\":%u,\"config_weight\":%u,\"drain\":%s,\"ring_slots\":%u,"
		    "\"stats\":{\"packets\":%llu,\"bytes\":%llu,\"new_flows\":%llu}}",
		    be->addr_text, l4_backend_state(be), atomic_load(&be->up) ? "up" : "down",
		    api_health_type(be->vip->health.type), be->weight, be->cfg_weight,
		    be->drain ? "true" : "false", be->slots, (unsigned long long)st.packets,
		    (unsigned long long)st.bytes, (unsigned long long)st.new_flows);
}

static void api_vip_json(struct l4 *l4, struct sbuf *b, const struct l4_vip *v)
{
	struct sl_vip_stats s = { 0 };

	l4_maps_vip_stats(l4_maps(l4), v->id, &s);
	sbuf_printf(b, "{\"name\":");
	sbuf_json_str(b, v->name);
	sbuf_printf(b, ",\"id\":%u,\"address\":\"%s\",\"port\":%u,\"protocol\":\"%s\",\"forwarding\":\"%s\","
		    "\"hash\":\"%s\",\"on_no_backend\":\"%s\",\"ring_size\":%u,\"ring_updates\":%llu,"
		    "\"backends\":%zu,\"backends_up\":%zu,\"health_check\":\"%s\","
		    "\"stats\":{\"packets\":%llu,\"bytes\":%llu,\"new_flows\":%llu,\"ct_hit_syn\":%llu,"
		    "\"ct_miss_syn\":%llu,\"ct_hit\":%llu,\"ct_miss\":%llu,\"no_backend\":%llu,"
		    "\"icmp_echo\":%llu,\"icmp_ptb\":%llu,\"untracked\":%llu}}",
		    v->id, v->addr_text, v->port, v->proto == IPPROTO_UDP ? "udp" : "tcp",
		    (v->flags & SL_VIP_F_DSR) ? "dsr" : "ipip", (v->flags & SL_VIP_F_HASH_SRC) ? "source" : "5tuple",
		    (v->flags & SL_VIP_F_EMPTY_PASS) ? "pass" : "drop", v->ring_size,
		    (unsigned long long)v->ring_updates, v->n_backends, api_vip_up(v), api_health_type(v->health.type),
		    (unsigned long long)s.packets, (unsigned long long)s.bytes, (unsigned long long)s.new_flows,
		    (unsigned long long)s.ct_hit_syn, (unsigned long long)s.ct_miss_syn, (unsigned long long)s.ct_hit,
		    (unsigned long long)s.ct_miss, (unsigned long long)s.no_backend, (unsigned long long)s.icmp_echo,
		    (unsigned long long)s.icmp_ptb, (unsigned long long)s.untracked);
}

static void api_status(struct admin_ctx *ctx, struct sbuf *b)
{
	const struct cfg *cfg = ctx->cfg;
	size_t nbe = 0, nup = 0;

	sbuf_printf(b, "{\"version\":\"%s\",\"pid\":%d,\"uptime_s\":%lld,\"config\":", SLUICE_VERSION, (int)getpid(),
		    (long long)(time(NULL) - ctx->started));
	sbuf_json_str(b, cfg->path ? cfg->path : "");
	sbuf_printf(b, ",\"reloads\":%llu,\"reload_failures\":%llu,\"admin\":", (unsigned long long)ctx->reloads,
		    (unsigned long long)ctx->reload_failures);
	sbuf_json_str(b, ctx->listen ? ctx->listen : cfg->admin.text);
	if (ctx->l4) {
		struct l4 *l4 = ctx->l4;
		uint64_t drops[SL_DROP_MAX] = { 0 };
		uint64_t dsum = 0;

		for (size_t i = 0; i < l4_n_vips(l4); i++) {
			nbe += l4_vip_at(l4, i)->n_backends;
			nup += api_vip_up(l4_vip_at(l4, i));
		}
		l4_maps_drops(l4_maps(l4), drops);
		for (int r = 1; r < SL_DROP_MAX; r++)
			dsum += drops[r];
		sbuf_printf(b, ",\"l4\":{\"enabled\":true,\"xdp_mode\":\"%s\",\"interfaces\":[", l4_xdp_mode(l4));
		for (int i = 0; i < l4_n_ifaces(l4); i++) {
			int ifindex;
			const char *name = l4_iface(l4, i, &ifindex);

			sbuf_printf(b, "%s{\"name\":", i ? "," : "");
			sbuf_json_str(b, name);
			sbuf_printf(b, ",\"ifindex\":%d}", ifindex);
		}
		sbuf_printf(b, "],\"vips\":%zu,\"backends\":%zu,\"backends_up\":%zu,\"conntrack_max\":%u,"
			    "\"conntrack_insert_rate\":%u,\"hash_seed\":%u,\"drops\":%llu}",
			    l4_n_vips(l4), nbe, nup, l4_maps(l4)->ct_max, cfg->l4.conntrack_insert_rate, cfg->l4.hash_seed,
			    (unsigned long long)dsum);
	} else {
		sbuf_printf(b, ",\"l4\":{\"enabled\":false}");
	}
	sbuf_printf(b, ",\"l7\":{\"listeners\":[");
	for (size_t i = 0; i < cfg->l7.n_listeners; i++) {
		const struct cfg_listener *l = &cfg->l7.listeners[i];

		sbuf_printf(b, "%s{\"name\":", i ? "," : "");
		sbuf_json_str(b, l->name);
		sbuf_printf(b, ",\"listen\":");
		sbuf_json_str(b, l->listen.text);
		sbuf_printf(b, ",\"mode\":\"%s\"}", l->mode == CFG_MODE_FORWARD ? "forward" : "reverse");
	}
	sbuf_printf(b, "],\"upstreams\":%zu,\"caches\":%zu", cfg->l7.n_upstreams, cfg->l7.n_caches);
	cache_admin_status(ctx, b);
	sbuf_printf(b, "}}\n");
}

/* {"weight": N}: the one body the API takes; a tiny scan is enough. */
static int api_body_weight(const char *body, long *w)
{
	const char *p = strstr(body, "\"weight\"");
	char *end;

	if (!p)
		return -EINVAL;
	p += 8;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p++ != ':')
		return -EINVAL;
	*w = strtol(p, &end, 10);
	if (end == p)
		return -EINVAL;
	return 0;
}

static bool api_parse_ep(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			return false;
		memcpy(host, s + 1, rb - s - 1);
		host[rb - s - 1] = 0;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return false;
		memcpy(host, s, colon - s);
		host[colon - s] = 0;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return false;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons(port);
		return true;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
		return true;
	}
	return false;
}

static void api_trace(struct admin_ctx *ctx, const struct admin_req *req, struct admin_resp *resp)
{
	char proto[8] = "tcp", src[64] = "", dst[64] = "";
	struct sockaddr_storage s, d;
	struct l4_trace t;
	uint8_t p;
	int err;

	admin_query_get(req->query, "proto", proto, sizeof(proto));
	if (!admin_query_get(req->query, "src", src, sizeof(src)) || !admin_query_get(req->query, "dst", dst, sizeof(dst)) ||
	    !api_parse_ep(src, &s) || !api_parse_ep(dst, &d))
		return api_error(resp, 400, "want ?proto=tcp|udp&src=ADDR:PORT&dst=VIP:PORT");
	if (!strcmp(proto, "tcp"))
		p = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		p = IPPROTO_UDP;
	else
		return api_error(resp, 400, "proto must be tcp or udp");
	err = l4_trace(ctx->l4, p, (struct sockaddr *)&s, (struct sockaddr *)&d, &t);
	if (err == -ENOENT && !t.vip)
		return api_error(resp, 404, "destination is not an L4 VIP");
	if (err == -ENOENT)
		return api_error(resp, 404, "VIP has no ring installed yet");
	if (err)
		return api_error(resp, 500, strerror(-err));
	sbuf_printf(&resp->body, "{\"proto\":\"%s\",\"src\":", proto);
	sbuf_json_str(&resp->body, src);
	sbuf_printf(&resp->body, ",\"dst\":");
	sbuf_json_str(&resp->body, dst);
	sbuf_printf(&resp->body, ",\"vip\":");
	sbuf_json_str(&resp->body, t.vip->name);
	sbuf_printf(&resp->body, ",\"source\":\"%s\",\"hash\":%u", t.tracked ? "conntrack" : "maglev", t.hash);
	if (!t.tracked)
		sbuf_printf(&resp->body, ",\"slot\":%u,\"ring_size\":%u", t.slot, t.ring_size);
	sbuf_printf(&resp->body, ",\"backend_id\":%u,\"backend\":", t.backend_id);
	if (t.backend)
		api_backend_json(ctx->l4, &resp->body, t.backend);
	else
		sbuf_printf(&resp->body, "null");
	sbuf_printf(&resp->body, "}\n");
}

static void api_backends(struct admin_ctx *ctx, const struct admin_req *req, struct admin_resp *resp)
{
	char vip[128];
	bool filter = admin_query_get(req->query, "vip", vip, sizeof(vip));
	bool first = true;

	if (filter && !l4_vip_find(ctx->l4, vip))
		return api_error(resp, 404, "no such VIP");
	sbuf_printf(&resp->body, "{\"backends\":[");
	for (size_t i = 0; i < l4_n_vips(ctx->l4); i++) {
		struct l4_vip *v = l4_vip_at(ctx->l4, i);

		if (filter && strcmp(v->name, vip))
			continue;
		for (size_t j = 0; j < v->n_backends; j++) {
			sbuf_printf(&resp->body, "%s", first ? "" : ",");
			api_backend_json(ctx->l4, &resp->body, v->backends[j]);
			first = false;
		}
	}
	sbuf_printf(&resp->body, "]}\n");
}

/*
 * An L7 server named UPSTREAM/ADDRESS (as written in the config, e.g.
 * app/127.0.0.1:9001): its weight is set live in the workers. Drain is weight
 * 0, enable the config's weight. Returns true when @id named one (answered).
 */
static bool api_l7_server_action(struct admin_ctx *ctx, const struct admin_req *req, struct admin_resp *resp,
				 const char *id, const char *action)
{
	const char *slash = strchr(id, '/');
	const struct cfg_l7 *l7 = &ctx->cfg->l7;

	if (!slash || !ctx->l7)
		return false;
	for (size_t u = 0; u < l7->n_upstreams; u++) {
		const struct cfg_upstream *up = &l7->upstreams[u];

		if (strlen(up->name) != (size_t)(slash - id) || strncmp(up->name, id, slash - id))
			continue;
		for (size_t i = 0; i < up->n_servers; i++) {
			const struct cfg_server *sv = &up->servers[i];
			long w = sv->weight;
			int err;

			if (strcmp(sv->addr.text, slash + 1))
				continue;
			if (!strcmp(action, "weight")) {
				if (api_body_weight(req->body, &w) || w < 0 || w > 1000) {
					api_error(resp, 400, "body must be {\"weight\": N} with 0 <= N <= 1000");
					return true;
				}
			} else if (!strcmp(action, "drain")) {
				w = 0;
			}
			err = l7_set_server_weight(ctx->l7, up->name, sv->addr.text, (uint32_t)w);
			if (err) {
				api_error(resp, err == -ENOENT ? 404 : 500, strerror(-err));
				return true;
			}
			sbuf_printf(&resp->body, "{\"tier\":\"l7\",\"name\":");
			sbuf_json_str(&resp->body, id);
			sbuf_printf(&resp->body, ",\"upstream\":");
			sbuf_json_str(&resp->body, up->name);
			sbuf_printf(&resp->body, ",\"server\":");
			sbuf_json_str(&resp->body, sv->addr.text);
			sbuf_printf(&resp->body, ",\"state\":\"%s\",\"weight\":%ld,\"config_weight\":%u}\n",
				    w ? "up" : "drain", w, sv->weight);
			return true;
		}
	}
	return false;
}

/* POST /backends/{id}/{weight|drain|enable}; {id} may itself hold a '/' (web/198.18.20.1). */
static void api_backend_action(struct admin_ctx *ctx, const struct admin_req *req, struct admin_resp *resp)
{
	char id[160];
	const char *rest = req->path + strlen("/backends/");
	const char *slash = strrchr(rest, '/');
	const char *action;
	struct l4_backend *be;
	int err = 0;

	if (!slash || slash == rest || (size_t)(slash - rest) >= sizeof(id))
		return api_error(resp, 404, "want /backends/{VIP/ADDRESS or id}/{weight|drain|enable}");
	memcpy(id, rest, slash - rest);
	id[slash - rest] = 0;
	action = slash + 1;
	if (strcmp(action, "weight") && strcmp(action, "drain") && strcmp(action, "enable"))
		return api_error(resp, 404, "unknown backend action (weight, drain, enable)");
	if (strcmp(req->method, "POST"))
		return api_error(resp, 405, "use POST");
	be = ctx->l4 ? l4_backend_find(ctx->l4, id) : NULL;
	if (!be && api_l7_server_action(ctx, req, resp, id, action))
		return;
	if (!be)
		return api_error(resp, 404, "no such backend (use VIP/ADDRESS, e.g. web/198.18.20.1, the numeric id, "
				 "or UPSTREAM/SERVER for an L7 server)");
	if (!strcmp(action, "weight")) {
		long w;

		if (api_body_weight(req->body, &w) || w < 0 || w > 1000)
			return api_error(resp, 400, "body must be {\"weight\": N} with 0 <= N <= 1000");
		err = l4_backend_set_weight(ctx->l4, be, (uint32_t)w);
	} else {
		err = l4_backend_set_drain(ctx->l4, be, !strcmp(action, "drain"));
	}
	if (err)
		return api_error(resp, 500, strerror(-err));
	api_backend_json(ctx->l4, &resp->body, be);
	sbuf_printf(&resp->body, "\n");
}

/* ?allow_empty=1 (or true, yes): the one way to apply a config that serves nothing. */
static bool api_query_flag(const char *query, const char *key)
{
	char v[8];

	return admin_query_get(query, key, v, sizeof(v)) &&
	       (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"));
}

static void api_reload(struct admin_ctx *ctx, const struct admin_req *req, struct admin_resp *resp)
{
	char *errors = NULL;
	int err = ctx->reload(ctx->reload_arg, api_query_flag(req->query, "allow_empty"), &errors);

	if (!err) {
		sbuf_printf(&resp->body, "{\"ok\":true,\"reloads\":%llu}\n", (unsigned long long)ctx->reloads);
	} else {
		char *save = NULL;
		bool first = true;

		resp->status = 422;
		sbuf_printf(&resp->body, "{\"ok\":false,\"errors\":[");
		for (char *l = errors ? strtok_r(errors, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
			sbuf_printf(&resp->body, "%s", first ? "" : ",");
			sbuf_json_str(&resp->body, l);
			first = false;
		}
		if (first)
			sbuf_json_str(&resp->body, strerror(-err));
		sbuf_printf(&resp->body, "]}\n");
	}
	free(errors);
}

void admin_route(struct admin_ctx *ctx, const struct admin_req *req, struct admin_resp *resp)
{
	const char *p = req->path;
	bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	bool post = !strcmp(req->method, "POST");

	resp->status = 200;
	resp->type = "application/json";
	if (!strcmp(p, "/")) {
		if (!get)
			return api_error(resp, 405, "use GET");
		resp->type = "text/html; charset=utf-8";
		return admin_view_html(ctx, &resp->body);
	}
	if (!strcmp(p, "/status")) {
		if (!get)
			return api_error(resp, 405, "use GET");
		return api_status(ctx, &resp->body);
	}
	if (!strcmp(p, "/metrics")) {
		if (!get)
			return api_error(resp, 405, "use GET");
		resp->type = "text/plain; version=0.0.4; charset=utf-8";
		return admin_view_metrics(ctx, &resp->body);
	}
	if (!strcmp(p, "/reload")) {
		if (!post)
			return api_error(resp, 405, "use POST");
		return api_reload(ctx, req, resp);
	}
	if (!strcmp(p, "/cache/purge")) {
		if (!post)
			return api_error(resp, 405, "use POST");
		return cache_admin_purge(ctx, req, resp);
	}
	if (!strcmp(p, "/vips") || !strcmp(p, "/backends") || !strncmp(p, "/backends/", 10) || !strcmp(p, "/trace")) {
		if (!ctx->l4 && !strncmp(p, "/backends/", 10))
			return api_backend_action(ctx, req, resp);
		if (!ctx->l4) {
			if (get && strcmp(p, "/trace")) {
				sbuf_printf(&resp->body, "{\"%s\":[]}\n", p[1] == 'v' ? "vips" : "backends");
				return;
			}
			return api_error(resp, 404, "no L4 tier configured");
		}
		if (!strncmp(p, "/backends/", 10))
			return api_backend_action(ctx, req, resp);
		if (!get)
			return api_error(resp, 405, "use GET");
		if (!strcmp(p, "/trace"))
			return api_trace(ctx, req, resp);
		if (!strcmp(p, "/backends"))
			return api_backends(ctx, req, resp);
		sbuf_printf(&resp->body, "{\"vips\":[");
		for (size_t i = 0; i < l4_n_vips(ctx->l4); i++) {
			sbuf_printf(&resp->body, "%s", i ? "," : "");
			api_vip_json(ctx->l4, &resp->body, l4_vip_at(ctx->l4, i));
		}
		sbuf_printf(&resp->body, "]}\n");
		return;
	}
	api_error(resp, 404, "no such endpoint (see GET /, /status, /vips, /backends, /metrics)");
}
