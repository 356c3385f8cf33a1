// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The forward proxy session: who may use it, where it may go, origin keep-alive pools, and CONNECT tunnels. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "forward/forward.h"
#include "forward/forward_acl.h"
#include "forward/forward_auth.h"
#include "forward/forward_crypt.h"
#include "forward/resolver.h"
#include "l7/accesslog.h"
#include "l7/hooks.h"
#include "l7/proxy.h"
#include "l7/upstream.h"
#include "lib/log.h"

#define FWD_BUCKETS      256
#define FWD_ORIGINS_MAX  1024     /* origins a worker remembers; beyond, unused ones are dropped */
#define FWD_KEEPALIVE    64       /* idle connections kept per origin per worker */

/* One origin (scheme, host, port, the address it resolved to): a pool of keep-alive connections. */
struct fwd_origin {
	struct wserver srv;          /* upstream.c pools and connects through it */
	struct cfg_server scfg;      /* the address checked against the rules: exactly what is connected to */
	struct fwd_origin *next;     /* hash chain */
	uint32_t users;              /* connections whose srv is this one (pooled ones included) */
	char key[FWD_HOST_MAX + 80];
};

struct fwd_worker {
	struct resolver *res;        /* NULL: c-ares failed to start; names are answered 502 */
	struct cfg_upstream ucfg[2]; /* timeouts and pools for forward requests: [0] anonymous, [1] with Via */
	struct wupstream up;
	struct fwd_origin *b[FWD_BUCKETS];
	uint32_t n_origins;
	struct fwd_auth_guard guard; /* failed proxy logins by client address */
	struct fwd_crypt_inbox *inbox;  /* crypt threads' answers; NULL: crypt(3) runs on the worker */
};

struct fwd_policy {
	struct fwd_auth *auth;       /* NULL: no proxy authentication */
	struct sockaddr_storage *own;   /* this host's interface addresses */
	size_t n_own;
	struct sockaddr_storage *lis;   /* forward listeners' addresses: a request to one is a loop */
	size_t n_lis;
};

static unsigned int fwd_slot;   /* ours in req.hook_data and l7_gen.hook_gen (forward_hooks_register()) */

/* fwd_req() - forward request @c's own state, NULL for any other. */
static inline struct fwd_req *fwd_req(const struct conn *c)
{
	return c->req.hook_data[fwd_slot];
}

/* gen_policy() - generation @g's forward policy. */
static inline const struct fwd_policy *gen_policy(const struct l7_gen *g)
{
	return g->hook_gen[fwd_slot];
}

/* ---- the per-generation policy ---- */

void fwd_policy_free(struct fwd_policy *p)
{
	if (!p)
		return;
	fwd_auth_free(p->auth);
	free(p->own);
	free(p->lis);
	free(p);
}

static int own_addresses(struct fwd_policy *p)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next)
		n += i->ifa_addr && (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6);
	p->own = calloc(n ? n : 1, sizeof(*p->own));
	if (!p->own) {
		freeifaddrs(ifa);
		return -ENOMEM;
	}
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		memcpy(&p->own[p->n_own++], i->ifa_addr, i->ifa_addr->sa_family == AF_INET ?
		       sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	}
	freeifaddrs(ifa);
	return 0;
}

struct fwd_policy *fwd_policy_new(const struct cfg *cfg)
{
	const struct cfg_l7 *c7 = &cfg->l7;
	struct fwd_policy *p = calloc(1, sizeof(*p));
	size_t n = 0;

	if (!p)
		return NULL;
	for (size_t i = 0; i < c7->n_listeners; i++)
		n += c7->listeners[i].mode == CFG_MODE_FORWARD;
	if (!n)
		return p;   /* nothing uses it */
	p->lis = calloc(n, sizeof(*p->lis));
	if (!p->lis || own_addresses(p))
		goto err_free;
	for (size_t i = 0; i < c7->n_listeners; i++)
		if (c7->listeners[i].mode == CFG_MODE_FORWARD)
			p->lis[p->n_lis++] = c7->listeners[i].listen.ss;
	if (c7->forward.auth_file) {
		char *msg = NULL;
		size_t len = 0;
		FILE *errs = open_memstream(&msg, &len);
		int err;

		p->auth = fwd_auth_load(c7->forward.auth_file, errs);
		err = errno;
		if (errs)
			fclose(errs);
		if (!p->auth) {
			if (msg && len && msg[len - 1] == '\n')
				msg[len - 1] = 0;
			log_err("forward: auth_file %s", msg && len ? msg : strerror(err));
			free(msg);
			errno = err;
			fwd_policy_free(p);
			return NULL;
		}
		free(msg);
		log_info("forward: %zu user(s) from %s", fwd_auth_users(p->auth), c7->forward.auth_file);
	}
	return p;

err_free:
	fwd_policy_free(p);
	errno = ENOMEM;
	return NULL;
}

