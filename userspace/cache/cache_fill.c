// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Storing responses: what is kept of a head, fills while the body streams, and 304 updates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache/cache_int.h"

#define CHUNK_MIN (16 * 1024)   /* body chunk when the length is not known up front */

static bool hname(const struct http_msg *m, int i, const char *name, size_t n)
{
	return m->hdr[i].name_len == n && !strncasecmp(http_name(m, i), name, n);
}

/* conn_named() - is header @i listed in a Connection header (hop-by-hop for this message only)? */
static bool conn_named(const struct http_msg *m, int i)
{
	return http_named_by_connection(m, http_name(m, i), m->hdr[i].name_len);
}

/* stored_header() - is header @i of a response kept in the cache? Hop-by-hop, framing and Age are not. */
static bool stored_header(const struct http_msg *m, int i)
{
	if (http_is_hop(http_name(m, i), m->hdr[i].name_len) || hname(m, i, "age", 3) || conn_named(m, i))
		return false;
	return true;
}

static char *dup_value(const struct http_msg *m, const char *name)
{
	int i = http_find(m, name);

	return i >= 0 ? strndup(http_value(m, i), m->hdr[i].value_len) : NULL;
}

/* times_from() - Date, Age, Expires, Last-Modified of @m. */
static void times_from(struct cache_times *t, const struct http_msg *m, int64_t request_time, int64_t response_time)
{
	int i;

	t->request_time = request_time;
	t->response_time = response_time;
	i = http_find(m, "date");
	t->date = i >= 0 ? cache_http_date(http_value(m, i), m->hdr[i].value_len) : -1;
	if (t->date < 0)
		t->date = response_time;
	i = http_find(m, "age");
	t->age_value = 0;
	if (i >= 0) {
		const char *v = http_value(m, i);
		int64_t a = 0;

		for (; *v >= '0' && *v <= '9' && a < 2147483648LL; v++)
			a = a * 10 + (*v - '0');
		t->age_value = a;
	}
	i = http_find(m, "expires");
	t->expires = -1;
	if (i >= 0) {
		t->expires = cache_http_date(http_value(m, i), m->hdr[i].value_len);
		if (t->expires < 0)
			t->expires = 0;   /* invalid, e.g. "0": already expired (RFC 9111 5.3) */
	}
	i = http_find(m, "last-modified");
	t->last_modified = i >= 0 ? cache_http_date(http_value(m, i), m->hdr[i].value_len) : -1;
}

static void obj_freshness(struct cache_obj *o)
{
	bool heuristic;

	o->lifetime = cache_freshness_lifetime(&o->cc, &o->t, o->status, &heuristic);
	o->initial_age = cache_initial_age(&o->t);
}

/* head_append() - grow @o's head by @s. */
static int head_append(char **head, uint32_t *len, uint32_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		uint32_t nc = (*cap ? *cap : 256);
		char *p;

		while (nc < *len + n + 1)
			nc *= 2;
		p = realloc(*head, nc);
		if (!p)
			return -ENOMEM;
		*head = p;
		*cap = nc;
	}
	memcpy(*head + *len, s, n);
	*len += (uint32_t)n;
	(*head)[*len] = 0;
	return 0;
}

static int put_header(char **head, uint32_t *len, uint32_t *cap, const struct http_msg *m, int i)
{
	return head_append(head, len, cap, http_name(m, i), m->hdr[i].name_len) ||
	       head_append(head, len, cap, ": ", 2) ||
	       head_append(head, len, cap, http_value(m, i), m->hdr[i].value_len) ||
	       head_append(head, len, cap, "\r\n", 2) ? -ENOMEM : 0;
}

/*
 * obj_head() - a new object made from @resp's head: status, freshness,
 * validators, times and the stored head lines; no key, Vary or body yet.
 * NULL without memory.
 */
