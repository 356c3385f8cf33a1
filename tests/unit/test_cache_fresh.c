// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Freshness and age (RFC 9111 4.2): HTTP dates, lifetime precedence, heuristic freshness, corrected age. */
#include <string.h>

#include "cache/cache.h"
#include "../tap.h"

static int64_t d(const char *s)
{
	return cache_http_date(s, strlen(s));
}

int main(void)
{
	struct cache_times t;
	struct cache_cc cc;
	bool heur;
	char buf[32];

	/* RFC 9110 5.6.7's three forms of one instant */
	is_int(d("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777, "IMF-fixdate");
	is_int(d("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777, "RFC 850 date");
	is_int(d("Sun Nov  6 08:49:37 1994"), 784111777, "asctime date");
	is_int(d("0"), -1, "\"0\" is not a date");
	is_int(d("Sun, 06 Nov 1994 08:49:37 PST"), -1, "only GMT");
	is_int(d("Sun, 32 Nov 1994 08:49:37 GMT"), -1, "day out of range");
	cache_fmt_date(784111777, buf);
	is_str(buf, "Sun, 06 Nov 1994 08:49:37 GMT", "formatted back");
	cache_fmt_date(1795000000, buf);
	is_int(d(buf), 1795000000, "format and parse round-trip");

	memset(&t, 0, sizeof(t));
	t.request_time = 1000;
	t.response_time = 1000;
	t.date = 1000;
	t.expires = -1;
	t.last_modified = -1;
	cache_cc_init(&cc);
	is_int(cache_freshness_lifetime(&cc, &t, 200, &heur), 0, "no freshness information: 0");
	cc.max_age = 60;
	is_int(cache_freshness_lifetime(&cc, &t, 200, &heur), 60, "max-age");
	cc.s_maxage = 10;
	is_int(cache_freshness_lifetime(&cc, &t, 200, &heur), 10, "s-maxage wins over max-age in a shared cache");
	cache_cc_init(&cc);
	t.expires = 1300;
	is_int(cache_freshness_lifetime(&cc, &t, 200, &heur), 300, "Expires - Date");
	cc.max_age = 5;
	is_int(cache_freshness_lifetime(&cc, &t, 200, &heur), 5, "max-age wins over Expires");
	cache_cc_init(&cc);
	t.expires = 0;
	is_int(cache_freshness_lifetime(&cc, &t, 200, &heur), 0, "an invalid Expires (stored as 0): stale");
	t.expires = -1;
	t.last_modified = 0;
	is_int(cache_freshness_lifetime(&cc, &t, 200, &heur), 100, "heuristic: 10%% of Date - Last-Modified");
	ok(heur, "... flagged heuristic");
	t.date = 10000000;
	t.response_time = 10000000;
	is_int(cache_freshness_lifetime(&cc, &t, 200, &heur), CACHE_HEURISTIC_MAX, "heuristic capped at a day");
	is_int(cache_freshness_lifetime(&cc, &t, 302, &heur), 0, "no heuristic for a 302");
	cc.flags |= CC_PUBLIC;
	is_int(cache_freshness_lifetime(&cc, &t, 302, &heur), CACHE_HEURISTIC_MAX, "... unless it is public");
	cc.flags = 0;
	is_int(cache_freshness_lifetime(&cc, &t, 404, &heur), CACHE_HEURISTIC_MAX, "404 is heuristically cacheable");
	ok(cache_status_heuristic(301) && cache_status_heuristic(410) && !cache_status_heuristic(206) &&
	   !cache_status_heuristic(500), "heuristically cacheable statuses");

	{
		char nb[24];

		nb[cache_fmt_i64(nb, 0)] = 0;
		is_str(nb, "0", "fmt 0");
		nb[cache_fmt_i64(nb, -42)] = 0;
		is_str(nb, "-42", "fmt -42");
		nb[cache_fmt_i64(nb, 2147483648LL)] = 0;
		is_str(nb, "2147483648", "fmt 2^31");
	}

	/* age: RFC 9111 4.2.3 */
	memset(&t, 0, sizeof(t));
	t.request_time = 1000;
	t.response_time = 1002;
	t.date = 1000;
	t.age_value = 0;
	is_int(cache_initial_age(&t), 2, "apparent age and response delay");
	t.age_value = 30;
	is_int(cache_initial_age(&t), 32, "Age from upstream plus the response delay");
	t.age_value = 0;
	t.date = 900;
	is_int(cache_initial_age(&t), 102, "apparent age from a Date in the past");
	t.date = 2000;
	is_int(cache_initial_age(&t), 2, "a Date in the future is no negative age");
	return done_testing();
}
