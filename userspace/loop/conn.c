// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The loop's connections: the slot table, receive, send and close, and their completions. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop/conn.h"
#include "loop/loop.h"

static struct loop_conn *conn_at(const struct loop *lp, uint32_t idx)
{
	return lp->conns[idx];
}

/*
 * conn_slab() - CONN_SLAB more slots in one anonymous mapping. Slots come in
 * slabs, not one calloc each: no allocator header per slot, and no slot lands
 * between the short-lived allocations of requests, whose holes would otherwise
 * stay mapped for as long as the idle connections around them live (memory per
 * idle client). A slot is first written when it is handed out, so a page
 * counts only once a connection uses it. 0, or -ENOMEM.
 */
static int conn_slab(struct loop *lp)
{
	size_t size = CONN_SLAB * lp->conn_size;
	char *slab;

	if (lp->n_conns + CONN_SLAB > lp->cap_conns) {
		uint32_t cap = lp->cap_conns ? lp->cap_conns * 2 : 1024;
		void **v;

		if (cap > (1u << 24))
			return -ENOMEM;
		v = realloc(lp->conns, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		lp->conns = v;
		lp->cap_conns = cap;
	}
	slab = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (slab == MAP_FAILED)
		return -ENOMEM;
	for (uint32_t i = 0; i < CONN_SLAB; i++)
		lp->conns[lp->n_conns + i] = slab + i * lp->conn_size;
	lp->n_fresh_at = lp->n_conns;
	lp->n_conns += CONN_SLAB;
	return 0;
}

struct loop_conn *loop_conn_new(struct loop *lp, uint8_t kind, int fd, const struct conn_ops *ops)
{
	struct loop_conn *c = lp->free_conns;

	if (c) {
		lp->free_conns = c->free_next;
	} else {
		/* never used yet: the rest of the last slab, or a new one */
		if (lp->n_fresh_at == lp->n_conns && conn_slab(lp))
			return NULL;
		c = lp->conns[lp->n_fresh_at];
		c->idx = lp->n_fresh_at++;
	}
	uint32_t idx = c->idx, gen = c->gen + 1;
	struct inq in = c->in;
	struct outq out = c->out;

	/* queue arrays are kept across reuse: no malloc per connection once warm */
	memset(c, 0, lp->conn_size);
	c->idx = idx;
	c->gen = gen;
	c->in.v = in.v;
	c->in.cap = in.cap;
	c->out.s = out.s;
	c->out.cap = out.cap;
	c->ops = ops;
	c->kind = kind;
	c->fd = fd;
	c->used = true;
	c->seen_tick = (uint16_t)(lp->act_tick - 1);
	if (kind == CONN_CLIENT)
		lp->n_clients++;
	return c;
}

void loop_conn_free(struct loop *lp, struct loop_conn *c)
{
	c->ops->on_released(lp, c);
	if (c->xf) {
		c->xf->ops->on_released(lp, c);
		c->xf = NULL;
	}
	inq_clear(lp, &c->in);
	outq_clear(lp, &c->out);
	if (c->kind == CONN_CLIENT)
		lp->n_clients--;
	c->used = false;
	timer_unlink(c);   /* free_next shares t_next's place */
	c->free_next = lp->free_conns;
	lp->free_conns = c;
}

void loop_conn_recv(struct loop *lp, struct loop_conn *c)
{
	struct io_uring_sqe *sqe;

	if (c->recv_armed || c->dead || c->eof)
		return;
	if (c->fd < 0 && c->xf && c->xf->ops->recv) {
		c->xf->ops->recv(lp, c);
		return;
	}
	sqe = loop_sqe(lp);
	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = lp->br.bgid;
	io_uring_sqe_set_data64(sqe, ud_pack(UD_RECV, c->idx, c->gen));
	c->recv_armed = true;
	c->inflight++;
}

/* send_slot() - an arena slot for a send's iovecs, and its SQE. */
static struct send_slot *send_slot(struct loop *lp, struct io_uring_sqe **sqe)
{
	while (lp->n_sendv == SEND_ARENA)
		loop_submit(lp);
	*sqe = loop_sqe(lp);   /* before taking a slot: a submit in here may recycle the arena */
	return &lp->sendv[lp->n_sendv++];
}

static void send_prep(struct loop_conn *c, struct io_uring_sqe *sqe, struct send_slot *sl, uint32_t n)
{
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
	c->inflight++;
}

void loop_conn_send(struct loop *lp, struct loop_conn *c)
{
	struct outq *q = &c->out;
	struct io_uring_sqe *sqe;
	struct send_slot *sl;
	uint32_t n = 0;

	if (c->xf) {
		if (!c->dead)
			c->xf->ops->send(lp, c);
		return;
	}
	if (q->inflight || q->head == q->tail || c->dead || c->connecting)
		return;
	sl = send_slot(lp, &sqe);
	for (uint32_t i = q->head; i < q->tail && n < SEND_IOV; i++, n++) {
		struct seg *s = &q->s[i];
		const char *p = s->kind == SEG_INLINE ? s->inl : s->ptr;
		uint32_t off = i == q->head ? q->off : 0;

		sl->iov[n].iov_base = (void *)(p + off);
		sl->iov[n].iov_len = s->len - off;
	}
	send_prep(c, sqe, sl, n);
	q->inflight = true;
}

void loop_conn_send_iov(struct loop *lp, struct loop_conn *c, const struct iovec *iov, uint32_t n)
{
	struct io_uring_sqe *sqe;
	struct send_slot *sl = send_slot(lp, &sqe);

	memcpy(sl->iov, iov, n * sizeof(*iov));
	send_prep(c, sqe, sl, n);
}

void loop_conn_close(struct loop *lp, struct loop_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	timer_unlink(c);
	/* Cancel by user_data: a cancel by fd would run after close() and find nothing. */
	if (c->recv_armed)
		loop_cancel(lp, ud_pack(UD_RECV, c->idx, c->gen));
	if (c->connecting)
		loop_cancel(lp, ud_pack(UD_CONNECT, c->idx, c->gen));
	if (c->fd >= 0) {
		if (!c->connecting)
			shutdown(c->fd, SHUT_RDWR);   /* fails an in-flight send at once */
		close(c->fd);
		c->fd = -1;
	}
	if (!c->inflight)
		loop_conn_free(lp, c);
}

static void nobufs_add(struct loop *lp, struct loop_conn *c)
{
	if (c->recv_nobufs)
		return;
	if (lp->n_nobufs == lp->cap_nobufs && grow((void **)&lp->nobufs, &lp->cap_nobufs, sizeof(*lp->nobufs)))
		return;
	c->recv_nobufs = true;
	c->inflight++;   /* the list holds the connection */
	lp->nobufs[lp->n_nobufs++] = c;
}

void loop_nobufs_retry(struct loop *lp)
{
	uint32_t n = lp->n_nobufs;

	if (!n || lp->br.out + 16 > lp->br.count)
		return;
	lp->n_nobufs = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct loop_conn *c = lp->nobufs[i];

		c->recv_nobufs = false;
		c->inflight--;
		if (c->dead) {
			if (!c->inflight)
				loop_conn_free(lp, c);
			continue;
		}
		if (!c->paused)
			loop_conn_recv(lp, c);
	}
}

