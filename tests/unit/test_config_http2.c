// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Config loader, http2: of listeners: shorthand and mapping, every default, the tls alpn default, and each error with its line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "../tap.h"
#include "config_util.h"

/* A TLS listener (its tls mapping at line 6..7) followed by @keys (listener keys, from line 8). */
#define TLS_LISTENER(keys)                                                     \
	"l7:\n"                                                                \
	"  listeners:\n"                                                       \
	"    - name: web\n"                                                    \
	"      listen: 127.0.0.1:8443\n"                                       \
	"      routes: [ { upstream: app } ]\n"                                \
	"      tls:\n"                                                         \
	"        certificates: [ { cert: /c.pem, key: /c.key } ]\n" keys       \
	"  upstreams:\n"                                                       \
	"    - { name: app, servers: [127.0.0.1:9001] }\n"
/* A cleartext listener followed by @keys (from line 6). */
#define PLAIN_LISTENER(keys)                                                   \
	"l7:\n"                                                                \
	"  listeners:\n"                                                       \
	"    - name: web\n"                                                    \
	"      listen: 127.0.0.1:8080\n"                                       \
	"      routes: [ { upstream: app } ]\n" keys                           \
	"  upstreams:\n"                                                       \
	"    - { name: app, servers: [127.0.0.1:9001] }\n"

static bool alpn_is(const struct cfg_tls *t, const char *a, const char *b)
{
	return t->n_alpn == (b ? 2U : 1U) && !strcmp(t->alpn[0], a) && (!b || !strcmp(t->alpn[1], b));
}

/* The limits' defaults, the same on every listener when http2 is not written. */
static void check_limit_defaults(const struct cfg_http2 *h, const char *where)
{
	is_int(h->max_concurrent_streams, 128, "%s: max_concurrent_streams default 128", where);
	is_int(h->max_header_list_size, 16384, "%s: max_header_list_size default: max_header_bytes (16384)", where);
	is_int(h->header_table_size, 4096, "%s: header_table_size default 4096", where);
	is_int(h->stream_window, 256 * 1024, "%s: stream_window default 256KiB", where);
	is_int(h->connection_window, 1024 * 1024, "%s: connection_window default 1MiB", where);
	is_int(h->max_resets, 200, "%s: max_resets default 200", where);
	is_int(h->max_control_frames, 200, "%s: max_control_frames default 200", where);
	is_int(h->max_continuations, 8, "%s: max_continuations default 8", where);
}

static void test_defaults(void)
{
	char out[2048];
	struct cfg *cfg;
	const struct cfg_listener *l;

	cfg = load(PLAIN_LISTENER(""), out, sizeof(out));
	if (ok(cfg, "a cleartext listener without http2 loads: %s", out)) {
		l = &cfg->l7.listeners[0];
		ok(!l->http2.enabled && !l->http2.enabled_set, "cleartext: http2 off by default, not said");
		is_int(l->http2.line, 0, "cleartext: http2 line 0 when not written");
		check_limit_defaults(&l->http2, "cleartext");
		ok(!l->tls.alpn, "cleartext: no alpn");
		is_str(out, "", "no messages");
	}
	cfg_free(cfg);

	cfg = load(TLS_LISTENER(""), out, sizeof(out));
	if (ok(cfg, "a TLS listener without http2 loads: %s", out)) {
		l = &cfg->l7.listeners[0];
		ok(l->http2.enabled && !l->http2.enabled_set, "TLS: http2 on by default, not said");
		check_limit_defaults(&l->http2, "TLS");
		ok(alpn_is(&l->tls, "h2", "http/1.1"), "TLS with http2 on: alpn default [h2, http/1.1]");
		is_str(out, "", "no messages");
	}
	cfg_free(cfg);

	/* max_header_bytes after http2 in the file: the default still follows it */
	cfg = load(PLAIN_LISTENER("      http2: { max_resets: 10 }\n      max_header_bytes: 32k\n"), out, sizeof(out));
	ok(cfg && cfg->l7.listeners[0].http2.max_header_list_size == 32768,
	   "max_header_list_size default follows max_header_bytes written after http2 (%s)", out);
	cfg_free(cfg);
	cfg = load(PLAIN_LISTENER("      max_header_bytes: 8k\n      http2: { enabled: true }\n"), out, sizeof(out));
	ok(cfg && cfg->l7.listeners[0].http2.max_header_list_size == 8192,
	   "max_header_list_size default follows max_header_bytes written before http2");
	cfg_free(cfg);
	cfg = load(PLAIN_LISTENER("      max_header_bytes: 8k\n      http2: { enabled: true, max_header_list_size: 64k }\n"),
		   out, sizeof(out));
	ok(cfg && cfg->l7.listeners[0].http2.max_header_list_size == 65536,
	   "max_header_list_size when written is its own, not max_header_bytes");
	cfg_free(cfg);
}

