// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Certificates: throwaway ones made with the OpenSSL API at run time, loaded, matched by name, and checked by tls_check(). */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "config/config.h"
#include "tls/tls_cert.h"
#include "../tap.h"
#include "tls_util.h"


static char dir[] = "/tmp/sluice-tls-test.XXXXXX";

static void write_text(char *path, size_t len, const char *name, const char *text)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* tls_cert_load() of @cert and @key at line @line; messages in @out. */
static struct tls_cert *load(const char *cert, const char *key, int line, char *out, size_t out_len)
{
	struct cfg_tls_cert cc = { .cert = (char *)cert, .key = (char *)key, .line = line };
	FILE *f = fmemopen(out, out_len, "w");
	struct tls_cert *tc;

	memset(out, 0, out_len);
	tc = tls_cert_load("t.yaml", &cc, f);
	fclose(f);
	return tc;
}

/* The files every test uses: an EC CA, EC and RSA leaves, and files that are wrong in one way each. */
static struct {
	char ca[256], ec_chain[256], ec_key[256], rsa[256], rsa_key[256], other_key[256], expired[256],
	     future[256], garbage[256], missing[256], enc_key[256], combined[256];
} p;

static void make_files(void)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *ec = EVP_EC_gen("P-256"), *rsa = EVP_RSA_gen(2048);
	EVP_PKEY *other = EVP_EC_gen("P-256");
	X509 *ca = make_cert(ca_key, "Sluice Test CA", NULL, true, NULL, NULL, -DAY, 30 * DAY);
	X509 *leaf = make_cert(ec, "www.example.com", "DNS:www.Example.COM,DNS:*.example.com,IP:10.0.0.1",
			       false, ca, ca_key, -DAY, 30 * DAY);
	X509 *rleaf = make_cert(rsa, "rsa.example.net", NULL, false, ca, ca_key, -DAY, 30 * DAY);
	X509 *old = make_cert(ec, "old.example.com", "DNS:old.example.com", false, ca, ca_key, -30 * DAY, -DAY);
	X509 *soon = make_cert(ec, "soon.example.com", "DNS:soon.example.com", false, ca, ca_key, DAY, 30 * DAY);

	write_pem(p.ca, sizeof(p.ca), "ca.pem", ca, NULL, NULL, false);
	write_pem(p.ec_chain, sizeof(p.ec_chain), "ec.pem", leaf, ca, NULL, false);
	write_pem(p.ec_key, sizeof(p.ec_key), "ec.key", NULL, NULL, ec, false);
	write_pem(p.rsa, sizeof(p.rsa), "rsa.pem", rleaf, NULL, NULL, false);
	write_pem(p.rsa_key, sizeof(p.rsa_key), "rsa.key", NULL, NULL, rsa, false);
	write_pem(p.other_key, sizeof(p.other_key), "other.key", NULL, NULL, other, false);
	write_pem(p.expired, sizeof(p.expired), "expired.pem", old, NULL, NULL, false);
	write_pem(p.future, sizeof(p.future), "future.pem", soon, NULL, NULL, false);
	write_pem(p.enc_key, sizeof(p.enc_key), "enc.key", NULL, NULL, ec, true);
	write_pem(p.combined, sizeof(p.combined), "combined.pem", leaf, ca, ec, false);
	write_text(p.garbage, sizeof(p.garbage), "garbage.pem", "not a certificate\n");
	snprintf(p.missing, sizeof(p.missing), "%s/no-such-file.pem", dir);
	X509_free(ca);
	X509_free(leaf);
	X509_free(rleaf);
	X509_free(old);
	X509_free(soon);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(other);
}

