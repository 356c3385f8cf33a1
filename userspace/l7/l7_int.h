/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The L7 tier's internal types: the shared config generation, per-worker upstream state, the tier itself. */
#ifndef SLUICE_L7_INT_H
#define SLUICE_L7_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "l7/hooks.h"
#include "l7/route.h"

struct cache;
struct health;
struct tls_client;
struct tls_server;
struct worker;

/* Shared, read-only for workers once published, except the atomics. */
struct gen_server {
	_Atomic uint32_t weight;      /* admin override; starts at the config weight */
	_Atomic bool health_up;       /* active health verdict (true when no checks) */
	int health_id;              /* -1: not checked */
	struct l7 *l7;
};

struct l7_gen {
	_Atomic int refs;             /* one per worker using it, one while it is current */
	uint64_t seq;
	const struct cfg *cfg;        /* the daemon keeps every applied config alive */
	struct route_table *routes;   /* per listener slot, matched by name */
	size_t n_routes;              /* listener slots when this generation was made */
	struct gen_server **srv;      /* [upstream][server] */
	void *hook_gen[PROXY_HOOKS_MAX];  /* each hook's data for this generation (gen_new), by slot */
	struct tls_server **tls;      /* per listener slot: its certificates as this generation loaded them, NULL: cleartext */
	struct tls_client **up_tls;   /* per upstream: NULL unless `tls:` */
	struct l7 *l7;
};

#define L7_MAX_LISTENERS CFG_MAX_LISTENERS   /* slots reserved at start: a reload may add listeners without moving any */

struct l7_listener {
	_Atomic(const struct cfg_listener *) cfg;   /* limits and log settings: the latest config naming it */
	_Atomic uint32_t n_conns;
	_Atomic bool removed;                       /* gone from the config: workers close their sockets */
	_Atomic(struct cache *) cache;              /* its `cache:`, NULL for none (cache_l7.c) */
	_Atomic uint8_t hooks;                      /* the slots of the hooks it attached (proxy_hooks_attach()) */
	/*
	 * Reuse of a removed slot (l7.c): each worker counts itself in `quiet`
	 * once its socket is closed and its accept's last completion came back;
	 * with every worker quiet and no connection left the slot is free, and
	 * a listener that takes it bumps `epoch` (before clearing `removed`), so
	 * workers drop what they kept for the old one.
	 */
	_Atomic uint32_t quiet;
	_Atomic uint32_t epoch;
};

struct l7 {
	struct worker *w;
	unsigned int n_workers;
	unsigned int n_wake;            /* workers whose wake_fd exists (all of them, from before the first starts) */
	struct l7_listener *ls;           /* L7_MAX_LISTENERS slots */
	_Atomic size_t n_ls;              /* slots ever used; only grows (a free one is reused first) */
	_Atomic(struct l7_gen *) cur;
	_Atomic uint64_t gen_seq;
	_Atomic uint64_t weight_seq;      /* bumped on weight or health changes */
	_Atomic uint32_t log_seq;         /* bumped by l7_reopen_logs */
	_Atomic bool stopping;
	_Atomic uint64_t drain_ms;
	struct health *health;
	pthread_mutex_t lock;             /* reload/stop/weight against each other */
	struct cache **caches;            /* by name, kept across reloads (cache_l7.c; under lock) */
	size_t n_caches;
	unsigned int n_cache_shards;      /* one per worker */
};


/* Per worker, per generation: balancers and connection pools. */
struct wserver {
	const struct cfg_server *cfg;
	struct wupstream *up;
	size_t idx;
	struct conn *idle;            /* pooled keep-alive connections */
	uint32_t n_idle;
	uint32_t fails;
	uint64_t ejected_until;       /* passive ejection, ms monotonic; 0 = not ejected */
	uint32_t weight;              /* last weight handed to the balancer */
	bool health_up;
	/* demand: the most requests in flight at once in this period and the last (upstream_pool_cap()) */
	uint32_t peak_cur, peak_prev;
	uint64_t peak_since;          /* start of the current period, ms monotonic */
};

struct wupstream {
	const struct cfg_upstream *cfg;
	struct balancer *bal;
	struct wserver *srv;
	size_t n_srv;
	size_t idx;
	struct tls_client *tls;       /* the generation's, NULL: cleartext */
	bool panic;                   /* every server is out: picks ignore health and ejection (logged once) */
};

struct wgen {
	struct l7_gen *g;
	int refs;                     /* requests and connections using it, +1 while current */
	struct wupstream *up;
	size_t n_up;
};

void l7_gen_put(struct l7_gen *g);
/* l7_new() - l7_start() without starting workers (for a harness that runs one itself). NULL + errno. */
struct l7 *l7_new(const struct cfg *cfg);

#endif
