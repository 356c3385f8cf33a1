// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The tls: of listeners (certificates, protocols, tickets, mTLS) and of upstreams; the files are read by tls_check(). */
#include <stdlib.h>
#include <string.h>

#include "config/config_yaml.h"

/* ---- listeners ---- */

static bool cy_tls_cert_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg_tls_cert *c = obj;

	if (!strcmp(key, "cert"))
		cy_str(cy, v, key, &c->cert);
	else if (!strcmp(key, "key"))
		cy_str(cy, v, key, &c->key);
	else
		return false;
	return true;
}

static void cy_tls_certs(struct cy *cy, yaml_node_t *v, struct cfg_tls *t)
{
	yaml_node_item_t *items;
	size_t n;

	if (!(items = cy_seq(cy, v, "certificates", &n)))
		return;
	if (!n) {
		cy_err(cy, v, "'certificates' must not be empty");
		return;
	}
	t->certs = calloc(n, sizeof(*t->certs));
	if (!t->certs) {
		cy_err(cy, v, "out of memory");
		return;
	}
	t->n_certs = n;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = cy_node(cy, items[i]);

		t->certs[i].line = cy_line(it);
		if (!it || it->type != YAML_MAPPING_NODE) {
			cy_err(cy, it, "a certificates item must be a mapping { cert: PATH, key: PATH }");
			continue;
		}
		cy_require(cy, it, "certificate", "cert", "key", NULL);
		cy_map(cy, it, "certificate", cy_tls_cert_key, &t->certs[i]);
	}
}

/*
 * OpenSSL enables a range of versions (a minimum and a maximum), so the list
 * must be consecutive versions; TLS 1.0 and 1.1 only when named.
 */
static void cy_tls_protocols(struct cy *cy, yaml_node_t *v, uint32_t *out)
{
	static const struct { const char *name; uint32_t bit; } protos[] = {
		{ "TLSv1", CFG_TLS10 }, { "TLSv1.1", CFG_TLS11 }, { "TLSv1.2", CFG_TLS12 }, { "TLSv1.3", CFG_TLS13 },
	};
	const size_t np = sizeof(protos) / sizeof(protos[0]);
	char **list = NULL;
	size_t n = 0;
	uint32_t bits = 0;
	bool bad = false;

	if (cy_strlist(cy, v, "protocols", &list, &n))
		goto out;
	if (!n) {
		cy_err(cy, v, "'protocols' must not be empty");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < np && strcmp(list[i], protos[k].name); k++)
			;
		if (k == np) {
			cy_err(cy, v, "'protocols' items must be TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, got '%s'", list[i]);
			bad = true;
			continue;
		}
		bits |= protos[k].bit;
	}
	if (bad)
		goto out;
	/* bits + lowest bit is a power of two exactly when the set bits are consecutive */
	if ((bits + (bits & -bits)) & bits) {
		cy_err(cy, v, "'protocols' must be consecutive versions (OpenSSL enables a range), "
		       "e.g. [TLSv1.2, TLSv1.3]");
		goto out;
	}
	if (bits & (CFG_TLS10 | CFG_TLS11))
		cy_warn(cy, v, "'protocols': TLSv1 and TLSv1.1 are deprecated (RFC 8996)");
	*out = bits;
out:
	cfg_strv_free(list, n);
}

/* ALPN protocol names go on the wire with a one-byte length, the whole list with a two-byte one. */
static void cy_tls_alpn(struct cy *cy, yaml_node_t *v, struct cfg_tls *t)
{
	size_t wire = 0;

	if (cy_strlist(cy, v, "alpn", &t->alpn, &t->n_alpn))
		return;
	if (!t->n_alpn) {
		cy_err(cy, v, "'alpn' must not be empty");
		return;
	}
	for (size_t i = 0; i < t->n_alpn; i++) {
		size_t len = strlen(t->alpn[i]);

		if (len > 255)
			cy_err(cy, v, "'alpn' items must be 1..255 bytes, got %zu", len);
		wire += 1 + len;
	}
	if (wire > 65535)
		cy_err(cy, v, "'alpn' is too long: %zu bytes on the wire, at most 65535", wire);
}

