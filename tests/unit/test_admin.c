// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Admin API without L4: the HTTP server over a unix socket, routing, status codes, JSON escaping, query parsing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "admin/admin_int.h"
#include "lib/log.h"
#include "../tap.h"

static int fake_reload_rc;
static int fake_reload_calls;
static bool fake_reload_empty;

static int fake_reload(void *arg, bool allow_empty, char **errors)
{
	(void)arg;
	fake_reload_empty = allow_empty;
	fake_reload_calls++;
	if (fake_reload_rc) {
		*errors = strdup("cfg.yaml:3: unknown key \"bogus\"\ncfg.yaml:9: weight must be 0..1000\n");
		return fake_reload_rc;
	}
	return 0;
}

/*
 * exchange() - send @req on the connected, non-blocking @fd, pump the server
 * until the answer is complete (the peer closes) and return it (malloc'd);
 * NULL if the write fails. Closes @fd.
 */
static char *exchange(struct admin *a, int fd, const char *req)
{
	static char buf[65536];
	size_t len = 0;

	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return NULL;
	}
	for (int i = 0; i < 200; i++) {
		struct pollfd p = { .fd = admin_fd(a), .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 10) > 0)
			admin_on_event(a);
		r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r == 0)
			break;
		if (r > 0)
			len += r;
	}
	close(fd);
	buf[len] = 0;
	return strdup(buf);
}

/* Send @req over the unix socket @path; the answer, malloc'd (NULL: no connection). */
static char *roundtrip(struct admin *a, const char *path, const char *req)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	strcpy(sun.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return exchange(a, fd, req);
}

/* The same over TCP to 127.0.0.1:@port. */
static char *roundtrip_tcp(struct admin *a, int port, const char *req)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7f000001) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return exchange(a, fd, req);
}

/* A free TCP port on 127.0.0.1 (bound, read, released). */
static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sin, sizeof(sin)) && !getsockname(fd, (struct sockaddr *)&sin, &sl))
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void test_host_bearer(void)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	static const struct { const char *host; bool ok; } hosts[] = {
		{ "localhost", true }, { "LocalHost:9900", true }, { "127.0.0.1:9900", true }, { "127.1.2.3", true },
		{ "[::1]:9900", true }, { "[::1]", true }, { "198.18.0.5:9900", true }, { "198.18.0.5", true },
		{ "evil.example:9900", false }, { "localhost.evil.example", false }, { "198.18.0.6:9900", false },
		{ "[2001:2::1]:9900", false }, { "[::1", false }, { "sluiced", false }, { "127.0.0.1.nip.io", false },
	};
	const char *tok = "0123456789abcdef0123";

	ss.ss_family = AF_INET;
	in->sin_addr.s_addr = inet_addr("198.18.0.5");
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		ok(admin_host_ok(hosts[i].host, strlen(hosts[i].host), &ss) == hosts[i].ok, "Host %s: %s", hosts[i].host,
		   hosts[i].ok ? "this admin address" : "refused");
	ok(admin_bearer_ok("Bearer 0123456789abcdef0123", 27, tok), "Bearer: the token");
	ok(admin_bearer_ok("bearer  0123456789abcdef0123", 28, tok), "Bearer: any case, extra spaces");
	ok(!admin_bearer_ok("Bearer 0123456789abcdef012", 26, tok), "Bearer: a prefix of the token is wrong");
	ok(!admin_bearer_ok("Bearer 0123456789abcdef01234", 28, tok), "Bearer: the token and more is wrong");
	ok(!admin_bearer_ok("Basic 0123456789abcdef0123", 26, tok), "another scheme is wrong");
	ok(!admin_bearer_ok("Bearer", 6, tok) && !admin_bearer_ok("", 0, tok), "no token is wrong");
	ok(!admin_bearer_ok("Bearer \xff\x01garbage", 16, tok), "garbage is wrong");
}

