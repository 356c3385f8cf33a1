// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The harness of the libFuzzer targets that run the whole worker (fuzz_proxy.c,
 * fuzz_h2.c): a fake kernel, the driver, the end checks and the replay main.
 * Included by the one source file of each target: it defines the liburing
 * functions that enter the kernel.
 *
 * The harness is the kernel: it takes the SQEs the worker queues and answers
 * them with CQEs as the target says: a client connects, sends bytes,
 * half-closes or resets; an upstream connect succeeds or fails; an upstream
 * sends bytes, closes or resets; a send completes whole, in part or with an
 * error; time passes (timers fire).
 *
 * Checked by the target after every step: it returned (a watchdog on CPU
 * time catches a handler that never returns: the unsolicited 101 of issue
 * 17), the worker went quiet within a bounded number of loop turns (no
 * completion ping-pong), output queues stay bounded (check_bounds()). At the
 * end (fz_end()) every connection is closed by its peer and time runs past
 * every timeout: then every connection slot must be free, every receive
 * buffer back and every listener count at zero (LeakSanitizer checks the heap
 * in the libFuzzer build).
 *
 * Built two ways: with libFuzzer (`make fuzz`), and with -DFUZZ_REPLAY as a
 * TAP program that replays the files of FUZZ_CORPUS and FUZZ_REPRO (`make test`).
 */
#ifndef SLUICE_FUZZ_WORKER_H
#define SLUICE_FUZZ_WORKER_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cache/cache_proxy.h"
#include "config/config.h"
#include "forward/forward.h"
#include "l7/l7.h"
#include "l7/worker.h"
#include "lib/log.h"

#define FZ_SQ        64        /* small: worker_sqe()'s "SQ full" submit runs too */
#define FZ_CQ        4096
#define FZ_BUFS      64        /* receive buffers (> 16: nobufs_retry() keeps 16 spare) */
#define FZ_BUF_PRIV  64        /* private buffers: an h2 session writes its streams' requests there */
#define FZ_BUF_SIZE  1024      /* small: heads and bodies straddle buffers */
#define FZ_MAX_SOCKS 64
#define FZ_MAX_CLIENTS 6
#define FZ_MAX_TURNS 2000      /* loop turns for one op to go quiet: more is a completion ping-pong */
/* CPU seconds one op may take (it takes milliseconds): more is a handler that never returns. */
#ifdef FUZZ_REPLAY
#define FZ_OP_CPU_S  1         /* make test: a known spin (a todo- reproducer) costs this */
#else
#define FZ_OP_CPU_S  3
#endif
#define FZ_OUT_BOUND (OUT_HIGH + 64 * FZ_BUF_SIZE + 256 * 1024)   /* a client's queue: the high mark, a few buffers, a head */
#define FZ_START_MS  1000000

/* A socket as the fake kernel sees it: one connection of the worker (user_data's index and generation). */
struct fsock {
	bool used, client;
	uint32_t idx, gen;
	bool recv_armed, connecting, send_pending;
	uint64_t recv_ud, connect_ud, send_ud;
	struct iovec iov[SEND_IOV];
	int n_iov;
	char *in;             /* bytes the peer sent that no receive took yet */
	size_t in_len;
	int fin;              /* the peer closed: 1 FIN, -errno reset; delivered once in_len is 0 */
};

struct fz {
	struct cfg *cfg;
	struct l7 *l7;
	struct worker w;
	uint64_t now;
	/* the fake kernel */
	struct io_uring_sqe *taken;   /* SQEs the last submits took, in order */
	size_t n_taken, cap_taken;
	struct io_uring_buf_ring *br; /* the registered buffer ring */
	uint32_t br_entries;
	uint16_t br_head;             /* buffers the kernel has used */
	struct fsock socks[FZ_MAX_SOCKS];
	const char *what;             /* the op running, for the watchdog */
	unsigned int op_no;
};

static struct fz *cur_fz;   /* for the fake liburing functions and the watchdog */

static void fz_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fz_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* ---- the fake kernel: liburing's out-of-line functions ---- */

