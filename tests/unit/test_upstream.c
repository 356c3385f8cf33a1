// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* One worker's upstream state: what fail_on counts, the last server kept, picks when every server is out, pool sizing. */
#include <stdlib.h>
#include <string.h>

#include "l7/l7_int.h"
#include "l7/upstream.h"
#include "lib/log.h"
#include "../tap.h"

#define NSRV 3

static struct cfg cfg;
static struct cfg_upstream ucfg;
static struct cfg_server servers[NSRV];
static struct gen_server gsrv[NSRV], *gsrv_rows[1] = { gsrv };
static struct l7_gen gen;
static struct worker w;

/* A worker's state for one upstream of @n servers (round robin), max_fails 3, fail_timeout 10 s. */
static struct wgen *setup(size_t n, uint32_t fail_on)
{
	memset(&ucfg, 0, sizeof(ucfg));
	ucfg.name = "app";
	ucfg.servers = servers;
	ucfg.n_servers = n;
	ucfg.max_fails = 3;
	ucfg.fail_timeout_ms = 10000;
	ucfg.fail_on = fail_on;
	ucfg.keepalive = CFG_KEEPALIVE_AUTO;
	for (size_t i = 0; i < n; i++) {
		snprintf(servers[i].addr.text, sizeof(servers[i].addr.text), "127.0.0.1:%zu", 9001 + i);
		servers[i].weight = 1;
		atomic_store(&gsrv[i].weight, 1);
		atomic_store(&gsrv[i].health_up, true);
	}
	cfg.l7.upstreams = &ucfg;
	cfg.l7.n_upstreams = 1;
	gen.cfg = &cfg;
	gen.srv = gsrv_rows;
	atomic_store(&gen.refs, 2);   /* never freed: it lives in static storage */
	w.now_ms = 1000000;
	return wgen_new(&w, &gen);
}

static void fail_n(struct wserver *s, enum up_outcome o, int n)
{
	for (int i = 0; i < n; i++)
		upstream_outcome(&w, s, o);
}

static void test_fail_on(void)
{
	struct wgen *wg = setup(2, CFG_FAIL_CONNECT | CFG_FAIL_TIMEOUT);
	struct wserver *a = &wg->up[0].srv[0];

	fail_n(a, UP_5XX, 10);
	ok(!a->ejected_until && !a->fails, "default fail_on: ten 5xx in a row are no failures");
	fail_n(a, UP_ERROR, 2);
	upstream_outcome(&w, a, UP_5XX);
	fail_n(a, UP_TIMEOUT, 2);
	ok(!a->ejected_until, "a 5xx between failures starts the count over");
	upstream_outcome(&w, a, UP_ERROR);
	ok(a->ejected_until == w.now_ms + 10000, "errors and timeouts count: the third ejects for fail_timeout");
	upstream_result(&w, &wg->up[0].srv[1], false);
	ok(wg->up[0].srv[1].fails == 1, "upstream_result(false) is a connection error");
	wgen_put(&w, wg);

	wg = setup(2, CFG_FAIL_5XX);
	a = &wg->up[0].srv[0];
	fail_n(a, UP_ERROR, 5);
	ok(!a->ejected_until, "fail_on: [5xx]: connect errors do not count");
	fail_n(a, UP_5XX, 3);
	ok(a->ejected_until, "... 5xx do");
	wgen_put(&w, wg);
}

static void test_last_server(void)
{
	struct wgen *wg = setup(1, CFG_FAIL_CONNECT);
	struct wserver *a = &wg->up[0].srv[0], *b;

	fail_n(a, UP_ERROR, 10);
	ok(!a->ejected_until, "an upstream's only server is never ejected");
	is_int(atomic_load(&w.st_up_eject_skipped), 1, "... counted once for the run of failures");
	is_int(upstream_pick(&w, wg, 0, NULL, 0, -1), 0, "... and still picked");
	wgen_put(&w, wg);

	wg = setup(3, CFG_FAIL_CONNECT);
	a = &wg->up[0].srv[0];
	b = &wg->up[0].srv[1];
	atomic_store(&gsrv[2].health_up, false);   /* the third fails its health checks */
	wgen_sync(&w, wg);
	fail_n(a, UP_ERROR, 3);
	ok(a->ejected_until, "with a sibling available, a server is ejected");
	fail_n(b, UP_ERROR, 3);
	ok(!b->ejected_until, "the last server available (the others ejected or down) is kept");
	for (int i = 0; i < 4; i++)
		is_int(upstream_pick(&w, wg, 0, NULL, 0, -1), 1, "... and gets every request (%d)", i);
	is_int(atomic_load(&w.st_up_panic), 0, "no panic while one is available");
	atomic_store(&gsrv[2].health_up, true);
	wgen_sync(&w, wg);
	upstream_outcome(&w, b, UP_ERROR);
	ok(b->ejected_until, "once another is back, the next failure ejects it");
	wgen_put(&w, wg);
}

