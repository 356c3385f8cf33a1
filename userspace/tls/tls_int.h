/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Internal to tls/: the server and client contexts as the connections and callbacks see them. */
#ifndef SLUICE_TLS_INT_H
#define SLUICE_TLS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <openssl/ssl.h>

#include "tls/tls.h"
#include "tls/tls_cert.h"

/*
 * A listener's TLS. Certificates whose names are the same share one SSL_CTX
 * (an ECDSA and an RSA one side by side: OpenSSL picks by what the client
 * offers); the SNI callback moves a handshake to the context that serves the
 * name asked for.
 */
struct tls_server {
	_Atomic int refs;
	const char *name;             /* the listener's, for log lines */
	SSL_CTX **ctx;                /* ctx[0]: the default certificate's */
	size_t n_ctx;
	struct tls_cert **certs;
	size_t n_certs;
	size_t *cert_ctx;             /* the context each certificate is in */
	unsigned char *alpn;          /* the ALPN protocols in wire form */
	unsigned int alpn_len;
	uint32_t max_handshakes;
	uint32_t handshake_ms;
	bool verify_client;
};

/* An upstream's TLS: one context, and the last session of each server to resume with. */
struct tls_client {
	SSL_CTX *ctx;
	char *name;                   /* SNI and the name verified, NULL: an address is verified instead */
	char **addr;                  /* each server's address without the port (verified when name is NULL) */
	const char *upstream;         /* for log lines */
	pthread_mutex_t lock;         /* the sessions: taken once per new upstream connection */
	SSL_SESSION **sess;
	size_t n_servers;
	bool verify;
};

/* tls_conn_server() - the server index an upstream connection's @ssl was made for (tls_conn.c). */
uint32_t tls_conn_server(SSL *ssl);

/* tls_tickets_attach() - @ctx encrypts and decrypts session tickets with the keys every worker shares. */
void tls_tickets_attach(SSL_CTX *ctx, uint32_t rotate_ms);

/* tls_client_session_set() - SNI, the name verified and the session a new connection to @server offers. */
void tls_client_session_set(struct tls_client *tc, SSL *ssl, uint32_t server);

/* tls_openssl_error() - OpenSSL's last error queued, as text (drained), for a log line; @buf of @len bytes. */
const char *tls_openssl_error(char *buf, size_t len);

#endif
