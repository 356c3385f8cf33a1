/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sluicectl's HTTP/1.1 client: one request per connection to the admin API (TCP or unix socket). */
#ifndef SLUICECTL_HTTP_H
#define SLUICECTL_HTTP_H

#include <stddef.h>

struct http_resp {
	int status;
	char *body;          /* NUL-terminated, malloc'd */
	size_t body_len;
};

/*
 * http_request() - send @method @path (with @body if not NULL) to @addr
 * ("host:port", "[v6]:port" or "unix:/path") and read the whole answer; with
 * @token (not NULL) as "Authorization: Bearer @token". Host is the address
 * actually connected to (numeric), which the admin API accepts whatever name
 * @addr used. Returns 0 with @resp filled, or -errno (-ECONNREFUSED, -ENOENT,
 * ...) with a reason for the operator in @err.
 */
int http_request(const char *addr, const char *method, const char *path, const char *body, const char *token,
		 struct http_resp *resp, char *err, size_t errlen);

#endif
