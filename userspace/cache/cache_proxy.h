/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The proxy's use of the cache: per-request state and the calls behind its hook table (l7/hooks.h). */
#ifndef SLUICE_CACHE_PROXY_H
#define SLUICE_CACHE_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"

struct cfg;
struct conn;
struct l7;
struct worker;

#define CACHE_WAIT_MS 5000   /* a collapsed request waits this long for the leader, then goes upstream itself */
#define CACHE_POLL_MS 20     /* how often a leader checks whether another worker's fetch of its key is done */
/* an unwanted rest of a body longer than this is not read: the upstream connection is closed instead */
#define CACHE_CUT_BYTES (256 * 1024)

/* One request's dealings with the cache: allocated when its listener has a cache, freed when it ends. */
struct req_cache {
	struct conn *conn;
	struct cache_shard *sh;
	struct cache_key key;
	struct cache_req rq;
	struct cache_obj *obj;       /* stored response being revalidated (or kept for stale-if-error) */
	struct cache_fill *fill;
	const char *log;             /* access log token: HIT, MISS, STALE, UPDATING, REVALIDATED, EXPIRED, BYPASS */
	int64_t req_time;
	bool leader;                 /* holds the collapsing lock of key */
	bool waiting;                /* collapsed behind another request */
	bool woken;                  /* ... and woken by its end */
	bool queued;                 /* on the worker's wake list */
	bool no_collapse;            /* woken without a stored response: go upstream directly */
	bool sink;                   /* the client has its answer: the upstream response only feeds the cache */
	bool refresh;                /* a stale-while-revalidate hit: fetch again in the background */
	bool unsafe;                 /* POST/PUT/DELETE/PATCH: invalidate on success */
	bool claimed;                /* the leader holds key's claim across workers (cache_pending_claim) */
	bool polling;                /* the leader found key claimed by another worker: polls until it is done */
	bool whole;                  /* a Range request sent upstream without its Range, so the response can be stored */
	bool head_get;               /* a HEAD sent upstream as a GET: the client gets the head, the body only fills */
	bool slice;                  /* ... and the client gets bytes [slice_first, slice_last] of it as a 206 */
	bool unsat;                  /* ... or got a 416: none of it */
	uint64_t slice_first, slice_last;
	uint64_t slice_off;          /* body bytes of the upstream response seen so far */
	uint64_t body_total;         /* its Content-Length (0: not known) */
	uint64_t poll_until;         /* worker ms: stop polling, fetch */
	struct cache_waiter wt;
	struct conn *wake_next;
	char status[120];            /* Cache-Status value */
	char hdr[136];               /* "Cache-Status: ...\r\n" for a forwarded response */
};

/*
 * cache_proxy_request() - the request head is routed: answer from the cache, wait for a collapsed fill, or say it must go
 * upstream. Returns 0 (forward it, after cache_proxy_prepare(); the client
 * may already have a stale answer), 1 (answered, c->req.resp_done, or
 * waiting: carry on parsing), -1 (an error was answered).
 */
int cache_proxy_request(struct worker *w, struct conn *c);

/* cache_proxy_refresh() - after a stale-while-revalidate hit and its upstream head: start the background fetch. */
void cache_proxy_refresh(struct worker *w, struct conn *c);

/* cache_proxy_prepare() - after cache_proxy_request() returned 0: edit the upstream head (validators). */
void cache_proxy_prepare(struct conn *c);

/* cache_proxy_bodyless() - does the upstream response to @c have no body (a HEAD that went upstream as HEAD)? */
bool cache_proxy_bodyless(const struct conn *c);

/*
 * cache_proxy_resp_head() - the final response head arrived. Returns true when
 * the client must not see it (answered from the cache, or given a head of the
 * cache's own: a 206 cut from a whole response).
 */
bool cache_proxy_resp_head(struct worker *w, struct conn *c, const struct http_msg *m);

/*
 * cache_proxy_resp_body() - body bytes of that response: they feed the fill.
 * Returns false when the client gets none of them, else true with *@at and
 * *@len narrowed to what it gets (its byte range).
 */
bool cache_proxy_resp_body(struct conn *c, const char **at, size_t *len);

/*
 * cache_proxy_rest_unwanted() - after body bytes: true when neither the client
 * (its range sent, a 416 sent, or it asked for the head only) nor the cache (nothing is
 * stored) wants the rest, and more than CACHE_CUT_BYTES of it would come.
 */
bool cache_proxy_rest_unwanted(const struct conn *c);

/* cache_proxy_resp_done() - the response ended: store it. */
void cache_proxy_resp_done(struct conn *c);

/* cache_proxy_error() - the upstream failed with @status: true if the cache answered instead (stale-if-error). */
bool cache_proxy_error(struct worker *w, struct conn *c, int status);

/*
 * cache_proxy_claims_ended() - another worker ended a claim one of @w's leaders
 * waits on: every waiting leader of @w looks at its claim now.
 */
void cache_proxy_claims_ended(struct worker *w);

/* cache_proxy_wait_timeout() - a collapsed request waited CACHE_WAIT_MS: send it upstream. */
void cache_proxy_wait_timeout(struct worker *w, struct conn *c);

/* cache_proxy_release() - the request ends (or its connection): abort fills, wake waiters, drop references. */
void cache_proxy_release(struct worker *w, struct conn *c);

/* cache_proxy_run() - requests woken by a finished fill: look them up again. Called by the loop. */
void cache_proxy_run(struct worker *w);

/*
 * cache_hooks_register() - plug the cache into the proxy (l7/hooks.h): listeners
 * with `cache:` attach it. Once, before the tier starts, after
 * forward_hooks_register(). 0, or -ENOSPC.
 */
int cache_hooks_register(void);

/* cache_l7_sync() - create or resize the configured caches and point listener slots at them (l7's lock held). 0 or -ENOMEM. */
int cache_l7_sync(struct l7 *l7, const struct cfg *cfg);

/* cache_l7_free() - the tier stops: free every cache. */
void cache_l7_free(struct l7 *l7);

#endif
