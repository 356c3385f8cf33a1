// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The loop's turn: one io_uring, batched submission and waits, completion dispatch, hooks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/log.h"
#include "loop/loop.h"

#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)   /* kernel 6.12; newer than liburing 2.3's headers */
#endif

int loop_hook_add(struct loop *lp, enum loop_hook at, loop_hook_fn *fn)
{
	if (lp->n_hook[at] == LOOP_HOOKS)
		return -ENOSPC;
	lp->hook[at][lp->n_hook[at]++] = fn;
	return 0;
}

int loop_op_set(struct loop *lp, unsigned int op, loop_op_fn *fn)
{
	if (op < UD_APP || op >= UD_OP_MAX)
		return -EINVAL;
	lp->op[op] = fn;
	return 0;
}

static void hooks_run(struct loop *lp, enum loop_hook at)
{
	for (unsigned int i = 0; i < lp->n_hook[at]; i++)
		lp->hook[at][i](lp);
}

/* submitted() - after a submit: the send arena is free again once the kernel took every SQE. */
static void submitted(struct loop *lp)
{
	if (!io_uring_sq_ready(&lp->ring))
		lp->n_sendv = 0;
}

void loop_submit(struct loop *lp)
{
	io_uring_submit(&lp->ring);
	submitted(lp);
}

struct io_uring_sqe *loop_sqe(struct loop *lp)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&lp->ring);

	while (!sqe) {
		loop_submit(lp);
		sqe = io_uring_get_sqe(&lp->ring);
	}
	return sqe;
}

void loop_cancel(struct loop *lp, uint64_t ud)
{
	struct io_uring_sqe *sqe = loop_sqe(lp);

	io_uring_prep_cancel64(sqe, ud, 0);
	io_uring_sqe_set_data64(sqe, ud_pack(UD_NONE, 0, 0));
}

/* arm_wake() - one read on the wake eventfd in flight: its completion runs the LOOP_ON_WAKE hooks. */
static void arm_wake(struct loop *lp)
{
	struct io_uring_sqe *sqe;

	if (lp->wake_fd < 0 || lp->stopping)
		return;
	sqe = loop_sqe(lp);
	io_uring_prep_read(sqe, lp->wake_fd, &lp->wake_val, sizeof(lp->wake_val), 0);
	io_uring_sqe_set_data64(sqe, ud_pack(UD_WAKE, 0, 0));
}

static void dispatch(struct loop *lp, const struct io_uring_cqe *cqe)
{
	unsigned int op = ud_op(cqe->user_data);

	switch (op) {
	case UD_RECV:
	case UD_SEND:
	case UD_CONNECT:
		loop_conn_done(lp, cqe);
		return;
	case UD_WAKE:
		if (cqe->res == (int)sizeof(lp->wake_val) || cqe->res == -EAGAIN || cqe->res == -EINTR)
			arm_wake(lp);
		hooks_run(lp, LOOP_ON_WAKE);
		return;
	default:
		if (op < UD_OP_MAX && lp->op[op])
			lp->op[op](lp, cqe);
		return;
	}
}

/* dispatch_all() - every completion the CQ holds. Their number. */
static unsigned int dispatch_all(struct loop *lp)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&lp->ring, head, cqe) {
		dispatch(lp, cqe);
		n++;
	}
	io_uring_cq_advance(&lp->ring, n);
	return n;
}

/*
 * loop_wait() - while the loop is busy (batch_learn()), it waits up to
 * lp->batch_wait_us for BATCH_NR completions, then for any: a turn then
 * pays its sleep, wake-up and enter for several events, not one or two
 * (under the bench's 32 connections: ~0.8 enters a request instead of 2).
 * Otherwise it waits for one, so a lone or occasional request never waits
 * for company.
 */
#define BATCH_NR 4

void loop_wait(struct loop *lp, struct __kernel_timespec *ts)
{
	struct io_uring_sq *sq = &lp->ring.sq;
	unsigned int tail = sq->sqe_tail, wait_nr = 1, flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
	struct io_uring_getevents_arg arg = { .ts = (uint64_t)(uintptr_t)ts };
	int fd = lp->ring.ring_fd;

	stat_add(lp->st_turns, 1);
	if (!lp->min_wait) {
		io_uring_submit_and_wait_timeout(&lp->ring, &(struct io_uring_cqe *){ NULL }, 1, ts, NULL);
		return;
	}
	if (lp->batch_wait_us) {
		wait_nr = BATCH_NR;
		arg.pad = lp->batch_wait_us;   /* min_wait_usec in 6.12+ headers */
		stat_add(lp->st_batched, 1);
	}
	if (sq->sqe_head != tail) {   /* what io_uring_submit() does before its enter */
		sq->sqe_head = tail;
		io_uring_smp_store_release(sq->ktail, tail);
	}
	if (lp->reg_ring) {
		fd = lp->ring.enter_ring_fd;
		flags |= IORING_ENTER_REGISTERED_RING;
	}
	io_uring_enter2((unsigned int)fd, tail - *sq->khead, wait_nr, flags, (sigset_t *)&arg, sizeof(arg));
}

/*
 * batch_learn() - once a tick (@ms since the last one): the loop is busy
 * while at least batch.clients clients sent something in it and completions
 * came at batch.rate a second or more (at l7.batch's default 64,000, two
 * arrive within the default 30 µs wait). A stopping loop does not batch.
 */
