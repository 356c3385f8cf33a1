// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Certificates and keys from PEM files: loading, the names they serve, and the TLS checks of `sluiced -t`. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls/tls_cert.h"

/* "CFG:LINE: message" or "CFG:LINE: warning: message", as the config loader writes them. */
static void tls_say(FILE *errs, const char *cfgname, int line, bool warn, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void tls_say(FILE *errs, const char *cfgname, int line, bool warn, const char *fmt, ...)
{
	va_list ap;

	if (!errs)
		return;
	fprintf(errs, "%s:%d: %s", cfgname, line, warn ? "warning: " : "");
	va_start(ap, fmt);
	vfprintf(errs, fmt, ap);
	va_end(ap);
	fputc('\n', errs);
}

/* A BIO on the regular file @path, or NULL with errno (a directory is EISDIR, not a read error later). */
static BIO *tls_open(const char *path)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	BIO *bio;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || S_ISDIR(st.st_mode)) {
		fclose(f);
		errno = EISDIR;
		return NULL;
	}
	bio = BIO_new_fp(f, BIO_CLOSE);
	if (!bio) {
		fclose(f);
		errno = ENOMEM;
	}
	return bio;
}

/* Never prompt on the terminal for a passphrase: an encrypted key is refused instead. */
static int tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* The end of a PEM file after its last block is "no start line": anything else is a broken block. */
static bool tls_pem_clean_end(void)
{
	unsigned long e = ERR_peek_last_error();

	ERR_clear_error();
	return !e || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
}

/* @t as "2020-01-01 00:00:00 UTC" in @buf. */
static const char *tls_time_str(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "(unreadable date)");
	return buf;
}

static int tls_add_name(struct tls_cert *tc, const unsigned char *s, size_t len)
{
	char **names, *n;

	if (!len || memchr(s, 0, len))   /* an embedded NUL names nothing a client can ask for */
		return 0;
	names = realloc(tc->names, (tc->n_names + 1) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	tc->names = names;
	n = malloc(len + 1);
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		n[i] = (char)tolower(s[i]);
	n[len] = 0;
	tc->names[tc->n_names++] = n;
	return 0;
}

/* The DNS names of the SAN; only when there are none, the last (most specific) CN (RFC 6125 6.4.4). */
static int tls_cert_names(struct tls_cert *tc)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(tc->leaf, NID_subject_alt_name, NULL, NULL);
	X509_NAME *subj;
	int err = 0, idx = -1, i;

	for (i = 0; gens && i < sk_GENERAL_NAME_num(gens) && !err; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS)
			err = tls_add_name(tc, ASN1_STRING_get0_data(g->d.dNSName),
					   (size_t)ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	if (err || tc->n_names)
		return err;
	subj = X509_get_subject_name(tc->leaf);
	for (i = -1; (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;)
		idx = i;
	if (idx >= 0) {
		unsigned char *u = NULL;
		int n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx)));

		if (n > 0)
			err = tls_add_name(tc, u, (size_t)n);
		OPENSSL_free(u);
	}
	return err;
}

/* The leaf, then every certificate after it; false (said on @errs) when the file is not that. */
static bool tls_read_certs(const char *cfgname, const struct cfg_tls_cert *cc, struct tls_cert *tc, FILE *errs)
{
	BIO *bio = tls_open(cc->cert);
	X509 *x;

	if (!bio) {
		tls_say(errs, cfgname, cc->line, false, "certificate %s: %s", cc->cert, strerror(errno));
		return false;
	}
	ERR_clear_error();
	tc->leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!tc->leaf) {
		ERR_clear_error();
		tls_say(errs, cfgname, cc->line, false, "certificate %s: no PEM certificate in it", cc->cert);
		goto err_free_bio;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if ((!tc->chain && !(tc->chain = sk_X509_new_null())) || !sk_X509_push(tc->chain, x)) {
			X509_free(x);
			tls_say(errs, cfgname, cc->line, false, "certificate %s: out of memory", cc->cert);
			goto err_free_bio;
		}
	}
	if (!tls_pem_clean_end()) {
		tls_say(errs, cfgname, cc->line, false, "certificate %s: a malformed PEM certificate after the %s one",
			cc->cert, tc->chain ? "chain's" : "first");
		goto err_free_bio;
	}
	BIO_free(bio);
	return true;
err_free_bio:
	BIO_free(bio);
	return false;
}

static bool tls_read_key(const char *cfgname, const struct cfg_tls_cert *cc, struct tls_cert *tc, FILE *errs)
{
	BIO *bio = tls_open(cc->key);

	if (!bio) {
		tls_say(errs, cfgname, cc->line, false, "key %s: %s", cc->key, strerror(errno));
		return false;
	}
	tc->key = PEM_read_bio_PrivateKey(bio, NULL, tls_no_passphrase, NULL);
	ERR_clear_error();
	BIO_free(bio);
	if (!tc->key)
		tls_say(errs, cfgname, cc->line, false, "key %s: no PEM private key in it (an encrypted key is not "
			"supported)", cc->key);
	return tc->key;
}

