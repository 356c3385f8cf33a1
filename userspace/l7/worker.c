// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L7 worker around its loop: listeners and accepts, config generations, the thread, start and stop. */
#include <errno.h>
#include <netinet/tcp.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l7/hooks.h"
#include "l7/proxy.h"
#include "l7/upstream.h"
#include "l7/worker.h"
#include "tls/tls.h"
#include "lib/clock.h"
#include "lib/log.h"

/* ---- listeners ---- */

/*
 * listener_release() - slot @li is gone from the config, and this worker's
 * socket for it is closed and its accept's last completion came back (no
 * connection of it can still arrive): count this worker in the slot's quiet
 * ones, once. l7.c reuses the slot when every worker is and it has no
 * connection left.
 */
static void listener_release(struct worker *w, size_t li)
{
	struct wlistener *wl = &w->ls[li];

	if (wl->released || wl->fd >= 0 || wl->armed || !atomic_load(&w->l7->ls[li].removed))
		return;
	wl->released = true;
	atomic_fetch_add(&w->l7->ls[li].quiet, 1);
}

/* on_accept() - the loop's handler of UD_ACCEPT: a client connected to listener ud_index(). */
static void on_accept(struct loop *lp, const struct io_uring_cqe *cqe)
{
	struct worker *w = worker_of(lp);
	uint32_t li = ud_index(cqe->user_data);
	struct wlistener *l = &w->ls[li];
	struct conn *c;

	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		l->armed = false;
		listener_release(w, li);
	}
	if (cqe->res < 0) {
		if (cqe->res == -EMFILE || cqe->res == -ENFILE || cqe->res == -ENOMEM || cqe->res == -ENOBUFS) {
			/* out of descriptors: re-arming at once would spin; try again shortly */
			if (!l->backoff_until)
				log_warn("listener %s: accept: %s: pausing accepts", w->l7->ls[li].cfg->name,
					 strerror(-cqe->res));
			l->backoff_until = w->now_ms + 100;
		} else if (cqe->res != -ECANCELED && cqe->res != -EBADF) {
			log_warn("listener %s: accept: %s", w->l7->ls[li].cfg->name, strerror(-cqe->res));
		}
		return;
	}
	l->backoff_until = 0;
	/*
	 * Accepted while stopping (the accept completed before its cancel): the
	 * client has connected and may already have sent its request, so it is
	 * served once, with Connection: close, like any request in flight.
	 */
	c = conn_new(w, CONN_CLIENT, cqe->res);
	if (!c) {
		close(cqe->res);
		return;
	}
	c->listener = li;
	proxy_accepted(w, c);
}

static void arm_accept(struct worker *w, uint32_t li)
{
	struct io_uring_sqe *sqe;

	if (w->ls[li].armed || w->ls[li].fd < 0 || w->now_ms < w->ls[li].backoff_until)
		return;
	sqe = worker_sqe(w);
	io_uring_prep_multishot_accept(sqe, w->ls[li].fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, ud_pack(UD_ACCEPT, li, 0));
	w->ls[li].armed = true;
}

static bool worker_accepting(const struct worker *w)
{
	for (size_t i = 0; i < w->n_ls; i++)
		if (w->ls[i].armed)
			return true;
	return false;
}

static int listen_socket(const struct cfg_sockaddr *a)
{
	int one = 1, fd;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* One socket per worker: the kernel spreads connections, no shared accept queue lock. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||  /* inherited by accepted sockets */
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, 4096)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * worker_listeners_sync() - make this worker's sockets and logs match the tier's
 * listener slots: open added ones, close removed ones, follow access log changes.
 * @at_start: a listener that cannot open is fatal (-errno); later it is logged and skipped.
 */
