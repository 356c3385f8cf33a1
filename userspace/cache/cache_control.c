// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Cache-Control directive parsing (RFC 9111 5.2, RFC 5861) for requests and responses. */
#include <string.h>
#include <strings.h>

#include "cache/cache.h"

void cache_cc_init(struct cache_cc *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->max_age = cc->s_maxage = cc->max_stale = cc->min_fresh = -1;
	cc->swr = cc->sie = -1;
}

/* delta() - delta-seconds, quoted or not; too large saturates at 2^31 (RFC 9111 1.2.2). -1 if malformed. */
static int64_t delta(const char *v, size_t len)
{
	int64_t n = 0;

	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	if (!len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (n < 2147483648LL)
			n = n * 10 + (v[i] - '0');
	}
	return n > 2147483648LL ? 2147483648LL : n;
}

static bool is(const char *name, size_t nlen, const char *lit)
{
	return strlen(lit) == nlen && !strncasecmp(name, lit, nlen);
}

void cache_cc_parse(struct cache_cc *cc, const char *v, size_t len)
{
	const char *end = v + len;

	while (v < end) {
		const char *name, *val = NULL;
		size_t nlen, vlen = 0;

		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		name = v;
		while (v < end && *v != '=' && *v != ',' && *v != ' ' && *v != '\t')
			v++;
		nlen = (size_t)(v - name);
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v < end && *v == '=') {
			v++;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			val = v;
			if (v < end && *v == '"') {
				/* a quoted string may hold commas (no-cache="a, b") */
				for (v++; v < end && *v != '"'; v++)
					if (*v == '\\' && v + 1 < end)
						v++;
				if (v < end)
					v++;
			} else {
				while (v < end && *v != ',' && *v != ' ' && *v != '\t')
					v++;
			}
			vlen = (size_t)(v - val);
		}
		while (v < end && *v != ',')
			v++;
		if (!nlen)
			continue;
		if (is(name, nlen, "no-store"))
			cc->flags |= CC_NO_STORE;
		else if (is(name, nlen, "no-cache"))
			cc->flags |= CC_NO_CACHE;
		else if (is(name, nlen, "private"))
			cc->flags |= CC_PRIVATE;
		else if (is(name, nlen, "public"))
			cc->flags |= CC_PUBLIC;
		else if (is(name, nlen, "must-revalidate"))
			cc->flags |= CC_MUST_REVALIDATE;
		else if (is(name, nlen, "proxy-revalidate"))
			cc->flags |= CC_PROXY_REVALIDATE;
		else if (is(name, nlen, "only-if-cached"))
			cc->flags |= CC_ONLY_IF_CACHED;
		else if (is(name, nlen, "immutable"))
			cc->flags |= CC_IMMUTABLE;
		else if (is(name, nlen, "no-transform"))
			cc->flags |= CC_NO_TRANSFORM;
		else if (is(name, nlen, "max-stale")) {
			int64_t d = val ? delta(val, vlen) : -1;

			if (d < 0)
				cc->flags |= CC_MAX_STALE_ANY;
			else if (cc->max_stale < 0 || d > cc->max_stale)
				cc->max_stale = d;
		} else {
			/* A malformed or duplicated value: the most conservative reading wins (the smallest). */
			int64_t *dst = NULL, d;

			if (is(name, nlen, "max-age"))
				dst = &cc->max_age;
			else if (is(name, nlen, "s-maxage"))
				dst = &cc->s_maxage;
			else if (is(name, nlen, "min-fresh"))
				dst = &cc->min_fresh;
			else if (is(name, nlen, "stale-while-revalidate"))
				dst = &cc->swr;
			else if (is(name, nlen, "stale-if-error"))
				dst = &cc->sie;
			if (!dst || !val)
				continue;
			d = delta(val, vlen);
			if (d < 0)
				d = dst == &cc->min_fresh ? 2147483648LL : 0;   /* invalid: treat as stale / never fresh enough */
			if (*dst < 0 || d < *dst)
				*dst = d;
		}
	}
}

void cache_cc_from_msg(struct cache_cc *cc, const struct http_msg *m, bool request)
{
	bool seen = false;

	cache_cc_init(cc);
	for (int i = 0; i < m->n_hdr; i++) {
		if (m->hdr[i].name_len != 13 || strncasecmp(http_name(m, i), "cache-control", 13))
			continue;
		cache_cc_parse(cc, http_value(m, i), m->hdr[i].value_len);
		seen = true;
	}
	if (!request || seen)
		return;
	for (int i = 0; i < m->n_hdr; i++)
		if (m->hdr[i].name_len == 6 && !strncasecmp(http_name(m, i), "pragma", 6) &&
		    strcasestr(http_value(m, i), "no-cache"))
			cc->flags |= CC_NO_CACHE;
}
