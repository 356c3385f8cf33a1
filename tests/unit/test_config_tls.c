// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Config loader, tls: of listeners and upstreams: defaults, every key, and the exact "file:line: message" of each error. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "../tap.h"
#include "config_util.h"

/* A listener around @tls (indented under "      tls:"), and one upstream with @up_tls (a flow value, or ""). */
#define LISTENER(tls)                                                          \
	"l7:\n"                                                                \
	"  listeners:\n"                                                       \
	"    - name: web\n"                                                    \
	"      listen: 127.0.0.1:8443\n"                                       \
	"      routes: [ { upstream: app } ]\n"                                \
	"      tls:\n" tls                                                     \
	"  upstreams:\n"                                                       \
	"    - { name: app, servers: [127.0.0.1:9001] }\n"
#define CERTS "        certificates: [ { cert: /c.pem, key: /c.key } ]\n"
#define UPSTREAM(tls)                                                          \
	"l7:\n"                                                                \
	"  listeners: [ { name: web, listen: 127.0.0.1:8080, routes: [ { upstream: app } ] } ]\n" \
	"  upstreams:\n"                                                       \
	"    - name: app\n"                                                    \
	"      servers: [127.0.0.1:9001]\n"                                    \
	"      tls: " tls "\n"

static void test_defaults(void)
{
	char out[2048];
	struct cfg *cfg = load(LISTENER(CERTS), out, sizeof(out));
	const struct cfg_tls *t;

	if (!ok(cfg, "a listener with only certificates loads: %s", out))
		return;
	t = &cfg->l7.listeners[0].tls;
	ok(t->present, "tls present");
	is_int(t->line, 7, "tls line: its mapping's");
	ok(t->n_certs == 1 && !strcmp(t->certs[0].cert, "/c.pem") && !strcmp(t->certs[0].key, "/c.key"),
	   "one certificate");
	is_int(t->certs[0].line, 7, "certificate line: its item's");
	is_int(t->protocols, CFG_TLS12 | CFG_TLS13, "protocols default TLSv1.2 + TLSv1.3");
	ok(!t->ciphers && !t->ciphersuites, "ciphers and ciphersuites default NULL (the runtime's Mozilla intermediate)");
	ok(t->n_alpn == 2 && !strcmp(t->alpn[0], "h2") && !strcmp(t->alpn[1], "http/1.1"),
	   "alpn default [h2, http/1.1] (http2 is on by default with tls; test_config_http2 has the rest)");
	ok(t->session_tickets, "session_tickets default true");
	is_int(t->ticket_rotate_ms, 3600000, "ticket_rotate default 1h");
	is_int(t->session_timeout_ms, 7200000, "session_timeout default 2h");
	is_int(t->handshake_timeout_ms, 10000, "handshake_timeout default 10s");
	is_int(t->max_handshakes, 1024, "max_handshakes default 1024");
	ok(!t->client_ca && t->client_verify == CFG_VERIFY_OFF, "no client_ca: client_verify off");
	is_str(t->client_header, "X-Client-Subject", "client_header default, even without client_ca");
	ok(!cfg->l7.upstreams[0].tls.enabled && cfg->l7.upstreams[0].tls.verify,
	   "upstream without tls: disabled (verify would default on)");
	is_str(out, "", "no messages");
	cfg_free(cfg);

	cfg = load("l7:\n  listeners: [ { name: f, listen: 127.0.0.1:3128, mode: forward } ]\n", out, sizeof(out));
	ok(cfg && !cfg->l7.listeners[0].tls.present && !cfg->l7.listeners[0].tls.client_header,
	   "a listener without tls: not present, nothing allocated");
	cfg_free(cfg);
}

