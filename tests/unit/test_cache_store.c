// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The cache store: storability, lookup verdicts, Vary, 304 updates, invalidation, purge, collapsing, S3-FIFO eviction. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cache/cache.h"
#include "cache_util.h"
#include "../tap.h"

static struct cache *C;
static struct cache_shard *S;

/* req_of() - a GET for @path on host h with extra header lines @hdrs. */
static struct http_msg *req_of(const char *method, const char *path, const char *hdrs)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s %s HTTP/1.1\r\nHost: h\r\n%s\r\n", method, path, hdrs ? hdrs : "");
	return cu_req(text);
}

/*
 * store() - fill @path with a response made of @resp_hdrs and a @body_len-byte body.
 * Returns 0 if stored, else -1 with the reason in *why (when there is one).
 */
static int store_m(const char *method, const char *path, const char *req_hdrs, int status, const char *resp_hdrs,
		   size_t body_len, int64_t now, const char **why)
{
	char text[4096], body[8192];
	struct http_msg *req = req_of(method, path, req_hdrs), *resp;
	struct cache_req r;
	struct cache_key k;
	struct cache_fill *f;
	const char *w = NULL;
	int rc = -1;

	snprintf(text, sizeof(text), "HTTP/1.1 %d X\r\n%sContent-Length: %zu\r\n\r\n", status, resp_hdrs, body_len);
	resp = cu_resp(text);
	cache_req_init(&r, req, false);
	cache_key_make(&k, "http", "h", 1, path, strlen(path));
	f = cache_fill_begin(S, &k, req, &r, resp, now, now, &w);
	if (f) {
		memset(body, 'b', sizeof(body));
		for (size_t off = 0; off < body_len; off += sizeof(body))
			if (cache_fill_append(f, body, body_len - off < sizeof(body) ? body_len - off : sizeof(body))) {
				cache_fill_abort(f);
				f = NULL;
				w = "too-large";
				break;
			}
		if (f)
			rc = cache_fill_finish(f) ? -1 : 0;
	}
	if (why)
		*why = w;
	cache_key_free(&k);
	cu_free(req);
	cu_free(resp);
	return rc;
}

static int store(const char *path, const char *resp_hdrs, size_t body_len, int64_t now)
{
	return store_m("GET", path, NULL, 200, resp_hdrs, body_len, now, NULL);
}

static enum cache_verdict look(const char *path, const char *req_hdrs, int64_t now, struct cache_obj **out)
{
	struct http_msg *req = req_of("GET", path, req_hdrs);
	struct cache_obj *o;
	struct cache_req r;
	struct cache_key k;
	enum cache_verdict v;

	cache_req_init(&r, req, false);
	cache_key_make(&k, "http", "h", 1, path, strlen(path));
	v = cache_lookup(S, &k, req, &r, now, &o);
	cache_key_free(&k);
	cu_free(req);
	if (out)
		*out = o;
	else
		cache_obj_put(o);
	return v;
}

/* begin() - a fill of @path with response head lines @resp_hdrs (Content-Length or not), left open; NULL with *@why. */
static struct cache_fill *begin(const char *path, const char *resp_hdrs, const char **why)
{
	char text[1024];
	struct http_msg *req = req_of("GET", path, NULL), *resp;
	struct cache_req r;
	struct cache_key k;
	struct cache_fill *f;
	const char *w = NULL;

	snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n%s\r\n", resp_hdrs);
	resp = cu_resp(text);
	cache_req_init(&r, req, false);
	cache_key_make(&k, "http", "h", 1, path, strlen(path));
	f = cache_fill_begin(S, &k, req, &r, resp, 1000, 1000, &w);
	cache_key_free(&k);
	cu_free(req);
	cu_free(resp);
	if (why)
		*why = f ? "started" : w;
	return f;
}

/* why_begin() - why a fill of @path would not start ("started" when it would; it is dropped again). */
static const char *why_begin(const char *path, const char *resp_hdrs)
{
	const char *w;

	cache_fill_abort(begin(path, resp_hdrs, &w));
	return w;
}

static int append_n(struct cache_fill *f, size_t n)
{
	static char body[4096];

	for (size_t off = 0; off < n; off += sizeof(body))
		if (cache_fill_append(f, body, n - off < sizeof(body) ? n - off : sizeof(body)))
			return -1;
	return 0;
}

