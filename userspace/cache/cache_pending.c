// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Request collapsing: one request per key fetches, the others of its worker wait for it; other workers wait on its claim. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache/cache_int.h"

/* pend_find() - where @k's entry is (or would be linked) in the bucket table @tab. */
static struct pending **pend_find(struct pending **tab, const struct cache_key *k)
{
	struct pending **pp = &tab[k->hash % PEND_BUCKETS];

	while (*pp && !cache_key_eq(&(*pp)->key, k))
		pp = &(*pp)->next;
	return pp;
}

/* pend_add() - a new entry for @k at the head of its bucket in @tab. 0 or -ENOMEM. Lock held. */
static int pend_add(struct pending **tab, const struct cache_key *k, struct cache_shard *owner)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (p) {
		p->key.buf = strdup(k->buf);
		p->key.len = k->len;
		p->key.hash = k->hash;
		p->owner = owner;
	}
	if (!p || !p->key.buf) {
		free(p);
		return -ENOMEM;
	}
	p->next = tab[k->hash % PEND_BUCKETS];
	tab[k->hash % PEND_BUCKETS] = p;
	return 0;
}

int cache_pending_begin(struct cache_shard *s, const struct cache_key *k, struct cache_waiter *wt)
{
	struct pending **pp;
	int err;

	pthread_mutex_lock(&s->lock);
	pp = pend_find(s->pend, k);
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
		err = pend_add(s->pend, k, s);
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

void cache_pending_end(struct cache_shard *s, const struct cache_key *k, bool stored)
{
	struct pending **pp, *p;
	struct cache_waiter *wt;

	pthread_mutex_lock(&s->lock);
	pp = pend_find(s->pend, k);
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

/* ---- across workers ---- */

int cache_pending_claim(struct cache_shard *s, const struct cache_key *k)
{
	struct cache *c = s->c;
	struct pending **pp;
	int err;

	pthread_mutex_lock(&c->claim_lock);
	pp = pend_find(c->claims, k);
	if (*pp) {
		err = (*pp)->owner == s ? 0 : -EBUSY;
		if (err && s - c->sh < 64)
			(*pp)->waiting |= UINT64_C(1) << (s - c->sh);
	} else {
		err = pend_add(c->claims, k, s);
	}
	pthread_mutex_unlock(&c->claim_lock);
	if (err == -EBUSY) {
		pthread_mutex_lock(&s->lock);
		s->st.claim_waits++;
		pthread_mutex_unlock(&s->lock);
	}
	return err;
}

void cache_pending_unclaim(struct cache_shard *s, const struct cache_key *k)
{
	struct cache *c = s->c;
	struct pending **pp, *p = NULL;

	pthread_mutex_lock(&c->claim_lock);
	pp = pend_find(c->claims, k);
	if (*pp && (*pp)->owner == s) {
		p = *pp;
		*pp = p->next;
	}
	pthread_mutex_unlock(&c->claim_lock);
	if (!p)
		return;
	if (p->waiting && c->wake) {
		unsigned int n = 0;

		for (uint64_t m = p->waiting; m; m &= m - 1, n++)
			c->wake(c->wake_arg, (unsigned int)__builtin_ctzll(m));
		pthread_mutex_lock(&s->lock);
		s->st.claim_wakes += n;
		pthread_mutex_unlock(&s->lock);
	}
	cache_key_free(&p->key);
	free(p);
}

void cache_set_waker(struct cache *c, void (*wake)(void *arg, unsigned int shard), void *arg)
{
	pthread_mutex_lock(&c->claim_lock);
	c->wake = wake;
	c->wake_arg = arg;
	pthread_mutex_unlock(&c->claim_lock);
}

bool cache_pending_claimed(struct cache_shard *s, const struct cache_key *k)
{
	struct cache *c = s->c;
	struct pending **pp;
	bool busy;

	pthread_mutex_lock(&c->claim_lock);
	pp = pend_find(c->claims, k);
	busy = *pp && (*pp)->owner != s;
	pthread_mutex_unlock(&c->claim_lock);
	return busy;
}
