// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Admin API without L4: the HTTP server over a unix socket, routing, status codes, JSON escaping, query parsing. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "admin.h"
#include "admin_int.h"
#include "log.h"

static int fake_reload_rc;

static int fake_reload(void *arg, bool allow_empty, char **errors)
{
	(void)arg;
	(void)allow_empty;
	if (fake_reload_rc) {
		*errors = strdup("cfg.yaml:3: unknown key \"bogus\"\ncfg.yaml:9: weight must be 0..1000\n");
		return fake_reload_rc;
	}
	return 0;
}

/* Send @req, pump the server until the answer is complete, return it (malloc'd). */
static char *roundtrip(struct admin *a, const char *path, const char *req)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static char buf[65536];
	size_t len = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	strcpy(sun.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		return NULL;
	if (write(fd, req, strlen(req)) < 0)
		return NULL;
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
	a = admin_start(&cfg.admin, &ctx);
	ok(a != NULL, "admin listens on a unix socket");
	if (!a)
		return done_testing();

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
	ok(r && strstr(r, "{\"ok\":true"), "reload ok");
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

	admin_stop(a);
	ok(access(path, F_OK) != 0, "admin_stop removes the socket file");
	return done_testing();
}
