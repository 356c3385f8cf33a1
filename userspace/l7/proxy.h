/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The HTTP session (proxy.c): a client's requests, routed and relayed to upstream connections. */
#ifndef SLUICE_L7_PROXY_H
#define SLUICE_L7_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l7/conn.h"
#include "l7/worker.h"

/* The loop's events, through proxy_conn_ops (l7/conn.c). */

/* proxy_accepted() - client @c was accepted on its listener: count it and start reading its first request. */
void proxy_accepted(struct worker *w, struct conn *c);
/* proxy_on_recv() - new input is queued on @c, or its peer has room again. */
void proxy_on_recv(struct worker *w, struct conn *c);
/* proxy_on_eof() - @c's peer closed (@err 0) or its socket failed (-errno). */
void proxy_on_eof(struct worker *w, struct conn *c, int err);
/* proxy_on_sent() - @c's output drained, partly or fully. */
void proxy_on_sent(struct worker *w, struct conn *c);
/* proxy_on_connect() - upstream @c's connect completed: @res is 0 or -errno. */
void proxy_on_connect(struct worker *w, struct conn *c, int res);
/* proxy_on_timer() - @c's timer of kind @kind (enum timer_kind) fired. */
void proxy_on_timer(struct worker *w, struct conn *c, uint8_t kind);
/* proxy_conn_released() - @c is closed and its last completion came back: drop what its request holds. */
void proxy_conn_released(struct worker *w, struct conn *c);

/* For cache_proxy.c and forward.c. */

/* proxy_connect() - send @c's request on to its upstream or origin. 0, or -errno with nothing sent. */
int proxy_connect(struct worker *w, struct conn *c);
/* proxy_fail() - answer @c's request with error @status. */
void proxy_fail(struct worker *w, struct conn *c, int status);
/* proxy_finish() - @c's response is complete: log it, then the next request or close. */
void proxy_finish(struct worker *w, struct conn *c);
/* proxy_drop_upstream() - close @c's upstream connection (never pooled). */
void proxy_drop_upstream(struct worker *w, struct conn *c);
/* proxy_reply() - answer with @text (a whole response for @status; @heap: the queue frees it) and close. */
void proxy_reply(struct worker *w, struct conn *c, int status, const char *text, size_t len, bool heap);
/* proxy_attach() - @u serves @c's request: link them and queue the request head. 0, or -ENOMEM with @u closed. */
int proxy_attach(struct worker *w, struct conn *c, struct conn *u);
/* proxy_resume() - a request left waiting (forward.c: the resolver) was sent on: carry on. */
void proxy_resume(struct worker *w, struct conn *c);
/* proxy_tunnel_close() - a tunnel ended: log it, close both sides. */
void proxy_tunnel_close(struct worker *w, struct conn *c);

#endif
