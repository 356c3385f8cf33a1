// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Active health checks on one io_uring thread: TCP connect or HTTP GET, each op bounded by a linked timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "health/health.h"
#include "lib/clock.h"
#include "lib/log.h"

/*
 * user_data = target pointer | op. Targets are malloc'd (8-byte aligned), so
 * the low 3 bits are free. A target with ops in flight is never freed: a
 * removed one is only marked and reaped once its last completion arrived.
 */
enum hc_op { HC_OP_CONNECT = 1, HC_OP_SEND, HC_OP_RECV, HC_OP_TIMEOUT };
#define HC_OP_MASK 7ULL

#define HC_RESP_MAX 512
#define HC_WAIT_MAX_MS 100   /* upper bound on a wait: new targets are picked up this fast */

struct hc_target {
	struct hc_target *next;
	int id;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct cfg_health cfg;        /* path and host owned */
	char *name;
	health_cb cb;
	void *arg;
	bool up;
	bool known;                   /* a first verdict (rise successes or fall failures) was reached */
	bool removed;
	bool starved;                 /* the last check found no descriptor: said once, until one is found */
	uint32_t succ, fail;
	uint64_t next_due_ns;
	uint64_t deadline_ns;
	int fd;
	int inflight;                 /* SQEs submitted whose CQE has not arrived */
	struct __kernel_timespec ts;  /* read by the kernel at submit time */
	char *req;
	size_t req_len;
	char resp[HC_RESP_MAX];
	size_t resp_len;
	char last_err[96];
};

struct health {
	pthread_mutex_t lock;
	struct hc_target *targets;
	int next_id;
	struct io_uring ring;
	bool ring_ok;
	pthread_t thread;
	bool started;
	atomic_bool stop;
};

struct health *health_new(void)
{
	struct health *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	err = io_uring_queue_init(256, &h->ring, 0);
	if (err) {
		pthread_mutex_destroy(&h->lock);
		free(h);
		errno = -err;
		return NULL;
	}
	h->ring_ok = true;
	return h;
}

static void hc_target_free(struct hc_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	free(t->cfg.path);
	free(t->cfg.host);
	free(t->name);
	free(t->req);
	free(t);
}

static int hc_build_request(struct hc_target *t)
{
	char host[INET6_ADDRSTRLEN + 2] = "localhost";   /* unix sockets have no address to name */
	const char *path = t->cfg.path ? t->cfg.path : "/";
	int n;

	if (!t->cfg.host) {
		if (t->addr.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&t->addr)->sin_addr, host, sizeof(host));
		} else if (t->addr.ss_family == AF_INET6) {
			host[0] = '[';
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&t->addr)->sin6_addr, host + 1, sizeof(host) - 2);
			strcat(host, "]");
		}
	}
	n = asprintf(&t->req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sluice-health\r\nAccept: */*\r\nConnection: close\r\n\r\n",
		     path, t->cfg.host ? t->cfg.host : host);
	if (n < 0) {
		t->req = NULL;
		return -ENOMEM;
	}
	t->req_len = n;
	return 0;
}

int health_add(struct health *h, const struct sockaddr *addr, socklen_t len, const struct cfg_health *cfg,
	       const char *name, health_cb cb, void *arg)
{
	struct hc_target *t;
	int id;

	if (len > sizeof(t->addr) || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6 && addr->sa_family != AF_UNIX))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = -1;
	memcpy(&t->addr, addr, len);
	t->addr_len = len;
	t->cfg = *cfg;
	t->cfg.path = cfg->path ? strdup(cfg->path) : NULL;
	t->cfg.host = cfg->host ? strdup(cfg->host) : NULL;
	t->name = strdup(name ? name : "target");
	if (!t->cfg.interval_ms)
		t->cfg.interval_ms = 1000;
	if (!t->cfg.timeout_ms)
		t->cfg.timeout_ms = 500;
	if (!t->cfg.rise)
		t->cfg.rise = 1;
	if (!t->cfg.fall)
		t->cfg.fall = 1;
	if (cfg->port) {
		if (addr->sa_family == AF_INET)
			((struct sockaddr_in *)&t->addr)->sin_port = htons(cfg->port);
		else if (addr->sa_family == AF_INET6)
			((struct sockaddr_in6 *)&t->addr)->sin6_port = htons(cfg->port);
	}
	t->cb = cb;
	t->arg = arg;
	if (!t->name || (cfg->path && !t->cfg.path) || (cfg->host && !t->cfg.host) ||
	    (cfg->type == CFG_HEALTH_HTTP && hc_build_request(t))) {
		hc_target_free(t);
		return -ENOMEM;
	}

	pthread_mutex_lock(&h->lock);
	id = t->id = h->next_id++;
	if (cfg->type == CFG_HEALTH_NONE) {
		t->up = t->known = true;
	} else {
		/* Deterministic jitter (up to a tenth of the interval) so targets added together don't fire together. */
		uint64_t spread = (uint64_t)t->cfg.interval_ms * 1000000ULL / 10;

		t->next_due_ns = clock_mono_ns() + (spread ? ((uint64_t)id * 2654435761ULL) % spread : 0);
	}
	t->next = h->targets;
	h->targets = t;
	pthread_mutex_unlock(&h->lock);

	if (cfg->type == CFG_HEALTH_NONE && cb)
		cb(arg, true);
	return id;
}