static void test_every_key(void)
{
	char out[2048];
	struct cfg *cfg = load(LISTENER(
		"        certificates:\n"
		"          - { cert: /etc/sluice/ecdsa.pem, key: /etc/sluice/ecdsa.key }\n"
		"          - cert: /etc/sluice/rsa.pem\n"
		"            key: /etc/sluice/rsa.key\n"
		"        protocols: [TLSv1.3]\n"
		"        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256'\n"
		"        ciphersuites: TLS_AES_128_GCM_SHA256\n"
		"        alpn: [h2, http/1.1]\n"
		"        session_tickets: false\n"
		"        ticket_rotate: 30m\n"
		"        session_timeout_ms: 4h\n"
		"        handshake_timeout: 2500ms\n"
		"        max_handshakes: 64\n"
		"        client_ca: /etc/sluice/clients-ca.pem\n"
		"        client_header: X-Client-DN\n"), out, sizeof(out));
	const struct cfg_tls *t;

	if (!ok(cfg, "every listener tls key loads: %s", out))
		return;
	t = &cfg->l7.listeners[0].tls;
	ok(t->n_certs == 2 && !strcmp(t->certs[1].cert, "/etc/sluice/rsa.pem") && !strcmp(t->certs[1].key, "/etc/sluice/rsa.key"),
	   "two certificates, the second in block style");
	ok(t->certs[0].line == 8 && t->certs[1].line == 9, "each certificate at its item's line");
	is_int(t->protocols, CFG_TLS13, "protocols [TLSv1.3]");
	is_str(t->ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256", "ciphers");
	is_str(t->ciphersuites, "TLS_AES_128_GCM_SHA256", "ciphersuites");
	ok(t->n_alpn == 2 && !strcmp(t->alpn[0], "h2") && !strcmp(t->alpn[1], "http/1.1"), "alpn in order");
	ok(!t->session_tickets, "session_tickets false");
	is_int(t->ticket_rotate_ms, 1800000, "ticket_rotate 30m");
	is_int(t->session_timeout_ms, 4 * 3600000, "session_timeout_ms 4h (the _ms alias)");
	is_int(t->handshake_timeout_ms, 2500, "handshake_timeout 2500ms");
	is_int(t->max_handshakes, 64, "max_handshakes");
	is_str(t->client_ca, "/etc/sluice/clients-ca.pem", "client_ca");
	is_int(t->client_verify, CFG_VERIFY_REQUIRED, "client_ca without client_verify: required");
	is_str(t->client_header, "X-Client-DN", "client_header");
	is_str(out, "", "no messages");
	cfg_free(cfg);

	cfg = load(LISTENER(CERTS "        client_ca: /ca.pem\n        client_verify: optional\n"), out, sizeof(out));
	ok(cfg && cfg->l7.listeners[0].tls.client_verify == CFG_VERIFY_OPTIONAL, "client_verify: optional");
	cfg_free(cfg);

	cfg = load(LISTENER(CERTS "        client_ca: /ca.pem\n        client_verify: 'off'\n"), out, sizeof(out));
	ok(cfg && cfg->l7.listeners[0].tls.client_verify == CFG_VERIFY_OFF, "client_verify: 'off' with a client_ca");
	is_str(out, "t.yaml:8: warning: 'client_ca' is not used with 'client_verify: off'\n", "... warned");
	cfg_free(cfg);

	cfg = load(LISTENER(CERTS "        protocols: [TLSv1.1, TLSv1.2, TLSv1]\n"), out, sizeof(out));
	ok(cfg && cfg->l7.listeners[0].tls.protocols == (CFG_TLS10 | CFG_TLS11 | CFG_TLS12),
	   "TLSv1 and TLSv1.1 when listed, in any order");
	is_str(out, "t.yaml:8: warning: 'protocols': TLSv1 and TLSv1.1 are deprecated (RFC 8996)\n", "... warned");
	cfg_free(cfg);

	cfg = load(LISTENER(CERTS "        protocols: TLSv1.2\n        ticket_rotate: 1s\n"), out, sizeof(out));
	ok(cfg && cfg->l7.listeners[0].tls.protocols == CFG_TLS12 && cfg->l7.listeners[0].tls.ticket_rotate_ms == 1000,
	   "protocols as one scalar, ticket_rotate at its minimum 1s");
	cfg_free(cfg);
}

static void test_upstream(void)
{
	static const char *const forms[] = { "true", "yes", "{}", "{ verify: true }" };
	char out[2048];
	struct cfg *cfg;
	const struct cfg_upstream_tls *t;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char yaml[512];

		snprintf(yaml, sizeof(yaml), UPSTREAM("%s"), forms[i]);
		cfg = load(yaml, out, sizeof(out));
		t = cfg ? &cfg->l7.upstreams[0].tls : NULL;
		ok(t && t->enabled && t->verify && !t->ca && !t->server_name && !t->cert && !t->key && t->line == 6,
		   "upstream tls: %s: enabled, verify on, nothing else", forms[i]);
		cfg_free(cfg);
	}
	cfg = load(UPSTREAM("false"), out, sizeof(out));
	ok(cfg && !cfg->l7.upstreams[0].tls.enabled, "upstream tls: false");
	cfg_free(cfg);

	cfg = load(UPSTREAM("{ enabled: false, ca: /ca.pem }"), out, sizeof(out));
	ok(cfg && !cfg->l7.upstreams[0].tls.enabled && !strcmp(cfg->l7.upstreams[0].tls.ca, "/ca.pem"),
	   "upstream tls mapping with enabled: false: off");
	cfg_free(cfg);

	cfg = load(UPSTREAM("\n        ca: /etc/sluice/upstream-ca.pem\n        server_name: app.internal\n"
			    "        verify: false\n        cert: /etc/sluice/client.pem\n        key: /etc/sluice/client.key"),
		   out, sizeof(out));
	t = cfg ? &cfg->l7.upstreams[0].tls : NULL;
	ok(t && t->enabled && !t->verify && !strcmp(t->ca, "/etc/sluice/upstream-ca.pem") &&
	   !strcmp(t->server_name, "app.internal") && !strcmp(t->cert, "/etc/sluice/client.pem") &&
	   !strcmp(t->key, "/etc/sluice/client.key") && t->line == 7, "upstream tls mapping: every key (%s)", out);
	cfg_free(cfg);
}

