/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* L7's connection: the loop's connection, plus the HTTP message, the request and the upstream pool links. */
#ifndef SLUICE_L7_CONN_H
#define SLUICE_L7_CONN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_msg.h"
#include "l7/hooks.h"
#include "loop/conn.h"

/* A connection's one timer (the loop gives the kind back to proxy_on_timer()). */
/* TMR_CLIENT_SEND: a response is queued for a client that takes none of it (client_idle). */
/* TMR_CACHE_WAIT: a request collapsed behind another one's fetch waits at most CACHE_WAIT_MS. */
enum timer_kind { TMR_NONE = LOOP_TIMER_NONE, TMR_CLIENT_HEAD, TMR_CLIENT_IDLE, TMR_UP_CONNECT, TMR_UP_RESPONSE,
		  TMR_CLIENT_SEND, TMR_CACHE_WAIT };

enum req_phase { PH_IDLE = 0, PH_HEAD, PH_PROXY, PH_TUNNEL, PH_CLOSING };

struct worker;
struct wgen;
struct wserver;
struct route;
struct h2_sess;

/*
 * Per request state of a client connection. It is embedded in every client
 * connection, idle ones too: narrow types, and the small fields packed
 * together, keep it (and the memory per idle keep-alive client) small.
 */
struct req {
	uint8_t phase;           /* enum req_phase */
	uint8_t req_framing, resp_framing;   /* enum http_framing */
	uint8_t up_hook;         /* 1 + the slot of the hook that picked the upstream (l7/hooks.h); 0: the route did */
	int16_t status;
	int16_t err_status;      /* set by a hook that rejected the message (413) */
	bool head_pending;       /* on_head fired: route and forward before resuming */
	bool req_done, resp_done, resp_head_sent, close_after, upgrade, is_head;
	bool http10;
	bool up_cut;             /* the response ended before the upstream's body did: close it, never pool it */
	bool buffering;          /* the body is gathered in rb before the request goes upstream (req_buffer.c) */
	bool hook_wait;          /* a hook holds the request (a resolver, a crypt thread): parsing stays paused */
	bool tunnel;             /* CONNECT: a tunnel once the upstream connects (up_hook's tunnel calls) */
	uint32_t tries;
	int32_t server;          /* index in upstream, -1: none */
	uint32_t upstream;       /* index in the generation's upstreams */
	uint32_t up_len;
	uint64_t body_in;        /* request body bytes so far (413 check) */
	uint64_t bytes_in, bytes_out;
	int64_t start_wall_ms;
	uint64_t start_ms, up_start_ms, up_end_ms;
	struct wgen *wg;
	char *up_head;           /* the head sent upstream, kept for a retry */
	char rid[24];
	const struct route *route;
	struct wserver *last_srv;  /* for the access log */
	uint32_t rb_len;         /* bytes in rb (its size: rb_len rounded up to a power of two) */
	uint32_t cap_max;
	char *rb;                /* the buffered request body, framed for the upstream (req_buffer.c) */
	char *cap;               /* body capture for a sampled request: [0, cap_max) request, [cap_max, 2 cap_max) response */
	uint32_t cap_req, cap_resp;
	void *hook_data[PROXY_HOOKS_MAX];  /* each attached hook's state for this request, by slot; NULL: none */
};

/*
 * A client or upstream connection. The loop's part comes first, as a member
 * of two names: `lc` is the loop's view (&c->lc for loop_*() calls), and the
 * anonymous one (-fms-extensions: a tagged struct as an anonymous member)
 * keeps its fields addressable as c->fd, c->out, c->dead.
 */
struct conn {
	union {
		struct loop_conn lc;
		struct loop_conn;
	};
	struct worker *w;
	struct conn *peer;
	struct http_msg *msg;    /* the parser, only while a message is under way (conn_msg_get()): NULL when idle */
	uint16_t cur_bid;        /* the buffer being parsed (body segments point into it) */
	/* client */
	uint32_t listener;
	bool listener_counted;
	bool proto_known;        /* its protocol was chosen: HTTP/1.x went on, or it became HTTP/2 (l7/h2.c) */
	char ip[INET6_ADDRSTRLEN];   /* 46: the longest inet_ntop() text (and no padding before req) */
	struct req req;
	uint32_t sndq_seen;      /* TMR_CLIENT_SEND: bytes in the socket's send queue at the last check */
	/* upstream */
	struct wserver *srv;
	union {
		struct conn *pool_next;  /* upstream: the idle pool */
		struct h2_sess *h2;      /* client speaking HTTP/2: its session (l7/h2.c) */
	};
	struct conn **pool_pprev;
	bool resp_started, pooled;
	bool shut_wr;            /* forward tunnel: our side's FIN was sent (the peer ended its direction) */
	uint8_t up_hook;         /* 1 + the slot of the hook whose upstream_released() it gets; 0: none */
};
/* The loop allocates struct conn by its size and hands back its struct loop_conn: they start together. */
_Static_assert(offsetof(struct conn, lc) == 0, "struct conn starts with its loop_conn");

/* conn_of() - the connection a loop handler was called for. */
static inline struct conn *conn_of(struct loop_conn *lc)
{
	return (struct conn *)lc;
}

/* The handlers of every proxied connection, client or upstream (l7/conn.c: proxy.c's on_* functions). */
extern const struct conn_ops proxy_conn_ops;

/*
 * conn_msg_get() - give @c a parser of @type for its next message (the
 * worker's spare ones first: no allocation once warm). An idle keep-alive
 * connection holds none, which is most of its memory saved. 0, or -ENOMEM.
 */
int conn_msg_get(struct worker *w, struct conn *c, llhttp_type_t type, uint32_t head_limit,
		 const struct http_msg_hooks *hooks);

/* conn_msg_put() - @c goes idle: its parser, and the head it holds, go back to the worker. */
void conn_msg_put(struct worker *w, struct conn *c);

/* conn_new() - a connection of @w for socket @fd (-1: none) of @kind, with proxy_conn_ops. NULL without memory. */
struct conn *conn_new(struct worker *w, uint8_t kind, int fd);

#endif
