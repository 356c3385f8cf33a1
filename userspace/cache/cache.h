/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The HTTP cache (RFC 9111, shared cache): keys, lookup, fill, validation, invalidation, purge, stats. */
#ifndef SLUICE_CACHE_H
#define SLUICE_CACHE_H

/*
 * One configured cache (`l7.caches[]`) is a struct cache made of one shard per
 * L7 worker thread; the memory budget is split evenly between the shards. A
 * worker only ever touches its own shard, so the shard's mutex is uncontended
 * on the hit path; the admin thread takes it to purge or read stats. Stored
 * responses (struct cache_obj) are immutable and reference counted: a hit
 * takes a reference and sends the prebuilt head and body chunks as iovecs,
 * and a purge or eviction while that send is in flight only drops the index's
 * reference. Nothing here knows about connections or routes: the reverse
 * proxy (cache_proxy.c) and the forward proxy drive it through this header.
 *
 * Times are wall-clock seconds since the epoch (they are compared with Date).
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_msg.h"

/* ---- Cache-Control (cache_control.c) ---- */

enum cache_cc_flag {
	CC_NO_STORE = 1 << 0,
	CC_NO_CACHE = 1 << 1,          /* qualified no-cache="x" is treated as unqualified */
	CC_PRIVATE = 1 << 2,           /* qualified private="x" too: a shared cache stores neither */
	CC_PUBLIC = 1 << 3,
	CC_MUST_REVALIDATE = 1 << 4,
	CC_PROXY_REVALIDATE = 1 << 5,
	CC_ONLY_IF_CACHED = 1 << 6,
	CC_MAX_STALE_ANY = 1 << 7,     /* max-stale without a value */
	CC_IMMUTABLE = 1 << 8,
	CC_NO_TRANSFORM = 1 << 9,
};

/* Parsed Cache-Control directives; a delta-seconds is -1 when absent. */
struct cache_cc {
	uint32_t flags;
	int64_t max_age, s_maxage, max_stale, min_fresh;
	int64_t swr, sie;              /* stale-while-revalidate, stale-if-error (RFC 5861) */
};

/* cache_cc_init() - no directives. */
void cache_cc_init(struct cache_cc *cc);

/* cache_cc_parse() - add the directives of one Cache-Control value to @cc. Unknown ones are ignored. */
void cache_cc_parse(struct cache_cc *cc, const char *v, size_t len);

/*
 * cache_cc_from_msg() - every Cache-Control line of @m; for a request with no
 * Cache-Control, `Pragma: no-cache` counts as no-cache (RFC 9111 5.4).
 */
void cache_cc_from_msg(struct cache_cc *cc, const struct http_msg *m, bool request);

/* ---- times and freshness (cache_fresh.c) ---- */

/* cache_http_date() - an HTTP-date (IMF-fixdate, RFC 850 or asctime) in seconds, or -1 if invalid. */
int64_t cache_http_date(const char *s, size_t len);

/* cache_fmt_date() - @t as an IMF-fixdate (29 bytes) into @out (>= 30 bytes, NUL-terminated). */
void cache_fmt_date(int64_t t, char *out);

#define CACHE_HEURISTIC_MAX 86400      /* heuristic freshness: 10% of (Date - Last-Modified), at most a day */

/* What a response says about its own freshness, as stored. */
struct cache_times {
	int64_t request_time;          /* when the request went upstream */
	int64_t response_time;         /* when the response head came back */
	int64_t date;                  /* Date, or response_time if absent/invalid */
	int64_t age_value;             /* Age, 0 if absent */
	int64_t expires;               /* -1 absent; invalid counts as already expired (0) */
	int64_t last_modified;         /* -1 absent */
};

/*
 * cache_freshness_lifetime() - RFC 9111 4.2.1 for a shared cache: s-maxage,
 * then max-age, then Expires - Date, then (for a heuristically cacheable
 * @status, or a public response, with Last-Modified and none of those) 10% of Date - Last-Modified,
 * capped at CACHE_HEURISTIC_MAX. Returns seconds (0: stale at once); sets
 * *@heuristic when the heuristic was used.
 */
