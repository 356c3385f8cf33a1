// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Per-worker upstream state: balancers, keep-alive connection pools, passive ejection. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l7/balance.h"
#include "tls/tls.h"
#include "l7/upstream.h"
#include "lib/log.h"

struct wgen *wgen_new(struct worker *w, struct l7_gen *g)
{
	const struct cfg_l7 *c7 = &g->cfg->l7;
	struct wgen *wg = calloc(1, sizeof(*wg));

	(void)w;
	if (!wg)
		return NULL;
	wg->g = g;
	wg->refs = 1;
	wg->n_up = c7->n_upstreams;
	wg->up = calloc(wg->n_up ? wg->n_up : 1, sizeof(*wg->up));
	if (!wg->up)
		goto err_free;
	for (size_t i = 0; i < wg->n_up; i++) {
		struct wupstream *up = &wg->up[i];

		up->cfg = &c7->upstreams[i];
		up->idx = i;
		up->tls = g->up_tls ? g->up_tls[i] : NULL;
		up->n_srv = up->cfg->n_servers;
		up->bal = balancer_new(up->cfg);
		up->srv = calloc(up->n_srv ? up->n_srv : 1, sizeof(*up->srv));
		if (!up->bal || !up->srv)
			goto err_free;
		for (size_t s = 0; s < up->n_srv; s++) {
			up->srv[s].cfg = &up->cfg->servers[s];
			up->srv[s].up = up;
			up->srv[s].idx = s;
			up->srv[s].weight = up->cfg->servers[s].weight;
			up->srv[s].health_up = true;
		}
	}
	wgen_sync(w, wg);
	return wg;

err_free:
	for (size_t i = 0; wg->up && i < wg->n_up; i++) {
		if (wg->up[i].bal)
			balancer_free(wg->up[i].bal);
		free(wg->up[i].srv);
	}
	free(wg->up);
	free(wg);
	return NULL;
}

void wgen_put(struct worker *w, struct wgen *wg)
{
	if (--wg->refs > 0)
		return;
	for (size_t i = 0; i < wg->n_up; i++) {
		struct wupstream *up = &wg->up[i];

		for (size_t s = 0; s < up->n_srv; s++) {
			while (up->srv[s].idle) {
				struct conn *u = up->srv[s].idle;

				upstream_unpool(u);
				u->srv = NULL;
				conn_close(w, u);
			}
		}
		balancer_free(up->bal);
		free(up->srv);
	}
	free(wg->up);
	l7_gen_put(wg->g);
	free(wg);
}

/* wgen_sync() - fold the shared weights, health verdicts and ejection expiries into this worker's balancers. */
void wgen_sync(struct worker *w, struct wgen *wg)
{
	if (!wg)
		return;
	for (size_t i = 0; i < wg->n_up; i++) {
		struct wupstream *up = &wg->up[i];

		for (size_t s = 0; s < up->n_srv; s++) {
			struct wserver *sv = &up->srv[s];
			struct gen_server *gs = &wg->g->srv[i][s];
			uint32_t weight = atomic_load_explicit(&gs->weight, memory_order_relaxed);
			bool hup = atomic_load_explicit(&gs->health_up, memory_order_relaxed);
			bool was = sv->health_up && !sv->ejected_until;

			if (weight != sv->weight) {
				sv->weight = weight;
				balancer_set_weight(up->bal, s, weight);
			}
			if (sv->ejected_until && w->now_ms >= sv->ejected_until) {
				sv->ejected_until = 0;
				sv->fails = 0;
			}
			sv->health_up = hup;
			if (was != (hup && !sv->ejected_until))
				balancer_set_up(up->bal, s, !was, w->now_ms);
		}
	}
}

/*
 * upstream_pick() - a server of upstream @up for a new request (not @exclude,
 * unless it is the only one). When every server is out (ejected or failing its
 * health checks) one is tried anyway, as nginx does with a group's only server
 * and Envoy in panic mode: an answer from a server that may be fine beats a 503
 * from nowhere. Returns its index, or -1 when every server is drained.
 */
