// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The HTTP/1.1 reverse proxy session: a client connection, its current request and the upstream connection serving it. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "l7/accesslog.h"
#include "l7/balance.h"
#include "l7/h2.h"
#include "l7/hooks.h"
#include "l7/proxy.h"
#include "l7/req_buffer.h"
#include "l7/upstream.h"
#include "lib/clock.h"
#include "lib/log.h"

#define RESP_HEAD_LIMIT (64 * 1024)
#define INQ_MAX 4   /* received buffers waiting to be parsed before we stop reading */

static void pump_client(struct worker *w, struct conn *c);
static void pump_upstream(struct worker *w, struct conn *u);
static void finish_request(struct worker *w, struct conn *c);
static int connect_upstream(struct worker *w, struct conn *c, int exclude);

static const struct cfg_listener *lcfg(struct worker *w, struct conn *c)
{
	return w->l7->ls[c->listener].cfg;
}

/* ---- hooks (l7/hooks.h): the calls of every hook taking part in a request, in slot order ---- */

/* up_hook() - the hook that picked @c's upstream (the forward proxy), or NULL: its route did. */
static const struct proxy_hooks *up_hook(const struct conn *c)
{
	return c->req.up_hook ? proxy_hooks[c->req.up_hook - 1] : NULL;
}

/* each_hook() - walk the hooks @c's request has state with: for (i = 0; each_hook(c, &i, &h); i++). */
static inline bool each_hook(const struct conn *c, unsigned int *i, const struct proxy_hooks **h)
{
	for (; *i < proxy_n_hooks; ++*i)
		if (c->req.hook_data[*i]) {
			*h = proxy_hooks[*i];
			return true;
		}
	return false;
}

int proxy_hooks_request(struct worker *w, struct conn *c, unsigned int from)
{
	uint8_t mask = atomic_load_explicit(&w->l7->ls[c->listener].hooks, memory_order_relaxed);

	for (unsigned int i = from; i < proxy_n_hooks; i++) {
		const struct proxy_hooks *h = proxy_hooks[i];
		int v;

		if (!(mask & (1u << i)) || !h->on_request)
			continue;
		if (h->connect)
			c->req.up_hook = (uint8_t)(i + 1);   /* from here on its upstream calls serve the request */
		v = h->on_request(w, c);
		if (v != PROXY_NEXT)
			return v;
	}
	return PROXY_NEXT;
}

bool proxy_hooks_upstream_head(struct worker *w, struct conn *c, bool held)
{
	const struct proxy_hooks *h;

	for (unsigned int i = 0; each_hook(c, &i, &h); i++)
		if (h->on_upstream_head)
			h->on_upstream_head(w, c, held);
	return held;
}

void proxy_target_host(const struct conn *c, const char **host, size_t *len)
{
	const struct proxy_hooks *h = up_hook(c);

	if (h && h->target_host)
		h->target_host(c, host, len);
}

/* hooks_error() - a hook answers instead of error @status (the cache: a stale response). true if one did. */
static bool hooks_error(struct worker *w, struct conn *c, int status)
{
	const struct proxy_hooks *h;

	for (unsigned int i = 0; each_hook(c, &i, &h); i++)
		if (h->on_error && h->on_error(w, c, status))
			return true;
	return false;
}

/* hooks_release() - the request or its connection ends: every hook frees its state. */
static void hooks_release(struct worker *w, struct conn *c)
{
	const struct proxy_hooks *h;

	for (unsigned int i = 0; each_hook(c, &i, &h); i++) {
		if (h->on_release)
			h->on_release(w, c);
		c->req.hook_data[i] = NULL;   /* on_release freed it */
	}
}

/* up_cfg() - timeouts, Via and name of where client @c's request goes: its upstream, or the hook's that picked it. */
static const struct cfg_upstream *up_cfg(const struct conn *c)
{
	const struct proxy_hooks *h = up_hook(c);

	return h && h->upstream_cfg ? h->upstream_cfg(c) : c->req.wg->up[c->req.upstream].cfg;
}

static bool w_stopping(struct worker *w)
{
	return w->stopping;
}

static uint32_t rnd(struct worker *w)
{
	w->rnd ^= w->rnd << 13;
	w->rnd ^= w->rnd >> 17;
	w->rnd ^= w->rnd << 5;
	return w->rnd;
}

/* ---- backpressure ---- */

/* update_pause() - stop reading @x while its parsed output waits on the other side or unparsed input piles up. */
static void update_pause(struct worker *w, struct conn *x)
{
	bool want;

	if (x->dead || x->eof)
		return;
	want = x->in.tail - x->in.head > INQ_MAX || (x->peer && x->peer->out.bytes > OUT_HIGH);
	if (want && !x->paused) {
		x->paused = true;
		if (x->recv_armed) {
			struct io_uring_sqe *sqe = worker_sqe(w);

			io_uring_prep_cancel64(sqe, ud_pack(UD_RECV, x->idx, x->gen), 0);
			io_uring_sqe_set_data64(sqe, ud_pack(UD_NONE, 0, 0));
		}
	} else if (!want && x->paused) {
		x->paused = false;
		conn_recv(w, x);
		if (x->kind == CONN_UPSTREAM && x->peer && x->resp_started && x->t_kind == TMR_NONE)
			conn_timer(w, x, TMR_UP_RESPONSE,
				   x->peer->req.wg->up[x->peer->req.upstream].cfg->response_timeout_ms);
	}
	/*
	 * The response timeout measures the server's silence: while we do not
	 * read it (its client is slow), it is not silent, just waiting for us.
	 * The client's own stall is TMR_CLIENT_SEND's business.
	 */
	if (x->paused && x->kind == CONN_UPSTREAM && x->t_kind == TMR_UP_RESPONSE)
		conn_timer(w, x, TMR_NONE, 0);
}

/* ---- output helpers ---- */

static void out_chunk_size(struct conn *to, uint64_t size)
{
	char b[20];
	int n = snprintf(b, sizeof(b), "%llx\r\n", (unsigned long long)size);

	outq_inline(&to->out, b, (uint32_t)n);
}

/*
 * last_chunk() - the end of a chunked body with the trailers @m carried, in
 * *@heap (malloc'ed, @len bytes); NULL in *@heap: none, "0\r\n\r\n" will do
 * (most bodies carry none).
 */
static void last_chunk(const struct http_msg *m, char **heap, size_t *len)
{
	size_t cap = m->len + 4u * (m->n_hdr - m->n_head_hdr) + 8;
	long n;

	*heap = NULL;
	*len = 5;
	if (m->n_hdr <= m->n_head_hdr || !m->buf || !(*heap = malloc(cap)))
		return;
	n = http_build_last_chunk(m, *heap, cap);
	if (n < 0) {
		free(*heap);
		*heap = NULL;
		return;
	}
	*len = (size_t)n;
}

/* out_last_chunk() - queue the end of a chunked body on @q, trailers and all. The bytes queued. */
static uint32_t out_last_chunk(struct outq *q, const struct http_msg *m)
{
	char *t;
	size_t n;

	last_chunk(m, &t, &n);
	if (t && !outq_push(q, SEG_HEAP, t, (uint32_t)n, 0))
		return (uint32_t)n;
	free(t);
	outq_inline(q, "0\r\n\r\n", 5);
	return 5;
}

