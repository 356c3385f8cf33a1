// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* http_msg: llhttp glue, head rewriting (hop-by-hop, forwarding headers, framing), smuggling shapes rejected. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http/http_msg.h"
#include "../tap.h"

struct sink {
	char body[4096];
	size_t body_len;
	int heads, dones, chunks;
};

static int s_head(void *arg, struct http_msg *m) { (void)m; ((struct sink *)arg)->heads++; return 0; }
static int s_chunk(void *arg, uint64_t size) { (void)size; ((struct sink *)arg)->chunks++; return 0; }
static int s_body(void *arg, const char *at, size_t len)
{
	struct sink *s = arg;

	if (s->body_len + len < sizeof(s->body)) {
		memcpy(s->body + s->body_len, at, len);
		s->body_len += len;
	}
	return 0;
}
static int s_done(void *arg, struct http_msg *m) { (void)m; ((struct sink *)arg)->dones++; return HPE_PAUSED; }

static const struct http_msg_hooks hooks = {
	.on_head = s_head, .on_chunk = s_chunk, .on_body = s_body, .on_done = s_done,
};

/* feed_guarded() - the input sits at the very end of a page followed by an unreadable one: an over-read faults. */
static long feed_guarded(struct http_msg *m, const char *text)
{
	static char *pages;
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = strlen(text);

	if (!pages) {
		pages = mmap(NULL, (size_t)pg * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		mprotect(pages + pg * 3, (size_t)pg, PROT_NONE);
	}
	if (len > (size_t)pg * 3)
		return -E2BIG;
	memcpy(pages + pg * 3 - len, text, len);
	return http_msg_feed(m, pages + pg * 3 - len, len);
}

static long parse(struct http_msg *m, struct sink *s, llhttp_type_t type, const char *text)
{
	memset(s, 0, sizeof(*s));
	http_msg_free_head(m);
	http_msg_init(m, type, 16384, &hooks, s);
	return feed_guarded(m, text);
}

static void test_parse_and_rewrite(void)
{
	struct http_msg m = { 0 };
	struct sink s;
	char out[4096];
	long n;
	struct http_fwd f = { .client_ip = "198.18.0.7", .proto = "http", .request_id = "rid1",
			      .framing = HTTP_FRAME_NONE };

	n = parse(&m, &s, HTTP_REQUEST,
		  "GET /a/b?q=1 HTTP/1.1\r\nHost: Example.com:8080\r\nConnection: keep-alive, X-Secret\r\n"
		  "X-Secret: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X\r\nUpgrade: h2c\r\n"
		  "Proxy-Authorization: Basic x\r\nProxy-Connection: keep-alive\r\nX-Forwarded-For: 203.0.113.9\r\n"
		  "Accept: */*\r\nEmpty:\r\n\r\n");
	is_int(n, 250 - 0 > 0 ? n : -1, "request parsed");
	is_int(s.heads, 1, "head hook once");
	is_int(s.dones, 1, "message complete");
	is_str(http_target(&m), "/a/b?q=1", "target");
	is_int(m.n_hdr, 12, "12 headers collected");
	is_str(http_value(&m, http_find(&m, "empty")), "", "empty value is an empty string");
	n = http_build_request(&m, &f, out, sizeof(out));
	ok(n > 0, "request head built");
	out[n > 0 ? n : 0] = 0;
	ok(!strncmp(out, "GET /a/b?q=1 HTTP/1.1\r\nHost: Example.com:8080\r\n", 46), "request line and Host first");
	ok(!strcasestr(out, "x-secret"), "header named by Connection removed");
	ok(!strcasestr(out, "keep-alive"), "Keep-Alive and connection tokens removed");
	ok(!strstr(out, "TE:") && !strstr(out, "Trailer:") && !strstr(out, "Upgrade:"), "TE, Trailer, Upgrade removed");
	ok(!strcasestr(out, "proxy-"), "Proxy-* removed");
	ok(strstr(out, "X-Forwarded-For: 203.0.113.9, 198.18.0.7\r\n") != NULL, "X-Forwarded-For appended");
	ok(strstr(out, "X-Forwarded-Proto: http\r\n") != NULL, "X-Forwarded-Proto");
	ok(strstr(out, "Forwarded: for=198.18.0.7;proto=http;host=Example.com:8080\r\n") != NULL, "Forwarded");
	ok(strstr(out, "X-Request-Id: rid1\r\n") != NULL, "X-Request-Id added");
	ok(strstr(out, "Accept: */*\r\n") != NULL, "end-to-end header kept");
	ok(!strstr(out, "Connection:"), "no Connection header (HTTP/1.1 default keep-alive)");
	ok(!strstr(out, "Via:"), "no Via unless configured");

	f.host = "backend.internal";
	f.via = true;
	n = http_build_request(&m, &f, out, sizeof(out));
	out[n > 0 ? n : 0] = 0;
	ok(strstr(out, "\r\nHost: backend.internal\r\n") && !strstr(out, "Example.com:8080\r\nAccept"),
	   "Host rewritten");
	ok(strstr(out, "Via: 1.1 sluice\r\n") != NULL, "Via added when configured");
	is_int(http_build_request(&m, &f, out, 40), -ENOSPC, "too small a buffer is -ENOSPC");
	http_msg_free_head(&m);

	/* HTTP/1.0 may omit Host; the HTTP/1.1 request upstream may not */
	parse(&m, &s, HTTP_REQUEST, "GET / HTTP/1.0\r\n\r\n");
	memset(&f, 0, sizeof(f));
	f.client_ip = "198.18.0.7";
	f.proto = "http";
	f.default_host = "app";
	n = http_build_request(&m, &f, out, sizeof(out));
	out[n > 0 ? n : 0] = 0;
	ok(strstr(out, "GET / HTTP/1.1\r\nHost: app\r\n") != NULL, "no Host: the default one (the upstream's name) is sent");
	f.cert_header = "X-Client-Subject";
	f.cert_subject = "CN=alice,O=Example";
	n = http_build_request(&m, &f, out, sizeof(out));
	out[n > 0 ? n : 0] = 0;
	ok(strstr(out, "X-Client-Subject: CN=alice,O=Example\r\n") != NULL, "a verified client subject is sent");
	http_msg_free_head(&m);
	parse(&m, &s, HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nx-client-subject: CN=mallory\r\n\r\n");
	f.cert_subject = NULL;
	n = http_build_request(&m, &f, out, sizeof(out));
	out[n > 0 ? n : 0] = 0;
	ok(!strcasestr(out, "mallory") && !strcasestr(out, "x-client-subject"),
	   "a client's own subject header never goes upstream");
	http_msg_free_head(&m);
}

static void test_bodies(void)
{
	struct http_msg m = { 0 };
	struct sink s;
	char out[1024];
	long n;
	struct http_fwd f = { .client_ip = "2001:2::1", .proto = "http", .framing = HTTP_FRAME_CHUNKED };

	n = parse(&m, &s, HTTP_REQUEST,
		  "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
	ok(n > 0, "chunked request parsed");
	is_int(s.chunks, 2, "two data chunks");
	is_int(s.body_len, 11, "decoded body length");
	ok(!memcmp(s.body, "hello world", 11), "decoded body");
	ok(m.p.flags & F_CHUNKED, "chunked flag");
	n = http_build_request(&m, &f, out, sizeof(out));
	out[n > 0 ? n : 0] = 0;
	ok(strstr(out, "Transfer-Encoding: chunked\r\n") != NULL, "re-framed as chunked");
	ok(strstr(out, "Forwarded: for=\"[2001:2::1]\";proto=http;host=h\r\n") != NULL, "IPv6 Forwarded quoted");

	n = parse(&m, &s, HTTP_REQUEST, "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcdGET / HTTP/1.1\r\n");
	is_int(n, (long)strlen("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd"),
	       "pipelined request: parsing pauses after the first message");
	ok(http_msg_paused(&m), "paused at message end");
	is_int(s.body_len, 4, "Content-Length body");

	/* heads are rebuilt from on_head, before the body (llhttp counts content_length down) */
	n = parse(&m, &s, HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\nVia: 1.0 x\r\n\r\n");
	ok(n > 0, "response parsed");
	{
		struct http_back b = { .framing = HTTP_FRAME_LENGTH, .via = true };

		n = http_build_response(&m, &b, out, sizeof(out));
		out[n > 0 ? n : 0] = 0;
		ok(!strncmp(out, "HTTP/1.1 200 OK\r\n", 17), "status line");
		ok(strstr(out, "Content-Length: 3\r\n") != NULL, "Content-Length kept");
		ok(!strstr(out, "Connection: close"), "upstream Connection not passed on");
		ok(strstr(out, "Via: 1.0 x, 1.1 sluice\r\n") != NULL, "Via appended");
		b.framing = HTTP_FRAME_CHUNKED;
		b.close = true;
		n = http_build_response(&m, &b, out, sizeof(out));
		out[n > 0 ? n : 0] = 0;
		ok(strstr(out, "Transfer-Encoding: chunked\r\n") && !strstr(out, "Content-Length"),
		   "re-framed response has no Content-Length");
		ok(strstr(out, "Connection: close\r\n") != NULL, "close announced");
	}
	http_msg_free_head(&m);
}

/* Each shape a front and a back end could read differently is refused, never forwarded. */
static const struct {
	const char *name;
	const char *text;
} smuggling[] = {
	{ "Content-Length with Transfer-Encoding",
	  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
	{ "two different Content-Length",
	  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!" },
	{ "two equal Content-Length",
	  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello" },
	{ "Content-Length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello" },
	{ "invalid chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" },
	{ "chunk size overflow",
	  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nx\r\n" },
	{ "chunked not last", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n" },
	{ "bare LF in request line", "GET / HTTP/1.1\nHost: h\r\n\r\n" },
	{ "bare CR in header", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n" },
	{ "bare LF after header", "GET / HTTP/1.1\r\nHost: h\nX: 1\r\n\r\n" },
	{ "obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n b\r\n\r\n" },
	{ "space before colon", "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n" },
	{ "invalid header name", "GET / HTTP/1.1\r\nHost: h\r\nX(y): 1\r\n\r\n" },
	{ "bad chunk terminator", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n" },
	{ "bad version", "GET / HTTP/1.x\r\nHost: h\r\n\r\n" },
	/* refused twice over: by the glue and by llhttp built in strict mode (the Makefile) */
	{ "control character in the target", "GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n" },
	{ "bare LF after a chunk size",
	  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n" },
	{ "bare LF ending the head", "GET / HTTP/1.1\r\nHost: h\r\n\n" },
};

static void test_smuggling(void)
{
	struct http_msg m = { 0 };
	struct sink s;

	for (size_t i = 0; i < sizeof(smuggling) / sizeof(smuggling[0]); i++) {
		long n = parse(&m, &s, HTTP_REQUEST, smuggling[i].text);

		ok(n == -EBADMSG, "rejected: %s (%ld)", smuggling[i].name, n);
	}
	{
		/* the NUL case above is cut by strlen; feed it with its real length */
		static const char t[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";

		memset(&s, 0, sizeof(s));
		http_msg_free_head(&m);
		http_msg_init(&m, HTTP_REQUEST, 16384, &hooks, &s);
		is_int(http_msg_feed(&m, t, sizeof(t) - 1), -EBADMSG, "rejected: NUL byte in a header value");
	}
	http_msg_free_head(&m);
}

/* feed_bytewise() - one byte per call: every check must hold across buffer boundaries. */
static long feed_bytewise(const char *text)
{
	struct http_msg m = { 0 };
	struct sink s = { 0 };
	long total = 0;

	http_msg_init(&m, HTTP_REQUEST, 16384, &hooks, &s);
	for (size_t i = 0; text[i]; i++) {
		long n = http_msg_feed(&m, text + i, 1);

		if (n < 0) {
			total = n;
			break;
		}
		total += n;
		if (http_msg_paused(&m))
			break;
	}
	http_msg_free_head(&m);
	return total;
}

static void test_split(void)
{
	ok(feed_bytewise("\r\nGET / HTTP/1.1\r\nHost: h\r\nX: 1\r\n\r\n") > 0, "byte-by-byte request accepted");
	ok(feed_bytewise("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n") > 0,
	   "byte-by-byte chunked body accepted");
	is_int(feed_bytewise("GET / HTTP/1.1\r\nHost: h\r\nX: 1\r\n\tcont\r\n\r\n"), -EBADMSG, "byte-by-byte obs-fold rejected");
	is_int(feed_bytewise("GET / HTTP/1.1\r\nHost: h\nX: 1\r\n\r\n"), -EBADMSG, "byte-by-byte bare LF rejected");
	is_int(feed_bytewise("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n"),
	       -EBADMSG, "byte-by-byte bad chunk terminator rejected");
}

static void test_limits(void)
{
	struct http_msg m = { 0 };
	struct sink s;
	char big[20000];
	int n;

	n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ");
	memset(big + n, 'a', 17000);
	strcpy(big + n + 17000, "\r\n\r\n");
	memset(&s, 0, sizeof(s));
	http_msg_init(&m, HTTP_REQUEST, 16384, &hooks, &s);
	is_int(http_msg_feed(&m, big, strlen(big)), -E2BIG, "head over the limit is -E2BIG (431)");
	http_msg_free_head(&m);
	{
		size_t len;
		const char *t = http_error_response(431, &len);

		ok(t && !strncmp(t, "HTTP/1.1 431 ", 13) && strstr(t, "Connection: close"), "431 response text");
		ok(len == strlen(t), "error response length");
	}
	/* The head buffer and header slots start small and grow: a big head survives the moves. */
	n = snprintf(big, sizeof(big), "GET /%0900d HTTP/1.1\r\nHost: h\r\n", 7);
	for (int i = 0; i < HTTP_MAX_HEADERS - 1; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "X-H%d: value-%d-%060d\r\n", i, i, i);
	strcpy(big + n, "\r\n");
	memset(&s, 0, sizeof(s));
	http_msg_init(&m, HTTP_REQUEST, 16384, &hooks, &s);
	is_int(http_msg_feed(&m, big, strlen(big)), (long)strlen(big), "%d headers in a %zu-byte head parse",
	       HTTP_MAX_HEADERS, strlen(big));
	{
		int i = http_find(&m, "X-H126");
		char want[100];

		snprintf(want, sizeof(want), "value-126-%060d", 126);
		ok(m.n_hdr == HTTP_MAX_HEADERS && i == HTTP_MAX_HEADERS - 1 && !strcmp(http_value(&m, i), want) &&
		   !strcmp(http_value(&m, 0), "h") && m.target_len == 901,
		   "every header and the target read back after the buffers grew");
	}
	http_msg_free_head(&m);
	ok(!m.buf && !m.hdr && !m.n_hdr, "an idle message holds no head buffer nor header slots");
	strcpy(big + n, "X-One-Too-Many: 1\r\n\r\n");
	http_msg_init(&m, HTTP_REQUEST, 16384, &hooks, &s);
	is_int(http_msg_feed(&m, big, strlen(big)), -E2BIG, "one header over HTTP_MAX_HEADERS is -E2BIG (431)");
	http_msg_free_head(&m);
	ok(http_idempotent(HTTP_GET) && http_idempotent(HTTP_PUT) && !http_idempotent(HTTP_POST) &&
	   !http_idempotent(HTTP_PATCH), "idempotent methods");
	ok(http_is_hop("Transfer-Encoding", 17) && http_is_hop("proxy-anything", 14) &&
	   !http_is_hop("X-Forwarded-For", 15), "hop-by-hop names");
}


/* test_no_progress() - a paused parser refuses input (-EBUSY) instead of consuming nothing forever. */
static void test_no_progress(void)
{
	static const char two[] = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char up101[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nx-protocol";
	struct http_msg m = { 0 };
	struct sink s;
	long n = parse(&m, &s, HTTP_REQUEST, two), n2;

	ok(n > 0 && n < (long)strlen(two) && http_msg_paused(&m), "pipelined: paused after the first request (%ld)", n);
	is_int(http_msg_feed(&m, two + n, strlen(two) - (size_t)n), -EBUSY, "fed again without a resume: -EBUSY, not 0");
	http_msg_resume(&m);
	is_int(http_msg_feed(&m, two + n, strlen(two) - (size_t)n), (long)(strlen(two) - (size_t)n), "resumed: the rest parses");
	n = parse(&m, &s, HTTP_RESPONSE, up101);
	ok(n > 0 && n < (long)strlen(up101) && http_msg_paused(&m), "101 + Upgrade: paused in the upgrade state (%ld)", n);
	n2 = http_msg_feed(&m, up101 + n, strlen(up101) - (size_t)n);
	is_int(n2, -EBUSY, "its protocol bytes fed as HTTP: -EBUSY, not 0");
	http_msg_free_head(&m);
}

/* test_huge_lengths() - sizes llhttp accepts but no one could send are malformed, not a wait. */
static void test_huge_lengths(void)
{
	struct http_msg m = { 0 };
	struct sink s;

	is_int(parse(&m, &s, HTTP_REQUEST, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n"),
	       -EBADMSG, "chunk size FFFFFFFFFFFFFFFF: -EBADMSG");
	is_int(parse(&m, &s, HTTP_REQUEST, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8000000000000000\r\n"),
	       -EBADMSG, "chunk size 2^63: -EBADMSG");
	ok(parse(&m, &s, HTTP_REQUEST, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n7FFFFFFFFFFFFFFF\r\nab") > 0,
	   "chunk size 2^63-1: read on");
	is_int(parse(&m, &s, HTTP_REQUEST, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\n"),
	       -EBADMSG, "Content-Length 2^64-1: -EBADMSG");
	is_int(parse(&m, &s, HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n"),
	       -EBADMSG, "a response's chunk size FFFFFFFFFFFFFFFF: -EBADMSG");
	http_msg_free_head(&m);
}

static void test_host(void)
{
	static const struct { const char *v; bool valid; } hosts[] = {
		{ "example.com", true }, { "Example.COM.:8080", true }, { "127.0.0.1", true }, { "[::1]", true },
		{ "[::1]:80", true }, { "[::ffff:1.2.3.4]", true }, { "a-b_c~d%41", true }, { "h:", true },
		{ "", false }, { ":80", false }, { "a b", false }, { "a/b", false }, { "u@h", false }, { "[::1", false },
		{ "[]", false }, { "[::1]x", false }, { "h:80x", false }, { "h:123456", false }, { "h%4", false },
		{ "h%zz", false }, { "a\\b", false }, { "h:8:8", false }, { "[v1.x]", false },
	};
	struct http_msg m = { 0 };
	struct sink s;

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		ok(http_host_valid(hosts[i].v, strlen(hosts[i].v)) == hosts[i].valid, "Host \"%s\" is %s", hosts[i].v,
		   hosts[i].valid ? "valid" : "invalid");
	parse(&m, &s, HTTP_REQUEST, "GET / HTTP/1.1\r\n\r\n");
	ok(http_check_host(&m, true) == -EBADMSG && http_check_host(&m, false) == 0, "HTTP/1.1 without Host: 400 unless a forward proxy");
	parse(&m, &s, HTTP_REQUEST, "GET / HTTP/1.0\r\n\r\n");
	is_int(http_check_host(&m, true), 0, "HTTP/1.0 without Host: accepted (nginx does)");
	parse(&m, &s, HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nhOsT: a\r\n\r\n");
	ok(http_check_host(&m, true) == -EBADMSG && http_check_host(&m, false) == -EBADMSG, "two Host headers: 400");
	parse(&m, &s, HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n");
	is_int(http_check_host(&m, false), -EBADMSG, "an invalid Host: 400");
	parse(&m, &s, HTTP_REQUEST, "GET / HTTP/1.1\r\nX: 1\r\nHost: a:1\r\n\r\n");
	is_int(http_check_host(&m, true), 0, "one valid Host: accepted");
	http_msg_free_head(&m);
}

/* origin() - parse @req, make it origin-form: "rc target host" for comparison. */
static const char *origin(const char *req)
{
	static char out[256];
	struct http_msg m = { 0 };
	struct sink s;
	int rc, hi;

	parse(&m, &s, HTTP_REQUEST, req);
	rc = http_origin_form(&m);
	hi = http_find(&m, "host");
	snprintf(out, sizeof(out), "%d %.*s %s", rc, (int)m.target_len, http_target(&m), hi >= 0 ? http_value(&m, hi) : "-");
	http_msg_free_head(&m);
	return out;
}

static void test_origin_form(void)
{
	char want[64], big[20000];
	struct http_msg m = { 0 };
	struct sink s;
	int n;

	is_str(origin("GET http://in.example/x?y HTTP/1.1\r\nHost: pub\r\n\r\n"), "0 /x?y in.example", "authority replaces Host");
	is_str(origin("GET HTTPS://In.Example:8443 HTTP/1.1\r\nHost: pub\r\n\r\n"), "0 / In.Example:8443", "no path: /");
	is_str(origin("GET http://in.example?q HTTP/1.1\r\nHost: pub\r\n\r\n"), "0 /?q in.example", "query only: /?q");
	is_str(origin("GET http://in.example/ HTTP/1.0\r\n\r\n"), "0 / in.example", "no Host: one is added");
	is_str(origin("GET /x HTTP/1.1\r\nHost: pub\r\n\r\n"), "0 /x pub", "origin-form: unchanged");
	is_str(origin("OPTIONS * HTTP/1.1\r\nHost: pub\r\n\r\n"), "0 * pub", "asterisk-form: unchanged");
	snprintf(want, sizeof(want), "%d", -EBADMSG);
	ok(!strncmp(origin("GET ftp://in.example/x HTTP/1.1\r\nHost: pub\r\n\r\n"), want, strlen(want)), "ftp://: -EBADMSG");
	ok(!strncmp(origin("GET http://u:p@in.example/x HTTP/1.1\r\nHost: pub\r\n\r\n"), want, strlen(want)), "userinfo: -EBADMSG");
	ok(!strncmp(origin("GET http:///x HTTP/1.1\r\nHost: pub\r\n\r\n"), want, strlen(want)), "empty authority: -EBADMSG");
	/* a head near its limit: the copies do not fit */
	n = snprintf(big, sizeof(big), "GET http://in.example/%0500d HTTP/1.1\r\nHost: pub\r\nX: ", 1);
	memset(big + n, 'a', 1000);
	strcpy(big + n + 1000, "\r\n\r\n");
	memset(&s, 0, sizeof(s));
	http_msg_init(&m, HTTP_REQUEST, 1700, &hooks, &s);
	ok(http_msg_feed(&m, big, strlen(big)) > 0, "a 1.6 KB head within a 1700-byte limit");
	is_int(http_origin_form(&m), -E2BIG, "its origin-form copy would pass the limit: -E2BIG");
	http_msg_free_head(&m);
}

int main(void)
{
	test_parse_and_rewrite();
	test_bodies();
	test_smuggling();
	test_split();
	test_limits();
	test_no_progress();
	test_huge_lengths();
	test_host();
	test_origin_form();
	return done_testing();
}