int upstream_pick(struct worker *w, struct wgen *wg, size_t up, const char *key, size_t key_len, int exclude)
{
	struct wupstream *u = &wg->up[up];
	int s = balancer_pick(u->bal, w->now_ms, key, key_len, exclude);

	/* the only other server is the excluded one: a retry may still go back to it */
	if (s < 0 && exclude >= 0)
		s = balancer_pick(u->bal, w->now_ms, key, key_len, -1);
	if (s >= 0) {
		if (u->panic) {
			u->panic = false;
			log_info("upstream %s: a server is available again", u->cfg->name);
		}
		return s;
	}
	s = balancer_pick_any(u->bal, w->now_ms, key, key_len, exclude);
	if (s < 0 && exclude >= 0)
		s = balancer_pick_any(u->bal, w->now_ms, key, key_len, -1);
	if (s < 0)
		return -1;
	stat_add(w->st_up_panic, 1);
	if (!u->panic) {
		u->panic = true;
		log_warn("upstream %s: no server available (ejected or failing health checks): trying them anyway",
			 u->cfg->name);
	}
	return s;
}

/* upstream_last() - is @s the only server of its upstream that new requests could go to? */
static bool upstream_last(const struct wserver *s)
{
	const struct wupstream *up = s->up;

	for (size_t i = 0; i < up->n_srv; i++) {
		const struct wserver *o = &up->srv[i];

		if (o != s && o->health_up && !o->ejected_until && o->weight)
			return false;
	}
	return true;
}

/*
 * upstream_outcome() - passive health: max_fails consecutive failures of a kind
 * the upstream's fail_on counts eject a server for fail_timeout_ms; any other
 * outcome is a success and starts the count over. The last server available is
 * never ejected: with nothing else to send to, ejecting it only turns every
 * request into a 503.
 */
void upstream_outcome(struct worker *w, struct wserver *s, enum up_outcome o)
{
	static const uint32_t kind[] = {
		[UP_OK] = 0, [UP_ERROR] = CFG_FAIL_CONNECT, [UP_TIMEOUT] = CFG_FAIL_TIMEOUT, [UP_5XX] = CFG_FAIL_5XX,
	};
	const struct cfg_upstream *uc;

	if (!s)
		return;
	uc = s->up->cfg;
	if (!(uc->fail_on & kind[o])) {
		s->fails = 0;
		return;
	}
	if (++s->fails < uc->max_fails || !uc->max_fails || s->ejected_until)
		return;
	if (upstream_last(s)) {
		if (s->fails == uc->max_fails) {   /* once per run of failures */
			stat_add(w->st_up_eject_skipped, 1);
			log_warn("upstream %s/%s: %u consecutive failures: not ejected: the last server available",
				 uc->name, s->cfg->addr.text, s->fails);
		}
		return;
	}
	s->ejected_until = w->now_ms + (uc->fail_timeout_ms ? uc->fail_timeout_ms : 1);
	if (s->health_up)
		balancer_set_up(s->up->bal, s->idx, false, w->now_ms);
	stat_add(w->st_up_ejections, 1);
	log_warn("upstream %s/%s: %u consecutive failures: ejected for %u ms", uc->name, s->cfg->addr.text,
		 s->fails, uc->fail_timeout_ms);
}

void upstream_result(struct worker *w, struct wserver *s, bool ok)
{
	upstream_outcome(w, s, ok ? UP_OK : UP_ERROR);
}

/*
 * Pool sizing. A pool capped below the number of requests a server has in
 * flight at once closes connections that the next burst opens again (50
 * keep-alive clients against 32 pooled connections reconnect all the time).
 * So the pool keeps as many idle connections as the most requests in flight
 * at once lately: the peak of the current period of POOL_PERIOD_MS and of the
 * last one, so demand is remembered for 30 to 60 s and then forgotten. Since
 * a connection is opened only when the pool is empty, a worker never holds
 * more connections to a server than that peak, and in a steady state it never
 * reconnects. keepalive bounds it (CFG_KEEPALIVE_AUTO by default).
 */
#define POOL_PERIOD_MS 30000