static bool own_address(const struct fwd_policy *p, const struct sockaddr *sa)
{
	for (size_t i = 0; i < p->n_own; i++)
		if (fwd_same_ip(sa, (const struct sockaddr *)&p->own[i]))
			return true;
	return false;
}

static uint16_t sa_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port :
		     ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/*
 * dest_refused() - may the proxy connect to @sa? The address is judged, never
 * the name: a name that resolves to 127.0.0.1 is loopback. NULL when allowed,
 * else the reason, with @rule set for the log.
 */
static const char *dest_refused(const struct fwd_policy *p, const struct cfg_forward *f,
				const struct sockaddr_storage *sa, char *rule, size_t cap)
{
	enum fwd_dest d = fwd_classify((const struct sockaddr *)sa);
	uint16_t port = sa_port(sa);

	for (size_t i = 0; i < p->n_lis; i++) {
		const struct sockaddr *l = (const struct sockaddr *)&p->lis[i];
		bool any = fwd_classify(l) == FWD_DEST_UNSPECIFIED;

		if (sa_port(&p->lis[i]) != port)
			continue;
		if (fwd_same_ip((const struct sockaddr *)sa, l) || d == FWD_DEST_UNSPECIFIED ||
		    (any && (d == FWD_DEST_LOOPBACK || own_address(p, (const struct sockaddr *)sa)))) {
			snprintf(rule, cap, "loop");
			return "the destination is this proxy";
		}
	}
	if (f->allow_private_destinations)
		return NULL;
	if (d == FWD_DEST_PUBLIC && own_address(p, (const struct sockaddr *)sa))
		d = FWD_DEST_OWN;
	if (d == FWD_DEST_PUBLIC)
		return NULL;
	snprintf(rule, cap, "destination:%s", fwd_dest_name(d));
	return fwd_dest_name(d);
}

/* ---- per-worker state ---- */

static void on_resolved(struct worker *w, uint64_t cookie, int err, const struct sockaddr_storage *a, size_t n);

static struct fwd_worker *fwd_worker_get(struct worker *w)
{
	struct fwd_worker *fw = w->fwd;

	if (fw)
		return fw;
	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return NULL;
	for (int i = 0; i < 2; i++) {
		fw->ucfg[i].name = (char *)"forward";
		fw->ucfg[i].connect_timeout_ms = 5000;
		fw->ucfg[i].response_timeout_ms = 60000;
		fw->ucfg[i].keepalive = FWD_KEEPALIVE;
		fw->ucfg[i].via = i;
	}
	fw->up.cfg = &fw->ucfg[0];
	fw->res = resolver_new(w, on_resolved);
	if (!fw->res)
		log_err("l7 worker %u: forward proxy resolver: %s: names will not resolve", w->id, strerror(errno));
	fw->inbox = fwd_crypt_inbox_new(w->wake_fd);
	if (!fw->inbox)
		log_warn("l7 worker %u: %s: hashed proxy passwords are checked on the worker", w->id, strerror(errno));
	w->fwd = fw;
	return fw;
}

void forward_worker_free(struct worker *w)
{
	struct fwd_worker *fw = w->fwd;

	if (!fw)
		return;
	resolver_free(fw->res);
	fwd_crypt_inbox_close(fw->inbox);   /* before the wake eventfd closes: no answer writes to it after */
	for (size_t i = 0; i < FWD_BUCKETS; i++) {
		while (fw->b[i]) {
			struct fwd_origin *o = fw->b[i];

			fw->b[i] = o->next;
			free(o);
		}
	}
	free(fw);
	w->fwd = NULL;
}

void forward_on_poll(struct worker *w, uint32_t slot, uint32_t gen, int res)
{
	if (w->fwd)
		resolver_on_poll(w->fwd->res, slot, gen, res);
}

static void crypt_answers(struct worker *w);

