/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A worker's upstream state (upstream.c): its generation's balancers, keep-alive pools, passive ejection. */
#ifndef SLUICE_L7_UPSTREAM_H
#define SLUICE_L7_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l7/worker.h"

/* wgen_new() - @w's balancers and pools for config generation @g (which it holds a reference on). NULL + errno. */
struct wgen *wgen_new(struct worker *w, struct l7_gen *g);

/* wgen_put() - drop a reference on @wg; the last one closes its pooled connections and frees it. */
void wgen_put(struct worker *w, struct wgen *wg);

/* wgen_sync() - fold the shared weights, health verdicts and ejection expiries into @wg's balancers. */
void wgen_sync(struct worker *w, struct wgen *wg);

/* upstream_pick() - a server of upstream @up for a new request, not @exclude unless it is the only one. Its index, -1: every server is drained. */
int upstream_pick(struct worker *w, struct wgen *wg, size_t up, const char *key, size_t key_len, int exclude);

/* How an exchange with a server ended, for passive ejection (counted when the upstream's fail_on has it). */
enum up_outcome { UP_OK = 0, UP_ERROR, UP_TIMEOUT, UP_5XX };

/* upstream_outcome() - passive health: count outcome @o of an exchange with @s (may eject it). */
void upstream_outcome(struct worker *w, struct wserver *s, enum up_outcome o);

/* upstream_result() - upstream_outcome() with UP_OK when @ok, else UP_ERROR. */
void upstream_result(struct worker *w, struct wserver *s, bool ok);

/* upstream_pool_cap() - how many idle connections @s may keep now (@now_ms: monotonic). */
uint32_t upstream_pool_cap(struct wserver *s, uint64_t now_ms);

/* upstream_get() - an idle pooled connection to @s, or a new one being connected. NULL + errno. */
struct conn *upstream_get(struct worker *w, struct wserver *s);

/* upstream_put() - keep @u for the next request to its server. false: not kept (the caller closes it). */
bool upstream_put(struct worker *w, struct conn *u);

/* upstream_unpool() - take @u out of its server's pool (it is about to be used or closed). */
void upstream_unpool(struct conn *u);

#endif
