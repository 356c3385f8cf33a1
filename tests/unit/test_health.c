// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Health checker against loopback listeners: TCP up/down, HTTP status rules, timeouts, type none. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "health/health.h"
#include "lib/log.h"
#include "../tap.h"

struct seen {
	atomic_int ups;
	atomic_int downs;
	atomic_bool up;
};

static void on_change(void *arg, bool up)
{
	struct seen *s = arg;

	atomic_store(&s->up, up);
	if (up)
		atomic_fetch_add(&s->ups, 1);
	else
		atomic_fetch_add(&s->downs, 1);
}

static int listener(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)sa, &len))
		return -1;
	return fd;
}

/* A server thread answering every connection with a fixed response (or silence). */
struct srv {
	int fd;
	const char *resp;      /* NULL: accept and say nothing */
	atomic_bool stop;
	pthread_t th;
};

static void *srv_loop(void *arg)
{
	struct srv *s = arg;
	int held[64], nheld = 0;

	while (!atomic_load(&s->stop)) {
		struct timeval tv = { .tv_usec = 50000 };
		fd_set rf;
		int c;

		FD_ZERO(&rf);
		FD_SET(s->fd, &rf);
		if (select(s->fd + 1, &rf, NULL, NULL, &tv) <= 0)
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		if (s->resp) {
			char buf[1024];

			if (read(c, buf, sizeof(buf)) > 0 && write(c, s->resp, strlen(s->resp)) < 0)
				(void)0;
			close(c);
		} else if (nheld < 64) {
			held[nheld++] = c;
		} else {
			close(c);
		}
	}
	while (nheld)
		close(held[--nheld]);
	return NULL;
}

static bool wait_until(atomic_int *v, int want, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (atomic_load(v) >= want)
			return true;
		usleep(10000);
	}
	return atomic_load(v) >= want;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct cfg_health tcp = { .type = CFG_HEALTH_TCP, .interval_ms = 50, .timeout_ms = 200, .rise = 2, .fall = 2 };
	struct cfg_health http = { .type = CFG_HEALTH_HTTP, .path = "/healthz", .interval_ms = 50, .timeout_ms = 200, .rise = 1, .fall = 2 };
	struct cfg_health none = { .type = CFG_HEALTH_NONE };
	struct seen s_tcp = { 0 }, s_ok = { 0 }, s_bad = { 0 }, s_mute = { 0 }, s_none = { 0 }, s_want = { 0 };
	struct srv ok_srv = { .resp = "HTTP/1.1 204 No Content\r\n\r\n" };
	struct srv bad_srv = { .resp = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n" };
	struct srv mute_srv = { .resp = NULL };
	struct sockaddr_in a_tcp, a_ok, a_bad, a_mute;
	struct health *h;
	int ltcp, id_tcp, id;
	double t0, dt;

	log_set_level(LOG_LVL_ERR);
	h = health_new();
	if (!h)
		skip_all("io_uring unavailable");
	ltcp = listener(&a_tcp);
	ok_srv.fd = listener(&a_ok);
	bad_srv.fd = listener(&a_bad);
	mute_srv.fd = listener(&a_mute);
	ok(ltcp >= 0 && ok_srv.fd >= 0 && bad_srv.fd >= 0 && mute_srv.fd >= 0, "loopback listeners");
	pthread_create(&ok_srv.th, NULL, srv_loop, &ok_srv);
	pthread_create(&bad_srv.th, NULL, srv_loop, &bad_srv);
	pthread_create(&mute_srv.th, NULL, srv_loop, &mute_srv);

	id = health_add(h, (struct sockaddr *)&a_ok, sizeof(a_ok), &none, "none", on_change, &s_none);
	ok(id >= 0 && atomic_load(&s_none.ups) == 1, "type none: up at once, from health_add");

	ok(health_start(h) == 0, "checker thread starts");
	id_tcp = health_add(h, (struct sockaddr *)&a_tcp, sizeof(a_tcp), &tcp, "tcp", on_change, &s_tcp);
	ok(id_tcp >= 0, "add tcp target");
	health_add(h, (struct sockaddr *)&a_ok, sizeof(a_ok), &http, "http-ok", on_change, &s_ok);
	health_add(h, (struct sockaddr *)&a_bad, sizeof(a_bad), &http, "http-503", on_change, &s_bad);
	health_add(h, (struct sockaddr *)&a_mute, sizeof(a_mute), &http, "http-mute", on_change, &s_mute);
	http.expect_status = 503;
	health_add(h, (struct sockaddr *)&a_bad, sizeof(a_bad), &http, "http-want-503", on_change, &s_want);

	t0 = now_s();
	ok(wait_until(&s_tcp.ups, 1, 2000), "tcp target comes up after rise successes");
	dt = now_s() - t0;
	ok(dt >= 0.04, "not before rise x interval (%.3f s)", dt);
	ok(wait_until(&s_ok.ups, 1, 2000), "http 204 counts as up");
	ok(wait_until(&s_want.ups, 1, 2000), "expected status 503 counts as up");
	usleep(400000);
	is_int(atomic_load(&s_bad.ups), 0, "http 503 never comes up");
	is_int(atomic_load(&s_mute.ups), 0, "silent server (recv timeout) never comes up");

	close(ltcp);   /* connections now refused */
	t0 = now_s();
	ok(wait_until(&s_tcp.downs, 1, 2000), "tcp target goes down once the listener is gone");
	dt = now_s() - t0;
	ok(dt < 0.2 + 0.05, "within fall x interval plus one interval (%.3f s)", dt);
	ok(!atomic_load(&s_tcp.up), "state is down");

	health_remove(h, id_tcp);
	ltcp = listener(&a_tcp);   /* a new port: nothing checks it */
	usleep(300000);
	is_int(atomic_load(&s_tcp.ups), 1, "no callback after health_remove");
	close(ltcp);

	health_free(h);
	for (struct srv *s = &ok_srv; s; s = s == &ok_srv ? &bad_srv : s == &bad_srv ? &mute_srv : NULL) {
		atomic_store(&s->stop, true);
		pthread_join(s->th, NULL);
		close(s->fd);
	}
	return done_testing();
}