void forward_tick(struct worker *w)
{
	if (!w->fwd)
		return;
	resolver_tick(w->fwd->res);
	crypt_answers(w);   /* without a wake eventfd, or while stopping (the wake read is not re-armed) */
}

void forward_on_wake(struct worker *w)
{
	if (w->fwd)
		crypt_answers(w);
}

static uint32_t key_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* origin_evict() - drop one origin nothing uses (no connection, pooled or busy), to stay bounded. */
static void origin_evict(struct fwd_worker *fw)
{
	for (size_t i = 0; i < FWD_BUCKETS; i++) {
		for (struct fwd_origin **pp = &fw->b[i]; *pp; pp = &(*pp)->next) {
			struct fwd_origin *o = *pp;

			if (o->users)
				continue;
			*pp = o->next;
			free(o);
			fw->n_origins--;
			return;
		}
	}
}

/* origin_get() - the origin for (@tunnel, host:port, @sa): tunnels never share a pool with plain requests. */
static struct fwd_origin *origin_get(struct fwd_worker *fw, bool tunnel, const struct fwd_target *t,
				     const struct sockaddr_storage *sa)
{
	char addr[INET6_ADDRSTRLEN], key[sizeof(((struct fwd_origin *)0)->key)];
	struct fwd_origin *o;
	uint32_t h;

	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof(addr));
	snprintf(key, sizeof(key), "%c%s:%u|%s", tunnel ? 'C' : 'H', t->host, t->port, addr);
	h = key_hash(key) % FWD_BUCKETS;
	for (o = fw->b[h]; o; o = o->next)
		if (!strcmp(o->key, key))
			return o;
	if (fw->n_origins >= FWD_ORIGINS_MAX)
		origin_evict(fw);
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	memcpy(o->key, key, sizeof(key));
	o->scfg.addr.ss = *sa;
	o->scfg.addr.len = sa->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	snprintf(o->scfg.addr.text, sizeof(o->scfg.addr.text), sa->ss_family == AF_INET ? "%s:%u" : "[%s]:%u",
		 addr, sa_port(sa));
	o->scfg.weight = 1;
	o->srv.cfg = &o->scfg;
	o->srv.up = &fw->up;
	o->srv.weight = 1;
	o->srv.health_up = true;
	o->next = fw->b[h];
	fw->b[h] = o;
	fw->n_origins++;
	return o;
}

/* origin_count() - @u serves @o: a new connection is counted (a pooled one was, when it was made). */
static void origin_count(struct fwd_origin *o, struct conn *u)
{
	if (u->up_hook != fwd_slot + 1) {
		o->users++;
		u->up_hook = (uint8_t)(fwd_slot + 1);   /* conn_released() counts it out */
	}
}

/* target_host() - a forward request is cached under its absolute-form target's authority (what the rules saw), not Host. */
static void target_host(const struct conn *c, const char **host, size_t *len)
{
	const char *t = http_target(c->msg), *end = t + c->msg->target_len, *h;

	if (c->msg->target_len < 7 || strncasecmp(t, "http://", 7))
		return;
	for (h = t + 7; h < end && *h != '/' && *h != '?' && *h != '#'; h++)
		;
	*host = t + 7;
	*len = (size_t)(h - *host);
}

/* upstream_cfg() - timeouts, pool size and Via of a forward request's origin connections. */
static const struct cfg_upstream *upstream_cfg(const struct conn *c)
{
	return &c->w->fwd->ucfg[!c->req.wg->g->cfg->l7.forward.anonymize];
}

/* conn_released() - an origin connection is gone: its origin may be evicted once unused. */
static void conn_released(struct worker *w, struct conn *u)
{
	/* a flag, not u->srv->up: a reverse upstream's srv may belong to a generation already freed */
	if (!w->fwd || u->up_hook != fwd_slot + 1 || !u->srv)
		return;
	((struct fwd_origin *)u->srv)->users--;   /* srv is the origin's first member */
}

/* ---- requests that wait: the resolver, a crypt thread ---- */

/* wait_cookie() - names @c's current connection to an answer that comes later (conn slots are reused). */
static uint64_t wait_cookie(const struct conn *c)
{
	return (uint64_t)c->gen << 32 | c->idx;
}

/* waiting_conn() - the connection @cookie named, if it is still that one and open; else NULL (the client left). */
static struct conn *waiting_conn(struct worker *w, uint64_t cookie)
{
	uint32_t idx = (uint32_t)cookie, gen = (uint32_t)(cookie >> 32);
	struct conn *c;