int64_t cache_freshness_lifetime(const struct cache_cc *cc, const struct cache_times *t, int status, bool *heuristic);

/* cache_initial_age() - corrected_initial_age of RFC 9111 4.2.3. */
int64_t cache_initial_age(const struct cache_times *t);

/* cache_status_heuristic() - may @status be stored without explicit freshness (RFC 9110 15.1)? */
bool cache_status_heuristic(int status);

/* ---- keys and Vary (cache_key.c) ---- */

/* A primary key: "scheme://host[:port]/path?query", host lower-cased, a default port dropped. */
struct cache_key {
	char *buf;                     /* heap, NUL-terminated; cache_key_free() */
	uint32_t len;
	uint64_t hash;
};

/*
 * cache_key_make() - the key of a request for @scheme ("http") on @host (the
 * Host header or the authority of an absolute-form target) and @target (the
 * origin-form path and query; an absolute-form target is reduced to its path).
 * Returns 0, -EINVAL (no host) or -ENOMEM.
 */
int cache_key_make(struct cache_key *k, const char *scheme, const char *host, size_t host_len,
		   const char *target, size_t target_len);

/* cache_key_from_url() - the key of a URL as an operator writes it ("http://h/p", "h/p"). 0 or -errno. */
int cache_key_from_url(struct cache_key *k, const char *url);

void cache_key_free(struct cache_key *k);

/*
 * cache_vary_names() - the normalised Vary list of a response: lower-case
 * names, sorted, comma-joined, into @out. Returns its length, 0 for no Vary,
 * -1 for `Vary: *` (never stored), -ENOSPC.
 */
long cache_vary_names(const struct http_msg *resp, char *out, size_t cap);

/*
 * cache_vary_values() - the selecting values of @req for comma-joined @names:
 * for each name, "\x01" if absent, else its lines joined with "," and
 * whitespace around list commas removed (accept-encoding lower-cased), each
 * followed by "\n". Returns its length or -ENOSPC.
 */
long cache_vary_values(const struct http_msg *req, const char *names, char *out, size_t cap);

/* ---- a request as the cache sees it (cache.c) ---- */

struct cache_req {
	struct cache_cc cc;
	bool method_ok;                /* GET or HEAD, without a body */
	bool is_head;
	bool has_auth;                 /* Authorization present (RFC 9111 3.5) */
	const char *inm;               /* If-None-Match value, or NULL */
	size_t inm_len;
	int64_t ims;                   /* If-Modified-Since, -1 absent */
	const char *range;             /* Range value (GET only), or NULL */
	size_t range_len;
	const char *if_range;          /* If-Range value, or NULL */
	size_t if_range_len;
};

/* cache_req_init() - what @req asks of the cache. @has_body: the request carries a body. */
void cache_req_init(struct cache_req *r, const struct http_msg *req, bool has_body);

/* ---- the store (cache_store.c) ---- */

struct cache;
struct cache_shard;

/* A piece of a stored body. */
struct cache_chunk {
	struct cache_chunk *next;
	uint32_t len, cap;
	char data[];
};

/* The body, shared by an object and its 304-updated successor. */
struct cache_body {
	_Atomic int refs;
	struct cache_chunk *first, *last;
	uint64_t len;
};