static void test_load(void)
{
	char out[1024];
	struct tls_cert *tc;

	tc = load(p.ec_chain, p.ec_key, 5, out, sizeof(out));
	if (ok(tc, "EC leaf + chain + key load")) {
		is_str(out, "", "... without a message");
		ok(tc->chain && sk_X509_num(tc->chain) == 1, "... the CA after the leaf is its chain");
		ok(tc->ecdsa, "... an EC key: ecdsa");
		is_int(tc->line, 5, "... the item's line");
		ok(tc->n_names == 2 && !strcmp(tc->names[0], "www.example.com") && !strcmp(tc->names[1], "*.example.com"),
		   "... names: the SAN's DNS names, lowercased; the IP and the CN are not names");
		ok(tls_cert_serves(tc, "www.example.com") && tls_cert_serves(tc, "API.example.com") &&
		   !tls_cert_serves(tc, "example.com") && !tls_cert_serves(tc, "a.b.example.com"),
		   "... serves www, one label under example.com, not example.com nor two labels under");
	}
	tls_cert_free(tc);

	tc = load(p.rsa, p.rsa_key, 6, out, sizeof(out));
	ok(tc && !tc->ecdsa && !tc->chain && tc->n_names == 1 && !strcmp(tc->names[0], "rsa.example.net") && !*out,
	   "RSA leaf without SAN: its CN is its name, no chain, not ecdsa");
	tls_cert_free(tc);

	tc = load(p.combined, p.combined, 7, out, sizeof(out));
	ok(tc && tc->chain && tc->n_names == 2 && !*out, "certificate, chain and key in one file");
	tls_cert_free(tc);
}

static void test_load_errors(void)
{
	char out[1024], want[1024];
	struct tls_cert *tc;

	errno = 0;
	tc = load(p.ec_chain, p.other_key, 7, out, sizeof(out));
	ok(!tc && errno == EINVAL, "a key of another certificate: refused (EINVAL)");
	snprintf(want, sizeof(want), "t.yaml:7: key %s does not match certificate %s\n", p.other_key, p.ec_chain);
	is_str(out, want, "... naming both files and the line");

	errno = 0;
	tc = load(p.missing, p.ec_key, 3, out, sizeof(out));
	ok(!tc && errno == EINVAL, "a missing certificate file: refused");
	snprintf(want, sizeof(want), "t.yaml:3: certificate %s: No such file or directory\n", p.missing);
	is_str(out, want, "... with the reason");

	tc = load(p.ec_chain, p.missing, 4, out, sizeof(out));
	snprintf(want, sizeof(want), "t.yaml:4: key %s: No such file or directory\n", p.missing);
	ok(!tc, "a missing key file: refused");
	is_str(out, want, "... with the reason");

	tc = load(dir, p.ec_key, 4, out, sizeof(out));
	snprintf(want, sizeof(want), "t.yaml:4: certificate %s: Is a directory\n", dir);
	ok(!tc, "a directory for a certificate: refused");
	is_str(out, want, "... as a directory");

	tc = load(p.garbage, p.garbage, 8, out, sizeof(out));
	snprintf(want, sizeof(want), "t.yaml:8: certificate %s: no PEM certificate in it\n"
		 "t.yaml:8: key %s: no PEM private key in it (an encrypted key is not supported)\n", p.garbage, p.garbage);
	ok(!tc, "a file that is not PEM: refused");
	is_str(out, want, "... both files said at once");

	tc = load(p.ec_chain, p.enc_key, 9, out, sizeof(out));
	snprintf(want, sizeof(want), "t.yaml:9: key %s: no PEM private key in it (an encrypted key is not supported)\n",
		 p.enc_key);
	ok(!tc, "an encrypted key: refused, no passphrase prompt");
	is_str(out, want, "... said so");
}

static void test_validity(void)
{
	char out[1024], want[1024];
	struct tls_cert *tc;

	tc = load(p.expired, p.ec_key, 11, out, sizeof(out));
	ok(tc && tc->n_names == 1, "an expired certificate still loads");
	snprintf(want, sizeof(want), "t.yaml:11: warning: certificate %s expired on ", p.expired);
	ok(!strncmp(out, want, strlen(want)) && strstr(out, " UTC\n"), "... with a warning and the date: %s", out);
	tls_cert_free(tc);

	tc = load(p.future, p.ec_key, 12, out, sizeof(out));
	snprintf(want, sizeof(want), "t.yaml:12: warning: certificate %s is not valid before ", p.future);
	ok(tc && !strncmp(out, want, strlen(want)), "a certificate not yet valid loads with a warning: %s", out);
	tls_cert_free(tc);
}

