/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* TLS on the loop's connections: OpenSSL driven through buffers the loop fills and sends, never the socket. */
#ifndef SLUICE_TLS_H
#define SLUICE_TLS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

struct loop;
struct loop_conn;
struct tls_server;
struct tls_client;

/*
 * tls_server_new() - what listener @name's `tls:` serves: its certificates by
 * SNI, protocols, ciphers, ALPN, tickets and client verification, built once
 * and shared by every worker. @cfgname names the config in messages; @name
 * must live as long as the server (it is the config's). NULL with errno and
 * the problems on @errs (when not NULL).
 */
struct tls_server *tls_server_new(const char *cfgname, const char *name, const struct cfg_tls *t, FILE *errs);

/* tls_server_get() / tls_server_put() - references: each connection holds one, so a reload frees the old one last. */
void tls_server_get(struct tls_server *s);
void tls_server_put(struct tls_server *s);

/*
 * tls_client_new() - an upstream's TLS: its CA, name, verification and the
 * sessions kept for resuming, one per server (@n_servers). NULL with errno,
 * logged.
 */
struct tls_client *tls_client_new(const struct cfg_upstream *up);
void tls_client_free(struct tls_client *tc);

/*
 * tls_accept() - client connection @c of a TLS listener speaks TLS from now on:
 * a handshake first, then its handlers see plaintext. @request_ms is the timer
 * the connection gets once the handshake is done (the listener's request
 * timeout: the handshake ran under handshake_timeout). 0, -EBUSY when this
 * thread has max_handshakes in progress, or -ENOMEM.
 */
int tls_accept(struct loop *lp, struct loop_conn *c, struct tls_server *s, uint32_t request_ms);

/*
 * tls_connect() - upstream connection @c to server @server of @tc speaks TLS
 * once its socket connects: c->ops->on_connect runs after the handshake (0)
 * or with -ECONNREFUSED-like errors when it fails (-EPROTO, -EKEYREJECTED for
 * a certificate that does not verify). 0 or -ENOMEM.
 */
int tls_connect(struct loop *lp, struct loop_conn *c, struct tls_client *tc, uint32_t server);

/* tls_thread_free() - free what this thread kept for its next connections (at the end of its loop). */
void tls_thread_free(void);

/* What the access log says of a TLS connection (strings live as long as the connection). */
struct tls_info {
	const char *protocol;         /* "TLSv1.3" */
	const char *cipher;
	const char *sni;              /* NULL: none sent */
	const char *alpn;             /* NULL: none agreed */
	const char *subject;          /* the verified client certificate's subject, NULL: none */
	bool resumed;
	uint32_t handshake_ms;
};

/* tls_info() - @c's TLS facts once its handshake is done: false for a connection without TLS (or before). */
bool tls_info(const struct loop_conn *c, struct tls_info *out);

/* Process-wide counters for /metrics (relaxed atomics: bumped once per handshake, not per request). */
enum tls_fail {
	TLS_FAIL_TIMEOUT = 0,         /* handshake_timeout passed first (or sluiced closed it: a drain) */
	TLS_FAIL_CLOSED,              /* the client closed its connection before the handshake ended */
	TLS_FAIL_PROTOCOL,            /* a version or cipher nothing shares, an alert, a malformed record */
	TLS_FAIL_GARBAGE,             /* not TLS at all (a cleartext request on a TLS port) */
	TLS_FAIL_LIMIT,               /* max_handshakes in progress */
	TLS_FAIL_CERT,                /* a certificate that did not verify (client mTLS, or an upstream's) */
	TLS_FAIL_OTHER,
	TLS_FAIL_MAX,
};
extern const char *const tls_fail_names[TLS_FAIL_MAX];

struct tls_stats {
	_Atomic uint64_t handshakes;          /* client handshakes completed */
	_Atomic uint64_t resumed;             /* of which resumed */
	_Atomic uint64_t failures[TLS_FAIL_MAX];
	_Atomic uint64_t up_handshakes;       /* upstream handshakes completed */
	_Atomic uint64_t up_resumed;
	_Atomic uint64_t up_failures;
};
extern struct tls_stats tls_stats;

/* tls_fail_count() - count a failed handshake of @reason (tls_accept()'s callers count their own refusals). */
void tls_fail_count(enum tls_fail reason);

#endif
