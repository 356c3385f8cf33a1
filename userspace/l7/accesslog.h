/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Access log lines (nginx "combined" plus upstream fields, or JSON) for one served request. */
#ifndef SLUICE_ACCESSLOG_H
#define SLUICE_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "http/http_msg.h"
#include "tls/tls.h"

struct accesslog_rec {
	const char *client_ip;
	int64_t start_ms;          /* wall clock, ms since the epoch */
	const char *method;
	const char *target;
	size_t target_len;
	int http_minor;            /* HTTP/1.x */
	bool http2;                /* an HTTP/2 stream: HTTP/2.0 */
	int status;
	uint64_t bytes_in;         /* request bytes read from the client */
	uint64_t bytes_out;        /* response bytes written to the client */
	const char *referer;       /* NULL -> "-" */
	const char *user_agent;
	const char *upstream;      /* "127.0.0.1:9001" or NULL */
	int64_t upstream_ms;       /* connect start to response end; -1: no upstream */
	int64_t total_ms;
	const char *request_id;
	const char *cache;         /* "-" until a cache exists */
	const char *rule;          /* forward proxy: the rule that allowed or refused it; NULL: none */
	const char *user;          /* forward proxy: the authenticated user (combined: the remote user field) */
	const struct tls_info *tls;        /* NULL: a cleartext connection */
	/* body capture (a sampled request only): NULL = not captured */
	const struct http_msg *head;       /* request head: its headers are logged */
	char *const *redact;               /* header names whose values are logged as "[redacted]" */
	size_t n_redact;
	const char *req_body, *resp_body;
	size_t req_body_len, resp_body_len;
};

/*
 * accesslog_format() - one line, newline included, into @out.
 * Returns its length, or 0 if @cap is too small (the line is dropped, never cut).
 */
size_t accesslog_format(enum cfg_log_format fmt, const struct accesslog_rec *r, char *out, size_t cap);

#endif