/* A stored response: immutable once in the index, freed with its last reference. */
struct cache_obj {
	_Atomic int refs;
	struct cache_obj *hnext;       /* index chain (shard lock) */
	struct cache_obj *qprev, *qnext;   /* S3-FIFO queue (shard lock) */
	uint8_t queue;                 /* 0 none, 1 small, 2 main */
	uint8_t freq;                  /* hits since insert or last pass, capped at 3 */
	struct cache_key key;
	char *vary_names;              /* "" when the response had no Vary */
	char *vary_vals;
	int status;
	char *head;                    /* status line and headers, Content-Length included, no final CRLF */
	uint32_t head_len;
	struct cache_body *body;
	struct cache_times t;
	int64_t lifetime;              /* freshness lifetime, seconds */
	int64_t initial_age;           /* corrected_initial_age */
	struct cache_cc cc;            /* the response's directives */
	char *etag;                    /* validators, or NULL */
	char *last_modified;
	bool auth_ok;                  /* may answer a request with Authorization */
	uint64_t size;                 /* bytes charged to the shard */
};

/* Counters of one cache (summed over shards). */
struct cache_stats {
	uint64_t entries, bytes, capacity;
	uint64_t filling;          /* bytes held by fills in progress, counted against capacity */
	uint64_t hits, misses, stale, revalidations, stores, evictions, purged, invalidations;
	uint64_t claim_waits;      /* misses that found another worker fetching the key */
	uint64_t claim_wakes;      /* workers woken when a claim they waited on ended */
};

/*
 * cache_new() - a cache of @memory bytes split over @n_shards shards, storing
 * objects up to @max_object bytes (head and body). Returns NULL with errno set.
 */
struct cache *cache_new(const char *name, uint64_t memory, uint64_t max_object, unsigned int n_shards);

/* cache_free() - free the cache; objects still referenced by sends are freed with their last reference. */
void cache_free(struct cache *c);

/* cache_set_limits() - a reload changed the budget: evict down to it now. */
void cache_set_limits(struct cache *c, uint64_t memory, uint64_t max_object);

const char *cache_name(const struct cache *c);

/*
 * cache_shard() - the shard of worker @worker, or NULL for a worker beyond the
 * shard count (workers started later with a larger `workers:`): it bypasses
 * the cache rather than share another worker's shard.
 */
struct cache_shard *cache_shard(struct cache *c, unsigned int worker);

static inline void cache_obj_get(struct cache_obj *o)
{
	atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
}

/* cache_obj_put() - drop a reference; the last one frees the object (and its body with its last user). */
void cache_obj_put(struct cache_obj *o);

/* cache_obj_release() - cache_obj_put() for a queued reference (outq_push_ref()'s release). */
void cache_obj_release(void *o);

/* cache_current_age() - the Age to send for @o at @now. */
int64_t cache_current_age(const struct cache_obj *o, int64_t now);

enum cache_verdict {
	CACHE_MISS = 0,                /* nothing stored for this request: forward */
	CACHE_VARY_MISS,               /* the URI is stored, not this variant (or none may answer an authorised request): forward */
	CACHE_HIT,                     /* usable as is: serve */
	CACHE_HIT_STALE,               /* stale, allowed by max-stale: serve */
	CACHE_STALE_SWR,               /* stale within stale-while-revalidate: serve, refresh in the background */
	CACHE_STALE,                   /* must be validated first: forward conditionally; @obj for 304 / stale-if-error */
};

/*
 * cache_lookup() - find the response stored for @k that matches @req's Vary
 * selecting headers, and judge it against @r's directives at @now. For every
 * verdict but the misses *@obj holds a reference (cache_obj_put it). Counts
 * hits, misses and stale in the shard's stats.
 */
enum cache_verdict cache_lookup(struct cache_shard *s, const struct cache_key *k, const struct http_msg *req,
				const struct cache_req *r, int64_t now, struct cache_obj **obj);

/*
 * cache_lookup_any() - cache_lookup() in @s, and on a miss in the other
 * shards, whose fresh copy is as good (objects are immutable, their reference
 * counts atomic). Only a hit is taken from another shard. Misses only pay the
 * other shards' (uncontended) locks; a hit in @s never does.
 */
enum cache_verdict cache_lookup_any(struct cache_shard *s, const struct cache_key *k, const struct http_msg *req,
				    const struct cache_req *r, int64_t now, struct cache_obj **obj);