static struct cache_obj *obj_head(const struct http_msg *resp, const struct cache_cc *cc,
				  int64_t request_time, int64_t response_time)
{
	struct cache_obj *o = calloc(1, sizeof(*o));
	uint32_t cap = 0;
	char line[48];

	if (!o)
		return NULL;
	atomic_init(&o->refs, 1);
	o->status = resp->p.status_code;
	o->cc = *cc;
	o->etag = dup_value(resp, "etag");
	o->last_modified = dup_value(resp, "last-modified");
	times_from(&o->t, resp, request_time, response_time);
	obj_freshness(o);
	snprintf(line, sizeof(line), "HTTP/1.1 %03d ", o->status % 1000);
	if (head_append(&o->head, &o->head_len, &cap, line, strlen(line)) ||
	    head_append(&o->head, &o->head_len, &cap, http_target(resp), resp->target_len) ||
	    head_append(&o->head, &o->head_len, &cap, "\r\n", 2))
		goto err_free;
	for (int i = 0; i < resp->n_hdr; i++)
		if (stored_header(resp, i) && put_header(&o->head, &o->head_len, &cap, resp, i))
			goto err_free;
	return o;

err_free:
	cache_obj_put(o);
	return NULL;
}

struct cache_obj *cache_head_obj(const struct http_msg *resp, int64_t request_time, int64_t response_time)
{
	struct cache_cc cc;

	cache_cc_from_msg(&cc, resp, false);
	return obj_head(resp, &cc, request_time, response_time);
}

/*
 * fill_charge() - a fill holds budget for the memory it allocates (its head,
 * then each body chunk, the whole body at once when the length is known), so
 * fills in progress count against the memory bound, evicting stored objects
 * for it, instead of overshooting it until they finish. 0; -EFBIG when this
 * fill alone would hold more than the shard's whole budget, -ENOSPC when the
 * fills in progress together would (stored bytes are evicted for the rest).
 */
static int fill_charge(struct cache_fill *f, uint64_t add)
{
	struct cache_shard *s = f->s;
	int err = 0;

	pthread_mutex_lock(&s->lock);
	if (f->charged + add > s->budget)
		err = -EFBIG;
	else if (s->filling + add > s->budget)
		err = -ENOSPC;
	else
		store_charge(s, add, 0);
	pthread_mutex_unlock(&s->lock);
	if (!err)
		f->charged += add;
	return err;
}

/* fill_uncharge() - give the fill's budget back (it ends: stored or dropped). */
static void fill_uncharge(struct cache_fill *f)
{
	if (!f->charged)
		return;
	pthread_mutex_lock(&f->s->lock);
	store_charge(f->s, 0, f->charged);
	pthread_mutex_unlock(&f->s->lock);
	f->charged = 0;
}

struct cache_fill *cache_fill_begin(struct cache_shard *s, const struct cache_key *k, const struct http_msg *req,
				    const struct cache_req *r, const struct http_msg *resp,
				    int64_t request_time, int64_t response_time, const char **why)
{
	int status = resp->p.status_code;
	uint64_t max = atomic_load(&s->c->max_object);
	struct cache_fill *f = NULL;
	struct cache_obj *o = NULL;
	struct cache_cc cc;
	char names[512], vals[2048];
	long nn, nv = 0;
	int err;
	bool explicit;

	cache_cc_from_msg(&cc, resp, false);
	explicit = cc.max_age >= 0 || cc.s_maxage >= 0 || http_find(resp, "expires") >= 0;
	*why = NULL;
	if (!r->method_ok || r->is_head)
		*why = "method";
	else if (status < 200 || status == 206 || status == 304)
		*why = "status";
	else if (cc.flags & CC_NO_STORE || r->cc.flags & CC_NO_STORE)
		*why = "no-store";
	else if (cc.flags & CC_PRIVATE)
		*why = "private";
	else if (r->has_auth && !(cc.flags & (CC_MUST_REVALIDATE | CC_PUBLIC)) && cc.s_maxage < 0)
		*why = "authorization";
	else if (!explicit && !(cc.flags & CC_PUBLIC) && !cache_status_heuristic(status))
		*why = "status";
	else if (http_find(resp, "set-cookie") >= 0)
		*why = "set-cookie";
	else if (resp->p.flags & F_CONTENT_LENGTH && resp->p.content_length > max)
		*why = "too-large";
	if (*why)
		return NULL;
	nn = cache_vary_names(resp, names, sizeof(names));
	if (nn < 0) {
		*why = nn == -1 ? "vary-star" : "vary";
		return NULL;
	}
	if (nn) {
		nv = cache_vary_values(req, names, vals, sizeof(vals));
		if (nv < 0) {
			*why = "vary";
			return NULL;
		}
	}
	*why = "nomem";
	f = calloc(1, sizeof(*f));
	o = obj_head(resp, &cc, request_time, response_time);
	if (!f || !o)
		goto err_free;
	o->auth_ok = (cc.flags & (CC_MUST_REVALIDATE | CC_PUBLIC)) || cc.s_maxage >= 0;
	o->key.buf = strdup(k->buf);
	o->key.len = k->len;
	o->key.hash = k->hash;
	o->vary_names = strdup(nn ? names : "");
	o->vary_vals = strdup(nn ? vals : "");
	o->body = calloc(1, sizeof(*o->body));
	if (!o->key.buf || !o->vary_names || !o->vary_vals || !o->body)
		goto err_free;
	atomic_init(&o->body->refs, 1);
	if (resp->p.flags & F_CONTENT_LENGTH && resp->p.content_length) {
		/* the whole body in one chunk: a hit is one iovec for it */
		struct cache_chunk *ch = malloc(sizeof(*ch) + resp->p.content_length);

		if (!ch)
			goto err_free;
		ch->next = NULL;
		ch->len = 0;
		ch->cap = (uint32_t)resp->p.content_length;
		o->body->first = o->body->last = ch;
	}
	f->s = s;
	f->o = o;
	f->max = max;
	err = fill_charge(f, o->head_len + (o->body->first ? o->body->first->cap : 0));
	if (err) {
		*why = err == -EFBIG ? "too-large" : "no-room";   /* no-room: the fills under way hold the budget */
		goto err_free;
	}
	*why = NULL;
	return f;

err_free:
	cache_obj_put(o);
	free(f);
	return NULL;
}