static void batch_learn(struct loop *lp, uint64_t ms)
{
	const struct loop_batch *b = &lp->batch;
	bool busy = b->wait_us && !lp->stopping && lp->act_clients >= b->clients &&
		    (uint64_t)lp->act_cqes * 1000 >= (uint64_t)b->rate * ms;

	lp->batch_wait_us = busy ? b->wait_us : 0;
	lp->act_clients = 0;
	lp->act_cqes = 0;
	lp->act_tick++;
}

void loop_turn(struct loop *lp, uint64_t now_ms)
{
	unsigned int n;

	submitted(lp);
	lp->now_ms = now_ms;
	n = dispatch_all(lp);
	hooks_run(lp, LOOP_AFTER_CQES);
	bufring_flush(&lp->br);
	loop_nobufs_retry(lp);
	lp->act_cqes += n;
	if (lp->now_ms - lp->tick_ms >= WHEEL_MS) {
		batch_learn(lp, lp->now_ms - lp->tick_ms);
		lp->tick_ms = lp->now_ms;
		timers_run(lp);
		if (!(lp->act_tick & 63))
			bufring_trim(&lp->br);   /* about once a second */
		hooks_run(lp, LOOP_ON_TICK);
	}
}

void loop_poll(struct loop *lp, unsigned int ms)
{
	struct __kernel_timespec t = { .tv_sec = ms / 1000, .tv_nsec = (long long)(ms % 1000) * 1000000 };
	struct io_uring_cqe *cqe;

	io_uring_submit_and_wait_timeout(&lp->ring, &cqe, 1, &t, NULL);
	submitted(lp);
	dispatch_all(lp);
}

void loop_close_all(struct loop *lp)
{
	for (uint32_t i = 0; i < lp->n_conns; i++) {
		struct loop_conn *c = lp->conns[i];

		if (c->used && !c->dead)
			loop_conn_close(lp, c);
	}
}

bool loop_busy(const struct loop *lp)
{
	for (uint32_t i = 0; i < lp->n_conns; i++)
		if (((const struct loop_conn *)lp->conns[i])->used)
			return true;
	return false;
}

/*
 * loop_ring_init() - SINGLE_ISSUER and DEFER_TASKRUN tie the ring to its
 * creator, and completion work then runs only when this thread waits for it
 * (no interrupting task work).
 */
int loop_ring_init(struct loop *lp)
{
	struct io_uring_params p;
	int err;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQSIZE;
	p.cq_entries = 16384;
	err = io_uring_queue_init_params(2048, &lp->ring, &p);
	if (err) {
		/* older kernels: no DEFER_TASKRUN */
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_CQSIZE;
		p.cq_entries = 16384;
		err = io_uring_queue_init_params(2048, &lp->ring, &p);
		if (err) {
			log_err("l7 worker %u: io_uring: %s", lp->id, strerror(-err));
			return err;
		}
	}
	if (!(p.features & IORING_FEAT_SUBMIT_STABLE)) {   /* the send arena relies on it (5.5+) */
		log_err("l7 worker %u: io_uring without IORING_FEAT_SUBMIT_STABLE", lp->id);
		io_uring_queue_exit(&lp->ring);
		return -EOPNOTSUPP;
	}
	lp->sendv = malloc(SEND_ARENA * sizeof(*lp->sendv));
	if (!lp->sendv) {
		io_uring_queue_exit(&lp->ring);
		return -ENOMEM;
	}
	lp->n_sendv = 0;
	/* The loop enters the ring once per turn: a registered ring fd spares each enter an fdget. */
	lp->min_wait = p.features & IORING_FEAT_MIN_TIMEOUT;
	lp->reg_ring = io_uring_register_ring_fd(&lp->ring) == 1;
	if (!lp->reg_ring)
		log_debug("l7 worker %u: io_uring_register_ring_fd failed: entering by fd", lp->id);
	err = bufring_init(&lp->br, &lp->ring, 1, LOOP_BUF_COUNT, LOOP_BUF_SIZE, LOOP_BUF_PRIV);
	if (err) {
		log_err("l7 worker %u: buffer ring: %s", lp->id, strerror(-err));
		free(lp->sendv);
		lp->sendv = NULL;
		io_uring_queue_exit(&lp->ring);
		return err;
	}
	lp->ring_ok = true;
	arm_wake(lp);
	return 0;
}

void loop_destroy(struct loop *lp)
{
	for (uint32_t i = 0; i < lp->n_conns; i++) {
		struct loop_conn *c = lp->conns[i];

		free(c->in.v);
		free(c->out.s);
	}
	for (uint32_t i = 0; i < lp->n_conns; i += CONN_SLAB)   /* a slab starts at every CONN_SLAB-th slot */
		munmap(lp->conns[i], CONN_SLAB * lp->conn_size);
	hooks_run(lp, LOOP_ON_FREE);   /* after the connections: an application's pooled ones may point into its state */
	if (lp->wake_fd >= 0)
		close(lp->wake_fd);
	lp->wake_fd = -1;
	free(lp->conns);
	free(lp->nobufs);
	lp->conns = NULL;
	lp->nobufs = NULL;
	lp->n_conns = lp->cap_conns = 0;
	lp->n_nobufs = lp->cap_nobufs = 0;
	lp->free_conns = NULL;
	lp->n_fresh_at = 0;
	if (lp->ring_ok) {
		bufring_free(&lp->br, &lp->ring);
		io_uring_queue_exit(&lp->ring);
		lp->ring_ok = false;
	}
	free(lp->sendv);
	lp->sendv = NULL;
}
