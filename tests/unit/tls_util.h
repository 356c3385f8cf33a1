/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Helpers for the TLS unit tests: certificates made with the OpenSSL API at run time, written as PEM files. */
#ifndef SLUICE_TESTS_TLS_UTIL_H
#define SLUICE_TESTS_TLS_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define DAY (24 * 3600L)

/* The test's directory for the files it writes (mkdtemp()'ed by the test), and the next serial number. */
static const char *tu_dir;
static long tu_serial = 1;

/* A certificate for @key, signed by @ca_key as @ca (itself when @ca is NULL), valid @nb..@na seconds from now. */
static inline X509 *make_cert(EVP_PKEY *key, const char *cn, const char *san, bool is_ca, X509 *ca, EVP_PKEY *ca_key,
		       long nb, long na)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), tu_serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), nb);
	X509_gmtime_adj(X509_getm_notAfter(x), na);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, ca ? ca : x, x, NULL, NULL, 0);
	if (san) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (is_ca) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_sign(x, ca_key ? ca_key : key, EVP_sha256());
	return x;
}

/* dir/@name, written with @a then @b (either may be NULL), and @key; the path in a static buffer per call site. */
static inline const char *write_pem(char *path, size_t len, const char *name, X509 *a, X509 *b, EVP_PKEY *key,
			     bool encrypted)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tu_dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	if (a)
		PEM_write_X509(f, a);
	if (b)
		PEM_write_X509(f, b);
	if (key)
		PEM_write_PrivateKey(f, key, encrypted ? EVP_aes_128_cbc() : NULL,
				     encrypted ? (unsigned char *)"secret" : NULL, encrypted ? 6 : 0, NULL, NULL);
	fclose(f);
	return path;
}

#endif