/* An HTTP field name: a token (RFC 9110 5.1), as the header goes upstream. */
static bool cy_is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') &&
		    !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

struct tls_walk {
	struct cfg_tls *t;
	yaml_node_t *alpn;            /* set when written: the default depends on the listener's http2 */
	yaml_node_t *client_verify;   /* set when written: the default depends on client_ca */
	yaml_node_t *client_ca;
};

static bool cy_tls_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	static const char *const verifies[] = { "off", "optional", "required", NULL };
	struct tls_walk *w = obj;
	struct cfg_tls *t = w->t;
	int e;

	if (!strcmp(key, "certificates")) {
		cy_tls_certs(cy, v, t);
	} else if (!strcmp(key, "protocols")) {
		cy_tls_protocols(cy, v, &t->protocols);
	} else if (!strcmp(key, "ciphers")) {
		t->ciphers_line = cy_line(v);
		cy_str(cy, v, key, &t->ciphers);
	} else if (!strcmp(key, "ciphersuites")) {
		t->ciphersuites_line = cy_line(v);
		cy_str(cy, v, key, &t->ciphersuites);
	} else if (!strcmp(key, "alpn")) {
		w->alpn = v;
		cy_tls_alpn(cy, v, t);
	} else if (!strcmp(key, "session_tickets")) {
		cy_bool(cy, v, key, &t->session_tickets);
	} else if (!strcmp(key, "ticket_rotate") || !strcmp(key, "ticket_rotate_ms")) {
		if (!cy_ms(cy, v, key, &t->ticket_rotate_ms) && t->ticket_rotate_ms < 1000)
			cy_err(cy, v, "'%s' must be at least 1s", key);
	} else if (!strcmp(key, "session_timeout") || !strcmp(key, "session_timeout_ms")) {
		/* OpenSSL counts it in seconds; RFC 8446 4.6.1: a ticket lives 7 days at most */
		if (!cy_ms(cy, v, key, &t->session_timeout_ms) &&
		    (t->session_timeout_ms < 1000 || t->session_timeout_ms > 7 * 24 * 3600000U))
			cy_err(cy, v, "'%s' must be 1s..168h", key);
	} else if (!strcmp(key, "handshake_timeout") || !strcmp(key, "handshake_timeout_ms")) {
		if (!cy_ms(cy, v, key, &t->handshake_timeout_ms) && !t->handshake_timeout_ms)
			cy_err(cy, v, "'%s' must be positive", key);
	} else if (!strcmp(key, "max_handshakes")) {
		cy_u32(cy, v, key, 1, 1000000, &t->max_handshakes);
	} else if (!strcmp(key, "client_ca")) {
		w->client_ca = v;
		t->client_ca_line = cy_line(v);
		cy_str(cy, v, key, &t->client_ca);
	} else if (!strcmp(key, "client_verify")) {
		if (!cy_enum(cy, v, key, verifies, &e)) {
			t->client_verify = (enum cfg_tls_verify)e;
			w->client_verify = v;
		}
	} else if (!strcmp(key, "client_header")) {
		if (!cy_str(cy, v, key, &t->client_header) && !cy_is_token(t->client_header))
			cy_err(cy, v, "'client_header' must be a header name, got '%s'", t->client_header);
	} else {
		return false;
	}
	return true;
}