void health_remove(struct health *h, int id)
{
	pthread_mutex_lock(&h->lock);
	for (struct hc_target *t = h->targets; t; t = t->next) {
		if (t->id == id) {
			t->removed = true;
			break;
		}
	}
	pthread_mutex_unlock(&h->lock);
}

static void hc_prep_timeout(struct health *h, struct hc_target *t, uint64_t now)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&h->ring);
	uint64_t left = t->deadline_ns > now ? t->deadline_ns - now : 1000;

	t->ts.tv_sec = left / 1000000000ULL;
	t->ts.tv_nsec = left % 1000000000ULL;
	io_uring_prep_link_timeout(sqe, &t->ts, 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)t | HC_OP_TIMEOUT);
	t->inflight++;
}

/* Every op goes out linked to a timeout for what is left of the check's budget. */
static int hc_submit_op(struct health *h, struct hc_target *t, enum hc_op op)
{
	struct io_uring_sqe *sqe;
	uint64_t now = clock_mono_ns();

	if (io_uring_sq_space_left(&h->ring) < 2)
		io_uring_submit(&h->ring);
	sqe = io_uring_get_sqe(&h->ring);
	if (!sqe)
		return -EBUSY;
	switch (op) {
	case HC_OP_CONNECT:
		io_uring_prep_connect(sqe, t->fd, (struct sockaddr *)&t->addr, t->addr_len);
		break;
	case HC_OP_SEND:
		io_uring_prep_send(sqe, t->fd, t->req, t->req_len, MSG_NOSIGNAL);
		break;
	case HC_OP_RECV:
		io_uring_prep_recv(sqe, t->fd, t->resp + t->resp_len, HC_RESP_MAX - 1 - t->resp_len, 0);
		break;
	default:
		return -EINVAL;
	}
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)t | op);
	sqe->flags |= IOSQE_IO_LINK;
	t->inflight++;
	hc_prep_timeout(h, t, now);
	return 0;
}

static void hc_finish(struct health *h, struct hc_target *t, bool success, const char *why)
{
	(void)h;
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
	t->next_due_ns += (uint64_t)t->cfg.interval_ms * 1000000ULL;
	if (t->next_due_ns < clock_mono_ns())
		t->next_due_ns = clock_mono_ns() + (uint64_t)t->cfg.interval_ms * 1000000ULL;
	if (t->removed)
		return;
	if (success) {
		t->fail = 0;
		t->succ++;
		if (!t->up && t->succ == t->cfg.rise) {
			t->up = t->known = true;
			log_info("%s: health: up (%u successes)", t->name, t->succ);
			if (t->cb)
				t->cb(t->arg, true);
		}
		return;
	}
	snprintf(t->last_err, sizeof(t->last_err), "%s", why);
	t->succ = 0;
	t->fail++;
	if (t->fail == t->cfg.fall) {
		log_warn("%s: health: down (%u failures; last: %s)", t->name, t->fail, why);
		/* The first verdict is a change too: the owner may have assumed "up" (e.g. after a restart). */
		if (t->up || !t->known) {
			t->up = false;
			t->known = true;
			if (t->cb)
				t->cb(t->arg, false);
		}
	} else {
		log_debug("%s: health: check failed (%u/%u): %s", t->name, t->fail, t->cfg.fall, why);
	}
}

