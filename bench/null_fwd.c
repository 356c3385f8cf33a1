// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The null forwarder: an io_uring TCP relay with the proxies' connection pattern and no HTTP, the per-core ceiling of bench/l7.sh. */
/*
 *   null_fwd --listen PORT --upstream 127.0.0.1:PORT [--max-conns N]
 *
 * One thread, one ring (made the way sluiced's worker makes its own:
 * SINGLE_ISSUER, DEFER_TASKRUN, a registered ring fd, the same batched wait
 * while busy). It listens on 127.0.0.1:PORT with a multishot accept; each
 * client accepted gets its own upstream connection, connected then, kept for
 * the client's whole keep-alive life and closed with it. Bytes received on
 * either side (multishot recv into a provided buffer ring of 1024 x 16 KiB
 * buffers, sluiced's) are sent unchanged to the other side from the same
 * buffer, which goes back to the ring once sent: per request one recv and
 * one send each way, no copy, no parsing, no timers, no logs.
 *
 * Why no pool shared between clients: without parsing HTTP nothing tells
 * where a response ends, so an upstream connection could be handed to the
 * next client with the tail of the last one's response still on its way. A
 * connect and a close per client connection is all it costs (the bench's wrk
 * keeps its 32 connections for a whole run).
 *
 * It only ever connects to --upstream, which must be a loopback address.
 * SIGTERM or SIGINT: closes everything and exits 0.
 *
 * user_data: bits 0-7 the op (enum op), bit 8 the side (0 client, 1 upstream),
 * bits 32-63 the pair's index.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)   /* kernel 6.12; newer than liburing 2.3's headers */
#endif

#define BUF_COUNT   1024        /* sluiced's WORKER_BUF_COUNT and WORKER_BUF_SIZE */
#define BUF_SIZE    16384
#define BGID        1
#define NO_BUF      0xffff
/* sluiced's busy test and batched wait (l7.batch defaults): 8 clients, 64,000 CQEs/s, 4 CQEs or 30 µs. */
#define TICK_MS     16
#define BUSY_CLIENTS 8
#define BUSY_RATE   64000
#define BATCH_NR    4
#define BATCH_US    30

enum op { OP_ACCEPT = 1, OP_CONNECT, OP_RECV, OP_SEND };
enum { CLIENT = 0, UPSTREAM = 1 };

struct side {
	int fd;
	uint16_t q_head, q_tail;    /* buffers waiting to be sent on this side, linked by buf_next */
	uint32_t q_off;             /* bytes of q_head already sent */
	bool sending;               /* a send of q_head is in flight (one at a time keeps the order) */
	bool recv_armed;            /* a multishot recv is in flight */
};

struct pair {
	struct side s[2];
	uint32_t inflight;          /* SQEs whose completions are still to come */
	uint32_t act_tick;          /* the tick in which its client last sent something */
	bool used, closing;
};

struct fwd {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	unsigned char *mem;
	uint16_t buf_next[BUF_COUNT], buf_pending;
	uint32_t buf_len[BUF_COUNT];
	struct pair *pairs;
	uint32_t *free_list, n_free, max;
	uint64_t *retry;            /* (pair << 1 | side) whose recv waits for buffers */
	uint32_t n_retry;
	int lfd;
	struct sockaddr_storage up;
	socklen_t up_len;
	bool accept_armed, min_wait, reg_ring;
	/* the busy test */
	uint32_t tick, act_clients;
	uint64_t tick_ms, act_cqes;
	bool batch;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static inline uint64_t ud(enum op op, int side, uint32_t idx)
{
	return (uint64_t)op | (uint64_t)side << 8 | (uint64_t)idx << 32;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* fwd_sqe() - a free SQE, submitting what is queued first if the ring is full. Never NULL. */
static struct io_uring_sqe *fwd_sqe(struct fwd *f)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);

	while (!sqe) {
		io_uring_submit(&f->ring);
		sqe = io_uring_get_sqe(&f->ring);
	}
	return sqe;
}