struct tls_cert *tls_cert_load(const char *cfgname, const struct cfg_tls_cert *cc, FILE *errs)
{
	struct tls_cert *tc = calloc(1, sizeof(*tc));
	bool certs_ok, key_ok;
	char date[64];
	int err;

	if (!tc) {
		tls_say(errs, cfgname, cc->line, false, "certificate %s: out of memory", cc->cert);
		errno = ENOMEM;
		return NULL;
	}
	tc->line = cc->line;
	/* both files are read whatever the first gave, so -t reports each problem at once */
	certs_ok = tls_read_certs(cfgname, cc, tc, errs);
	key_ok = tls_read_key(cfgname, cc, tc, errs);
	if (!certs_ok || !key_ok)
		goto err_invalid;
	if (X509_check_private_key(tc->leaf, tc->key) != 1) {
		ERR_clear_error();
		tls_say(errs, cfgname, cc->line, false, "key %s does not match certificate %s", cc->key, cc->cert);
		goto err_invalid;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(tc->leaf)) < 0)
		tls_say(errs, cfgname, cc->line, true, "certificate %s expired on %s", cc->cert,
			tls_time_str(X509_get0_notAfter(tc->leaf), date, sizeof(date)));
	else if (X509_cmp_current_time(X509_get0_notBefore(tc->leaf)) > 0)
		tls_say(errs, cfgname, cc->line, true, "certificate %s is not valid before %s", cc->cert,
			tls_time_str(X509_get0_notBefore(tc->leaf), date, sizeof(date)));
	err = tls_cert_names(tc);
	if (err) {
		tls_say(errs, cfgname, cc->line, false, "certificate %s: %s", cc->cert, strerror(-err));
		tls_cert_free(tc);
		errno = -err;
		return NULL;
	}
	if (!tc->n_names)
		tls_say(errs, cfgname, cc->line, true, "certificate %s names no host (no DNS name, no CN): only "
			"clients that check no name accept it", cc->cert);
	tc->ecdsa = EVP_PKEY_is_a(tc->key, "EC");
	return tc;
err_invalid:
	tls_cert_free(tc);
	errno = EINVAL;
	return NULL;
}

void tls_cert_free(struct tls_cert *tc)
{
	if (!tc)
		return;
	X509_free(tc->leaf);
	sk_X509_pop_free(tc->chain, X509_free);
	EVP_PKEY_free(tc->key);
	for (size_t i = 0; i < tc->n_names; i++)
		free(tc->names[i]);
	free(tc->names);
	free(tc);
}

bool tls_name_match(const char *pattern, const char *host)
{
	size_t pl = strlen(pattern), hl = strlen(host);

	if (hl && host[hl - 1] == '.')   /* "example.com." is the fully qualified example.com */
		hl--;
	if (pl && pattern[pl - 1] == '.')
		pl--;
	if (!pl || !hl)
		return false;
	if (pl > 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* "*.x.y": one label, not empty and without a dot, then ".x.y" */
		size_t sl = pl - 1;           /* ".x.y" */
		const char *dot = memchr(host, '.', hl);

		return hl > sl && dot == host + (hl - sl) && !strncasecmp(host + hl - sl, pattern + 1, sl);
	}
	return pl == hl && !strncasecmp(pattern, host, hl);
}

bool tls_cert_serves(const struct tls_cert *tc, const char *host)
{
	for (size_t i = 0; i < tc->n_names; i++)
		if (tls_name_match(tc->names[i], host))
			return true;
	return false;
}

/*
 * A route host as SNI would carry it: without a port, or nothing (false) for
 * an IP literal, for which clients send no SNI (RFC 6066 3) and so always
 * get the default certificate.
 */
static bool tls_route_sni(const char *host, char *buf, size_t len)
{
	const char *colon = strchr(host, ':');
	struct in_addr a;

	if (host[0] == '[' || (colon && strchr(colon + 1, ':')))   /* IPv6, bracketed or not */
		return false;
	snprintf(buf, len, "%.*s", colon ? (int)(colon - host) : (int)strlen(host), host);
	return *buf && inet_pton(AF_INET, buf, &a) != 1;
}

/* A CA bundle: readable, and at least one PEM certificate in it. */
static int tls_check_ca(const char *cfgname, int line, const char *what, const char *path, FILE *errs)
{
	BIO *bio = tls_open(path);
	X509 *x;
	int n = 0;

	if (!bio) {
		tls_say(errs, cfgname, line, false, "%s %s: %s", what, path, strerror(errno));
		return -EINVAL;
	}
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	if (!tls_pem_clean_end()) {
		tls_say(errs, cfgname, line, false, "%s %s: a malformed PEM certificate after %d good ones", what, path, n);
		return -EINVAL;
	}
	if (!n) {
		tls_say(errs, cfgname, line, false, "%s %s: no PEM certificate in it", what, path);
		return -EINVAL;
	}
	return 0;
}