/* Bad configs: each must be rejected with exactly these messages. */
static const struct bad_case bad[] = {
	{ "tls without certificates", LISTENER("        alpn: [http/1.1]\n"),
	  "t.yaml:7: tls: missing required key 'certificates'\n" },
	{ "tls with nothing under it", LISTENER(""),
	  "t.yaml:6: tls: missing required key 'certificates'\n" },
	{ "certificates empty", LISTENER("        certificates: []\n"), "t.yaml:7: 'certificates' must not be empty\n" },
	{ "certificates not a list", LISTENER("        certificates: /c.pem\n"), "t.yaml:7: 'certificates' must be a list\n" },
	{ "a certificate without key", LISTENER("        certificates:\n          - { cert: /c.pem }\n"),
	  "t.yaml:8: certificate: missing required key 'key'\n" },
	{ "a certificate as a path", LISTENER("        certificates: [ /c.pem ]\n"),
	  "t.yaml:7: a certificates item must be a mapping { cert: PATH, key: PATH }\n" },
	{ "unknown key in a certificate", LISTENER("        certificates: [ { cert: /c.pem, key: /c.key, chain: /x } ]\n"),
	  "t.yaml:7: unknown key 'chain' in certificate\n" },
	{ "unknown key in tls", LISTENER(CERTS "        protocol: [TLSv1.3]\n"), "t.yaml:8: unknown key 'protocol' in tls\n" },
	{ "client_verify without client_ca", LISTENER(CERTS "        client_verify: required\n"),
	  "t.yaml:8: 'client_verify: required' needs 'client_ca' (the CA client certificates are verified against)\n" },
	{ "client_verify optional without client_ca", LISTENER(CERTS "        client_verify: optional\n"),
	  "t.yaml:8: 'client_verify: optional' needs 'client_ca' (the CA client certificates are verified against)\n" },
	{ "bad client_verify", LISTENER(CERTS "        client_ca: /ca.pem\n        client_verify: maybe\n"),
	  "t.yaml:9: 'client_verify' must be one of off | optional | required, got 'maybe'\n" },
	{ "bad protocol name", LISTENER(CERTS "        protocols: [TLSv1.2, SSLv3]\n"),
	  "t.yaml:8: 'protocols' items must be TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, got 'SSLv3'\n" },
	{ "protocols empty", LISTENER(CERTS "        protocols: []\n"), "t.yaml:8: 'protocols' must not be empty\n" },
	{ "protocols with a gap", LISTENER(CERTS "        protocols: [TLSv1.1, TLSv1.3]\n"),
	  "t.yaml:8: 'protocols' must be consecutive versions (OpenSSL enables a range), e.g. [TLSv1.2, TLSv1.3]\n" },
	{ "alpn item too long",
	  LISTENER(CERTS "        alpn: [http/1.1, "
		   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n"),
	  "t.yaml:8: 'alpn' items must be 1..255 bytes, got 256\n" },
	{ "alpn item empty", LISTENER(CERTS "        alpn: [http/1.1, '']\n"), "t.yaml:8: 'alpn' must not be empty\n" },
	{ "alpn empty list", LISTENER(CERTS "        alpn: []\n"), "t.yaml:8: 'alpn' must not be empty\n" },
	{ "ticket_rotate under 1s", LISTENER(CERTS "        ticket_rotate: 500ms\n"),
	  "t.yaml:8: 'ticket_rotate' must be at least 1s\n" },
	{ "ticket_rotate_ms 0", LISTENER(CERTS "        ticket_rotate_ms: 0\n"),
	  "t.yaml:8: 'ticket_rotate_ms' must be at least 1s\n" },
	{ "ticket_rotate not a duration", LISTENER(CERTS "        ticket_rotate: 3600\n"),
	  "t.yaml:8: 'ticket_rotate' must be a duration like 500ms, 1s, 2m, got '3600'\n" },
	{ "session_timeout over 7 days", LISTENER(CERTS "        session_timeout: 169h\n"),
	  "t.yaml:8: 'session_timeout' must be 1s..168h\n" },
	{ "session_timeout under 1s", LISTENER(CERTS "        session_timeout: 999ms\n"),
	  "t.yaml:8: 'session_timeout' must be 1s..168h\n" },
	{ "handshake_timeout 0", LISTENER(CERTS "        handshake_timeout: 0\n"),
	  "t.yaml:8: 'handshake_timeout' must be positive\n" },
	{ "max_handshakes 0", LISTENER(CERTS "        max_handshakes: 0\n"),
	  "t.yaml:8: 'max_handshakes' must be 1..1000000, got 0\n" },
	{ "max_handshakes too many", LISTENER(CERTS "        max_handshakes: 1000001\n"),
	  "t.yaml:8: 'max_handshakes' must be 1..1000000, got 1000001\n" },
	{ "session_tickets not a bool", LISTENER(CERTS "        session_tickets: sometimes\n"),
	  "t.yaml:8: 'session_tickets' must be true or false, got 'sometimes'\n" },
	{ "client_header not a header name", LISTENER(CERTS "        client_header: 'X Client'\n"),
	  "t.yaml:8: 'client_header' must be a header name, got 'X Client'\n" },
	{ "empty ciphers", LISTENER(CERTS "        ciphers: ''\n"), "t.yaml:8: 'ciphers' must not be empty\n" },
	{ "tls a scalar", LISTENER("        on\n"), "t.yaml:7: tls must be a mapping\n" },
	{ "upstream tls cert without key", UPSTREAM("{ cert: /c.pem }"),
	  "t.yaml:6: upstream tls: 'cert' needs 'key' (a client certificate and its key go together)\n" },
	{ "upstream tls key without cert", UPSTREAM("{ key: /c.key, ca: /ca.pem }"),
	  "t.yaml:6: upstream tls: 'key' needs 'cert' (a client certificate and its key go together)\n" },
	{ "upstream tls not a bool", UPSTREAM("maybe"), "t.yaml:6: 'tls' must be true or false, got 'maybe'\n" },
	{ "upstream tls empty", UPSTREAM(""), "t.yaml:6: 'tls' must be true, false or a mapping\n" },
	{ "upstream tls a list", UPSTREAM("[true]"), "t.yaml:6: upstream tls must be a mapping\n" },
	{ "unknown key in upstream tls", UPSTREAM("{ verfiy: false }"), "t.yaml:6: unknown key 'verfiy' in upstream tls\n" },
	{ "upstream tls verify not a bool", UPSTREAM("{ verify: 2 }"), "t.yaml:6: 'verify' must be true or false, got '2'\n" },
};

static void test_bad(void)
{
	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

int main(void)
{
	test_defaults();
	test_every_key();
	test_upstream();
	test_bad();
	return done_testing();
}