static void hc_start_check(struct health *h, struct hc_target *t, uint64_t now)
{
	char why[80];
	int err;

	t->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
		/*
		 * Out of descriptors or memory here says nothing about the backend:
		 * counted as a failure, a burst of client connections at the fd
		 * limit would take every healthy backend out. No verdict; the next
		 * interval tries again.
		 */
		if (!t->starved)
			log_warn("%s: health: checks skipped, no verdict, until a socket can be had: %s", t->name,
				 strerror(errno));
		t->starved = true;
		t->next_due_ns = now + (uint64_t)t->cfg.interval_ms * 1000000ULL;
		return;
	}
	if (t->starved && t->fd >= 0)
		log_info("%s: health: checking again", t->name);
	t->starved = false;
	if (t->fd < 0) {
		snprintf(why, sizeof(why), "socket: %s", strerror(errno));
		hc_finish(h, t, false, why);
		return;
	}
	t->resp_len = 0;
	t->deadline_ns = now + (uint64_t)t->cfg.timeout_ms * 1000000ULL;
	err = hc_submit_op(h, t, HC_OP_CONNECT);
	if (err) {
		snprintf(why, sizeof(why), "submit: %s", strerror(-err));
		hc_finish(h, t, false, why);
	}
}

/* HTTP: "HTTP/1.x NNN": the expected status, or any 2xx/3xx when none is set. */
static int hc_http_verdict(struct hc_target *t, char *why, size_t whylen)
{
	unsigned int status;
	char *eol;

	t->resp[t->resp_len] = 0;
	eol = strstr(t->resp, "\r\n");
	if (!eol)
		return -EAGAIN;
	if (sscanf(t->resp, "HTTP/1.%*1[01] %3u", &status) != 1) {
		snprintf(why, whylen, "bad status line");
		return 0;
	}
	if (t->cfg.expect_status ? status == t->cfg.expect_status : (status >= 200 && status < 400))
		return 1;
	snprintf(why, whylen, "http status %u", status);
	return 0;
}

static void hc_on_cqe(struct health *h, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	struct hc_target *t = (struct hc_target *)(uintptr_t)(ud & ~HC_OP_MASK);
	enum hc_op op = ud & HC_OP_MASK;
	int res = cqe->res;
	char why[96];
	int v;

	t->inflight--;
	if (op == HC_OP_TIMEOUT)
		return;
	if (res < 0) {
		/* -ECANCELED: the linked timeout fired first. */
		const char *opname = op == HC_OP_CONNECT ? "connect" : op == HC_OP_SEND ? "send" : "recv";

		if (res == -ECANCELED)
			snprintf(why, sizeof(why), "%s: timed out after %u ms", opname, t->cfg.timeout_ms);
		else
			snprintf(why, sizeof(why), "%s: %s", opname, strerror(-res));
		hc_finish(h, t, false, why);
		return;
	}
	if (t->removed) {
		hc_finish(h, t, false, "removed");
		return;
	}
	switch (op) {
	case HC_OP_CONNECT:
		if (t->cfg.type != CFG_HEALTH_HTTP) {
			hc_finish(h, t, true, NULL);
			return;
		}
		if (hc_submit_op(h, t, HC_OP_SEND))
			hc_finish(h, t, false, "submit failed");
		return;
	case HC_OP_SEND:
		if ((size_t)res != t->req_len) {
			hc_finish(h, t, false, "send: short write");
			return;
		}
		if (hc_submit_op(h, t, HC_OP_RECV))
			hc_finish(h, t, false, "submit failed");
		return;
	case HC_OP_RECV:
		t->resp_len += res;
		v = hc_http_verdict(t, why, sizeof(why));
		if (v >= 0) {
			hc_finish(h, t, v == 1, why);
			return;
		}
		if (res == 0 || t->resp_len >= HC_RESP_MAX - 1) {
			hc_finish(h, t, false, res == 0 ? "recv: connection closed before a status line" : "status line too long");
			return;
		}
		if (hc_submit_op(h, t, HC_OP_RECV))
			hc_finish(h, t, false, "submit failed");
		return;
	default:
		return;
	}
}