int cache_fill_append(struct cache_fill *f, const char *data, size_t len)
{
	struct cache_body *b = f->o->body;

	if (b->len + len + f->o->head_len > f->max)
		return -EFBIG;
	while (len) {
		struct cache_chunk *ch = b->last;
		size_t n;

		if (!ch || ch->len == ch->cap) {
			size_t cap = len > CHUNK_MIN ? len : CHUNK_MIN;

			if (fill_charge(f, cap))
				return -EFBIG;
			ch = malloc(sizeof(*ch) + cap);
			if (!ch)
				return -ENOMEM;
			ch->next = NULL;
			ch->len = 0;
			ch->cap = (uint32_t)cap;
			if (b->last)
				b->last->next = ch;
			else
				b->first = ch;
			b->last = ch;
		}
		n = ch->cap - ch->len < len ? ch->cap - ch->len : len;
		memcpy(ch->data + ch->len, data, n);
		ch->len += (uint32_t)n;
		b->len += n;
		data += n;
		len -= n;
	}
	return 0;
}

int cache_fill_finish(struct cache_fill *f)
{
	struct cache_obj *o = f->o;
	struct cache_shard *s = f->s;
	uint32_t cap = o->head_len + 1;
	char cl[40];

	fill_uncharge(f);   /* the stored object is charged its own size below */
	free(f);
	if (o->status != 204 && o->status != 304) {
		snprintf(cl, sizeof(cl), "Content-Length: %llu\r\n", (unsigned long long)o->body->len);
		if (head_append(&o->head, &o->head_len, &cap, cl, strlen(cl))) {
			cache_obj_put(o);
			return -ENOMEM;
		}
	}
	o->size = sizeof(*o) + o->head_len + o->body->len + o->key.len * 2 + strlen(o->vary_vals) + 64;
	pthread_mutex_lock(&s->lock);
	if (o->size > s->budget) {
		pthread_mutex_unlock(&s->lock);
		cache_obj_put(o);
		return -EFBIG;
	}
	store_insert(s, o);   /* the fill's reference becomes the index's */
	pthread_mutex_unlock(&s->lock);
	return 0;
}

const struct cache_obj *cache_fill_obj(const struct cache_fill *f)
{
	return f->o;
}

void cache_fill_abort(struct cache_fill *f)
{
	if (!f)
		return;
	fill_uncharge(f);
	cache_obj_put(f->o);
	free(f);
}

