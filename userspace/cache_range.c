// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Byte ranges of a stored response (RFC 9110 14): which one a request selects, and the 206 / 416 heads. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "cache.h"

static const char *skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* digits() - a decimal number at *p (advanced past it). false for none, or one past 2^63. */
static bool digits(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;

	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		if (*v > (UINT64_C(1) << 62) / 5)
			return false;
		*v = *v * 10 + (uint64_t)(**p - '0');
		(*p)++;
	}
	return *p > s;
}

/* if_range_ok() - does If-Range @v still name @o? A strong entity-tag, or exactly its Last-Modified (RFC 9110 13.1.5). */
static bool if_range_ok(const struct cache_obj *o, const char *v, size_t len)
{
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	if (len && (*v == '"' || (len > 1 && v[0] == 'W' && v[1] == '/')))
		return v[0] == '"' && o->etag && o->etag[0] == '"' && strlen(o->etag) == len && !memcmp(o->etag, v, len);
	return o->last_modified && strlen(o->last_modified) == len && !memcmp(o->last_modified, v, len);
}

enum cache_range cache_range_pick(const struct cache_req *r, const struct cache_obj *o, uint64_t len,
				  uint64_t *first, uint64_t *last)
{
	const char *p, *end;
	uint64_t a, b;

	if (!r->range || r->is_head || o->status != 200)
		return CACHE_RANGE_NONE;
	p = r->range;
	end = p + r->range_len;
	if (r->if_range && !if_range_ok(o, r->if_range, r->if_range_len))
		return CACHE_RANGE_NONE;
	p = skip_ows(p, end);
	if (end - p < 6 || strncasecmp(p, "bytes=", 6))
		return CACHE_RANGE_NONE;   /* another unit: ignored */
	p = skip_ows(p + 6, end);
	if (p < end && *p == '-') {
		p++;
		if (!digits(&p, end, &b))
			return CACHE_RANGE_NONE;
		if (!b || !len)
			goto check_end_unsat;
		a = b >= len ? 0 : len - b;
		b = len - 1;
	} else {
		if (!digits(&p, end, &a) || p == end || *p != '-')
			return CACHE_RANGE_NONE;
		p++;
		if (p < end && *p >= '0' && *p <= '9') {
			if (!digits(&p, end, &b) || b < a)
				return CACHE_RANGE_NONE;   /* invalid: ignored */
		} else {
			b = UINT64_MAX;
		}
		if (a >= len)
			goto check_end_unsat;
		if (b >= len)
			b = len - 1;
	}
	/* several ranges are answered with the whole response (a server may ignore Range) */
	if (skip_ows(p, end) != end)
		return CACHE_RANGE_NONE;
	*first = a;
	*last = b;
	return CACHE_RANGE_OK;

check_end_unsat:
	return skip_ows(p, end) == end ? CACHE_RANGE_UNSAT : CACHE_RANGE_NONE;
}

/* put() - bounded append; false once @out is full. */
static bool put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n > cap)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	return true;
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
	const char *p = memchr(o->head, '\n', o->head_len), *end = o->head + o->head_len;
	size_t len = 0;
	long n;

	static const char s206[] = "HTTP/1.1 206 Partial Content\r\n", s416[] = "HTTP/1.1 416 Range Not Satisfiable\r\n";

	if (!put(out, cap, &len, ok ? s206 : s416, ok ? sizeof(s206) - 1 : sizeof(s416) - 1))
		return -ENOSPC;
	/* the stored fields, but its Content-Length (a 416 keeps only the validators and dates) */
	for (p = p ? p + 1 : end; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon = memchr(p, ':', (size_t)(end - p));
		size_t name;

		if (!eol)
			break;   /* every stored line ends with CRLF */
		name = colon && colon < eol ? (size_t)(colon - p) : 0;
		if (name && !(name == 14 && !strncasecmp(p, "content-length", 14)) &&
		    (ok || (name == 4 && !strncasecmp(p, "date", 4)) || (name == 4 && !strncasecmp(p, "etag", 4)) ||
		     (name == 13 && !strncasecmp(p, "last-modified", 13))) &&
		    !put(out, cap, &len, p, (size_t)(eol + 1 - p)))
			return -ENOSPC;
		p = eol + 1;
	}
	if (!content_range(out, cap, &len, ok, first, last, total))
		return -ENOSPC;
	n = cache_hit_tail(o, now, cache_status, close, http10, out + len, cap - len);
	return n < 0 ? n : (long)len + n;
}