/* conn_eof() - the socket ended (0: the peer's FIN) or failed: to the transform first, when there is one. */
static void conn_eof(struct loop *lp, struct loop_conn *c, int err)
{
	if (c->xf)
		c->xf->ops->on_eof(lp, c, err);
	else
		c->ops->on_eof(lp, c, err);
}

static void on_recv(struct loop *lp, struct loop_conn *c, const struct io_uring_cqe *cqe)
{
	bool more = cqe->flags & IORING_CQE_F_MORE;

	if (!more)
		c->recv_armed = false;
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);

		bufring_took(&lp->br, bid);
		if (c->kind == CONN_CLIENT && c->seen_tick != lp->act_tick) {
			c->seen_tick = lp->act_tick;
			lp->act_clients++;
		}
		if (c->dead || cqe->res <= 0 || inq_push(&c->in, bid, (uint32_t)cqe->res)) {
			bufring_unref(&lp->br, bid);
			if (!c->dead && cqe->res > 0)
				conn_eof(lp, c, -ENOMEM);
			return;
		}
		if (c->xf)
			c->xf->ops->on_recv(lp, c);
		else
			c->ops->on_recv(lp, c);
		if (!more && !c->dead && !c->eof && !c->paused)
			loop_conn_recv(lp, c);
		return;
	}
	if (c->dead)
		return;
	if (cqe->res == -ENOBUFS) {
		nobufs_add(lp, c);
		return;
	}
	if (cqe->res == -ECANCELED) {
		if (!c->paused)
			loop_conn_recv(lp, c);
		return;
	}
	if (cqe->res == 0) {
		c->eof = true;
		conn_eof(lp, c, 0);
		return;
	}
	if (cqe->res < 0) {
		c->eof = true;
		conn_eof(lp, c, cqe->res);
		return;
	}
}