/* The cipher lists of @t, tried on a scratch context: OpenSSL takes them or says no. */
static int tls_check_ciphers(const struct cfg *cfg, const struct cfg_listener *l, SSL_CTX *scratch, FILE *errs)
{
	const struct cfg_tls *t = &l->tls;
	int err = 0;

	if (t->ciphers && SSL_CTX_set_cipher_list(scratch, t->ciphers) != 1) {
		tls_say(errs, cfg->path, t->ciphers_line, false, "listener '%s': ciphers '%s' names no cipher OpenSSL knows",
			l->name, t->ciphers);
		err = -EINVAL;
	}
	if (t->ciphersuites && SSL_CTX_set_ciphersuites(scratch, t->ciphersuites) != 1) {
		tls_say(errs, cfg->path, t->ciphersuites_line, false, "listener '%s': ciphersuites '%s' names no TLS 1.3 suite OpenSSL "
			"knows (names such as TLS_AES_128_GCM_SHA256, separated by ':')", l->name, t->ciphersuites);
		err = -EINVAL;
	}
	ERR_clear_error();
	return err;
}

static int tls_check_listener(const struct cfg *cfg, const struct cfg_listener *l, SSL_CTX *scratch, FILE *errs)
{
	const struct cfg_tls *t = &l->tls;
	struct tls_cert **tcs = calloc(t->n_certs ? t->n_certs : 1, sizeof(*tcs));
	bool all_loaded = true;
	int err = 0;

	if (!tcs) {
		tls_say(errs, cfg->path, t->line, false, "listener '%s': out of memory", l->name);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n_certs; i++)
		if (!(tcs[i] = tls_cert_load(cfg->path, &t->certs[i], errs)))
			all_loaded = false;
	if (!all_loaded)
		err = -EINVAL;
	if (t->client_ca && tls_check_ca(cfg->path, t->client_ca_line, "client_ca", t->client_ca, errs))
		err = -EINVAL;
	if (tls_check_ciphers(cfg, l, scratch, errs))
		err = -EINVAL;
	/* with a certificate missing, what it would have served is unknown: no guesses about hosts */
	for (size_t r = 0; all_loaded && t->n_certs && r < l->n_routes; r++) {
		const char *host = l->routes[r].match.host;
		char sni[256];
		size_t i;

		if (!host || !tls_route_sni(host, sni, sizeof(sni)))
			continue;
		for (i = 0; i < t->n_certs && !tls_cert_serves(tcs[i], sni); i++)
			;
		if (i == t->n_certs) {
			tls_say(errs, cfg->path, l->routes[r].line, false, "route host '%s' on TLS listener '%s' is served "
				"by no certificate (clients would get the default certificate '%s')", host, l->name,
				t->certs[0].cert);
			err = -EINVAL;
		}
	}
	for (size_t i = 0; i < t->n_certs; i++)
		tls_cert_free(tcs[i]);
	free(tcs);
	return err;
}

static int tls_check_upstream(const struct cfg *cfg, const struct cfg_upstream *up, FILE *errs)
{
	const struct cfg_upstream_tls *t = &up->tls;
	int err = 0;

	if (t->ca && tls_check_ca(cfg->path, t->ca_line, "ca", t->ca, errs))
		err = -EINVAL;
	if (t->cert && t->key) {
		struct cfg_tls_cert cc = { .cert = t->cert, .key = t->key, .line = t->cert_line };
		struct tls_cert *tc = tls_cert_load(cfg->path, &cc, errs);

		if (!tc)
			err = -EINVAL;
		tls_cert_free(tc);
	}
	return err;
}

int tls_check(const struct cfg *cfg, FILE *errs)
{
	SSL_CTX *scratch = NULL;
	int err = 0;

	for (size_t i = 0; i < cfg->l7.n_listeners; i++) {
		const struct cfg_listener *l = &cfg->l7.listeners[i];

		if (!l->tls.present)
			continue;
		if (!scratch && !(scratch = SSL_CTX_new(TLS_method()))) {
			tls_say(errs, cfg->path, l->tls.line, false, "listener '%s': OpenSSL: cannot make a context",
				l->name);
			return -ENOMEM;
		}
		if (tls_check_listener(cfg, l, scratch, errs))
			err = -EINVAL;
	}
	SSL_CTX_free(scratch);
	for (size_t i = 0; i < cfg->l7.n_upstreams; i++)
		if (cfg->l7.upstreams[i].tls.enabled && tls_check_upstream(cfg, &cfg->l7.upstreams[i], errs))
			err = -EINVAL;
	return err;
}
