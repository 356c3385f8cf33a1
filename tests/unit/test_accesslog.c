// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* accesslog: combined and JSON lines, escaping of client-controlled text, never a cut line. */
#include <stdlib.h>
#include <string.h>

#include "l7/accesslog.h"
#include "../tap.h"

int main(void)
{
	struct accesslog_rec r = {
		.client_ip = "198.18.0.1", .start_ms = 1700000000123LL, .method = "GET",
		.target = "/a\"b\x01", .target_len = 5, .http_minor = 1, .status = 200,
		.bytes_in = 80, .bytes_out = 1234, .referer = NULL, .user_agent = "curl/8",
		.upstream = "127.0.0.1:9001", .upstream_ms = 12, .total_ms = 15,
		.request_id = "abc", .cache = "-",
	};
	char line[1024];
	size_t n;

	setenv("TZ", "UTC", 1);
	n = accesslog_format(CFG_LOG_COMBINED, &r, line, sizeof(line));
	ok(n > 0 && line[n - 1] == '\n', "combined line ends with a newline");
	line[n] = 0;
	is_str(line, "198.18.0.1 - - [14/Nov/2023:22:13:20 +0000] \"GET /a\\\"b\\x01 HTTP/1.1\" 200 1234 \"-\" "
	       "\"curl/8\" upstream=127.0.0.1:9001 urt=0.012 rt=0.015 in=80 rid=abc cache=-\n",
	       "combined format with upstream fields, escaped target");
	n = accesslog_format(CFG_LOG_JSON, &r, line, sizeof(line));
	line[n] = 0;
	is_str(line, "{\"time\":\"2023-11-14T22:13:20.123Z\",\"client\":\"198.18.0.1\",\"method\":\"GET\","
	       "\"uri\":\"/a\\\"b\\u0001\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes_in\":80,"
	       "\"bytes_out\":1234,\"referer\":\"-\",\"user_agent\":\"curl/8\",\"upstream\":\"127.0.0.1:9001\","
	       "\"upstream_time\":0.012,\"request_time\":0.015,\"request_id\":\"abc\",\"cache\":\"-\"}\n",
	       "JSON line");
	r.upstream = NULL;
	r.upstream_ms = -1;
	n = accesslog_format(CFG_LOG_JSON, &r, line, sizeof(line));
	line[n] = 0;
	ok(strstr(line, "\"upstream\":\"-\",\"upstream_time\":null") != NULL, "no upstream: null time");
	is_int(accesslog_format(CFG_LOG_COMBINED, &r, line, 40), 0, "a line that does not fit is dropped whole");
	{
		static const struct http_msg_hooks none = { 0 };
		static const char req[] = "POST / HTTP/1.1\r\nHost: h\r\nCookie: s=1\r\nX-A: \"q\"\r\n\r\n";
		char *redact[] = { "authorization", "cookie" };
		struct http_msg m;

		http_msg_init(&m, HTTP_REQUEST, 4096, &none, NULL);
		http_msg_feed(&m, req, sizeof(req) - 1);
		r.head = &m;
		r.redact = redact;
		r.n_redact = 2;
		r.req_body = "in\nput";
		r.req_body_len = 6;
		r.resp_body = "out";
		r.resp_body_len = 3;
		n = accesslog_format(CFG_LOG_COMBINED, &r, line, sizeof(line));
		line[n] = 0;
		ok(strstr(line, " req_headers=\"Host: h; Cookie: [redacted]; X-A: \\\"q\\\"\" req_body=\"in\\x0Aput\" resp_body=\"out\"\n"),
		   "combined capture: headers redacted and escaped, bodies escaped");
		n = accesslog_format(CFG_LOG_JSON, &r, line, sizeof(line));
		line[n] = 0;
		ok(strstr(line, ",\"request_headers\":{\"Host\":\"h\",\"Cookie\":\"[redacted]\",\"X-A\":\"\\\"q\\\"\"},"
			  "\"request_body\":\"in\\u000aput\",\"response_body\":\"out\"}\n"), "JSON capture");
		http_msg_free_head(&m);
	}
	return done_testing();
}
