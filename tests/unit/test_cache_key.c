// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Cache keys (host case, default port, absolute-form) and Vary normalisation. */
#include <string.h>

#include "cache/cache.h"
#include "cache_util.h"
#include "../tap.h"

static char kbuf[512];

static const char *key(const char *host, const char *target)
{
	struct cache_key k;

	if (cache_key_make(&k, "http", host, host ? strlen(host) : 0, target, strlen(target)))
		return "(error)";
	snprintf(kbuf, sizeof(kbuf), "%s", k.buf);
	cache_key_free(&k);
	return kbuf;
}

static const char *url(const char *u)
{
	struct cache_key k;

	if (cache_key_from_url(&k, u))
		return "(error)";
	snprintf(kbuf, sizeof(kbuf), "%s", k.buf);
	cache_key_free(&k);
	return kbuf;
}

static char vbuf[1024];

static const char *names(const char *resp)
{
	struct http_msg *m = cu_resp(resp);
	long n = cache_vary_names(m, vbuf, sizeof(vbuf));

	cu_free(m);
	return n == -1 ? "*" : n < 0 ? "(error)" : vbuf;
}

static const char *values(const char *req, const char *list)
{
	struct http_msg *m = cu_req(req);
	long n = cache_vary_values(m, list, vbuf, sizeof(vbuf));

	cu_free(m);
	return n < 0 ? "(error)" : vbuf;
}

int main(void)
{
	struct cache_key a, b;

	is_str(key("Example.COM", "/a?b=1"), "http://example.com/a?b=1", "host lower-cased, query kept");
	is_str(key("example.com:80", "/"), "http://example.com/", "default port dropped");
	is_str(key("example.com:8080", "/"), "http://example.com:8080/", "other port kept");
	is_str(key("example.com.", "/x"), "http://example.com/x", "trailing dot dropped");
	is_str(key("ignored", "http://Other.example/p?q"), "http://other.example/p?q", "absolute-form: its authority");
	is_str(key("ignored", "http://other.example"), "http://other.example/", "absolute-form without path");
	is_str(key(NULL, "/x"), "(error)", "no host: no key");
	is_str(key("h", "/Path"), "http://h/Path", "path case kept");
	is_str(url("http://h/p"), "http://h/p", "URL");
	is_str(url("H/p?x"), "http://h/p?x", "URL without scheme");
	is_str(url("https://h:80/"), "https://h:80/", "https keeps :80");
	cache_key_make(&a, "http", "A", 1, "/x", 2);
	cache_key_make(&b, "http", "a", 1, "/x", 2);
	ok(a.hash == b.hash && a.len == b.len, "equal keys hash equal");
	cache_key_free(&a);
	cache_key_free(&b);

	is_str(names("HTTP/1.1 200 OK\r\nVary: Accept-Encoding, accept-language\r\nContent-Length: 0\r\n\r\n"),
	       "accept-encoding,accept-language", "Vary names lower-cased and sorted");
	is_str(names("HTTP/1.1 200 OK\r\nVary: X-B\r\nVary: x-a, X-B\r\nContent-Length: 0\r\n\r\n"), "x-a,x-b",
	       "several Vary lines, duplicates once");
	is_str(names("HTTP/1.1 200 OK\r\nVary: Accept, *\r\nContent-Length: 0\r\n\r\n"), "*", "Vary: * detected");
	is_str(names("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), "", "no Vary");

	is_str(values("GET / HTTP/1.1\r\nHost: h\r\nAccept-Encoding: GZIP,  br\r\n\r\n", "accept-encoding"),
	       "gzip,br\n", "accept-encoding normalised (case, spaces after commas)");
	is_str(values("GET / HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip, br\r\n\r\n", "accept-encoding"),
	       values("GET / HTTP/1.1\r\nHost: h\r\naccept-encoding:   gzip,br  \r\n\r\n", "accept-encoding") ?
	       "gzip,br\n" : "", "equivalent values select the same variant");
	is_str(values("GET / HTTP/1.1\r\nHost: h\r\n\r\n", "accept-language"), "\x01\n", "absent header marked");
	is_str(values("GET / HTTP/1.1\r\nHost: h\r\nAccept-Language:\r\n\r\n", "accept-language"), "\n",
	       "empty header is not absent");
	is_str(values("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-A: 2\r\nX-B: b  c\r\n\r\n", "x-a,x-b"), "1,2\nb c\n",
	       "lines combined, inner whitespace folded");
	is_str(values("GET / HTTP/1.1\r\nHost: h\r\nAccept-Language: EN\r\n\r\n", "accept-language"), "EN\n",
	       "other headers keep their case");
	return done_testing();
}