static void test_name_match(void)
{
	static const struct { const char *pattern, *host; bool match; } cases[] = {
		{ "example.com", "example.com", true },
		{ "example.com", "EXAMPLE.Com", true },
		{ "example.com", "example.com.", true },
		{ "example.com.", "example.com", true },
		{ "example.com", "www.example.com", false },
		{ "example.com", "example.co", false },
		{ "example.com", "", false },
		{ "*.example.com", "a.example.com", true },
		{ "*.example.com", "A.Example.COM", true },
		{ "*.example.com", "a.example.com.", true },
		{ "*.example.com", "example.com", false },
		{ "*.example.com", ".example.com", false },
		{ "*.example.com", "a.b.example.com", false },
		{ "*.example.com", "aexample.com", false },
		{ "*.example.com", "a.example.org", false },
		{ "*", "example", false },
		{ "www.*.com", "www.example.com", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(tls_name_match(cases[i].pattern, cases[i].host), cases[i].match, "tls_name_match('%s', '%s') is %s",
		       cases[i].pattern, cases[i].host, cases[i].match ? "true" : "false");
}

/* tls_check() of @yaml (certificate paths printed into it); messages in @out. */
static int check(const char *yaml, char *out, size_t out_len)
{
	FILE *f;
	struct cfg *cfg;
	int rc;

	memset(out, 0, out_len);
	f = fmemopen(out, out_len, "w");
	cfg = cfg_load_string("t.yaml", yaml, strlen(yaml), f);
	rc = cfg ? tls_check(cfg, f) : -999;

	fclose(f);
	cfg_free(cfg);
	return rc;
}

static void test_check(void)
{
	char yaml[4096], out[4096], want[2048];

	snprintf(yaml, sizeof(yaml),
		 "l7:\n"
		 "  listeners:\n"
		 "    - name: web\n"
		 "      listen: 127.0.0.1:8443\n"
		 "      tls:\n"
		 "        certificates:\n"
		 "          - { cert: %s, key: %s }\n"
		 "          - { cert: %s, key: %s }\n"
		 "        client_ca: %s\n"
		 "        ciphers: ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256\n"
		 "        ciphersuites: TLS_AES_128_GCM_SHA256\n"
		 "      routes:\n"
		 "        - { match: { host: www.example.com }, upstream: app }\n"
		 "        - { match: { host: 'api.example.com:8443' }, upstream: app }\n"
		 "        - { match: { host: rsa.example.net }, upstream: app }\n"
		 "        - { match: { host: 10.0.0.1 }, upstream: app }\n"
		 "        - { match: { path_prefix: / }, upstream: app }\n"
		 "  upstreams:\n"
		 "    - { name: app, servers: [127.0.0.1:9001], tls: { ca: %s, cert: %s, key: %s } }\n",
		 p.ec_chain, p.ec_key, p.rsa, p.rsa_key, p.ca, p.ca, p.rsa, p.rsa_key);
	is_int(check(yaml, out, sizeof(out)), 0, "a good TLS config passes tls_check");
	is_str(out, "", "... without a message");

	snprintf(yaml, sizeof(yaml),
		 "l7:\n"
		 "  listeners:\n"
		 "    - name: web\n"
		 "      listen: 127.0.0.1:8443\n"
		 "      tls:\n"
		 "        certificates:\n"
		 "          - { cert: %s, key: %s }\n"
		 "      routes:\n"
		 "        - { match: { host: a.example.com }, upstream: app }\n"
		 "        - { match: { host: www.example.org }, upstream: app }\n"
		 "        - { match: { host: a.b.example.com }, upstream: app }\n"
		 "  upstreams:\n"
		 "    - { name: app, servers: [127.0.0.1:9001] }\n",
		 p.ec_chain, p.ec_key);
	is_int(check(yaml, out, sizeof(out)), -EINVAL, "route hosts no certificate serves: -EINVAL");
	snprintf(want, sizeof(want),
		 "t.yaml:10: route host 'www.example.org' on TLS listener 'web' is served by no certificate "
		 "(clients would get the default certificate '%s')\n"
		 "t.yaml:11: route host 'a.b.example.com' on TLS listener 'web' is served by no certificate "
		 "(clients would get the default certificate '%s')\n", p.ec_chain, p.ec_chain);
	is_str(out, want, "... each at its route's line");

	snprintf(yaml, sizeof(yaml),
		 "l7:\n"
		 "  listeners:\n"
		 "    - name: web\n"
		 "      listen: 127.0.0.1:8443\n"
		 "      tls:\n"
		 "        certificates:\n"
		 "          - { cert: %s, key: %s }\n"
		 "          - { cert: %s, key: %s }\n"
		 "        client_ca: %s\n"
		 "        ciphers: NO-SUCH-CIPHER\n"
		 "        ciphersuites: TLS_NO_SUCH_SUITE\n"
		 "      routes:\n"
		 "        - { match: { host: nothing.example.org }, upstream: app }\n"
		 "  upstreams:\n"
		 "    - name: app\n"
		 "      servers: [127.0.0.1:9001]\n"
		 "      tls: { ca: %s, cert: %s, key: %s }\n",
		 p.expired, p.ec_key, p.ec_chain, p.other_key, p.garbage, p.missing, p.rsa, p.ec_key);
	is_int(check(yaml, out, sizeof(out)), -EINVAL, "every kind of problem at once: -EINVAL");
	snprintf(want, sizeof(want), "t.yaml:7: warning: certificate %s expired on ", p.expired);
	ok(!strncmp(out, want, strlen(want)), "... the expired certificate warned");
	snprintf(want, sizeof(want), "t.yaml:8: key %s does not match certificate %s\n", p.other_key, p.ec_chain);
	ok(strstr(out, want), "... the mismatched key");
	snprintf(want, sizeof(want), "t.yaml:9: client_ca %s: no PEM certificate in it\n", p.garbage);
	ok(strstr(out, want), "... the client_ca without a certificate, at its own line");
	ok(strstr(out, "t.yaml:10: listener 'web': ciphers 'NO-SUCH-CIPHER' names no cipher OpenSSL knows\n"),
	   "... the ciphers");
	ok(strstr(out, "t.yaml:11: listener 'web': ciphersuites 'TLS_NO_SUCH_SUITE' names no TLS 1.3 suite"),
	   "... the ciphersuites");
	ok(!strstr(out, "route host"), "... and no guess about route hosts while a certificate is missing");
	snprintf(want, sizeof(want), "t.yaml:17: ca %s: No such file or directory\n", p.missing);
	ok(strstr(out, want), "... the upstream's missing ca");
	snprintf(want, sizeof(want), "t.yaml:17: key %s does not match certificate %s\n", p.ec_key, p.rsa);
	ok(strstr(out, want), "... the upstream's mismatched client certificate");

	snprintf(yaml, sizeof(yaml),
		 "l7:\n"
		 "  listeners:\n"
		 "    - { name: plain, listen: 127.0.0.1:8080, routes: [ { match: { host: x.org }, upstream: app } ] }\n"
		 "  upstreams:\n"
		 "    - { name: app, servers: [127.0.0.1:9001], tls: true }\n");
	is_int(check(yaml, out, sizeof(out)), 0, "no TLS listener, an upstream with tls: true: nothing to read, passes");
	is_str(out, "", "... silently");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS))
		diag("could not remove %s", dir);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	tu_dir = dir;
	make_files();
	test_load();
	test_load_errors();
	test_validity();
	test_name_match();
	test_check();
	cleanup();
	return done_testing();
}
