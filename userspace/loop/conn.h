/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The loop's connection: a socket, its queues, its one timer, and the handler table of whoever made it. */
#ifndef SLUICE_LOOP_CONN_H
#define SLUICE_LOOP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop/queue.h"

struct iovec;

struct loop;
struct loop_conn;

/* Accepted connections are clients (counted: a stopping loop waits for them), the rest upstreams. */
enum conn_kind { CONN_CLIENT = 1, CONN_UPSTREAM };

/* Timer kind 0 is no timer; the others are the handler's (conn_ops.on_timer gets them back). */
#define LOOP_TIMER_NONE 0

/*
 * What the loop calls for a connection's events: set by whoever creates the
 * connection (loop_conn_new()), the way nginx's events carry their handler.
 * Every handler runs on the loop's thread; each may close @c (loop_conn_close()),
 * after which the loop calls nothing of @c's but on_released.
 */
struct conn_ops {
	void (*on_recv)(struct loop *lp, struct loop_conn *c);           /* new input queued in c->in */
	void (*on_sent)(struct loop *lp, struct loop_conn *c);           /* output drained, partly or fully */
	void (*on_connect)(struct loop *lp, struct loop_conn *c, int res);   /* 0 or -errno */
	void (*on_eof)(struct loop *lp, struct loop_conn *c, int err);   /* 0: the peer's FIN; -errno: an error */
	void (*on_timer)(struct loop *lp, struct loop_conn *c, uint8_t kind);
	void (*on_released)(struct loop *lp, struct loop_conn *c);       /* closed and quiet: free what it holds */
};

/*
 * A transform between the socket and the handlers (TLS, userspace/tls/): when
 * a connection has one, the loop hands it the wire events and it calls the
 * connection's conn_ops with what it makes of them. Its state starts with a
 * struct conn_xform, which the connection points at (loop_conn.xf).
 *   on_recv     a received buffer was queued last in c->in: replace it by what
 *               it decodes to (or nothing yet), then call c->ops->on_recv
 *   send        c->out has output for the wire (loop_conn_send() calls this
 *               instead of sending c->out): it sends with loop_conn_send_iov()
 *               and keeps c->out.inflight true while that send runs, so the
 *               handlers see output pending until the wire took it
 *   on_sent     that send completed: @res bytes or -errno
 *   on_connect  the socket connected (@res 0) or failed: the transform may
 *               talk first (a handshake) before calling c->ops->on_connect
 *   on_eof      the socket ended or failed (as conn_ops.on_eof): a handshake
 *               under way fails its connect instead
 *   on_released the connection is closed and quiet: free the state
 *   recv        (optional) for a connection without a socket (an HTTP/2
 *               stream): loop_conn_recv() calls it instead of arming a
 *               receive, when the handlers want input again
 */
struct conn_xform_ops {
	void (*on_recv)(struct loop *lp, struct loop_conn *c);
	void (*send)(struct loop *lp, struct loop_conn *c);
	void (*on_sent)(struct loop *lp, struct loop_conn *c, int res);
	void (*on_connect)(struct loop *lp, struct loop_conn *c, int res);
	void (*on_eof)(struct loop *lp, struct loop_conn *c, int err);
	void (*on_released)(struct loop *lp, struct loop_conn *c);
	void (*recv)(struct loop *lp, struct loop_conn *c);
};

struct conn_xform {
	const struct conn_xform_ops *ops;
};

/*
 * A connection slot. The application embeds it at offset 0 of its own
 * connection struct (struct loop.conn_size bytes are allocated per slot), and
 * slots are reused, never freed, until the loop ends: a completion's
 * user_data names a slot by index and generation (loop/ud.h).
 */
struct loop_conn {
	const struct conn_ops *ops;
	struct conn_xform *xf;   /* NULL: the handlers see the wire */
	uint32_t idx, gen;
	int fd;
	uint32_t inflight;       /* SQEs whose completion has not arrived */
	uint8_t kind;            /* enum conn_kind */
	bool used;
	uint16_t seen_tick;      /* client: the loop's activity tick of its last receive (ring_wait's batching) */
	uint8_t t_kind;          /* the armed timer's kind, LOOP_TIMER_NONE: none */
	bool recv_armed, recv_nobufs, eof, dead, connecting, paused;
	struct inq in;
	struct outq out;
	union {
		struct loop_conn *t_next;      /* timer wheel slot list (with t_pprev) */
		struct loop_conn *free_next;   /* a free slot has no timer: the loop's free list */
	};
	struct loop_conn **t_pprev;
	uint64_t t_deadline;
};

/*
 * loop_conn_new() - a slot for socket @fd (-1: none yet) of @kind, zeroed
 * beyond its kept queue arrays, with handlers @ops. NULL without memory (or
 * past 2^24 slots).
 */
struct loop_conn *loop_conn_new(struct loop *lp, uint8_t kind, int fd, const struct conn_ops *ops);

/* loop_conn_close() - stop I/O on @c; on_released runs and the slot goes back when the last completion arrives. */
void loop_conn_close(struct loop *lp, struct loop_conn *c);

/* loop_conn_recv() - arm a multishot receive into the buffer ring, unless one is armed or @c is done reading. */
void loop_conn_recv(struct loop *lp, struct loop_conn *c);

/* loop_conn_send() - start a send of everything queued (up to SEND_IOV segments) unless one is in flight. */
void loop_conn_send(struct loop *lp, struct loop_conn *c);

/* loop_conn_trim() - an idle connection gives back its empty queue arrays (loop thread only). */
static inline void loop_conn_trim(struct loop_conn *c)
{
	queues_trim(&c->in, &c->out);
}

/*
 * loop_conn_send_iov() - a transform's send of @n (1..SEND_IOV) iovecs of its
 * own on @c; its completion goes to xf->ops->on_sent. The bytes must stay put
 * until then; the iovecs are copied.
 */
void loop_conn_send_iov(struct loop *lp, struct loop_conn *c, const struct iovec *iov, uint32_t n);

/*
 * loop_conn_peer() - @c's peer as "198.18.0.7:40012" or "[2001:2::7]:40012"
 * (a unix socket's: "unix"; no socket, or it failed: "?") in @buf, for log
 * lines. Returns the text.
 */
const char *loop_conn_peer(const struct loop_conn *c, char *buf, size_t len);

/* loop_timer() - (re)arm @c's only timer to fire @kind in @ms, or disarm it (LOOP_TIMER_NONE or 0 ms). O(1). */
void loop_timer(struct loop *lp, struct loop_conn *c, uint8_t kind, uint32_t ms);

#endif