	if (idx >= w->n_conns)
		return NULL;
	c = w->conns[idx];
	return c->used && !c->dead && c->gen == gen ? c : NULL;
}

/* ---- answers ---- */

/* refuse_with() - answer @status with a one-line reason and the header lines @hdrs, log @rule with it, close. Always -1. */
static int refuse_with(struct worker *w, struct conn *c, int status, const char *rule, const char *why,
		       const char *hdrs)
{
	const char *reason = http_reason(status);
	char body[320], *text;
	int bl, len;

	if (!reason)
		reason = http_reason(500);   /* every status refuse() is given has its own phrase */
	if (fwd_req(c) && rule != fwd_req(c)->rule)
		snprintf(fwd_req(c)->rule, sizeof(fwd_req(c)->rule), "%s", rule);
	bl = snprintf(body, sizeof(body), "%d %s: %s\n", status, reason, why);
	if (bl < 0 || bl >= (int)sizeof(body))
		bl = (int)sizeof(body) - 1;
	text = malloc(sizeof(body) + 256);
	if (!text) {
		size_t l;
		const char *t = http_error_response(500, &l);

		proxy_reply(w, c, 500, t, l, false);
		return -1;
	}
	len = snprintf(text, sizeof(body) + 256,
		       "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%.*s",
		       status, reason, hdrs, bl, bl, body);
	log_debug("forward %s: %d %s (%s)", c->ip, status, why, rule);
	proxy_reply(w, c, status, text, (size_t)len, true);
	return -1;
}

/* refuse() - refuse_with() no extra header, but a 407's challenge. */
static int refuse(struct worker *w, struct conn *c, int status, const char *rule, const char *why)
{
	return refuse_with(w, c, status, rule, why, status == 407 ? "Proxy-Authenticate: Basic realm=\"sluice\"\r\n" : "");
}

/* auth_refused() - a wrong login: count it against the address (struct fwd_auth_guard), then 407. Always -1. */
static int auth_refused(struct worker *w, struct fwd_worker *fw, struct conn *c)
{
	if (fwd_auth_guard_fail(&fw->guard, fwd_auth_guard_key(c->ip), w->now_ms))
		log_warn("forward: %d failed proxy logins from %s within %d s: its credentials are answered 429, "
			 "unchecked, until %d s after the first", FWD_AUTH_FAILS_MAX, c->ip, FWD_AUTH_WINDOW_MS / 1000,
			 FWD_AUTH_WINDOW_MS / 1000);
	return refuse(w, c, 407, "auth", "proxy authentication required");
}

/*
 * forward_auth() - the request's Proxy-Authorization against the users file,
 * unless its address failed too often lately (struct fwd_auth_guard). 0, 1
 * while a crypt thread checks a hashed password (on_crypt() carries on), or
 * -1 once refused (407, 429 with Retry-After, 503 when the crypt threads
 * have too much queued).
 */
static int forward_auth(struct worker *w, struct fwd_worker *fw, struct conn *c, const struct fwd_auth *auth)
{
	const struct http_msg *m = c->msg;
	int i = http_find(m, "proxy-authorization");
	uint64_t wait;
	char hdr[48];

	if (i < 0)
		return refuse(w, c, 407, "auth", "proxy authentication required");
	wait = fwd_auth_guard_wait(&fw->guard, fwd_auth_guard_key(c->ip), w->now_ms);
	if (wait) {
		snprintf(hdr, sizeof(hdr), "Retry-After: %llu\r\n", (unsigned long long)(wait + 999) / 1000);
		return refuse_with(w, c, 429, "auth-throttled", "too many failed proxy logins from this address", hdr);
	}
	switch (fwd_auth_start(auth, http_value(m, i), m->hdr[i].value_len, fwd_req(c)->user,
			       sizeof(fwd_req(c)->user), fw->inbox, wait_cookie(c))) {
	case FWD_AUTH_OK:
		return 0;
	case FWD_AUTH_QUEUED:
		c->req.hook_wait = fwd_req(c)->auth_wait = true;
		return 1;
	case FWD_AUTH_BUSY:
		return refuse_with(w, c, 503, "auth-busy", "too many proxy logins being checked", "Retry-After: 1\r\n");
	case FWD_AUTH_BAD:
		break;
	}
	return auth_refused(w, fw, c);
}

