// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The cache's part of the admin API: POST /cache/purge, cache counters in /metrics, /status and the HTML page. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "cache/cache.h"
#include "l7/l7.h"

/* json_field() - the string value of "@key" in a flat JSON object, unescaped into @out. true if found. */
static bool json_field(const char *body, size_t len, const char *key, char *out, size_t cap)
{
	char pat[32];
	const char *p, *end = body + len;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = memmem(body, len, pat, strlen(pat));
	if (!p)
		return false;
	p += strlen(pat);
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p >= end || *p++ != ':')
		return false;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p >= end || *p++ != '"')
		return false;
	while (p < end && *p != '"') {
		char ch = *p++;

		if (ch == '\\' && p < end) {
			ch = *p++;
			if (ch == 'u')
				return false;   /* URLs are ASCII: keep the parser small */
			if (ch == 'n')
				ch = '\n';
			else if (ch == 't')
				ch = '\t';
		}
		if (n + 1 >= cap)
			return false;
		out[n++] = ch;
	}
	out[n] = 0;
	return p < end;
}

void cache_admin_purge(struct admin_ctx *ctx, const struct admin_req *req, struct admin_resp *resp)
{
	char url[4096];
	bool prefix = false;
	struct cache_stats st;
	int n;

	if (!l7_cache_stats(ctx->l7, 0, url, sizeof(url), &st)) {
		resp->status = 501;   /* as before caches existed: nothing to purge in this configuration */
		sbuf_printf(&resp->body, "{\"error\":\"no cache configured\"}\n");
		return;
	}
	if (!req->body || !json_field(req->body, req->body_len, "url", url, sizeof(url))) {
		prefix = true;
		if (!req->body || !json_field(req->body, req->body_len, "prefix", url, sizeof(url))) {
			resp->status = 400;
			sbuf_printf(&resp->body, "{\"error\":\"body must be {\\\"url\\\": \\\"...\\\"} or {\\\"prefix\\\": \\\"...\\\"}\"}\n");
			return;
		}
	}
	n = l7_cache_purge(ctx->l7, url, prefix);
	if (n == -ENOENT) {
		resp->status = 501;
		sbuf_printf(&resp->body, "{\"error\":\"no cache configured\"}\n");
		return;
	}
	if (n < 0) {
		resp->status = 400;
		sbuf_printf(&resp->body, "{\"error\":\"bad url\"}\n");
		return;
	}
	sbuf_printf(&resp->body, "{\"purged\":%d,\"%s\":", n, prefix ? "prefix" : "url");
	sbuf_json_str(&resp->body, url);
	sbuf_printf(&resp->body, "}\n");
}

void cache_admin_status(struct admin_ctx *ctx, struct sbuf *b)
{
	struct cache_stats st;
	char name[128];

	sbuf_printf(b, ",\"cache_stats\":[");
	for (size_t i = 0; l7_cache_stats(ctx->l7, i, name, sizeof(name), &st); i++) {
		sbuf_printf(b, "%s{\"name\":", i ? "," : "");
		sbuf_json_str(b, name);
		sbuf_printf(b, ",\"entries\":%llu,\"bytes\":%llu,\"filling\":%llu,\"capacity\":%llu,\"hits\":%llu,"
			    "\"misses\":%llu,\"stale\":%llu,\"revalidations\":%llu,\"stores\":%llu,\"evictions\":%llu,"
			    "\"purged\":%llu,\"invalidations\":%llu,\"claim_waits\":%llu,\"claim_wakes\":%llu}",
			    (unsigned long long)st.entries, (unsigned long long)st.bytes, (unsigned long long)st.filling,
			    (unsigned long long)st.capacity, (unsigned long long)st.hits, (unsigned long long)st.misses,
			    (unsigned long long)st.stale, (unsigned long long)st.revalidations, (unsigned long long)st.stores,
			    (unsigned long long)st.evictions, (unsigned long long)st.purged,
			    (unsigned long long)st.invalidations, (unsigned long long)st.claim_waits,
			    (unsigned long long)st.claim_wakes);
	}
	sbuf_printf(b, "]");
}