/* ---- validation ---- */

size_t cache_validators(const struct cache_obj *o, char *out, size_t cap)
{
	int n = 0;

	if (o->etag)
		n = snprintf(out, cap, "If-None-Match: %s\r\n", o->etag);
	if (o->last_modified && n >= 0 && (size_t)n < cap)
		n += snprintf(out + n, cap - (size_t)n, "If-Modified-Since: %s\r\n", o->last_modified);
	return n >= 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* in_304() - does the 304 carry a stored field named @name, replacing it? (RFC 9111 3.2: all but framing) */
static bool in_304(const struct http_msg *m, const char *name, size_t n)
{
	for (int i = 0; i < m->n_hdr; i++)
		if (m->hdr[i].name_len == n && !strncasecmp(http_name(m, i), name, n) && stored_header(m, i))
			return true;
	return false;
}

struct cache_obj *cache_update(struct cache_shard *s, struct cache_obj *o, const struct http_msg *resp304,
			       int64_t request_time, int64_t response_time)
{
	struct cache_obj *n = calloc(1, sizeof(*n));
	const char *p = o->head, *end = o->head + o->head_len, *eol;
	uint32_t cap = 0;
	struct cache_times t;

	if (!n)
		return NULL;
	*n = *o;
	atomic_init(&n->refs, 2);   /* the index's and the caller's */
	n->hnext = n->qprev = n->qnext = NULL;
	n->queue = 0;
	n->head = NULL;
	n->head_len = 0;
	n->key.buf = strdup(o->key.buf);
	n->vary_names = strdup(o->vary_names);
	n->vary_vals = strdup(o->vary_vals);
	n->etag = http_find(resp304, "etag") >= 0 ? dup_value(resp304, "etag") : (o->etag ? strdup(o->etag) : NULL);
	n->last_modified = http_find(resp304, "last-modified") >= 0 ? dup_value(resp304, "last-modified") :
			   (o->last_modified ? strdup(o->last_modified) : NULL);
	atomic_fetch_add(&o->body->refs, 1);
	if (!n->key.buf || !n->vary_names || !n->vary_vals)
		goto err_free;
	/* the status line, then stored lines the 304 does not replace, then the 304's own */
	eol = memmem(p, (size_t)(end - p), "\r\n", 2);
	if (!eol || head_append(&n->head, &n->head_len, &cap, p, (size_t)(eol + 2 - p)))
		goto err_free;
	for (p = eol + 2; p < end; p = eol + 2) {
		const char *colon = memchr(p, ':', (size_t)(end - p));

		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol || !colon)
			break;
		if (in_304(resp304, p, (size_t)(colon - p)))
			continue;
		if (head_append(&n->head, &n->head_len, &cap, p, (size_t)(eol + 2 - p)))
			goto err_free;
	}
	for (int i = 0; i < resp304->n_hdr; i++)
		if (stored_header(resp304, i) && put_header(&n->head, &n->head_len, &cap, resp304, i))
			goto err_free;
	if (http_find(resp304, "cache-control") >= 0)
		cache_cc_from_msg(&n->cc, resp304, false);
	times_from(&t, resp304, request_time, response_time);
	if (http_find(resp304, "expires") < 0)
		t.expires = o->t.expires >= 0 ? o->t.expires - o->t.date + t.date : -1;   /* keep the old lifetime */
	if (http_find(resp304, "last-modified") < 0)
		t.last_modified = o->t.last_modified;
	n->t = t;
	obj_freshness(n);
	n->auth_ok = (n->cc.flags & (CC_MUST_REVALIDATE | CC_PUBLIC)) || n->cc.s_maxage >= 0;
	n->size = o->size - o->head_len + n->head_len;
	pthread_mutex_lock(&s->lock);
	s->st.revalidations++;
	if (o->queue) {
		store_unlink(s, o);
		store_insert(s, n);
		s->st.stores--;
	} else {
		atomic_store(&n->refs, 1);   /* purged or evicted meanwhile: a purge wins, serve it this once */
	}
	pthread_mutex_unlock(&s->lock);
	return n;

err_free:
	atomic_store(&n->refs, 1);
	cache_obj_put(n);
	return NULL;
}