/* ---- requests ---- */

static bool client_sockaddr(const char *ip, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return true;
	}
	return false;
}

/* build_head() - the request for the origin: origin-form target, Host from the target, anonymity rules. 0 or -1 (answered). */
static int build_head(struct worker *w, struct conn *c, const struct cfg_forward *f, const struct fwd_target *t)
{
	const struct http_msg *m = c->msg;
	char host[FWD_HOST_MAX + 16], *path;
	bool v6 = t->literal && t->addr.ss_family == AF_INET6;
	struct http_fwd hf;
	size_t cap;
	long n;

	if (t->port == 80)
		snprintf(host, sizeof(host), v6 ? "[%s]" : "%s", t->host);
	else
		snprintf(host, sizeof(host), v6 ? "[%s]:%u" : "%s:%u", t->host, t->port);
	path = malloc(t->path_len + 2);
	if (!path)
		return refuse(w, c, 500, "internal", "out of memory");
	/* "http://h" and "http://h?q" have an empty path: origin-form starts with "/" */
	path[0] = '/';
	memcpy(path + (t->path_len && t->path[0] == '/' ? 0 : 1), t->path, t->path_len);
	memset(&hf, 0, sizeof(hf));
	hf.client_ip = c->ip;
	hf.proto = "http";
	hf.host = host;
	hf.request_id = c->req.rid;
	hf.via = !f->anonymize;
	hf.upgrade = c->req.upgrade;
	hf.framing = c->req.req_framing;
	hf.target = path;
	hf.target_len = t->path_len + (t->path_len && t->path[0] == '/' ? 0 : 1);
	hf.forward = true;
	hf.anonymize = f->anonymize;
	hf.strip = f->identifying_headers;
	hf.n_strip = f->n_identifying_headers;
	cap = m->len + t->path_len + 1024;
	c->req.up_head = malloc(cap);
	n = c->req.up_head ? http_build_request(m, &hf, c->req.up_head, cap) : -ENOMEM;
	free(path);
	if (n < 0)
		return refuse(w, c, n == -ENOSPC ? 400 : 500, "target", "request head too large");
	c->req.up_len = (size_t)n;
	return 0;
}

/*
 * forward_connect() - send @c's request (head in up_head) to the origin it was
 * checked for (req.last_srv): a pooled connection or a new one. 0, or -errno
 * with nothing sent (the caller answers).
 */
static int forward_connect(struct worker *w, struct conn *c)
{
	struct fwd_origin *o = (struct fwd_origin *)c->req.last_srv;   /* srv is the origin's first member */
	struct conn *u = upstream_get(w, &o->srv);

	if (!u)
		return -errno;
	origin_count(o, u);
	return proxy_attach(w, c, u);
}

/*
 * forward_go() - the addresses of target @t are known: pick the first the
 * rules allow, and send the request there. 0 or -1.
 */
static int forward_go(struct worker *w, struct conn *c, const struct fwd_target *t, struct sockaddr_storage *a,
		      size_t n)
{
	const struct l7_gen *g = c->req.wg->g;
	const struct cfg_forward *f = &g->cfg->l7.forward;
	struct fwd_worker *fw = w->fwd;
	bool tunnel = c->msg->p.method == HTTP_CONNECT;
	const char *why = "no address";
	char rule[sizeof(fwd_req(c)->rule)] = "destination";
	struct fwd_origin *o;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		sa_set_port(&a[i], t->port);
		why = dest_refused(gen_policy(g), f, &a[i], rule, sizeof(rule));
		if (!why)
			break;
	}
	if (i == n) {
		char msg[128];

		snprintf(msg, sizeof(msg), "destination refused (%s)", why);
		return refuse(w, c, 403, rule, msg);
	}
	o = origin_get(fw, tunnel, t, &a[i]);
	if (!o)
		return refuse(w, c, 500, "internal", "out of memory");
	c->req.last_srv = &o->srv;
	c->req.phase = PH_PROXY;
	if (tunnel) {
		c->req.tunnel = true;
	} else {
		/* the hooks after ours (the shared cache), after every rule: a refused request is never answered from it */
		int v = proxy_hooks_request(w, c, fwd_slot + 1);

		if (v == PROXY_ERROR)
			return -1;
		if (v == PROXY_DONE)
			return 0;   /* answered from the cache */
		if (build_head(w, c, f, t))
			return -1;
		if (proxy_hooks_upstream_head(w, c, v == PROXY_HOLD))
			return 0;   /* answered stale and refreshed in the background, or collapsed behind another fill */
	}
	rc = forward_connect(w, c);
	if (rc) {
		char msg[160];

		snprintf(msg, sizeof(msg), "connect to %s: %s", o->scfg.addr.text, strerror(-rc));
		return refuse(w, c, 502, fwd_req(c)->rule[0] ? fwd_req(c)->rule : "connect", msg);
	}
	return 0;
}

