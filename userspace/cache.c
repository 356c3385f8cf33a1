// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* What a request asks of the cache, conditional requests, and the heads a hit is sent with. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cache.h"

void cache_req_init(struct cache_req *r, const struct http_msg *req, bool has_body)
{
	int i;

	memset(r, 0, sizeof(*r));
	cache_cc_from_msg(&r->cc, req, true);
	r->is_head = req->p.method == HTTP_HEAD;
	r->method_ok = (req->p.method == HTTP_GET || r->is_head) && !has_body;
	r->has_auth = http_find(req, "authorization") >= 0;
	r->ims = -1;
	i = http_find(req, "if-none-match");
	if (i >= 0) {
		r->inm = http_value(req, i);
		r->inm_len = req->hdr[i].value_len;
	}
	i = http_find(req, "if-modified-since");
	if (i >= 0)
		r->ims = cache_http_date(http_value(req, i), req->hdr[i].value_len);
	/* Range only means something for GET (RFC 9110 14.2) */
	i = req->p.method == HTTP_GET ? http_find(req, "range") : -1;
	if (i >= 0) {
		r->range = http_value(req, i);
		r->range_len = req->hdr[i].value_len;
		i = http_find(req, "if-range");
		if (i >= 0) {
			r->if_range = http_value(req, i);
			r->if_range_len = req->hdr[i].value_len;
		}
	}
}

bool cache_unsafe_method(uint8_t method)
{
	return method == HTTP_POST || method == HTTP_PUT || method == HTTP_DELETE || method == HTTP_PATCH;
}

/* opaque() - an entity-tag without its weakness prefix (weak comparison, RFC 9110 8.8.3.2). */
static const char *opaque(const char *t, size_t *len)
{
	if (*len >= 2 && t[0] == 'W' && t[1] == '/') {
		*len -= 2;
		return t + 2;
	}
	return t;
}

bool cache_not_modified(const struct cache_obj *o, const struct cache_req *r)
{
	if (r->inm) {
		const char *v = r->inm, *end = r->inm + r->inm_len, *et;
		size_t el;

		if (!o->etag)
			return false;
		el = strlen(o->etag);
		et = opaque(o->etag, &el);
		while (v < end) {
			const char *t;
			size_t tl;

			while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
				v++;
			t = v;
			if (v < end && *v == '*')
				return true;
			if (v + 1 < end && v[0] == 'W' && v[1] == '/')
				v += 2;
			if (v < end && *v == '"') {
				for (v++; v < end && *v != '"'; v++)
					;
				if (v < end)
					v++;
			} else {
				while (v < end && *v != ',')
					v++;
			}
			tl = (size_t)(v - t);
			t = opaque(t, &tl);
			if (tl == el && !memcmp(t, et, el))
				return true;
		}
		return false;   /* If-None-Match present: If-Modified-Since is ignored (RFC 9110 13.2.2) */
	}
	if (r->ims >= 0 && o->last_modified) {
		int64_t lm = cache_http_date(o->last_modified, strlen(o->last_modified));

		return lm >= 0 && lm <= r->ims;
	}
	return false;
}

/* put() - bounded append; returns false once @out is full. */
static bool put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n > cap)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	return true;
}

size_t cache_fmt_i64(char *out, int64_t v)
{
	char tmp[24];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	return len;
}

static long tail(const struct cache_obj *o, int64_t now, const char *cache_status, bool close, bool http10,
		 char *out, size_t cap, size_t len)
{
	char age[32];
	size_t n = 5;

	/* the hit path formats no text with printf: Age by hand */
	memcpy(age, "Age: ", 5);
	n += cache_fmt_i64(age + n, cache_current_age(o, now));
	age[n++] = '\r';
	age[n++] = '\n';
	if (!put(out, cap, &len, age, n) || !put(out, cap, &len, "Cache-Status: ", 14) ||
	    !put(out, cap, &len, cache_status, strlen(cache_status)) || !put(out, cap, &len, "\r\n", 2))
		return -ENOSPC;
	if (close && !put(out, cap, &len, "Connection: close\r\n", 19))
		return -ENOSPC;
	if (!close && http10 && !put(out, cap, &len, "Connection: keep-alive\r\n", 24))
		return -ENOSPC;
	if (!put(out, cap, &len, "\r\n", 2))
		return -ENOSPC;
	return (long)len;
}

long cache_hit_tail(const struct cache_obj *o, int64_t now, const char *cache_status, bool close, bool http10,
		    char *out, size_t cap)
{
	return tail(o, now, cache_status, close, http10, out, cap, 0);
}

long cache_304_head(const struct cache_obj *o, int64_t now, const char *cache_status, bool close, bool http10,
		    char *out, size_t cap)
{
	static const char *const keep[] = { "cache-control", "content-location", "date", "etag", "expires",
					    "vary", "last-modified" };
	const char *p = memchr(o->head, '\n', o->head_len), *end = o->head + o->head_len;
	size_t len = 0;

	if (!put(out, cap, &len, "HTTP/1.1 304 Not Modified\r\n", 27))
		return -ENOSPC;
	for (p = p ? p + 1 : end; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon = memchr(p, ':', (size_t)(end - p));

		if (!eol || !colon)
			break;
		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if ((size_t)(colon - p) == strlen(keep[i]) && !strncasecmp(p, keep[i], strlen(keep[i]))) {
				if (!put(out, cap, &len, p, (size_t)(eol + 1 - p)))
					return -ENOSPC;
				break;
			}
		p = eol + 1;
	}
	return tail(o, now, cache_status, close, http10, out, cap, len);
}