/* io_uring_submit() - the kernel takes every queued SQE (copied: the worker reuses the slots and its send arena). */
int io_uring_submit(struct io_uring *ring)
{
	struct io_uring_sq *sq = &ring->sq;
	struct fz *f = cur_fz;
	int n = 0;

	for (unsigned int h = *sq->khead; h != sq->sqe_tail; h++, n++) {
		if (f->n_taken == f->cap_taken) {
			size_t cap = f->cap_taken ? f->cap_taken * 2 : 64;
			struct io_uring_sqe *t = realloc(f->taken, cap * sizeof(*t));

			if (!t)
				fz_die("out of memory");
			f->taken = t;
			f->cap_taken = cap;
		}
		f->taken[f->n_taken++] = sq->sqes[h & sq->ring_mask];
	}
	sq->sqe_head = sq->sqe_tail;
	*sq->khead = sq->sqe_tail;
	*sq->ktail = sq->sqe_tail;
	return n;
}

int io_uring_register_buf_ring(struct io_uring *ring, struct io_uring_buf_reg *reg, unsigned int flags)
{
	(void)ring;
	(void)flags;
	cur_fz->br = (struct io_uring_buf_ring *)(uintptr_t)reg->ring_addr;
	cur_fz->br_entries = reg->ring_entries;
	cur_fz->br_head = 0;
	return 0;
}

int io_uring_unregister_buf_ring(struct io_uring *ring, int bgid)
{
	(void)ring;
	(void)bgid;
	cur_fz->br = NULL;
	return 0;
}

/* The worker's own ring setup and wait (worker_main_start, worker_run) and health.c never run here. */
int io_uring_queue_init_params(unsigned int entries, struct io_uring *ring, struct io_uring_params *p)
{
	(void)entries, (void)ring, (void)p;
	return -ENOSYS;
}

int io_uring_queue_init(unsigned int entries, struct io_uring *ring, unsigned int flags)
{
	(void)entries, (void)ring, (void)flags;
	return -ENOSYS;
}

void io_uring_queue_exit(struct io_uring *ring)
{
	(void)ring;
}

int io_uring_register_ring_fd(struct io_uring *ring)
{
	(void)ring;
	return -ENOSYS;
}

int io_uring_submit_and_wait_timeout(struct io_uring *ring, struct io_uring_cqe **cqe_ptr, unsigned int wait_nr,
				     struct __kernel_timespec *ts, sigset_t *sigmask)
{
	(void)ring, (void)cqe_ptr, (void)wait_nr, (void)ts, (void)sigmask;
	fz_die("io_uring_submit_and_wait_timeout: not faked");
}

int io_uring_enter2(unsigned int fd, unsigned int to_submit, unsigned int min_complete, unsigned int flags,
		    sigset_t *sig, size_t sz)
{
	(void)fd, (void)to_submit, (void)min_complete, (void)flags, (void)sig, (void)sz;
	fz_die("io_uring_enter2: not faked");
}

int io_uring_wait_cqe_timeout(struct io_uring *ring, struct io_uring_cqe **cqe_ptr, struct __kernel_timespec *ts)
{
	(void)ring, (void)cqe_ptr, (void)ts;
	fz_die("io_uring_wait_cqe_timeout: not faked");
}

int __io_uring_get_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr, unsigned int submit,
		       unsigned int wait_nr, sigset_t *sigmask)
{
	(void)ring, (void)cqe_ptr, (void)submit, (void)wait_nr, (void)sigmask;
	fz_die("__io_uring_get_cqe: not faked");
}

