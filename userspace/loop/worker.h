/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The L7 worker: one thread, one io_uring, its own listeners, connections, pools and log buffers. */
#ifndef SLUICE_WORKER_H
#define SLUICE_WORKER_H

#include <liburing.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "cache/cache_proxy.h"
#include "config/config.h"
#include "http/http_msg.h"
#include "l7/l7_int.h"
#include "loop/bufring.h"
#include "loop/ud.h"

#define WORKER_BUF_COUNT   1024           /* provided receive buffers per worker */
#define WORKER_BUF_SIZE    16384
#define OUT_HIGH           (256 * 1024)    /* stop reading the source side above this */
#define OUT_LOW            (64 * 1024)     /* resume below this */
#define SEND_IOV           64
#define WHEEL_SLOTS        1024
#define WHEEL_MS           16

/* One piece of output: bytes inside a receive buffer, on the heap, static, or inline. */
/* SEG_KEEP: the request head a retry may resend; the request owns it, sending never frees it. */
/* SEG_CACHE: no bytes; holds a reference on a cache object (ptr) whose head and body segments precede it. */
enum seg_kind { SEG_BUF = 0, SEG_HEAP, SEG_STATIC, SEG_INLINE, SEG_KEEP, SEG_CACHE };
struct seg {
	const char *ptr;
	uint32_t len;
	uint16_t bid;
	uint8_t kind;
	uint8_t inl_len;
	char inl[20];            /* chunk-size lines and CRLFs */
};

struct outq {
	struct seg *s;
	uint32_t head, tail, cap;
	uint32_t off;            /* bytes of s[head] already sent */
	uint64_t bytes;          /* queued, not yet sent */
	bool inflight;
	struct seg *old;         /* the array a send in flight saw, when it had to grow */
};

struct inbuf {
	uint16_t bid;
	uint32_t off, len;
};

struct inq {
	struct inbuf *v;
	uint32_t head, tail, cap;
};

/* Timer wheel entry, embedded in a connection: one deadline per connection. */
/* TMR_CLIENT_SEND: a response is queued for a client that takes none of it (client_idle). */
/* TMR_CACHE_WAIT: a request collapsed behind another one's fetch waits at most CACHE_WAIT_MS. */
enum timer_kind { TMR_NONE = 0, TMR_CLIENT_HEAD, TMR_CLIENT_IDLE, TMR_UP_CONNECT, TMR_UP_RESPONSE, TMR_CLIENT_SEND,
		  TMR_CACHE_WAIT };

enum conn_kind { CONN_CLIENT = 1, CONN_UPSTREAM };
enum req_phase { PH_IDLE = 0, PH_HEAD, PH_PROXY, PH_TUNNEL, PH_CLOSING };

struct wgen;
struct wserver;

/* Per request state of a client connection. */
struct req {
	enum req_phase phase;
	bool head_pending;       /* on_head fired: route and forward before resuming */
	bool req_done, resp_done, resp_head_sent, close_after, upgrade, is_head;
	bool http10;
	bool up_cut;             /* the response ended before the upstream's body did: close it, never pool it */
	bool buffering;          /* the body is gathered in rb before the request goes upstream (req_buffer.c) */
	bool hook_wait;          /* a hook holds the request (a resolver, a crypt thread): parsing stays paused */
	uint8_t up_hook;         /* 1 + the slot of the hook that picked the upstream (l7/hooks.h); 0: the route did */
	int status;
	enum http_framing req_framing, resp_framing;
	uint64_t body_in;        /* request body bytes so far (413 check) */
	uint64_t bytes_in, bytes_out;
	int64_t start_wall_ms;
	uint64_t start_ms, up_start_ms, up_end_ms;
	uint32_t tries;
	int server;              /* index in upstream, -1: none */
	struct wgen *wg;
	size_t upstream;
	char *fwd_head;          /* the head sent upstream, kept for a retry */
	size_t fwd_len;
	char rid[24];
	const struct route *route;
	struct wserver *last_srv;  /* for the access log */
	int err_status;          /* set by a hook that rejected the message (413) */
	uint32_t rb_len;         /* bytes in rb (its size: rb_len rounded up to a power of two) */
	char *rb;                /* the buffered request body, framed for the upstream (req_buffer.c) */
	char *cap;               /* body capture for a sampled request: [0, cap_max) request, [cap_max, 2 cap_max) response */
	uint32_t cap_max, cap_req, cap_resp;
	bool tunnel;             /* CONNECT: a tunnel once the upstream connects (up_hook's tunnel calls) */
	void *hook_data[PROXY_HOOKS_MAX];  /* each attached hook's state for this request, by slot; NULL: none */
};

