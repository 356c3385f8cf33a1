// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: hostile bytes through the HTTP glue the proxy runs on every
 * request and response: http_msg (llhttp + head copy + strictness checks) fed
 * in pieces, then everything that reads a parsed head: the upstream request
 * and client response builders, the cache's request directives, Range
 * selection and key, the forward proxy's target parser.
 * Input: byte 0 picks request or response and how to split; the rest is the
 * stream. `make fuzz` runs it (not part of make test).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cache/cache.h"
#include "forward/forward_acl.h"
#include "http/http_msg.h"

static char out[70000];

static int on_head(void *arg, struct http_msg *m)
{
	(void)arg;
	if (m->p.type == HTTP_REQUEST) {
		struct http_fwd f = { .client_ip = "198.18.0.1", .proto = "http", .request_id = "r1",
				      .via = true, .framing = HTTP_FRAME_CHUNKED };
		struct cache_req r;
		struct cache_obj o = { .status = 200, .head = "HTTP/1.1 200 OK\r\nETag: \"a\"\r\n", .head_len = 28,
				       .etag = "\"a\"" };
		struct fwd_target t;
		uint64_t a, b;

		http_build_request(m, &f, out, sizeof(out));
		f.forward = true;
		f.anonymize = true;
		http_build_request(m, &f, out, sizeof(out));
		cache_req_init(&r, m, false);
		if (cache_range_pick(&r, &o, 1000, &a, &b) == CACHE_RANGE_OK && (a > b || b >= 1000))
			abort();
		fwd_parse_target(http_target(m), m->target_len, m->p.method == HTTP_CONNECT, &t);
		http_check_host(m, true);
		if (http_origin_form(m) == 0) {
			/* the rewritten target and Host are NUL-terminated where their lengths say */
			int hi = http_find(m, "host");

			if (strlen(http_target(m)) != m->target_len ||
			    (hi >= 0 && strlen(http_value(m, hi)) != m->hdr[hi].value_len))
				abort();
			http_build_request(m, &f, out, sizeof(out));
		}
	} else {
		struct http_back bk = { .framing = HTTP_FRAME_LENGTH, .client_http10 = true, .via = true };
		struct cache_cc cc;

		http_build_response(m, &bk, out, sizeof(out));
		cache_cc_from_msg(&cc, m, false);
	}
	return 0;
}

static int on_body(void *arg, const char *at, size_t len)
{
	(void)arg;
	if (len)   /* the body points into the input: touch both ends */
		out[0] = at[0] ^ at[len - 1];
	return 0;
}

static const struct http_msg_hooks hooks = { .on_head = on_head, .on_body = on_body };

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct http_msg m;
	size_t off = 1, step;

	if (!n)
		return 0;
	step = 1 + (d[0] >> 1);   /* 1..128 bytes a feed: heads split at every place */
	http_msg_init(&m, d[0] & 1 ? HTTP_RESPONSE : HTTP_REQUEST, 8192, &hooks, NULL);
	while (off < n) {
		size_t len = n - off < step ? n - off : step;
		long got = http_msg_feed(&m, (const char *)d + off, len);

		if (got < 0)
			break;
		if (http_msg_paused(&m))
			http_msg_resume(&m);
		off += got ? (size_t)got : len;
	}
	if (off >= n)
		http_msg_eof(&m);
	http_msg_free_head(&m);
	return 0;
}