static void buf_put(struct fwd *f, uint16_t bid)
{
	io_uring_buf_ring_add(f->br, f->mem + (size_t)bid * BUF_SIZE, BUF_SIZE, bid,
			      io_uring_buf_ring_mask(BUF_COUNT), f->buf_pending++);
}

static void accept_arm(struct fwd *f)
{
	struct io_uring_sqe *sqe = fwd_sqe(f);

	io_uring_prep_multishot_accept(sqe, f->lfd, NULL, NULL, 0);
	sqe->user_data = ud(OP_ACCEPT, 0, 0);
	f->accept_armed = true;
}

static void recv_arm(struct fwd *f, uint32_t idx, int side)
{
	struct pair *p = &f->pairs[idx];
	struct io_uring_sqe *sqe = fwd_sqe(f);

	io_uring_prep_recv_multishot(sqe, p->s[side].fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = ud(OP_RECV, side, idx);
	p->s[side].recv_armed = true;
	p->inflight++;
}

/* send_next() - send what is left of the head buffer queued on @side, if nothing is in flight there. */
static void send_next(struct fwd *f, uint32_t idx, int side)
{
	struct pair *p = &f->pairs[idx];
	struct side *s = &p->s[side];
	struct io_uring_sqe *sqe;

	if (s->sending || s->q_head == NO_BUF || p->closing)
		return;
	sqe = fwd_sqe(f);
	io_uring_prep_send(sqe, s->fd, f->mem + (size_t)s->q_head * BUF_SIZE + s->q_off,
			   f->buf_len[s->q_head] - s->q_off, MSG_NOSIGNAL);
	sqe->user_data = ud(OP_SEND, side, idx);
	s->sending = true;
	p->inflight++;
}

/* pair_free() - once nothing of the pair is in flight: buffers back to the ring, descriptors closed. */
static void pair_free(struct fwd *f, uint32_t idx)
{
	struct pair *p = &f->pairs[idx];

	for (int i = 0; i < 2; i++) {
		struct side *s = &p->s[i];

		while (s->q_head != NO_BUF) {
			uint16_t next = f->buf_next[s->q_head];

			buf_put(f, s->q_head);
			s->q_head = next;
		}
		if (s->fd >= 0)
			close(s->fd);
	}
	p->used = false;
	f->free_list[f->n_free++] = idx;
}

/*
 * pair_close() - shut both sockets down: their recvs complete (0) and their
 * sends fail, so every op in flight comes back; the last one frees the pair.
 */
static void pair_close(struct fwd *f, uint32_t idx)
{
	struct pair *p = &f->pairs[idx];

	if (!p->closing) {
		p->closing = true;
		for (int i = 0; i < 2; i++)
			if (p->s[i].fd >= 0)
				shutdown(p->s[i].fd, SHUT_RDWR);
	}
	if (!p->inflight)
		pair_free(f, idx);
}

static void pair_done_op(struct fwd *f, uint32_t idx)
{
	struct pair *p = &f->pairs[idx];

	p->inflight--;
	if (p->closing && !p->inflight)
		pair_free(f, idx);
}

static void on_accept(struct fwd *f, const struct io_uring_cqe *cqe)
{
	struct io_uring_sqe *sqe;
	struct pair *p;
	uint32_t idx;
	int one = 1, ufd;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		f->accept_armed = false;
	if (cqe->res < 0) {
		if (cqe->res != -ECANCELED)
			fprintf(stderr, "null_fwd: accept: %s\n", strerror(-cqe->res));
		return;
	}
	if (!f->n_free) {
		close(cqe->res);
		return;
	}
	ufd = socket(f->up.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ufd < 0) {
		fprintf(stderr, "null_fwd: upstream socket: %s\n", strerror(errno));
		close(cqe->res);
		return;
	}
	setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	idx = f->free_list[--f->n_free];
	p = &f->pairs[idx];
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->s[CLIENT].fd = cqe->res;
	p->s[UPSTREAM].fd = ufd;
	for (int i = 0; i < 2; i++)
		p->s[i].q_head = p->s[i].q_tail = NO_BUF;
	p->act_tick = f->tick - 1;
	sqe = fwd_sqe(f);
	io_uring_prep_connect(sqe, ufd, (struct sockaddr *)&f->up, f->up_len);
	sqe->user_data = ud(OP_CONNECT, UPSTREAM, idx);
	p->inflight++;
}

static void on_connect(struct fwd *f, uint32_t idx, const struct io_uring_cqe *cqe)
{
	struct pair *p = &f->pairs[idx];

	if (!p->closing && cqe->res < 0) {
		fprintf(stderr, "null_fwd: upstream connect: %s\n", strerror(-cqe->res));
		pair_close(f, idx);
	} else if (!p->closing) {
		recv_arm(f, idx, CLIENT);
		recv_arm(f, idx, UPSTREAM);
	}
	pair_done_op(f, idx);
}

static void on_recv(struct fwd *f, uint32_t idx, int side, const struct io_uring_cqe *cqe)
{
	struct pair *p = &f->pairs[idx];
	struct side *to = &p->s[!side];
	bool more = cqe->flags & IORING_CQE_F_MORE;

	if (cqe->res > 0) {
		uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);

		f->buf_len[bid] = (uint32_t)cqe->res;
		f->buf_next[bid] = NO_BUF;
		if (p->closing) {
			buf_put(f, bid);
		} else {
			if (to->q_tail == NO_BUF)
				to->q_head = bid;
			else
				f->buf_next[to->q_tail] = bid;
			to->q_tail = bid;
			send_next(f, idx, !side);
		}
		if (side == CLIENT && p->act_tick != f->tick) {
			p->act_tick = f->tick;
			f->act_clients++;
		}
	}
	if (more)
		return;
	p->s[side].recv_armed = false;
	if (cqe->res == -ENOBUFS && !p->closing) {
		/* every buffer is queued somewhere: re-armed once some come back */
		f->retry[f->n_retry++] = (uint64_t)idx << 1 | (uint64_t)side;
	} else if (cqe->res > 0 && !p->closing) {
		recv_arm(f, idx, side);
	} else if (!p->closing) {
		pair_close(f, idx);   /* 0: that side closed; < 0: an error */
	}
	pair_done_op(f, idx);
}

