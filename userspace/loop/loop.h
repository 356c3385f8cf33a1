/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The event loop: one io_uring per thread, its connections, a timer wheel, and the hooks that call up. */
#ifndef SLUICE_LOOP_H
#define SLUICE_LOOP_H

#include <liburing.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "loop/bufring.h"
#include "loop/conn.h"
#include "loop/queue.h"
#include "loop/ud.h"

#define LOOP_BUF_COUNT     1024           /* provided receive buffers per loop */
#define LOOP_BUF_SIZE      16384
#define LOOP_BUF_PRIV      8192           /* private buffers (bufring.h): reserved, touched only by TLS */
#define SEND_IOV           64
#define WHEEL_SLOTS        1024
#define WHEEL_MS           16
#define CONN_SLAB          256            /* connection slots per mapping (loop/conn.c) */

/*
 * The msghdr and iovecs of a sendmsg are read when the kernel takes the SQE
 * (IORING_FEAT_SUBMIT_STABLE), not when the send runs: they live in a
 * per-loop arena that is reused after every submit, not in each connection
 * (about 1 KiB less per connection; idle clients cost little memory).
 */
#define SEND_ARENA 128
struct send_slot {
	struct msghdr msg;
	struct iovec iov[SEND_IOV];
};

/*
 * Where the loop calls up besides a connection's handlers: hooks the
 * application registers (loop_hook_add()), called in registration order.
 *   LOOP_ON_WAKE      the wake eventfd fired (another thread has news for this one)
 *   LOOP_AFTER_CQES   after each turn's completions, before buffers are given back
 *   LOOP_ON_TICK      once every WHEEL_MS, after the timers
 *   LOOP_ON_FREE      at loop_destroy(), after the connections are freed
 */
enum loop_hook { LOOP_ON_WAKE = 0, LOOP_AFTER_CQES, LOOP_ON_TICK, LOOP_ON_FREE, LOOP_HOOK_MAX };
#define LOOP_HOOKS 6   /* per kind */

/* An application op's handler: a completion whose user_data carries its op (loop_op_set()). */
typedef void loop_op_fn(struct loop *lp, const struct io_uring_cqe *cqe);
typedef void loop_hook_fn(struct loop *lp);

/* Batching (ring_wait): the loop is busy when at least @clients clients received in a tick at @rate completions a second. */
struct loop_batch {
	uint32_t clients;
	uint32_t rate;
	uint32_t wait_us;        /* 0: never wait for company */
};

struct loop {
	unsigned int id;         /* for log lines */
	struct io_uring ring;
	struct bufring br;
	size_t conn_size;        /* bytes per connection slot: the application's struct, a struct loop_conn first */
	/*
	 * Slabs of connections, by index: void * so that the application reads
	 * its own connection type out of it (its struct starts with the loop_conn).
	 */
	void **conns;
	uint32_t n_conns, cap_conns;
	struct loop_conn *free_conns;
	uint32_t n_fresh_at;     /* conns[n_fresh_at..n_conns) are mapped but never used (loop/conn.c) */
	uint32_t n_clients;
	struct loop_conn *wheel[WHEEL_SLOTS];
	uint64_t wheel_now;      /* last slot processed, in WHEEL_MS units */
	uint64_t now_ms;         /* monotonic, refreshed each loop iteration */
	struct loop_conn **nobufs;   /* connections whose recv stopped for lack of buffers */
	uint32_t n_nobufs, cap_nobufs;
	bool stopping;           /* set by the application: no batching, no wake re-arm */
	int wake_fd;             /* eventfd other threads write to wake this loop; -1: none */
	uint64_t wake_val;       /* the read's target */
	bool ring_ok;
	bool min_wait;           /* the kernel takes a minimum wait in the enter's extended argument (6.12+) */
	bool reg_ring;           /* io_uring_register_ring_fd worked: enter by the registered index */
	struct loop_batch batch; /* set by the application, read once a tick */
	uint32_t batch_wait_us;  /* ring_wait() waits this long for several completions; 0: for one */
	uint64_t tick_ms;        /* when loop_turn() last ran the timers (now_ms) */
	uint16_t act_tick;       /* activity tick (one per WHEEL_MS) */
	uint32_t act_clients;    /* clients that received in this tick */
	uint32_t act_cqes;       /* completions handled in this tick */
	struct send_slot *sendv; /* SEND_ARENA slots; the first n_sendv wait for the next submit */
	uint32_t n_sendv;
	loop_op_fn *op[UD_OP_MAX];                    /* handlers of the application's ops (UD_APP and up) */
	loop_hook_fn *hook[LOOP_HOOK_MAX][LOOP_HOOKS];
	uint8_t n_hook[LOOP_HOOK_MAX];
	/* counters: written by this loop only, read by others (relaxed) */
	_Atomic uint64_t st_turns, st_batched;
};

