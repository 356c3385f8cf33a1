// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The cache store: per-worker shards, the index, S3-FIFO eviction, fills, 304 updates, collapsing, purge. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache.h"

#define CHUNK_MIN (16 * 1024)
#define PEND_BUCKETS 64

/* A key being fetched by one request while others wait for it. */
struct pending {
	struct pending *next;
	struct cache_key key;
	struct cache_waiter *waiters;
};

/* One S3-FIFO queue: head is the newest, tail the oldest. */
struct fifo {
	struct cache_obj *head, *tail;
	uint64_t bytes;
};

struct cache_shard {
	pthread_mutex_t lock;      /* the owning worker's, uncontended but for purge and stats */
	struct cache *c;
	struct cache_obj **tab;
	size_t mask;
	struct fifo small, main;   /* S3-FIFO: new objects enter small; those hit again move to main */
	uint64_t *ghost;           /* hashes recently evicted from small: a miss on one goes straight to main */
	size_t ghost_mask;
	uint64_t bytes, budget, entries;
	struct pending *pend[PEND_BUCKETS];
	struct cache_stats st;
};

struct cache {
	char *name;
	unsigned int n;
	_Atomic uint64_t max_object;
	struct cache_shard *sh;
};

struct cache_fill {
	struct cache_shard *s;
	struct cache_obj *o;
	uint64_t max;
};

/* ---- objects ---- */