static int worker_listeners_sync(struct worker *w, bool at_start)
{
	size_t n = w->l7->n_ls;

	for (size_t i = w->n_ls; i < n; i++) {
		w->ls[i].fd = -1;
		w->logs[i].fd = -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct l7_listener *ll = &w->l7->ls[i];
		bool removed = atomic_load(&ll->removed);
		uint32_t epoch = atomic_load(&ll->epoch);   /* after removed: l7.c bumps it first */
		const struct cfg_listener *l = ll->cfg;
		struct wlistener *wl = &w->ls[i];
		bool want = !removed && !w->stopping;
		int err;

		if (epoch != wl->epoch) {
			/* the slot was freed (this worker had let go of it) and serves another listener now */
			wl->epoch = epoch;
			wl->released = false;
			wl->failed = false;
			wl->backoff_until = 0;
		}
		if (want && wl->released) {
			/* the same listener came back before its slot was reused */
			wl->released = false;
			atomic_fetch_sub(&ll->quiet, 1);
		}
		if (want && wl->fd < 0 && !wl->failed) {
			err = listen_socket(&l->listen);
			if (err < 0) {
				log_err("listener %s: %s: %s", l->name, l->listen.text, strerror(-err));
				if (at_start)
					return err;
				wl->failed = true;
			} else {
				wl->fd = err;
				wl->armed = false;
			}
		} else if (!want && wl->fd >= 0 && w->ring_ok) {
			loop_cancel(&w->lp, ud_pack(UD_ACCEPT, (uint32_t)i, 0));
			close(wl->fd);
			wl->fd = -1;
		}
		err = wlog_set(&w->logs[i], want || wl->fd >= 0 ? l->access_log.path : NULL, l->access_log.format);
		if (err) {
			log_err("listener %s: access log %s: %s", l->name, l->access_log.path, strerror(-err));
			if (at_start)
				return err;
		}
		listener_release(w, i);
	}
	w->n_ls = n;
	return 0;
}

/* ---- config generations ---- */

static void worker_sync_gen(struct worker *w)
{
	uint64_t seq = atomic_load(&w->l7->gen_seq);

	if (seq != w->gen_seq) {
		struct l7_gen *g;
		struct wgen *wg;

		pthread_mutex_lock(&w->l7->lock);
		g = atomic_load(&w->l7->cur);
		atomic_fetch_add(&g->refs, 1);
		pthread_mutex_unlock(&w->l7->lock);
		wg = wgen_new(w, g);
		if (!wg) {
			l7_gen_put(g);
			return;   /* try again next iteration */
		}
		if (w->cur)
			wgen_put(w, w->cur);
		w->cur = wg;
		w->gen_seq = seq;
		w->batch = (struct loop_batch){
			.clients = g->cfg->l7.batch.clients,
			.rate = g->cfg->l7.batch.rate,
			.wait_us = g->cfg->l7.batch.wait_us,
		};
		if (w->ring_ok)
			worker_listeners_sync(w, false);   /* listeners a reload added or removed */
	}
	seq = atomic_load(&w->l7->weight_seq);
	if (seq != w->weight_seq) {
		w->weight_seq = seq;
		wgen_sync(w, w->cur);
	}
}

/* ---- the loop's hooks: what runs besides the connections' handlers ---- */

/* on_tick() - once every WHEEL_MS, after the timers: config, weights and logs. */
static void on_tick(struct loop *lp)
{
	struct worker *w = worker_of(lp);

	worker_sync_gen(w);
	wgen_sync(w, w->cur);
	logs_tick(w, false);
}

int worker_init(struct worker *w)
{
	struct loop *lp = &w->lp;
	int err;

	lp->conn_size = sizeof(struct conn);
	/* the hook tables' own first (proxy_hooks_register() order): their tick work runs before ours */
	for (unsigned int i = 0; i < proxy_n_hooks; i++)
		if (proxy_hooks[i]->worker_init && (err = proxy_hooks[i]->worker_init(w)))
			return err;
	if (loop_op_set(lp, UD_ACCEPT, on_accept) || loop_op_set(lp, UD_LOG, logs_on_write) ||
	    loop_hook_add(lp, LOOP_ON_TICK, on_tick))
		return -ENOSPC;
	return 0;
}

void worker_turn(struct worker *w, uint64_t now_ms)
{
	loop_turn(&w->lp, now_ms);
}

/* ---- the thread ---- */

static void worker_begin_stop(struct worker *w)
{
	w->stopping = true;
	w->stop_deadline = w->now_ms + atomic_load(&w->l7->drain_ms);
	for (size_t i = 0; i < w->n_ls; i++) {
		if (w->ls[i].fd >= 0) {
			loop_cancel(&w->lp, ud_pack(UD_ACCEPT, (uint32_t)i, 0));
			close(w->ls[i].fd);
			w->ls[i].fd = -1;
		}
	}
	/*
	 * Idle keep-alive clients are not closed here: a client may have sent its
	 * next request already, and closing under it fails that request for a
	 * client that does not retry (nginx's and HAProxy's close of idle
	 * connections at a graceful stop has that race). Each one's next request
	 * is served with Connection: close (finish_request(), resp_on_head());
	 * one that stays idle closes when its client_idle timer ends or at the
	 * drain deadline. No connection goes idle once stopping, so by the
	 * deadline every idle one has been idle at least drain_ms: a client that
	 * races that close reuses a long-idle connection, which clients retry.
	 */
}

