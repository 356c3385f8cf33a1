// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* L7 balancers: distributions against weights, hash stability, down/drained/excluded servers, slow start, load awareness. */
#include <stdlib.h>
#include <string.h>

#include "l7/balance.h"
#include "../tap.h"

#define MAXS 16

static struct cfg_server servers[MAXS];

/* An upstream of @n servers 127.0.0.1:9001.. with @weights (NULL: all 1). */
static struct cfg_upstream mkup(enum cfg_balance alg, size_t n, const uint32_t *weights, uint32_t slow_ms)
{
	struct cfg_upstream up = { .name = "app", .balance = alg, .servers = servers, .n_servers = n,
				   .slow_start_ms = slow_ms };

	for (size_t i = 0; i < n; i++) {
		snprintf(servers[i].addr.text, sizeof(servers[i].addr.text), "127.0.0.1:%zu", 9001 + i);
		servers[i].weight = weights ? weights[i] : 1;
	}
	return up;
}

static void count(struct balancer *b, int picks, uint64_t now, int exclude, int *cnt, bool begin)
{
	for (int i = 0; i < picks; i++) {
		int s = balancer_pick(b, now, NULL, 0, exclude);

		if (s < 0) {
			cnt[MAXS]++;
			continue;
		}
		cnt[s]++;
		if (begin)
			balancer_begin(b, (size_t)s);
	}
}

/* Every share within @tol (fraction of its expected count) of weight / sum. */
static bool shares_ok(const int *cnt, const uint32_t *w, size_t n, int picks, double tol, double *worst)
{
	double sum = 0;

	*worst = 0;
	for (size_t i = 0; i < n; i++)
		sum += w[i];
	for (size_t i = 0; i < n; i++) {
		double want = picks * w[i] / sum, d = (cnt[i] - want) / want;

		if (d < 0)
			d = -d;
		if (d > *worst)
			*worst = d;
	}
	return *worst <= tol;
}

static void test_round_robin(void)
{
	uint32_t w[3] = { 5, 1, 1 };
	struct cfg_upstream up = mkup(CFG_BAL_ROUND_ROBIN, 3, w, 0);
	struct balancer *b = balancer_new(&up);
	int cnt[MAXS + 1] = { 0 }, seq[6];

	for (int i = 0; i < 6; i++)
		seq[i] = balancer_pick(b, 0, NULL, 0, -1);
	ok(seq[0] == 0 && seq[1] == 1 && seq[2] == 2 && seq[3] == 0 && seq[4] == 1 && seq[5] == 2,
	   "round_robin cycles 0 1 2 0 1 2, weights aside");
	count(b, 3000, 0, -1, cnt, false);
	ok(cnt[0] == 1000 && cnt[1] == 1000 && cnt[2] == 1000, "round_robin: exactly 1000 each of 3000");
	balancer_free(b);
}

static void test_weighted(void)
{
	uint32_t w[3] = { 5, 1, 1 }, w2[4] = { 100, 50, 10, 1 };
	struct cfg_upstream up = mkup(CFG_BAL_WEIGHTED, 3, w, 0);
	struct balancer *b = balancer_new(&up);
	int cnt[MAXS + 1] = { 0 }, seq[7], want[7] = { 0, 0, 1, 0, 2, 0, 0 };
	bool same = true;
	double worst;
	bool sh;

	for (int i = 0; i < 7; i++) {
		seq[i] = balancer_pick(b, 0, NULL, 0, -1);
		same &= seq[i] == want[i];
	}
	ok(same, "weighted 5/1/1: nginx's smooth order a a b a c a a");
	count(b, 7000, 0, -1, cnt, false);
	ok(cnt[0] == 5000 && cnt[1] == 1000 && cnt[2] == 1000, "weighted 5/1/1: exact shares over 7000");
	balancer_free(b);

	up = mkup(CFG_BAL_WEIGHTED, 4, w2, 0);
	b = balancer_new(&up);
	memset(cnt, 0, sizeof(cnt));
	count(b, 16100, 0, -1, cnt, false);
	sh = shares_ok(cnt, w2, 4, 16100, 0.0, &worst);
	ok(sh, "weighted 100/50/10/1: exact over one period (worst %.3f)", worst);
	balancer_free(b);
}

