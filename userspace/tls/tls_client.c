// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* An upstream's TLS: verification on by default, SNI, and each server's last session for resuming. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "tls/tls_int.h"

/* new_session_cb() - a session (a TLS 1.3 ticket arrives after the handshake) to offer on the next connection. */
static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_client *tc = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), 0);
	uint32_t server = tls_conn_server(ssl);
	SSL_SESSION *old;

	if (!tc || server >= tc->n_servers)
		return 0;
	pthread_mutex_lock(&tc->lock);
	old = tc->sess[server];
	tc->sess[server] = sess;
	pthread_mutex_unlock(&tc->lock);
	SSL_SESSION_free(old);
	return 1;   /* the reference is ours */
}

void tls_client_session_set(struct tls_client *tc, SSL *ssl, uint32_t server)
{
	if (server >= tc->n_servers)
		return;
	if (tc->name)
		SSL_set_tlsext_host_name(ssl, tc->name);
	if (tc->verify) {
		if (tc->name)
			SSL_set1_host(ssl, tc->name);
		else
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), tc->addr[server]);
	}
	pthread_mutex_lock(&tc->lock);
	if (tc->sess[server])
		SSL_set_session(ssl, tc->sess[server]);
	pthread_mutex_unlock(&tc->lock);
}

/* host_of() - "198.18.0.1:443" -> "198.18.0.1", "[2001:2::1]:443" -> "2001:2::1". */
static char *host_of(const char *text)
{
	const char *end;

	if (text[0] == '[') {
		end = strchr(text, ']');
		return end ? strndup(text + 1, (size_t)(end - text - 1)) : strdup(text);
	}
	end = strrchr(text, ':');
	return end ? strndup(text, (size_t)(end - text)) : strdup(text);
}

struct tls_client *tls_client_new(const struct cfg_upstream *up)
{
	const struct cfg_upstream_tls *t = &up->tls;
	struct tls_client *tc = calloc(1, sizeof(*tc));
	char eb[256];

	if (!tc)
		return NULL;
	pthread_mutex_init(&tc->lock, NULL);
	tc->upstream = up->name;
	tc->verify = t->verify;
	tc->n_servers = up->n_servers;
	tc->sess = calloc(up->n_servers ? up->n_servers : 1, sizeof(*tc->sess));
	tc->addr = calloc(up->n_servers ? up->n_servers : 1, sizeof(*tc->addr));
	tc->ctx = SSL_CTX_new(TLS_client_method());
	if (!tc->sess || !tc->addr || !tc->ctx)
		goto err;
	for (size_t i = 0; i < up->n_servers; i++)
		if (!(tc->addr[i] = host_of(up->servers[i].addr.text)))
			goto err;
	if (t->server_name || up->host) {
		tc->name = t->server_name ? strdup(t->server_name) : host_of(up->host);
		if (!tc->name)
			goto err;
	}
	SSL_CTX_set_ex_data(tc->ctx, 0, tc);
	SSL_CTX_set_options(tc->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_min_proto_version(tc->ctx, TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(tc->ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(tc->ctx, new_session_cb);
	if (tc->verify) {
		if (!(t->ca ? SSL_CTX_load_verify_file(tc->ctx, t->ca) : SSL_CTX_set_default_verify_paths(tc->ctx)))
			goto err_ssl;
		SSL_CTX_set_verify(tc->ctx, SSL_VERIFY_PEER, NULL);
	}
	if (t->cert && (!SSL_CTX_use_certificate_chain_file(tc->ctx, t->cert) ||
			!SSL_CTX_use_PrivateKey_file(tc->ctx, t->key, SSL_FILETYPE_PEM)))
		goto err_ssl;
	return tc;
err_ssl:
	log_err("upstream %s: tls: %s", up->name, tls_openssl_error(eb, sizeof(eb)));
err:
	tls_client_free(tc);
	errno = EINVAL;
	return NULL;
}

void tls_client_free(struct tls_client *tc)
{
	if (!tc)
		return;
	for (size_t i = 0; i < tc->n_servers && tc->sess; i++)
		SSL_SESSION_free(tc->sess[i]);
	for (size_t i = 0; i < tc->n_servers && tc->addr; i++)
		free(tc->addr[i]);
	SSL_CTX_free(tc->ctx);
	free(tc->sess);
	free(tc->addr);
	free(tc->name);
	pthread_mutex_destroy(&tc->lock);
	free(tc);
}