/* ring_init() - a ring in plain memory, laid out as liburing's inline functions expect. 0 or -ENOMEM. */
static int ring_init(struct io_uring *ring)
{
	static unsigned int sq_k[4], cq_k[4];   /* khead, ktail, mask, entries */
	struct io_uring_sq *sq = &ring->sq;
	struct io_uring_cq *cq = &ring->cq;

	memset(ring, 0, sizeof(*ring));
	memset(sq_k, 0, sizeof(sq_k));
	memset(cq_k, 0, sizeof(cq_k));
	sq->sqes = calloc(FZ_SQ, sizeof(*sq->sqes));
	cq->cqes = calloc(FZ_CQ, sizeof(*cq->cqes));
	if (!sq->sqes || !cq->cqes)
		return -ENOMEM;
	sq->khead = &sq_k[0];
	sq->ktail = &sq_k[1];
	sq->kring_mask = &sq_k[2];
	sq->kring_entries = &sq_k[3];
	sq->ring_mask = sq_k[2] = FZ_SQ - 1;
	sq->ring_entries = sq_k[3] = FZ_SQ;
	cq->khead = &cq_k[0];
	cq->ktail = &cq_k[1];
	cq->kring_mask = &cq_k[2];
	cq->kring_entries = &cq_k[3];
	cq->ring_mask = cq_k[2] = FZ_CQ - 1;
	cq->ring_entries = cq_k[3] = FZ_CQ;
	ring->ring_fd = -1;
	ring->enter_ring_fd = -1;
	return 0;
}

static void ring_free(struct io_uring *ring)
{
	free(ring->sq.sqes);
	free(ring->cq.cqes);
	ring->sq.sqes = NULL;
	ring->cq.cqes = NULL;
}

/* post() - a completion. The CQ is sized so that a quiet worker never fills it; a full one is a runaway. */
static void post(struct fz *f, uint64_t ud, int res, uint32_t flags)
{
	struct io_uring_cq *cq = &f->w.ring.cq;
	unsigned int tail = *cq->ktail;

	if (tail - *cq->khead >= cq->ring_entries)
		fz_die("op %u (%s): completion queue overflow: the worker submits without end", f->op_no, f->what);
	cq->cqes[tail & cq->ring_mask] = (struct io_uring_cqe){ .user_data = ud, .res = res, .flags = flags };
	*cq->ktail = tail + 1;
}

static unsigned int cq_ready(struct fz *f)
{
	return *f->w.ring.cq.ktail - *f->w.ring.cq.khead;
}

/* ---- sockets ---- */

static struct fsock *sock_of(struct fz *f, uint64_t ud)
{
	for (int i = 0; i < FZ_MAX_SOCKS; i++) {
		struct fsock *s = &f->socks[i];

		if (s->used && s->idx == ud_index(ud) && s->gen == ud_gen(ud))
			return s;
	}
	return NULL;
}

static struct fsock *sock_new(struct fz *f, uint64_t ud, bool client)
{
	for (int i = 0; i < FZ_MAX_SOCKS; i++) {
		struct fsock *s = &f->socks[i];

		if (!s->used) {
			memset(s, 0, sizeof(*s));
			s->used = true;
			s->client = client;
			s->idx = ud_index(ud);
			s->gen = ud_gen(ud);
			return s;
		}
	}
	fz_die("more than %d sockets at once", FZ_MAX_SOCKS);
}

/* sock_get() - the socket of @ud; unknown, it is an accepted client's (an upstream's is known from its connect). */
static struct fsock *sock_get(struct fz *f, uint64_t ud)
{
	struct fsock *s = sock_of(f, ud);

	return s ? s : sock_new(f, ud, true);
}

/* sock_conn() - the worker's connection behind @s, NULL once it closed the socket (closed, freed or reused). */
static struct conn *sock_conn(struct fz *f, const struct fsock *s)
{
	struct conn *c = s->idx < f->w.n_conns ? f->w.conns[s->idx] : NULL;

	return c && c->used && c->gen == s->gen && !c->dead ? c : NULL;
}

/* sock_idle() - nothing of @s is in flight: the fake kernel forgets a closed socket then. */
static bool sock_idle(const struct fsock *s)
{
	return !s->recv_armed && !s->connecting && !s->send_pending;
}

static void sock_peer_data(struct fsock *s, const uint8_t *d, size_t n)
{
	char *p;

	if (s->fin || !n)
		return;   /* nothing comes after a FIN */
	p = realloc(s->in, s->in_len + n);
	if (!p)
		fz_die("out of memory");
	memcpy(p + s->in_len, d, n);
	s->in = p;
	s->in_len += n;
}

