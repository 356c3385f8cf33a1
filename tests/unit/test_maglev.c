// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Weighted Maglev: balance, weights, minimal disruption, order independence, determinism, errors. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lib/maglev.h"
#include "../tap.h"

#define M 65537U

/* Backend keys are IPv4 addresses from 198.18.0.0/15, as the control plane would pass them. */
static void key_of(unsigned int i, unsigned char k[4])
{
	k[0] = 198;
	k[1] = 18 + (i >> 16 & 1);
	k[2] = i >> 8 & 0xff;
	k[3] = i & 0xff;
}

static struct maglev_backend *mk(size_t n, unsigned char (*keys)[4], uint32_t weight)
{
	struct maglev_backend *b = calloc(n, sizeof(*b));

	for (size_t i = 0; i < n; i++) {
		key_of((unsigned int)i + 1, keys[i]);
		b[i] = (struct maglev_backend){ keys[i], 4, weight };
	}
	return b;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Largest relative deviation of a backend's slot count from its weight share,
 * forgiving one slot of rounding (a weight-1 backend next to a weight-1000 one
 * is owed 64.8 slots; 64 is as close as whole slots get).
 */
static double worst_dev(const uint32_t *t, const struct maglev_backend *b, size_t n)
{
	size_t *cnt = calloc(n, sizeof(*cnt));
	double sum = 0, worst = 0;

	for (uint32_t i = 0; i < M; i++)
		cnt[t[i]]++;
	for (size_t i = 0; i < n; i++)
		sum += b[i].weight;
	for (size_t i = 0; i < n; i++) {
		double want = M * b[i].weight / sum;
		double d = cnt[i] - want;

		if (d < 0)
			d = -d;
		d = d <= 1 ? 0 : d / want;
		if (d > worst)
			worst = d;
	}
	free(cnt);
	return worst;
}

static void test_balance(size_t n)
{
	unsigned char (*keys)[4] = calloc(n, 4);
	struct maglev_backend *b = mk(n, keys, 1);
	uint32_t *t = malloc(M * sizeof(*t));
	double dev;

	is_int(maglev_build(b, n, 0, t, M), 0, "N=%zu builds", n);
	dev = worst_dev(t, b, n);
	ok(dev < 0.01, "N=%zu equal weights: worst share off by %.4f%% (< 1%%)", n, dev * 100);
	free(t);
	free(b);
	free(keys);
}

static void test_weights(void)
{
	unsigned char keys[3][4];
	struct maglev_backend *b = mk(3, keys, 100);
	uint32_t *t = malloc(M * sizeof(*t));
	double dev;

	b[1].weight = 50;
	b[2].weight = 0;
	is_int(maglev_build(b, 3, 7, t, M), 0, "100/50/0 builds");
	dev = worst_dev(t, b, 2);
	ok(dev < 0.01, "100/50: shares within 1%% (worst %.4f%%)", dev * 100);
	{
		int zero = 0;

		for (uint32_t i = 0; i < M; i++)
			zero += t[i] == 2;
		is_int(zero, 0, "weight 0 gets no slots");
	}
	b[0].weight = 1000;
	b[1].weight = 1;
	b[2].weight = 10;
	maglev_build(b, 3, 7, t, M);
	dev = worst_dev(t, b, 3);
	ok(dev < 0.01, "1000/1/10: shares within 1%% or one slot (worst %.4f%%)", dev * 100);
	free(t);
	free(b);
}

/* Fraction of slots that moved from one surviving backend to another when backend @gone leaves. */
static void test_disruption(size_t n, size_t gone)
{
	unsigned char (*keys)[4] = calloc(n, 4);
	struct maglev_backend *b = mk(n, keys, 100), *b2 = calloc(n, sizeof(*b2));
	uint32_t *t1 = malloc(M * sizeof(*t1)), *t2 = malloc(M * sizeof(*t2));
	size_t moved = 0, kept_owner = 0;

	maglev_build(b, n, 1, t1, M);
	for (size_t i = 0, j = 0; i < n; i++)
		if (i != gone)
			b2[j++] = b[i];
	maglev_build(b2, n - 1, 1, t2, M);
	for (uint32_t s = 0; s < M; s++) {
		size_t old = t1[s], nw = t2[s] < gone ? t2[s] : t2[s] + 1;

		if (old == gone)
			continue;
		kept_owner++;
		moved += old != nw;
	}
	ok(moved * 100.0 / kept_owner < 2.0,
	   "N=%zu, one leaves: %.3f%% of the others' slots moved (< 2%%)", n, moved * 100.0 / kept_owner);
	free(t1);
	free(t2);
	free(b);
	free(b2);
	free(keys);
}

static uint64_t checksum(const uint32_t *t, uint32_t m)
{
	uint64_t h = 1469598103934665603ULL;

	for (uint32_t i = 0; i < m; i++) {
		h ^= t[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void test_order_and_determinism(void)
{
	enum { N = 50 };
	unsigned char keys[N][4];
	struct maglev_backend *b = mk(N, keys, 10), r[N];
	uint32_t *t1 = malloc(M * sizeof(*t1)), *t2 = malloc(M * sizeof(*t2));
	int same = 1;
	uint64_t sum;

	for (size_t i = 0; i < N; i++)
		b[i].weight = 1 + i % 7;
	for (size_t i = 0; i < N; i++)
		r[i] = b[N - 1 - i];
	maglev_build(b, N, 42, t1, M);
	maglev_build(r, N, 42, t2, M);
	for (uint32_t s = 0; s < M; s++)
		same &= t1[s] == N - 1 - t2[s];
	ok(same, "reversed input order gives the same backend in every slot");
	sum = checksum(t1, M);
	diag("table checksum %#llx", (unsigned long long)sum);
	/* Pinned: a change here moves flows on every deployed node; only change it on purpose. */
	ok(sum == 0x4a1836e9abd62356ULL, "pinned checksum of a 50-backend table (seed 42)");
	maglev_build(b, N, 43, t2, M);
	ok(checksum(t2, M) != sum, "another seed gives another table");
	free(t1);
	free(t2);
	free(b);
}

static void test_errors(void)
{
	unsigned char keys[3][4];
	struct maglev_backend *b = mk(3, keys, 0);
	uint32_t t[101];
	int all_max = 1;

	ok(maglev_is_prime(65537) && maglev_is_prime(2) && maglev_is_prime(1048573), "primes are prime");
	ok(!maglev_is_prime(0) && !maglev_is_prime(1) && !maglev_is_prime(65536) && !maglev_is_prime(4294967295U),
	   "non-primes are not");
	is_int(maglev_build(b, 3, 0, t, 100), -EINVAL, "m not prime -> -EINVAL");
	is_int(maglev_build(b, 3, 0, t, 2), -EINVAL, "n > m -> -EINVAL");
	is_int(maglev_build(b, 3, 0, t, 101), -ENOENT, "all weights 0 -> -ENOENT");
	for (int i = 0; i < 101; i++)
		all_max &= t[i] == UINT32_MAX;
	ok(all_max, "... and the table is all UINT32_MAX");
	is_int(maglev_build(NULL, 0, 0, t, 101), -ENOENT, "no backends -> -ENOENT");
	b[1].weight = 1;
	is_int(maglev_build(b, 3, 0, t, 3), 0, "tiny table builds");
	ok(t[0] == 1 && t[1] == 1 && t[2] == 1, "a single live backend owns every slot");
	free(b);
}

static void test_speed(void)
{
	enum { N = 100 };
	unsigned char keys[N][4];
	struct maglev_backend *b = mk(N, keys, 100);
	uint32_t *t = malloc(M * sizeof(*t));
	double t0, best = 1e9;

	for (int rep = 0; rep < 5; rep++) {
		t0 = now_ms();
		maglev_build(b, N, 0, t, M);
		if (now_ms() - t0 < best)
			best = now_ms() - t0;
	}
	diag("maglev_build(M=%u, N=%d): %.2f ms (best of 5)", M, N, best);
	ok(best < 100, "builds 65537 x 100 in %.2f ms", best);
	free(t);
	free(b);
}

int main(void)
{
	test_balance(3);
	test_balance(10);
	test_balance(100);
	test_weights();
	test_disruption(10, 3);
	test_disruption(100, 57);
	test_disruption(3, 0);
	test_order_and_determinism();
	test_errors();
	test_speed();
	return done_testing();
}
