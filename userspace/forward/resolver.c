// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Name resolution that never blocks the worker: c-ares sockets polled on the worker's io_uring, answers cached by TTL. */
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "forward/resolver.h"
#include "l7/worker.h"
#include "lib/log.h"

#define RSOCK_MAX 16        /* c-ares keeps one UDP socket per server (plus TCP on truncation) */
#define TTL_MAX_S 3600      /* a longer TTL is cut to this: addresses do change */
#define TTL_NEG_S 30        /* a name that does not exist (or has no address) is asked again after this */

/* A c-ares socket and the poll we keep on it. */
struct rsock {
	int fd;                 /* -1: free slot */
	uint32_t gen;           /* in user_data: a completion for an older use of the slot is ignored */
	uint8_t want;           /* POLLIN | POLLOUT asked for by c-ares; 0: c-ares closed it */
	uint8_t armed;          /* the mask of the poll in flight */
	bool polling;
	bool removing;          /* a POLL_REMOVE was sent */
};

struct rcache {
	char name[256];
	struct sockaddr_storage a[RESOLVER_MAX_ADDRS];
	uint8_t n;              /* 0: a negative entry (-ENOENT) */
	uint64_t expires_ms;    /* 0: free */
	uint64_t used_ms;
};

/* A query in flight and everyone waiting for it: concurrent misses of one name send one query. */
struct rquery {
	struct resolver *r;
	struct rquery *next;    /* in r->inflight */
	uint64_t cookie;
	uint64_t *more;         /* the other waiters' cookies */
	uint32_t n_more, cap_more;
	char name[256];
};

struct resolver {
	struct worker *w;
	resolver_cb cb;
	ares_channel ch;
	struct rsock s[RSOCK_MAX];
	struct rcache cache[RESOLVER_CACHE];
	struct rquery *inflight;
	uint32_t pending;
	uint64_t queries;
	bool destroying;
	/* an answer c-ares gave before ares_getaddrinfo() returned */
	struct rquery *sync_q;
	int sync_n;
	struct sockaddr_storage sync_a[RESOLVER_MAX_ADDRS];
};

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_init_rc;

static void ares_global_init(void)
{
	ares_init_rc = ares_library_init(ARES_LIB_INIT_ALL);
}

/* ---- sockets on the ring ---- */

static void rsock_arm(struct resolver *r, uint32_t i)
{
	struct rsock *s = &r->s[i];
	struct io_uring_sqe *sqe;

	if (s->polling || !s->want || s->fd < 0)
		return;
	sqe = worker_sqe(r->w);
	io_uring_prep_poll_add(sqe, s->fd, s->want);
	io_uring_sqe_set_data64(sqe, ud_pack(UD_RESOLV, i, s->gen));
	s->armed = s->want;
	s->polling = true;
	s->removing = false;
}

static void rsock_remove(struct resolver *r, uint32_t i)
{
	struct rsock *s = &r->s[i];
	struct io_uring_sqe *sqe;

	if (!s->polling || s->removing)
		return;
	sqe = worker_sqe(r->w);
	io_uring_prep_poll_remove(sqe, ud_pack(UD_RESOLV, i, s->gen));
	io_uring_sqe_set_data64(sqe, ud_pack(UD_NONE, 0, 0));
	s->removing = true;
}

static void rsock_release(struct rsock *s)
{
	s->fd = -1;
	s->want = 0;
	s->gen++;
}

/* on_sock_state() - c-ares wants @fd watched for reading/writing, or (0, 0) is closing it. */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolver *r = data;
	uint8_t want = (uint8_t)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
	int free_i = -1;

	if (r->destroying)
		return;   /* ares_destroy() closing sockets, maybe off the worker's thread: no ring access */

	for (uint32_t i = 0; i < RSOCK_MAX; i++) {
		struct rsock *s = &r->s[i];

		if (s->fd == fd && s->want) {
			s->want = want;
			if (!want) {
				/* the fd is about to be closed: a poll on it would hold the file open */
				if (s->polling)
					rsock_remove(r, i);
				else
					rsock_release(s);
			} else if (s->polling && s->armed != want) {
				rsock_remove(r, i);   /* re-armed with the new mask when the removal completes */
			} else {
				rsock_arm(r, i);
			}
			return;
		}
		if (free_i < 0 && s->fd < 0 && !s->polling)
			free_i = (int)i;
	}
	if (!want)
		return;
	if (free_i < 0) {
		log_warn("resolver: more than %d sockets", RSOCK_MAX);
		return;   /* c-ares times the query out */
	}
	r->s[free_i].fd = fd;
	r->s[free_i].want = want;
	rsock_arm(r, (uint32_t)free_i);
}