/* deliver() - what a multishot receive armed on @s takes now: buffers of data, then the FIN or reset. */
static void deliver(struct fz *f, struct fsock *s)
{
	while (s->recv_armed && s->in_len) {
		uint16_t tail = io_uring_smp_load_acquire(&f->br->tail);
		struct io_uring_buf *b;
		size_t n;

		if (f->br_head == tail) {
			/* the kernel ends a multishot receive that finds no buffer */
			post(f, s->recv_ud, -ENOBUFS, 0);
			s->recv_armed = false;
			return;
		}
		b = &f->br->bufs[f->br_head++ & (f->br_entries - 1)];
		n = s->in_len < b->len ? s->in_len : b->len;
		memcpy((void *)(uintptr_t)b->addr, s->in, n);
		memmove(s->in, s->in + n, s->in_len - n);
		s->in_len -= n;
		post(f, s->recv_ud, (int)n,
		     IORING_CQE_F_BUFFER | IORING_CQE_F_MORE | (uint32_t)b->bid << IORING_CQE_BUFFER_SHIFT);
	}
	if (s->recv_armed && s->fin) {
		post(f, s->recv_ud, s->fin < 0 ? s->fin : 0, 0);
		s->recv_armed = false;
	}
}

/* send_done() - the send in flight on @s takes @n bytes (all when larger) or fails with @err. */
static void send_done(struct fz *f, struct fsock *s, size_t n, int err)
{
	size_t total = 0;
	volatile char sink = 0;

	if (!s->send_pending)
		return;
	for (int i = 0; i < s->n_iov; i++) {
		/* read every byte, as the kernel would: a segment freed under the send is a use after free */
		const char *p = s->iov[i].iov_base;

		for (size_t k = 0; k < s->iov[i].iov_len; k++)
			sink ^= p[k];
		total += s->iov[i].iov_len;
	}
	(void)sink;
	if (n > total)
		n = total;
	s->send_pending = false;
	post(f, s->send_ud, err ? err : (int)n, 0);
}

/* take_send() - a send or sendmsg SQE: remember its iovecs now, the arena they live in is reused. */
static void take_send(struct fz *f, const struct io_uring_sqe *sqe)
{
	struct fsock *s = sock_get(f, sqe->user_data);

	if (s->send_pending)
		fz_die("two sends in flight on one connection");
	if (sqe->opcode == IORING_OP_SEND) {
		s->iov[0].iov_base = (void *)(uintptr_t)sqe->addr;
		s->iov[0].iov_len = sqe->len;
		s->n_iov = 1;
	} else {
		const struct msghdr *m = (const struct msghdr *)(uintptr_t)sqe->addr;

		if (m->msg_iovlen > SEND_IOV)
			fz_die("sendmsg with %zu iovecs", (size_t)m->msg_iovlen);
		memcpy(s->iov, m->msg_iov, m->msg_iovlen * sizeof(*s->iov));
		s->n_iov = (int)m->msg_iovlen;
	}
	s->send_ud = sqe->user_data;
	s->send_pending = true;
}

/* take_cancel() - cancel by user_data: the receive or connect it names ends with -ECANCELED. */
static void take_cancel(struct fz *f, const struct io_uring_sqe *sqe)
{
	uint64_t target = sqe->addr;
	struct fsock *s = sock_of(f, target);
	int res = -ENOENT;

	if (s && ud_op(target) == UD_RECV && s->recv_armed && s->recv_ud == target) {
		s->recv_armed = false;
		post(f, target, -ECANCELED, 0);
		res = 0;
	} else if (s && ud_op(target) == UD_CONNECT && s->connecting) {
		s->connecting = false;
		post(f, target, -ECANCELED, 0);
		res = 0;
	}
	post(f, sqe->user_data, res, 0);
}

