// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* route: first match wins on host (case, port, trailing dot), path prefix and header; weighted splits. */
#include <string.h>

#include "l7/route.h"
#include "../tap.h"

static int noop_head(void *a, struct http_msg *m) { (void)a; (void)m; return HPE_PAUSED; }
static const struct http_msg_hooks hooks = { .on_head = noop_head };

static const struct route *match(const struct route_table *t, struct http_msg *m, const char *req)
{
	http_msg_free_head(m);
	http_msg_init(m, HTTP_REQUEST, 16384, &hooks, NULL);
	if (http_msg_feed(m, req, strlen(req)) < 0)
		return (void *)-1;
	return route_match(t, m);
}

int main(void)
{
	struct cfg_split canary[] = { { .upstream = "api-canary", .upstream_idx = 2, .weight = 1 } };
	struct cfg_split api[] = { { .upstream = "api", .upstream_idx = 1, .weight = 1 } };
	struct cfg_split split[] = { { .upstream = "app", .upstream_idx = 0, .weight = 95 },
				     { .upstream = "app-next", .upstream_idx = 3, .weight = 5 } };
	struct cfg_route routes[] = {
		{ .match = { .host = "API.example.com", .header_name = "X-Canary", .header_value = "1" },
		  .splits = canary, .n_splits = 1 },
		{ .match = { .host = "api.example.com", .path_prefix = "/v2" }, .splits = api, .n_splits = 1 },
		{ .match = { .path_prefix = "/" }, .splits = split, .n_splits = 2 },
	};
	struct cfg_listener l = { .name = "pub", .routes = routes, .n_routes = 3 };
	struct route_table t;
	struct http_msg m = { 0 };
	const struct route *r;
	unsigned int hits[4] = { 0 };

	is_int(route_table_build(&t, &l), 0, "table built");
	r = match(&t, &m, "GET /v2/x HTTP/1.1\r\nHost: api.example.com\r\nx-canary: 1\r\n\r\n");
	ok(r == &t.r[0], "header route first (canary override)");
	r = match(&t, &m, "GET /v2/x HTTP/1.1\r\nHost: Api.Example.COM:8080\r\n\r\n");
	ok(r == &t.r[1], "host matched case-insensitively with the port stripped");
	r = match(&t, &m, "GET /v2 HTTP/1.1\r\nHost: api.example.com.\r\n\r\n");
	ok(r == &t.r[1], "trailing dot ignored");
	r = match(&t, &m, "GET /v2/x HTTP/1.1\r\nHost: api.example.com\r\nX-Canary: 2\r\n\r\n");
	ok(r == &t.r[1], "header value must match exactly");
	r = match(&t, &m, "GET /v1/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
	ok(r == &t.r[2], "path prefix miss falls through");
	r = match(&t, &m, "GET /v2/x HTTP/1.1\r\nHost: other.example.com\r\n\r\n");
	ok(r == &t.r[2], "host miss falls through");
	r = match(&t, &m, "GET http://api.example.com/v2/y HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
	ok(r == &t.r[1], "absolute-form target matched on its path");
	r = match(&t, &m, "GET /v2 HTTP/1.0\r\n\r\n");
	ok(r == &t.r[2], "no Host: only host-less routes");
	for (uint32_t i = 0; i < 10000; i++)
		hits[route_upstream(&t.r[2], i * 2654435761u)]++;
	ok(hits[0] + hits[3] == 10000 && hits[3] > 400 && hits[3] < 600, "95/5 split: %u to the canary", hits[3]);
	is_int(route_upstream(&t.r[1], 12345), 1, "single upstream");
	route_table_free(&t);

	l.n_routes = 0;
	is_int(route_table_build(&t, &l), 0, "empty table");
	r = match(&t, &m, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(r == NULL, "no route: NULL (404)");
	route_table_free(&t);
	http_msg_free_head(&m);
	return done_testing();
}