void resolver_on_poll(struct resolver *r, uint32_t slot, uint32_t gen, int res)
{
	struct rsock *s;
	int fd;

	if (!r || slot >= RSOCK_MAX || r->s[slot].gen != gen)
		return;
	s = &r->s[slot];
	s->polling = false;
	s->removing = false;
	if (!s->want) {
		rsock_release(s);
		return;
	}
	fd = s->fd;
	if (res > 0)
		ares_process_fd(r->ch, res & (POLLIN | POLLERR | POLLHUP) ? fd : ARES_SOCKET_BAD,
				res & POLLOUT ? fd : ARES_SOCKET_BAD);
	/* processing may have closed the socket (the slot was released) or changed what it wants */
	if (s->gen == gen && s->fd == fd)
		rsock_arm(r, slot);
}

void resolver_tick(struct resolver *r)
{
	if (r && r->pending)
		ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

uint64_t resolver_queries(const struct resolver *r)
{
	return r ? r->queries : 0;
}

/* ---- cache ---- */

static struct rcache *cache_find(struct resolver *r, const char *name)
{
	uint64_t now = r->w->now_ms;

	for (size_t i = 0; i < RESOLVER_CACHE; i++) {
		struct rcache *e = &r->cache[i];

		if (!e->expires_ms || strcasecmp(e->name, name))
			continue;
		if (e->expires_ms <= now) {
			e->expires_ms = 0;
			return NULL;
		}
		e->used_ms = now;
		return e;
	}
	return NULL;
}

/*
 * cache_put() - a free or expired slot, else the least recently used one: the
 * cache stays bounded. n == 0 stores a negative answer for TTL_NEG_S.
 */
static void cache_put(struct resolver *r, const char *name, const struct sockaddr_storage *a, size_t n,
		      uint32_t ttl_s)
{
	uint64_t now = r->w->now_ms;
	struct rcache *e = NULL;

	if (!n)
		ttl_s = TTL_NEG_S;
	if (!ttl_s)
		return;
	for (size_t i = 0; i < RESOLVER_CACHE; i++) {
		struct rcache *c = &r->cache[i];

		if (!c->expires_ms || c->expires_ms <= now || !strcasecmp(c->name, name)) {
			e = c;
			break;
		}
		if (!e || c->used_ms < e->used_ms)
			e = c;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	memcpy(e->a, a, n * sizeof(*a));
	e->n = (uint8_t)n;
	e->expires_ms = now + (uint64_t)(ttl_s > TTL_MAX_S ? TTL_MAX_S : ttl_s) * 1000;
	e->used_ms = now;
}

/* ---- lookups ---- */

/* addrs_from() - IPv4 answers first, then IPv6, up to RESOLVER_MAX_ADDRS; the smallest TTL in @ttl. */
static size_t addrs_from(const struct ares_addrinfo *res, struct sockaddr_storage *out, uint32_t *ttl)
{
	size_t n = 0;

	*ttl = TTL_MAX_S;
	for (int fam = 0; fam < 2; fam++) {
		for (const struct ares_addrinfo_node *a = res ? res->nodes : NULL; a; a = a->ai_next) {
			if (a->ai_family != (fam ? AF_INET6 : AF_INET) || n == RESOLVER_MAX_ADDRS)
				continue;
			if ((size_t)a->ai_addrlen > sizeof(out[n]))
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			memcpy(&out[n], a->ai_addr, a->ai_addrlen);
			((struct sockaddr_in *)&out[n])->sin_port = 0;   /* same offset in sockaddr_in6 */
			n++;
			if (a->ai_ttl >= 0 && (uint32_t)a->ai_ttl < *ttl)
				*ttl = (uint32_t)a->ai_ttl;
		}
	}
	return n;
}

static void rquery_free(struct rquery *q)
{
	free(q->more);
	free(q);
}

static void inflight_unlink(struct resolver *r, struct rquery *q)
{
	for (struct rquery **p = &r->inflight; *p; p = &(*p)->next)
		if (*p == q) {
			*p = q->next;
			return;
		}
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct rquery *q = arg;
	struct resolver *r = q->r;
	struct sockaddr_storage a[RESOLVER_MAX_ADDRS];
	uint32_t ttl = 0;
	size_t n = 0;
	int err = 0;

	(void)timeouts;
	r->pending--;
	if (status == ARES_SUCCESS)
		n = addrs_from(res, a, &ttl);
	if (res)
		ares_freeaddrinfo(res);
	if (r->destroying) {
		rquery_free(q);
		return;
	}
	inflight_unlink(r, q);
	if (status == ARES_ETIMEOUT)
		err = -ETIMEDOUT;
	else if (status == ARES_ENOTFOUND || status == ARES_ENODATA || (status == ARES_SUCCESS && !n))
		err = -ENOENT;
	else if (status != ARES_SUCCESS)
		err = -EIO;
	/* timeouts and server failures are not cached: the next request asks again */
	if (!err || err == -ENOENT)
		cache_put(r, q->name, a, err ? 0 : n, ttl);
	if (q == r->sync_q) {
		/* answered inside ares_getaddrinfo() (hosts file, TTL 0): resolver_lookup() returns it */
		r->sync_n = err ? err : (int)n;
		memcpy(r->sync_a, a, n * sizeof(*a));
		return;
	}
	r->cb(r->w, q->cookie, err, a, n);
	for (uint32_t i = 0; i < q->n_more; i++)
		r->cb(r->w, q->more[i], err, a, n);
	rquery_free(q);
}

/* join_inflight() - wait for a query already sent for @host. 1 when joined, 0 none in flight, -ENOMEM. */
static int join_inflight(struct resolver *r, const char *host, uint64_t cookie)
{
	for (struct rquery *q = r->inflight; q; q = q->next) {
		if (strcasecmp(q->name, host))
			continue;
		if (q->n_more == q->cap_more) {
			uint32_t nc = q->cap_more ? q->cap_more * 2 : 4;
			uint64_t *m = realloc(q->more, nc * sizeof(*m));

			if (!m)
				return -ENOMEM;
			q->more = m;
			q->cap_more = nc;
		}
		q->more[q->n_more++] = cookie;
		return 1;
	}
	return 0;
}

/* is_localhost() - "localhost" and names under it are loopback by definition (RFC 6761): no query. */
static bool is_localhost(const char *h)
{
	size_t n = strlen(h);

	return !strcasecmp(h, "localhost") || (n > 10 && !strcasecmp(h + n - 10, ".localhost"));
}

int resolver_lookup(struct resolver *r, const char *host, uint64_t cookie,
		    struct sockaddr_storage out[RESOLVER_MAX_ADDRS])
{
	struct ares_addrinfo_hints hints;
	struct rcache *e;
	struct rquery *q;
	int n;

	if (is_localhost(host)) {
		memset(out, 0, 2 * sizeof(*out));
		out[0].ss_family = AF_INET;
		((struct sockaddr_in *)&out[0])->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		out[1].ss_family = AF_INET6;
		((struct sockaddr_in6 *)&out[1])->sin6_addr = in6addr_loopback;
		return 2;
	}
	e = cache_find(r, host);
	if (e) {
		if (!e->n)
			return -ENOENT;
		memcpy(out, e->a, e->n * sizeof(*out));
		return e->n;
	}
	n = join_inflight(r, host, cookie);
	if (n)
		return n > 0 ? 0 : n;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->r = r;
	q->cookie = cookie;
	snprintf(q->name, sizeof(q->name), "%s", host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = ARES_AI_NOSORT;   /* sorting would connect() test sockets: keep the answer order */
	r->pending++;
	r->queries++;
	r->sync_q = q;
	r->sync_n = 0;
	ares_getaddrinfo(r->ch, host, NULL, &hints, on_addrinfo, q);
	r->sync_q = NULL;
	n = r->sync_n;
	if (!n) {
		q->next = r->inflight;
		r->inflight = q;
		return 0;
	}
	rquery_free(q);
	if (n > 0)
		memcpy(out, r->sync_a, (size_t)n * sizeof(*out));
	return n;
}

struct resolver *resolver_new(struct worker *w, resolver_cb cb)
{
	struct resolver *r;
	struct ares_options o;
	const char *env = getenv("SLUICED_RESOLVER");
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES, rc;

	pthread_once(&ares_once, ares_global_init);
	if (ares_init_rc != ARES_SUCCESS) {
		errno = EIO;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->w = w;
	r->cb = cb;
	for (size_t i = 0; i < RSOCK_MAX; i++)
		r->s[i].fd = -1;
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = r;
	o.timeout = 1500;
	o.tries = 2;
	if (env && *env) {
		o.flags = ARES_FLAG_NOSEARCH;
		o.lookups = (char *)"b";   /* DNS only: the test's stub answers everything */
		mask |= ARES_OPT_FLAGS | ARES_OPT_LOOKUPS;
	}
	rc = ares_init_options(&r->ch, &o, mask);
	if (rc != ARES_SUCCESS) {
		log_err("resolver: %s", ares_strerror(rc));
		free(r);
		errno = EIO;
		return NULL;
	}
	if (env && *env && (rc = ares_set_servers_ports_csv(r->ch, env)) != ARES_SUCCESS) {
		log_err("resolver: SLUICED_RESOLVER=%s: %s", env, ares_strerror(rc));
		ares_destroy(r->ch);
		free(r);
		errno = EINVAL;
		return NULL;
	}
	return r;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	r->destroying = true;
	ares_destroy(r->ch);   /* calls every pending callback with ARES_EDESTRUCTION */
	free(r);
}