static void on_send(struct fwd *f, uint32_t idx, int side, const struct io_uring_cqe *cqe)
{
	struct pair *p = &f->pairs[idx];
	struct side *s = &p->s[side];

	s->sending = false;
	if (cqe->res < 0) {
		pair_close(f, idx);
	} else if ((uint32_t)cqe->res + s->q_off < f->buf_len[s->q_head]) {
		s->q_off += (uint32_t)cqe->res;   /* short send: the rest next */
		send_next(f, idx, side);
	} else {
		uint16_t bid = s->q_head;

		s->q_head = f->buf_next[bid];
		if (s->q_head == NO_BUF)
			s->q_tail = NO_BUF;
		s->q_off = 0;
		buf_put(f, bid);
		send_next(f, idx, side);
	}
	pair_done_op(f, idx);
}

static void dispatch(struct fwd *f, const struct io_uring_cqe *cqe)
{
	enum op op = (enum op)(cqe->user_data & 0xff);
	int side = (int)(cqe->user_data >> 8 & 1);
	uint32_t idx = (uint32_t)(cqe->user_data >> 32);

	switch (op) {
	case OP_ACCEPT:
		on_accept(f, cqe);
		break;
	case OP_CONNECT:
		on_connect(f, idx, cqe);
		break;
	case OP_RECV:
		on_recv(f, idx, side, cqe);
		break;
	case OP_SEND:
		on_send(f, idx, side, cqe);
		break;
	}
}