static void out_body(struct conn *to, struct conn *from, const char *at, size_t len)
{
	bufring_ref(&from->w->br, from->cur_bid);
	if (outq_push(&to->out, SEG_BUF, at, (uint32_t)len, from->cur_bid))
		bufring_unref(&from->w->br, from->cur_bid);
}

/* relay_raw() - tunnel mode: hand every received buffer to the other side as is. */
static void relay_raw(struct worker *w, struct conn *from, struct conn *to)
{
	struct conn *client = from->kind == CONN_CLIENT ? from : to;

	while (from->in.head < from->in.tail) {
		struct inbuf *e = &from->in.v[from->in.head++];

		/* the queue's reference moves to the segment */
		if (outq_push(&to->out, SEG_BUF, bufring_ptr(&w->br, e->bid) + e->off, e->len - e->off, e->bid))
			bufring_unref(&w->br, e->bid);
		if (from->kind == CONN_CLIENT)
			from->req.bytes_in += e->len - e->off;
		else
			to->req.bytes_out += e->len - e->off;
	}
	from->in.head = from->in.tail = 0;
	conn_send(w, to);
	update_pause(w, from);
	/* traffic either way keeps a tunnel (CONNECT or an upgrade) alive; client_idle of silence ends it */
	conn_timer(w, client, TMR_CLIENT_IDLE, lcfg(w, client)->client_idle_ms);
}

/* ---- request id and logging ---- */

static void make_request_id(struct worker *w, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t v = (uint64_t)(w->id & 0xff) << 56 | (uint64_t)(rnd(w) & 0xffffff) << 32 | (++w->rid_next & 0xffffffff);

	/* 16 hex digits: worker, random, sequence (unique per worker for 4 G requests) */
	if (cap < 17)
		return;
	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[16] = 0;
}

static const char *hdr_or_null(const struct http_msg *m, const char *name)
{
	int i = m->buf ? http_find(m, name) : -1;

	return i >= 0 ? http_value(m, i) : NULL;
}

static void log_request(struct worker *w, struct conn *c)
{
	struct wlog *lg = &w->logs[c->listener];
	const struct cfg_access_log *al = &lcfg(w, c)->access_log;
	struct accesslog_rec r;
	struct tls_info tls;
	const struct proxy_hooks *h;
	char small[4096], *line = small;
	size_t n, cap = sizeof(small);

	if (c->req.start_ms) {
		int cls = c->req.status >= 100 && c->req.status < 600 ? c->req.status / 100 : 0;

		stat_add(w->st_requests, 1);
		stat_add(w->st_resp[cls], 1);
		stat_add(w->st_bytes_in, c->req.bytes_in);
		stat_add(w->st_bytes_out, c->req.bytes_out);
	}
	if (lg->fd < 0 || !c->req.start_ms) {
		free(c->req.cap);
		c->req.cap = NULL;
		return;
	}
	memset(&r, 0, sizeof(r));
	r.client_ip = c->ip;
	r.start_ms = c->req.start_wall_ms;
	r.method = c->msg->head_done ? llhttp_method_name(c->msg->p.method) : "-";
	r.target = c->msg->head_done ? http_target(c->msg) : "-";
	r.target_len = c->msg->head_done ? c->msg->target_len : 1;
	r.http_minor = c->msg->p.http_minor;
	r.status = c->req.status;
	r.bytes_in = c->req.bytes_in;
	r.bytes_out = c->req.bytes_out;
	if (c->msg->head_done) {
		r.referer = hdr_or_null(c->msg, "referer");
		r.user_agent = hdr_or_null(c->msg, "user-agent");
	}
	r.upstream = c->req.last_srv ? c->req.last_srv->cfg->addr.text : NULL;
	r.upstream_ms = c->req.up_start_ms ? (int64_t)(w->now_ms - c->req.up_start_ms) : -1;
	r.total_ms = (int64_t)(w->now_ms - c->req.start_ms);
	r.request_id = c->req.rid;
	if (tls_info(h2_wire(c), &tls))
		r.tls = &tls;
	r.http2 = h2_is_stream(c);
	for (unsigned int i = 0; each_hook(c, &i, &h); i++)
		if (h->on_log)
			h->on_log(c, &r);   /* the cache's status ("-" without), the forward proxy's rule and user */
	if (c->req.cap) {
		r.head = c->msg->head_done ? c->msg : NULL;
		r.redact = al->redact;
		r.n_redact = al->n_redact;
		r.req_body = c->req.cap;
		r.req_body_len = c->req.cap_req;
		r.resp_body = c->req.cap + c->req.cap_max;
		r.resp_body_len = c->req.cap_resp;
		/* escaping may grow a byte to six; headers are bounded by the head size */
		cap += (size_t)c->req.cap_max * 12 + c->msg->len * 6;
		line = malloc(cap);
		if (!line)
			return;
	}
	n = accesslog_format(lg->format, &r, line, cap);
	if (n)
		worker_log(w, c->listener, line, n);
	if (line != small)
		free(line);
	free(c->req.cap);
	c->req.cap = NULL;
}

/* capture() - keep the first bytes of a sampled request's body (@resp: of its response) for the log. */
static void capture(struct conn *c, bool resp, const char *at, size_t len)
{
	uint32_t *have = resp ? &c->req.cap_resp : &c->req.cap_req;
	size_t room = c->req.cap_max - *have;

	if (len > room)
		len = room;
	memcpy(c->req.cap + (resp ? c->req.cap_max : 0) + *have, at, len);
	*have += (uint32_t)len;
}

/* ---- the upstream side of a request ---- */

/* detach_upstream() - unlink the request's upstream connection; pool it when @reuse, else close it. */
static void detach_upstream(struct worker *w, struct conn *c, bool reuse)
{
	struct conn *u = c->peer;
	struct wupstream *up;

	if (c->req.server >= 0) {
		up = &c->req.wg->up[c->req.upstream];
		balancer_end(up->bal, (size_t)c->req.server);
		c->req.server = -1;
	}
	if (!u)
		return;
	/*
	 * The kept request head (for retries) may still be queued on @u. With a send in
	 * flight the kernel may read it: hand it to the connection, which frees it. Without,
	 * the request keeps it (a retry sends it again) and the segment just forgets it.
	 */
	for (uint32_t i = u->out.head; i < u->out.tail; i++) {
		if (u->out.s[i].kind != SEG_KEEP || u->out.s[i].ptr != c->req.up_head)
			continue;
		if (u->out.inflight) {
			u->out.s[i].kind = SEG_HEAP;
			c->req.up_head = NULL;
		} else {
			u->out.s[i].kind = SEG_STATIC;
		}
	}
	c->peer = NULL;
	u->peer = NULL;
	if (c->paused)
		update_pause(w, c);
	if (!reuse || !upstream_put(w, u))
		conn_close(w, u);
}

/*
 * proxy_reply() - answer with @text (a whole response for @status saying
 * Connection: close; @heap: it is malloc'ed and the queue frees it) and close.
 * An answer already under way can only be cut: what is queued of it is sent,
 * then the connection closes (never a second response on it).
 */
