// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A listener's TLS contexts: certificates chosen by SNI, Mozilla's intermediate defaults, ALPN, tickets, mTLS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>

#include "lib/log.h"
#include "tls/tls_int.h"

/* Mozilla's "intermediate" configuration (version 5.7): TLS 1.2 ciphers with forward secrecy and an AEAD. */
#define TLS_CIPHERS_INTERMEDIATE \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"
#define TLS_SUITES_INTERMEDIATE "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS_INTERMEDIATE "X25519:P-256:P-384"

const char *tls_openssl_error(char *buf, size_t len)
{
	unsigned long e, last = 0;

	while ((e = ERR_get_error()))
		last = e;
	if (!last)
		return "no detail";
	ERR_error_string_n(last, buf, len);
	return buf;
}

/* ctx_for() - the context of the first certificate naming @host: exact names first, then wildcards. */
static SSL_CTX *ctx_for(const struct tls_server *s, const char *host)
{
	for (int wild = 0; wild < 2; wild++)
		for (size_t i = 0; i < s->n_certs; i++)
			for (size_t n = 0; n < s->certs[i]->n_names; n++) {
				const char *name = s->certs[i]->names[n];

				if ((name[0] == '*') == wild && tls_name_match(name, host))
					return s->ctx[s->cert_ctx[i]];
			}
	return NULL;
}

/* sni_cb() - the client named a host: move the handshake to the certificate that serves it (else the default's). */
static int sni_cb(SSL *ssl, int *al, void *arg)
{
	const struct tls_server *s = arg;
	const char *host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	SSL_CTX *ctx;

	(void)al;
	if (!host || s->n_ctx == 1)
		return SSL_TLSEXT_ERR_OK;
	ctx = ctx_for(s, host);
	if (ctx && ctx != SSL_get_SSL_CTX(ssl))
		SSL_set_SSL_CTX(ssl, ctx);
	return SSL_TLSEXT_ERR_OK;
}

