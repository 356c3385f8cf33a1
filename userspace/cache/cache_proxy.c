// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The reverse proxy's cache glue: serve hits, collapse misses, revalidate, fill while streaming, invalidate. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cache/cache_proxy.h"
#include "l7/accesslog.h"
#include "l7/hooks.h"
#include "l7/proxy.h"
#include "lib/clock.h"
#include "lib/log.h"

static unsigned int cache_slot;   /* ours in req.hook_data (cache_hooks_register()) */

/* req_cache() - @c's dealings with the cache, NULL when its request has none. */
static inline struct req_cache *req_cache(const struct conn *c)
{
	return c->req.hook_data[cache_slot];
}

static void set_status(struct req_cache *rc, const char *log, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* set_status() - the access log token and the Cache-Status value ("sluice; " + @fmt). */
static void set_status(struct req_cache *rc, const char *log, const char *fmt, ...)
{
	va_list ap;

	rc->log = log;
	memcpy(rc->status, "sluice; ", 8);
	va_start(ap, fmt);
	vsnprintf(rc->status + 8, sizeof(rc->status) - 8, fmt, ap);
	va_end(ap);
}

/* set_hit_status() - "sluice; hit; ttl=N[; collapsed]" without printf: it is on every hit. */
static void set_hit_status(struct req_cache *rc, const char *log, int64_t ttl, bool collapsed)
{
	size_t n = sizeof("sluice; hit; ttl=") - 1;

	rc->log = log;
	memcpy(rc->status, "sluice; hit; ttl=", n);
	n += cache_fmt_i64(rc->status + n, ttl);
	if (collapsed) {
		memcpy(rc->status + n, "; collapsed", 11);
		n += 11;
	}
	rc->status[n] = 0;
}

static void end_pending(struct req_cache *rc, bool stored)
{
	if (rc->claimed) {   /* stored by now: other workers polling the claim look it up */
		rc->claimed = false;
		cache_pending_unclaim(rc->sh, &rc->key);
	}
	if (!rc->leader)
		return;
	rc->leader = false;
	cache_pending_end(rc->sh, &rc->key, stored);
}

static bool client_close(struct worker *w, struct conn *c)
{
	return !llhttp_should_keep_alive(&c->msg->p) || w->stopping || w->l7->ls[c->listener].removed ||
	       c->req.close_after;
}

/* push_range() - the body bytes [@first, @last] as segments pointing into @b's chunks. 0 or -ENOMEM. */
static int push_range(struct outq *q, const struct cache_body *b, uint64_t first, uint64_t last)
{
	uint64_t off = 0;

	for (struct cache_chunk *ch = b->first; ch && off <= last; off += ch->len, ch = ch->next) {
		uint64_t s = first > off ? first - off : 0, e = last + 1 - off;

		if (first >= off + ch->len)
			continue;
		if (e > ch->len)
			e = ch->len;
		if (outq_push(q, SEG_STATIC, ch->data + s, (uint32_t)(e - s), 0))
			return -ENOMEM;
	}
	return 0;
}

/*
 * serve() - answer from @o: its prebuilt head, an Age / Cache-Status tail and
 * its body chunks, all by reference (one SEG_REF segment holds the object
 * until the send is done). A matching conditional request gets a 304, a
 * Range request a 206 (or 416) with a head of its own.
 * @done: nothing more comes from upstream for this request (else its end does).
 */
static int serve(struct worker *w, struct conn *c, struct cache_obj *o, bool done)
{
	struct req_cache *rc = req_cache(c);
	bool close = client_close(w, c);
	int64_t now = clock_wall_s();
	bool nm = (rc->rq.inm || rc->rq.ims >= 0) && cache_not_modified(o, &rc->rq);
	uint64_t first = 0, last = 0;
	enum cache_range rk = nm ? CACHE_RANGE_NONE : cache_range_pick(&rc->rq, o, o->body->len, &first, &last);
	size_t cap = nm || rk ? o->head_len + 512 : 512;   /* a plain hit's own bytes: only the tail */
	struct outq *q = &c->out;
	char *head = malloc(cap);
	long n;

	if (!head)
		return -ENOMEM;
	if (nm)
		n = cache_304_head(o, now, rc->status, close, c->req.http10, head, cap);
	else if (rk)
		n = cache_range_head(o, rk == CACHE_RANGE_OK, first, last, o->body->len, now, rc->status, close,
				     c->req.http10, head, cap);
	else
		n = cache_hit_tail(o, now, rc->status, close, c->req.http10, head, cap);
	if (n < 0) {
		free(head);
		return -ENOMEM;
	}
	/*
	 * From the first segment on, a failure (out of memory) cuts the connection
	 * (resp_head_sent) and keeps the reference: queued segments point into @o.
	 */
	cache_obj_get(o);
	c->req.resp_head_sent = true;
	if (nm || rk) {
		/* a head of its own: 304, 206 or 416 */
		if (outq_push(q, SEG_HEAP, head, (uint32_t)n, 0))
			goto err_free;
		c->req.status = nm ? 304 : rk == CACHE_RANGE_OK ? 206 : 416;
		c->req.bytes_out += (uint64_t)n;
		if (rk == CACHE_RANGE_OK) {
			if (push_range(q, o->body, first, last))
				return -ENOMEM;
			c->req.bytes_out += last - first + 1;
		}
	} else {
		if (outq_push(q, SEG_STATIC, o->head, o->head_len, 0))
			goto err_free;
		if (outq_push(q, SEG_HEAP, head, (uint32_t)n, 0))
			goto err_free;
		c->req.status = o->status;
		c->req.bytes_out += o->head_len + (uint64_t)n;
		if (!rc->rq.is_head) {
			for (struct cache_chunk *ch = o->body->first; ch; ch = ch->next)
				if (outq_push(q, SEG_STATIC, ch->data, ch->len, 0))
					return -ENOMEM;
			c->req.bytes_out += o->body->len;
		}
	}
	if (outq_push_ref(q, o, cache_obj_release))
		return -ENOMEM;
	c->req.close_after |= close;
	c->req.resp_done |= done;
	conn_send(w, c);
	return 0;

err_free:
	free(head);
	return -ENOMEM;
}

/* serve_304() - a 304 built from @o's head (a copy: nothing stays pointing into @o). 0 or -ENOMEM. */
static int serve_304(struct worker *w, struct conn *c, const struct cache_obj *o)
{
	struct req_cache *rc = req_cache(c);
	bool close = client_close(w, c);
	size_t cap = o->head_len + 512;
	char *head = malloc(cap);
	long n;

	if (!head)
		return -ENOMEM;
	n = cache_304_head(o, clock_wall_s(), rc->status, close, c->req.http10, head, cap);
	if (n < 0 || outq_push(&c->out, SEG_HEAP, head, (uint32_t)n, 0)) {
		free(head);
		return -ENOMEM;
	}
	c->req.status = 304;
	c->req.bytes_out += (uint64_t)n;
	c->req.close_after |= close;
	c->req.resp_head_sent = true;
	conn_send(w, c);
	return 0;
}

/* ---- the upstream request head ---- */

static const char *const conditional_lines[] = { "if-none-match:", "if-modified-since:", NULL };
static const char *const range_lines[] = { "range:", "if-range:", NULL };

/* named() - does the header line at @p start with one of @names (lowercase, colon included)? */
static bool named(const char *p, const char *const *names)
{
	for (; *names; names++)
		if (!strncasecmp(p, *names, strlen(*names)))
			return true;
	return false;
}

/* fwd_strip() - drop the client's header lines named in @names from the head sent upstream. */
static void fwd_strip(struct conn *c, const char *const *names)
{
	char *h = c->req.up_head, *p, *end = h + c->req.up_len;

	p = memchr(h, '\n', c->req.up_len);
	while (p && ++p < end) {
		char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			break;
		if (named(p, names)) {
			memmove(p, eol + 1, (size_t)(end - eol - 1));
			end -= eol + 1 - p;
			c->req.up_len -= (size_t)(eol + 1 - p);
			p--;
			continue;
		}
		p = eol;
	}
}

/* fwd_add() - insert header lines before the head's final CRLF. 0 or -ENOMEM. */
static int fwd_add(struct conn *c, const char *lines, size_t n)
{
	char *h = realloc(c->req.up_head, c->req.up_len + n);

	if (!h)
		return -ENOMEM;
	c->req.up_head = h;
	memmove(h + c->req.up_len - 2 + n, h + c->req.up_len - 2, 2);
	memcpy(h + c->req.up_len - 2, lines, n);
	c->req.up_len += n;
	return 0;
}

/* may_store() - a cacheable method, not an unsafe one, and the request allows storing what comes back. */
static bool may_store(const struct req_cache *rc)
{
	return rc->rq.method_ok && !rc->unsafe && !(rc->rq.cc.flags & CC_NO_STORE);
}

/*
 * whole_for_range() - a GET with a Range whose response may be stored: it goes
 * upstream whole (as nginx's proxy_cache does), so a range miss fills the
 * cache and later ranges are hits; the client's range is cut on the way.
 */
static bool whole_for_range(const struct req_cache *rc)
{
	return rc->rq.range && !rc->rq.is_head && may_store(rc);
}

/*
 * head_as_get() - a HEAD that goes upstream is sent as a GET (nginx's
 * proxy_cache_convert_head), so its response can be stored for the GETs and
 * HEADs after it; unless the request says no-store.
 */
static bool head_as_get(const struct req_cache *rc)
{
	return rc->rq.is_head && may_store(rc);
}

/* up_head_to_get() - the upstream request line's HEAD becomes GET. */
static void up_head_to_get(struct conn *c)
{
	char *h = c->req.up_head;

	if (c->req.up_len < 5 || memcmp(h, "HEAD ", 5))
		return;
	memmove(h + 3, h + 4, c->req.up_len - 4);
	memcpy(h, "GET", 3);
	c->req.up_len--;
}

bool cache_proxy_bodyless(const struct conn *c)
{
	return c->req.is_head && !(req_cache(c) && req_cache(c)->head_get);
}

/* cache_proxy_prepare() - revalidation asks with our validators; a leading miss (or a range) asks for the whole response. */
void cache_proxy_prepare(struct conn *c)
{
	struct req_cache *rc = req_cache(c);
	char v[1024];
	size_t n;

	if (!rc)
		return;
	if (rc->obj) {
		n = cache_validators(rc->obj, v, sizeof(v));
		if (n) {
			fwd_strip(c, conditional_lines);
			fwd_add(c, v, n);
		}
	} else if (rc->leader && (rc->rq.inm || rc->rq.ims >= 0)) {
		fwd_strip(c, conditional_lines);
	}
	if (whole_for_range(rc)) {
		fwd_strip(c, range_lines);
		rc->whole = true;
	}
	if (head_as_get(rc) && !rc->head_get) {
		up_head_to_get(c);
		fwd_strip(c, range_lines);   /* HEAD ignores Range: the whole GET is what gets stored */
		rc->head_get = true;
	}
}

/* ---- request ---- */

/* queue_wake() - @c decides again on @w's next loop pass (cache_proxy_run()). */
static void queue_wake(struct worker *w, struct conn *c)
{
	struct req_cache *rc = req_cache(c);

	rc->woken = true;
	rc->queued = true;
	rc->wake_next = w->cache_wake;
	w->cache_wake = c;
}

static void on_wake(struct cache_waiter *wt, bool stored)
{
	struct req_cache *rc = (struct req_cache *)((char *)wt - offsetof(struct req_cache, wt));

	rc->waiting = false;
	rc->no_collapse = !stored;
	queue_wake(rc->conn->w, rc->conn);
}

/* decide() - look the request up and act. Same returns as cache_proxy_request(). */
static int decide(struct worker *w, struct conn *c)
{
	struct req_cache *rc = req_cache(c);
	int64_t now = clock_wall_s();
	struct cache_obj *o;
	enum cache_verdict v;
	int64_t ttl;

	v = cache_lookup_any(rc->sh, &rc->key, c->msg, &rc->rq, now, &o);
	ttl = o ? o->lifetime - cache_current_age(o, now) : 0;
	switch (v) {
	case CACHE_HIT:
	case CACHE_HIT_STALE:
		set_hit_status(rc, v == CACHE_HIT ? "HIT" : "STALE", ttl, rc->woken);
		if (serve(w, c, o, true)) {
			cache_obj_put(o);
			proxy_fail(w, c, 500);
			return -1;
		}
		cache_obj_put(o);
		return 1;
	case CACHE_STALE_SWR:
		set_status(rc, "UPDATING", "hit; ttl=%lld; detail=stale-while-revalidate", (long long)ttl);
		if (serve(w, c, o, true)) {
			cache_obj_put(o);
			proxy_fail(w, c, 500);
			return -1;
		}
		if (cache_pending_begin(rc->sh, &rc->key, NULL)) {
			cache_obj_put(o);   /* a refresh is already under way */
			return 1;
		}
		/* cache_proxy_refresh() sends the refresh once the upstream head is built */
		rc->leader = true;
		rc->refresh = true;
		rc->obj = o;
		return 1;
	case CACHE_STALE:
		if (rc->rq.cc.flags & CC_ONLY_IF_CACHED) {
			cache_obj_put(o);
			break;
		}
		rc->obj = o;
		set_status(rc, "EXPIRED", "fwd=stale");
		goto forward;
	default:
		if (rc->rq.cc.flags & CC_ONLY_IF_CACHED)
			break;
		set_status(rc, "MISS", v == CACHE_VARY_MISS ? "fwd=vary-miss" : "fwd=miss");
		goto forward;
	}
	set_status(rc, "MISS", "fwd=miss; detail=only-if-cached");
	proxy_fail(w, c, 504);
	return -1;

forward:
	/*
	 * collapse concurrent fetches of one key; a no-cache request, or a HEAD or
	 * Range request that goes upstream as it is (its response is not stored), goes on its own
	 */
	if (!rc->no_collapse && (!rc->rq.is_head || head_as_get(rc)) && (!rc->rq.range || whole_for_range(rc)) &&
	    !(rc->rq.cc.flags & CC_NO_CACHE)) {
		rc->wt.wake = on_wake;
		int err = cache_pending_begin(rc->sh, &rc->key, &rc->wt);

		if (err == -EBUSY) {
			rc->waiting = true;
			cache_obj_put(rc->obj);
			rc->obj = NULL;
			conn_timer(w, c, TMR_CACHE_WAIT, CACHE_WAIT_MS);
			return 1;
		}
		rc->leader = !err;
		if (rc->leader) {
			err = cache_pending_claim(rc->sh, &rc->key);
			if (err == -EBUSY) {
				/*
				 * Another worker fetches it. Its thread cannot wake ours, so
				 * this leader (its own worker's waiters stay behind it) polls
				 * the claim, then looks again in every shard.
				 */
				rc->polling = true;
				rc->poll_until = w->now_ms + CACHE_WAIT_MS;
				cache_obj_put(rc->obj);
				rc->obj = NULL;
				conn_timer(w, c, TMR_CACHE_WAIT, CACHE_POLL_MS);
				return 1;
			}
			rc->claimed = !err;
		}
	}
	return 0;
}

int cache_proxy_request(struct worker *w, struct conn *c)
{
	struct cache *cache = atomic_load_explicit(&w->l7->ls[c->listener].cache, memory_order_acquire);
	struct req_cache *rc = req_cache(c);
	struct http_msg *m = c->msg;
	const char *host;
	size_t host_len;
	int hi;

	if (!cache || c->req.upgrade || !cache_shard(cache, w->id))
		return 0;
	/* per request, not per connection: an idle keep-alive client holds none */
	rc = calloc(1, sizeof(*rc));
	if (!rc)
		return 0;
	hi = http_find(m, "host");
	host = hi >= 0 ? http_value(m, hi) : NULL;
	host_len = hi >= 0 ? m->hdr[hi].value_len : 0;
	proxy_target_host(c, &host, &host_len);   /* a forward proxy's request: its target's authority */
	if (cache_key_make(&rc->key, "http", host, host_len, http_target(m), m->target_len)) {
		free(rc);
		return 0;   /* no host, or "*": not cacheable, not an error */
	}
	rc->conn = c;
	rc->sh = cache_shard(cache, w->id);
	c->req.hook_data[cache_slot] = rc;
	cache_req_init(&rc->rq, m, c->req.req_framing != HTTP_FRAME_NONE);
	rc->req_time = clock_wall_s();
	if (cache_unsafe_method((uint8_t)m->p.method)) {
		rc->unsafe = true;
		set_status(rc, "BYPASS", "fwd=method");
		return 0;
	}
	if (!rc->rq.method_ok) {
		set_status(rc, "BYPASS", "fwd=method");
		return 0;
	}
	return decide(w, c);
}

/*
 * cache_proxy_refresh() - a stale-while-revalidate hit was answered: fetch the
 * resource again on a connection-less request of its own, so the client's
 * connection is free for its next request at once. The background request
 * takes over the collapsing lock, the stale object (its validators) and the
 * upstream head; it is not logged and ends itself (finish or error).
 */
void cache_proxy_refresh(struct worker *w, struct conn *c)
{
	struct req_cache *rc = req_cache(c), *bc;
	struct conn *b;

	if (!rc || !rc->refresh)
		return;
	rc->refresh = false;
	bc = malloc(sizeof(*bc));
	b = bc ? conn_new(w, CONN_CLIENT, -1) : NULL;
	if (!b) {
		free(bc);
		goto err_unlock;
	}
	b->listener = c->listener;
	b->eof = true;   /* nothing to read: pause logic and EOF handling leave it alone */
	memcpy(b->ip, c->ip, sizeof(b->ip));
	/* its own copy of the request head (text and header slots): Vary values and logs read it */
	if (conn_msg_get(w, b, HTTP_REQUEST, c->msg->cap, c->msg->hooks)) {
		free(bc);
		conn_close(w, b);
		goto err_unlock;
	}
	*b->msg = *c->msg;
	b->msg->arg = b;
	b->msg->buf = malloc(c->msg->buf_cap);
	b->msg->hdr = malloc(((size_t)c->msg->hdr_cap + 1) * sizeof(*c->msg->hdr));
	if (!b->msg->buf || !b->msg->hdr) {
		free(bc);
		conn_close(w, b);   /* frees what was copied */
		goto err_unlock;
	}
	memcpy(b->msg->buf, c->msg->buf, c->msg->len);
	memcpy(b->msg->hdr, c->msg->hdr, (size_t)c->msg->n_hdr * sizeof(*c->msg->hdr));
	b->req.phase = PH_PROXY;
	b->req.server = -1;
	b->req.req_done = true;
	b->req.close_after = true;   /* finishing it closes it */
	b->req.wg = c->req.wg;
	b->req.wg->refs++;
	b->req.upstream = c->req.upstream;
	b->req.route = c->req.route;
	b->req.up_hook = c->req.up_hook;       /* a forward request refreshes from the origin it was checked for */
	b->req.last_srv = c->req.last_srv;
	memcpy(b->req.rid, c->req.rid, sizeof(b->req.rid));
	b->req.up_head = c->req.up_head;
	b->req.up_len = c->req.up_len;
	c->req.up_head = NULL;
	if (c->req.is_head) {
		/* a HEAD found it stale: the refresh is a GET, so the body comes back too */
		up_head_to_get(b);
		b->msg->p.method = HTTP_GET;
	}
	*bc = *rc;
	bc->conn = b;
	b->req.hook_data[cache_slot] = bc;
	if (rc->rq.inm)
		bc->rq.inm = b->msg->buf + (rc->rq.inm - c->msg->buf);
	bc->sink = true;
	bc->log = NULL;
	bc->rq.is_head = false;
	rc->key.buf = NULL;
	rc->key.len = 0;
	rc->obj = NULL;
	rc->leader = false;
	cache_proxy_prepare(b);
	if (proxy_connect(w, b))
		proxy_fail(w, b, 503);   /* the sink path ends it */
	return;

err_unlock:
	end_pending(rc, false);
	cache_obj_put(rc->obj);
	rc->obj = NULL;
}

/* forward() - send a request that was waiting upstream now; errors are answered. */
static void forward(struct worker *w, struct conn *c)
{
	if (proxy_connect(w, c) && !cache_proxy_error(w, c, 503))
		proxy_fail(w, c, 503);
}

void cache_proxy_run(struct worker *w)
{
	while (w->cache_wake) {
		struct conn *c = w->cache_wake;
		struct req_cache *rc = req_cache(c);
		int r;

		w->cache_wake = rc->wake_next;
		rc->wake_next = NULL;
		rc->queued = false;
		if (c->dead)
			continue;
		conn_timer(w, c, TMR_NONE, 0);
		r = decide(w, c);
		if (r == 0) {
			cache_proxy_prepare(c);
			forward(w, c);
		} else if (r == 1) {
			cache_proxy_refresh(w, c);   /* answered stale: refresh behind it */
			if (c->req.resp_done && c->req.req_done)
				proxy_finish(w, c);   /* then its connection's next request */
		}
	}
}

void cache_proxy_claims_ended(struct worker *w)
{
	/* rare (a claim some leader here waited on ended): a walk beats a list kept on every miss */
	for (uint32_t i = 0; i < w->n_conns; i++) {
		struct conn *c = w->conns[i];

		if (c->used && !c->dead && req_cache(c) && req_cache(c)->polling)
			cache_proxy_wait_timeout(w, c);
	}
}

void cache_proxy_wait_timeout(struct worker *w, struct conn *c)
{
	struct req_cache *rc = req_cache(c);

	if (rc && rc->polling) {
		bool busy = cache_pending_claimed(rc->sh, &rc->key);

		if (busy && w->now_ms < rc->poll_until) {
			conn_timer(w, c, TMR_CACHE_WAIT, CACHE_POLL_MS);
			return;
		}
		/* done (or too slow): this request and its worker's waiters decide again */
		rc->polling = false;
		rc->no_collapse = busy;
		end_pending(rc, true);
		queue_wake(w, c);
		return;
	}
	if (!rc || !rc->waiting)
		return;
	cache_pending_leave(rc->sh, &rc->wt);
	rc->waiting = false;
	rc->no_collapse = true;
	set_status(rc, "MISS", "fwd=miss; detail=collapse-timeout");
	cache_proxy_prepare(c);
	forward(w, c);
}

/* ---- response ---- */

/* invalidate_uri() - after a successful unsafe request: @uri (absolute or a path) on the request's host only. */
static void invalidate_uri(struct req_cache *rc, const char *uri, size_t len)
{
	const char *host = strstr(rc->key.buf, "://") + 3, *hend = strchr(host, '/');
	struct cache_key k;

	if (!len)
		return;
	if (uri[0] == '/') {
		if (cache_key_make(&k, "http", host, (size_t)(hend - host), uri, len))
			return;
	} else {
		if (cache_key_make(&k, "http", "x", 1, uri, len))
			return;
		/* another host: RFC 9111 4.4 forbids invalidating it (a denial-of-service vector) */
		if (strncmp(k.buf, rc->key.buf, (size_t)(hend - rc->key.buf)) ||
		    k.buf[hend - rc->key.buf] != '/') {
			cache_key_free(&k);
			return;
		}
	}
	cache_invalidate(rc->sh, &k);
	cache_key_free(&k);
}

/*
 * slice_head() - a whole 200 came back for a Range request: when its length is
 * known, answer the client's range with a 206 (or a 416) of our own, built from
 * the object being filled (or, when the response is not stored, one made for
 * the head alone); resp_body then passes on only the range's bytes. true when
 * the head is queued; false: the whole 200 goes to the client (a server may
 * ignore Range).
 */
static bool slice_head(struct worker *w, struct conn *c, const struct http_msg *m, int64_t now)
{
	struct req_cache *rc = req_cache(c);
	struct cache_obj *own = rc->fill ? NULL : cache_head_obj(m, rc->req_time, now);
	const struct cache_obj *o = rc->fill ? cache_fill_obj(rc->fill) : own;
	uint64_t total = m->p.content_length, first = 0, last = 0;
	bool close = client_close(w, c);
	enum cache_range rk;
	char *head = NULL;
	long n = -1;

	if (!o || !(m->p.flags & F_CONTENT_LENGTH) || m->p.flags & F_CHUNKED)
		goto whole;
	rk = cache_range_pick(&rc->rq, o, total, &first, &last);
	if (rk == CACHE_RANGE_NONE)
		goto whole;
	head = malloc(o->head_len + 512);
	if (head)
		n = cache_range_head(o, rk == CACHE_RANGE_OK, first, last, total, now, rc->status, close,
				     c->req.http10, head, o->head_len + 512);
	if (n < 0 || outq_push(&c->out, SEG_HEAP, head, (uint32_t)n, 0)) {
		free(head);
		goto whole;
	}
	cache_obj_put(own);
	c->req.status = rk == CACHE_RANGE_OK ? 206 : 416;
	c->req.bytes_out += (uint64_t)n;
	c->req.close_after |= close;
	c->req.resp_head_sent = true;
	if (rk == CACHE_RANGE_OK) {
		rc->slice = true;
		rc->slice_first = first;
		rc->slice_last = last;
	} else {
		rc->sink = true;   /* a 416 has no body: the response only fills the cache */
		rc->unsat = true;
	}
	conn_send(w, c);
	return true;

whole:
	cache_obj_put(own);
	return false;
}

bool cache_proxy_resp_head(struct worker *w, struct conn *c, const struct http_msg *m)
{
	struct req_cache *rc = req_cache(c);
	int st = m->p.status_code;
	int64_t now = clock_wall_s();
	const char *why;

	if (!rc)
		return false;
	if (st < 200)
		return rc->sink;
	if (rc->unsafe) {
		if (st < 400) {
			int i;

			cache_invalidate(rc->sh, &rc->key);
			if ((i = http_find(m, "location")) >= 0)
				invalidate_uri(rc, http_value(m, i), m->hdr[i].value_len);
			if ((i = http_find(m, "content-location")) >= 0)
				invalidate_uri(rc, http_value(m, i), m->hdr[i].value_len);
		}
	} else if (st == 304 && rc->obj) {
		struct cache_obj *n2 = cache_update(rc->sh, rc->obj, m, rc->req_time, now);

		if (n2) {
			cache_obj_put(rc->obj);
			rc->obj = n2;
		}
		end_pending(rc, true);
		if (!rc->sink) {
			set_status(rc, "REVALIDATED", "fwd=stale; fwd-status=304");
			if (serve(w, c, rc->obj, false))
				c->req.close_after = true;   /* out of memory: what was queued goes, then the connection */
		}
		rc->sink = true;
		return true;
	} else if (st >= 500 && rc->obj && !rc->sink && cache_stale_if_error(rc->obj, &rc->rq, now)) {
		end_pending(rc, false);
		set_status(rc, "STALE", "fwd=stale; fwd-status=%d; detail=stale-if-error", st);
		if (serve(w, c, rc->obj, false))
			c->req.close_after = true;
		rc->sink = true;
		return true;
	} else if (rc->rq.method_ok && (!rc->rq.is_head || rc->head_get) && st != 304) {
		size_t len = strlen(rc->status);
		struct cache_req as_get = rc->rq;   /* what went upstream: a HEAD went as a GET */

		as_get.is_head = false;
		rc->fill = cache_fill_begin(rc->sh, &rc->key, c->msg, &as_get, m, rc->req_time, now, &why);
		if (rc->obj)
			len += (size_t)snprintf(rc->status + len, sizeof(rc->status) - len, "; fwd-status=%d", st);
		if (len < sizeof(rc->status) && rc->fill)
			snprintf(rc->status + len, sizeof(rc->status) - len, "; stored");
		else if (len < sizeof(rc->status))
			snprintf(rc->status + len, sizeof(rc->status) - len, "; detail=%s", why);
	}
	/*
	 * A conditional request went upstream without its conditionals (so the whole
	 * response could be stored): when the new response matches them, the client
	 * gets its 304 now and the body only fills the cache.
	 */
	if (rc->fill && !rc->sink && (rc->rq.inm || rc->rq.ims >= 0) &&
	    cache_not_modified(cache_fill_obj(rc->fill), &rc->rq) && !serve_304(w, c, cache_fill_obj(rc->fill))) {
		rc->sink = true;
		return true;
	}
	if (!rc->fill)
		end_pending(rc, false);
	rc->body_total = m->p.flags & F_CONTENT_LENGTH ? m->p.content_length : 0;
	if (rc->whole && !rc->sink && st == 200 && slice_head(w, c, m, now))
		return true;
	if (rc->sink)
		return true;
	snprintf(rc->hdr, sizeof(rc->hdr), "Cache-Status: %s\r\n", rc->status);
	return false;
}

bool cache_proxy_resp_body(struct conn *c, const char **at, size_t *len)
{
	struct req_cache *rc = req_cache(c);
	uint64_t off, end, s, e;

	if (!rc)
		return true;
	if (rc->fill && cache_fill_append(rc->fill, *at, *len)) {
		cache_fill_abort(rc->fill);   /* past max_object_bytes: the client still gets it all */
		rc->fill = NULL;
		end_pending(rc, false);
	}
	off = rc->slice_off;
	end = off + *len;
	rc->slice_off = end;
	if (rc->sink || rc->head_get)
		return false;   /* the client has its answer, or asked for the head only */
	if (!rc->slice)
		return true;
	if (end <= rc->slice_first || off > rc->slice_last)
		return false;
	s = rc->slice_first > off ? rc->slice_first - off : 0;
	e = rc->slice_last + 1 < end ? rc->slice_last + 1 - off : *len;
	*at += s;
	*len = (size_t)(e - s);
	return true;
}

bool cache_proxy_rest_unwanted(const struct conn *c)
{
	const struct req_cache *rc = req_cache(c);

	if (!rc || rc->fill || !(rc->head_get || rc->unsat || (rc->slice && rc->slice_off > rc->slice_last)))
		return false;
	return rc->body_total > rc->slice_off && rc->body_total - rc->slice_off > CACHE_CUT_BYTES;
}

void cache_proxy_resp_done(struct conn *c)
{
	struct req_cache *rc = req_cache(c);

	if (!rc)
		return;
	if (rc->fill) {
		bool stored = !cache_fill_finish(rc->fill);

		rc->fill = NULL;
		end_pending(rc, stored);
	}
	end_pending(rc, false);
}

bool cache_proxy_error(struct worker *w, struct conn *c, int status)
{
	struct req_cache *rc = req_cache(c);

	if (!rc)
		return false;
	if (rc->sink) {
		/* a background refresh failed: the client has its answer, just end the request */
		cache_fill_abort(rc->fill);
		rc->fill = NULL;
		end_pending(rc, false);
		proxy_drop_upstream(w, c);
		c->req.resp_done = true;
		if (c->req.req_done)
			proxy_finish(w, c);
		return true;
	}
	if (status < 500 || !rc->obj || c->req.resp_head_sent || !cache_stale_if_error(rc->obj, &rc->rq, clock_wall_s()))
		return false;
	cache_fill_abort(rc->fill);
	rc->fill = NULL;
	end_pending(rc, false);
	proxy_drop_upstream(w, c);
	set_status(rc, "STALE", "fwd=stale; fwd-status=%d; detail=stale-if-error", status);
	if (serve(w, c, rc->obj, true))
		return false;
	if (c->req.req_done)
		proxy_finish(w, c);
	return true;
}

void cache_proxy_release(struct worker *w, struct conn *c)
{
	struct req_cache *rc = req_cache(c);

	if (!rc)
		return;
	if (rc->queued) {
		struct conn **pp = &w->cache_wake;

		while (*pp && *pp != c)
			pp = &req_cache(*pp)->wake_next;
		if (*pp)
			*pp = rc->wake_next;
		rc->queued = false;
	}
	if (rc->waiting) {
		cache_pending_leave(rc->sh, &rc->wt);
		rc->waiting = false;
	}
	cache_fill_abort(rc->fill);
	rc->fill = NULL;
	end_pending(rc, false);
	cache_obj_put(rc->obj);
	rc->obj = NULL;
	cache_key_free(&rc->key);
	free(rc);
	c->req.hook_data[cache_slot] = NULL;
}

/* ---- the proxy's hooks (l7/hooks.h) ---- */

static bool hook_attach(const struct cfg_listener *l)
{
	return l->cache;
}

/* hook_request() - cache_proxy_request() as a verdict: answered, held (collapsed, or a stale hit to refresh), or on. */
static int hook_request(struct worker *w, struct conn *c)
{
	int r = cache_proxy_request(w, c);

	if (r <= 0)
		return r < 0 ? PROXY_ERROR : PROXY_NEXT;
	return c->req.resp_done && !req_cache(c)->refresh ? PROXY_DONE : PROXY_HOLD;
}

static void hook_upstream_head(struct worker *w, struct conn *c, bool held)
{
	if (held)
		cache_proxy_refresh(w, c);   /* answered stale: refresh in the background (or collapsed: wait) */
	else
		cache_proxy_prepare(c);
}

/* hook_response_head() - a response the client sees carries our Cache-Status. */
static bool hook_response_head(struct worker *w, struct conn *c, const struct http_msg *m, struct http_back *b)
{
	struct req_cache *rc;

	if (cache_proxy_resp_head(w, c, m))
		return true;
	rc = req_cache(c);
	if (rc && m->p.status_code >= 200) {
		b->extra = rc->hdr;
		b->extra_len = strlen(rc->hdr);
	}
	return false;
}

static bool hook_keeps_timer(const struct conn *c)
{
	return req_cache(c)->waiting || req_cache(c)->polling;   /* TMR_CACHE_WAIT */
}

static bool hook_timer(struct worker *w, struct conn *c, uint8_t kind)
{
	if (kind != TMR_CACHE_WAIT)
		return false;
	cache_proxy_wait_timeout(w, c);
	return true;
}

static void hook_log(const struct conn *c, struct accesslog_rec *r)
{
	if (req_cache(c)->log)
		r->cache = req_cache(c)->log;
}

/* The worker's loop: requests a finished fill woke decide again after the completions; another worker's ended claims. */
static void hook_after_cqes(struct loop *lp)
{
	struct worker *w = worker_of(lp);

	if (w->cache_wake)
		cache_proxy_run(w);
}

static void hook_wake(struct loop *lp)
{
	cache_proxy_claims_ended(worker_of(lp));
}

static int hook_worker_init(struct worker *w)
{
	int err = loop_hook_add(&w->lp, LOOP_AFTER_CQES, hook_after_cqes);

	return err ? err : loop_hook_add(&w->lp, LOOP_ON_WAKE, hook_wake);
}

static const struct proxy_hooks cache_hooks = {
	.name = "cache",
	.worker_init = hook_worker_init,
	.attach = hook_attach,
	.tier_sync = cache_l7_sync,
	.tier_free = cache_l7_free,
	.on_request = hook_request,
	.on_upstream_head = hook_upstream_head,
	.on_response_head = hook_response_head,
	.bodyless = cache_proxy_bodyless,
	.on_response_body = cache_proxy_resp_body,
	.rest_unwanted = cache_proxy_rest_unwanted,
	.on_response_done = cache_proxy_resp_done,
	.on_error = cache_proxy_error,
	.keeps_timer = hook_keeps_timer,
	.on_timer = hook_timer,
	.on_log = hook_log,
	.on_release = cache_proxy_release,
};

int cache_hooks_register(void)
{
	return proxy_hooks_register(&cache_hooks, &cache_slot);
}
