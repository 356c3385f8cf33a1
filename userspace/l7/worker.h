/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The L7 worker: one thread running one loop, with its own listeners, config generation, pools and log buffers. */
#ifndef SLUICE_L7_WORKER_H
#define SLUICE_L7_WORKER_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l7/conn.h"
#include "l7/h2.h"
#include "l7/l7_int.h"
#include "l7/logbatch.h"
#include "loop/loop.h"

/* The worker's own completion ops on its loop (after the loop's: loop/ud.h). */
enum worker_op {
	UD_ACCEPT = UD_APP,  /* multishot accept; index = worker listener */
	UD_LOG,              /* access log batch write; index = log */
	UD_RESOLV,           /* poll on a resolver socket (forward/resolver.c); index = resolver socket slot */
};

struct wlistener {
	int fd;
	bool armed;
	uint64_t backoff_until;  /* accept failed for lack of descriptors: not before this (ms) */
	bool failed;             /* could not be opened (after a reload): not retried */
	bool released;           /* removed and closed: counted in l7_listener.quiet */
	uint32_t epoch;          /* l7_listener.epoch this state belongs to */
};

/*
 * The loop comes first, as a member of two names (as struct conn's does):
 * `lp` is the loop's view, and its fields stay w->ring, w->now_ms, w->br.
 */
struct worker {
	union {
		struct loop lp;
		struct loop;
	};
	struct l7 *l7;
	pthread_t thread;
	struct wlistener *ls;
	size_t n_ls;
	struct wgen *cur;
	uint64_t gen_seq;
	uint64_t weight_seq;
	struct wlog *logs;       /* one per listener */
	struct http_msg *msg_spare;   /* parsers idle connections gave back (conn_msg_put()), linked through arg */
	uint32_t log_seq;
	uint64_t rid_next;
	uint32_t rnd;
	struct fwd_worker *fwd;  /* forward proxy state: resolver, origin pools (forward.c); NULL until first used */
	uint64_t stop_deadline;
	struct conn *cache_wake;  /* requests whose collapsed fill ended: looked up again after the CQEs */
	int start_err;
	/* counters: written by this worker only, read by l7_stats_get (relaxed) */
	_Atomic uint64_t st_accepted, st_requests, st_resp[6], st_bytes_in, st_bytes_out;
	_Atomic uint64_t st_up_connects, st_up_reuses, st_retries;
	_Atomic uint64_t st_up_ejections, st_up_eject_skipped, st_up_panic, st_up_pool_full;
	_Atomic uint64_t st_h1_conns, st_h2_conns, st_h2_streams;
	_Atomic uint64_t st_h2_goaway[H2_GA_MAX], st_h2_resets[2][H2_RESET_CODES];   /* [0] the clients', [1] ours */
	struct h2_sess *h2_dirty;   /* HTTP/2 sessions with frames to make (l7/h2.c: after completions and timers) */
	bool h2_hooked;
	sem_t started;
};

/* worker_of() - the worker a loop handler was called for. */
static inline struct worker *worker_of(struct loop *lp)
{
	return (struct worker *)((char *)lp - offsetof(struct worker, lp));
}

/* The loop's calls with the worker's and connection's names (their comments: loop/conn.h, loop/loop.h). */
static inline struct io_uring_sqe *worker_sqe(struct worker *w) { return loop_sqe(&w->lp); }
static inline void conn_close(struct worker *w, struct conn *c) { loop_conn_close(&w->lp, &c->lc); }
static inline void conn_recv(struct worker *w, struct conn *c) { loop_conn_recv(&w->lp, &c->lc); }
static inline void conn_send(struct worker *w, struct conn *c) { loop_conn_send(&w->lp, &c->lc); }
static inline void conn_trim(struct conn *c) { loop_conn_trim(&c->lc); }
static inline void conn_timer(struct worker *w, struct conn *c, uint8_t kind, uint32_t ms)
{
	loop_timer(&w->lp, &c->lc, kind, ms);
}
static inline void outq_cut(struct worker *w, struct outq *q, uint32_t keep) { loop_outq_cut(&w->lp, q, keep); }

/*
 * worker_init() - give @w's loop its handlers and hooks (worker_main_start()
 * does; a harness that runs a worker itself calls it before the first turn).
 * 0 or -errno.
 */
int worker_init(struct worker *w);

/*
 * worker_turn() - a loop turn after the wait (loop_turn()). @now_ms is the
 * monotonic clock. The worker's thread calls it after each wait;
 * tests/fuzz/fuzz_proxy.c calls it with a ring and a clock of its own.
 */
void worker_turn(struct worker *w, uint64_t now_ms);

/* worker_main_start() - listeners and logs here, then the thread (which makes its ring). 0 or -errno (logged). */
int worker_main_start(struct worker *w);

/* worker_destroy() - after the thread ended (or never started): free everything. */
void worker_destroy(struct worker *w);

#endif