struct conn {
	uint32_t idx, gen;
	uint8_t kind;
	bool used;
	uint16_t seen_tick;      /* client: the worker's activity tick of its last receive (ring_wait's batching) */
	struct worker *w;
	int fd;
	uint32_t inflight;       /* SQEs whose completion has not arrived */
	bool recv_armed, recv_nobufs, eof, dead, connecting, paused;
	struct inq in;
	struct outq out;
	struct conn *peer;
	struct conn *t_next, **t_pprev;   /* timer wheel slot list */
	uint64_t t_deadline;
	uint8_t t_kind;
	struct http_msg msg;
	uint16_t cur_bid;        /* the buffer being parsed (body segments point into it) */
	/* client */
	uint32_t listener;
	bool listener_counted;
	char ip[48];
	struct req req;
	uint32_t sndq_seen;      /* TMR_CLIENT_SEND: bytes in the socket's send queue at the last check */
	/* upstream */
	struct wserver *srv;
	struct conn *pool_next, **pool_pprev;
	bool resp_started, pooled;
	bool shut_wr;            /* forward tunnel: our side's FIN was sent (the peer ended its direction) */
	uint8_t up_hook;         /* 1 + the slot of the hook whose upstream_released() it gets; 0: none */
	struct conn *free_next;
};

struct wlistener {
	int fd;
	bool armed;
	uint64_t backoff_until;  /* accept failed for lack of descriptors: not before this (ms) */
	bool failed;             /* could not be opened (after a reload): not retried */
	bool released;           /* removed and closed: counted in l7_listener.quiet */
	uint32_t epoch;          /* l7_listener.epoch this state belongs to */
};

/* A per-worker access log: lines are appended here and written in batches. */
struct wlog {
	char *path;
	enum cfg_log_format format;
	int fd;
	char *buf[2];
	size_t len;              /* bytes in buf[cur] */
	int cur;
	bool writing;
	size_t write_len;
};

/*
 * The msghdr and iovecs of a sendmsg are read when the kernel takes the SQE
 * (IORING_FEAT_SUBMIT_STABLE), not when the send runs: they live in a
 * per-worker arena that is reused after every submit, not in each connection
 * (about 1 KiB less per connection; idle clients cost little memory).
 */
#define SEND_ARENA 128
struct send_slot {
	struct msghdr msg;
	struct iovec iov[SEND_IOV];
};

