// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Cache-Control parsing: directives, values, quoting, duplicates, Pragma, request vs response. */
#include <string.h>

#include "cache/cache.h"
#include "cache_util.h"
#include "../tap.h"

static struct cache_cc cc_of(const char *v)
{
	struct cache_cc cc;

	cache_cc_init(&cc);
	cache_cc_parse(&cc, v, strlen(v));
	return cc;
}

int main(void)
{
	struct cache_cc cc;
	struct http_msg *m;

	cc = cc_of("max-age=60, s-maxage=30, public");
	is_int(cc.max_age, 60, "max-age");
	is_int(cc.s_maxage, 30, "s-maxage");
	ok(cc.flags & CC_PUBLIC, "public");
	cc = cc_of("No-Store");
	ok(cc.flags & CC_NO_STORE, "names are case-insensitive");
	cc = cc_of("max-age=\"120\"");
	is_int(cc.max_age, 120, "quoted delta-seconds accepted");
	cc = cc_of("max-age=99999999999999");
	is_int(cc.max_age, 2147483648LL, "a too large delta saturates at 2^31");
	cc = cc_of("max-age=abc");
	is_int(cc.max_age, 0, "an invalid max-age means stale");
	cc = cc_of("max-age=60, max-age=10");
	is_int(cc.max_age, 10, "duplicated max-age: the smaller wins");
	cc = cc_of("no-cache=\"Set-Cookie, X-Foo\", max-age=5");
	ok(cc.flags & CC_NO_CACHE, "qualified no-cache counts as no-cache");
	is_int(cc.max_age, 5, "a quoted list with commas does not break the next directive");
	cc = cc_of("private=\"x\"");
	ok(cc.flags & CC_PRIVATE, "qualified private");
	cc = cc_of("must-revalidate,proxy-revalidate , immutable");
	ok(cc.flags & CC_MUST_REVALIDATE && cc.flags & CC_PROXY_REVALIDATE && cc.flags & CC_IMMUTABLE,
	   "flags without spaces and with odd spacing");
	cc = cc_of("max-stale");
	ok(cc.flags & CC_MAX_STALE_ANY && cc.max_stale < 0, "max-stale without value: any staleness");
	cc = cc_of("max-stale=30, min-fresh=5, only-if-cached, no-cache");
	is_int(cc.max_stale, 30, "max-stale=30");
	is_int(cc.min_fresh, 5, "min-fresh");
	ok(cc.flags & CC_ONLY_IF_CACHED && cc.flags & CC_NO_CACHE, "only-if-cached, no-cache");
	cc = cc_of("stale-while-revalidate=30, stale-if-error=600");
	is_int(cc.swr, 30, "stale-while-revalidate");
	is_int(cc.sie, 600, "stale-if-error");
	cc = cc_of("");
	ok(cc.flags == 0 && cc.max_age < 0 && cc.s_maxage < 0, "empty: nothing");
	cc = cc_of("foo=bar, max-age=7");
	is_int(cc.max_age, 7, "unknown directives ignored");

	m = cu_resp("HTTP/1.1 200 OK\r\nCache-Control: public\r\nCache-Control: max-age=9\r\nContent-Length: 0\r\n\r\n");
	cache_cc_from_msg(&cc, m, false);
	ok(cc.flags & CC_PUBLIC && cc.max_age == 9, "every Cache-Control line of a message");
	cu_free(m);
	m = cu_req("GET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\n\r\n");
	cache_cc_from_msg(&cc, m, true);
	ok(cc.flags & CC_NO_CACHE, "request Pragma: no-cache without Cache-Control");
	cu_free(m);
	m = cu_req("GET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\nCache-Control: max-age=5\r\n\r\n");
	cache_cc_from_msg(&cc, m, true);
	ok(!(cc.flags & CC_NO_CACHE), "Pragma ignored when Cache-Control is present");
	cu_free(m);
	m = cu_resp("HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 0\r\n\r\n");
	cache_cc_from_msg(&cc, m, false);
	ok(!(cc.flags & CC_NO_CACHE), "response Pragma means nothing");
	cu_free(m);
	return done_testing();
}
