// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cache_range: which byte range a request selects in a stored response, and the 206 / 416 heads. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cache/cache.h"
#include "cache_util.h"
#include "../tap.h"

static char head[] = "HTTP/1.1 200 OK\r\nDate: Thu, 26 Nov 2026 10:00:00 GMT\r\nContent-Type: text/plain\r\n"
		     "Content-Length: 1000\r\nETag: \"v1\"\r\nLast-Modified: Wed, 25 Nov 2026 10:00:00 GMT\r\n";

static struct cache_obj obj(void)
{
	struct cache_obj o = { .status = 200, .head = head, .head_len = sizeof(head) - 1,
			       .etag = "\"v1\"", .last_modified = "Wed, 25 Nov 2026 10:00:00 GMT" };

	return o;
}

/* pick() - the verdict for a GET carrying @hdrs (CRLF-terminated header lines) against a @len-byte body. */
static enum cache_range pick(const char *hdrs, uint64_t len, uint64_t *a, uint64_t *b)
{
	char text[512];
	struct http_msg *m;
	struct cache_req r;
	struct cache_obj o = obj();
	enum cache_range k;

	snprintf(text, sizeof(text), "GET /f HTTP/1.1\r\nHost: x\r\n%s\r\n", hdrs);
	m = cu_req(text);
	if (!m)
		return (enum cache_range)-1;
	cache_req_init(&r, m, false);
	*a = *b = 0;
	k = cache_range_pick(&r, &o, len, a, b);
	cu_free(m);
	return k;
}