void proxy_reply(struct worker *w, struct conn *c, int status, const char *text, size_t len, bool heap)
{
	/* a hook's answer instead (the cache: a stale one), or a background refresh that just ends */
	if (c->req.req_done && hooks_error(w, c, status)) {
		if (heap)
			free((void *)text);
		return;
	}
	detach_upstream(w, c, false);
	if (c->req.resp_head_sent || c->req.phase == PH_CLOSING) {
		log_request(w, c);
		c->req.start_ms = 0;
		if (heap)
			free((void *)text);
		if (c->req.phase != PH_CLOSING && (c->out.head != c->out.tail || c->out.inflight)) {
			/* what is queued of the answer goes out, then a FIN: the client sees a cut, not a reset */
			c->req.phase = PH_CLOSING;
			conn_timer(w, c, TMR_CLIENT_IDLE, 5000);   /* bound the final send */
			conn_send(w, c);
			return;
		}
		conn_close(w, c);
		return;
	}
	if (outq_push(&c->out, heap ? SEG_HEAP : SEG_STATIC, text, (uint32_t)len, 0) && heap)
		free((void *)text);
	c->req.status = status;
	c->req.bytes_out += len;
	c->req.resp_head_sent = true;
	if (c->req.phase != PH_IDLE)
		log_request(w, c);
	c->req.start_ms = 0;
	c->req.phase = PH_CLOSING;
	conn_timer(w, c, TMR_CLIENT_IDLE, 5000);   /* bound the final send */
	conn_send(w, c);
}

/* client_error() - answer with the standard short response for @status and close. */
static void client_error(struct worker *w, struct conn *c, int status)
{
	size_t len;
	const char *text = http_error_response(status, &len);

	proxy_reply(w, c, status, text, len, false);
}

static bool retryable(struct worker *w, struct conn *c)
{
	const struct cfg_upstream *uc = up_cfg(c);

	return !c->req.up_hook && c->req.up_head && !c->req.resp_head_sent && c->req.req_framing == HTTP_FRAME_NONE &&
	       !c->req.upgrade && http_idempotent((uint8_t)c->msg->p.method) &&
	       c->req.tries <= uc->retries && !w->stopping;
}

/* upstream_fail() - the connection to the server failed before a response: retry or answer 502/504. */
static void upstream_fail(struct worker *w, struct conn *u, int err, bool timeout)
{
	struct conn *c = u->peer;
	int failed;

	if (u->srv)
		upstream_outcome(w, u->srv, timeout ? UP_TIMEOUT : UP_ERROR);
	if (!c) {
		upstream_unpool(u);
		conn_close(w, u);
		return;
	}
	failed = c->req.server;
	log_debug("upstream %s/%s: %s", u->srv->up->cfg->name, u->srv->cfg->addr.text,
		  strerror(-err));
	detach_upstream(w, c, false);
	if (retryable(w, c)) {
		if (!connect_upstream(w, c, failed))
			return;
	} else if (up_hook(c) && up_hook(c)->retry && !timeout && !up_hook(c)->retry(w, c)) {
		return;   /* the hook's own retry (forward: once more to the same origin address) */
	}
	client_error(w, c, timeout ? 504 : 502);
}

/* hash_key() - the balancing key of a request for balance: hash. */
static const char *hash_key(struct conn *c, const struct cfg_upstream *uc, size_t *len)
{
	const struct http_msg *m = c->msg;
	const char *v;

	*len = 0;
	if (uc->balance != CFG_BAL_HASH)
		return NULL;
	if (uc->hash_key == CFG_HASH_CLIENT_IP) {
		*len = strlen(c->ip);
		return c->ip;
	}
	if (uc->hash_key == CFG_HASH_HEADER) {
		int i = http_find(m, uc->hash_name);

		if (i < 0)
			return NULL;
		*len = m->hdr[i].value_len;
		return http_value(m, i);
	}
	v = hdr_or_null(m, "cookie");
	if (v) {
		size_t nl = strlen(uc->hash_name);

		while (*v) {
			while (*v == ' ' || *v == ';')
				v++;
			if (!strncmp(v, uc->hash_name, nl) && v[nl] == '=') {
				v += nl + 1;
				*len = strcspn(v, ";");
				return v;
			}
			v += strcspn(v, ";");
		}
	}
	return NULL;
}

extern const struct http_msg_hooks proxy_resp_hooks;

/* connect_upstream() - pick a server (not @exclude) and queue the request head to it. 0, or -errno with nothing sent. */
static int connect_upstream(struct worker *w, struct conn *c, int exclude)
{
	struct wupstream *up = &c->req.wg->up[c->req.upstream];
	const char *key;
	size_t key_len;
	struct conn *u;
	int s;

	key = hash_key(c, up->cfg, &key_len);
	s = upstream_pick(w, c->req.wg, c->req.upstream, key, key_len, exclude);
	if (s < 0)
		return -EAGAIN;
	if (c->req.tries++)
		stat_add(w->st_retries, 1);
	c->req.last_srv = &up->srv[s];
	u = upstream_get(w, &up->srv[s]);
	if (!u) {
		upstream_result(w, &up->srv[s], false);
		if (retryable(w, c))
			return connect_upstream(w, c, s);
		return -errno;
	}
	balancer_begin(up->bal, (size_t)s);
	c->req.server = s;
	return proxy_attach(w, c, u);
}

/* proxy_attach() - @u serves @c's request: link them and queue the request head. 0, or -ENOMEM with @u closed. */
int proxy_attach(struct worker *w, struct conn *c, struct conn *u)
{
	c->peer = u;
	u->peer = c;
	u->resp_started = false;
	if (conn_msg_get(w, u, HTTP_RESPONSE, RESP_HEAD_LIMIT, &proxy_resp_hooks) ||
	    outq_push(&u->out, SEG_KEEP, c->req.up_head, (uint32_t)c->req.up_len, 0)) {
		detach_upstream(w, c, false);
		return -ENOMEM;
	}
	if (!c->req.up_start_ms)
		c->req.up_start_ms = w->now_ms;
	if (!u->connecting)
		conn_send(w, u);   /* the response timer starts once the request is out (proxy_on_sent) */
	return 0;
}

/* send_upstream() - connect (or take a pooled connection) and queue the request head. 0, or -1: @c was answered. */
static int send_upstream(struct worker *w, struct conn *c)
{
	if (connect_upstream(w, c, -1)) {
		if (hooks_error(w, c, 503))
			return 0;
		client_error(w, c, 503);
		return -1;
	}
	return 0;
}

/* picks_upstream() - does a hook of @c's listener pick the upstream (the forward proxy), not the routes? */
static bool picks_upstream(struct worker *w, const struct conn *c)
{
	uint8_t mask = atomic_load_explicit(&w->l7->ls[c->listener].hooks, memory_order_relaxed);

	for (unsigned int i = 0; i < proxy_n_hooks; i++)
		if ((mask & (1u << i)) && proxy_hooks[i]->connect)
			return true;
	return false;
}

