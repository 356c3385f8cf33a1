/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Helpers for the cache unit tests: parse a request or response head from text. */
#ifndef SLUICE_TESTS_CACHE_UTIL_H
#define SLUICE_TESTS_CACHE_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "http/http_msg.h"

static const struct http_msg_hooks cu_hooks;

/* cu_msg() - a parsed head of @type from @text (the body, if any, is not needed). Free with cu_free(). */
static inline struct http_msg *cu_msg(llhttp_type_t type, const char *text)
{
	struct http_msg *m = calloc(1, sizeof(*m));

	http_msg_init(m, type, 65536, &cu_hooks, NULL);
	http_msg_feed(m, text, strlen(text));
	if (!m->head_done) {
		http_msg_free_head(m);
		free(m);
		return NULL;
	}
	return m;
}

static inline struct http_msg *cu_req(const char *text) { return cu_msg(HTTP_REQUEST, text); }
static inline struct http_msg *cu_resp(const char *text) { return cu_msg(HTTP_RESPONSE, text); }

static inline void cu_free(struct http_msg *m)
{
	if (!m)
		return;
	http_msg_free_head(m);
	free(m);
}

#endif
