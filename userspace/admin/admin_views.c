// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The admin API's two human-facing views: Prometheus text for /metrics, an HTML stats page for /. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin_int.h"
#include "l4/l4.h"
#include "l7/l7.h"
#include "sluice/drop.h"
#include "tls/tls.h"

static const char *const drop_names[SL_DROP_MAX] = SL_DROP_NAMES;

static void m_head(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* m_value() - one metric of one value, with its HELP and TYPE. */
static void m_value(struct sbuf *b, const char *name, const char *type, const char *help, uint64_t v)
{
	m_head(b, name, type, help);
	sbuf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void m_vip_labels(struct sbuf *b, const struct l4_vip *v)
{
	sbuf_printf(b, "{vip=\"%s\",address=\"%s\",port=\"%u\",proto=\"%s\"", v->name, v->addr_text, v->port,
		    v->proto == IPPROTO_UDP ? "udp" : "tcp");
}

static void m_be_labels(struct sbuf *b, const struct l4_backend *be)
{
	sbuf_printf(b, "{vip=\"%s\",backend=\"%s\",id=\"%u\"", be->vip->name, be->addr_text, be->id);
}

/* The L7 tier's counters, summed over workers (each worker writes only its own). */
static void m_l7(struct admin_ctx *ctx, struct sbuf *b)
{
	static const char *const cls[6] = { "none", "1xx", "2xx", "3xx", "4xx", "5xx" };
	struct l7_stats st;

	if (!ctx->l7)
		return;
	l7_stats_get(ctx->l7, &st);
	m_value(b, "sluice_http_connections_accepted_total", "counter", "Client connections accepted.",
		st.conns_accepted);
	m_value(b, "sluice_http_connections_active", "gauge", "Client connections open now.", st.conns_active);
	m_value(b, "sluice_http_requests_total", "counter", "Requests answered (one access log line each).",
		st.requests);
	m_head(b, "sluice_http_responses_total", "counter",
	       "Responses by status class; none: the exchange was cut before a status.");
	for (int i = 0; i < 6; i++)
		sbuf_printf(b, "sluice_http_responses_total{class=\"%s\"} %llu\n", cls[i],
			    (unsigned long long)st.responses[i]);
	m_value(b, "sluice_http_request_bytes_total", "counter", "Request bytes read from clients.", st.bytes_in);
	m_value(b, "sluice_http_response_bytes_total", "counter", "Response bytes queued to clients.",
		st.bytes_out);
	m_value(b, "sluice_http_upstream_connects_total", "counter", "New upstream connections.",
		st.upstream_connects);
	m_value(b, "sluice_http_upstream_reuses_total", "counter", "Requests sent on a pooled upstream connection.",
		st.upstream_reuses);
	m_value(b, "sluice_http_retries_total", "counter", "Requests sent again to another server.", st.retries);
	m_value(b, "sluice_http_upstream_pool_full_total", "counter",
		"Upstream connections closed after a response because the idle pool was full (keepalive, or recent demand).",
		st.upstream_pool_full);
	m_value(b, "sluice_http_upstream_ejections_total", "counter",
		"Upstream servers passively ejected after max_fails consecutive failures.", st.upstream_ejections);
	m_value(b, "sluice_http_upstream_ejections_skipped_total", "counter",
		"Upstream servers that reached max_fails but were kept: the last one of their upstream available.",
		st.upstream_eject_skipped);
	m_value(b, "sluice_http_upstream_panic_total", "counter",
		"Requests sent to an ejected or health-checked-down server because every server of the upstream was out.",
		st.upstream_panic);
	m_value(b, "sluice_http_loop_turns_total", "counter", "Worker event loop turns (one io_uring_enter each).",
		st.loop_turns);
	m_value(b, "sluice_http_loop_batched_turns_total", "counter",
		"Loop turns that waited for a batch of completions (l7.batch).", st.loop_batched);
	m_head(b, "sluice_http_connections_total", "counter",
	       "Client connections by the protocol they spoke: http/1.1 (and 1.0), h2 (ALPN or the h2c preface).");
	sbuf_printf(b, "sluice_http_connections_total{protocol=\"http/1.1\"} %llu\n"
		    "sluice_http_connections_total{protocol=\"h2\"} %llu\n",
		    (unsigned long long)st.h1_conns, (unsigned long long)st.h2_conns);
	m_value(b, "sluice_http2_streams_total", "counter", "HTTP/2 streams clients opened (each one request).",
		st.h2_streams);
	m_head(b, "sluice_http2_goaways_total", "counter",
	       "HTTP/2 connections we ended with GOAWAY, by reason: a flood defence (rapid_reset, continuation_flood, "
	       "settings_flood, ping_flood, control_flood, header_list), stalled (no window for client_idle), "
	       "protocol, shutdown (a reload or a drain: graceful), idle.");
	for (int i = 0; i < H2_GA_MAX; i++)
		sbuf_printf(b, "sluice_http2_goaways_total{reason=\"%s\"} %llu\n", h2_goaway_names[i],
			    (unsigned long long)st.h2_goaway[i]);
	m_head(b, "sluice_http2_resets_total", "counter",
	       "HTTP/2 streams reset (RST_STREAM), by who reset them (client, sluiced) and the error code.");
	for (int by = 0; by < 2; by++)
		for (int i = 0; i < H2_RESET_CODES; i++)
			if (st.h2_resets[by][i] || i == 8 || i == 1)
				sbuf_printf(b, "sluice_http2_resets_total{by=\"%s\",reason=\"%s\"} %llu\n",
					    by ? "sluiced" : "client", h2_reset_names[i],
					    (unsigned long long)st.h2_resets[by][i]);
}

static uint64_t tls_ctr(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* TLS handshakes of clients and upstreams (process-wide counters, tls/tls.h). */
static void m_tls(struct sbuf *b)
{
	m_value(b, "sluice_tls_handshakes_total", "counter", "Client TLS handshakes completed.",
		tls_ctr(&tls_stats.handshakes));
	m_value(b, "sluice_tls_resumptions_total", "counter", "Client TLS handshakes that resumed a session (a ticket).",
		tls_ctr(&tls_stats.resumed));
	m_head(b, "sluice_tls_handshake_failures_total", "counter",
	       "Client TLS handshakes that failed, by reason: timeout (handshake_timeout), closed (the client left "
	       "first), protocol, garbage (not TLS), limit (max_handshakes), cert (client certificate refused), other.");
	for (int i = 0; i < TLS_FAIL_MAX; i++)
		sbuf_printf(b, "sluice_tls_handshake_failures_total{reason=\"%s\"} %llu\n", tls_fail_names[i],
			    (unsigned long long)tls_ctr(&tls_stats.failures[i]));
	m_value(b, "sluice_tls_upstream_handshakes_total", "counter", "Upstream TLS handshakes completed.",
		tls_ctr(&tls_stats.up_handshakes));
	m_value(b, "sluice_tls_upstream_resumptions_total", "counter", "Upstream TLS handshakes that resumed a session.",
		tls_ctr(&tls_stats.up_resumed));
	m_value(b, "sluice_tls_upstream_handshake_failures_total", "counter",
		"Upstream TLS handshakes that failed (a certificate that does not verify, a protocol error).",
		tls_ctr(&tls_stats.up_failures));
}

void admin_view_metrics(struct admin_ctx *ctx, struct sbuf *b)
{
	struct l4 *l4 = ctx->l4;
	size_t nv = l4 ? l4_n_vips(l4) : 0;
	struct sl_vip_stats vs[nv ? nv : 1];

	m_head(b, "sluice_up", "gauge", "1 while sluiced runs.");
	sbuf_printf(b, "sluice_up 1\n");
	m_head(b, "sluice_uptime_seconds", "gauge", "Seconds since sluiced started.");
	sbuf_printf(b, "sluice_uptime_seconds %lld\n", (long long)(time(NULL) - ctx->started));
	m_head(b, "sluice_reloads_total", "counter", "Configuration reloads, by result.");
	sbuf_printf(b, "sluice_reloads_total{result=\"ok\"} %llu\nsluice_reloads_total{result=\"failed\"} %llu\n",
		    (unsigned long long)ctx->reloads, (unsigned long long)ctx->reload_failures);
	m_l7(ctx, b);
	m_tls(b);
	cache_admin_metrics(ctx, b);
	if (!l4)
		return;

	for (size_t i = 0; i < nv; i++) {
		memset(&vs[i], 0, sizeof(vs[i]));
		l4_maps_vip_stats(l4_maps(l4), l4_vip_at(l4, i)->id, &vs[i]);
	}
#define VIP_COUNTER(field, name, help)                                              \
	do {                                                                         \
		m_head(b, name, "counter", help);                                    \
		for (size_t i = 0; i < nv; i++) {                                    \
			sbuf_printf(b, "%s", name);                                  \
			m_vip_labels(b, l4_vip_at(l4, i));                           \
			sbuf_printf(b, "} %llu\n", (unsigned long long)vs[i].field); \
		}                                                                    \
	} while (0)
	VIP_COUNTER(packets, "sluice_vip_packets_total", "Packets XDP handled for the VIP.");
	VIP_COUNTER(bytes, "sluice_vip_bytes_total", "Bytes XDP handled for the VIP.");
	VIP_COUNTER(new_flows, "sluice_vip_new_flows_total", "Flows given a backend from the Maglev ring.");
	VIP_COUNTER(no_backend, "sluice_vip_no_backend_total", "Packets for the VIP while its ring was empty.");
	VIP_COUNTER(icmp_echo, "sluice_vip_icmp_echo_total", "Echo requests to the VIP answered in XDP.");
	VIP_COUNTER(icmp_ptb, "sluice_vip_icmp_ptb_total", "Frag-needed / packet-too-big messages steered to a backend.");
	VIP_COUNTER(untracked, "sluice_vip_untracked_flows_total",
		    "Packets of new flows forwarded by Maglev but not tracked: l4.conntrack_insert_rate reached.");
#undef VIP_COUNTER
	m_head(b, "sluice_vip_conntrack_total", "counter",
	       "Conntrack lookups by result (hit, miss) and whether the packet was a SYN.");
	for (size_t i = 0; i < nv; i++) {
		const struct { const char *res, *syn; unsigned long long v; } rows[] = {
			{ "hit", "true", vs[i].ct_hit_syn }, { "miss", "true", vs[i].ct_miss_syn },
			{ "hit", "false", vs[i].ct_hit }, { "miss", "false", vs[i].ct_miss },
		};

		for (int r = 0; r < 4; r++) {
			sbuf_printf(b, "sluice_vip_conntrack_total");
			m_vip_labels(b, l4_vip_at(l4, i));
			sbuf_printf(b, ",result=\"%s\",syn=\"%s\"} %llu\n", rows[r].res, rows[r].syn, rows[r].v);
		}
	}
	m_head(b, "sluice_vip_backends_up", "gauge", "Backends of the VIP that are healthy and not drained.");
	for (size_t i = 0; i < nv; i++) {
		const struct l4_vip *v = l4_vip_at(l4, i);
		size_t up = 0;

		for (size_t j = 0; j < v->n_backends; j++)
			up += !strcmp(l4_backend_state(v->backends[j]), "up");
		sbuf_printf(b, "sluice_vip_backends_up");
		m_vip_labels(b, v);
		sbuf_printf(b, "} %zu\n", up);
	}
	m_head(b, "sluice_vip_ring_updates_total", "counter", "Maglev tables installed for the VIP.");
	for (size_t i = 0; i < nv; i++) {
		sbuf_printf(b, "sluice_vip_ring_updates_total");
		m_vip_labels(b, l4_vip_at(l4, i));
		sbuf_printf(b, "} %llu\n", (unsigned long long)l4_vip_at(l4, i)->ring_updates);
	}

	{
		static const char *const names[3] = { "sluice_backend_packets_total", "sluice_backend_bytes_total",
						      "sluice_backend_new_flows_total" };
		static const char *const helps[3] = { "Packets XDP forwarded to the backend.",
						      "Bytes XDP forwarded to the backend.",
						      "New flows XDP gave the backend." };

		for (int f = 0; f < 3; f++) {
			m_head(b, names[f], "counter", helps[f]);
			for (size_t i = 0; i < nv; i++) {
				const struct l4_vip *v = l4_vip_at(l4, i);

				for (size_t j = 0; j < v->n_backends; j++) {
					struct sl_backend_stats st = { 0 };
					uint64_t val[3];

					l4_maps_be_stats(l4_maps(l4), v->backends[j]->id, &st);
					val[0] = st.packets;
					val[1] = st.bytes;
					val[2] = st.new_flows;
					sbuf_printf(b, "%s", names[f]);
					m_be_labels(b, v->backends[j]);
					sbuf_printf(b, "} %llu\n", (unsigned long long)val[f]);
				}
			}
		}
	}
	m_head(b, "sluice_backend_up", "gauge", "1 when the backend passes its health check (or has none).");
	for (size_t i = 0; i < nv; i++)
		for (size_t j = 0; j < l4_vip_at(l4, i)->n_backends; j++) {
			const struct l4_backend *be = l4_vip_at(l4, i)->backends[j];

			sbuf_printf(b, "sluice_backend_up");
			m_be_labels(b, be);
			sbuf_printf(b, "} %d\n", atomic_load(&be->up) ? 1 : 0);
		}
	m_head(b, "sluice_backend_drain", "gauge", "1 when the backend is drained (no new flows).");
	for (size_t i = 0; i < nv; i++)
		for (size_t j = 0; j < l4_vip_at(l4, i)->n_backends; j++) {
			const struct l4_backend *be = l4_vip_at(l4, i)->backends[j];

			sbuf_printf(b, "sluice_backend_drain");
			m_be_labels(b, be);
			sbuf_printf(b, "} %d\n", (be->drain || !be->weight) ? 1 : 0);
		}
	m_head(b, "sluice_backend_weight", "gauge", "Weight in effect.");
	for (size_t i = 0; i < nv; i++)
		for (size_t j = 0; j < l4_vip_at(l4, i)->n_backends; j++) {
			const struct l4_backend *be = l4_vip_at(l4, i)->backends[j];

			sbuf_printf(b, "sluice_backend_weight");
			m_be_labels(b, be);
			sbuf_printf(b, "} %u\n", be->weight);
		}
	m_head(b, "sluice_backend_ring_slots", "gauge", "Maglev table slots the backend holds.");
	for (size_t i = 0; i < nv; i++)
		for (size_t j = 0; j < l4_vip_at(l4, i)->n_backends; j++) {
			const struct l4_backend *be = l4_vip_at(l4, i)->backends[j];

			sbuf_printf(b, "sluice_backend_ring_slots");
			m_be_labels(b, be);
			sbuf_printf(b, "} %u\n", be->slots);
		}
	{
		uint64_t drops[SL_DROP_MAX] = { 0 };

		l4_maps_drops(l4_maps(l4), drops);
		m_head(b, "sluice_xdp_drops_total", "counter", "Packets the XDP balancer dropped, by reason.");
		for (int r = 1; r < SL_DROP_MAX; r++)
			sbuf_printf(b, "sluice_xdp_drops_total{reason=\"%s\"} %llu\n", drop_names[r],
				    (unsigned long long)drops[r]);
	}
	m_head(b, "sluice_conntrack_max", "gauge", "Size of the conntrack table.");
	sbuf_printf(b, "sluice_conntrack_max %u\n", l4_maps(l4)->ct_max);
}

static void h_num(struct sbuf *b, unsigned long long v)
{
	sbuf_printf(b, "<td class=n>%llu</td>", v);
}

void admin_view_html(struct admin_ctx *ctx, struct sbuf *b)
{
	struct l4 *l4 = ctx->l4;
	const struct cfg *cfg = ctx->cfg;

	sbuf_printf(b, "<!DOCTYPE html>\n<html><head><meta charset=utf-8><meta http-equiv=refresh content=5>"
		       "<title>sluice stats</title><style>"
		       "body{font:13px sans-serif;margin:1em}table{border-collapse:collapse;margin-bottom:1.2em}"
		       "th,td{border:1px solid #999;padding:2px 6px}th{background:#ddd}.n{text-align:right}"
		       ".vip{background:#b8c9e6;text-align:left}.up{background:#c0f0c0}.down{background:#f4b0b0}"
		       ".drain{background:#f0e0a0}h1{font-size:18px}</style></head><body>\n");
	sbuf_printf(b, "<h1>sluice statistics</h1><p>pid %d, up %llds, config ", (int)getpid(),
		    (long long)(time(NULL) - ctx->started));
	sbuf_html(b, cfg->path);
	sbuf_printf(b, ", %llu reloads (%llu refused). Refreshes every 5 s. "
		       "JSON: <a href=/status>/status</a> <a href=/vips>/vips</a> <a href=/backends>/backends</a> "
		       "<a href=/metrics>/metrics</a></p>\n",
		    (unsigned long long)ctx->reloads, (unsigned long long)ctx->reload_failures);
	if (l4) {
		sbuf_printf(b, "<p>L4: XDP %s on", l4_xdp_mode(l4));
		for (int i = 0; i < l4_n_ifaces(l4); i++) {
			sbuf_printf(b, " ");
			sbuf_html(b, l4_iface(l4, i, NULL));
		}
		sbuf_printf(b, ", conntrack %u entries</p>\n", l4_maps(l4)->ct_max);
		for (size_t i = 0; i < l4_n_vips(l4); i++) {
			const struct l4_vip *v = l4_vip_at(l4, i);
			struct sl_vip_stats s = { 0 };

			l4_maps_vip_stats(l4_maps(l4), v->id, &s);
			sbuf_printf(b, "<table><tr><th class=vip colspan=9>");
			sbuf_html(b, v->name);
			sbuf_printf(b, " &mdash; %s:%u/%s, %s, ring %u</th></tr>\n", v->addr_text, v->port,
				    v->proto == IPPROTO_UDP ? "udp" : "tcp", (v->flags & SL_VIP_F_DSR) ? "dsr" : "ipip",
				    v->ring_size);
			sbuf_printf(b, "<tr><th>backend</th><th>id</th><th>state</th><th>weight</th><th>slots</th>"
				       "<th>packets</th><th>bytes</th><th>new flows</th><th>check</th></tr>\n");
			for (size_t j = 0; j < v->n_backends; j++) {
				const struct l4_backend *be = v->backends[j];
				struct sl_backend_stats st = { 0 };
				const char *state = l4_backend_state(be);

				l4_maps_be_stats(l4_maps(l4), be->id, &st);
				sbuf_printf(b, "<tr class=%s><td>%s</td><td class=n>%u</td><td>%s</td><td class=n>%u</td><td class=n>%u</td>",
					    state, be->addr_text, be->id, state, be->weight, be->slots);
				h_num(b, st.packets);
				h_num(b, st.bytes);
				h_num(b, st.new_flows);
				sbuf_printf(b, "<td>%s</td></tr>\n",
					    v->health.type == CFG_HEALTH_HTTP ? "http" : v->health.type == CFG_HEALTH_TCP ? "tcp" : "none");
			}
			sbuf_printf(b, "<tr><th>total</th><td></td><td></td><td></td><td></td>");
			h_num(b, s.packets);
			h_num(b, s.bytes);
			h_num(b, s.new_flows);
			sbuf_printf(b, "<td>ct hit %llu / miss %llu, untracked %llu, empty-ring %llu</td></tr></table>\n",
				    (unsigned long long)(s.ct_hit + s.ct_hit_syn),
				    (unsigned long long)(s.ct_miss + s.ct_miss_syn), (unsigned long long)s.untracked,
				    (unsigned long long)s.no_backend);
		}
		{
			uint64_t drops[SL_DROP_MAX] = { 0 };

			l4_maps_drops(l4_maps(l4), drops);
			sbuf_printf(b, "<table><tr><th colspan=2>XDP drops</th></tr>\n");
			for (int r = 1; r < SL_DROP_MAX; r++)
				sbuf_printf(b, "<tr><td>%s</td><td class=n>%llu</td></tr>\n", drop_names[r],
					    (unsigned long long)drops[r]);
			sbuf_printf(b, "</table>\n");
		}
	} else {
		sbuf_printf(b, "<p>L4: not configured</p>\n");
	}
	if (cfg->l7.n_listeners) {
		sbuf_printf(b, "<table><tr><th colspan=3>L7 listeners</th></tr><tr><th>name</th><th>listen</th><th>mode</th></tr>\n");
		for (size_t i = 0; i < cfg->l7.n_listeners; i++) {
			const struct cfg_listener *l = &cfg->l7.listeners[i];

			sbuf_printf(b, "<tr><td>");
			sbuf_html(b, l->name);
			sbuf_printf(b, "</td><td>");
			sbuf_html(b, l->listen.text);
			sbuf_printf(b, "</td><td>%s</td></tr>\n", l->mode == CFG_MODE_FORWARD ? "forward" : "reverse");
		}
		sbuf_printf(b, "</table>\n");
	}
	cache_admin_html(ctx, b);
	sbuf_printf(b, "</body></html>\n");
}