/* cache_stale_if_error() - may stale @o answer @r because the origin failed (stale-if-error)? */
bool cache_stale_if_error(const struct cache_obj *o, const struct cache_req *r, int64_t now);

/* ---- request collapsing (cache_pending.c) ---- */

/* A request waiting for another one's fill; embedded by the caller. */
struct cache_waiter {
	struct cache_waiter *next, **pprev;
	void (*wake)(struct cache_waiter *wt, bool stored);   /* unlinked before it is called */
};

/*
 * cache_pending_begin() - become the one request that fetches @k. Returns 0
 * (the caller leads: call cache_pending_end() when its response is stored or
 * not), or -EBUSY (another request leads: @wt, if given, is queued and woken by
 * that end; it may also give up with cache_pending_leave()).
 */
int cache_pending_begin(struct cache_shard *s, const struct cache_key *k, struct cache_waiter *wt);

/* cache_pending_end() - the leader is done: wake every waiter (@stored: a response was stored). */
void cache_pending_end(struct cache_shard *s, const struct cache_key *k, bool stored);

/* cache_pending_leave() - a waiter gives up (timeout, closed). Safe if already woken. */
void cache_pending_leave(struct cache_shard *s, struct cache_waiter *wt);

/*
 * Across workers. A worker's leader claims @k for the whole cache before it
 * fetches; a leader on another worker that finds it claimed does not fetch:
 * it waits until cache_pending_claimed() says the claim ended, then looks @k
 * up in every shard (cache_lookup_any()). Its thread cannot be woken
 * directly: the claim records the shard, and unclaiming calls the cache's
 * waker (cache_set_waker()) with that shard's index, so its worker looks at
 * once; without a waker it polls.
 * cache_pending_claim(): 0 (claimed), -EBUSY (another shard holds it), -ENOMEM.
 */
int cache_pending_claim(struct cache_shard *s, const struct cache_key *k);
/* cache_pending_unclaim() - drop @s's claim on @k (after the response was stored, or not). */
void cache_pending_unclaim(struct cache_shard *s, const struct cache_key *k);
/* cache_pending_claimed() - is @k still claimed by a shard other than @s? */
bool cache_pending_claimed(struct cache_shard *s, const struct cache_key *k);
/* cache_set_waker() - @wake(@arg, shard index) tells that shard's worker a claim it waits on ended (any thread). */
void cache_set_waker(struct cache *c, void (*wake)(void *arg, unsigned int shard), void *arg);

/* ---- fill: store a response while it streams to the client (cache_fill.c) ---- */

struct cache_fill;

/*
 * cache_fill_begin() - start storing @resp (the upstream's answer to @req) under
 * @k, if RFC 9111 allows it: method, status, no-store, private, Authorization,
 * Vary: *, Set-Cookie, size. @request_time / @response_time: wall seconds.
 * Returns the fill, or NULL with *@why set to a short reason ("no-store", ...).
 */
struct cache_fill *cache_fill_begin(struct cache_shard *s, const struct cache_key *k, const struct http_msg *req,
				    const struct cache_req *r, const struct http_msg *resp,
				    int64_t request_time, int64_t response_time, const char **why);

/* cache_fill_append() - body bytes (decoded), copied once. 0, or -EFBIG past max_object (abort it). */
int cache_fill_append(struct cache_fill *f, const char *data, size_t len);

/* cache_fill_finish() - the body is complete: insert, replacing the same variant. 0 or -errno (fill freed). */
int cache_fill_finish(struct cache_fill *f);

/* cache_fill_abort() - drop a fill (upstream failed, too large, client gone). */
void cache_fill_abort(struct cache_fill *f);

/*
 * cache_head_obj() - an object holding only @resp's head (status, validators,
 * times, stored lines), never stored: for a head of our own (a 206 cut from a
 * response the cache does not keep). cache_obj_put() frees it. NULL without memory.
 */
struct cache_obj *cache_head_obj(const struct http_msg *resp, int64_t request_time, int64_t response_time);