/* forward_retry() - once more, to the same checked address: 0 sent, -1 not retried (see struct proxy_hooks.retry). */
static int forward_retry(struct worker *w, struct conn *c)
{
	if (!c->req.last_srv || c->req.tunnel || !c->req.up_head || c->req.resp_head_sent || c->req.tries ||
	    c->req.req_framing != HTTP_FRAME_NONE || c->req.upgrade || !http_idempotent((uint8_t)c->msg->p.method) ||
	    w->stopping)
		return -1;
	c->req.tries++;
	stat_add(w->st_retries, 1);
	return forward_connect(w, c) ? -1 : 0;
}

static void on_resolved(struct worker *w, uint64_t cookie, int err, const struct sockaddr_storage *a, size_t n)
{
	struct conn *c = waiting_conn(w, cookie);
	struct sockaddr_storage addrs[RESOLVER_MAX_ADDRS];
	struct fwd_target t;
	char msg[128];

	if (!c || !fwd_req(c) || !c->req.hook_wait || fwd_req(c)->auth_wait)
		return;   /* the client left while we asked */
	c->req.hook_wait = false;
	if (err) {
		snprintf(msg, sizeof(msg), "cannot resolve %.*s: %s", (int)(c->msg->target_len < 100 ? c->msg->target_len : 100),
			 http_target(c->msg), err == -ENOENT ? "no such name" : strerror(-err));
		refuse(w, c, err == -ETIMEDOUT ? 504 : 502, "resolve", msg);
		return;
	}
	/* forward_start() checked this target before it asked: parsing it again cannot fail */
	if (fwd_parse_target(http_target(c->msg), c->msg->target_len, c->msg->p.method == HTTP_CONNECT, &t)) {
		refuse(w, c, 400, "target", "bad target");
		return;
	}
	memcpy(addrs, a, n * sizeof(*a));
	if (!forward_go(w, c, &t, addrs, n))
		proxy_resume(w, c);
}

/*
 * forward_route() - forward_start() past the login: the target, the rules,
 * the resolver, the origin. Returns as forward_start() does.
 */
static int forward_route(struct worker *w, struct fwd_worker *fw, struct conn *c)
{
	const struct cfg_forward *f = &c->req.wg->g->cfg->l7.forward;
	const struct http_msg *m = c->msg;
	bool tunnel = m->p.method == HTTP_CONNECT;
	struct sockaddr_storage addrs[RESOLVER_MAX_ADDRS];
	struct fwd_target t;
	const char *why;
	int rc;

	rc = fwd_parse_target(http_target(m), m->target_len, tunnel, &t);
	if (rc)
		return refuse(w, c, 400, "target", tunnel ? "CONNECT needs host:port" :
			      rc == -EPROTONOSUPPORT ? "https:// targets go through CONNECT" :
			      "a forward proxy needs an absolute-form target (http://host/path)");
	if (tunnel) {
		size_t i;

		for (i = 0; i < f->n_connect_ports && f->connect_ports[i] != t.port; i++)
			;
		if (i == f->n_connect_ports) {
			char rule[32];

			snprintf(rule, sizeof(rule), "connect_ports:%u", t.port);
			return refuse(w, c, 403, rule, "CONNECT to this port is not allowed");
		}
	}
	why = fwd_hosts_check(f, t.host, fwd_req(c)->rule, sizeof(fwd_req(c)->rule));
	if (why)
		return refuse(w, c, 403, fwd_req(c)->rule, strcmp(why, "deny_hosts") ? "host not in allow_hosts" :
			      "host in deny_hosts");
	if (t.literal)
		return forward_go(w, c, &t, &t.addr, 1);
	if (!fw->res)
		return refuse(w, c, 502, "resolve", "no resolver");
	rc = resolver_lookup(fw->res, t.host, wait_cookie(c), addrs);
	if (rc > 0)
		return forward_go(w, c, &t, addrs, (size_t)rc);
	if (rc == 0) {
		c->req.hook_wait = true;   /* on_resolved() carries on */
		return 1;
	}
	return refuse(w, c, 502, "resolve", rc == -ENOENT ? "no such name" : "cannot resolve");
}

