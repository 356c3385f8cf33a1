/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The L7 tier's face to the daemon: start, reload and stop the io_uring proxy workers. */
#ifndef SLUICE_L7_H
#define SLUICE_L7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "l7/h2.h"
#include "config/config.h"

struct l7;

/*
 * l7_start() - open every listener of @cfg and start the worker threads.
 * Returns the running tier, or NULL with errno set (and the reason logged).
 * With no listeners configured it returns a tier that does nothing.
 */
struct l7 *l7_start(const struct cfg *cfg);

/*
 * l7_reload_check() - can @cfg be applied? Each address a listener has had
 * keeps its slot for the life of the process (connections on a removed one
 * may still be finishing), and there are CFG_MAX_LISTENERS. Returns 0, or
 * -ENOSPC with a "PATH:LINE: message" line on @errs for the first listener
 * with no slot left. Call it before applying anything.
 */
int l7_reload_check(struct l7 *l7, const struct cfg *cfg, const char *path, FILE *errs);

/* l7_reload() - apply @cfg to running workers without dropping connections. 0 or -errno. */
int l7_reload(struct l7 *l7, const struct cfg *cfg);

/* l7_stop() - stop accepting, finish in-flight requests for up to @drain_ms, join the workers. */
void l7_stop(struct l7 *l7, unsigned int drain_ms);

/*
 * l7_set_server_weight() - set the weight of server @server (its address as
 * written in the config, e.g. "127.0.0.1:9001") of upstream @upstream, live:
 * workers pick it up within ~20 ms, no reload. 0 = drain (no new requests).
 * A reload resets weights to the config. Returns 0 or -ENOENT.
 */
int l7_set_server_weight(struct l7 *l7, const char *upstream, const char *server, uint32_t weight);

/* l7_reopen_logs() - reopen every access log (after rotation, on SIGUSR1); workers do it within ~20 ms. */
void l7_reopen_logs(struct l7 *l7);
/* Counters of the whole tier since start (sum over workers; each read is a snapshot, not atomic as a whole). */
struct l7_stats {
	uint64_t conns_accepted;      /* client connections accepted */
	uint64_t conns_active;        /* client connections open now */
	uint64_t requests;            /* requests answered (one access log line each) */
	uint64_t responses[6];        /* by class: [1] 1xx .. [5] 5xx; [0] cut or never answered */
	uint64_t bytes_in;            /* request bytes read from clients */
	uint64_t bytes_out;           /* response bytes queued to clients */
	uint64_t upstream_connects;   /* new upstream connections */
	uint64_t upstream_reuses;     /* requests sent on a pooled connection */
	uint64_t retries;             /* requests sent again to another server */
	uint64_t upstream_ejections;  /* servers passively ejected (max_fails) */
	uint64_t upstream_eject_skipped; /* ... not ejected: the last server of their upstream available */
	uint64_t upstream_panic;      /* requests sent to a server that was out, every server of the upstream being out */
	uint64_t upstream_pool_full;  /* upstream connections closed after a response: the idle pool was full */
	uint64_t loop_turns;          /* workers' event loop turns (one io_uring_enter each) */
	uint64_t loop_batched;        /* ... of them that waited for a batch of completions (l7.batch) */
	uint64_t h1_conns, h2_conns;  /* client connections by the protocol they spoke */
	uint64_t h2_streams;          /* HTTP/2 streams opened by clients */
	uint64_t h2_goaway[H2_GA_MAX];   /* sessions ended by a GOAWAY of ours, by reason */
	uint64_t h2_resets[2][H2_RESET_CODES];   /* RST_STREAM by error code: [0] the clients', [1] ours */
};

/* l7_stats_get() - fill @out (zeroes for a tier without workers). */
void l7_stats_get(struct l7 *l7, struct l7_stats *out);

struct cache_stats;

/*
 * l7_cache_purge() - drop @url's cached responses (@prefix: every URL starting
 * with it; a URL starting with "/" matches that path on any host) from every
 * cache. Returns how many, or -ENOENT when no cache is configured, -EINVAL.
 */
int l7_cache_purge(struct l7 *l7, const char *url, bool prefix);

/* l7_cache_stats() - the name and counters of cache @i; false past the last one. */
bool l7_cache_stats(struct l7 *l7, size_t i, char *name, size_t name_cap, struct cache_stats *out);
#endif