static void test_shorthand(void)
{
	static const struct { const char *word; bool on; } words[] = {
		{ "true", true }, { "yes", true }, { "on", true }, { "false", false }, { "no", false }, { "'off'", false },
	};
	char out[2048], yaml[1024];
	struct cfg *cfg;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		const struct cfg_http2 *h;

		snprintf(yaml, sizeof(yaml), PLAIN_LISTENER("      http2: %s\n"), words[i].word);
		cfg = load(yaml, out, sizeof(out));
		h = cfg ? &cfg->l7.listeners[0].http2 : NULL;
		ok(h && h->enabled == words[i].on && h->enabled_set && h->line == 6,
		   "cleartext http2: %s: %s, said, line 6 (%s)", words[i].word, words[i].on ? "on (h2c)" : "off", out);
		if (h)
			check_limit_defaults(h, words[i].word);
		cfg_free(cfg);
	}

	cfg = load(TLS_LISTENER("      http2: false\n"), out, sizeof(out));
	ok(cfg && !cfg->l7.listeners[0].http2.enabled && cfg->l7.listeners[0].http2.enabled_set,
	   "TLS http2: false: off");
	ok(cfg && alpn_is(&cfg->l7.listeners[0].tls, "http/1.1", NULL), "TLS with http2 off: alpn default [http/1.1]");
	is_str(out, "", "no messages");
	cfg_free(cfg);

	cfg = load(TLS_LISTENER("      http2: true\n"), out, sizeof(out));
	ok(cfg && cfg->l7.listeners[0].http2.enabled && cfg->l7.listeners[0].http2.enabled_set &&
	   alpn_is(&cfg->l7.listeners[0].tls, "h2", "http/1.1"), "TLS http2: true: on, alpn [h2, http/1.1]");
	cfg_free(cfg);
}

static void test_mapping(void)
{
	char out[2048];
	struct cfg *cfg;
	const struct cfg_http2 *h;

	cfg = load(PLAIN_LISTENER(
		"      http2:\n"
		"        enabled: true\n"
		"        max_concurrent_streams: 256\n"
		"        max_header_list_size: 64k\n"
		"        header_table_size: 0\n"
		"        stream_window: 1m\n"
		"        connection_window: 16MiB\n"
		"        max_resets: 50\n"
		"        max_control_frames: 1000\n"
		"        max_continuations: 4\n"), out, sizeof(out));
	h = cfg ? &cfg->l7.listeners[0].http2 : NULL;
	if (ok(h, "every http2 key loads: %s", out)) {
		ok(h->enabled && h->enabled_set, "enabled: true on a cleartext listener (h2c)");
		is_int(h->line, 7, "http2 line: its mapping's");
		is_int(h->max_concurrent_streams, 256, "max_concurrent_streams");
		is_int(h->max_header_list_size, 65536, "max_header_list_size 64k");
		is_int(h->header_table_size, 0, "header_table_size 0 (no dynamic table)");
		is_int(h->stream_window, 1 << 20, "stream_window 1m");
		is_int(h->connection_window, 16 << 20, "connection_window 16MiB");
		is_int(h->max_resets, 50, "max_resets");
		is_int(h->max_control_frames, 1000, "max_control_frames");
		is_int(h->max_continuations, 4, "max_continuations");
		is_str(out, "", "no messages");
	}
	cfg_free(cfg);

	cfg = load(PLAIN_LISTENER("      http2: { enabled: true, max_concurrent_streams: 2147483647, header_table_size: 64KiB,"
				  " stream_window: 65535, connection_window: 2147483647 }\n"), out, sizeof(out));
	h = cfg ? &cfg->l7.listeners[0].http2 : NULL;
	ok(h && h->max_concurrent_streams == 2147483647U && h->header_table_size == 65536 &&
	   h->stream_window == 65535 && h->connection_window == 2147483647U && h->line == 6,
	   "the bounds themselves load (%s)", out);
	cfg_free(cfg);

	cfg = load(TLS_LISTENER("      http2: { max_concurrent_streams: 64 }\n"), out, sizeof(out));
	h = cfg ? &cfg->l7.listeners[0].http2 : NULL;
	ok(h && h->enabled && !h->enabled_set && h->max_concurrent_streams == 64,
	   "TLS, a mapping without enabled: limits set, on by tls, not said");
	ok(h && alpn_is(&cfg->l7.listeners[0].tls, "h2", "http/1.1"), "... alpn [h2, http/1.1]");
	is_str(out, "", "... no messages");
	cfg_free(cfg);

	cfg = load(PLAIN_LISTENER("      http2: { max_concurrent_streams: 64 }\n"), out, sizeof(out));
	h = cfg ? &cfg->l7.listeners[0].http2 : NULL;
	ok(h && !h->enabled && !h->enabled_set && h->max_concurrent_streams == 64,
	   "cleartext, a mapping without enabled: limits set, still off");
	is_str(out, "t.yaml:6: warning: http2 limits are set but http2 is off "
	       "(a cleartext listener: h2c needs enabled: true)\n", "... warned");
	cfg_free(cfg);

	cfg = load(TLS_LISTENER("      http2: { enabled: false, max_resets: 5 }\n"), out, sizeof(out));
	h = cfg ? &cfg->l7.listeners[0].http2 : NULL;
	ok(h && !h->enabled && h->enabled_set && alpn_is(&cfg->l7.listeners[0].tls, "http/1.1", NULL),
	   "TLS, enabled: false in a mapping: off, alpn [http/1.1]");
	is_str(out, "t.yaml:8: warning: http2 limits are set but http2 is off (enabled: false)\n", "... warned");
	cfg_free(cfg);

	cfg = load(PLAIN_LISTENER("      http2: { enabled: false }\n"), out, sizeof(out));
	ok(cfg && !cfg->l7.listeners[0].http2.enabled && cfg->l7.listeners[0].http2.enabled_set,
	   "a mapping of enabled: false alone: off, no warning");
	is_str(out, "", "... no messages");
	cfg_free(cfg);

	cfg = load(PLAIN_LISTENER("      http2: {}\n"), out, sizeof(out));
	ok(cfg && !cfg->l7.listeners[0].http2.enabled && !cfg->l7.listeners[0].http2.enabled_set,
	   "an empty mapping: the defaults");
	cfg_free(cfg);

	cfg = load("l7:\n  listeners: [ { name: f, listen: 127.0.0.1:3128, mode: forward, http2: true } ]\n",
		   out, sizeof(out));
	ok(cfg && cfg->l7.listeners[0].mode == CFG_MODE_FORWARD && cfg->l7.listeners[0].http2.enabled,
	   "http2 on a forward listener (%s)", out);
	cfg_free(cfg);
}