static void *hc_thread(void *arg)
{
	struct health *h = arg;

	while (!atomic_load(&h->stop)) {
		uint64_t now = clock_mono_ns(), next = now + HC_WAIT_MAX_MS * 1000000ULL;
		struct __kernel_timespec ts;
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;

		pthread_mutex_lock(&h->lock);
		for (struct hc_target **pp = &h->targets; *pp;) {
			struct hc_target *t = *pp;

			if (t->removed && !t->inflight) {
				*pp = t->next;
				hc_target_free(t);
				continue;
			}
			pp = &t->next;
			if (t->removed || t->cfg.type == CFG_HEALTH_NONE || t->inflight || t->fd >= 0)
				continue;
			if (t->next_due_ns <= now)
				hc_start_check(h, t, now);
			if (!t->inflight && t->next_due_ns < next)
				next = t->next_due_ns;
		}
		pthread_mutex_unlock(&h->lock);

		now = clock_mono_ns();
		ts.tv_sec = 0;
		ts.tv_nsec = next > now ? (long long)(next - now) : 0;
		if (ts.tv_nsec >= 1000000000LL)
			ts.tv_nsec = 999999999;
		io_uring_submit_and_wait_timeout(&h->ring, &cqe, 1, &ts, NULL);

		pthread_mutex_lock(&h->lock);
		io_uring_for_each_cqe(&h->ring, head, cqe) {
			hc_on_cqe(h, cqe);
			n++;
		}
		io_uring_cq_advance(&h->ring, n);
		pthread_mutex_unlock(&h->lock);
	}
	return NULL;
}

int health_start(struct health *h)
{
	int err = pthread_create(&h->thread, NULL, hc_thread, h);

	if (err)
		return -err;
	pthread_setname_np(h->thread, "sl-health");
	h->started = true;
	return 0;
}

void health_free(struct health *h)
{
	if (!h)
		return;
	if (h->started) {
		atomic_store(&h->stop, true);
		pthread_join(h->thread, NULL);
	}
	/* Cancel what is in flight and wait for it, so the kernel never writes into a freed target. */
	if (h->ring_ok) {
		uint64_t end = clock_mono_ns() + 2000000000ULL;
		struct io_uring_sqe *sqe = io_uring_get_sqe(&h->ring);
		int left;

		if (sqe) {
			io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
			io_uring_sqe_set_data64(sqe, 0);
		}
		io_uring_submit(&h->ring);
		do {
			struct __kernel_timespec ts = { .tv_nsec = 50000000 };
			struct io_uring_cqe *cqe;

			left = 0;
			if (!io_uring_wait_cqe_timeout(&h->ring, &cqe, &ts)) {
				uint64_t ud = io_uring_cqe_get_data64(cqe);

				if (ud)
					((struct hc_target *)(uintptr_t)(ud & ~HC_OP_MASK))->inflight--;
				io_uring_cqe_seen(&h->ring, cqe);
			}
			for (struct hc_target *t = h->targets; t; t = t->next)
				left += t->inflight;
		} while (left && clock_mono_ns() < end);
		io_uring_queue_exit(&h->ring);
	}
	while (h->targets) {
		struct hc_target *t = h->targets;

		h->targets = t->next;
		hc_target_free(t);
	}
	pthread_mutex_destroy(&h->lock);
	free(h);
}