/* buffers_flush() - hand the buffers returned this turn to the kernel, then re-arm the recvs that ran out. */
static void buffers_flush(struct fwd *f)
{
	if (!f->buf_pending)
		return;
	io_uring_buf_ring_advance(f->br, f->buf_pending);
	f->buf_pending = 0;
	while (f->n_retry) {
		uint64_t r = f->retry[--f->n_retry];
		uint32_t idx = (uint32_t)(r >> 1);
		int side = (int)(r & 1);
		struct pair *p = &f->pairs[idx];

		if (p->used && !p->closing && !p->s[side].recv_armed)
			recv_arm(f, idx, side);
	}
}

/* ring_wait() - submit and wait in one enter: for BATCH_NR CQEs or BATCH_US while busy, else for one. */
static int ring_wait(struct fwd *f)
{
	struct io_uring_sq *sq = &f->ring.sq;
	unsigned int tail = sq->sqe_tail, wait_nr = 1, flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
	struct __kernel_timespec ts = { .tv_sec = 1 };
	struct io_uring_getevents_arg arg = { .ts = (uint64_t)(uintptr_t)&ts };
	int fd = f->ring.ring_fd, ret;

	if (!f->min_wait) {
		ret = io_uring_submit_and_wait_timeout(&f->ring, &(struct io_uring_cqe *){ NULL }, 1, &ts, NULL);
		return ret == -ETIME ? 0 : ret;
	}
	if (f->batch) {
		wait_nr = BATCH_NR;
		arg.pad = BATCH_US;   /* min_wait_usec in 6.12+ headers */
	}
	if (sq->sqe_head != tail) {
		sq->sqe_head = tail;
		io_uring_smp_store_release(sq->ktail, tail);
	}
	if (f->reg_ring) {
		fd = f->ring.enter_ring_fd;
		flags |= IORING_ENTER_REGISTERED_RING;
	}
	ret = io_uring_enter2((unsigned int)fd, tail - *sq->khead, wait_nr, flags, (sigset_t *)&arg, sizeof(arg));
	return ret < 0 && ret != -ETIME ? ret : 0;
}

/* ring_init() - the ring and its buffers as sluiced's worker has them. 0 or -errno (said). */
static int ring_init(struct fwd *f)
{
	/* sluiced's flags, then (kernels before 6.1: no DEFER_TASKRUN) a plain ring */
	static const unsigned int setups[] = {
		IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		0,
	};
	struct io_uring_params p;
	struct io_uring_buf_reg reg;
	int err = -EINVAL;

	for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]) && err; i++) {
		memset(&p, 0, sizeof(p));
		p.flags = setups[i] | IORING_SETUP_CQSIZE;
		p.cq_entries = 16384;
		err = io_uring_queue_init_params(2048, &f->ring, &p);
	}
	if (err) {
		fprintf(stderr, "null_fwd: io_uring: %s\n", strerror(-err));
		return err;
	}
	f->min_wait = p.features & IORING_FEAT_MIN_TIMEOUT;
	f->reg_ring = io_uring_register_ring_fd(&f->ring) == 1;
	/* liburing 2.3 has no io_uring_setup_buf_ring(): the ring is mapped and registered by hand. */
	f->br = mmap(NULL, BUF_COUNT * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->mem = mmap(NULL, (size_t)BUF_COUNT * BUF_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->br == MAP_FAILED || f->mem == MAP_FAILED) {
		fprintf(stderr, "null_fwd: buffers: %s\n", strerror(errno));
		return -ENOMEM;
	}
	io_uring_buf_ring_init(f->br);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)f->br;
	reg.ring_entries = BUF_COUNT;
	reg.bgid = BGID;
	err = io_uring_register_buf_ring(&f->ring, &reg, 0);
	if (err) {
		fprintf(stderr, "null_fwd: register_buf_ring: %s\n", strerror(-err));
		return err;
	}
	for (uint16_t i = 0; i < BUF_COUNT; i++)
		buf_put(f, i);
	io_uring_buf_ring_advance(f->br, f->buf_pending);
	f->buf_pending = 0;
	return 0;
}