/* start_request() - the request head is complete: check limits, route, and send it on. 0 = carry on parsing. */
static int start_request(struct worker *w, struct conn *c)
{
	const struct cfg_listener *l = lcfg(w, c);
	struct loop_conn *wire = h2_wire(c);   /* the socket's connection: an HTTP/2 stream's is its session's */
	struct http_msg *m = c->msg;
	struct http_fwd f;
	size_t cap;
	long n;
	int i, v;

	conn_timer(w, c, TMR_NONE, 0);
	c->req.http10 = m->p.http_major == 1 && m->p.http_minor == 0;
	c->req.is_head = m->p.method == HTTP_HEAD;
	c->req.upgrade = (m->p.flags & F_UPGRADE) && (m->p.flags & F_CONNECTION_UPGRADE);
	if (m->p.method == HTTP_CONNECT && l->mode != CFG_MODE_FORWARD) {
		client_error(w, c, 405);
		return -1;
	}
	/* a forward proxy takes the host from its absolute-form target: Host may be absent there */
	if (http_check_host(m, l->mode != CFG_MODE_FORWARD)) {
		client_error(w, c, 400);
		return -1;
	}
	if (m->p.flags & F_CHUNKED)
		c->req.req_framing = HTTP_FRAME_CHUNKED;
	else if (m->p.flags & F_CONTENT_LENGTH && m->p.content_length)
		c->req.req_framing = HTTP_FRAME_LENGTH;
	if (l->max_body_bytes && m->p.flags & F_CONTENT_LENGTH && m->p.content_length > l->max_body_bytes) {
		client_error(w, c, 413);
		return -1;
	}
	i = http_find(m, "x-request-id");
	if (i >= 0 && m->hdr[i].value_len < sizeof(c->req.rid))
		memcpy(c->req.rid, http_value(m, i), m->hdr[i].value_len + 1);
	else
		make_request_id(w, c->req.rid, sizeof(c->req.rid));
	if (picks_upstream(w, c)) {
		/* the forward proxy: its rules instead of routes, then the hooks after it; proxy_resume() after a wait */
		v = proxy_hooks_request(w, c, 0);
		return v == PROXY_ERROR ? -1 : c->req.hook_wait ? 1 : 0;
	}
	/* absolute-form: route on the target's authority and send origin-form, as the upstream would read it */
	i = http_origin_form(m);
	if (i) {
		client_error(w, c, i == -E2BIG ? 431 : 400);
		return -1;
	}
	c->req.route = c->listener < c->req.wg->g->n_routes ?
		       route_match(&c->req.wg->g->routes[c->listener], m) : NULL;
	if (!c->req.route || !c->req.route->n_splits) {
		client_error(w, c, 404);
		return -1;
	}
	c->req.upstream = route_upstream(c->req.route, rnd(w));
	if (l->access_log.body_bytes && c->req.route->log_body_sample && w->logs[c->listener].fd >= 0 &&
	    rnd(w) % c->req.route->log_body_sample == 0) {
		c->req.cap = malloc((size_t)l->access_log.body_bytes * 2);
		c->req.cap_max = c->req.cap ? l->access_log.body_bytes : 0;
	}
	c->req.phase = PH_PROXY;
	v = proxy_hooks_request(w, c, 0);
	if (v == PROXY_ERROR)
		return -1;
	if (v == PROXY_DONE)
		return 0;   /* answered (from the cache) */
	memset(&f, 0, sizeof(f));
	f.client_ip = c->ip;
	f.proto = "http";
	if (wire->xf) {
		struct tls_info ti;

		f.proto = "https";
		/* the verified subject, and never a client's own header of that name */
		f.cert_header = l->tls.present ? l->tls.client_header : NULL;
		if (tls_info(wire, &ti))
			f.cert_subject = ti.subject;
	}
	f.host = up_cfg(c)->host;
	f.default_host = up_cfg(c)->name;   /* an HTTP/1.0 request without Host: the upstream's name, as nginx's proxy_pass */
	f.request_id = c->req.rid;
	f.via = up_cfg(c)->via;
	f.upgrade = c->req.upgrade;
	f.framing = c->req.req_framing;
	/*
	 * What the head gains: X-Forwarded-*, Forwarded (with the Host again),
	 * X-Request-Id, Via. A first try with the room most requests need keeps
	 * the block within malloc's per-thread cache (1 KiB); a long Host or a
	 * certificate subject takes a second, roomier one.
	 */
	for (int attempt = 0; attempt < 2; attempt++) {
		cap = m->len + (attempt ? 1024 + 2 * (size_t)m->len : 384) + (f.cert_subject ? strlen(f.cert_subject) + 64 : 0);
		free(c->req.up_head);
		c->req.up_head = malloc(cap);
		if (!c->req.up_head) {
			client_error(w, c, 500);
			return -1;
		}
		n = http_build_request(m, &f, c->req.up_head, cap);
		if (n != -ENOSPC)
			break;
	}
	if (n < 0) {
		client_error(w, c, 431);
		return -1;
	}
	c->req.up_len = (size_t)n;
	if (proxy_hooks_upstream_head(w, c, v == PROXY_HOLD))
		return 0;   /* the cache answered stale and refreshes, or waits for another request's fill */
	if (req_buffer_begin(c, l))
		return 0;   /* the body is gathered first: buffered_send() once it is in */
	return send_upstream(w, c);
}

/* buffered_send() - a buffered body is complete, or fills the buffer: send the request with it. 0, or -1: @c was answered. */
static int buffered_send(struct worker *w, struct conn *c)
{
	c->req.buffering = false;
	if (send_upstream(w, c)) {
		req_buffer_free(c);
		return -1;
	}
	if (req_buffer_flush(c)) {
		client_error(w, c, 500);
		return -1;
	}
	if (c->peer)
		conn_send(w, c->peer);
	return 0;
}

/*
 * up_wait() - the response clock of upstream @u serving @c: it runs from
 * the moment the whole request is ours, and every send the server takes
 * restarts it. Waiting for it to have the whole request instead left a
 * server that stops reading with no timer at all (the client's ran out
 * with its body).
 */
static void up_wait(struct worker *w, struct conn *u, struct conn *c)
{
	bool run = c->req.req_done;

	if (c->req.tunnel)   /* CONNECT, as before: the origin's clock runs while nothing waits for it */
		run = u->out.head == u->out.tail;
	conn_timer(w, u, run ? TMR_UP_RESPONSE : TMR_NONE, up_cfg(c)->response_timeout_ms);
}

/* hooks_keep_timer() - is the client's timer a hook's (the cache: a collapsed wait)? */
static bool hooks_keep_timer(const struct conn *c)
{
	const struct proxy_hooks *h;

	for (unsigned int i = 0; each_hook(c, &i, &h); i++)
		if (h->keeps_timer && h->keeps_timer(c))
			return true;
	return false;
}

/* ---- request hooks (arg: the client connection) ---- */

static int req_on_head(void *arg, struct http_msg *m)
{
	struct conn *c = arg;

	(void)m;
	c->req.head_pending = true;
	return HPE_PAUSED;
}

static int req_on_chunk(void *arg, uint64_t size)
{
	struct conn *c = arg;

	if (c->peer) {
		out_chunk_size(c->peer, size);
	} else if (c->req.buffering) {
		char b[20];
		int n = snprintf(b, sizeof(b), "%llx\r\n", (unsigned long long)size);

		return req_buffer_add(c, b, (size_t)n) ? -1 : 0;
	}
	return 0;
}

static int req_on_chunk_end(void *arg)
{
	struct conn *c = arg;

	if (c->peer)
		outq_inline(&c->peer->out, "\r\n", 2);
	else if (c->req.buffering && req_buffer_add(c, "\r\n", 2))
		return -1;
	return 0;
}

static int req_on_body(void *arg, const char *at, size_t len)
{
	struct conn *c = arg;
	uint64_t max = lcfg(c->w, c)->max_body_bytes;

	c->req.body_in += len;
	if (max && c->req.body_in > max) {
		c->req.err_status = 413;
		return -1;
	}
	if (c->req.cap)
		capture(c, false, at, len);
	if (c->peer) {
		out_body(c->peer, c, at, len);
	} else if (c->req.buffering && req_buffer_add(c, at, len)) {
		c->req.err_status = 500;
		return -1;
	}
	return 0;
}

