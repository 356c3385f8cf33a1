/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* L7 load balancing across an upstream's servers: one balancer per io_uring worker, never shared between threads. */
#ifndef SLUICE_BALANCE_H
#define SLUICE_BALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct balancer;

/*
 * balancer_new() - a balancer for @up's servers with @up->balance, every server up
 * at its configured weight (no slow start for the first config).
 * Returns the balancer, or NULL with errno set (ENOMEM, EINVAL for a bad algorithm).
 */
struct balancer *balancer_new(const struct cfg_upstream *up);
void balancer_free(struct balancer *b);

/* balancer_set_weight() - 0 = drain: no new picks; in-flight requests finish. Out-of-range @server is ignored. */
void balancer_set_weight(struct balancer *b, size_t server, uint32_t weight);

/* balancer_set_up() - health verdict; going up starts slow start when the upstream's slow_start_ms > 0. */
void balancer_set_up(struct balancer *b, size_t server, bool up, uint64_t now_ms);

/*
 * balancer_pick() - index of the server for a new request, or -1 when none is up with
 * weight > 0 (besides @exclude). @key/@key_len: hash input for balance: hash (header
 * value, cookie value or client address bytes; NULL/0 falls back to round robin).
 * @exclude: a server to avoid (a retry goes to another), or -1.
 */
int balancer_pick(struct balancer *b, uint64_t now_ms, const void *key, size_t key_len, int exclude);

/*
 * balancer_pick_any() - the same, but counting servers that are down (health
 * checks, passive ejection) as up: for when none is up. Drained servers
 * (weight 0) stay out. -1 when every one is drained (or @exclude).
 */
int balancer_pick_any(struct balancer *b, uint64_t now_ms, const void *key, size_t key_len, int exclude);

/* balancer_begin()/balancer_end() - a request starts/finishes on @server (least_conn and p2c count these). */
void balancer_begin(struct balancer *b, size_t server);
void balancer_end(struct balancer *b, size_t server);

/* balancer_inflight() - requests in flight on @server, for stats. */
uint32_t balancer_inflight(const struct balancer *b, size_t server);

#endif
