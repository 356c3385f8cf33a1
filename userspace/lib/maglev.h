/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Weighted Maglev consistent hashing: the lookup table an L4 VIP's ring map is filled from. */
#ifndef SLUICE_MAGLEV_H
#define SLUICE_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct maglev_backend {
	const void *key;      /* e.g. the backend's address bytes: what makes it the same backend */
	size_t key_len;
	uint32_t weight;      /* relative share of the table; 0 = no slots */
};

/* maglev_is_prime() - true when @m is prime (the table size must be). */
bool maglev_is_prime(uint32_t m);

/*
 * maglev_build() - fill @table[0..m-1] with indexes into @b (0..n-1), each
 * backend getting slots in proportion to its weight; weight 0 gets none.
 * Deterministic: a function of (keys, weights, seed, m) only, independent of
 * the order of @b, so every L4 node with the same config answers the same.
 * Returns 0; -EINVAL if m is not prime or n > m; -ENOMEM if scratch memory
 * could not be allocated; -ENOENT if every weight is 0 (table filled with UINT32_MAX).
 */
int maglev_build(const struct maglev_backend *b, size_t n, uint32_t seed, uint32_t *table, uint32_t m);

/* maglev_hash64() - the seeded hash maglev uses for offsets and skips; exposed for tests and the L7 hash balancer. */
uint64_t maglev_hash64(const void *key, size_t len, uint64_t seed);

#endif