static int req_on_done(void *arg, struct http_msg *m)
{
	struct conn *c = arg;

	if (c->req.req_framing == HTTP_FRAME_CHUNKED) {
		if (c->peer) {
			out_last_chunk(&c->peer->out, m);
		} else if (c->req.buffering) {
			char *t;
			size_t n;
			int err;

			last_chunk(m, &t, &n);
			err = req_buffer_add(c, t ? t : "0\r\n\r\n", n);
			free(t);
			if (err)
				return -1;
		}
	}
	c->req.req_done = true;
	if (!hooks_keep_timer(c))
		conn_timer(c->w, c, TMR_NONE, 0);
	if (c->peer && !c->peer->connecting && !c->peer->resp_started && !c->req.tunnel)
		up_wait(c->w, c->peer, c);
	return HPE_PAUSED;
}

static const struct http_msg_hooks req_hooks = {
	.on_head = req_on_head,
	.on_chunk = req_on_chunk,
	.on_chunk_end = req_on_chunk_end,
	.on_body = req_on_body,
	.on_done = req_on_done,
};

/* ---- response hooks (arg: the upstream connection) ---- */

/* resp_bodyless() - has the response to @c no body? A HEAD's has none, unless a hook sent it upstream as a GET. */
static bool resp_bodyless(const struct conn *c)
{
	const struct proxy_hooks *h;

	for (unsigned int i = 0; each_hook(c, &i, &h); i++)
		if (h->bodyless)
			return h->bodyless(c);
	return c->req.is_head;
}

static int resp_on_head(void *arg, struct http_msg *m)
{
	struct conn *u = arg, *c = u->peer;
	struct http_back b;
	unsigned int st = m->p.status_code;
	const struct proxy_hooks *h;
	const struct cfg_upstream *uc;
	size_t cap = m->len + 512;
	char *head;
	int skip = 0;
	long n;

	if (!c)
		return -1;
	/*
	 * A 101 switches only what the client asked to switch, and says to what
	 * (RFC 9110 15.2.2): any other is a bad response (502), never an interim
	 * one, or llhttp would stay in its upgrade state and the pump would spin.
	 */
	if (st == 101 && !(c->req.upgrade && (m->p.flags & F_UPGRADE) && (m->p.flags & F_CONNECTION_UPGRADE)))
		return -1;
	/* 204 and 304 have no body whatever they announce: skip it, and never reuse what carries its bytes */
	if ((st == 204 || st == 304) && (m->p.flags & F_CHUNKED || m->p.content_length)) {
		c->req.up_cut = true;
		skip = 1;
	}
	memset(&b, 0, sizeof(b));
	for (unsigned int i = 0; each_hook(c, &i, &h); i++)
		if (h->on_response_head && h->on_response_head(c->w, c, m, &b))
			return skip || (resp_bodyless(c) && st >= 200) ? 1 : 0;   /* answered from the cache; the response only feeds it */
	uc = up_cfg(c);
	b.client_http10 = c->req.http10;
	b.via = uc->via;
	if (st == 101 && c->req.upgrade) {
		b.upgrade = true;
	} else if (st < 200) {
		if (c->req.http10)
			return 0;   /* an HTTP/1.0 client cannot parse interim responses (RFC 9110 15.2) */
		b.framing = HTTP_FRAME_NONE;   /* 100 Continue and friends pass through */
	} else {
		if (c->req.is_head || st == 204 || st == 304)
			b.framing = HTTP_FRAME_NONE;
		else if (m->p.flags & F_CONTENT_LENGTH)
			b.framing = HTTP_FRAME_LENGTH;
		else
			b.framing = c->req.http10 ? HTTP_FRAME_CLOSE : HTTP_FRAME_CHUNKED;
		c->req.resp_framing = b.framing;
		c->req.close_after |= !llhttp_should_keep_alive(&c->msg->p) || w_stopping(c->w) ||
				      c->w->l7->ls[c->listener].removed ||
				      b.framing == HTTP_FRAME_CLOSE || c->req.upgrade;
		/* an early answer before the request body ended: the body cannot be drained safely */
		c->req.close_after |= !c->req.req_done && c->req.req_framing != HTTP_FRAME_NONE;
		b.close = c->req.close_after;
		c->req.status = (int)st;
	}
	head = malloc(cap);
	if (!head)
		return -1;
	n = http_build_response(m, &b, head, cap);
	if (n < 0 || outq_push(&c->out, SEG_HEAP, head, (uint32_t)n, 0)) {
		free(head);
		return -1;
	}
	c->req.bytes_out += (uint64_t)n;
	if (st >= 200 || b.upgrade) {
		c->req.resp_head_sent = true;
		if (!b.upgrade && c->t_kind == TMR_NONE) {   /* see proxy_on_sent */
			c->sndq_seen = UINT32_MAX;
			conn_timer(c->w, c, TMR_CLIENT_SEND, lcfg(c->w, c)->client_idle_ms);
		}
		if (b.upgrade)
			c->req.status = 101;
	}
	return skip || (resp_bodyless(c) && st >= 200) ? 1 : 0;
}

static int resp_on_chunk(void *arg, uint64_t size)
{
	struct conn *u = arg, *c = u->peer;

	if (c && c->req.resp_framing == HTTP_FRAME_CHUNKED) {
		out_chunk_size(c, size);
		c->req.bytes_out += 4;
	}
	return 0;
}

static int resp_on_chunk_end(void *arg)
{
	struct conn *u = arg, *c = u->peer;

	if (c && c->req.resp_framing == HTTP_FRAME_CHUNKED)
		outq_inline(&c->out, "\r\n", 2);
	return 0;
}

/*
 * resp_rest() - after body bytes: 0 to read on; when neither the client nor the
 * cache wants the rest of a long body, the response ends here (the upstream
 * connection is closed, not pooled, by finish_request()).
 */
static int resp_rest(struct conn *c)
{
	const struct proxy_hooks *h;
	bool unwanted = false;

	for (unsigned int i = 0; !unwanted && each_hook(c, &i, &h); i++)
		unwanted = h->rest_unwanted && h->rest_unwanted(c);
	if (!unwanted)
		return 0;
	c->req.up_cut = true;
	c->req.resp_done = true;
	return HPE_PAUSED;
}

static int resp_on_body(void *arg, const char *at, size_t len)
{
	struct conn *u = arg, *c = u->peer;
	const struct proxy_hooks *h;
	bool reframe, hooked = false;

	if (!c)
		return -1;
	for (unsigned int i = 0; each_hook(c, &i, &h); i++) {
		hooked = true;
		if (h->on_response_body && !h->on_response_body(c, &at, &len))
			return resp_rest(c);
	}

	/* a close-delimited body sent on as chunked: every piece is a chunk */
	reframe = c->req.resp_framing == HTTP_FRAME_CHUNKED && !(u->msg->p.flags & F_CHUNKED);
	if (reframe)
		out_chunk_size(c, len);
	if (c->req.cap)
		capture(c, true, at, len);
	out_body(c, u, at, len);
	if (reframe)
		outq_inline(&c->out, "\r\n", 2);
	c->req.bytes_out += len;
	return hooked ? resp_rest(c) : 0;
}

