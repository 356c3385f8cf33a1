// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* What a request asks of the cache, conditional requests, and the heads a hit is sent with (304, 206, 416 included). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cache/cache.h"
#include "lib/fmt.h"

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
	size_t len = 0;

	if (v < 0)
		out[len++] = '-';
	return len + fmt_u64(out + len, v < 0 ? -(uint64_t)v : (uint64_t)v);
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

/* field predicates for copy_fields(): which stored lines a head of its own carries */
static bool name_in(const char *p, size_t n, const char *const *names, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (n == strlen(names[i]) && !strncasecmp(p, names[i], n))
			return true;
	return false;
}

static bool for_304(const char *p, size_t n)
{
	static const char *const keep[] = { "cache-control", "content-location", "date", "etag", "expires",
					    "vary", "last-modified" };

	return name_in(p, n, keep, sizeof(keep) / sizeof(keep[0]));
}

static bool for_206(const char *p, size_t n)
{
	return !(n == 14 && !strncasecmp(p, "content-length", 14));
}

static bool for_416(const char *p, size_t n)
{
	static const char *const keep[] = { "date", "etag", "last-modified" };

	return name_in(p, n, keep, sizeof(keep) / sizeof(keep[0]));
}

/* copy_fields() - append @o's stored header lines (not its status line) whose name @want takes. false when full. */
static bool copy_fields(const struct cache_obj *o, bool (*want)(const char *p, size_t n), char *out, size_t cap,
			size_t *len)
{
	const char *p = memchr(o->head, '\n', o->head_len), *end = o->head + o->head_len;

	for (p = p ? p + 1 : end; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon = memchr(p, ':', (size_t)(end - p));

		if (!eol || !colon)
			break;   /* every stored line is "Name: value" and ends with CRLF */
		if (colon < eol && want(p, (size_t)(colon - p)) && !put(out, cap, len, p, (size_t)(eol + 1 - p)))
			return false;
		p = eol + 1;
	}
	return true;
}

long cache_304_head(const struct cache_obj *o, int64_t now, const char *cache_status, bool close, bool http10,
		    char *out, size_t cap)
{
	size_t len = 0;

	if (!put(out, cap, &len, "HTTP/1.1 304 Not Modified\r\n", 27) || !copy_fields(o, for_304, out, cap, &len))
		return -ENOSPC;
	return tail(o, now, cache_status, close, http10, out, cap, len);
}

/* content_range() - "Content-Range: bytes A-B/LEN\r\nContent-Length: N\r\n", or "bytes *\/LEN" when !ok. */
static bool content_range(char *out, size_t cap, size_t *len, bool ok, uint64_t first, uint64_t last, uint64_t total)
{
	char v[128];
	size_t n = 0;

	memcpy(v, "Content-Range: bytes ", 21);
	n = 21;
	if (ok) {
		n += cache_fmt_i64(v + n, (int64_t)first);
		v[n++] = '-';
		n += cache_fmt_i64(v + n, (int64_t)last);
	} else {
		v[n++] = '*';
	}
	v[n++] = '/';
	n += cache_fmt_i64(v + n, (int64_t)total);
	memcpy(v + n, "\r\nContent-Length: ", 18);
	n += 18;
	n += cache_fmt_i64(v + n, ok ? (int64_t)(last - first + 1) : 0);
	v[n++] = '\r';
	v[n++] = '\n';
	return put(out, cap, len, v, n);
}

long cache_range_head(const struct cache_obj *o, bool ok, uint64_t first, uint64_t last, uint64_t total,
		      int64_t now, const char *cache_status, bool close, bool http10, char *out, size_t cap)
{
	static const char s206[] = "HTTP/1.1 206 Partial Content\r\n", s416[] = "HTTP/1.1 416 Range Not Satisfiable\r\n";
	size_t len = 0;

	/* a 206 carries the stored fields but their Content-Length, a 416 only the validators and Date */
	if (!put(out, cap, &len, ok ? s206 : s416, ok ? sizeof(s206) - 1 : sizeof(s416) - 1) ||
	    !copy_fields(o, ok ? for_206 : for_416, out, cap, &len) ||
	    !content_range(out, cap, &len, ok, first, last, total))
		return -ENOSPC;
	return tail(o, now, cache_status, close, http10, out, cap, len);
}