void cache_admin_metrics(struct admin_ctx *ctx, struct sbuf *b)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} m[] = {
		{ "sluice_cache_entries", "gauge", "Responses stored.", offsetof(struct cache_stats, entries) },
		{ "sluice_cache_bytes", "gauge", "Bytes stored (heads, bodies, keys).", offsetof(struct cache_stats, bytes) },
		{ "sluice_cache_capacity_bytes", "gauge", "The configured memory.", offsetof(struct cache_stats, capacity) },
		{ "sluice_cache_filling_bytes", "gauge", "Memory held for responses being stored, counted against capacity.",
		  offsetof(struct cache_stats, filling) },
		{ "sluice_cache_hits_total", "counter", "Requests answered from the cache without asking the origin.",
		  offsetof(struct cache_stats, hits) },
		{ "sluice_cache_misses_total", "counter", "Lookups that found nothing usable.",
		  offsetof(struct cache_stats, misses) },
		{ "sluice_cache_stale_total", "counter", "Lookups that found a stale response.",
		  offsetof(struct cache_stats, stale) },
		{ "sluice_cache_revalidations_total", "counter", "Stale responses refreshed by a 304.",
		  offsetof(struct cache_stats, revalidations) },
		{ "sluice_cache_stores_total", "counter", "Responses stored.", offsetof(struct cache_stats, stores) },
		{ "sluice_cache_evictions_total", "counter", "Responses evicted for room.",
		  offsetof(struct cache_stats, evictions) },
		{ "sluice_cache_purged_total", "counter", "Responses dropped by POST /cache/purge.",
		  offsetof(struct cache_stats, purged) },
		{ "sluice_cache_invalidations_total", "counter", "Responses dropped after unsafe requests.",
		  offsetof(struct cache_stats, invalidations) },
		{ "sluice_cache_claim_waits_total", "counter", "Misses that waited for another worker's fetch of the key.",
		  offsetof(struct cache_stats, claim_waits) },
		{ "sluice_cache_claim_wakes_total", "counter", "Workers woken when a fetch they waited for ended.",
		  offsetof(struct cache_stats, claim_wakes) },
	};
	struct cache_stats st;
	char name[128];

	if (!l7_cache_stats(ctx->l7, 0, name, sizeof(name), &st))
		return;
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help, m[k].name, m[k].type);
		for (size_t i = 0; l7_cache_stats(ctx->l7, i, name, sizeof(name), &st); i++)
			sbuf_printf(b, "%s{cache=\"%s\"} %llu\n", m[k].name, name,
				    (unsigned long long)*(const uint64_t *)((const char *)&st + m[k].off));
	}
}

void cache_admin_html(struct admin_ctx *ctx, struct sbuf *b)
{
	struct cache_stats st;
	char name[128];

	for (size_t i = 0; l7_cache_stats(ctx->l7, i, name, sizeof(name), &st); i++) {
		if (!i)
			sbuf_printf(b, "<table><tr><th colspan=9>caches</th></tr><tr><th>name</th><th>entries</th>"
				    "<th>bytes</th><th>capacity</th><th>hits</th><th>misses</th><th>stale</th>"
				    "<th>revalidated</th><th>evicted</th></tr>\n");
		sbuf_printf(b, "<tr><td>");
		sbuf_html(b, name);
		sbuf_printf(b, "</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
			    "<td>%llu</td><td>%llu</td></tr>\n",
			    (unsigned long long)st.entries, (unsigned long long)st.bytes, (unsigned long long)st.capacity,
			    (unsigned long long)st.hits, (unsigned long long)st.misses, (unsigned long long)st.stale,
			    (unsigned long long)st.revalidations, (unsigned long long)st.evictions);
		if (!l7_cache_stats(ctx->l7, i + 1, name, sizeof(name), &st))
			sbuf_printf(b, "</table>\n");
	}
}