static int resp_on_done(void *arg, struct http_msg *m)
{
	struct conn *u = arg, *c = u->peer;
	const struct proxy_hooks *h;

	if (!c)
		return -1;
	if (m->p.status_code < 200 && !(m->p.status_code == 101 && c->req.upgrade))
		return 0;   /* an interim response: the final one follows */
	for (unsigned int i = 0; each_hook(c, &i, &h); i++)
		if (h->on_response_done)
			h->on_response_done(c);
	if (c->req.resp_framing == HTTP_FRAME_CHUNKED)
		c->req.bytes_out += out_last_chunk(&c->out, m);
	c->req.resp_done = true;
	if (m->p.status_code == 101)
		c->req.phase = PH_TUNNEL;
	return HPE_PAUSED;
}

const struct http_msg_hooks proxy_resp_hooks = {
	.on_head = resp_on_head,
	.on_chunk = resp_on_chunk,
	.on_chunk_end = resp_on_chunk_end,
	.on_body = resp_on_body,
	.on_done = resp_on_done,
};

/* ---- pumps: parse queued input as far as the state and the other side allow ---- */

static void begin_request(struct worker *w, struct conn *c)
{
	struct wgen *wg = w->cur;

	free(c->req.cap);
	hooks_release(w, c);
	req_buffer_free(c);
	memset(&c->req, 0, sizeof(c->req));
	c->req.server = -1;
	c->req.phase = PH_HEAD;
	c->req.start_ms = w->now_ms;
	c->req.start_wall_ms = clock_wall_ms();
	c->req.wg = wg;
	wg->refs++;
	conn_timer(w, c, TMR_CLIENT_HEAD, lcfg(w, c)->request_timeout_ms);
}

/* after_head() - the request was sent on: parse on past its head. true when @c needs nothing more now. */
static bool after_head(struct worker *w, struct conn *c)
{
	http_msg_resume(c->msg);
	/* A body-less request completes without more input: let llhttp say so now. */
	if (http_msg_feed(c->msg, "", 0) < 0) {
		client_error(w, c, c->req.err_status ? c->req.err_status : 400);
		return true;
	}
	if (c->peer)
		conn_send(w, c->peer);
	if (c->req.req_done && c->req.resp_done) {
		finish_request(w, c);
		return true;
	}
	/*
	 * A body is owed: request_timeout runs until it is all in (each piece
	 * restarts it, pump_client). Without it a head announcing a body that
	 * never comes would hold this connection and an upstream one forever:
	 * the server's response clock only starts once the whole request is ours.
	 */
	if (!c->req.req_done && c->req.phase == PH_PROXY && c->t_kind == TMR_NONE)
		conn_timer(w, c, TMR_CLIENT_HEAD, lcfg(w, c)->request_timeout_ms);
	return false;
}

/* proxy_resume() - a request start_request() left waiting (a hook: the forward proxy's resolver) was sent on: carry on. */
void proxy_resume(struct worker *w, struct conn *c)
{
	if (!after_head(w, c))
		pump_client(w, c);
}

static void pump_client(struct worker *w, struct conn *c)
{
	while (!c->dead && c->in.head < c->in.tail) {
		struct inbuf *e;
		long n;

		if (c->req.phase == PH_TUNNEL) {
			if (c->peer)
				relay_raw(w, c, c->peer);
			return;
		}
		if (c->req.phase == PH_CLOSING || c->req.req_done || c->req.hook_wait)
			break;   /* pipelined requests wait for the current response; a resolving one for its answer */
		if (c->peer && c->peer->out.bytes > OUT_HIGH)
			break;
		if (c->req.phase == PH_IDLE) {
			/* the first bytes tell HTTP/2 (a session from here on: h2.c) from HTTP/1.x */
			if (!c->proto_known && h2_detect(w, c))
				return;
			if (!c->msg && conn_msg_get(w, c, HTTP_REQUEST, lcfg(w, c)->max_header_bytes, &req_hooks)) {
				conn_close(w, c);   /* no memory for a parser: as if the connection had failed */
				return;
			}
			/* while stopping (or the listener is gone) it is served with Connection: close */
			begin_request(w, c);
		}
		e = &c->in.v[c->in.head];
		c->cur_bid = e->bid;
		n = http_msg_feed(c->msg, bufring_ptr(&w->br, e->bid) + e->off, e->len - e->off);
		if (n == 0 && !c->req.head_pending && !c->req.req_done)
			n = -EBUSY;   /* paused for no reason we know: the loop would never advance */
		if (n < 0) {
			client_error(w, c, c->req.err_status ? c->req.err_status : n == -E2BIG ? 431 : 400);
			return;
		}
		c->req.bytes_in += (uint64_t)n;
		if (c->req.phase == PH_PROXY && !c->req.req_done && n)
			/* a request body that stops flowing is a slow client, not a slow server */
			conn_timer(w, c, TMR_CLIENT_HEAD, lcfg(w, c)->request_timeout_ms);
		e->off += (uint32_t)n;
		if (e->off == e->len) {
			bufring_unref(&w->br, e->bid);
			c->in.head++;
		}
		if (c->req.head_pending) {
			c->req.head_pending = false;
			if (start_request(w, c) || after_head(w, c))
				return;
		}
		if (req_buffer_ready(c, lcfg(w, c)) && buffered_send(w, c))
			return;
	}
	/* before the EOF below: what was just parsed goes on even when the client also ended its side */
	if (c->peer)
		conn_send(w, c->peer);
	if (c->in.head == c->in.tail) {
		c->in.head = c->in.tail = 0;
		if (c->eof && !c->dead) {
			proxy_on_eof(w, c, 0);
			return;
		}
	}
	update_pause(w, c);
}

/*
 * unqueue_head() - a response whose head was queued in this very feed turned
 * out bad: nothing of it went out, so drop it (all but the first @keep
 * pending segments) and let the client have a clean error instead.
 */
static void unqueue_head(struct worker *w, struct conn *c, uint32_t keep)
{
	uint64_t before = c->out.bytes;

	outq_cut(w, &c->out, keep);
	c->req.bytes_out -= before - c->out.bytes;
	c->req.resp_head_sent = false;
	c->req.close_after = true;
}

static void pump_upstream(struct worker *w, struct conn *u)
{
	struct conn *c = u->peer;
	uint32_t queued;
	bool head_was;

	if (!c) {
		/* an idle pooled connection must stay silent */
		upstream_unpool(u);
		conn_close(w, u);
		return;
	}
	if (c->req.phase == PH_TUNNEL) {
		relay_raw(w, u, c);
		return;
	}
	conn_timer(w, u, TMR_UP_RESPONSE, up_cfg(c)->response_timeout_ms);
	while (!u->dead && u->in.head < u->in.tail && !c->req.resp_done) {
		struct inbuf *e;
		long n;

		if (c->out.bytes > OUT_HIGH)
			break;
		e = &u->in.v[u->in.head];
		u->cur_bid = e->bid;
		u->resp_started = true;
		queued = c->out.tail - c->out.head;
		head_was = c->req.resp_head_sent;
		n = http_msg_feed(u->msg, bufring_ptr(&w->br, e->bid) + e->off, e->len - e->off);
		if (n == 0 && !c->req.resp_done)
			n = -EBUSY;   /* paused without an end: the loop would never advance */
		if (n < 0) {
			log_warn("upstream %s/%s: malformed response%s", up_cfg(c)->name,
				 u->srv->cfg->addr.text, n == -EBUSY ? " (parser stuck)" : "");
			upstream_result(w, u->srv, false);
			if (!head_was && c->req.resp_head_sent)
				unqueue_head(w, c, queued);
			client_error(w, c, 502);
			return;
		}
		e->off += (uint32_t)n;
		if (e->off == e->len) {
			bufring_unref(&w->br, e->bid);
			u->in.head++;
		}
	}
	if (u->in.head == u->in.tail) {
		u->in.head = u->in.tail = 0;
		if (u->eof && !u->dead && !c->req.resp_done) {
			proxy_on_eof(w, u, 0);
			return;
		}
	}
	conn_send(w, c);
	if (c->req.resp_done) {
		if (c->req.phase == PH_TUNNEL) {
			conn_timer(w, u, TMR_NONE, 0);
			relay_raw(w, u, c);
			pump_client(w, c);   /* bytes the client sent after its upgrade request */
			return;
		}
		if (c->req.req_done || c->req.close_after) {
			finish_request(w, c);
			return;
		}
	}
	update_pause(w, u);
}