/* on_crypt() - a crypt thread's answer, for the request that waits on it if it still does. */
static void on_crypt(struct worker *w, struct fwd_worker *fw, const struct fwd_crypt_job *j)
{
	struct conn *c = waiting_conn(w, j->cookie);
	const struct fwd_auth *auth;

	if (!c || !fwd_req(c) || !fwd_req(c)->auth_wait)
		return;   /* the client left while its password was checked */
	c->req.hook_wait = fwd_req(c)->auth_wait = false;
	/* the request's own generation, so the same table the check was queued from */
	auth = gen_policy(c->req.wg->g) ? gen_policy(c->req.wg->g)->auth : NULL;
	if (!j->ok || !auth) {
		fwd_req(c)->user[0] = '\0';
		auth_refused(w, fw, c);
		return;
	}
	fwd_auth_remember(auth, j->user, j->pass, j->len);
	if (!forward_route(w, fw, c))
		proxy_resume(w, c);
}

static void crypt_answers(struct worker *w)
{
	struct fwd_worker *fw = w->fwd;
	struct fwd_crypt_job *j;

	if (!fw->inbox)
		return;
	j = fwd_crypt_take(fw->inbox);
	while (j) {
		struct fwd_crypt_job *next = j->next;

		on_crypt(w, fw, j);
		fwd_crypt_job_free(j);
		j = next;
	}
}

/*
 * forward_start() - a forward listener's request head is complete: check the
 * rules, resolve, and send it on (or open a tunnel for CONNECT). Returns 0
 * when an origin connection took the request (or the cache answered), 1 when
 * it waits for the resolver or a crypt thread (req.hook_wait; proxy_resume()
 * follows), -1 when the client was answered (403, 407, 429, 400, 502, 503).
 */
static int forward_start(struct worker *w, struct conn *c)
{
	struct fwd_worker *fw = fwd_worker_get(w);
	const struct l7_gen *g = c->req.wg->g;
	struct sockaddr_storage peer;
	int rc;

	if (!fw)
		return refuse(w, c, 500, "internal", "out of memory");
	c->req.hook_data[fwd_slot] = calloc(1, sizeof(struct fwd_req));
	if (!fwd_req(c))
		return refuse(w, c, 500, "internal", "out of memory");
	if (!client_sockaddr(c->ip, &peer) || !fwd_client_allowed(&g->cfg->l7.forward, (struct sockaddr *)&peer))
		return refuse(w, c, 403, "allow_clients", "this client may not use the proxy");
	if (gen_policy(g) && gen_policy(g)->auth) {
		rc = forward_auth(w, fw, c, gen_policy(g)->auth);
		if (rc)
			return rc;   /* refused, or on_crypt() carries on */
	}
	return forward_route(w, fw, c);
}

/* ---- CONNECT tunnels ---- */

static bool drained(const struct conn *x)
{
	return x->out.head == x->out.tail && !x->out.inflight;
}

/*
 * tunnel_step() - pass each side's FIN on once what it sent before has gone
 * out, and end the tunnel when both directions ended. true when it ended.
 */
static bool tunnel_step(struct worker *w, struct conn *c)
{
	struct conn *u = c->peer;

	if (!u || u->dead) {
		proxy_tunnel_close(w, c);
		return true;
	}
	if (c->eof && !u->shut_wr && drained(u)) {
		shutdown(u->fd, SHUT_WR);
		u->shut_wr = true;
	}
	if (u->eof && !c->shut_wr && drained(c)) {
		shutdown(c->fd, SHUT_WR);
		c->shut_wr = true;
	}
	if (c->shut_wr && u->shut_wr) {
		proxy_tunnel_close(w, c);
		return true;
	}
	return false;
}