static void test_least_conn(void)
{
	uint32_t w[3] = { 1, 1, 1 }, w2[2] = { 2, 1 };
	struct cfg_upstream up = mkup(CFG_BAL_LEAST_CONN, 3, w, 0);
	struct balancer *b = balancer_new(&up);
	int cnt[MAXS + 1] = { 0 }, seq[4];
	double worst;
	bool sh;

	for (int i = 0; i < 5; i++)
		balancer_begin(b, 0);
	balancer_begin(b, 1);
	count(b, 1, 0, -1, cnt, false);
	ok(cnt[2] == 1, "least_conn picks the idle server (2 over 1 and 0)");
	balancer_end(b, 1);
	for (int i = 0; i < 4; i++)
		seq[i] = balancer_pick(b, 0, NULL, 0, -1);
	ok(seq[0] != 0 && seq[1] != 0 && seq[0] != seq[1] && seq[2] == seq[0] && seq[3] == seq[1],
	   "least_conn: ties between idle 1 and 2 alternate (%d %d %d %d)", seq[0], seq[1], seq[2], seq[3]);
	balancer_free(b);

	up = mkup(CFG_BAL_LEAST_CONN, 2, w2, 0);
	b = balancer_new(&up);
	memset(cnt, 0, sizeof(cnt));
	count(b, 3000, 0, -1, cnt, true);   /* nothing ends: in-flight settles at the weight ratio */
	sh = shares_ok(cnt, w2, 2, 3000, 0.01, &worst);
	ok(sh, "least_conn 2/1: in flight %d/%d (within 1%%)", cnt[0], cnt[1]);
	balancer_free(b);
}

static void test_p2c(void)
{
	uint32_t w[3] = { 1, 1, 1 }, w2[2] = { 3, 1 };
	struct cfg_upstream up = mkup(CFG_BAL_P2C, 3, w, 0);
	struct balancer *b = balancer_new(&up), *b2;
	int cnt[MAXS + 1] = { 0 }, seq1[50], seq2[50];
	double worst;
	bool sh;

	for (int i = 0; i < 100; i++)
		balancer_begin(b, 0);
	count(b, 1000, 0, -1, cnt, false);
	ok(cnt[0] == 0, "p2c never picks the loaded server when two idle ones exist (got it %d times)", cnt[0]);
	ok(cnt[1] > 400 && cnt[2] > 400, "p2c spreads over the idle two (%d/%d)", cnt[1], cnt[2]);
	balancer_free(b);

	up = mkup(CFG_BAL_P2C, 2, w2, 0);
	b = balancer_new(&up);
	memset(cnt, 0, sizeof(cnt));
	count(b, 4000, 0, -1, cnt, true);
	sh = shares_ok(cnt, w2, 2, 4000, 0.05, &worst);
	ok(sh, "p2c 3/1: in flight %d/%d (within 5%%)", cnt[0], cnt[1]);
	balancer_free(b);

	/* Random but reproducible: two balancers of the same upstream draw the same sequence. */
	up = mkup(CFG_BAL_P2C, 3, w, 0);
	b = balancer_new(&up);
	b2 = balancer_new(&up);
	for (int i = 0; i < 50; i++) {
		seq1[i] = balancer_pick(b, 0, NULL, 0, -1);
		seq2[i] = balancer_pick(b2, 0, NULL, 0, -1);
		balancer_begin(b, (size_t)seq1[i]);
		balancer_begin(b2, (size_t)seq2[i]);
	}
	ok(!memcmp(seq1, seq2, sizeof(seq1)), "p2c PRNG is seeded deterministically");
	balancer_free(b);
	balancer_free(b2);
}

static int hash_pick(struct balancer *b, unsigned int k, int exclude)
{
	char key[32];

	snprintf(key, sizeof(key), "user-%u", k);
	return balancer_pick(b, 0, key, strlen(key), exclude);
}