static void test_pick(void)
{
	static const struct {
		const char *hdrs;
		uint64_t len;
		enum cache_range want;
		uint64_t a, b;
		const char *what;
	} cases[] = {
		{ "", 1000, CACHE_RANGE_NONE, 0, 0, "no Range: the whole response" },
		{ "Range: bytes=0-99\r\n", 1000, CACHE_RANGE_OK, 0, 99, "first 100 bytes" },
		{ "Range: bytes=900-\r\n", 1000, CACHE_RANGE_OK, 900, 999, "open-ended" },
		{ "Range: bytes=-100\r\n", 1000, CACHE_RANGE_OK, 900, 999, "suffix" },
		{ "Range: bytes=-5000\r\n", 1000, CACHE_RANGE_OK, 0, 999, "suffix longer than the body: all of it" },
		{ "Range: bytes=500-5000\r\n", 1000, CACHE_RANGE_OK, 500, 999, "last-pos past the end: cut" },
		{ "Range: bytes=999-999\r\n", 1000, CACHE_RANGE_OK, 999, 999, "the last byte" },
		{ "Range: BYTES=10-19 \r\n", 1000, CACHE_RANGE_OK, 10, 19, "unit case-insensitive, trailing space" },
		{ "Range: bytes = 10-19\r\n", 1000, CACHE_RANGE_NONE, 0, 0, "spaces around '=': not the grammar, ignored" },
		{ "Range: bytes=1000-\r\n", 1000, CACHE_RANGE_UNSAT, 0, 0, "first-pos at the end: 416" },
		{ "Range: bytes=-0\r\n", 1000, CACHE_RANGE_UNSAT, 0, 0, "empty suffix: 416" },
		{ "Range: bytes=0-\r\n", 0, CACHE_RANGE_UNSAT, 0, 0, "empty body: 416" },
		{ "Range: bytes=20-10\r\n", 1000, CACHE_RANGE_NONE, 0, 0, "last before first: invalid, ignored" },
		{ "Range: bytes=0-9,20-29\r\n", 1000, CACHE_RANGE_NONE, 0, 0, "several ranges: the whole response" },
		{ "Range: bytes=5000-,0-1\r\n", 1000, CACHE_RANGE_NONE, 0, 0, "several ranges, first unsatisfiable: whole" },
		{ "Range: items=0-9\r\n", 1000, CACHE_RANGE_NONE, 0, 0, "another unit: ignored" },
		{ "Range: bytes=x-9\r\n", 1000, CACHE_RANGE_NONE, 0, 0, "garbage: ignored" },
		{ "Range: bytes=99999999999999999999-\r\n", 1000, CACHE_RANGE_NONE, 0, 0, "overflowing number: ignored" },
		{ "Range: bytes=0-9\r\nIf-Range: \"v1\"\r\n", 1000, CACHE_RANGE_OK, 0, 9, "If-Range with the stored ETag" },
		{ "Range: bytes=0-9\r\nIf-Range: \"v0\"\r\n", 1000, CACHE_RANGE_NONE, 0, 0, "If-Range with another ETag: whole" },
		{ "Range: bytes=0-9\r\nIf-Range: W/\"v1\"\r\n", 1000, CACHE_RANGE_NONE, 0, 0, "weak If-Range never matches" },
		{ "Range: bytes=0-9\r\nIf-Range: Wed, 25 Nov 2026 10:00:00 GMT\r\n", 1000, CACHE_RANGE_OK, 0, 9,
		  "If-Range with the exact Last-Modified" },
		{ "Range: bytes=0-9\r\nIf-Range: Wed, 25 Nov 2026 10:00:01 GMT\r\n", 1000, CACHE_RANGE_NONE, 0, 0,
		  "If-Range with another date: whole" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t a, b;
		enum cache_range k = pick(cases[i].hdrs, cases[i].len, &a, &b);

		ok(k == cases[i].want && (k != CACHE_RANGE_OK || (a == cases[i].a && b == cases[i].b)),
		   "%s (got %d %llu-%llu)", cases[i].what, k, (unsigned long long)a, (unsigned long long)b);
	}
}

static void test_not_get(void)
{
	struct http_msg *m = cu_req("HEAD /f HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n");
	struct cache_obj o = obj();
	struct cache_req r;
	uint64_t a, b;

	cache_req_init(&r, m, false);
	ok(cache_range_pick(&r, &o, 1000, &a, &b) == CACHE_RANGE_NONE, "HEAD ignores Range");
	cu_free(m);
	m = cu_req("GET /f HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n");
	cache_req_init(&r, m, false);
	o.status = 404;
	ok(cache_range_pick(&r, &o, 1000, &a, &b) == CACHE_RANGE_NONE, "a stored 404 is not ranged");
	cu_free(m);
}

static void test_heads(void)
{
	struct cache_obj o = obj();
	char out[1024];
	long n;

	n = cache_range_head(&o, true, 10, 19, 1000, 0, "sluice; hit", false, false, out, sizeof(out));
	ok(n > 0, "206 head built");
	out[n > 0 ? n : 0] = 0;
	ok(!strncmp(out, "HTTP/1.1 206 Partial Content\r\n", 30), "206 status line");
	ok(strstr(out, "\r\nContent-Range: bytes 10-19/1000\r\n") != NULL, "Content-Range");
	ok(strstr(out, "\r\nContent-Length: 10\r\n") != NULL, "Content-Length of the range");
	ok(strstr(out, "Content-Length: 1000") == NULL, "the stored Content-Length is gone");
	ok(strstr(out, "\r\nContent-Type: text/plain\r\n") && strstr(out, "\r\nETag: \"v1\"\r\n"), "stored fields kept");
	ok(strstr(out, "\r\nCache-Status: sluice; hit\r\n") && n > 4 && !strcmp(out + n - 4, "\r\n\r\n"),
	   "hit tail and the blank line");

	n = cache_range_head(&o, false, 0, 0, 1000, 0, "sluice; hit", true, false, out, sizeof(out));
	ok(n > 0, "416 head built");
	out[n > 0 ? n : 0] = 0;
	ok(!strncmp(out, "HTTP/1.1 416 Range Not Satisfiable\r\n", 36), "416 status line");
	ok(strstr(out, "\r\nContent-Range: bytes */1000\r\n") && strstr(out, "\r\nContent-Length: 0\r\n"),
	   "416: Content-Range */length, no body");
	ok(!strstr(out, "Content-Type") && strstr(out, "\r\nETag: \"v1\"\r\n") && strstr(out, "\r\nDate: "),
	   "416: validators and Date only");
	ok(strstr(out, "\r\nConnection: close\r\n") != NULL, "close asked: Connection: close");
	is_int(cache_range_head(&o, true, 0, 9, 1000, 0, "x", false, false, out, 40), -ENOSPC, "too small a buffer");
}

/* A response the cache does not keep still gets a 206 of its own, from an object holding its head only. */
static void test_head_obj(void)
{
	struct http_msg *m = cu_resp("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nSet-Cookie: s=1\r\n"
				     "Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nAge: 5\r\nETag: \"v2\"\r\n\r\n");
	struct cache_obj *o = m ? cache_head_obj(m, 100, 100) : NULL;
	char out[1024];
	long n;

	ok(o && o->status == 200 && o->etag && !strcmp(o->etag, "\"v2\"") && !o->body, "head object: status, ETag, no body");
	n = o ? cache_range_head(o, true, 0, 9, 1000, 100, "sluice; fwd=miss", false, false, out, sizeof(out)) : -1;
	out[n > 0 ? n : 0] = 0;
	ok(n > 0 && strstr(out, "\r\nSet-Cookie: s=1\r\n") && strstr(out, "\r\nContent-Range: bytes 0-9/1000\r\n"),
	   "its 206 keeps Set-Cookie and says the range");
	ok(n > 0 && !strstr(out, "X-Hop") && !strstr(out, "keep-alive") && strstr(out, "\r\nAge: 5\r\n"),
	   "hop-by-hop fields gone; Age is the object's own");
	cache_obj_put(o);
	cu_free(m);
}

int main(void)
{
	test_pick();
	test_not_get();
	test_heads();
	test_head_obj();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