/* tunnel_open() - the CONNECT origin accepted: answer 200 and relay both ways. */
static void tunnel_open(struct worker *w, struct conn *c)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct conn *u = c->peer;

	outq_push(&c->out, SEG_STATIC, ok, sizeof(ok) - 1, 0);
	c->req.status = 200;
	c->req.resp_head_sent = c->req.resp_done = true;
	c->req.bytes_out += sizeof(ok) - 1;
	c->req.phase = PH_TUNNEL;
	conn_timer(w, c, TMR_CLIENT_IDLE, w->l7->ls[c->listener].cfg->client_idle_ms);
	conn_recv(w, u);
	conn_send(w, c);
	if (c->in.head < c->in.tail)
		proxy_on_recv(w, c);   /* bytes the client sent right after its CONNECT */
	else if (c->eof)
		tunnel_step(w, c);
}

/* tunnel_eof() - one side of a CONNECT tunnel ended (@err < 0: failed): pass the half-close on. */
static void tunnel_eof(struct worker *w, struct conn *x, int err)
{
	struct conn *c = x->kind == CONN_CLIENT ? x : x->peer;

	if (err || x->dead) {
		proxy_tunnel_close(w, c);   /* a reset or a failed send: nothing more can pass */
		return;
	}
	tunnel_step(w, c);
}

/* tunnel_sent() - @x's output drained a little. true when @x or its tunnel was closed here. */
static bool tunnel_sent(struct worker *w, struct conn *x)
{
	struct conn *c = x->kind == CONN_CLIENT ? x : x->peer;

	if (c->req.phase != PH_TUNNEL || !(c->eof || (c->peer && c->peer->eof)))
		return false;
	return tunnel_step(w, c);
}

/* ---- the proxy's hooks (l7/hooks.h) ---- */

static bool hook_attach(const struct cfg_listener *l)
{
	return l->mode == CFG_MODE_FORWARD;
}

static int hook_gen_new(const struct cfg *cfg, void **data)
{
	*data = fwd_policy_new(cfg);
	return *data ? 0 : -(errno ? errno : ENOMEM);
}

static void hook_gen_free(void *data)
{
	fwd_policy_free(data);
}

/* hook_request() - forward_start() as a verdict: it always handles the request (a wait shows in req.hook_wait). */
static int hook_request(struct worker *w, struct conn *c)
{
	return forward_start(w, c) < 0 ? PROXY_ERROR : PROXY_DONE;
}

static void hook_log(const struct conn *c, struct accesslog_rec *r)
{
	r->rule = fwd_req(c)->rule[0] ? fwd_req(c)->rule : NULL;
	r->user = fwd_req(c)->user[0] ? fwd_req(c)->user : NULL;
}

static void hook_release(struct worker *w, struct conn *c)
{
	(void)w;
	free(fwd_req(c));
	c->req.hook_data[fwd_slot] = NULL;
}

/* The worker's loop: the resolver's polls, crypt answers (the wake eventfd), timeouts each tick, the end. */
static void hook_poll(struct loop *lp, const struct io_uring_cqe *cqe)
{
	forward_on_poll(worker_of(lp), ud_index(cqe->user_data), ud_gen(cqe->user_data), cqe->res);
}

static void hook_wake(struct loop *lp)
{
	forward_on_wake(worker_of(lp));
}

static void hook_tick(struct loop *lp)
{
	forward_tick(worker_of(lp));
}

static void hook_worker_free(struct loop *lp)
{
	forward_worker_free(worker_of(lp));
}

static int hook_worker_init(struct worker *w)
{
	struct loop *lp = &w->lp;

	if (loop_op_set(lp, UD_RESOLV, hook_poll) || loop_hook_add(lp, LOOP_ON_WAKE, hook_wake) ||
	    loop_hook_add(lp, LOOP_ON_TICK, hook_tick) || loop_hook_add(lp, LOOP_ON_FREE, hook_worker_free))
		return -ENOSPC;
	return 0;
}

static const struct proxy_hooks forward_hooks = {
	.name = "forward",
	.worker_init = hook_worker_init,
	.attach = hook_attach,
	.gen_new = hook_gen_new,
	.gen_free = hook_gen_free,
	.on_request = hook_request,
	.on_log = hook_log,
	.on_release = hook_release,
	.upstream_cfg = upstream_cfg,
	.connect = forward_connect,
	.retry = forward_retry,
	.target_host = target_host,
	.upstream_released = conn_released,
	.tunnel_open = tunnel_open,
	.tunnel_eof = tunnel_eof,
	.tunnel_sent = tunnel_sent,
};

int forward_hooks_register(void)
{
	return proxy_hooks_register(&forward_hooks, &fwd_slot);
}
