// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L7 worker loop: one io_uring, multishot accept and recv, batched submission, timers, log batches. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "forward/forward.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "loop/worker.h"

#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)   /* kernel 6.12; newer than liburing 2.3's headers */
#endif

/* worker_sqe() - a free SQE; when the SQ is full, submit what is queued first (rare: it is sized for a burst). */
/* submitted() - after a submit: the send arena is free again once the kernel took every SQE. */
static void submitted(struct worker *w)
{
	if (!io_uring_sq_ready(&w->ring))
		w->n_sendv = 0;
}

struct io_uring_sqe *worker_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	while (!sqe) {
		io_uring_submit(&w->ring);
		submitted(w);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

/* ---- connection table ---- */

#define CONN_SLAB 256

struct conn *conn_new(struct worker *w, uint8_t kind, int fd)
{
	struct conn *c = w->free_conns;

	if (c) {
		w->free_conns = c->free_next;
	} else {
		if (w->n_conns == w->cap_conns) {
			uint32_t cap = w->cap_conns ? w->cap_conns * 2 : 1024;
			struct conn **v;

			if (cap > (1u << 24))
				return NULL;
			v = realloc(w->conns, cap * sizeof(*v));
			if (!v)
				return NULL;
			w->conns = v;
			w->cap_conns = cap;
		}
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->idx = w->n_conns;
		w->conns[w->n_conns++] = c;
	}
	uint32_t idx = c->idx, gen = c->gen + 1;
	struct inq in = c->in;
	struct outq out = c->out;