static void take(struct fz *f, const struct io_uring_sqe *sqe)
{
	struct fsock *s;

	switch (sqe->opcode) {
	case IORING_OP_RECV:
		s = sock_get(f, sqe->user_data);
		if (s->recv_armed)
			fz_die("two receives armed on one connection");
		s->recv_armed = true;
		s->recv_ud = sqe->user_data;
		break;
	case IORING_OP_SEND:
	case IORING_OP_SENDMSG:
		take_send(f, sqe);
		break;
	case IORING_OP_CONNECT:
		s = sock_new(f, sqe->user_data, false);
		s->connecting = true;
		s->connect_ud = sqe->user_data;
		break;
	case IORING_OP_ASYNC_CANCEL:
		take_cancel(f, sqe);
		break;
	default:
		fz_die("op %u (%s): SQE opcode %u not faked", f->op_no, f->what, sqe->opcode);
	}
}

/*
 * kernel_run() - the fake kernel's work between two loop turns: the SQEs
 * taken, then receives that have something to take, and sends on sockets
 * their connection closed (its shutdown fails them at once).
 */
static void kernel_run(struct fz *f)
{
	io_uring_submit(&f->w.ring);
	for (size_t i = 0; i < f->n_taken; i++)
		take(f, &f->taken[i]);
	f->n_taken = 0;
	for (int i = 0; i < FZ_MAX_SOCKS; i++) {
		struct fsock *s = &f->socks[i];

		if (!s->used)
			continue;
		if (!sock_conn(f, s)) {
			send_done(f, s, 0, -EPIPE);
			if (s->recv_armed) {   /* shutdown(): the receive ends */
				post(f, s->recv_ud, 0, 0);
				s->recv_armed = false;
			}
			if (sock_idle(s)) {
				free(s->in);
				s->in = NULL;
				s->used = false;
			}
			continue;
		}
		deliver(f, s);
	}
}

/* ---- driving the worker ---- */

/* quiesce() - loop turns until the worker and the fake kernel have nothing left to say to each other. */
static void quiesce(struct fz *f)
{
	for (int turns = 0;; turns++) {
		kernel_run(f);
		if (!cq_ready(f) && f->w.now_ms == f->now)
			return;
		if (turns == FZ_MAX_TURNS)
			fz_die("op %u (%s): the worker did not go quiet in %d loop turns", f->op_no, f->what,
			       FZ_MAX_TURNS);
		worker_turn(&f->w, f->now);
	}
}

/*
 * pick() - the @n-th (modulo) socket of a kind whose connection is open, or
 * NULL. Upstreams serving a request come first, pooled ones after: "the
 * upstream answers" means the one a request waits on, whichever server the
 * balancer chose.
 */
static struct fsock *pick(struct fz *f, bool client, unsigned int n, bool (*want)(const struct fsock *))
{
	struct fsock *v[FZ_MAX_SOCKS];
	unsigned int k = 0;

	for (int busy = 1; busy >= 0; busy--) {
		for (int i = 0; i < FZ_MAX_SOCKS; i++) {
			struct fsock *s = &f->socks[i];
			struct conn *c = s->used && s->client == client ? sock_conn(f, s) : NULL;

			if (c && (client || !!c->peer == busy) && (!want || want(s)))
				v[k++] = s;
		}
		if (client)
			break;
	}
	return k ? v[n % k] : NULL;
}

static void client_new(struct fz *f)
{
	int fd;

	if (f->w.n_clients >= FZ_MAX_CLIENTS)
		return;
	/* a descriptor the worker may shutdown() and close(): no socket, no traffic */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fz_die("/dev/null: %s", strerror(errno));
	post(f, ud_pack(UD_ACCEPT, 0, 0), fd, IORING_CQE_F_MORE);
}

/* How a step ends (fz_step_end()): what completes by itself once the worker is quiet. */
enum settle_mode {
	SETTLE_NONE = 0,      /* only what the step did */
	SETTLE_ALL,           /* every connect succeeds, every send completes whole */
	SETTLE_UPSTREAMS,     /* the same, but a client's send stays in flight */
};