/* finish_request() - the response is complete: log, pool the upstream connection, then the next request or close. */
static void finish_request(struct worker *w, struct conn *c)
{
	struct conn *u = c->peer;
	bool reuse = false;

	log_request(w, c);
	c->req.start_ms = 0;
	hooks_release(w, c);
	if (u) {
		conn_timer(w, u, TMR_NONE, 0);
		upstream_outcome(w, u->srv, c->req.status >= 500 ? UP_5XX : UP_OK);
		reuse = !u->dead && !u->eof && !c->req.up_cut && c->req.req_done && llhttp_should_keep_alive(&u->msg->p) &&
			u->in.head == u->in.tail && u->out.head == u->out.tail && !u->out.inflight;
	}
	detach_upstream(w, c, reuse);
	free(c->req.up_head);
	c->req.up_head = NULL;
	wgen_put(w, c->req.wg);
	c->req.wg = NULL;
	if (c->req.close_after || !c->req.req_done || !llhttp_should_keep_alive(&c->msg->p) || w->stopping ||
	    w->l7->ls[c->listener].removed) {
		c->req.phase = PH_CLOSING;
		if (c->out.head == c->out.tail && !c->out.inflight)
			conn_close(w, c);
		else
			conn_timer(w, c, TMR_CLIENT_IDLE, lcfg(w, c)->client_idle_ms);
		return;
	}
	c->req.phase = PH_IDLE;
	c->req.req_done = c->req.resp_done = false;
	http_msg_resume(c->msg);
	if (c->in.head == c->in.tail) {
		conn_msg_put(w, c);   /* idle connections hold no parser, */
		conn_trim(c);         /* nor queue arrays */
	}
	conn_timer(w, c, TMR_CLIENT_IDLE, lcfg(w, c)->client_idle_ms);
	pump_client(w, c);
}

/* ---- events from the loop ---- */

/*
 * accept_tls() - a client of a TLS listener: its handshake runs under
 * handshake_timeout, its requests then under request_timeout. true when @c
 * was closed instead (max_handshakes under way in this worker, no memory).
 */
/* listener_tls() - what @c's listener serves TLS with in this worker's generation, NULL: cleartext. */
static struct tls_server *listener_tls(const struct worker *w, const struct conn *c)
{
	const struct l7_gen *g = w->cur->g;

	return c->listener < g->n_routes ? g->tls[c->listener] : NULL;
}

static bool accept_tls(struct worker *w, struct conn *c, const struct l7_listener *ll)
{
	struct tls_server *ts = listener_tls(w, c);

	if (!ts) {
		conn_timer(w, c, TMR_CLIENT_HEAD, ll->cfg->request_timeout_ms);
		return false;
	}
	if (tls_accept(&w->lp, &c->lc, ts, ll->cfg->request_timeout_ms)) {
		conn_close(w, c);
		return true;
	}
	conn_timer(w, c, TMR_CLIENT_HEAD, ll->cfg->tls.handshake_timeout_ms);
	return false;
}

void proxy_accepted(struct worker *w, struct conn *c)
{
	struct l7_listener *ll = &w->l7->ls[c->listener];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(c->fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->ip, sizeof(c->ip));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, c->ip, sizeof(c->ip));
	}
	if (!c->ip[0])
		strcpy(c->ip, "unix");
	c->listener_counted = true;
	stat_add(w->st_accepted, 1);
	if (atomic_fetch_add(&ll->n_conns, 1) >= ll->cfg->max_connections) {
		if (listener_tls(w, c))
			conn_close(w, c);   /* a 503 in cleartext means nothing to a TLS client, and a handshake costs */
		else
			client_error(w, c, 503);
		return;
	}
	if (accept_tls(w, c, ll))
		return;
	conn_recv(w, c);
}

void proxy_on_recv(struct worker *w, struct conn *x)
{
	if (x->kind == CONN_CLIENT)
		pump_client(w, x);
	else
		pump_upstream(w, x);
}

void proxy_on_sent(struct worker *w, struct conn *x)
{
	struct conn *src = x->peer;

	if (src && (x->kind == CONN_CLIENT ? x : src)->req.tunnel && up_hook(x->kind == CONN_CLIENT ? x : src)->tunnel_sent(w, x))
		return;   /* the tunnel's hook passed a half-close on or ended the tunnel */

	/* once the whole request is ours, each send it takes restarts its response clock (up_wait) */
	if (x->kind == CONN_UPSTREAM && src && !x->resp_started)
		up_wait(w, x, src);

	if (x->kind == CONN_CLIENT && x->req.phase == PH_CLOSING && x->out.head == x->out.tail &&
	    !x->out.inflight) {
		conn_close(w, x);
		return;
	}
	/* a client that takes some of its response has client_idle more for the rest */
	if (x->kind == CONN_CLIENT && x->req.phase == PH_PROXY && x->req.resp_head_sent &&
	    (x->t_kind == TMR_NONE || x->t_kind == TMR_CLIENT_SEND)) {
		x->sndq_seen = UINT32_MAX;
		conn_timer(w, x, x->out.head != x->out.tail || x->out.inflight ? TMR_CLIENT_SEND : TMR_NONE,
			   lcfg(w, x)->client_idle_ms);
	}
	if (src && x->out.bytes < OUT_LOW) {
		/* room again: parse what waited, and read again */
		if (src->in.head < src->in.tail)
			proxy_on_recv(w, src);
		else
			update_pause(w, src);
	}
}

void proxy_on_connect(struct worker *w, struct conn *u, int res)
{
	struct conn *c = u->peer;

	if (res < 0) {
		upstream_fail(w, u, res, false);
		return;
	}
	if (!c) {
		conn_close(w, u);
		return;
	}
	conn_timer(w, u, TMR_NONE, 0);   /* connected */
	if (c->req.tunnel) {
		up_hook(c)->tunnel_open(w, c);   /* CONNECT: 200 to the client, then bytes both ways */
		return;
	}
	up_wait(w, u, c);   /* the response clock runs once the whole request is ours */
	conn_recv(w, u);
	conn_send(w, u);
}