	/* queue arrays are kept across reuse: no malloc per connection once warm */
	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->gen = gen;
	c->in.v = in.v;
	c->in.cap = in.cap;
	c->out.s = out.s;
	c->out.cap = out.cap;
	c->kind = kind;
	c->fd = fd;
	c->used = true;
	c->w = w;
	c->req.server = -1;
	c->seen_tick = (uint16_t)(w->act_tick - 1);
	if (kind == CONN_CLIENT)
		w->n_clients++;
	return c;
}

static void inq_clear(struct worker *w, struct inq *q)
{
	for (uint32_t i = q->head; i < q->tail; i++)
		bufring_unref(&w->br, q->v[i].bid);
	q->head = q->tail = 0;
}

static void seg_release(struct worker *w, struct seg *s)
{
	if (s->kind == SEG_BUF)
		bufring_unref(&w->br, s->bid);
	else if (s->kind == SEG_HEAP)
		free((void *)s->ptr);
	else if (s->kind == SEG_CACHE)
		cache_obj_put((struct cache_obj *)s->ptr);
}

static void outq_clear(struct worker *w, struct outq *q)
{
	for (uint32_t i = q->head; i < q->tail; i++)
		seg_release(w, &q->s[i]);
	q->head = q->tail = 0;
	q->off = 0;
	q->bytes = 0;
}

/*
 * outq_cut() - drop what was queued after the first @keep pending segments.
 * The caller knows no send has seen them (they were queued since it counted
 * @keep, with no conn_send() in between): a reply not yet started can still
 * be replaced by an error.
 */
void outq_cut(struct worker *w, struct outq *q, uint32_t keep)
{
	while (q->tail > q->head + keep) {
		struct seg *s = &q->s[--q->tail];

		q->bytes -= s->len;
		seg_release(w, s);
	}
}

/* conn_free() - the last completion of a closed connection arrived: give everything back. */
static void conn_free(struct worker *w, struct conn *c)
{
	proxy_conn_released(w, c);
	inq_clear(w, &c->in);
	outq_clear(w, &c->out);
	http_msg_free_head(&c->msg);
	if (c->kind == CONN_CLIENT)
		w->n_clients--;
	c->used = false;
	c->free_next = w->free_conns;
	w->free_conns = c;
}

/* ---- timers: a hashed wheel of WHEEL_MS slots; one deadline per connection ---- */

static void timer_unlink(struct conn *c)
{
	if (!c->t_pprev)
		return;
	*c->t_pprev = c->t_next;
	if (c->t_next)
		c->t_next->t_pprev = c->t_pprev;
	c->t_next = NULL;
	c->t_pprev = NULL;
	c->t_kind = TMR_NONE;
}

/* conn_timer() - (re)arm @c's only timer, or disarm it with TMR_NONE. O(1). */
void conn_timer(struct worker *w, struct conn *c, uint8_t kind, uint32_t ms)
{
	struct conn **slot;

	timer_unlink(c);
	if (kind == TMR_NONE || !ms)
		return;
	c->t_kind = kind;
	c->t_deadline = w->now_ms + ms;
	slot = &w->wheel[(c->t_deadline / WHEEL_MS) % WHEEL_SLOTS];
	c->t_next = *slot;
	if (*slot)
		(*slot)->t_pprev = &c->t_next;
	c->t_pprev = slot;
	*slot = c;
}

static void timers_run(struct worker *w)
{
	uint64_t until = w->now_ms / WHEEL_MS;

	if (until - w->wheel_now > WHEEL_SLOTS)
		w->wheel_now = until - WHEEL_SLOTS;
	for (; w->wheel_now <= until; w->wheel_now++) {
		struct conn *c = w->wheel[w->wheel_now % WHEEL_SLOTS], *next;

		for (; c; c = next) {
			next = c->t_next;
			if (c->t_deadline > w->now_ms)
				continue;   /* a later lap of the wheel */
			uint8_t kind = c->t_kind;

			timer_unlink(c);
			proxy_on_timer(w, c, kind);
			/* the handler may have freed or re-armed @next's neighbours: restart the slot */
			next = w->wheel[w->wheel_now % WHEEL_SLOTS];
		}
	}
	w->wheel_now = until;
}

/* ---- queues ---- */

static int grow(void **v, uint32_t *cap, size_t elem)
{
	uint32_t n = *cap ? *cap * 2 : 8;
	void *p = realloc(*v, n * elem);

	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

/*
 * Queue arrays of connections that went idle, kept on this worker's thread for
 * the next busy one: an idle keep-alive client holds no queue memory, and a
 * request does not pay a malloc for it either.
 */
#define QCAP0    8
#define QPOOL_MAX 1024
struct qpool {
	void *head;
	uint32_t n;
};
static __thread struct qpool qpool_in, qpool_out;

static int qgrow(struct qpool *p, void **v, uint32_t *cap, size_t elem)
{
	void *n;

	if (*cap)
		return grow(v, cap, elem);
	n = p->head;
	if (n) {
		p->head = *(void **)n;
		p->n--;
	} else if (!(n = malloc(QCAP0 * elem))) {
		return -ENOMEM;
	}
	free(*v);
	*v = n;
	*cap = QCAP0;
	return 0;
}

static void qpool_give(struct qpool *p, void *v, uint32_t cap)
{
	if (cap != QCAP0 || p->n >= QPOOL_MAX) {
		free(v);
		return;
	}
	*(void **)v = p->head;
	p->head = v;
	p->n++;
}

static void qpool_drain(struct qpool *p)
{
	while (p->head) {
		void *v = p->head;

		p->head = *(void **)v;
		free(v);
	}
	p->n = 0;
}

void conn_trim(struct conn *c)
{
	if (c->in.head == c->in.tail && c->in.v) {
		qpool_give(&qpool_in, c->in.v, c->in.cap);
		c->in.v = NULL;
		c->in.cap = c->in.head = c->in.tail = 0;
	}
	if (c->out.head == c->out.tail && !c->out.inflight && !c->out.old && c->out.s) {
		qpool_give(&qpool_out, c->out.s, c->out.cap);
		c->out.s = NULL;
		c->out.cap = c->out.head = c->out.tail = c->out.off = 0;
		c->out.bytes = 0;
	}
}

/* outq_push() - append a segment. Segments are never moved while a send holds iovecs to them: those point at data, not at segments. */
int outq_push(struct outq *q, uint8_t kind, const char *ptr, uint32_t len, uint16_t bid)
{
	struct seg *s;

	if (!len && kind != SEG_HEAP && kind != SEG_CACHE)
		return 0;
	if (q->tail == q->cap) {
		if (q->head && !q->inflight) {
			memmove(q->s, q->s + q->head, (q->tail - q->head) * sizeof(*q->s));
			q->tail -= q->head;
			q->head = 0;
		} else if (q->inflight) {
			/*
			 * The send in flight reads inline bytes out of the segments themselves:
			 * the array it saw must outlive it. Copy instead of realloc, and free the
			 * old array when the send completes.
			 */
			uint32_t cap = q->cap * 2;
			struct seg *n = malloc(cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			memcpy(n, q->s, q->tail * sizeof(*n));
			if (q->old)
				free(q->s);   /* an intermediate copy: the kernel never saw it */
			else
				q->old = q->s;
			q->s = n;
			q->cap = cap;
		} else if (qgrow(&qpool_out, (void **)&q->s, &q->cap, sizeof(*q->s))) {
			return -ENOMEM;
		}
	}
	s = &q->s[q->tail++];
	s->ptr = ptr;
	s->len = len;
	s->bid = bid;
	s->kind = kind;
	q->bytes += len;
	return 0;
}

/* outq_inline() - a few bytes of framing, copied into the segment itself. */
int outq_inline(struct outq *q, const char *text, uint32_t len)
{
	struct seg *s;

	if (outq_push(q, SEG_INLINE, NULL, len, 0))
		return -ENOMEM;
	s = &q->s[q->tail - 1];
	memcpy(s->inl, text, len);
	s->inl_len = (uint8_t)len;
	return 0;
}

static int inq_push(struct inq *q, uint16_t bid, uint32_t len)
{
	if (q->tail == q->cap) {
		if (q->head) {
			memmove(q->v, q->v + q->head, (q->tail - q->head) * sizeof(*q->v));
			q->tail -= q->head;
			q->head = 0;
		} else if (qgrow(&qpool_in, (void **)&q->v, &q->cap, sizeof(*q->v))) {
			return -ENOMEM;
		}
	}
	q->v[q->tail++] = (struct inbuf){ .bid = bid, .off = 0, .len = len };
	return 0;
}

/* ---- I/O ---- */

void conn_recv(struct worker *w, struct conn *c)
{
	struct io_uring_sqe *sqe;

	if (c->recv_armed || c->dead || c->eof)
		return;
	sqe = worker_sqe(w);
	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = w->br.bgid;
	io_uring_sqe_set_data64(sqe, ud_pack(UD_RECV, c->idx, c->gen));
	c->recv_armed = true;
	c->inflight++;
}

/* conn_send() - start a send of everything queued (up to SEND_IOV segments) unless one is in flight. */
void conn_send(struct worker *w, struct conn *c)
{
	struct outq *q = &c->out;
	struct io_uring_sqe *sqe;
	struct send_slot *sl;
	uint32_t n = 0;

	if (q->inflight || q->head == q->tail || c->dead || c->connecting)
		return;
	while (w->n_sendv == SEND_ARENA) {
		io_uring_submit(&w->ring);
		submitted(w);
	}
	sqe = worker_sqe(w);   /* before taking a slot: a submit in here may recycle the arena */
	sl = &w->sendv[w->n_sendv++];
	for (uint32_t i = q->head; i < q->tail && n < SEND_IOV; i++, n++) {
		struct seg *s = &q->s[i];
		const char *p = s->kind == SEG_INLINE ? s->inl : s->ptr;
		uint32_t off = i == q->head ? q->off : 0;

		sl->iov[n].iov_base = (void *)(p + off);
		sl->iov[n].iov_len = s->len - off;
	}
	if (n == 1) {
		/* one segment (a rebuilt request head, most often): a plain send skips importing a msghdr and iovec */
		io_uring_prep_send(sqe, c->fd, sl->iov[0].iov_base, sl->iov[0].iov_len, MSG_NOSIGNAL);
	} else {
		memset(&sl->msg, 0, sizeof(sl->msg));
		sl->msg.msg_iov = sl->iov;
		sl->msg.msg_iovlen = n;
		io_uring_prep_sendmsg(sqe, c->fd, &sl->msg, MSG_NOSIGNAL);
	}
	io_uring_sqe_set_data64(sqe, ud_pack(UD_SEND, c->idx, c->gen));
	q->inflight = true;
	c->inflight++;
}

/* outq_consume() - @n bytes went out: drop whole segments (and their buffer references). */
static void outq_consume(struct worker *w, struct outq *q, uint32_t n)
{
	q->bytes -= n;
	while (n && q->head < q->tail) {
		struct seg *s = &q->s[q->head];
		uint32_t left = s->len - q->off;

		if (n < left) {
			q->off += n;
			return;
		}
		n -= left;
		seg_release(w, s);
		q->head++;
		q->off = 0;
	}
	/* zero-length heap segments (freed heads) may trail */
	while (q->head < q->tail && q->s[q->head].len == 0) {
		seg_release(w, &q->s[q->head]);
		q->head++;
	}
	if (q->head == q->tail)
		q->head = q->tail = 0;
}

/* conn_close() - stop I/O on @c; its memory goes back when the last completion arrives. */
void conn_close(struct worker *w, struct conn *c)
{
	struct io_uring_sqe *sqe;

	if (c->dead)
		return;
	c->dead = true;
	timer_unlink(c);
	/* Cancel by user_data: a cancel by fd would run after close() and find nothing. */
	if (c->recv_armed) {
		sqe = worker_sqe(w);
		io_uring_prep_cancel64(sqe, ud_pack(UD_RECV, c->idx, c->gen), 0);
		io_uring_sqe_set_data64(sqe, ud_pack(UD_NONE, 0, 0));
	}
	if (c->connecting) {
		sqe = worker_sqe(w);
		io_uring_prep_cancel64(sqe, ud_pack(UD_CONNECT, c->idx, c->gen), 0);
		io_uring_sqe_set_data64(sqe, ud_pack(UD_NONE, 0, 0));
	}
	if (c->fd >= 0) {
		if (!c->connecting)
			shutdown(c->fd, SHUT_RDWR);   /* fails an in-flight send at once */
		close(c->fd);
		c->fd = -1;
	}
	if (!c->inflight)
		conn_free(w, c);
}

/* ---- completions ---- */

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

static void on_accept(struct worker *w, uint32_t li, const struct io_uring_cqe *cqe)
{
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

static void nobufs_add(struct worker *w, struct conn *c)
{
	if (c->recv_nobufs)
		return;
	if (w->n_nobufs == w->cap_nobufs && grow((void **)&w->nobufs, &w->cap_nobufs, sizeof(*w->nobufs)))
		return;
	c->recv_nobufs = true;
	c->inflight++;   /* the list holds the connection */
	w->nobufs[w->n_nobufs++] = c;
}

/* nobufs_retry() - buffers came back: re-arm the receives that ran dry. */
static void nobufs_retry(struct worker *w)
{
	uint32_t n = w->n_nobufs;

	if (!n || w->br.out + 16 > w->br.count)
		return;
	w->n_nobufs = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct conn *c = w->nobufs[i];

		c->recv_nobufs = false;
		c->inflight--;
		if (c->dead) {
			if (!c->inflight)
				conn_free(w, c);
			continue;
		}
		if (!c->paused)
			conn_recv(w, c);
	}
}

static void on_recv(struct worker *w, struct conn *c, const struct io_uring_cqe *cqe)
{
	bool more = cqe->flags & IORING_CQE_F_MORE;

	if (!more)
		c->recv_armed = false;
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);

		bufring_took(&w->br, bid);
		if (c->kind == CONN_CLIENT && c->seen_tick != w->act_tick) {
			c->seen_tick = w->act_tick;
			w->act_clients++;
		}
		if (c->dead || cqe->res <= 0 || inq_push(&c->in, bid, (uint32_t)cqe->res)) {
			bufring_unref(&w->br, bid);
			if (!c->dead && cqe->res > 0)
				proxy_on_eof(w, c, -ENOMEM);
			return;
		}
		proxy_on_recv(w, c);
		if (!more && !c->dead && !c->eof && !c->paused)
			conn_recv(w, c);
		return;
	}
	if (c->dead)
		return;
	if (cqe->res == -ENOBUFS) {
		nobufs_add(w, c);
		return;
	}
	if (cqe->res == -ECANCELED) {
		if (!c->paused)
			conn_recv(w, c);
		return;
	}
	if (cqe->res == 0) {
		c->eof = true;
		proxy_on_eof(w, c, 0);
		return;
	}
	if (cqe->res < 0) {
		c->eof = true;
		proxy_on_eof(w, c, cqe->res);
		return;
	}
}

static void on_send(struct worker *w, struct conn *c, const struct io_uring_cqe *cqe)
{
	c->out.inflight = false;
	free(c->out.old);
	c->out.old = NULL;
	if (c->dead)
		return;
	if (cqe->res < 0) {
		proxy_on_eof(w, c, cqe->res);
		return;
	}
	outq_consume(w, &c->out, (uint32_t)cqe->res);
	conn_send(w, c);
	proxy_on_sent(w, c);
	if (!c->dead && c->kind == CONN_CLIENT && c->req.phase == PH_IDLE)
		conn_trim(c);   /* the last bytes of a response went out after it went idle */
}

static void on_connect(struct worker *w, struct conn *c, const struct io_uring_cqe *cqe)
{
	c->connecting = false;
	if (c->dead)
		return;
	proxy_on_connect(w, c, cqe->res);
}

/* ---- access logs ---- */

#define LOG_BUF (64 * 1024)

static void log_submit(struct worker *w, uint32_t li)
{
	struct wlog *lg = &w->logs[li];
	struct io_uring_sqe *sqe;

	if (lg->writing || !lg->len || lg->fd < 0)
		return;
	sqe = worker_sqe(w);
	/* O_APPEND: the offset is ignored; -1 would also mean "current position". */
	io_uring_prep_write(sqe, lg->fd, lg->buf[lg->cur], (unsigned int)lg->len, 0);
	io_uring_sqe_set_data64(sqe, ud_pack(UD_LOG, li, 0));
	lg->writing = true;
	lg->write_len = lg->len;
	lg->cur ^= 1;
	lg->len = 0;
}

void worker_log(struct worker *w, uint32_t li, const char *line, size_t len)
{
	struct wlog *lg = &w->logs[li];

	if (lg->fd < 0)
		return;
	if (lg->len + len > LOG_BUF) {
		log_submit(w, li);
		if (lg->len + len > LOG_BUF)
			return;   /* both halves busy: drop rather than block the loop */
	}
	memcpy(lg->buf[lg->cur] + lg->len, line, len);
	lg->len += len;
}

static void on_log(struct worker *w, uint32_t li, const struct io_uring_cqe *cqe)
{
	struct wlog *lg = &w->logs[li];
	char *b = lg->buf[lg->cur ^ 1];

	lg->writing = false;
	if (cqe->res >= 0 && (size_t)cqe->res < lg->write_len) {
		/* short write: the rest goes out synchronously, keeping lines whole */
		size_t off = (size_t)cqe->res;

		while (off < lg->write_len) {
			ssize_t n = write(lg->fd, b + off, lg->write_len - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
}

static int log_open(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

/* logs_tick() - write out what accumulated; reopen after SIGUSR1 (the old fd is closed once idle). */
static void logs_tick(struct worker *w, bool sync)
{
	uint32_t seq = atomic_load(&w->l7->log_seq);

	for (size_t i = 0; i < w->n_ls; i++) {
		struct wlog *lg = &w->logs[i];

		if (!lg->path)
			continue;
		if (seq != w->log_seq && !lg->writing) {
			int fd = log_open(lg->path);

			if (fd >= 0) {
				if (lg->len)
					(void)!write(lg->fd, lg->buf[lg->cur], lg->len);
				lg->len = 0;
				close(lg->fd);
				lg->fd = fd;
			}
		}
		if (sync) {
			if (lg->len)
				(void)!write(lg->fd, lg->buf[lg->cur], lg->len);
			lg->len = 0;
		} else {
			log_submit(w, (uint32_t)i);
		}
	}
	w->log_seq = seq;
}

/* ---- the loop ---- */

/* arm_wake() - one read on the wake eventfd in flight: its completion says a claim ended. */
static void arm_wake(struct worker *w)
{
	struct io_uring_sqe *sqe;

	if (w->wake_fd < 0 || w->stopping)
		return;
	sqe = worker_sqe(w);
	io_uring_prep_read(sqe, w->wake_fd, &w->wake_val, sizeof(w->wake_val), 0);
	io_uring_sqe_set_data64(sqe, ud_pack(UD_WAKE, 0, 0));
}

static void dispatch(struct worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	enum ud_op op = ud_op(ud);
	struct conn *c;

	switch (op) {
	case UD_ACCEPT:
		on_accept(w, ud_index(ud), cqe);
		return;
	case UD_LOG:
		on_log(w, ud_index(ud), cqe);
		return;
	case UD_RESOLV:
		forward_on_poll(w, ud_index(ud), ud_gen(ud), cqe->res);
		return;
	case UD_WAKE:
		if (cqe->res == (int)sizeof(w->wake_val) || cqe->res == -EAGAIN || cqe->res == -EINTR)
			arm_wake(w);
		cache_proxy_claims_ended(w);
		forward_on_wake(w);
		return;
	case UD_RECV:
	case UD_SEND:
	case UD_CONNECT:
		break;
	default:
		return;
	}
	if (ud_index(ud) >= w->n_conns)
		return;
	c = w->conns[ud_index(ud)];
	if (c->gen != ud_gen(ud)) {
		/* cannot happen while slots outlive their completions; never leak a buffer */
		if (cqe->flags & IORING_CQE_F_BUFFER) {
			uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);

			bufring_took(&w->br, bid);
			bufring_unref(&w->br, bid);
		}
		return;
	}
	if (op != UD_RECV || !(cqe->flags & IORING_CQE_F_MORE))
		c->inflight--;
	if (op == UD_RECV)
		on_recv(w, c, cqe);
	else if (op == UD_SEND)
		on_send(w, c, cqe);
	else
		on_connect(w, c, cqe);
	if (c->dead && !c->inflight && c->used)
		conn_free(w, c);
}

static void worker_begin_stop(struct worker *w)
{
	w->stopping = true;
	w->stop_deadline = w->now_ms + atomic_load(&w->l7->drain_ms);
	for (size_t i = 0; i < w->n_ls; i++) {
		if (w->ls[i].fd >= 0) {
			struct io_uring_sqe *sqe = worker_sqe(w);

			io_uring_prep_cancel64(sqe, ud_pack(UD_ACCEPT, (uint32_t)i, 0), 0);
			io_uring_sqe_set_data64(sqe, ud_pack(UD_NONE, 0, 0));
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

static int worker_listeners_sync(struct worker *w, bool at_start);

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
		if (w->ring_ok)
			worker_listeners_sync(w, false);   /* listeners a reload added or removed */
	}
	seq = atomic_load(&w->l7->weight_seq);
	if (seq != w->weight_seq) {
		w->weight_seq = seq;
		wgen_sync(w, w->cur);
	}
}

static bool worker_accepting(const struct worker *w)
{
	for (size_t i = 0; i < w->n_ls; i++)
		if (w->ls[i].armed)
			return true;
	return false;
}

/*
 * ring_wait() - submit what is queued and wait for completions, in one enter.
 * While the worker is busy (batch_learn()), it waits up to w->batch_wait_us
 * for BATCH_NR completions, then for any: a turn then pays its sleep,
 * wake-up and enter for several events, not one or two (under the bench's
 * 32 connections: ~0.8 enters a request instead of 2). Otherwise it waits
 * for one, so a lone or occasional request never waits for company.
 */
#define BATCH_NR 4

static void ring_wait(struct worker *w, struct __kernel_timespec *ts)
{
	struct io_uring_sq *sq = &w->ring.sq;
	unsigned int tail = sq->sqe_tail, wait_nr = 1, flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
	struct io_uring_getevents_arg arg = { .ts = (uint64_t)(uintptr_t)ts };
	int fd = w->ring.ring_fd;

	stat_add(w->st_turns, 1);
	if (!w->min_wait) {
		io_uring_submit_and_wait_timeout(&w->ring, &(struct io_uring_cqe *){ NULL }, 1, ts, NULL);
		return;
	}
	if (w->batch_wait_us) {
		wait_nr = BATCH_NR;
		arg.pad = w->batch_wait_us;   /* min_wait_usec in 6.12+ headers */
		stat_add(w->st_batched, 1);
	}
	if (sq->sqe_head != tail) {   /* what io_uring_submit() does before its enter */
		sq->sqe_head = tail;
		io_uring_smp_store_release(sq->ktail, tail);
	}
	if (w->reg_ring) {
		fd = w->ring.enter_ring_fd;
		flags |= IORING_ENTER_REGISTERED_RING;
	}
	io_uring_enter2((unsigned int)fd, tail - *sq->khead, wait_nr, flags, (sigset_t *)&arg, sizeof(arg));
}

/*
 * batch_learn() - once a tick (@ms since the last one): the worker is busy
 * while at least l7.batch.clients clients sent something in it and
 * completions came at l7.batch.rate a second or more (at the default
 * 64,000, two arrive within the default 30 µs wait). A draining worker does
 * not batch.
 */
static void batch_learn(struct worker *w, uint64_t ms)
{
	const struct cfg_batch *b = w->cur ? &w->cur->g->cfg->l7.batch : NULL;
	bool busy = b && !w->stopping && w->act_clients >= b->clients &&
		    (uint64_t)w->act_cqes * 1000 >= (uint64_t)b->rate * ms;

	w->batch_wait_us = busy ? b->wait_us : 0;
	w->act_clients = 0;
	w->act_cqes = 0;
	w->act_tick++;
}

/*
 * worker_turn() - the rest of a loop turn once the ring's wait returned (what
 * was queued is submitted): the completions, what they left for after them,
 * and once every WHEEL_MS the timers, config and log work. @now_ms is the
 * monotonic clock. worker_run() calls it after each wait; tests/fuzz/fuzz_proxy.c
 * calls it with a ring and a clock of its own.
 */
void worker_turn(struct worker *w, uint64_t now_ms)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	submitted(w);
	w->now_ms = now_ms;
	io_uring_for_each_cqe(&w->ring, head, cqe) {
		dispatch(w, cqe);
		n++;
	}
	io_uring_cq_advance(&w->ring, n);
	if (w->cache_wake)
		cache_proxy_run(w);
	bufring_flush(&w->br);
	nobufs_retry(w);
	w->act_cqes += n;
	if (w->now_ms - w->tick_ms >= WHEEL_MS) {
		batch_learn(w, w->now_ms - w->tick_ms);
		w->tick_ms = w->now_ms;
		timers_run(w);
		forward_tick(w);
		worker_sync_gen(w);
		wgen_sync(w, w->cur);
		logs_tick(w, false);
	}
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
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
		ring_wait(w, &ts);
		worker_turn(w, clock_coarse_ms());
	}
	/* Drain over (or timed out): close what is left, then write the logs out synchronously. */
	for (uint32_t i = 0; i < w->n_conns; i++)
		if (w->conns[i]->used && !w->conns[i]->dead)
			conn_close(w, w->conns[i]);
	wgen_put(w, w->cur);   /* closes pooled connections: on this thread, the ring's only submitter */
	w->cur = NULL;
	io_uring_submit(&w->ring);
	submitted(w);
	for (int spins = 0; spins < 100; spins++) {
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;
		bool busy = false;

		for (size_t i = 0; i < w->n_ls; i++)
			busy |= w->logs[i].writing;
		for (uint32_t i = 0; i < w->n_conns && !busy; i++)
			busy |= w->conns[i]->used;
		if (!busy)
			break;
		struct __kernel_timespec t = { .tv_nsec = 10 * 1000000 };
		io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &t, NULL);
		submitted(w);
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			dispatch(w, cqe);
			n++;
		}
		io_uring_cq_advance(&w->ring, n);
	}
	atomic_store(&w->l7->log_seq, atomic_load(&w->l7->log_seq));
	w->log_seq = atomic_load(&w->l7->log_seq);
	logs_tick(w, true);
	qpool_drain(&qpool_in);
	qpool_drain(&qpool_out);
	return NULL;
}

/* ---- setup ---- */

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

/* wlog_set() - point log @lg at @path (NULL: none), writing out what it holds for the old file first. 0 or -errno. */
static int wlog_set(struct wlog *lg, const char *path, enum cfg_log_format format)
{
	int fd = -1;

	lg->format = format;
	if ((!path && !lg->path) || (path && lg->path && !strcmp(path, lg->path)))
		return 0;
	if (path) {
		fd = log_open(path);
		if (fd < 0)
			return -errno;
		if (!lg->buf[0])
			lg->buf[0] = malloc(LOG_BUF);
		if (!lg->buf[1])
			lg->buf[1] = malloc(LOG_BUF);
		if (!lg->buf[0] || !lg->buf[1]) {
			close(fd);
			return -ENOMEM;
		}
	}
	if (lg->fd >= 0) {
		/* a write in flight holds its own reference to the old file */
		if (lg->len)
			(void)!write(lg->fd, lg->buf[lg->cur], lg->len);
		close(lg->fd);
	}
	lg->len = 0;
	lg->fd = fd;
	lg->path = (char *)path;
	return 0;
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
			struct io_uring_sqe *sqe = worker_sqe(w);

			io_uring_prep_cancel64(sqe, ud_pack(UD_ACCEPT, (uint32_t)i, 0), 0);
			io_uring_sqe_set_data64(sqe, ud_pack(UD_NONE, 0, 0));
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

/*
 * worker_ring_init() - the ring is made by the thread that uses it: SINGLE_ISSUER
 * and DEFER_TASKRUN tie it to its creator, and completion work then runs only
 * when this thread waits for it (no interrupting task work). 0 or -errno (logged).
 */
static int worker_ring_init(struct worker *w)
{
	struct io_uring_params p;
	int err;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQSIZE;
	p.cq_entries = 16384;
	err = io_uring_queue_init_params(2048, &w->ring, &p);
	if (err) {
		/* older kernels: no DEFER_TASKRUN */
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_CQSIZE;
		p.cq_entries = 16384;
		err = io_uring_queue_init_params(2048, &w->ring, &p);
		if (err) {
			log_err("l7 worker %u: io_uring: %s", w->id, strerror(-err));
			return err;
		}
	}
	if (!(p.features & IORING_FEAT_SUBMIT_STABLE)) {   /* the send arena relies on it (5.5+) */
		log_err("l7 worker %u: io_uring without IORING_FEAT_SUBMIT_STABLE", w->id);
		io_uring_queue_exit(&w->ring);
		return -EOPNOTSUPP;
	}
	w->sendv = malloc(SEND_ARENA * sizeof(*w->sendv));
	if (!w->sendv) {
		io_uring_queue_exit(&w->ring);
		return -ENOMEM;
	}
	w->n_sendv = 0;
	/* The loop enters the ring once per turn: a registered ring fd spares each enter an fdget. */
	w->min_wait = p.features & IORING_FEAT_MIN_TIMEOUT;
	w->reg_ring = io_uring_register_ring_fd(&w->ring) == 1;
	if (!w->reg_ring)
		log_debug("l7 worker %u: io_uring_register_ring_fd failed: entering by fd", w->id);
	err = bufring_init(&w->br, &w->ring, 1, WORKER_BUF_COUNT, WORKER_BUF_SIZE);
	if (err) {
		log_err("l7 worker %u: buffer ring: %s", w->id, strerror(-err));
		free(w->sendv);
		w->sendv = NULL;
		io_uring_queue_exit(&w->ring);
		return err;
	}
	w->ring_ok = true;
	return 0;
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	w->start_err = worker_ring_init(w);
	sem_post(&w->started);
	if (w->start_err)
		return NULL;
	arm_wake(w);
	return worker_run(w);
}

/* worker_main_start() - listeners and logs here, then the thread (which makes its ring). 0 or -errno (logged). */
int worker_main_start(struct worker *w)
{
	int err;

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

/* worker_destroy() - after the thread ended (or never started): free everything. */
void worker_destroy(struct worker *w)
{
	for (size_t i = 0; i < w->n_ls; i++) {
		if (w->ls && w->ls[i].fd >= 0)
			close(w->ls[i].fd);
		if (w->logs) {
			if (w->logs[i].fd >= 0)
				close(w->logs[i].fd);
			free(w->logs[i].buf[0]);
			free(w->logs[i].buf[1]);
		}
	}
	free(w->ls);
	free(w->logs);
	w->ls = NULL;
	w->logs = NULL;
	if (w->cur)
		wgen_put(w, w->cur);
	w->cur = NULL;
	for (uint32_t i = 0; i < w->n_conns; i++) {
		free(w->conns[i]->in.v);
		free(w->conns[i]->out.s);
		http_msg_free_head(&w->conns[i]->msg);
		free(w->conns[i]->req.fwd_head);
		free(w->conns[i]);
	}
	forward_worker_free(w);   /* after the connections: pooled ones point at its origins */
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	w->wake_fd = -1;
	free(w->conns);
	free(w->nobufs);
	w->conns = NULL;
	w->n_conns = 0;
	if (w->ring_ok) {
		bufring_free(&w->br, &w->ring);
		io_uring_queue_exit(&w->ring);
		w->ring_ok = false;
	}
	free(w->sendv);
	w->sendv = NULL;
}
