/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Certificates and keys as a listener serves them: loaded, checked against each other, and the names they cover. */
#ifndef SLUICE_TLS_CERT_H
#define SLUICE_TLS_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <openssl/ssl.h>

#include "config/config.h"

/* One certificate as loaded from a listener's tls.certificates item. */
struct tls_cert {
	X509 *leaf;
	STACK_OF(X509) *chain;        /* the certificates after the leaf in the file, NULL: none */
	EVP_PKEY *key;
	char **names;                 /* the DNS names of its SAN (lowercase; "*.example.com" kept as such), else its CN */
	size_t n_names;
	bool ecdsa;                   /* an EC key (served to clients that offer ECDSA), else RSA or another type */
	int line;                     /* the item's line in the config */
};

/*
 * tls_cert_load() - read the certificate (leaf, then chain) and key files of
 * @cc. Problems go to @errs as "CFGNAME:LINE: ..." with the file named:
 * errors (NULL returned, errno EINVAL) for an unreadable file, a file without
 * a PEM certificate or key, and a key that does not match the certificate;
 * warnings (the certificate still loads) for one that has expired or is not
 * yet valid. @errs may be NULL.
 */
struct tls_cert *tls_cert_load(const char *cfgname, const struct cfg_tls_cert *cc, FILE *errs);

void tls_cert_free(struct tls_cert *tc);

/* tls_name_match() - @host (any case) is what @pattern names: exactly, or "*.x.y" for exactly one label before .x.y. */
bool tls_name_match(const char *pattern, const char *host);

/* tls_cert_serves() - one of @tc's names matches @host. */
bool tls_cert_serves(const struct tls_cert *tc, const char *host);

/*
 * tls_check() - the TLS parts of @cfg as `sluiced -t` and a reload check
 * them: every listener's certificates load (tls_cert_load()), its client_ca
 * and every upstream's ca/cert/key are readable PEM, its ciphers and
 * ciphersuites are lists OpenSSL accepts, and every route host on a TLS
 * listener is served by one of its certificates. Messages on @errs as
 * "file:line: ...". 0, or -EINVAL when there was an error (warnings alone
 * return 0).
 */
int tls_check(const struct cfg *cfg, FILE *errs);

#endif
