/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Request routing: the first route whose host, path prefix and header all match picks the upstream. */
#ifndef SLUICE_ROUTE_H
#define SLUICE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "http/http_msg.h"

struct route_split {
	size_t upstream;        /* index into cfg l7.upstreams */
	uint32_t upto;          /* cumulative weight: pick the first split with rnd % total < upto */
};

struct route {
	char *host;             /* lower case; NULL = any */
	char *path_prefix;
	size_t path_len;
	char *header_name;
	char *header_value;
	struct route_split *splits;
	size_t n_splits;
	uint32_t total;         /* sum of split weights */
	uint32_t log_body_sample;
};

struct route_table {
	struct route *r;
	size_t n;
};

/* route_table_build() - copy @l's routes (the table outlives the config). 0 or -ENOMEM. */
int route_table_build(struct route_table *t, const struct cfg_listener *l);

void route_table_free(struct route_table *t);

/* route_match() - the first route matching request @m, or NULL (a 404). */
const struct route *route_match(const struct route_table *t, const struct http_msg *m);

/* route_upstream() - the upstream a matched route sends to, given a uniform random @rnd. */
static inline size_t route_upstream(const struct route *r, uint32_t rnd)
{
	uint32_t x;

	if (r->n_splits == 1 || !r->total)
		return r->splits[0].upstream;
	x = rnd % r->total;
	for (size_t i = 0; i < r->n_splits; i++)
		if (x < r->splits[i].upto)
			return r->splits[i].upstream;
	return r->splits[r->n_splits - 1].upstream;
}

/* route_path() - the path of a request target (origin-form as is, absolute-form without scheme and authority). */
const char *route_path(const char *target, size_t *len);

#endif