/* settle_some() - connects succeed and sends complete whole as @mode says, until none is left. */
static void settle_some(struct fz *f, enum settle_mode mode)
{
	for (int round = 0; mode != SETTLE_NONE && round < 64; round++) {
		bool any = false;

		for (int i = 0; i < FZ_MAX_SOCKS; i++) {
			struct fsock *s = &f->socks[i];

			if (!s->used)
				continue;
			if (s->connecting) {
				s->connecting = false;
				post(f, s->connect_ud, 0, 0);
				any = true;
			}
			if (s->send_pending && (mode == SETTLE_ALL || !s->client)) {
				send_done(f, s, SIZE_MAX, 0);
				any = true;
			}
		}
		if (!any)
			return;
		quiesce(f);
	}
}

static void settle(struct fz *f)
{
	settle_some(f, SETTLE_ALL);
}

/* The sanitizers' runtime, when linked: where the spin is. */
void __sanitizer_print_stack_trace(void) __attribute__((weak));

/* watchdog() - the op's CPU budget ran out: some handler loops without returning. Not async-signal-safe: it ends the process. */
static void watchdog(int sig)
{
	(void)sig;
	fprintf(stderr, "%s: op %u (%s) did not return within %d s of CPU: a spin\n", program_invocation_short_name,
		cur_fz ? cur_fz->op_no : 0, cur_fz ? cur_fz->what : "?", FZ_OP_CPU_S);
	if (__sanitizer_print_stack_trace)
		__sanitizer_print_stack_trace();
	abort();
}

/* watchdog_arm() - @secs of CPU time for what follows (0: off). SIGVTALRM: libFuzzer keeps SIGALRM for -timeout. */
static void watchdog_arm(int secs)
{
	struct itimerval it = { .it_value = { .tv_sec = secs } };

	setitimer(ITIMER_VIRTUAL, &it, NULL);
}

/* check_bounds() - no queue grows past what backpressure allows. */
static void check_bounds(struct fz *f)
{
	for (uint32_t i = 0; i < f->w.n_conns; i++) {
		struct conn *c = f->w.conns[i];

		if (c->used && c->out.bytes > FZ_OUT_BOUND)
			fz_die("op %u (%s): connection %u queues %llu bytes", f->op_no, f->what, i,
			       (unsigned long long)c->out.bytes);
	}
	if (f->w.br.out > f->w.br.count)
		fz_die("op %u (%s): %u buffers out of %u", f->op_no, f->what, f->w.br.out, f->w.br.count);
}

/* ---- one input ---- */

/* The tier: one listener and one upstream, each given more lines (%s) by the target. */
static const char cfg_fmt[] =
	"workers: 1\n"
	"l7:\n"
	"  listeners:\n"
	"    - name: fz\n"
	"      listen: 127.0.0.1:8080\n"      /* never opened: the harness accepts */
	"      mode: reverse\n"
	"      request_timeout: 2s\n"
	"      client_idle: 3s\n"
	"      max_connections: 4\n"
	"%s"
	"      routes:\n"
	"        - match: { path_prefix: / }\n"
	"          upstream: app\n"
	"  upstreams:\n"
	"    - name: app\n"
	"      connect_timeout: 1s\n"
	"      response_timeout: 2s\n"
	"      keepalive: 4\n"
	"%s"
	"  caches:\n"
	"    - name: c\n"
	"      memory: 4MiB\n";

/*
 * fz_start() - a tier for cfg_fmt with @listener and @upstream (YAML lines of
 * the listener and of the upstream) and one worker on the fake ring. Returns
 * 0; dies when the config does not load.
 */