static void on_send(struct loop *lp, struct loop_conn *c, const struct io_uring_cqe *cqe)
{
	/* the array a send in flight saw (outq_push()): that send, or a transform's, is over */
	free(c->out.old);
	c->out.old = NULL;
	if (c->xf) {
		if (!c->dead)
			c->xf->ops->on_sent(lp, c, cqe->res);
		return;
	}
	c->out.inflight = false;
	if (c->dead)
		return;
	if (cqe->res < 0) {
		conn_eof(lp, c, cqe->res);
		return;
	}
	outq_consume(lp, &c->out, (uint32_t)cqe->res);
	loop_conn_send(lp, c);
	c->ops->on_sent(lp, c);
}

static void on_connect(struct loop *lp, struct loop_conn *c, const struct io_uring_cqe *cqe)
{
	c->connecting = false;
	if (c->dead)
		return;
	if (c->xf)
		c->xf->ops->on_connect(lp, c, cqe->res);
	else
		c->ops->on_connect(lp, c, cqe->res);
}

void loop_conn_done(struct loop *lp, const struct io_uring_cqe *cqe)
{
	unsigned int op = ud_op(cqe->user_data);
	struct loop_conn *c;

	if (ud_index(cqe->user_data) >= lp->n_conns)
		return;
	c = conn_at(lp, ud_index(cqe->user_data));
	if (c->gen != ud_gen(cqe->user_data)) {
		/* cannot happen while slots outlive their completions; never leak a buffer */
		if (cqe->flags & IORING_CQE_F_BUFFER) {
			uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);

			bufring_took(&lp->br, bid);
			bufring_unref(&lp->br, bid);
		}
		return;
	}
	if (op != UD_RECV || !(cqe->flags & IORING_CQE_F_MORE))
		c->inflight--;
	if (op == UD_RECV)
		on_recv(lp, c, cqe);
	else if (op == UD_SEND)
		on_send(lp, c, cqe);
	else
		on_connect(lp, c, cqe);
	if (c->dead && !c->inflight && c->used)
		loop_conn_free(lp, c);
}

/* loop_conn_peer() - the peer's address and port for a log line: "198.18.0.7:40012", "[2001:2::7]:40012". */
const char *loop_conn_peer(const struct loop_conn *c, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];

	if (c->fd < 0 || getpeername(c->fd, (struct sockaddr *)&ss, &sl))
		return "?";
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
	} else {
		snprintf(buf, len, "unix");
	}
	return buf;
}
