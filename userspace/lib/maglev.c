// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Weighted Maglev table construction (Eisenbud et al., NSDI'16, with Katran's weighted turn-taking). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/maglev.h"

bool maglev_is_prime(uint32_t m)
{
	if (m < 2)
		return false;
	if (m % 2 == 0)
		return m == 2;
	for (uint32_t d = 3; (uint64_t)d * d <= m; d += 2)
		if (m % d == 0)
			return false;
	return true;
}

static uint64_t maglev_mix(uint64_t x)
{
	/* splitmix64's finaliser: every input bit reaches every output bit. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t maglev_hash64(const void *key, size_t len, uint64_t seed)
{
	const unsigned char *p = key;
	uint64_t h = maglev_mix(seed ^ 0x9e3779b97f4a7c15ULL ^ (uint64_t)len);

	/* Words are read little-endian whatever the CPU, so mixed fleets build the same tables. */
	while (len >= 8) {
		uint64_t w = 0;

		for (size_t i = 0; i < 8; i++)
			w |= (uint64_t)p[i] << (8 * i);
		h = maglev_mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t w = 0;

		for (size_t i = 0; i < len; i++)
			w |= (uint64_t)p[i] << (8 * i);
		h = maglev_mix(h ^ w ^ 0xff51afd7ed558ccdULL);
	}
	return maglev_mix(h);
}

/* Per-backend walk state, kept in the canonical (sorted) order. */
struct maglev_walk {
	const struct maglev_backend *be;
	uint32_t idx;        /* index into the caller's array */
	uint32_t weight;
	uint32_t next;       /* next slot of this backend's permutation to try */
	uint32_t skip;
	uint64_t credit;     /* weighted turn-taking: a turn is earned each max_weight */
};

/* The canonical order is by key bytes (then weight), so the caller's order never matters. */
static int maglev_cmp(const void *a, const void *b)
{
	const struct maglev_backend *x = ((const struct maglev_walk *)a)->be;
	const struct maglev_backend *y = ((const struct maglev_walk *)b)->be;
	size_t l = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = l ? memcmp(x->key, y->key, l) : 0;

	if (c)
		return c;
	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	return 0;
}

int maglev_build(const struct maglev_backend *b, size_t n, uint32_t seed, uint32_t *table, uint32_t m)
{
	struct maglev_walk *w;
	uint32_t max_weight = 0, filled = 0;
	size_t live = 0;

	if (!maglev_is_prime(m) || n > m)
		return -EINVAL;
	for (uint32_t i = 0; i < m; i++)
		table[i] = UINT32_MAX;
	for (size_t i = 0; i < n; i++)
		if (b[i].weight > max_weight)
			max_weight = b[i].weight;
	if (!max_weight)
		return -ENOENT;

	w = calloc(n, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!b[i].weight)
			continue;
		w[live].be = &b[i];
		w[live].idx = (uint32_t)i;
		w[live].weight = b[i].weight;
		live++;
	}
	qsort(w, live, sizeof(*w), maglev_cmp);

	for (size_t i = 0; i < live; i++) {
		const struct maglev_backend *be = w[i].be;

		w[i].next = (uint32_t)(maglev_hash64(be->key, be->key_len, seed) % m);
		w[i].skip = (uint32_t)(maglev_hash64(be->key, be->key_len, (uint64_t)seed << 32 | 0x5bd1e995U) % (m - 1)) + 1;
	}

	/*
	 * Round robin over the backends; each earns its weight in credit per
	 * round and claims a slot for every max_weight it holds, so over the
	 * fill a backend's share tends to weight / sum(weights). Claiming walks
	 * the backend's own permutation (offset + j * skip mod m, a full cycle
	 * since m is prime) to its first free slot: that private order is what
	 * keeps other backends' slots in place when one is added or removed.
	 */
	while (filled < m) {
		for (size_t i = 0; i < live && filled < m; i++) {
			struct maglev_walk *x = &w[i];
			uint64_t c;   /* 64-bit: c + skip may pass 2^32 for large m */

			x->credit += x->weight;
			if (x->credit < max_weight)
				continue;
			x->credit -= max_weight;
			c = x->next;
			while (table[c] != UINT32_MAX) {
				c += x->skip;
				if (c >= m)
					c -= m;
			}
			table[c] = x->idx;
			c += x->skip;
			x->next = (uint32_t)(c >= m ? c - m : c);
			filled++;
		}
	}
	free(w);
	return 0;
}