static void test_alpn(void)
{
	char out[2048];
	struct cfg *cfg;

	cfg = load(TLS_LISTENER("        alpn: [http/1.1]\n"), out, sizeof(out));
	ok(cfg && cfg->l7.listeners[0].http2.enabled && alpn_is(&cfg->l7.listeners[0].tls, "http/1.1", NULL),
	   "http2 on, an explicit alpn without h2: kept as written, h2 not offered (%s)", out);
	is_str(out, "", "... no messages");
	cfg_free(cfg);

	cfg = load(TLS_LISTENER("        alpn: [http/1.1, h2]\n      http2: true\n"), out, sizeof(out));
	ok(cfg && alpn_is(&cfg->l7.listeners[0].tls, "http/1.1", "h2"), "http2 on, an explicit alpn with h2: as written");
	cfg_free(cfg);

	cfg = load(TLS_LISTENER("        alpn: [http/1.1]\n      http2: false\n"), out, sizeof(out));
	ok(cfg && !cfg->l7.listeners[0].http2.enabled && alpn_is(&cfg->l7.listeners[0].tls, "http/1.1", NULL),
	   "http2 off, an explicit alpn without h2: fine");
	cfg_free(cfg);

	/* http2 ahead of tls in the listener: the alpn default still sees it */
	cfg = load("l7:\n"
		   "  listeners:\n"
		   "    - name: web\n"
		   "      listen: 127.0.0.1:8443\n"
		   "      http2: false\n"
		   "      routes: [ { upstream: app } ]\n"
		   "      tls: { certificates: [ { cert: /c.pem, key: /c.key } ] }\n"
		   "  upstreams: [ { name: app, servers: [127.0.0.1:9001] } ]\n", out, sizeof(out));
	ok(cfg && alpn_is(&cfg->l7.listeners[0].tls, "http/1.1", NULL), "http2: false written before tls: alpn [http/1.1]");
	cfg_free(cfg);
}

