/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Inside the cache store: shard and cache types shared by cache_store.c, cache_fill.c and cache_pending.c. */
#ifndef SLUICE_CACHE_INT_H
#define SLUICE_CACHE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cache/cache.h"

#define PEND_BUCKETS 64

/* A key being fetched by one request while others wait for it. */
struct pending {
	struct pending *next;
	struct cache_key key;
	struct cache_waiter *waiters;
	struct cache_shard *owner;   /* in cache.claims: the shard whose worker fetches */
	uint64_t waiting;            /* in cache.claims: bit i = shard i's worker waits for it (i < 64) */
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
	uint64_t filling;          /* budget taken by fills in progress (charged ahead): evicted for like stored bytes */
	struct pending *pend[PEND_BUCKETS];
	struct cache_stats st;
};

struct cache {
	char *name;
	unsigned int n;
	_Atomic uint64_t max_object;
	struct cache_shard *sh;
	/*
	 * Keys some worker is fetching, across workers (cache_pending_claim):
	 * taken on misses only, so the hit path stays on the worker's own shard.
	 */
	pthread_mutex_t claim_lock;
	struct pending *claims[PEND_BUCKETS];
	void (*wake)(void *arg, unsigned int shard);   /* cache_set_waker() */
	void *wake_arg;
};

struct cache_fill {
	struct cache_shard *s;
	struct cache_obj *o;
	uint64_t max;
	uint64_t charged;          /* its share of s->filling */
};

static inline bool cache_key_eq(const struct cache_key *a, const struct cache_key *b)
{
	return a->hash == b->hash && a->len == b->len && !memcmp(a->buf, b->buf, a->len);
}

/* store_unlink() - out of the index and its queue; drops the index's reference. Shard lock held. */
void store_unlink(struct cache_shard *s, struct cache_obj *o);

/* store_charge() - a fill takes @add bytes more of the shard's budget (evicting for them) and gives @sub back. Shard lock held. */
void store_charge(struct cache_shard *s, uint64_t add, uint64_t sub);

/* store_insert() - into the index (replacing the same variant) and the S3-FIFO queues, then evict. Shard lock held. */
void store_insert(struct cache_shard *s, struct cache_obj *o);

#endif