static void test_all_out(void)
{
	struct wgen *wg = setup(2, CFG_FAIL_CONNECT);
	uint64_t before = atomic_load(&w.st_up_panic);
	int cnt[2] = { 0, 0 };

	atomic_store(&gsrv[0].health_up, false);
	atomic_store(&gsrv[1].health_up, false);
	wgen_sync(&w, wg);
	for (int i = 0; i < 10; i++) {
		int s = upstream_pick(&w, wg, 0, NULL, 0, -1);

		if (s >= 0)
			cnt[s]++;
	}
	ok(cnt[0] == 5 && cnt[1] == 5, "every server down: requests still go to them (%d/%d)", cnt[0], cnt[1]);
	is_int(atomic_load(&w.st_up_panic) - before, 10, "... each counted");
	ok(wg->up[0].panic, "... the upstream is in panic");
	is_int(upstream_pick(&w, wg, 0, NULL, 0, 0), 1, "a retry avoids the server that failed");
	atomic_store(&gsrv[0].weight, 0);
	atomic_store(&gsrv[1].weight, 0);
	wgen_sync(&w, wg);
	is_int(upstream_pick(&w, wg, 0, NULL, 0, -1), -1, "every server drained: no pick (503)");
	atomic_store(&gsrv[0].weight, 1);
	atomic_store(&gsrv[1].weight, 1);
	atomic_store(&gsrv[1].health_up, true);
	wgen_sync(&w, wg);
	is_int(upstream_pick(&w, wg, 0, NULL, 0, -1), 1, "one back up: it is picked");
	ok(!wg->up[0].panic, "... and the panic is over");
	wgen_put(&w, wg);
}

/* The idle pool follows the recent peak of requests in flight (30 to 60 s), at most keepalive. */
static void test_pool_cap(void)
{
	struct wgen *wg = setup(1, CFG_FAIL_CONNECT);
	struct wserver *s = &wg->up[0].srv[0];
	uint64_t t0 = w.now_ms;

	is_int(upstream_pool_cap(s, t0), 0, "no request yet: no demand");
	s->peak_cur = 50;
	is_int(upstream_pool_cap(s, t0 + 1000), 50, "keeps as many as were in flight at once (50)");
	is_int(upstream_pool_cap(s, t0 + 31000), 50, "... still in the next period");
	s->peak_cur = 7;
	is_int(upstream_pool_cap(s, t0 + 40000), 50, "a quieter period: the last one's peak still holds");
	is_int(upstream_pool_cap(s, t0 + 62000), 7, "two periods on: only the recent peak (7)");
	is_int(upstream_pool_cap(s, t0 + 200000), 0, "a silent minute forgets it all");
	s->peak_cur = 5000;
	is_int(upstream_pool_cap(s, t0 + 200000), CFG_KEEPALIVE_AUTO, "bounded by keepalive (auto: %d)", CFG_KEEPALIVE_AUTO);
	ucfg.keepalive = 8;
	is_int(upstream_pool_cap(s, t0 + 200000), 8, "keepalive: 8 caps it");
	ucfg.keepalive = 0;
	is_int(upstream_pool_cap(s, t0 + 200000), 0, "keepalive: 0 pools nothing");
	wgen_put(&w, wg);
}

int main(void)
{
	log_set_level(LOG_LVL_ERR);
	test_fail_on();
	test_last_server();
	test_all_out();
	test_pool_cap();
	return done_testing();
}