/* alpn_cb() - the first of our protocols the client offers; none in common: no ALPN (HTTP/1.1 is assumed). */
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
		   unsigned int inlen, void *arg)
{
	const struct tls_server *s = arg;
	unsigned char *sel;

	(void)ssl;
	if (SSL_select_next_proto(&sel, outlen, s->alpn, s->alpn_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static int min_version(uint32_t p)
{
	return p & CFG_TLS10 ? TLS1_VERSION : p & CFG_TLS11 ? TLS1_1_VERSION : p & CFG_TLS12 ? TLS1_2_VERSION :
	       TLS1_3_VERSION;
}

static int max_version(uint32_t p)
{
	return p & CFG_TLS13 ? TLS1_3_VERSION : p & CFG_TLS12 ? TLS1_2_VERSION : p & CFG_TLS11 ? TLS1_1_VERSION :
	       TLS1_VERSION;
}

/* ctx_new() - a server context with everything but certificates. NULL, with the reason on @errs. */
static SSL_CTX *ctx_new(struct tls_server *s, const char *cfgname, const struct cfg_tls *t, FILE *errs)
{
	static const unsigned char sid_ctx[] = "sluice";
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char eb[256];

	if (!ctx)
		goto err;
	/*
	 * No renegotiation (a client-driven CPU sink), no compression (CRIME);
	 * the client's cipher order, as Mozilla's intermediate profile says:
	 * every suite offered is strong, and clients know their own hardware.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	/* OpenSSL's record buffers: kept while a connection is busy, freed once it idles (tls_conn.c). */
	if (!SSL_CTX_set_min_proto_version(ctx, min_version(t->protocols)) ||
	    !SSL_CTX_set_max_proto_version(ctx, max_version(t->protocols)))
		goto err;
	if (t->protocols & (CFG_TLS10 | CFG_TLS11))
		SSL_CTX_set_security_level(ctx, 0);   /* OpenSSL 3 refuses their SHA-1 signatures above level 0 */
	if (!SSL_CTX_set_cipher_list(ctx, t->ciphers ? t->ciphers : TLS_CIPHERS_INTERMEDIATE) ||
	    !SSL_CTX_set_ciphersuites(ctx, t->ciphersuites ? t->ciphersuites : TLS_SUITES_INTERMEDIATE) ||
	    !SSL_CTX_set1_groups_list(ctx, TLS_GROUPS_INTERMEDIATE))
		goto err;
	SSL_CTX_set_dh_auto(ctx, 1);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	/* Resumption is by tickets only: no per-process session cache a client would miss on another worker. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_timeout(ctx, t->session_timeout_ms / 1000);
	if (t->session_tickets) {
		tls_tickets_attach(ctx, t->ticket_rotate_ms);
	} else {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
	}
	SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
	SSL_CTX_set_tlsext_servername_arg(ctx, s);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, s);
	if (t->client_ca) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(t->client_ca);

		if (!names || !SSL_CTX_load_verify_file(ctx, t->client_ca)) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			goto err;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		if (t->client_verify != CFG_VERIFY_OFF)
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (t->client_verify == CFG_VERIFY_REQUIRED ?
								   SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	}
	return ctx;
err:
	if (errs)
		fprintf(errs, "%s:%d: tls: %s\n", cfgname, t->line, tls_openssl_error(eb, sizeof(eb)));
	SSL_CTX_free(ctx);
	return NULL;
}

static bool same_names(const struct tls_cert *a, const struct tls_cert *b)
{
	if (a->n_names != b->n_names)
		return false;
	for (size_t i = 0; i < a->n_names; i++)
		if (strcmp(a->names[i], b->names[i]))
			return false;
	return true;
}

/* place_cert() - the context for certificate @i: one of the same names and the other key type, or a new one. */
static int place_cert(struct tls_server *s, size_t i, const char *cfgname, const struct cfg_tls *t, FILE *errs)
{
	struct tls_cert *tc = s->certs[i];
	size_t c;
	char eb[256];

	for (c = 0; c < s->n_ctx; c++) {
		bool fits = true;

		for (size_t j = 0; j < i && fits; j++)
			if (s->cert_ctx[j] == c)
				fits = same_names(s->certs[j], tc) && s->certs[j]->ecdsa != tc->ecdsa;
		if (fits)
			break;
	}
	if (c == s->n_ctx) {
		s->ctx[c] = ctx_new(s, cfgname, t, errs);
		if (!s->ctx[c])
			return -EINVAL;
		s->n_ctx++;
	}
	s->cert_ctx[i] = c;
	if (!SSL_CTX_use_cert_and_key(s->ctx[c], tc->leaf, tc->key, tc->chain, 1)) {
		if (errs)
			fprintf(errs, "%s:%d: tls: certificate: %s\n", cfgname, tc->line, tls_openssl_error(eb, sizeof(eb)));
		return -EINVAL;
	}
	return 0;
}

static int alpn_wire(struct tls_server *s, const struct cfg_tls *t)
{
	static const unsigned char http11[] = "\x08http/1.1";
	size_t len = 0;

	for (size_t i = 0; i < t->n_alpn; i++)
		len += 1 + strlen(t->alpn[i]);
	s->alpn = malloc(len ? len : sizeof(http11) - 1);
	if (!s->alpn)
		return -ENOMEM;
	if (!len) {
		memcpy(s->alpn, http11, sizeof(http11) - 1);
		s->alpn_len = sizeof(http11) - 1;
	}
	for (size_t i = 0; i < t->n_alpn; i++) {
		size_t n = strlen(t->alpn[i]);

		s->alpn[s->alpn_len++] = (unsigned char)n;
		memcpy(s->alpn + s->alpn_len, t->alpn[i], n);
		s->alpn_len += (unsigned int)n;
	}
	return 0;
}

struct tls_server *tls_server_new(const char *cfgname, const char *name, const struct cfg_tls *t, FILE *errs)
{
	struct tls_server *s = calloc(1, sizeof(*s));
	int err = -ENOMEM;

	if (!s)
		goto err;
	s->refs = 1;
	s->name = name;
	s->max_handshakes = t->max_handshakes;
	s->handshake_ms = t->handshake_timeout_ms;
	s->verify_client = t->client_ca && t->client_verify != CFG_VERIFY_OFF;
	s->certs = calloc(t->n_certs, sizeof(*s->certs));
	s->ctx = calloc(t->n_certs, sizeof(*s->ctx));
	s->cert_ctx = calloc(t->n_certs, sizeof(*s->cert_ctx));
	if (!s->certs || !s->ctx || !s->cert_ctx || alpn_wire(s, t))
		goto err_free;
	err = -EINVAL;
	for (size_t i = 0; i < t->n_certs; i++) {
		s->certs[i] = tls_cert_load(cfgname, &t->certs[i], errs);
		if (!s->certs[i])
			goto err_free;
		s->n_certs++;
		if (place_cert(s, i, cfgname, t, errs))
			goto err_free;
	}
	if (!s->n_ctx)
		goto err_free;
	return s;
err_free:
	tls_server_put(s);
err:
	errno = -err;
	return NULL;
}

void tls_server_get(struct tls_server *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void tls_server_put(struct tls_server *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < s->n_ctx; i++)
		SSL_CTX_free(s->ctx[i]);
	for (size_t i = 0; i < s->n_certs; i++)
		tls_cert_free(s->certs[i]);
	free(s->ctx);
	free(s->certs);
	free(s->cert_ctx);
	free(s->alpn);
	free(s);
}
