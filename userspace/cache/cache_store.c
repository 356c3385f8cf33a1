// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The cache store: per-worker shards, the index, S3-FIFO eviction, lookup, invalidation, purge, counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache/cache_int.h"

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

void cache_obj_release(void *o)
{
	cache_obj_put(o);
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

/* store_unlink() - out of the index and its queue; drops the index's reference. */
void store_unlink(struct cache_shard *s, struct cache_obj *o)
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
	while (s->bytes + s->filling > budget && (s->small.tail || s->main.tail)) {
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
		store_unlink(s, o);
	}
}

void store_charge(struct cache_shard *s, uint64_t add, uint64_t sub)
{
	s->filling = s->filling + add - sub;
	if (add)
		evict(s, s->budget);
}

void store_insert(struct cache_shard *s, struct cache_obj *o)
{
	struct cache_obj **pp = &s->tab[o->key.hash & s->mask];

	/* the same variant, or variants selected by a different Vary list, are replaced */
	for (struct cache_obj *x = *pp, *next; x; x = next) {
		next = x->hnext;
		if (cache_key_eq(&x->key, &o->key) &&
		    (strcmp(x->vary_names, o->vary_names) || !strcmp(x->vary_vals, o->vary_vals)))
			store_unlink(s, x);
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
	pthread_mutex_init(&c->claim_lock, NULL);
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
	for (int b = 0; b < PEND_BUCKETS; b++)
		for (struct pending *p = c->claims[b], *next; p; p = next) {
			next = p->next;
			cache_key_free(&p->key);
			free(p);
		}
	pthread_mutex_destroy(&c->claim_lock);
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

/*
 * Which verdicts lookup() counts on its shard: hits (HIT, HIT_STALE), stale
 * (STALE, STALE_SWR), the hit a STALE_SWR also is (it is served), misses.
 */
enum { COUNT_HITS = 1, COUNT_STALE = 2, COUNT_SWR_HIT = 4, COUNT_MISSES = 8, COUNT_ALL = 15 };

/* count() - @v in @s's counters when @mask takes its kind. Lock held. */
static void count(struct cache_shard *s, enum cache_verdict v, unsigned int mask)
{
	if (v == CACHE_HIT || v == CACHE_HIT_STALE) {
		if (mask & COUNT_HITS)
			s->st.hits++;
	} else if (v == CACHE_STALE || v == CACHE_STALE_SWR) {
		if (mask & COUNT_STALE)
			s->st.stale++;
		if (v == CACHE_STALE_SWR && (mask & COUNT_SWR_HIT))
			s->st.hits++;
	} else if (mask & COUNT_MISSES) {
		s->st.misses++;
	}
}

/* lookup() - cache_lookup() on one shard, counting only the verdicts @mask names. */
static enum cache_verdict lookup(struct cache_shard *s, const struct cache_key *k, const struct http_msg *req,
				 const struct cache_req *r, int64_t now, struct cache_obj **obj, unsigned int mask)
{
	enum cache_verdict v = CACHE_MISS;
	char vals[2048];

	*obj = NULL;
	pthread_mutex_lock(&s->lock);
	for (struct cache_obj *o = s->tab[k->hash & s->mask]; o; o = o->hnext) {
		if (!cache_key_eq(&o->key, k))
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
	count(s, v, mask);
	pthread_mutex_unlock(&s->lock);
	return v;
}

enum cache_verdict cache_lookup(struct cache_shard *s, const struct cache_key *k, const struct http_msg *req,
				const struct cache_req *r, int64_t now, struct cache_obj **obj)
{
	return lookup(s, k, req, r, now, obj, COUNT_ALL);
}

enum cache_verdict cache_lookup_any(struct cache_shard *s, const struct cache_key *k, const struct http_msg *req,
				    const struct cache_req *r, int64_t now, struct cache_obj **obj)
{
	/* a miss here is counted only once no other shard turned out to hold a hit */
	enum cache_verdict v = lookup(s, k, req, r, now, obj, COUNT_ALL & ~COUNT_MISSES);

	if (v != CACHE_MISS && v != CACHE_VARY_MISS)
		return v;
	for (unsigned int i = 0; i < s->c->n; i++) {
		struct cache_shard *o = &s->c->sh[i];
		enum cache_verdict ov;

		if (o == s)
			continue;
		/* a hit counts where it was found; stale elsewhere is that worker's to revalidate */
		ov = lookup(o, k, req, r, now, obj, COUNT_HITS);
		if (ov == CACHE_HIT || ov == CACHE_HIT_STALE)
			return ov;
		cache_obj_put(*obj);
		*obj = NULL;
	}
	pthread_mutex_lock(&s->lock);
	count(s, v, COUNT_MISSES);
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

/* ---- invalidation and purge ---- */

static int drop_where(struct cache_shard *s, const struct cache_key *k, const char *prefix, size_t plen, bool path_only)
{
	int n = 0;

	for (size_t b = k ? (k->hash & s->mask) : 0; b <= s->mask; b++) {
		for (struct cache_obj *o = s->tab[b], *next; o; o = next) {
			bool hit;

			next = o->hnext;
			if (k) {
				hit = cache_key_eq(&o->key, k);
			} else if (path_only) {
				const char *path = strchr(strstr(o->key.buf, "://") + 3, '/');

				hit = path && !strncmp(path, prefix, plen);
			} else {
				hit = o->key.len >= plen && !memcmp(o->key.buf, prefix, plen);
			}
			if (hit) {
				store_unlink(s, o);
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
		out->filling += s->filling;
		out->capacity += s->budget;
		out->hits += s->st.hits;
		out->misses += s->st.misses;
		out->stale += s->st.stale;
		out->revalidations += s->st.revalidations;
		out->stores += s->st.stores;
		out->evictions += s->st.evictions;
		out->purged += s->st.purged;
		out->invalidations += s->st.invalidations;
		out->claim_waits += s->st.claim_waits;
		out->claim_wakes += s->st.claim_wakes;
		pthread_mutex_unlock(&s->lock);
	}
}