static void test_hash(void)
{
	enum { KEYS = 20000 };
	uint32_t w[11] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, w3[3] = { 3, 2, 1 };
	struct cfg_upstream up = mkup(CFG_BAL_HASH, 10, w, 0);
	struct balancer *b = balancer_new(&up), *b11;
	static int first[KEYS];
	int cnt[MAXS + 1] = { 0 }, moved = 0, bad = 0, stable = 1, to_new = 0;
	double worst;
	bool sh;

	for (unsigned int k = 0; k < KEYS; k++) {
		first[k] = hash_pick(b, k, -1);
		cnt[first[k]]++;
	}
	for (unsigned int k = 0; k < KEYS; k += 7)
		stable &= hash_pick(b, k, -1) == first[k];
	ok(stable, "hash: the same key gets the same server");
	sh = shares_ok(cnt, w, 10, KEYS, 0.10, &worst);
	ok(sh, "hash: 10 equal servers within 10%% (worst %.3f)", worst);

	up = mkup(CFG_BAL_HASH, 11, w, 0);
	b11 = balancer_new(&up);
	for (unsigned int k = 0; k < KEYS; k++) {
		int s = hash_pick(b11, k, -1);

		moved += s != first[k];
		to_new += s == 10;
		bad += s != first[k] && s != 10;
	}
	ok(moved < KEYS * 2 / 11, "hash: adding an 11th server moves %.1f%% of keys (< 2/N = 18.2%%)",
	   moved * 100.0 / KEYS);
	is_int(bad, 0, "... and every moved key went to the new server");
	balancer_free(b11);

	balancer_set_up(b, 3, false, 0);
	moved = bad = 0;
	for (unsigned int k = 0; k < KEYS; k++) {
		int s = hash_pick(b, k, -1);

		bad += s == 3;
		moved += first[k] != 3 && s != first[k];
	}
	ok(!bad && !moved, "hash: a down server is skipped, nobody else's keys move");
	balancer_set_up(b, 3, true, 0);
	balancer_set_weight(b, 5, 0);
	bad = 0;
	for (unsigned int k = 0; k < KEYS; k++)
		bad += hash_pick(b, k, -1) == 5;
	ok(!bad, "hash: a drained server is skipped");
	balancer_set_weight(b, 5, 1);
	bad = 0;
	for (unsigned int k = 0; k < KEYS; k++) {
		int s = hash_pick(b, k, first[k]);

		bad += s == first[k] || s < 0;
	}
	ok(!bad, "hash: exclude sends a retry elsewhere");
	ok(balancer_pick(b, 0, NULL, 0, -1) >= 0, "hash without a key falls back to round robin");
	balancer_free(b);

	up = mkup(CFG_BAL_HASH, 3, w3, 0);
	b = balancer_new(&up);
	memset(cnt, 0, sizeof(cnt));
	for (unsigned int k = 0; k < KEYS; k++)
		cnt[hash_pick(b, k, -1)]++;
	sh = shares_ok(cnt, w3, 3, KEYS, 0.05, &worst);
	ok(sh, "hash 3/2/1: shares within 5%% (%d/%d/%d)", cnt[0], cnt[1], cnt[2]);
	balancer_free(b);
}

/* Down, drained and excluded servers are never picked, by any algorithm. */
static void test_never_picked(void)
{
	static const char *const names[] = { "round_robin", "weighted", "least_conn", "hash", "p2c" };

	for (int alg = CFG_BAL_ROUND_ROBIN; alg <= CFG_BAL_P2C; alg++) {
		uint32_t w[4] = { 1, 2, 3, 4 };
		struct cfg_upstream up = mkup((enum cfg_balance)alg, 4, w, 0);
		struct balancer *b = balancer_new(&up);
		int cnt[MAXS + 1] = { 0 }, cnt2[MAXS + 1] = { 0 };

		balancer_set_up(b, 1, false, 0);
		balancer_set_weight(b, 3, 0);
		for (unsigned int k = 0; k < 2000; k++) {
			int s = alg == CFG_BAL_HASH ? hash_pick(b, k, 2) : balancer_pick(b, 0, NULL, 0, 2);

			cnt[s < 0 ? MAXS : s]++;
		}
		ok(cnt[0] == 2000, "%s: down (1), drained (3) and excluded (2) never picked", names[alg]);
		balancer_set_up(b, 0, false, 0);
		count(b, 10, 0, -1, cnt2, false);
		ok(cnt2[2] == 10, "%s: the excluded one is fine when not excluded", names[alg]);
		ok(balancer_pick(b, 0, "k", 1, 2) == -1, "%s: -1 when nothing else is up", names[alg]);
		balancer_free(b);
	}
}