/* cache_fill_obj() - the object being filled: its head, validators and times are final, its body is not. */
const struct cache_obj *cache_fill_obj(const struct cache_fill *f);

/* ---- validation (cache_fill.c), invalidation, purge (cache_store.c) ---- */

/* cache_validators() - "If-None-Match: ...\r\nIf-Modified-Since: ...\r\n" for @o into @out. Length (0: none). */
size_t cache_validators(const struct cache_obj *o, char *out, size_t cap);

/*
 * cache_update() - a 304 answered the validation of @o: a new object with the
 * stored headers updated from @resp304 and the same body replaces @o in the
 * index. Returns it with a reference, or NULL (errno) leaving @o as it was.
 */
struct cache_obj *cache_update(struct cache_shard *s, struct cache_obj *o, const struct http_msg *resp304,
			       int64_t request_time, int64_t response_time);

/* cache_invalidate() - drop every variant stored for @k in every shard of @s's cache (after an unsafe request). Returns how many. */
int cache_invalidate(struct cache_shard *s, const struct cache_key *k);

/*
 * cache_purge() - from any thread: drop @url's entries (@prefix: every key
 * starting with it) in every shard. Returns how many were dropped.
 */
int cache_purge(struct cache *c, const char *url, bool prefix);

void cache_stats_get(struct cache *c, struct cache_stats *out);

/* ---- serving (cache.c) ---- */

/* cache_not_modified() - does @r's conditional (If-None-Match, else If-Modified-Since) match @o? */
bool cache_not_modified(const struct cache_obj *o, const struct cache_req *r);

/*
 * cache_hit_tail() - the end of a hit's head: Age, Cache-Status, Connection and
 * the blank line, into @out. Send @o->head, this, then the body chunks.
 * Returns its length or -ENOSPC.
 */
long cache_hit_tail(const struct cache_obj *o, int64_t now, const char *cache_status, bool close, bool http10,
		    char *out, size_t cap);

/* cache_fmt_i64() - @v in decimal into @out (>= 21 bytes, not terminated). Returns its length. */
size_t cache_fmt_i64(char *out, int64_t v);

/* cache_304_head() - a complete 304 head for @o (RFC 9110 15.4.5 fields). Length or -ENOSPC. */
long cache_304_head(const struct cache_obj *o, int64_t now, const char *cache_status, bool close, bool http10,
		    char *out, size_t cap);

/* ---- byte ranges of a hit (cache_range.c; the heads in cache.c) ---- */

enum cache_range {
	CACHE_RANGE_NONE,    /* the whole response: no Range, another unit, several ranges, invalid, If-Range changed */
	CACHE_RANGE_OK,      /* one satisfiable range: 206 */
	CACHE_RANGE_UNSAT,   /* no byte of it exists: 416 */
};

/*
 * cache_range_pick() - the byte range @r's Range (and If-Range) selects in
 * @o, a stored 200 whose body is @len bytes: [*first, *last] when
 * CACHE_RANGE_OK. Only one range is served; a request for several gets the
 * whole response, as RFC 9110 14.2 allows.
 */
enum cache_range cache_range_pick(const struct cache_req *r, const struct cache_obj *o, uint64_t len,
				  uint64_t *first, uint64_t *last);

/*
 * cache_range_head() - the complete head of a 206 for [@first, @last] of
 * @total bytes (the stored fields, Content-Range, Content-Length, the hit
 * tail), or of a 416 (@ok false: Content-Range "bytes *\/total", no body).
 * Length or -ENOSPC.
 */
long cache_range_head(const struct cache_obj *o, bool ok, uint64_t first, uint64_t last, uint64_t total,
		      int64_t now, const char *cache_status, bool close, bool http10, char *out, size_t cap);

/* cache_unsafe_method() - does a successful @method invalidate (POST, PUT, DELETE, PATCH)? */
bool cache_unsafe_method(uint8_t method);

#endif
