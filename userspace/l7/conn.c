// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* L7's connections: made with proxy.c's handlers, which the loop calls through proxy_conn_ops. */
#include <errno.h>
#include <stdlib.h>

#include "l7/conn.h"
#include "l7/proxy.h"
#include "l7/worker.h"

static void conn_on_recv(struct loop *lp, struct loop_conn *c)
{
	proxy_on_recv(worker_of(lp), conn_of(c));
}

static void conn_on_sent(struct loop *lp, struct loop_conn *lc)
{
	struct conn *c = conn_of(lc);

	proxy_on_sent(worker_of(lp), c);
	if (!c->dead && c->kind == CONN_CLIENT && c->req.phase == PH_IDLE)
		conn_trim(c);   /* the last bytes of a response went out after it went idle */
}

static void conn_on_connect(struct loop *lp, struct loop_conn *c, int res)
{
	proxy_on_connect(worker_of(lp), conn_of(c), res);
}

static void conn_on_eof(struct loop *lp, struct loop_conn *c, int err)
{
	proxy_on_eof(worker_of(lp), conn_of(c), err);
}

static void conn_on_timer(struct loop *lp, struct loop_conn *c, uint8_t kind)
{
	proxy_on_timer(worker_of(lp), conn_of(c), kind);
}

static void conn_on_released(struct loop *lp, struct loop_conn *lc)
{
	struct conn *c = conn_of(lc);

	proxy_conn_released(worker_of(lp), c);
	conn_msg_put(worker_of(lp), c);
}

int conn_msg_get(struct worker *w, struct conn *c, llhttp_type_t type, uint32_t head_limit,
		 const struct http_msg_hooks *hooks)
{
	struct http_msg *m = c->msg;

	if (!m) {
		m = w->msg_spare;
		if (m)
			w->msg_spare = m->arg;   /* a spare one links the next through arg */
		else if (!(m = malloc(sizeof(*m))))
			return -ENOMEM;
		c->msg = m;
	}
	http_msg_init(m, type, head_limit, hooks, c);
	return 0;
}

void conn_msg_put(struct worker *w, struct conn *c)
{
	struct http_msg *m = c->msg;

	if (!m)
		return;
	http_msg_free_head(m);
	m->arg = w->msg_spare;
	w->msg_spare = m;
	c->msg = NULL;
}

const struct conn_ops proxy_conn_ops = {
	.on_recv = conn_on_recv,
	.on_sent = conn_on_sent,
	.on_connect = conn_on_connect,
	.on_eof = conn_on_eof,
	.on_timer = conn_on_timer,
	.on_released = conn_on_released,
};

struct conn *conn_new(struct worker *w, uint8_t kind, int fd)
{
	struct loop_conn *lc = loop_conn_new(&w->lp, kind, fd, &proxy_conn_ops);
	struct conn *c;

	if (!lc)
		return NULL;
	c = conn_of(lc);
	c->w = w;
	c->req.server = -1;
	return c;
}