/* balancer_pick_any(): every server down, each algorithm still picks among them (never a drained one). */
static void test_pick_any(void)
{
	static const char *const names[] = { "round_robin", "weighted", "least_conn", "hash", "p2c" };

	for (int alg = CFG_BAL_ROUND_ROBIN; alg <= CFG_BAL_P2C; alg++) {
		uint32_t w[3] = { 1, 1, 1 };
		struct cfg_upstream up = mkup((enum cfg_balance)alg, 3, w, 0);
		struct balancer *b = balancer_new(&up);
		int cnt[MAXS + 1] = { 0 };

		for (size_t i = 0; i < 3; i++)
			balancer_set_up(b, i, false, 0);
		balancer_set_weight(b, 2, 0);
		ok(balancer_pick(b, 0, "k", 1, -1) == -1, "%s: every server down: balancer_pick() -1", names[alg]);
		for (int k = 0; k < 200; k++) {
			char key[8];
			int s;

			snprintf(key, sizeof(key), "k%d", k);
			s = balancer_pick_any(b, 0, key, strlen(key), -1);
			cnt[s < 0 ? MAXS : s]++;
		}
		ok(cnt[0] > 0 && cnt[1] > 0 && cnt[0] + cnt[1] == 200,
		   "%s: balancer_pick_any() spreads over the down servers, never the drained one (%d/%d/%d)",
		   names[alg], cnt[0], cnt[1], cnt[2]);
		ok(balancer_pick_any(b, 0, "k", 1, 0) == 1, "%s: ... and avoids the excluded one", names[alg]);
		ok(balancer_pick(b, 0, "k", 1, -1) == -1, "%s: ... and leaves the servers down", names[alg]);
		balancer_set_weight(b, 0, 0);
		balancer_set_weight(b, 1, 0);
		ok(balancer_pick_any(b, 0, "k", 1, -1) == -1, "%s: every server drained: -1", names[alg]);
		balancer_free(b);
	}
}

static void test_slow_start(void)
{
	uint32_t w[2] = { 1, 1 };
	struct cfg_upstream up = mkup(CFG_BAL_WEIGHTED, 2, w, 10000);
	struct balancer *b = balancer_new(&up);
	int cnt[MAXS + 1] = { 0 };
	double share;

	count(b, 1000, 0, -1, cnt, false);
	ok(cnt[1] == 500, "initial servers start at full weight (no ramp at startup)");
	balancer_set_up(b, 1, false, 1000);
	balancer_set_up(b, 1, true, 1000);
	memset(cnt, 0, sizeof(cnt));
	count(b, 1100, 1000, -1, cnt, false);
	share = cnt[1] / 1100.0;
	ok(share > 0.08 && share < 0.10, "just up: ~1/10 weight, share %.3f (want 0.091)", share);
	memset(cnt, 0, sizeof(cnt));
	count(b, 1550, 6000, -1, cnt, false);
	share = cnt[1] / 1550.0;
	ok(share > 0.34 && share < 0.37, "half way: 0.55 weight, share %.3f (want 0.355)", share);
	memset(cnt, 0, sizeof(cnt));
	count(b, 1000, 11000, -1, cnt, false);
	ok(cnt[1] == 500, "after slow_start_ms: full weight (%d/1000)", cnt[1]);
	balancer_free(b);
}

int main(void)
{
	struct cfg_upstream empty = { .name = "none" };
	struct balancer *b = balancer_new(&empty);

	ok(b && balancer_pick(b, 0, NULL, 0, -1) == -1, "no servers: -1");
	balancer_end(b, 0);
	balancer_set_weight(b, 7, 1);
	balancer_free(b);
	test_round_robin();
	test_weighted();
	test_least_conn();
	test_p2c();
	test_hash();
	test_never_picked();
	test_pick_any();
	test_slow_start();
	return done_testing();
}