void proxy_on_eof(struct worker *w, struct conn *x, int err)
{
	struct conn *c, *u;

	if (!err && x->in.head < x->in.tail && !x->dead)
		return;   /* parse what came before the FIN first: the pumps call back here */
	if ((x->kind == CONN_CLIENT ? x : x->peer) && (x->kind == CONN_CLIENT ? x : x->peer)->req.tunnel &&
	    (x->kind == CONN_CLIENT ? x : x->peer)->req.phase == PH_TUNNEL) {
		up_hook(x->kind == CONN_CLIENT ? x : x->peer)->tunnel_eof(w, x, err);   /* a CONNECT tunnel passes half-closes on */
		return;
	}
	if (x->kind == CONN_CLIENT) {
		c = x;
		if (c->req.phase == PH_TUNNEL) {
			/* one side of a tunnel ended: close both (a tunnel is logged when it ends) */
			log_request(w, c);
			c->req.start_ms = 0;
			detach_upstream(w, c, false);
			conn_close(w, c);
			return;
		}
		if (!err && (c->req.phase == PH_IDLE || c->req.phase == PH_CLOSING) &&
		    (c->out.head != c->out.tail || c->out.inflight)) {
			/*
			 * A half-close with an answer still queued (a cache hit, an
			 * HTTP/2 stream's END_STREAM): it goes out, then the close
			 * (proxy_on_sent), within client_idle.
			 */
			if (c->req.phase == PH_IDLE)
				conn_timer(w, c, TMR_CLIENT_IDLE, lcfg(w, c)->client_idle_ms);
			c->req.phase = PH_CLOSING;
			return;
		}
		if (c->req.phase == PH_IDLE || c->req.phase == PH_CLOSING || err) {
			if (c->req.phase != PH_IDLE && c->req.phase != PH_CLOSING) {
				c->req.status = c->req.status ? c->req.status : 499;
				log_request(w, c);
				c->req.start_ms = 0;
			}
			detach_upstream(w, c, false);
			conn_close(w, c);
			return;
		}
		/* half-close after a complete request is allowed: answer, then close */
		if (c->req.req_done) {
			c->req.close_after = true;
			return;
		}
		c->req.status = 499;
		log_request(w, c);
		c->req.start_ms = 0;
		detach_upstream(w, c, false);
		conn_close(w, c);
		return;
	}
	u = x;
	c = u->peer;
	if (!c) {
		upstream_unpool(u);
		conn_close(w, u);
		return;
	}
	if (c->req.phase == PH_TUNNEL) {
		log_request(w, c);
		c->req.start_ms = 0;
		c->req.phase = PH_CLOSING;
		detach_upstream(w, c, false);
		if (c->out.head == c->out.tail && !c->out.inflight)
			conn_close(w, c);
		return;
	}
	if (!u->resp_started && !err)
		err = -ECONNRESET;
	if (!u->resp_started) {
		upstream_fail(w, u, err, false);
		return;
	}
	if (!err && !c->req.resp_done && http_msg_eof(u->msg) == 0 && c->req.resp_done) {
		/* a close-delimited body ended */
		conn_send(w, c);
		finish_request(w, c);
		return;
	}
	if (c->req.resp_done)
		return;
	log_warn("upstream %s/%s: connection lost mid-response", u->srv->up->cfg->name, u->srv->cfg->addr.text);
	upstream_result(w, u->srv, false);
	client_error(w, c, 502);
}

void proxy_on_timer(struct worker *w, struct conn *x, uint8_t kind)
{
	switch (kind) {
	case TMR_CLIENT_HEAD:
		if (x->req.phase == PH_HEAD || (x->req.phase == PH_PROXY && !x->req.req_done))
			client_error(w, x, 408);
		else if (x->req.phase == PH_IDLE)
			conn_close(w, x);
		break;
	case TMR_CLIENT_IDLE:
		if (x->req.phase == PH_IDLE || x->req.phase == PH_CLOSING)
			conn_close(w, x);
		else if (x->req.phase == PH_TUNNEL)
			proxy_tunnel_close(w, x);   /* a tunnel idle for client_idle */
		break;
	case TMR_CLIENT_SEND: {
		int q = 0;

		if (x->req.phase != PH_PROXY || (x->out.head == x->out.tail && !x->out.inflight))
			break;
		/*
		 * Our sends complete only when the socket has room, which a slow
		 * reader behind a full send buffer gives back seldom: ask the
		 * socket whether the client took anything since the last look
		 * (once per client_idle, not per send).
		 */
		if (x->fd < 0)
			q = x->out.bytes > INT32_MAX ? INT32_MAX : (int)x->out.bytes;   /* an HTTP/2 stream: what is not framed yet */
		else if (ioctl(x->fd, SIOCOUTQ, &q))
			q = INT32_MAX;
		if ((uint32_t)q < x->sndq_seen) {
			x->sndq_seen = (uint32_t)q;
			conn_timer(w, x, TMR_CLIENT_SEND, lcfg(w, x)->client_idle_ms);
			break;
		}
		/* it stopped reading: without this, it would hold an upstream connection forever */
		log_info("client %s: took none of its response for %u ms: closing", x->ip,
			 lcfg(w, x)->client_idle_ms);
		proxy_on_eof(w, x, -ETIMEDOUT);
		break;
	}
	case TMR_UP_CONNECT:
		upstream_fail(w, x, -ETIMEDOUT, true);
		break;
	case TMR_CACHE_WAIT: {
		const struct proxy_hooks *h;

		for (unsigned int i = 0; each_hook(x, &i, &h); i++)
			if (h->on_timer && h->on_timer(w, x, kind))
				break;
		break;
	}
	case TMR_UP_RESPONSE:
		if (!x->peer)
			break;
		log_warn("upstream %s/%s: response timeout", x->srv->up->cfg->name, x->srv->cfg->addr.text);
		upstream_outcome(w, x->srv, UP_TIMEOUT);
		client_error(w, x->peer, 504);
		break;
	default:
		break;
	}
}

void proxy_conn_released(struct worker *w, struct conn *c)
{
	if (c->kind == CONN_CLIENT) {
		if (c->listener_counted)
			atomic_fetch_sub(&w->l7->ls[c->listener].n_conns, 1);
		if (c->req.wg)
			wgen_put(w, c->req.wg);
		c->req.wg = NULL;
		free(c->req.up_head);
		c->req.up_head = NULL;
		free(c->req.cap);
		c->req.cap = NULL;
		hooks_release(w, c);
		req_buffer_free(c);
	} else {
		upstream_unpool(c);
		/* a hook's upstream (a forward origin): a flag, not srv->up, which may belong to a freed generation */
		if (c->up_hook && proxy_hooks[c->up_hook - 1]->upstream_released)
			proxy_hooks[c->up_hook - 1]->upstream_released(w, c);
	}
}

/* ---- for the hooks ---- */

int proxy_connect(struct worker *w, struct conn *c)
{
	const struct proxy_hooks *h = up_hook(c);

	if (h && h->connect)
		return h->connect(w, c);   /* the forward proxy: the origin its rules checked */
	return connect_upstream(w, c, -1);
}

void proxy_fail(struct worker *w, struct conn *c, int status)
{
	client_error(w, c, status);
}

void proxy_finish(struct worker *w, struct conn *c)
{
	finish_request(w, c);
}

void proxy_drop_upstream(struct worker *w, struct conn *c)
{
	detach_upstream(w, c, false);
}

/* proxy_tunnel_close() - a tunnel ended: log it, close both sides. */
void proxy_tunnel_close(struct worker *w, struct conn *c)
{
	log_request(w, c);
	c->req.start_ms = 0;
	detach_upstream(w, c, false);
	conn_close(w, c);
}