static const char *why_not(const char *method, const char *req_hdrs, int status, const char *resp_hdrs)
{
	const char *w;
	int rc = store_m(method, "/why", req_hdrs, status, resp_hdrs, 10, 1000, &w);

	return rc ? (w ? w : "?") : "stored";
}

static int woken, woken_stored;
static void on_wake(struct cache_waiter *wt, bool stored)
{
	(void)wt;
	woken++;
	woken_stored += stored;
}

static int wakes;
static unsigned int woke_mask;

static void record_wake(void *arg, unsigned int shard)
{
	(void)arg;
	wakes++;
	woke_mask |= 1u << shard;
}

int main(void)
{
	struct cache_obj *o;
	struct cache_stats st;
	int64_t T = 1795000000;
	char date[64], hdrs[256];

	C = cache_new("t", 1 << 20, 64 << 10, 1);
	S = cache_shard(C, 0);

	/* storability */
	is_str(why_not("GET", NULL, 200, "Cache-Control: max-age=60\r\n"), "stored", "200 with max-age: stored");
	is_str(why_not("GET", NULL, 200, "Cache-Control: no-store, max-age=60\r\n"), "no-store", "no-store");
	is_str(why_not("GET", "Cache-Control: no-store\r\n", 200, "Cache-Control: max-age=60\r\n"), "no-store",
	       "request no-store");
	is_str(why_not("GET", NULL, 200, "Cache-Control: private, max-age=60\r\n"), "private", "private");
	is_str(why_not("GET", "Authorization: Basic eA==\r\n", 200, "Cache-Control: max-age=60\r\n"),
	       "authorization", "Authorization without public/s-maxage/must-revalidate");
	is_str(why_not("GET", "Authorization: Basic eA==\r\n", 200, "Cache-Control: public, max-age=60\r\n"),
	       "stored", "Authorization with public");
	is_str(why_not("GET", "Authorization: Basic eA==\r\n", 200, "Cache-Control: s-maxage=60\r\n"), "stored",
	       "Authorization with s-maxage");
	is_str(why_not("GET", NULL, 302, ""), "status", "302 without freshness");
	is_str(why_not("GET", NULL, 302, "Cache-Control: max-age=60\r\n"), "stored", "302 with max-age");
	is_str(why_not("GET", NULL, 404, ""), "stored", "404 is cacheable by default");
	is_str(why_not("GET", NULL, 206, "Cache-Control: max-age=60\r\n"), "status", "206 never");
	is_str(why_not("HEAD", NULL, 200, "Cache-Control: max-age=60\r\n"), "method", "HEAD responses are not stored");
	is_str(why_not("POST", NULL, 200, "Cache-Control: max-age=60\r\n"), "method", "POST responses are not stored");
	is_str(why_not("GET", NULL, 200, "Cache-Control: max-age=60\r\nVary: *\r\n"), "vary-star", "Vary: *");
	is_str(why_not("GET", NULL, 200, "Cache-Control: max-age=60\r\nSet-Cookie: a=b\r\n"), "set-cookie",
	       "Set-Cookie");
	ok(store("/big", "Cache-Control: max-age=60\r\n", 70000, T) < 0, "larger than max_object_bytes: not stored");

	/* verdicts and age */
	cache_fmt_date(T, date);
	snprintf(hdrs, sizeof(hdrs), "Date: %s\r\nCache-Control: max-age=60\r\n", date);
	ok(!store("/f", hdrs, 100, T), "stored /f");
	is_int(look("/f", NULL, T + 10, &o), CACHE_HIT, "fresh: hit");
	is_int(cache_current_age(o, T + 10), 10, "age grows with residence");
	ok(o->head_len && strstr(o->head, "Content-Length: 100\r\n") && !strstr(o->head, "\r\n\r\n"),
	   "prebuilt head carries Content-Length, no blank line");
	cache_obj_put(o);
	is_int(look("/f", NULL, T + 61, NULL), CACHE_STALE, "past max-age: stale");
	is_int(look("/f", "Cache-Control: max-age=5\r\n", T + 10, NULL), CACHE_STALE, "request max-age=5 at age 10");
	is_int(look("/f", "Cache-Control: min-fresh=55\r\n", T + 10, NULL), CACHE_STALE, "request min-fresh");
	is_int(look("/f", "Cache-Control: max-stale=20\r\n", T + 70, NULL), CACHE_HIT_STALE, "max-stale=20, 10 s stale");
	is_int(look("/f", "Cache-Control: max-stale=5\r\n", T + 70, NULL), CACHE_STALE, "max-stale=5, 10 s stale");
	is_int(look("/f", "Cache-Control: max-stale\r\n", T + 9999, NULL), CACHE_HIT_STALE, "max-stale: any");
	is_int(look("/f", "Cache-Control: no-cache\r\n", T + 1, NULL), CACHE_STALE, "request no-cache: validate");
	is_int(look("/f", "Pragma: no-cache\r\n", T + 1, NULL), CACHE_STALE, "request Pragma: no-cache");
	is_int(look("/g", NULL, T, NULL), CACHE_MISS, "other URL: miss");
	is_int(look("/f", "Authorization: x\r\n", T + 1, NULL), CACHE_VARY_MISS,
	       "a stored response without public is not used for an authorised request");

	snprintf(hdrs, sizeof(hdrs), "Date: %s\r\nCache-Control: max-age=60\r\nAge: 50\r\n", date);
	store("/aged", hdrs, 10, T);
	is_int(look("/aged", NULL, T + 5, &o), CACHE_HIT, "Age 50 + 5 s < 60: hit");
	is_int(cache_current_age(o, T + 5), 55, "Age from upstream counted");
	cache_obj_put(o);
	is_int(look("/aged", NULL, T + 11, NULL), CACHE_STALE, "Age 50 + 11 s: stale");

	snprintf(hdrs, sizeof(hdrs), "Date: %s\r\nCache-Control: max-age=10, must-revalidate\r\n", date);
	store("/mr", hdrs, 10, T);
	is_int(look("/mr", "Cache-Control: max-stale\r\n", T + 20, NULL), CACHE_STALE, "must-revalidate beats max-stale");
	snprintf(hdrs, sizeof(hdrs), "Date: %s\r\nCache-Control: max-age=10, proxy-revalidate\r\n", date);
	store("/pr", hdrs, 10, T);
	is_int(look("/pr", "Cache-Control: max-stale\r\n", T + 20, NULL), CACHE_STALE, "proxy-revalidate too");
	snprintf(hdrs, sizeof(hdrs), "Date: %s\r\nCache-Control: max-age=60, no-cache\r\n", date);
	store("/nc", hdrs, 10, T);
	is_int(look("/nc", NULL, T + 1, NULL), CACHE_STALE, "response no-cache: always validated");
	snprintf(hdrs, sizeof(hdrs), "Date: %s\r\nCache-Control: max-age=10, stale-while-revalidate=30\r\n", date);
	store("/swr", hdrs, 10, T);
	is_int(look("/swr", NULL, T + 20, NULL), CACHE_STALE_SWR, "within stale-while-revalidate");
	is_int(look("/swr", NULL, T + 50, NULL), CACHE_STALE, "past stale-while-revalidate");
	snprintf(hdrs, sizeof(hdrs), "Date: %s\r\nCache-Control: max-age=10, stale-if-error=30\r\n", date);
	store("/sie", hdrs, 10, T);
	{
		struct http_msg *rq = req_of("GET", "/sie", NULL);
		struct cache_req r;

		cache_req_init(&r, rq, false);
		look("/sie", NULL, T + 20, &o);
		ok(cache_stale_if_error(o, &r, T + 20), "stale-if-error within its window");
		ok(!cache_stale_if_error(o, &r, T + 50), "... not past it");
		cache_obj_put(o);
		cu_free(rq);
	}
	store("/heur", "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 10, T);
	is_int(look("/heur", NULL, T + 3600, NULL), CACHE_HIT, "heuristic freshness from Last-Modified");

	/* conditional requests answered from the cache */
	snprintf(hdrs, sizeof(hdrs), "Cache-Control: max-age=60\r\nETag: \"v1\"\r\nLast-Modified: %s\r\n", date);
	store("/cond", hdrs, 10, T);
	look("/cond", NULL, T, &o);
	{
		struct http_msg *rq;
		struct cache_req r;
		char head[1024];
		long n;

		rq = req_of("GET", "/cond", "If-None-Match: \"x\", W/\"v1\"\r\n");
		cache_req_init(&r, rq, false);
		ok(cache_not_modified(o, &r), "If-None-Match list with a weak match");
		cu_free(rq);
		rq = req_of("GET", "/cond", "If-None-Match: \"x\"\r\n");
		cache_req_init(&r, rq, false);
		ok(!cache_not_modified(o, &r), "If-None-Match without a match");
		cu_free(rq);
		snprintf(hdrs, sizeof(hdrs), "If-Modified-Since: %s\r\n", date);
		rq = req_of("GET", "/cond", hdrs);
		cache_req_init(&r, rq, false);
		ok(cache_not_modified(o, &r), "If-Modified-Since at Last-Modified");
		n = cache_304_head(o, T + 3, "sluice; hit", false, false, head, sizeof(head));
		ok(n > 0 && strstr(head, "304 Not Modified") && strstr(head, "ETag: \"v1\"") &&
		   strstr(head, "Age: 3") && !strstr(head, "Content-Length"), "304 head: validators, Age, no length");
		cu_free(rq);
		n = cache_hit_tail(o, T + 7, "sluice; hit; ttl=53", false, false, head, sizeof(head));
		head[n > 0 ? n : 0] = 0;
		is_str(head, "Age: 7\r\nCache-Status: sluice; hit; ttl=53\r\n\r\n", "hit tail: Age, Cache-Status, blank line");
		n = cache_hit_tail(o, T, "x", true, false, head, sizeof(head));
		head[n > 0 ? n : 0] = 0;
		ok(strstr(head, "Connection: close\r\n\r\n") != NULL, "hit tail: Connection: close");
		n = cache_hit_tail(o, T, "x", false, true, head, sizeof(head));
		head[n > 0 ? n : 0] = 0;
		ok(strstr(head, "Connection: keep-alive\r\n\r\n") != NULL, "hit tail: keep-alive for HTTP/1.0");
		is_int(cache_hit_tail(o, T, "x", false, false, head, 10), -ENOSPC, "hit tail: too small a buffer");
		n = cache_validators(o, head, sizeof(head));
		ok(n > 0 && strstr(head, "If-None-Match: \"v1\"\r\n") && strstr(head, "If-Modified-Since: "),
		   "validators for revalidation");
	}
	/* a 304 refreshes the stored headers, keeps the body */
	{
		char text[512];
		struct http_msg *r304;
		struct cache_obj *n;
		struct cache_chunk *body = o->body->first;

		cache_fmt_date(T + 100, date);
		snprintf(text, sizeof(text), "HTTP/1.1 304 Not Modified\r\nDate: %s\r\nCache-Control: max-age=120\r\n"
			 "X-New: 1\r\n\r\n", date);
		r304 = cu_resp(text);
		n = cache_update(S, o, r304, T + 100, T + 100);
		ok(n && n->body->first == body, "304: new object, same body");
		ok(n && strstr(n->head, "Cache-Control: max-age=120") && !strstr(n->head, "max-age=60") &&
		   strstr(n->head, "X-New: 1") && strstr(n->head, "ETag: \"v1\""), "304: headers replaced and added");
		is_int(look("/cond", NULL, T + 200, NULL), CACHE_HIT, "304: fresh again for the new max-age");
		cache_obj_put(n);
		cu_free(r304);
	}
	cache_obj_put(o);

	/* Vary */
	store_m("GET", "/v", "Accept-Language: en\r\n", 200, "Cache-Control: max-age=60\r\nVary: Accept-Language\r\n",
		10, T, NULL);
	store_m("GET", "/v", "Accept-Language: fr\r\n", 200, "Cache-Control: max-age=60\r\nVary: Accept-Language\r\n",
		20, T, NULL);
	look("/v", "Accept-Language: en\r\n", T, &o);
	ok(o && o->body->len == 10, "Vary: en variant");
	cache_obj_put(o);
	look("/v", "Accept-Language: fr\r\n", T, &o);
	ok(o && o->body->len == 20, "Vary: fr variant");
	cache_obj_put(o);
	is_int(look("/v", "Accept-Language: de\r\n", T, NULL), CACHE_VARY_MISS, "Vary: no de variant");
	is_int(look("/v", NULL, T, NULL), CACHE_VARY_MISS, "Vary: absent header is its own variant");

	/* invalidation and purge */
	store("/p/a", "Cache-Control: max-age=60\r\n", 10, T);
	store("/p/b", "Cache-Control: max-age=60\r\n", 10, T);
	store("/q", "Cache-Control: max-age=60\r\n", 10, T);
	{
		struct cache_key k;

		cache_key_make(&k, "http", "h", 1, "/v", 2);
		is_int(cache_invalidate(S, &k), 2, "invalidate drops every variant");
		cache_key_free(&k);
	}
	is_int(cache_purge(C, "http://h/q", false), 1, "purge by URL");
	is_int(look("/q", NULL, T, NULL), CACHE_MISS, "purged URL is a miss");
	is_int(cache_purge(C, "http://h/p/", true), 2, "purge by prefix");
	is_int(cache_purge(C, "/f", false), 1, "purge by path on any host");
	ok(cache_purge(C, "http://h", true) >= 5, "purge by a host prefix: the whole host");
	is_int(look("/cond", NULL, T, NULL), CACHE_MISS, "... /cond gone with it");
	is_int(cache_purge(C, "not a url", false), 0, "purge of something never stored: 0");

	/* collapsing */
	{
		struct cache_key k;
		struct cache_waiter w1 = { .wake = on_wake }, w2 = { .wake = on_wake }, w3 = { .wake = on_wake };

		cache_key_make(&k, "http", "h", 1, "/c", 2);
		is_int(cache_pending_begin(S, &k, NULL), 0, "first request leads");
		is_int(cache_pending_begin(S, &k, &w1), -EBUSY, "second waits");
		cache_pending_begin(S, &k, &w2);
		cache_pending_begin(S, &k, &w3);
		cache_pending_leave(S, &w2);
		cache_pending_end(S, &k, true);
		ok(woken == 2 && woken_stored == 2, "the end wakes the waiters still there (stored)");
		is_int(cache_pending_begin(S, &k, NULL), 0, "then the next one leads again");
		cache_pending_end(S, &k, false);
		cache_key_free(&k);
	}
	cache_free(C);

	/* across workers: a claim held by shard 0; shards 1 and 2 wait; ending it wakes each once */
	{
		struct cache *c3 = cache_new("w", 1 << 20, 64 << 10, 3);
		struct cache_shard *s0 = cache_shard(c3, 0), *s1 = cache_shard(c3, 1), *s2 = cache_shard(c3, 2);
		struct cache_key k;
		struct cache_stats cs;

		cache_set_waker(c3, record_wake, NULL);
		cache_key_make(&k, "http", "h", 1, "/w", 2);
		is_int(cache_pending_claim(s0, &k), 0, "claim: the first shard fetches");
		is_int(cache_pending_claim(s0, &k), 0, "claim again by its holder: still 0");
		is_int(cache_pending_claim(s1, &k), -EBUSY, "another shard: busy");
		cache_pending_claim(s1, &k);
		cache_pending_claim(s2, &k);
		ok(cache_pending_claimed(s1, &k) && !cache_pending_claimed(s0, &k), "claimed, seen from the others only");
		cache_pending_unclaim(s1, &k);
		ok(wakes == 0 && cache_pending_claimed(s1, &k), "only the holder's unclaim ends it");
		cache_pending_unclaim(s0, &k);
		ok(wakes == 2 && woke_mask == 6 && !cache_pending_claimed(s1, &k), "its end wakes shards 1 and 2, once each");
		cache_stats_get(c3, &cs);
		ok(cs.claim_waits == 3 && cs.claim_wakes == 2, "claim_waits 3, claim_wakes 2");
		is_int(cache_pending_claim(s2, &k), 0, "then another shard can claim it");
		cache_pending_unclaim(s2, &k);
		ok(wakes == 2, "a claim nobody waited on wakes nobody");
		cache_key_free(&k);
		cache_free(c3);
	}

	/* fills in progress hold budget: stored objects are evicted for them, and it is given back at their end */
	{
		struct cache_stats cs;
		struct cache_fill *f;
		char p[32];

		C = cache_new("f", 100 << 10, 200 << 10, 1);   /* a 100 KiB shard; objects up to 200 KiB allowed */
		S = cache_shard(C, 0);
		for (int i = 0; i < 40; i++) {
			snprintf(p, sizeof(p), "/f/%d", i);
			store(p, "Cache-Control: max-age=600\r\n", 2000, T);
		}
		cache_stats_get(C, &cs);
		ok(cs.bytes > 80000 && cs.filling == 0, "40 objects stored, nothing filling (%llu bytes)",
		   (unsigned long long)cs.bytes);
		f = begin("/big", "Content-Length: 50000\r\n", NULL);
		cache_stats_get(C, &cs);
		ok(f && cs.filling >= 50000 && cs.filling < 51000 && cs.bytes + cs.filling <= cs.capacity && cs.evictions > 0,
		   "a fill of known length holds it at once, evicting for it (filling %llu, bytes %llu, capacity %llu)",
		   (unsigned long long)cs.filling, (unsigned long long)cs.bytes, (unsigned long long)cs.capacity);
		ok(f && !append_n(f, 50000) && !cache_fill_finish(f), "... and is stored");
		cache_stats_get(C, &cs);
		ok(cs.filling == 0 && cs.bytes <= cs.capacity, "its hold given back for the object's own size (bytes %llu)",
		   (unsigned long long)cs.bytes);
		f = begin("/chunked", "Transfer-Encoding: chunked\r\n", NULL);
		cache_stats_get(C, &cs);
		ok(f && cs.filling > 0 && cs.filling < 200, "unknown length: the head held (%llu)", (unsigned long long)cs.filling);
		ok(f && !append_n(f, 70000), "70,000 bytes appended");
		cache_stats_get(C, &cs);
		ok(cs.filling >= 5 * 16384 && cs.filling < 5 * 16384 + 200 && cs.bytes + cs.filling <= cs.capacity,
		   "... each 16 KiB chunk held as it is allocated (filling %llu, bytes %llu)",
		   (unsigned long long)cs.filling, (unsigned long long)cs.bytes);
		ok(f && append_n(f, 40000), "past the whole budget: refused, like a too-large object");
		cache_fill_abort(f);
		cache_stats_get(C, &cs);
		is_int((int)cs.filling, 0, "an aborted fill gives its hold back");
		ok(!begin("/huge", "Content-Length: 150000\r\n", NULL), "a known length over the budget is not started");
		cache_stats_get(C, &cs);
		is_int((int)cs.filling, 0, "... and holds nothing");
		{
			struct cache_fill *a1 = begin("/a1", "Content-Length: 60000\r\n", NULL);
			struct cache_fill *a2 = begin("/a2", "Content-Length: 60000\r\n", NULL);

			cache_stats_get(C, &cs);
			ok(a1 && !a2 && cs.filling < 61000, "two fills that together pass the budget: the second is not started");
			is_str(why_begin("/a3", "Content-Length: 60000\r\n"), "no-room", "... Cache-Status detail=no-room");
			is_str(why_begin("/huge2", "Content-Length: 150000\r\n"), "too-large", "alone over the budget: too-large");
			cache_fill_abort(a1);
		}
		cache_free(C);
	}

	/* eviction: bounded by bytes, and a scan does not flush the hot set (S3-FIFO) */
	{
		int hot_left = 0, stored = 0;
		char p[32];

		C = cache_new("e", 200 * 1400, 64 << 10, 1);   /* room for ~200 objects of ~1.3 KiB */
		S = cache_shard(C, 0);
		for (int i = 0; i < 50; i++) {
			snprintf(p, sizeof(p), "/hot/%d", i);
			store(p, "Cache-Control: max-age=600\r\n", 1000, T);
		}
		for (int round = 0; round < 3; round++)
			for (int i = 0; i < 50; i++) {
				snprintf(p, sizeof(p), "/hot/%d", i);
				look(p, NULL, T, NULL);
			}
		for (int i = 0; i < 5000; i++) {   /* a scan: 25x the cache, each URL once */
			snprintf(p, sizeof(p), "/scan/%d", i);
			stored += !store(p, "Cache-Control: max-age=600\r\n", 1000, T);
			if (i % 100 == 0)   /* the hot set keeps being used during the scan */
				for (int j = 0; j < 50; j++) {
					snprintf(p, sizeof(p), "/hot/%d", j);
					look(p, NULL, T, NULL);
				}
		}
		for (int i = 0; i < 50; i++) {
			snprintf(p, sizeof(p), "/hot/%d", i);
			hot_left += look(p, NULL, T, NULL) == CACHE_HIT;
		}
		cache_stats_get(C, &st);
		is_int(stored, 5000, "every scanned object was stored");
		ok(st.bytes <= st.capacity, "bytes within the budget (%llu <= %llu)", (unsigned long long)st.bytes,
		   (unsigned long long)st.capacity);
		ok(st.evictions >= 4800, "evictions counted (%llu)", (unsigned long long)st.evictions);
		ok(hot_left == 50, "hot set survives a scan 25x the cache (%d/50)", hot_left);
		cache_free(C);
	}
	return done_testing();
}