static void *worker_run(struct worker *w)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 50 * 1000000 };

	w->now_ms = clock_coarse_ms();
	w->wheel_now = w->now_ms / WHEEL_MS;
	for (;;) {
		if (!w->stopping && atomic_load(&w->l7->stopping))
			worker_begin_stop(w);
		/* An accept cancelled at the stop may still post a connection: wait for its last CQE. */
		if (w->stopping && ((!w->n_clients && !worker_accepting(w)) || w->now_ms >= w->stop_deadline))
			break;
		if (!w->stopping)
			for (size_t i = 0; i < w->n_ls; i++)
				arm_accept(w, (uint32_t)i);
		/* One syscall per iteration: submit everything queued and wait for work. */
		loop_wait(&w->lp, &ts);
		worker_turn(w, clock_coarse_ms());
	}
	/* Drain over (or timed out): close what is left, then write the logs out synchronously. */
	loop_close_all(&w->lp);
	wgen_put(w, w->cur);   /* closes pooled connections: on this thread, the ring's only submitter */
	w->cur = NULL;
	loop_submit(&w->lp);
	for (int spins = 0; spins < 100; spins++) {
		bool busy = false;

		for (size_t i = 0; i < w->n_ls; i++)
			busy |= w->logs[i].writing;
		if (!busy && !loop_busy(&w->lp))
			break;
		loop_poll(&w->lp, 10);
	}
	w->log_seq = atomic_load(&w->l7->log_seq);
	logs_tick(w, true);
	qpool_drain();
	tls_thread_free();
	return NULL;
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	w->start_err = loop_ring_init(&w->lp);
	sem_post(&w->started);
	if (w->start_err)
		return NULL;
	return worker_run(w);
}

int worker_main_start(struct worker *w)
{
	int err;

	err = worker_init(w);
	if (err)
		goto err_destroy;
	w->ls = calloc(L7_MAX_LISTENERS, sizeof(*w->ls));
	w->logs = calloc(L7_MAX_LISTENERS, sizeof(*w->logs));
	if (!w->ls || !w->logs) {
		err = -ENOMEM;
		goto err_destroy;
	}
	err = worker_listeners_sync(w, true);
	if (err)
		goto err_destroy;
	w->rnd = (uint32_t)(w->id * 2654435761u) ^ (uint32_t)clock_coarse_ms() ^ 0x9e3779b9u;
	w->log_seq = atomic_load(&w->l7->log_seq);
	w->now_ms = clock_coarse_ms();
	worker_sync_gen(w);
	if (!w->cur) {
		err = -ENOMEM;
		goto err_destroy;
	}
	sem_init(&w->started, 0, 0);
	err = -pthread_create(&w->thread, NULL, worker_thread, w);
	if (err)
		goto err_destroy;
	sem_wait(&w->started);
	if (w->start_err) {
		err = w->start_err;
		pthread_join(w->thread, NULL);
		goto err_destroy;
	}
	return 0;

err_destroy:
	worker_destroy(w);
	return err;
}

void worker_destroy(struct worker *w)
{
	for (size_t i = 0; w->ls && i < w->n_ls; i++)
		if (w->ls[i].fd >= 0)
			close(w->ls[i].fd);
	free(w->ls);
	w->ls = NULL;
	logs_free(w);
	if (w->cur)
		wgen_put(w, w->cur);
	w->cur = NULL;
	for (uint32_t i = 0; i < w->n_conns; i++) {
		struct conn *c = w->conns[i];

		conn_msg_put(w, c);   /* freed with the spares below */
		free(c->req.up_head);
	}
	while (w->msg_spare) {
		struct http_msg *m = w->msg_spare;

		w->msg_spare = m->arg;
		free(m);
	}
	loop_destroy(&w->lp);   /* the slots, then the forward proxy's state (LOOP_ON_FREE): pooled ones point at its origins */
}