/* Bad configs: each must be rejected with exactly these messages. */
static const struct bad_case bad[] = {
	{ "http2 with nothing under it", PLAIN_LISTENER("      http2:\n"),
	  "t.yaml:6: 'http2' must be true, false or a mapping\n" },
	{ "http2 not a bool", PLAIN_LISTENER("      http2: h2c\n"), "t.yaml:6: 'http2' must be true or false, got 'h2c'\n" },
	{ "http2 a list", PLAIN_LISTENER("      http2: [true]\n"), "t.yaml:6: http2 must be a mapping\n" },
	{ "unknown key in http2", PLAIN_LISTENER("      http2:\n        enabled: true\n        max_streams: 10\n"),
	  "t.yaml:8: unknown key 'max_streams' in http2\n" },
	{ "duplicate key in http2", TLS_LISTENER("      http2: { max_resets: 1, max_resets: 2 }\n"),
	  "t.yaml:8: duplicate key 'max_resets' in http2\n" },
	{ "enabled not a bool", PLAIN_LISTENER("      http2:\n        enabled: sometimes\n"),
	  "t.yaml:7: 'enabled' must be true or false, got 'sometimes'\n" },
	{ "max_concurrent_streams 0", TLS_LISTENER("      http2:\n        max_concurrent_streams: 0\n"),
	  "t.yaml:9: 'max_concurrent_streams' must be 1..2147483647, got 0\n" },
	{ "max_concurrent_streams 2^31", TLS_LISTENER("      http2: { max_concurrent_streams: 2147483648 }\n"),
	  "t.yaml:8: 'max_concurrent_streams' must be 1..2147483647, got 2147483648\n" },
	{ "max_concurrent_streams a size", TLS_LISTENER("      http2: { max_concurrent_streams: 1k }\n"),
	  "t.yaml:8: 'max_concurrent_streams' must be an integer, got '1k'\n" },
	{ "max_header_list_size under 1KiB", TLS_LISTENER("      http2:\n        max_header_list_size: 512\n"),
	  "t.yaml:9: 'max_header_list_size' must be 1KiB..1MiB\n" },
	{ "max_header_list_size over 1MiB", TLS_LISTENER("      http2: { max_header_list_size: 2m }\n"),
	  "t.yaml:8: 'max_header_list_size' must be 1KiB..1MiB\n" },
	{ "header_table_size over 64KiB", TLS_LISTENER("      http2:\n        header_table_size: 65537\n"),
	  "t.yaml:9: 'header_table_size' must be 0..64KiB\n" },
	{ "stream_window 32k, under 65535", TLS_LISTENER("      http2:\n        stream_window: 32k\n"),
	  "t.yaml:9: 'stream_window' must be 65535..2147483647 bytes (HTTP/2's window limits)\n" },
	{ "connection_window 2GiB", TLS_LISTENER("      http2:\n        connection_window: 2g\n"),
	  "t.yaml:9: 'connection_window' must be 65535..2147483647 bytes (HTTP/2's window limits)\n" },
	{ "stream_window not a size", TLS_LISTENER("      http2:\n        stream_window: big\n"),
	  "t.yaml:9: 'stream_window' must be a size like 512KiB, 256MiB, 1GiB, got 'big'\n" },
	{ "max_resets 0", TLS_LISTENER("      http2:\n        max_resets: 0\n"),
	  "t.yaml:9: 'max_resets' must be 1..1000000, got 0\n" },
	{ "max_control_frames 0", TLS_LISTENER("      http2:\n        max_control_frames: 0\n"),
	  "t.yaml:9: 'max_control_frames' must be 1..1000000, got 0\n" },
	{ "max_continuations 0", TLS_LISTENER("      http2:\n        max_continuations: 0\n"),
	  "t.yaml:9: 'max_continuations' must be 1..1000000, got 0\n" },
	{ "alpn offers h2, http2: false", TLS_LISTENER("        alpn: [h2, http/1.1]\n      http2: false\n"),
	  "t.yaml:8: alpn offers h2 but http2 is off\n" },
	{ "alpn offers h2, http2 enabled: false in a mapping",
	  TLS_LISTENER("        alpn:\n          - http/1.1\n          - h2\n      http2: { enabled: false }\n"),
	  "t.yaml:9: alpn offers h2 but http2 is off\n" },
	{ "alpn offers h2, http2: false written before tls",
	  "l7:\n"
	  "  listeners:\n"
	  "    - name: web\n"
	  "      listen: 127.0.0.1:8443\n"
	  "      http2: false\n"
	  "      routes: [ { upstream: app } ]\n"
	  "      tls:\n"
	  "        certificates: [ { cert: /c.pem, key: /c.key } ]\n"
	  "        alpn: [h2]\n"
	  "  upstreams: [ { name: app, servers: [127.0.0.1:9001] } ]\n",
	  "t.yaml:9: alpn offers h2 but http2 is off\n" },
};

static void test_bad(void)
{
	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

int main(void)
{
	test_defaults();
	test_shorthand();
	test_mapping();
	test_alpn();
	test_bad();
	return done_testing();
}