struct worker {
	struct l7 *l7;
	unsigned int id;
	pthread_t thread;
	struct io_uring ring;
	struct bufring br;
	struct wlistener *ls;
	size_t n_ls;
	struct conn **conns;     /* slabs of conn, by index */
	uint32_t n_conns, cap_conns;
	struct conn *free_conns;
	uint32_t n_clients;
	struct conn *wheel[WHEEL_SLOTS];
	uint64_t wheel_now;      /* last slot processed, in WHEEL_MS units */
	uint64_t now_ms;         /* monotonic, refreshed each loop iteration */
	struct wgen *cur;
	uint64_t gen_seq;
	uint64_t weight_seq;
	struct wlog *logs;       /* one per listener */
	uint32_t log_seq;
	uint64_t rid_next;
	uint32_t rnd;
	struct fwd_worker *fwd;  /* forward proxy state: resolver, origin pools (forward.c); NULL until first used */
	struct conn **nobufs;    /* connections whose recv stopped for lack of buffers */
	uint32_t n_nobufs, cap_nobufs;
	bool stopping;
	uint64_t stop_deadline;
	struct conn *cache_wake;  /* requests whose collapsed fill ended: looked up again after the CQEs */
	int wake_fd;              /* eventfd written when a cache claim this worker polls ends, or a crypt thread answers it */
	uint64_t wake_val;        /* the read's target */
	int start_err;
	bool ring_ok;
	bool min_wait;            /* the kernel takes a minimum wait in the enter's extended argument (6.12+) */
	bool reg_ring;            /* io_uring_register_ring_fd worked: enter by the registered index */
	uint32_t batch_wait_us;   /* ring_wait() waits this long for several completions; 0: for one */
	uint64_t tick_ms;         /* when worker_turn() last ran the timers (now_ms) */
	uint16_t act_tick;        /* activity tick (one per WHEEL_MS) */
	uint32_t act_clients;     /* clients that received in this tick */
	uint32_t act_cqes;        /* completions handled in this tick */
	struct send_slot *sendv; /* SEND_ARENA slots; the first n_sendv wait for the next submit */
	uint32_t n_sendv;
	/* counters: written by this worker only, read by l7_stats_get (relaxed) */
	_Atomic uint64_t st_accepted, st_requests, st_resp[6], st_bytes_in, st_bytes_out;
	_Atomic uint64_t st_up_connects, st_up_reuses, st_retries;
	_Atomic uint64_t st_up_ejections, st_up_eject_skipped, st_up_panic, st_up_pool_full;
	_Atomic uint64_t st_turns, st_batched;
	sem_t started;
};

/* stat_add() - bump a counter only this worker writes: a plain add, no locked instruction. */
#define stat_add(ctr, n) atomic_store_explicit(&(ctr), atomic_load_explicit(&(ctr), memory_order_relaxed) + (n), \
					       memory_order_relaxed)

/* worker.c: the loop and its I/O primitives, used by proxy.c */
struct io_uring_sqe *worker_sqe(struct worker *w);
struct conn *conn_new(struct worker *w, uint8_t kind, int fd);
void conn_close(struct worker *w, struct conn *c);
void conn_recv(struct worker *w, struct conn *c);
void conn_send(struct worker *w, struct conn *c);
void conn_timer(struct worker *w, struct conn *c, uint8_t kind, uint32_t ms);
/* conn_trim() - an idle connection gives back its empty queue arrays (worker thread only). */
void conn_trim(struct conn *c);
int outq_push(struct outq *q, uint8_t kind, const char *ptr, uint32_t len, uint16_t bid);
int outq_inline(struct outq *q, const char *text, uint32_t len);
void outq_cut(struct worker *w, struct outq *q, uint32_t keep);
void worker_log(struct worker *w, uint32_t listener, const char *line, size_t len);
int worker_main_start(struct worker *w);
void worker_turn(struct worker *w, uint64_t now_ms);   /* a loop turn after the wait (worker.c: its head comment) */
void worker_destroy(struct worker *w);

/* proxy.c: the HTTP session */
void proxy_accepted(struct worker *w, struct conn *c);
void proxy_on_recv(struct worker *w, struct conn *c);      /* new input queued, or room on the other side */
void proxy_on_eof(struct worker *w, struct conn *c, int err);
void proxy_on_sent(struct worker *w, struct conn *c);      /* output drained (partially or fully) */
void proxy_on_connect(struct worker *w, struct conn *c, int res);
void proxy_on_timer(struct worker *w, struct conn *c, uint8_t kind);
void proxy_conn_released(struct worker *w, struct conn *c);
/* proxy.c, for cache_proxy.c: forward the request, answer an error, end the request, drop its upstream */
int proxy_connect(struct worker *w, struct conn *c);
void proxy_fail(struct worker *w, struct conn *c, int status);
void proxy_finish(struct worker *w, struct conn *c);
void proxy_drop_upstream(struct worker *w, struct conn *c);
void proxy_reply(struct worker *w, struct conn *c, int status, const char *text, size_t len, bool heap);
int proxy_attach(struct worker *w, struct conn *c, struct conn *u);
void proxy_resume(struct worker *w, struct conn *c);
void proxy_tunnel_close(struct worker *w, struct conn *c);

#endif