void cy_listener_tls(struct cy *cy, yaml_node_t *v, struct cfg_tls *t, yaml_node_t **alpn)
{
	struct tls_walk w = { .t = t };

	t->present = true;
	t->line = cy_line(v);
	t->protocols = CFG_TLS12 | CFG_TLS13;
	t->session_tickets = true;
	t->ticket_rotate_ms = 3600 * 1000;
	t->session_timeout_ms = 7200 * 1000;
	t->handshake_timeout_ms = 10 * 1000;
	t->max_handshakes = 1024;
	cy_require(cy, v, "tls", "certificates", NULL);
	if (cy_map(cy, v, "tls", cy_tls_key, &w))
		return;
	*alpn = w.alpn;
	if (!t->client_header && !(t->client_header = strdup("X-Client-Subject")))
		cy_err(cy, v, "out of memory");
	if (!w.client_verify) {
		t->client_verify = t->client_ca ? CFG_VERIFY_REQUIRED : CFG_VERIFY_OFF;
	} else if (t->client_verify != CFG_VERIFY_OFF && !t->client_ca) {
		cy_err(cy, w.client_verify, "'client_verify: %s' needs 'client_ca' (the CA client certificates are "
		       "verified against)", cy_scalar(w.client_verify));
	} else if (t->client_verify == CFG_VERIFY_OFF && t->client_ca) {
		cy_warn(cy, w.client_ca, "'client_ca' is not used with 'client_verify: off'");
	}
}

void cy_listener_tls_alpn_default(struct cy *cy, struct cfg_tls *t, bool h2)
{
	static const char *const with_h2[] = { "h2", "http/1.1" };
	const char *const *names = h2 ? with_h2 : with_h2 + 1;
	size_t n = h2 ? 2 : 1;

	if (t->alpn)
		return;
	t->alpn = calloc(n, sizeof(*t->alpn));
	if (!t->alpn)
		goto err_nomem;
	for (; t->n_alpn < n; t->n_alpn++)
		if (!(t->alpn[t->n_alpn] = strdup(names[t->n_alpn])))
			goto err_nomem;
	return;
err_nomem:
	cy_err_line(cy, t->line, "out of memory");
}

void cfg_tls_free(struct cfg_tls *t)
{
	for (size_t i = 0; i < t->n_certs; i++) {
		free(t->certs[i].cert);
		free(t->certs[i].key);
	}
	free(t->certs);
	free(t->ciphers);
	free(t->ciphersuites);
	cfg_strv_free(t->alpn, t->n_alpn);
	free(t->client_ca);
	free(t->client_header);
}

/* ---- upstreams ---- */

static bool cy_upstream_tls_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg_upstream_tls *t = obj;

	if (!strcmp(key, "enabled")) {
		cy_bool(cy, v, key, &t->enabled);
	} else if (!strcmp(key, "ca")) {
		t->ca_line = cy_line(v);
		cy_str(cy, v, key, &t->ca);
	} else if (!strcmp(key, "server_name")) {
		cy_str(cy, v, key, &t->server_name);
	} else if (!strcmp(key, "verify")) {
		cy_bool(cy, v, key, &t->verify);
	} else if (!strcmp(key, "cert")) {
		t->cert_line = cy_line(v);
		cy_str(cy, v, key, &t->cert);
	} else if (!strcmp(key, "key")) {
		cy_str(cy, v, key, &t->key);
	} else {
		return false;
	}
	return true;
}

/*
 * tls: true | false, or a mapping (which turns TLS on unless it says enabled:
 * false). A bare "tls:" is neither: refused rather than guessed.
 */
void cy_upstream_tls(struct cy *cy, yaml_node_t *v, struct cfg_upstream_tls *t)
{
	t->line = cy_line(v);
	t->verify = true;
	if (cy_is_null(v)) {
		cy_err(cy, v, "'tls' must be true, false or a mapping");
		return;
	}
	if (cy_scalar(v)) {
		cy_bool(cy, v, "tls", &t->enabled);
		return;
	}
	t->enabled = true;
	if (cy_map(cy, v, "upstream tls", cy_upstream_tls_key, t))
		return;
	if (!t->cert != !t->key)
		cy_err(cy, v, "upstream tls: '%s' needs '%s' (a client certificate and its key go together)",
		       t->cert ? "cert" : "key", t->cert ? "key" : "cert");
}

void cfg_upstream_tls_free(struct cfg_upstream_tls *t)
{
	free(t->ca);
	free(t->server_name);
	free(t->cert);
	free(t->key);
}