static int fz_start(struct fz *f, const char *listener, const char *upstream)
{
	char text[2048];
	struct worker *w = &f->w;
	int n;

	n = snprintf(text, sizeof(text), cfg_fmt, listener, upstream);
	f->cfg = cfg_load_string("fuzz.yaml", text, (size_t)n, stderr);
	if (!f->cfg)
		fz_die("the config does not load:\n%s", text);
	forward_hooks_register();   /* as the daemon does: forward's rules before the cache */
	cache_hooks_register();
	f->l7 = l7_new(f->cfg);
	if (!f->l7)
		fz_die("l7_new: %s", strerror(errno));
	f->now = FZ_START_MS;
	w->l7 = f->l7;
	if (worker_init(w))
		fz_die("worker_init");
	w->wake_fd = -1;
	w->rnd = 0x9e3779b9u;
	w->ls = calloc(L7_MAX_LISTENERS, sizeof(*w->ls));
	w->logs = calloc(L7_MAX_LISTENERS, sizeof(*w->logs));
	w->sendv = malloc(SEND_ARENA * sizeof(*w->sendv));
	if (!w->ls || !w->logs || !w->sendv || ring_init(&w->ring))
		fz_die("out of memory");
	w->n_ls = f->l7->n_ls;
	for (size_t i = 0; i < L7_MAX_LISTENERS; i++) {
		w->ls[i].fd = -1;
		w->logs[i].fd = -1;
	}
	if (bufring_init(&w->br, &w->ring, 1, FZ_BUFS, FZ_BUF_SIZE, FZ_BUF_PRIV))
		fz_die("bufring_init");
	w->now_ms = f->now;
	w->wheel_now = f->now / WHEEL_MS;
	/* the first turn's tick takes the config generation (worker_sync_gen), as a started worker does */
	worker_turn(w, f->now);
	if (!w->cur)
		fz_die("the worker took no config generation");
	return 0;
}


static bool all_free(const struct worker *w)
{
	for (uint32_t i = 0; i < w->n_conns; i++)
		if (((const struct conn *)w->conns[i])->used)
			return false;
	return true;
}

/* fz_end() - every peer closes, time runs past every timeout: then nothing may be left. */
static void fz_end(struct fz *f)
{
	struct worker *w = &f->w;

	f->what = "closing everything";
	for (int round = 0; round < 8 && w->n_conns && !all_free(w); round++) {
		for (int i = 0; i < FZ_MAX_SOCKS; i++)
			if (f->socks[i].used && !f->socks[i].fin)
				f->socks[i].fin = 1;
		for (int i = 0; i < FZ_MAX_SOCKS; i++) {
			struct fsock *s = &f->socks[i];

			if (s->used && s->connecting) {
				s->connecting = false;
				post(f, s->connect_ud, -ECONNREFUSED, 0);
			}
		}
		settle(f);
		quiesce(f);
		f->now += 10000;   /* past request_timeout, client_idle, connect and response timeouts */
		quiesce(f);
	}
	for (uint32_t i = 0; i < w->n_conns; i++) {
		struct conn *c = w->conns[i];

		if (c->used)
			fz_die("connection %u (%s, phase %d, dead %d, inflight %u) is left after every peer closed",
			       i, c->kind == CONN_CLIENT ? "client" : "upstream", c->req.phase, c->dead, c->inflight);
	}
	if (w->n_clients)
		fz_die("%u clients counted after all closed", w->n_clients);
	if (w->br.out)
		fz_die("%u receive buffers not given back", w->br.out);
	for (size_t i = 0; i < f->l7->n_ls; i++)
		if (atomic_load(&f->l7->ls[i].n_conns))
			fz_die("listener %zu counts %u connections", i, atomic_load(&f->l7->ls[i].n_conns));
	if (w->cur->refs != 1)
		fz_die("the config generation holds %d references, 1 expected", w->cur->refs);
}

static void fz_free(struct fz *f)
{
	struct worker *w = &f->w;

	worker_destroy(w);
	bufring_free(&w->br, &w->ring);
	ring_free(&w->ring);
	l7_stop(f->l7, 0);
	cfg_free(f->cfg);
	for (int i = 0; i < FZ_MAX_SOCKS; i++)
		free(f->socks[i].in);
	free(f->taken);
}