static void body_put(struct cache_body *b)
{
	if (!b || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	for (struct cache_chunk *ch = b->first, *next; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	free(b);
}

void cache_obj_put(struct cache_obj *o)
{
	if (!o || atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
		return;
	cache_key_free(&o->key);
	free(o->vary_names);
	free(o->vary_vals);
	free(o->head);
	free(o->etag);
	free(o->last_modified);
	body_put(o->body);
	free(o);
}

int64_t cache_current_age(const struct cache_obj *o, int64_t now)
{
	int64_t resident = now - o->t.response_time;

	return o->initial_age + (resident > 0 ? resident : 0);
}

/* ---- queues and index (shard lock held) ---- */

static void q_push(struct fifo *q, struct cache_obj *o)
{
	o->qprev = NULL;
	o->qnext = q->head;
	if (q->head)
		q->head->qprev = o;
	q->head = o;
	if (!q->tail)
		q->tail = o;
	q->bytes += o->size;
}

static void q_del(struct fifo *q, struct cache_obj *o)
{
	if (o->qprev)
		o->qprev->qnext = o->qnext;
	else
		q->head = o->qnext;
	if (o->qnext)
		o->qnext->qprev = o->qprev;
	else
		q->tail = o->qprev;
	o->qprev = o->qnext = NULL;
	q->bytes -= o->size;
}

static bool key_eq(const struct cache_key *a, const struct cache_key *b)
{
	return a->hash == b->hash && a->len == b->len && !memcmp(a->buf, b->buf, a->len);
}

/* unlink_obj() - out of the index and its queue; drops the index's reference. */
static void unlink_obj(struct cache_shard *s, struct cache_obj *o)
{
	struct cache_obj **pp = &s->tab[o->key.hash & s->mask];

	while (*pp && *pp != o)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = o->hnext;
	o->hnext = NULL;
	q_del(o->queue == 1 ? &s->small : &s->main, o);
	o->queue = 0;
	s->bytes -= o->size;
	s->entries--;
	cache_obj_put(o);
}

static void ghost_add(struct cache_shard *s, uint64_t h)
{
	s->ghost[h & s->ghost_mask] = h | 1;   /* | 1: a zero slot is never a match */
}

static bool ghost_has(struct cache_shard *s, uint64_t h)
{
	return s->ghost[h & s->ghost_mask] == (h | 1);
}

/*
 * evict() - S3-FIFO (Yang et al., SOSP'23) down to @budget bytes. The small
 * queue (10%) filters one-hit wonders: its oldest object moves to main if it
 * was hit while there, else it is evicted and remembered in the ghost table.
 * Main is a FIFO with reinsertion: an object hit since it was last looked at
 * goes round again with its count lowered. A scan only ever churns small.
 */
static void evict(struct cache_shard *s, uint64_t budget)
{
	while (s->bytes > budget && (s->small.tail || s->main.tail)) {
		struct cache_obj *o;

		if (s->small.tail && (s->small.bytes > budget / 10 || !s->main.tail)) {
			o = s->small.tail;
			if (o->freq) {
				q_del(&s->small, o);
				o->freq = 0;
				o->queue = 2;
				q_push(&s->main, o);
				continue;
			}
			ghost_add(s, o->key.hash);
		} else {
			o = s->main.tail;
			if (o->freq) {
				q_del(&s->main, o);
				o->freq--;
				q_push(&s->main, o);
				continue;
			}
		}
		s->st.evictions++;
		unlink_obj(s, o);
	}
}

static void insert(struct cache_shard *s, struct cache_obj *o)
{
	struct cache_obj **pp = &s->tab[o->key.hash & s->mask];

	/* the same variant, or variants selected by a different Vary list, are replaced */
	for (struct cache_obj *x = *pp, *next; x; x = next) {
		next = x->hnext;
		if (key_eq(&x->key, &o->key) &&
		    (strcmp(x->vary_names, o->vary_names) || !strcmp(x->vary_vals, o->vary_vals)))
			unlink_obj(s, x);
	}
	o->hnext = *pp;
	*pp = o;
	o->freq = 0;
	o->queue = ghost_has(s, o->key.hash) ? 2 : 1;
	q_push(o->queue == 1 ? &s->small : &s->main, o);
	s->bytes += o->size;
	s->entries++;
	s->st.stores++;
	evict(s, s->budget);
}

/* ---- the cache ---- */

static size_t pow2_at_least(uint64_t n)
{
	size_t p = 256;

	while (p < n && p < (1u << 22))
		p <<= 1;
	return p;
}

struct cache *cache_new(const char *name, uint64_t memory, uint64_t max_object, unsigned int n_shards)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (!n_shards)
		n_shards = 1;
	c->name = strdup(name ? name : "");
	c->n = n_shards;
	c->sh = calloc(n_shards, sizeof(*c->sh));
	if (!c->name || !c->sh)
		goto err_free;
	atomic_init(&c->max_object, max_object ? max_object : memory / 16);
	for (unsigned int i = 0; i < n_shards; i++) {
		struct cache_shard *s = &c->sh[i];
		size_t buckets = pow2_at_least(memory / n_shards / 2048);

		pthread_mutex_init(&s->lock, NULL);
		s->c = c;
		s->budget = memory / n_shards;
		s->tab = calloc(buckets, sizeof(*s->tab));
		s->mask = buckets - 1;
		s->ghost = calloc(buckets, sizeof(*s->ghost));
		s->ghost_mask = buckets - 1;
		if (!s->tab || !s->ghost)
			goto err_free;
	}
	return c;

err_free:
	cache_free(c);
	errno = ENOMEM;
	return NULL;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	for (unsigned int i = 0; c->sh && i < c->n; i++) {
		struct cache_shard *s = &c->sh[i];

		if (s->tab)
			evict(s, 0);
		for (int b = 0; b < PEND_BUCKETS; b++)
			for (struct pending *p = s->pend[b], *next; p; p = next) {
				next = p->next;
				cache_key_free(&p->key);
				free(p);
			}
		free(s->tab);
		free(s->ghost);
		pthread_mutex_destroy(&s->lock);
	}
	free(c->sh);
	free(c->name);
	free(c);
}

void cache_set_limits(struct cache *c, uint64_t memory, uint64_t max_object)
{
	atomic_store(&c->max_object, max_object ? max_object : memory / 16);
	for (unsigned int i = 0; i < c->n; i++) {
		struct cache_shard *s = &c->sh[i];

		pthread_mutex_lock(&s->lock);
		s->budget = memory / c->n;
		evict(s, s->budget);
		pthread_mutex_unlock(&s->lock);
	}
}

const char *cache_name(const struct cache *c)
{
	return c->name;
}

struct cache_shard *cache_shard(struct cache *c, unsigned int worker)
{
	/* sharing a shard would make collapsing wake a waiter from another thread */
	return worker < c->n ? &c->sh[worker] : NULL;
}

/* ---- lookup ---- */

static bool must_revalidate(const struct cache_obj *o)
{
	return o->cc.flags & (CC_MUST_REVALIDATE | CC_PROXY_REVALIDATE) || o->cc.s_maxage >= 0;
}

/* judge() - RFC 9111 4.2 / 5.2.1 for one stored response and one request. */
static enum cache_verdict judge(const struct cache_obj *o, const struct cache_req *r, int64_t now)
{
	int64_t age = cache_current_age(o, now);
	int64_t stale = age - o->lifetime;   /* >= 0: stale */

	if (o->cc.flags & CC_NO_CACHE || r->cc.flags & CC_NO_CACHE)
		return CACHE_STALE;
	if (r->cc.max_age >= 0 && age > r->cc.max_age)
		return CACHE_STALE;
	if (stale < 0) {
		if (r->cc.min_fresh >= 0 && -stale < r->cc.min_fresh)
			return CACHE_STALE;
		return CACHE_HIT;
	}
	/* stale: must-revalidate, proxy-revalidate and s-maxage (for a shared cache) forbid serving it unvalidated */
	if (must_revalidate(o))
		return CACHE_STALE;
	if (r->cc.flags & CC_MAX_STALE_ANY || (r->cc.max_stale >= 0 && stale <= r->cc.max_stale))
		return CACHE_HIT_STALE;
	if (o->cc.swr >= 0 && stale <= o->cc.swr)
		return CACHE_STALE_SWR;
	return CACHE_STALE;
}

enum cache_verdict cache_lookup(struct cache_shard *s, const struct cache_key *k, const struct http_msg *req,
				const struct cache_req *r, int64_t now, struct cache_obj **obj)
{
	enum cache_verdict v = CACHE_MISS;
	char vals[2048];

	*obj = NULL;
	pthread_mutex_lock(&s->lock);
	for (struct cache_obj *o = s->tab[k->hash & s->mask]; o; o = o->hnext) {
		if (!key_eq(&o->key, k))
			continue;
		v = CACHE_VARY_MISS;
		if (o->vary_names[0]) {
			long n = cache_vary_values(req, o->vary_names, vals, sizeof(vals));

			if (n < 0 || strcmp(vals, o->vary_vals))
				continue;
		}
		if (r->has_auth && !o->auth_ok)
			continue;
		v = judge(o, r, now);
		if (v != CACHE_STALE && o->freq < 3)
			o->freq++;
		cache_obj_get(o);
		*obj = o;
		break;
	}
	if (v == CACHE_HIT || v == CACHE_HIT_STALE)
		s->st.hits++;
	else if (v == CACHE_STALE || v == CACHE_STALE_SWR)
		s->st.stale++;
	else
		s->st.misses++;
	if (v == CACHE_STALE_SWR)
		s->st.hits++;
	pthread_mutex_unlock(&s->lock);
	return v;
}

bool cache_stale_if_error(const struct cache_obj *o, const struct cache_req *r, int64_t now)
{
	int64_t stale = cache_current_age(o, now) - o->lifetime;

	if (must_revalidate(o) || o->cc.flags & CC_NO_CACHE)
		return false;
	if (r->cc.sie >= 0 && stale <= r->cc.sie)
		return true;
	return o->cc.sie >= 0 && stale <= o->cc.sie;
}

/* ---- collapsing ---- */

static struct pending **pend_find(struct cache_shard *s, const struct cache_key *k)
{
	struct pending **pp = &s->pend[k->hash % PEND_BUCKETS];

	while (*pp && !key_eq(&(*pp)->key, k))
		pp = &(*pp)->next;
	return pp;
}

int cache_pending_begin(struct cache_shard *s, const struct cache_key *k, struct cache_waiter *wt)
{
	struct pending **pp, *p;
	int err = 0;

	pthread_mutex_lock(&s->lock);
	pp = pend_find(s, k);
	if (*pp) {
		err = -EBUSY;
		if (wt) {
			wt->next = (*pp)->waiters;
			if (wt->next)
				wt->next->pprev = &wt->next;
			wt->pprev = &(*pp)->waiters;
			(*pp)->waiters = wt;
		}
	} else {
		p = calloc(1, sizeof(*p));
		if (p) {
			p->key.buf = strdup(k->buf);
			p->key.len = k->len;
			p->key.hash = k->hash;
		}
		if (!p || !p->key.buf) {
			free(p);
			err = -ENOMEM;
		} else {
			p->next = s->pend[k->hash % PEND_BUCKETS];
			s->pend[k->hash % PEND_BUCKETS] = p;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

void cache_pending_end(struct cache_shard *s, const struct cache_key *k, bool stored)
{
	struct pending **pp, *p;
	struct cache_waiter *wt;

	pthread_mutex_lock(&s->lock);
	pp = pend_find(s, k);
	p = *pp;
	if (p)
		*pp = p->next;
	pthread_mutex_unlock(&s->lock);
	if (!p)
		return;
	/* waiters live on this shard's worker: woken outside the lock, they may look up again */
	while ((wt = p->waiters)) {
		p->waiters = wt->next;
		if (wt->next)
			wt->next->pprev = &p->waiters;
		wt->next = NULL;
		wt->pprev = NULL;
		wt->wake(wt, stored);
	}
	cache_key_free(&p->key);
	free(p);
}

void cache_pending_leave(struct cache_shard *s, struct cache_waiter *wt)
{
	pthread_mutex_lock(&s->lock);
	if (wt->pprev) {
		*wt->pprev = wt->next;
		if (wt->next)
			wt->next->pprev = wt->pprev;
		wt->next = NULL;
		wt->pprev = NULL;
	}
	pthread_mutex_unlock(&s->lock);
}

/* ---- fill ---- */

static bool hname(const struct http_msg *m, int i, const char *name, size_t n)
{
	return m->hdr[i].name_len == n && !strncasecmp(http_name(m, i), name, n);
}

/* conn_named() - is header @i listed in a Connection header (hop-by-hop for this message only)? */
static bool conn_named(const struct http_msg *m, int i)
{
	for (int j = 0; j < m->n_hdr; j++) {
		const char *v, *end;

		if (!hname(m, j, "connection", 10))
			continue;
		v = http_value(m, j);
		end = v + m->hdr[j].value_len;
		while (v < end) {
			const char *t;

			while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
				v++;
			t = v;
			while (v < end && *v != ',' && *v != ' ' && *v != '\t')
				v++;
			if ((uint32_t)(v - t) == m->hdr[i].name_len && !strncasecmp(t, http_name(m, i), m->hdr[i].name_len))
				return true;
		}
	}
	return false;
}

/* stored_header() - is header @i of a response kept in the cache? Hop-by-hop, framing and Age are not. */
static bool stored_header(const struct http_msg *m, int i)
{
	if (http_is_hop(http_name(m, i), m->hdr[i].name_len) || hname(m, i, "age", 3) || conn_named(m, i))
		return false;
	return true;
}

static char *dup_value(const struct http_msg *m, const char *name)
{
	int i = http_find(m, name);

	return i >= 0 ? strndup(http_value(m, i), m->hdr[i].value_len) : NULL;
}

/* times_from() - Date, Age, Expires, Last-Modified of @m. */
static void times_from(struct cache_times *t, const struct http_msg *m, int64_t request_time, int64_t response_time)
{
	int i;

	t->request_time = request_time;
	t->response_time = response_time;
	i = http_find(m, "date");
	t->date = i >= 0 ? cache_http_date(http_value(m, i), m->hdr[i].value_len) : -1;
	if (t->date < 0)
		t->date = response_time;
	i = http_find(m, "age");
	t->age_value = 0;
	if (i >= 0) {
		const char *v = http_value(m, i);
		int64_t a = 0;

		for (; *v >= '0' && *v <= '9' && a < 2147483648LL; v++)
			a = a * 10 + (*v - '0');
		t->age_value = a;
	}
	i = http_find(m, "expires");
	t->expires = -1;
	if (i >= 0) {
		t->expires = cache_http_date(http_value(m, i), m->hdr[i].value_len);
		if (t->expires < 0)
			t->expires = 0;   /* invalid, e.g. "0": already expired (RFC 9111 5.3) */
	}
	i = http_find(m, "last-modified");
	t->last_modified = i >= 0 ? cache_http_date(http_value(m, i), m->hdr[i].value_len) : -1;
}

static void obj_freshness(struct cache_obj *o)
{
	bool heuristic;

	o->lifetime = cache_freshness_lifetime(&o->cc, &o->t, o->status, &heuristic);
	o->initial_age = cache_initial_age(&o->t);
}

/* head_append() - grow @o's head by @s. */
static int head_append(char **head, uint32_t *len, uint32_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		uint32_t nc = (*cap ? *cap : 256);
		char *p;

		while (nc < *len + n + 1)
			nc *= 2;
		p = realloc(*head, nc);
		if (!p)
			return -ENOMEM;
		*head = p;
		*cap = nc;
	}
	memcpy(*head + *len, s, n);
	*len += (uint32_t)n;
	(*head)[*len] = 0;
	return 0;
}

static int put_header(char **head, uint32_t *len, uint32_t *cap, const struct http_msg *m, int i)
{
	return head_append(head, len, cap, http_name(m, i), m->hdr[i].name_len) ||
	       head_append(head, len, cap, ": ", 2) ||
	       head_append(head, len, cap, http_value(m, i), m->hdr[i].value_len) ||
	       head_append(head, len, cap, "\r\n", 2) ? -ENOMEM : 0;
}

struct cache_fill *cache_fill_begin(struct cache_shard *s, const struct cache_key *k, const struct http_msg *req,
				    const struct cache_req *r, const struct http_msg *resp,
				    int64_t request_time, int64_t response_time, const char **why)
{
	int status = resp->p.status_code;
	uint64_t max = atomic_load(&s->c->max_object);
	struct cache_fill *f = NULL;
	struct cache_obj *o = NULL;
	struct cache_cc cc;
	char names[512], vals[2048], line[48];
	uint32_t cap = 0;
	long nn, nv = 0;
	bool explicit;

	cache_cc_from_msg(&cc, resp, false);
	explicit = cc.max_age >= 0 || cc.s_maxage >= 0 || http_find(resp, "expires") >= 0;
	*why = NULL;
	if (!r->method_ok || r->is_head)
		*why = "method";
	else if (status < 200 || status == 206 || status == 304)
		*why = "status";
	else if (cc.flags & CC_NO_STORE || r->cc.flags & CC_NO_STORE)
		*why = "no-store";
	else if (cc.flags & CC_PRIVATE)
		*why = "private";
	else if (r->has_auth && !(cc.flags & (CC_MUST_REVALIDATE | CC_PUBLIC)) && cc.s_maxage < 0)
		*why = "authorization";
	else if (!explicit && !(cc.flags & CC_PUBLIC) && !cache_status_heuristic(status))
		*why = "status";
	else if (http_find(resp, "set-cookie") >= 0)
		*why = "set-cookie";
	else if (resp->p.flags & F_CONTENT_LENGTH && resp->p.content_length > max)
		*why = "too-large";
	if (*why)
		return NULL;
	nn = cache_vary_names(resp, names, sizeof(names));
	if (nn < 0) {
		*why = nn == -1 ? "vary-star" : "vary";
		return NULL;
	}
	if (nn) {
		nv = cache_vary_values(req, names, vals, sizeof(vals));
		if (nv < 0) {
			*why = "vary";
			return NULL;
		}
	}
	*why = "nomem";
	f = calloc(1, sizeof(*f));
	o = calloc(1, sizeof(*o));
	if (!f || !o)
		goto err_free;
	atomic_init(&o->refs, 1);
	o->status = status;
	o->cc = cc;
	o->auth_ok = (cc.flags & (CC_MUST_REVALIDATE | CC_PUBLIC)) || cc.s_maxage >= 0;
	o->key.buf = strdup(k->buf);
	o->key.len = k->len;
	o->key.hash = k->hash;
	o->vary_names = strdup(nn ? names : "");
	o->vary_vals = strdup(nn ? vals : "");
	o->etag = dup_value(resp, "etag");
	o->last_modified = dup_value(resp, "last-modified");
	o->body = calloc(1, sizeof(*o->body));
	if (!o->key.buf || !o->vary_names || !o->vary_vals || !o->body)
		goto err_free;
	atomic_init(&o->body->refs, 1);
	times_from(&o->t, resp, request_time, response_time);
	obj_freshness(o);
	snprintf(line, sizeof(line), "HTTP/1.1 %03d ", status % 1000);
	if (head_append(&o->head, &o->head_len, &cap, line, strlen(line)) ||
	    head_append(&o->head, &o->head_len, &cap, http_target(resp), resp->target_len) ||
	    head_append(&o->head, &o->head_len, &cap, "\r\n", 2))
		goto err_free;
	for (int i = 0; i < resp->n_hdr; i++)
		if (stored_header(resp, i) && put_header(&o->head, &o->head_len, &cap, resp, i))
			goto err_free;
	if (resp->p.flags & F_CONTENT_LENGTH && resp->p.content_length) {
		/* the whole body in one chunk: a hit is one iovec for it */
		struct cache_chunk *ch = malloc(sizeof(*ch) + resp->p.content_length);

		if (!ch)
			goto err_free;
		ch->next = NULL;
		ch->len = 0;
		ch->cap = (uint32_t)resp->p.content_length;
		o->body->first = o->body->last = ch;
	}
	f->s = s;
	f->o = o;
	f->max = max;
	*why = NULL;
	return f;

err_free:
	cache_obj_put(o);
	free(f);
	return NULL;
}

int cache_fill_append(struct cache_fill *f, const char *data, size_t len)
{
	struct cache_body *b = f->o->body;

	if (b->len + len + f->o->head_len > f->max)
		return -EFBIG;
	while (len) {
		struct cache_chunk *ch = b->last;
		size_t n;

		if (!ch || ch->len == ch->cap) {
			size_t cap = len > CHUNK_MIN ? len : CHUNK_MIN;

			ch = malloc(sizeof(*ch) + cap);
			if (!ch)
				return -ENOMEM;
			ch->next = NULL;
			ch->len = 0;
			ch->cap = (uint32_t)cap;
			if (b->last)
				b->last->next = ch;
			else
				b->first = ch;
			b->last = ch;
		}
		n = ch->cap - ch->len < len ? ch->cap - ch->len : len;
		memcpy(ch->data + ch->len, data, n);
		ch->len += (uint32_t)n;
		b->len += n;
		data += n;
		len -= n;
	}
	return 0;
}

int cache_fill_finish(struct cache_fill *f)
{
	struct cache_obj *o = f->o;
	struct cache_shard *s = f->s;
	uint32_t cap = o->head_len + 1;
	char cl[40];

	free(f);
	if (o->status != 204 && o->status != 304) {
		snprintf(cl, sizeof(cl), "Content-Length: %llu\r\n", (unsigned long long)o->body->len);
		if (head_append(&o->head, &o->head_len, &cap, cl, strlen(cl))) {
			cache_obj_put(o);
			return -ENOMEM;
		}
	}
	o->size = sizeof(*o) + o->head_len + o->body->len + o->key.len * 2 + strlen(o->vary_vals) + 64;
	pthread_mutex_lock(&s->lock);
	if (o->size > s->budget) {
		pthread_mutex_unlock(&s->lock);
		cache_obj_put(o);
		return -EFBIG;
	}
	insert(s, o);   /* the fill's reference becomes the index's */
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void cache_fill_abort(struct cache_fill *f)
{
	if (!f)
		return;
	cache_obj_put(f->o);
	free(f);
}

/* ---- validation ---- */

size_t cache_validators(const struct cache_obj *o, char *out, size_t cap)
{
	int n = 0;

	if (o->etag)
		n = snprintf(out, cap, "If-None-Match: %s\r\n", o->etag);
	if (o->last_modified && n >= 0 && (size_t)n < cap)
		n += snprintf(out + n, cap - (size_t)n, "If-Modified-Since: %s\r\n", o->last_modified);
	return n >= 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* updated_by_304() - is a stored header line replaced by the 304's fields? (RFC 9111 3.2: all but framing) */
static bool in_304(const struct http_msg *m, const char *name, size_t n)
{
	for (int i = 0; i < m->n_hdr; i++)
		if (m->hdr[i].name_len == n && !strncasecmp(http_name(m, i), name, n) && stored_header(m, i))
			return true;
	return false;
}

struct cache_obj *cache_update(struct cache_shard *s, struct cache_obj *o, const struct http_msg *resp304,
			       int64_t request_time, int64_t response_time)
{
	struct cache_obj *n = calloc(1, sizeof(*n));
	const char *p = o->head, *end = o->head + o->head_len, *eol;
	uint32_t cap = 0;
	struct cache_times t;

	if (!n)
		return NULL;
	*n = *o;
	atomic_init(&n->refs, 2);   /* the index's and the caller's */
	n->hnext = n->qprev = n->qnext = NULL;
	n->queue = 0;
	n->head = NULL;
	n->head_len = 0;
	n->key.buf = strdup(o->key.buf);
	n->vary_names = strdup(o->vary_names);
	n->vary_vals = strdup(o->vary_vals);
	n->etag = http_find(resp304, "etag") >= 0 ? dup_value(resp304, "etag") : (o->etag ? strdup(o->etag) : NULL);
	n->last_modified = http_find(resp304, "last-modified") >= 0 ? dup_value(resp304, "last-modified") :
			   (o->last_modified ? strdup(o->last_modified) : NULL);
	atomic_fetch_add(&o->body->refs, 1);
	if (!n->key.buf || !n->vary_names || !n->vary_vals)
		goto err_free;
	/* the status line, then stored lines the 304 does not replace, then the 304's own */
	eol = memmem(p, (size_t)(end - p), "\r\n", 2);
	if (!eol || head_append(&n->head, &n->head_len, &cap, p, (size_t)(eol + 2 - p)))
		goto err_free;
	for (p = eol + 2; p < end; p = eol + 2) {
		const char *colon = memchr(p, ':', (size_t)(end - p));

		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol || !colon)
			break;
		if (in_304(resp304, p, (size_t)(colon - p)))
			continue;
		if (head_append(&n->head, &n->head_len, &cap, p, (size_t)(eol + 2 - p)))
			goto err_free;
	}
	for (int i = 0; i < resp304->n_hdr; i++)
		if (stored_header(resp304, i) && put_header(&n->head, &n->head_len, &cap, resp304, i))
			goto err_free;
	if (http_find(resp304, "cache-control") >= 0)
		cache_cc_from_msg(&n->cc, resp304, false);
	times_from(&t, resp304, request_time, response_time);
	if (http_find(resp304, "expires") < 0)
		t.expires = o->t.expires >= 0 ? o->t.expires - o->t.date + t.date : -1;   /* keep the old lifetime */
	if (http_find(resp304, "last-modified") < 0)
		t.last_modified = o->t.last_modified;
	n->t = t;
	obj_freshness(n);
	n->auth_ok = (n->cc.flags & (CC_MUST_REVALIDATE | CC_PUBLIC)) || n->cc.s_maxage >= 0;
	n->size = o->size - o->head_len + n->head_len;
	pthread_mutex_lock(&s->lock);
	s->st.revalidations++;
	if (o->queue) {
		unlink_obj(s, o);
		insert(s, n);
		s->st.stores--;
	} else {
		atomic_store(&n->refs, 1);   /* purged or evicted meanwhile: a purge wins, serve it this once */
	}
	pthread_mutex_unlock(&s->lock);
	return n;

err_free:
	atomic_store(&n->refs, 1);
	cache_obj_put(n);
	return NULL;
}

/* ---- invalidation and purge ---- */

static int drop_where(struct cache_shard *s, const struct cache_key *k, const char *prefix, size_t plen, bool path_only)
{
	int n = 0;

	for (size_t b = k ? (k->hash & s->mask) : 0; b <= s->mask; b++) {
		for (struct cache_obj *o = s->tab[b], *next; o; o = next) {
			bool hit;

			next = o->hnext;
			if (k) {
				hit = key_eq(&o->key, k);
			} else if (path_only) {
				const char *path = strchr(strstr(o->key.buf, "://") + 3, '/');

				hit = path && !strncmp(path, prefix, plen);
			} else {
				hit = o->key.len >= plen && !memcmp(o->key.buf, prefix, plen);
			}
			if (hit) {
				unlink_obj(s, o);
				n++;
			}
		}
		if (k)
			break;
	}
	return n;
}

int cache_invalidate(struct cache_shard *s0, const struct cache_key *k)
{
	int n = 0;

	/* every worker keeps its own copy: an unsafe request seen by one invalidates all */
	for (unsigned int i = 0; i < s0->c->n; i++) {
		struct cache_shard *s = &s0->c->sh[i];
		int d;

		pthread_mutex_lock(&s->lock);
		d = drop_where(s, k, NULL, 0, false);
		s->st.invalidations += (uint64_t)d;
		pthread_mutex_unlock(&s->lock);
		n += d;
	}
	return n;
}

int cache_purge(struct cache *c, const char *url, bool prefix)
{
	struct cache_key k = { 0 };
	bool path_only = url[0] == '/';
	const char *match = url;
	size_t mlen = strlen(url);
	int n = 0;

	if (!path_only) {
		int err = cache_key_from_url(&k, url);

		if (err)
			return err;
		match = k.buf;
		mlen = k.len;
		/* "host" as a prefix names the whole host, not "host/" only */
		if (prefix && !strchr(strstr(url, "://") ? strstr(url, "://") + 3 : url, '/'))
			mlen--;
	}
	for (unsigned int i = 0; i < c->n; i++) {
		struct cache_shard *s = &c->sh[i];
		int d;

		pthread_mutex_lock(&s->lock);
		if (prefix || path_only)
			d = drop_where(s, NULL, match, mlen, path_only);
		else
			d = drop_where(s, &k, NULL, 0, false);
		s->st.purged += (uint64_t)d;
		pthread_mutex_unlock(&s->lock);
		n += d;
	}
	cache_key_free(&k);
	return n;
}

void cache_stats_get(struct cache *c, struct cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < c->n; i++) {
		struct cache_shard *s = &c->sh[i];

		pthread_mutex_lock(&s->lock);
		out->entries += s->entries;
		out->bytes += s->bytes;
		out->capacity += s->budget;
		out->hits += s->st.hits;
		out->misses += s->st.misses;
		out->stale += s->st.stale;
		out->revalidations += s->st.revalidations;
		out->stores += s->st.stores;
		out->evictions += s->st.evictions;
		out->purged += s->st.purged;
		out->invalidations += s->st.invalidations;
		pthread_mutex_unlock(&s->lock);
	}
}
