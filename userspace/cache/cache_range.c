// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Byte ranges of a stored response (RFC 9110 14): which one a request selects (the heads are cache.c's). */
#include <string.h>
#include <strings.h>

#include "cache/cache.h"

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