/* fz_begin() - a worker for @listener and @upstream (see fz_start()), and its first client connected. */
static void fz_begin(struct fz *f, const char *listener, const char *upstream)
{
	memset(f, 0, sizeof(*f));
	cur_fz = f;
	log_set_level(LOG_LVL_ERR);   /* the proxy's warnings about hostile peers are the expected outcome */
	signal(SIGVTALRM, watchdog);
	fz_start(f, listener, upstream);
	f->what = "first client connects";
	client_new(f);
	quiesce(f);
}

/* fz_step() - a step named @what begins: it has FZ_OP_CPU_S of CPU time to return. */
static void fz_step(struct fz *f, const char *what)
{
	f->op_no++;
	f->what = what;
	watchdog_arm(FZ_OP_CPU_S);
}

/* fz_step_end() - the step's completions run out, then what @mode settles. */
static void fz_step_end(struct fz *f, enum settle_mode mode)
{
	quiesce(f);
	settle_some(f, mode);
	watchdog_arm(0);
	check_bounds(f);
}

/* fz_finish() - fz_end()'s checks, then the worker goes. */
static void fz_finish(struct fz *f)
{
	watchdog_arm(FZ_OP_CPU_S * 4);
	fz_end(f);
	watchdog_arm(0);
	fz_free(f);
	cur_fz = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

#ifdef FUZZ_REPLAY
/*
 * Replay (make test): every file of FUZZ_CORPUS and FUZZ_REPRO, or the files
 * named on the command line, is one input and one TAP test point, run in a
 * child of its own (a crash, a spin or a leak aborts it). A reproducer named
 * todo-* is a known failure whose fix is not on this branch yet: a TAP TODO,
 * which prove does not count as failing (and reports when it passes); its
 * reports are not printed unless it is named on the command line.
 */
#include <dirent.h>
#include <sys/wait.h>

#define REPLAY_WALL_S 30   /* a child blocked rather than spinning */

static int replay_one(const char *path)
{
	static uint8_t buf[1 << 16];
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (!fp) {
		fprintf(stderr, "# %s: %s\n", path, strerror(errno));
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	alarm(REPLAY_WALL_S);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

/* replay() - @path in a child (@quiet: its reports go nowhere, a known failure). true when it ran to the end. */
static bool replay(const char *path, bool quiet)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (!pid) {
		if (quiet && !freopen("/dev/null", "w", stderr))
			_exit(1);
		_exit(replay_one(path));
	}
	if (waitpid(pid, &st, 0) != pid)
		return false;
	return WIFEXITED(st) && !WEXITSTATUS(st);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list() - append the regular files of @dir to @v (@n of them so far). Returns the new count. */
static int list(const char *dir, char ***v, int n)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (!dp)
		return n;
	while ((e = readdir(dp))) {
		char **nv;

		if (e->d_name[0] == '.')
			continue;
		nv = realloc(*v, (size_t)(n + 1) * sizeof(**v));
		if (!nv || asprintf(&nv[n], "%s/%s", dir, e->d_name) < 0)
			fz_die("out of memory");
		*v = nv;
		n++;
	}
	closedir(dp);
	return n;
}

int main(int argc, char **argv)
{
	char **files = NULL;
	int n = 0, fails = 0;

	if (argc > 1) {
		files = argv + 1;
		n = argc - 1;
	} else {
		n = list(FUZZ_CORPUS, &files, 0);
		n = list(FUZZ_REPRO, &files, n);
		qsort(files, (size_t)n, sizeof(*files), by_name);
	}
	printf("1..%d\n", n);
	for (int i = 0; i < n; i++) {
		const char *base = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
		bool todo = !strncmp(base, "todo-", 5), ok = replay(files[i], todo && argc == 1);

		printf("%s %d - %s%s\n", ok ? "ok" : "not ok", i + 1, files[i],
		       todo ? " # TODO its fix is not on this branch yet (run it alone to see why)" : "");
		fflush(stdout);
		fails += !ok && !todo;
	}
	if (argc == 1) {
		for (int i = 0; i < n; i++)
			free(files[i]);
		free(files);
	}
	return fails ? 1 : 0;
}
#endif


#endif
