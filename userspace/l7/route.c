// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Request routing: compiled route tables and the per-request match. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "l7/route.h"

static char *dup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

int route_table_build(struct route_table *t, const struct cfg_listener *l)
{
	int err = 0;

	t->n = 0;
	t->r = calloc(l->n_routes ? l->n_routes : 1, sizeof(*t->r));
	if (!t->r)
		return -ENOMEM;
	for (size_t i = 0; i < l->n_routes; i++) {
		const struct cfg_route *cr = &l->routes[i];
		struct route *r = &t->r[i];
		uint32_t sum = 0;

		t->n++;
		r->host = dup_or_null(cr->match.host, &err);
		for (char *p = r->host; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		r->path_prefix = dup_or_null(cr->match.path_prefix, &err);
		r->path_len = r->path_prefix ? strlen(r->path_prefix) : 0;
		r->header_name = dup_or_null(cr->match.header_name, &err);
		r->header_value = dup_or_null(cr->match.header_value, &err);
		r->log_body_sample = cr->log_body_sample;
		r->splits = calloc(cr->n_splits ? cr->n_splits : 1, sizeof(*r->splits));
		if (!r->splits || err) {
			route_table_free(t);
			return -ENOMEM;
		}
		for (size_t s = 0; s < cr->n_splits; s++) {
			sum += cr->splits[s].weight;
			r->splits[s].upstream = cr->splits[s].upstream_idx;
			r->splits[s].upto = sum;
		}
		r->n_splits = cr->n_splits;
		r->total = sum;
	}
	return 0;
}

void route_table_free(struct route_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->r[i].host);
		free(t->r[i].path_prefix);
		free(t->r[i].header_name);
		free(t->r[i].header_value);
		free(t->r[i].splits);
	}
	free(t->r);
	t->r = NULL;
	t->n = 0;
}

const char *route_path(const char *target, size_t *len)
{
	const char *p = target;

	if (!strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8)) {
		p = strchr(p, ':') + 3;
		p += strcspn(p, "/?");
		*len -= (size_t)(p - target);
		if (!*len || *p == '?')
			return "/";   /* "http://host" means "/" */
	}
	return p;
}

/* host_matches() - Host header @h (any case, maybe with :port, maybe [v6]:port) equals @want. */
static bool host_matches(const char *h, size_t hlen, const char *want)
{
	size_t n = hlen;

	if (h[0] == '[') {
		const char *e = memchr(h, ']', hlen);

		n = e ? (size_t)(e - h) + 1 : hlen;
	} else {
		const char *c = memchr(h, ':', hlen);

		if (c)
			n = (size_t)(c - h);
	}
	if (n && h[n - 1] == '.')   /* a fully qualified "example.com." is the same host */
		n--;
	return strlen(want) == n && !strncasecmp(h, want, n);
}

const struct route *route_match(const struct route_table *t, const struct http_msg *m)
{
	int hi = -1;
	size_t plen = m->target_len;
	const char *path = NULL;

	for (size_t i = 0; i < t->n; i++) {
		const struct route *r = &t->r[i];

		if (r->host) {
			if (hi < 0 && (hi = http_find(m, "host")) < 0)
				continue;
			if (!host_matches(http_value(m, hi), m->hdr[hi].value_len, r->host))
				continue;
		}
		if (r->path_prefix) {
			if (!path) {
				plen = m->target_len;
				path = route_path(http_target(m), &plen);
			}
			/* The target is NUL-terminated, so strncmp stops at its end. */
			if (strncmp(path, r->path_prefix, r->path_len))
				continue;
		}
		if (r->header_name) {
			bool found = false;
			size_t nl = strlen(r->header_name), vl = r->header_value ? strlen(r->header_value) : 0;

			for (int h = 0; h < m->n_hdr && !found; h++)
				found = m->hdr[h].name_len == nl &&
					!strncasecmp(http_name(m, h), r->header_name, nl) &&
					(!r->header_value || (m->hdr[h].value_len == vl &&
					 !memcmp(http_value(m, h), r->header_value, vl)));
			if (!found)
				continue;
		}
		return r;
	}
	return NULL;
}