int main(void)
{
	struct cfg cfg = { .path = "cfg.yaml" };
	struct admin_ctx ctx = { .cfg = &cfg, .started = time(NULL), .reload = fake_reload };
	struct sbuf b = { 0 };
	char path[64], val[32], *r;
	struct sockaddr_un *sun = (struct sockaddr_un *)&cfg.admin.ss;
	struct admin *a;

	log_set_level(LOG_LVL_ERR);
	sbuf_json_str(&b, "a\"b\\c\n\x01");
	is_str(b.p, "\"a\\\"b\\\\c\\n\\u0001\"", "JSON string escaping");
	free(b.p);
	memset(&b, 0, sizeof(b));
	for (int i = 0; i < 2000; i++)
		sbuf_printf(&b, "%04d", i);
	ok(!b.oom && b.len == 8000 && !strncmp(b.p + 7996, "1999", 4), "sbuf grows past its first block");
	free(b.p);

	ok(admin_query_get("vip=web&x=1", "vip", val, sizeof(val)) && !strcmp(val, "web"), "query: first key");
	ok(admin_query_get("a=1&src=198.18.0.1%3A80", "src", val, sizeof(val)) && !strcmp(val, "198.18.0.1:80"),
	   "query: percent-decoded value");
	ok(!admin_query_get("vipx=web", "vip", val, sizeof(val)), "query: no prefix match");
	ok(!admin_query_get(NULL, "vip", val, sizeof(val)), "query: none");

	snprintf(path, sizeof(path), "/tmp/sluice-admin-test.%d.sock", (int)getpid());
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	cfg.admin.len = sizeof(*sun);
	snprintf(cfg.admin.text, sizeof(cfg.admin.text), "unix:%s", path);
	cfg.admin_access.mode = 0660;
	{
		mode_t old = umask(0);   /* as a shell with umask 000 would start it */
		struct stat st;

		a = admin_start(&cfg.admin, &ctx);
		umask(old);
		ok(a != NULL, "admin listens on a unix socket");
		if (!a)
			return done_testing();
		ok(!stat(path, &st) && (st.st_mode & 07777) == 0660, "under umask 000 the socket is 0660 (%04o)",
		   (unsigned int)(st.st_mode & 07777));
	}
	test_host_bearer();

	r = roundtrip(a, path, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(r && strstr(r, "HTTP/1.1 200 OK") && strstr(r, "\"l4\":{\"enabled\":false}") &&
	   strstr(r, "Content-Type: application/json"), "GET /status without L4");
	free(r);
	r = roundtrip(a, path, "GET /vips HTTP/1.1\r\n\r\n");
	ok(r && strstr(r, "{\"vips\":[]}"), "GET /vips without L4: empty list");
	free(r);
	r = roundtrip(a, path, "GET /metrics HTTP/1.1\r\n\r\n");
	ok(r && strstr(r, "# TYPE sluice_up gauge\nsluice_up 1\n") && strstr(r, "text/plain; version=0.0.4"),
	   "GET /metrics: Prometheus text");
	free(r);
	r = roundtrip(a, path, "GET / HTTP/1.1\r\n\r\n");
	ok(r && strstr(r, "text/html") && strstr(r, "L4: not configured"), "GET /: HTML page");
	free(r);
	r = roundtrip(a, path, "POST /backends/web%2F198.18.20.1/drain HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	ok(r && strstr(r, "HTTP/1.1 404"), "backend action without L4: 404");
	free(r);
	r = roundtrip(a, path, "DELETE /status HTTP/1.1\r\n\r\n");
	ok(r && strstr(r, "HTTP/1.1 405 Method Not Allowed\r\n"), "wrong method: 405");
	free(r);
	r = roundtrip(a, path, "GET /nope HTTP/1.1\r\n\r\n");
	ok(r && strstr(r, "HTTP/1.1 404") && strstr(r, "\"error\""), "unknown path: 404 with an error");
	free(r);
	r = roundtrip(a, path, "POST /cache/purge HTTP/1.1\r\nContent-Length: 15\r\n\r\n{\"url\":\"http:/\"}");
	ok(r && strstr(r, "HTTP/1.1 501 Not Implemented\r\n"), "cache purge: 501");
	free(r);
	r = roundtrip(a, path, "garbage\r\n\r\n");
	ok(r && strstr(r, "HTTP/1.1 400"), "bad request line: 400");
	free(r);
	r = roundtrip(a, path, "POST /reload HTTP/1.1\r\n\r\n");
	ok(r && strstr(r, "{\"ok\":true") && !fake_reload_empty, "reload ok (an empty config not allowed)");
	free(r);
	r = roundtrip(a, path, "POST /reload?allow_empty=1 HTTP/1.1\r\n\r\n");
	ok(r && strstr(r, "{\"ok\":true") && fake_reload_empty, "POST /reload?allow_empty=1 asks for it");
	free(r);
	fake_reload_rc = -EINVAL;
	r = roundtrip(a, path, "POST /reload HTTP/1.1\r\n\r\n");
	ok(r && strstr(r, "HTTP/1.1 422") && strstr(r, "\"errors\":[\"cfg.yaml:3: unknown key \\\"bogus\\\"\",\"cfg.yaml:9: weight must be 0..1000\"]"),
	   "reload refused: 422 with every error line");
	free(r);
	/* A body split over two writes still makes one request. */
	r = roundtrip(a, path, "POST /reload HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
	ok(r && strstr(r, "HTTP/1.1 422 Unprocessable Content\r\n"), "request with a body");
	free(r);

	r = roundtrip(a, path, "POST /reload HTTP/1.1\r\nHost: evil.example\r\n\r\n");
	ok(r && strstr(r, "HTTP/1.1 422"), "unix socket: Host is not checked, no token needed");
	free(r);
	r = roundtrip(a, path, "POST /reload HTTP/1.1\r\nOrigin: http://evil.example\r\n\r\n");
	ok(r && strstr(r, "HTTP/1.1 403") && strstr(r, "Origin"), "unix socket: a request with Origin: 403");
	free(r);

	admin_stop(a);
	ok(access(path, F_OK) != 0, "admin_stop removes the socket file");

	/* TCP: reads for anyone local; changes with the token only; browsers kept out. */
	{
		struct sockaddr_in *in = (struct sockaddr_in *)&cfg.admin.ss;
		int port = free_port();
		const char *tokreq = "POST /reload HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer 0123456789abcdef0123\r\n\r\n";

		memset(&cfg.admin, 0, sizeof(cfg.admin));
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = htonl(0x7f000001);
		cfg.admin.len = sizeof(*in);
		snprintf(cfg.admin.text, sizeof(cfg.admin.text), "127.0.0.1:%d", port);
		fake_reload_rc = 0;
		fake_reload_calls = 0;
		a = admin_start(&cfg.admin, &ctx);
		ok(a != NULL, "admin listens on TCP 127.0.0.1:%d", port);
		if (!a)
			return done_testing();
		r = roundtrip_tcp(a, port, "GET /status HTTP/1.1\r\nHost: localhost:9900\r\n\r\n");
		ok(r && strstr(r, "HTTP/1.1 200"), "TCP without a token: reads work");
		free(r);
		r = roundtrip_tcp(a, port, tokreq);
		ok(r && strstr(r, "HTTP/1.1 403") && strstr(r, "admin.token_file is not set"),
		   "TCP without admin.token_file: changes refused, 403 with the reason");
		free(r);
		cfg.admin_access.token = "0123456789abcdef0123";
		r = roundtrip_tcp(a, port, tokreq);
		ok(r && strstr(r, "HTTP/1.1 200") && strstr(r, "\"ok\":true"), "TCP with the right token: reload runs");
		free(r);
		r = roundtrip_tcp(a, port, "POST /reload HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
		ok(r && strstr(r, "HTTP/1.1 401") && strstr(r, "WWW-Authenticate: Bearer"), "TCP, no token: 401");
		free(r);
		r = roundtrip_tcp(a, port, "POST /reload HTTP/1.1\r\nAuthorization: Bearer 0123456789abcdef0124\r\n\r\n");
		ok(r && strstr(r, "HTTP/1.1 401") && strstr(r, "wrong token"), "TCP, wrong token: 401");
		free(r);
		r = roundtrip_tcp(a, port, "POST /reload HTTP/1.1\r\nAuthorization: Bearer \x01\xff\xfe garbage \x7f\r\n\r\n");
		ok(r && strstr(r, "HTTP/1.1 401"), "TCP, garbage in Authorization: 401");
		free(r);
		r = roundtrip_tcp(a, port, "POST /reload HTTP/1.1\r\nAuthorization: Bearer 0123456789abcdef0123\r\n"
					   "Authorization: Bearer x\r\n\r\n");
		ok(r && strstr(r, "HTTP/1.1 401"), "TCP, two Authorization headers: 401");
		free(r);
		r = roundtrip_tcp(a, port, "POST /reload HTTP/1.1\r\nHost: attacker.example:9900\r\n"
					   "Authorization: Bearer 0123456789abcdef0123\r\n\r\n");
		ok(r && strstr(r, "HTTP/1.1 403") && strstr(r, "Host"), "TCP, Host a DNS name (rebinding): 403 even with the token");
		free(r);
		r = roundtrip_tcp(a, port, "GET /status HTTP/1.1\r\nHost: attacker.example:9900\r\n\r\n");
		ok(r && strstr(r, "HTTP/1.1 403"), "... and for reads too");
		free(r);
		r = roundtrip_tcp(a, port, "POST /backends/web%2F198.18.20.1/drain HTTP/1.1\r\nHost: 127.0.0.1:9900\r\n"
					   "Origin: http://attacker.example\r\nContent-Type: text/plain\r\n\r\n");
		ok(r && strstr(r, "HTTP/1.1 403") && strstr(r, "Origin"), "TCP, a browser's cross-origin simple POST: 403");
		free(r);
		r = roundtrip_tcp(a, port, "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: null\r\n\r\n");
		ok(r && strstr(r, "HTTP/1.1 403"), "TCP, any Origin header, reads too: 403");
		free(r);
		ok(fake_reload_calls == 1, "only the request with the token reached the reload (%d)", fake_reload_calls);
		admin_stop(a);
	}
	return done_testing();
}