/* stat_add() - bump a counter only this thread writes: a plain add, no locked instruction. */
#define stat_add(ctr, n) atomic_store_explicit(&(ctr), atomic_load_explicit(&(ctr), memory_order_relaxed) + (n), \
					       memory_order_relaxed)

/* loop_hook_add() - call @fn at @at from now on. 0, or -ENOSPC past LOOP_HOOKS of a kind. */
int loop_hook_add(struct loop *lp, enum loop_hook at, loop_hook_fn *fn);

/* loop_op_set() - completions of op @op (UD_APP..UD_OP_MAX-1) go to @fn. 0, or -EINVAL for another op. */
int loop_op_set(struct loop *lp, unsigned int op, loop_op_fn *fn);

/* loop_ring_init() - the ring, send arena and buffer ring, made by the thread that runs the loop. 0 or -errno (logged). */
int loop_ring_init(struct loop *lp);

/* loop_sqe() - a free SQE; when the SQ is full, what is queued is submitted first (rare: it is sized for a burst). */
struct io_uring_sqe *loop_sqe(struct loop *lp);

/* loop_submit() - submit what is queued, without waiting. */
void loop_submit(struct loop *lp);

/* loop_wait() - submit what is queued and wait for completions (or @ts), in one enter. */
void loop_wait(struct loop *lp, struct __kernel_timespec *ts);

/*
 * loop_turn() - the rest of a turn once the wait returned: the completions,
 * the LOOP_AFTER_CQES hooks, and once every WHEEL_MS the timers and
 * LOOP_ON_TICK hooks. @now_ms is the monotonic clock.
 */
void loop_turn(struct loop *lp, uint64_t now_ms);

/* loop_poll() - wait up to @ms for a completion and handle what came, without timers or hooks (a drain at the end). */
void loop_poll(struct loop *lp, unsigned int ms);

/* loop_cancel() - cancel the operation that carries user_data @ud (its completion is ignored). */
void loop_cancel(struct loop *lp, uint64_t ud);

/* loop_close_all() - close every open connection (the end of a drain). */
void loop_close_all(struct loop *lp);

/* loop_busy() - true while a connection slot is in use (closed ones wait for their completions). */
bool loop_busy(const struct loop *lp);

/* loop_destroy() - after the loop's thread ended (or never started): free the slots, run LOOP_ON_FREE, close the ring. */
void loop_destroy(struct loop *lp);

/* Between the loop's own files (conn.c, timer.c, loop.c). */

/* loop_conn_free() - closed @c's last completion arrived: on_released, then its queues and slot go back. */
void loop_conn_free(struct loop *lp, struct loop_conn *c);
/* loop_conn_done() - a UD_RECV, UD_SEND or UD_CONNECT completion: to its connection's handlers (stale ones dropped). */
void loop_conn_done(struct loop *lp, const struct io_uring_cqe *cqe);
/* loop_nobufs_retry() - buffers came back: re-arm the receives that ran dry. */
void loop_nobufs_retry(struct loop *lp);
/* timer_unlink() - disarm @c's timer, if armed. */
void timer_unlink(struct loop_conn *c);
/* timers_run() - fire every timer due by now_ms: its connection's on_timer, with its kind. */
void timers_run(struct loop *lp);

#endif