static void pool_rotate(struct wserver *s, uint64_t now_ms)
{
	uint64_t age = now_ms - s->peak_since;

	if (age < POOL_PERIOD_MS)
		return;
	s->peak_prev = age < 2 * POOL_PERIOD_MS ? s->peak_cur : 0;   /* a silent period forgets both */
	s->peak_cur = 0;
	s->peak_since = now_ms;
}

/* pool_demand() - a request is about to start on @s: it and those in flight count toward the peak. */
static void pool_demand(struct wserver *s, uint64_t now_ms)
{
	uint32_t n;

	if (!s->up->bal)
		return;
	n = balancer_inflight(s->up->bal, s->idx) + 1;   /* balancer_begin() for this one follows */
	pool_rotate(s, now_ms);
	if (n > s->peak_cur)
		s->peak_cur = n;
}

/*
 * upstream_pool_cap() - how many idle connections @s may keep now: the recent
 * peak of requests in flight, at most keepalive. A forward proxy origin (no
 * balancer counts its requests) keeps up to its keepalive.
 */
uint32_t upstream_pool_cap(struct wserver *s, uint64_t now_ms)
{
	uint32_t cap = s->up->cfg->keepalive, peak;

	if (!s->up->bal)
		return cap;
	pool_rotate(s, now_ms);
	peak = s->peak_cur > s->peak_prev ? s->peak_cur : s->peak_prev;
	return peak < cap ? peak : cap;
}

void upstream_unpool(struct conn *u)
{
	if (!u->pooled)
		return;
	*u->pool_pprev = u->pool_next;
	if (u->pool_next)
		u->pool_next->pool_pprev = u->pool_pprev;
	u->pooled = false;
	u->srv->n_idle--;
}

/* upstream_get() - an idle pooled connection to @s, or a new one being connected. NULL + errno. */
struct conn *upstream_get(struct worker *w, struct wserver *s)
{
	const struct cfg_sockaddr *a = &s->cfg->addr;
	struct io_uring_sqe *sqe;
	struct conn *u;
	int fd, one = 1;

	pool_demand(s, w->now_ms);
	while ((u = s->idle)) {
		upstream_unpool(u);
		if (!u->dead && !u->eof) {
			stat_add(w->st_up_reuses, 1);
			return u;
		}
		conn_close(w, u);
	}
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	if (a->ss.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	u = conn_new(w, CONN_UPSTREAM, fd);
	if (!u) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	u->srv = s;
	u->connecting = true;
	if (s->up->tls && tls_connect(&w->lp, &u->lc, s->up->tls, (uint32_t)s->idx)) {
		conn_close(w, u);
		errno = ENOMEM;
		return NULL;
	}
	stat_add(w->st_up_connects, 1);
	sqe = worker_sqe(w);
	io_uring_prep_connect(sqe, fd, (const struct sockaddr *)&a->ss, a->len);
	io_uring_sqe_set_data64(sqe, ud_pack(UD_CONNECT, u->idx, u->gen));
	u->inflight++;
	conn_timer(w, u, TMR_UP_CONNECT, s->up->cfg->connect_timeout_ms);
	return u;
}

/* upstream_put() - keep @u for the next request to its server. false: not kept (the caller closes it). */
bool upstream_put(struct worker *w, struct conn *u)
{
	struct wserver *s = u->srv;

	if (!s || w->stopping || u->dead || u->eof)
		return false;
	if (s->n_idle >= upstream_pool_cap(s, w->now_ms)) {
		stat_add(w->st_up_pool_full, 1);
		return false;
	}
	conn_msg_put(w, u);   /* a pooled connection holds no parser: the next request gets one */
	conn_timer(w, u, TMR_NONE, 0);
	u->resp_started = false;
	u->pool_next = s->idle;
	if (s->idle)
		s->idle->pool_pprev = &u->pool_next;
	u->pool_pprev = &s->idle;
	s->idle = u;
	u->pooled = true;
	s->n_idle++;
	/* a pool member listens for the server closing it; backpressure may have stopped its recv */
	u->paused = false;
	conn_recv(w, u);
	return true;
}