/* parse_upstream() - "127.0.0.1:PORT" or "[::1]:PORT", loopback only. 0 or -EINVAL. */
static int parse_upstream(struct fwd *f, const char *arg)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&f->up;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&f->up;
	const char *colon = strrchr(arg, ':');
	char host[64];
	long port;
	size_t n;

	if (!colon || colon == arg)
		return -EINVAL;
	n = (size_t)(colon - arg);
	if (arg[0] == '[' && n >= 2 && arg[n - 1] == ']') {
		arg++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, arg, n);
	host[n] = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port < 1 || port > 65535)
		return -EINVAL;
	memset(&f->up, 0, sizeof(f->up));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		if ((ntohl(in->sin_addr.s_addr) >> 24) != 127)
			return -EINVAL;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		f->up_len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		f->up_len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static int listen_on(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));   /* inherited by accepted sockets */
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: null_fwd --listen PORT --upstream 127.0.0.1:PORT [--max-conns N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	static struct fwd fw;
	struct fwd *f = &fw;
	long lport = 0;
	int c, err;

	f->max = 16384;
	f->up_len = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			lport = strtol(optarg, NULL, 10);
			break;
		case 'u':
			if (parse_upstream(f, optarg)) {
				fprintf(stderr, "null_fwd: --upstream %s: want a loopback HOST:PORT\n", optarg);
				return 2;
			}
			break;
		case 'm':
			f->max = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (lport < 1 || lport > 65535 || !f->up_len || f->max < 1 || f->max > 1u << 20 || optind != argc)
		usage();
	/* no SA_RESTART: the wait returns -EINTR and the loop sees the flag */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	f->pairs = calloc(f->max, sizeof(*f->pairs));
	f->free_list = calloc(f->max, sizeof(*f->free_list));
	f->retry = calloc((size_t)f->max * 2, sizeof(*f->retry));
	if (!f->pairs || !f->free_list || !f->retry) {
		fprintf(stderr, "null_fwd: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < f->max; i++)
		f->free_list[f->n_free++] = f->max - 1 - i;
	f->lfd = listen_on((uint16_t)lport);
	if (f->lfd < 0) {
		fprintf(stderr, "null_fwd: listen 127.0.0.1:%ld: %s\n", lport, strerror(-f->lfd));
		return 1;
	}
	err = ring_init(f);
	if (err)
		return 1;
	accept_arm(f);
	f->tick_ms = now_ms();

	while (!stop) {
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;
		uint64_t t;

		err = ring_wait(f);
		if (err && err != -EINTR && err != -EAGAIN && err != -EBUSY) {
			fprintf(stderr, "null_fwd: io_uring_enter: %s\n", strerror(-err));
			break;
		}
		io_uring_for_each_cqe(&f->ring, head, cqe) {
			dispatch(f, cqe);
			n++;
		}
		io_uring_cq_advance(&f->ring, n);
		buffers_flush(f);
		if (!f->accept_armed && !stop)
			accept_arm(f);
		f->act_cqes += n;
		t = now_ms();
		if (t - f->tick_ms >= TICK_MS) {
			f->batch = f->act_clients >= BUSY_CLIENTS && f->act_cqes * 1000 >= BUSY_RATE * (t - f->tick_ms);
			f->tick++;
			f->tick_ms = t;
			f->act_clients = 0;
			f->act_cqes = 0;
		}
	}
	/* Exit: the kernel drops the ring's requests with it; the descriptors close with the process. */
	for (uint32_t i = 0; i < f->max; i++)
		for (int s = 0; f->pairs[i].used && s < 2; s++)
			close(f->pairs[i].s[s].fd);
	close(f->lfd);
	io_uring_queue_exit(&f->ring);
	return err && err != -EINTR ? 1 : 0;
}
