/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The forward proxy session: rules, name resolution, origin pools and CONNECT tunnels, hooked into proxy.c. */
#ifndef SLUICE_FORWARD_H
#define SLUICE_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

struct cfg;
struct cfg_upstream;
struct conn;
struct worker;
struct fwd_policy;

/* What a forward request's access log line adds (struct req points at one). */
struct fwd_note {
	char rule[96];           /* the rule that allowed or refused it */
	char user[48];           /* the proxy-authenticated user */
};

/*
 * fwd_policy_new() - what a config generation's forward listeners need besides
 * the config: the users of auth_file, this host's addresses, the listeners'
 * own addresses (a request to itself is a loop). Returns NULL with errno set
 * (logged: the auth file could not be read or is invalid).
 */
struct fwd_policy *fwd_policy_new(const struct cfg *cfg);
void fwd_policy_free(struct fwd_policy *p);

/*
 * forward_start() - a forward listener's request head is complete: check the
 * rules, resolve, and send it on (or open a tunnel for CONNECT).
 * Returns 0 when an origin connection took the request (proxy.c carries on),
 * 1 when it waits for the resolver or for a crypt thread to check a hashed
 * password (proxy_resume() follows), -1 when the client was answered (403,
 * 407, 429, 400, 502, 503) and the connection is closing.
 */
int forward_start(struct worker *w, struct conn *c);

/*
 * forward_connect() - send @c's request (head in fwd_head) to the origin it was
 * checked for (req.last_srv): a pooled connection or a new one. 0, or -errno
 * with nothing sent (the caller answers).
 */
int forward_connect(struct worker *w, struct conn *c);

/*
 * forward_retry() - the origin connection failed before any response byte (a
 * pooled one the origin had just closed, most often): send an idempotent,
 * body-less request once more, to the same checked address. 0 when it went,
 * -1 when it may not be retried (the caller answers 502).
 */
int forward_retry(struct worker *w, struct conn *c);

/*
 * forward_cache_host() - the host a forward request is cached under: the
 * authority of its absolute-form target (what the rules and the origin saw),
 * not the client's Host header. Leaves @host and @len alone for anything else.
 */
void forward_cache_host(const struct conn *c, const char **host, size_t *len);

/* forward_upstream_cfg() - timeouts, pool size and Via of forward request @c's origin connections. */
const struct cfg_upstream *forward_upstream_cfg(const struct conn *c);

/* forward_tunnel_open() - the CONNECT origin accepted: answer 200 and relay both ways. */
void forward_tunnel_open(struct worker *w, struct conn *c);

/* forward_tunnel_eof() - one side of a CONNECT tunnel ended (@err < 0: failed): pass the half-close on. */
void forward_tunnel_eof(struct worker *w, struct conn *x, int err);

/* forward_tunnel_sent() - @x's output drained a little. true when @x or its tunnel was closed here. */
bool forward_tunnel_sent(struct worker *w, struct conn *x);

/* forward_on_poll() - a UD_RESOLV completion for the worker's resolver. */
void forward_on_poll(struct worker *w, uint32_t slot, uint32_t gen, int res);

/* forward_tick() - resolver timeouts, and crypt answers not yet taken; called from the loop's timer tick. */
void forward_tick(struct worker *w);

/* forward_on_wake() - the worker's wake eventfd fired: take the crypt threads' answers (forward_crypt.h). */
void forward_on_wake(struct worker *w);

/* forward_conn_released() - an upstream connection is gone: its origin may be evicted once unused. */
void forward_conn_released(struct worker *w, struct conn *u);

/* forward_worker_free() - after the worker's thread ended: the resolver and the origins. */
void forward_worker_free(struct worker *w);

#endif
