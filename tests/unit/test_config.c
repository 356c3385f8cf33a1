// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Config loader: good files parse to the right values, bad ones fail with exact "file:line: message" text. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/config.h"
#include "../tap.h"
#include "config_util.h"

#ifndef DATA_DIR
#define DATA_DIR "tests/unit/data"
#endif
#define DOCS_MD "docs/config.md"

static const char *ip4(const struct cfg_ip *ip, char *buf)
{
	return inet_ntop(AF_INET, &ip->v4, buf, INET_ADDRSTRLEN);
}

static void test_design(void)
{
	char out[4096] = "", a[64];
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");
	struct cfg *cfg;

	/*
	 * The exact DESIGN.md example names upstreams (api-canary, app-next) it never
	 * defines; everything else in it is valid, so exactly those two errors come out.
	 */
	cfg = cfg_load(DATA_DIR "/design.yaml", f);
	fclose(f);
	ok(!cfg && errno == EINVAL, "DESIGN.md example as written: rejected only for its undefined upstreams");
	is_str(out, DATA_DIR "/design.yaml:26: route names unknown upstream 'api-canary'\n"
		    DATA_DIR "/design.yaml:28: route names unknown upstream 'app-next'\n",
	       "... exactly two messages");
	cfg_free(cfg);

	cfg = cfg_load(DATA_DIR "/design_complete.yaml", stderr);
	if (!ok(cfg, "DESIGN.md example with its two upstreams defined parses"))
		return;
	is_int(cfg->workers, 0, "workers: auto -> 0");
	is_int(cfg->admin.ss.ss_family, AF_INET, "admin listen family");
	is_int(ntohs(((struct sockaddr_in *)&cfg->admin.ss)->sin_port), 9900, "admin port");
	ok(cfg->l4.present, "l4 present");
	is_int(cfg->l4.n_interfaces, 1, "one interface");
	is_str(cfg->l4.interfaces[0], "eth0", "interface eth0");
	is_int(cfg->l4.xdp_mode, CFG_XDP_NATIVE, "xdp_mode native");
	is_int(cfg->l4.forwarding, CFG_FWD_IPIP, "forwarding ipip");
	is_int(cfg->l4.conntrack_entries, 1000000, "conntrack_entries");
	is_int(cfg->l4.conntrack_insert_rate, 125000, "conntrack_insert_rate default: Katran's");
	is_int(cfg->l4.ring_size, 65537, "ring_size default");
	is_int(cfg->l4.udp_timeout_ms, 30000, "udp_timeout default");
	is_str(ip4(&cfg->l4.tunnel_src4, a), "198.19.0.0", "tunnel_src4 default");
	is_int(cfg->l4.tunnel_src4_bits, 16, "tunnel_src4_bits default");
	ok(cfg->l4.icmp_echo && !cfg->l4.detach_on_exit, "icmp_echo on, detach_on_exit off by default");
	is_int(cfg->l4.n_vips, 1, "one vip");
	{
		struct cfg_vip *v = &cfg->l4.vips[0];

		is_str(v->name, "web", "vip name");
		is_str(ip4(&v->addr, a), "198.18.10.1", "vip address");
		is_int(v->port, 80, "vip port");
		is_int(v->proto, IPPROTO_TCP, "vip protocol");
		is_int(v->ring_size, 65537, "vip ring inherits");
		is_int(v->forwarding, CFG_FWD_IPIP, "vip forwarding inherits");
		is_int(v->n_backends, 2, "two backends");
		is_str(ip4(&v->backends[1].addr, a), "198.18.20.2", "backend 2 address");
		is_int(v->backends[0].weight, 100, "weight 100");
		is_int(v->backends[1].weight, 50, "weight 50");
		is_int(v->backends[1].line, 16, "backend line");
		is_int(v->health.type, CFG_HEALTH_TCP, "health tcp");
		ok(v->health.interval_ms == 1000 && v->health.timeout_ms == 500 && v->health.rise == 2 &&
		   v->health.fall == 3 && v->health.port == 80, "health values");
		is_int(v->line, 10, "vip line");
	}
	is_int(cfg->l7.n_listeners, 1, "one listener");
	{
		struct cfg_listener *l = &cfg->l7.listeners[0];

		is_str(l->name, "public", "listener name");
		is_str(l->listen.text, "0.0.0.0:8080", "listen text");
		is_int(l->mode, CFG_MODE_REVERSE, "reverse mode");
		is_str(l->cache, "main", "cache name");
		is_int(l->cache_idx, 0, "cache resolved");
		is_str(l->access_log.path, "/var/log/sluice/access.log", "access log path");
		is_int(l->access_log.format, CFG_LOG_COMBINED, "combined format");
		ok(l->access_log.n_redact == 2 && !strcmp(l->access_log.redact[0], "Authorization"), "default redact");
		is_int(l->n_routes, 2, "two routes");
		is_str(l->routes[0].match.host, "api.example.com", "match host");
		is_str(l->routes[0].match.path_prefix, "/v2", "match path_prefix");
		is_str(l->routes[0].match.header_name, "X-Canary", "header name split");
		is_str(l->routes[0].match.header_value, "1", "header value split");
		ok(l->routes[0].n_splits == 1 && l->routes[0].splits[0].weight == 1, "upstream: X is one split of weight 1");
		is_int(l->routes[0].splits[0].upstream_idx, 1, "api-canary resolved");
		ok(l->routes[1].n_splits == 2 && l->routes[1].splits[0].weight == 95 && l->routes[1].splits[1].weight == 5,
		   "split 95/5");
		is_int(l->routes[1].splits[1].upstream_idx, 2, "app-next resolved");
		ok(l->max_header_bytes == 16384 && l->max_body_bytes == 1ULL << 30 && l->request_timeout_ms == 10000 &&
		   l->client_idle_ms == 60000 && l->max_connections == 10000, "listener defaults");
		is_int(l->request_buffering, 64 * 1024, "request_buffering defaults to 64KiB");
	}
	{
		struct cfg_upstream *u = &cfg->l7.upstreams[0];

		is_str(u->name, "app", "upstream name");
		is_int(u->balance, CFG_BAL_ROUND_ROBIN, "round_robin");
		is_int(u->hash_key, CFG_HASH_HEADER, "hash_key header");
		is_str(u->hash_name, "X-User", "hash header name");
		is_int(u->n_servers, 1, "one server");
		is_str(u->servers[0].addr.text, "127.0.0.1:9001", "server address");
		is_int(u->health.type, CFG_HEALTH_HTTP, "http health");
		is_str(u->health.path, "/healthz", "health path");
		ok(u->connect_timeout_ms == 2000 && u->response_timeout_ms == 30000 && u->retries == 1 &&
		   u->max_fails == 3 && u->fail_timeout_ms == 10000 && u->slow_start_ms == 0 && u->keepalive == CFG_KEEPALIVE_AUTO &&
		   !u->via, "upstream defaults");
		is_int(u->fail_on, CFG_FAIL_CONNECT | CFG_FAIL_TIMEOUT, "fail_on defaults to connect, timeout (not 5xx)");
		is_int(cfg->l7.upstreams[2].servers[0].addr.ss.ss_family, AF_INET6, "[::1]:9002 is IPv6");
		is_int(cfg->l7.upstreams[2].servers[0].weight, 2, "server weight");
	}
	is_int(cfg->l7.caches[0].memory_bytes, 256ULL << 20, "cache 256MiB");
	is_int(cfg->l7.caches[0].max_object_bytes, 16ULL << 20, "max_object default memory/16");
	{
		struct cfg_forward *fw = &cfg->l7.forward;

		ok(fw->n_allow_clients == 1 && fw->allow_clients[0].prefix_len == 8, "allow_clients 127.0.0.0/8");
		ok(fw->n_allow_hosts == 1 && !strcmp(fw->allow_hosts[0], "*"), "allow_hosts *");
		ok(fw->n_deny_hosts == 1 && !strcmp(fw->deny_hosts[0], "*.example.net"), "deny_hosts");
		ok(fw->n_connect_ports == 1 && fw->connect_ports[0] == 443, "connect_ports");
		ok(!fw->allow_private_destinations && fw->anonymize, "booleans");
		is_str(fw->auth_file, "/etc/sluice/users", "auth_file");
	}
	cfg_free(cfg);
}

static void test_good_variants(void)
{
	char out[4096], a[64];
	struct cfg *cfg;

	cfg = load("l4:\n  vips:\n    - { name: a, address: 198.18.10.1, port: 80, backends: [198.18.20.1] }\n",
		   out, sizeof(out));
	ok(cfg && cfg->l4.vips[0].health.type == CFG_HEALTH_NONE && cfg->l4.vips[0].health.interval_ms == 1000,
	   "no health block: none, with default timings");
	cfg_free(cfg);

	cfg = load("", out, sizeof(out));
	ok(cfg && !cfg->l4.present && !cfg->l7.n_listeners && !*out, "empty file: valid, all defaults");
	ok(cfg && cfg->l7.forward.n_allow_clients == 2 && cfg->l7.forward.n_connect_ports == 1 &&
	   cfg->l7.forward.connect_ports[0] == 443, "forward defaults: loopback v4+v6, port 443");
	ok(cfg && cfg->l7.batch.wait_us == 30 && cfg->l7.batch.clients == 8 && cfg->l7.batch.rate == 64000,
	   "batch defaults: 30 us, 8 clients, 64000 completions a second");
	cfg_free(cfg);

	cfg = load("l7:\n  batch: { wait_us: 0, clients: 1, rate: 0 }\n", out, sizeof(out));
	ok(cfg && !*out && cfg->l7.batch.wait_us == 0 && cfg->l7.batch.clients == 1 && cfg->l7.batch.rate == 0,
	   "batch: wait_us 0 (never batch), clients 1, rate 0");
	cfg_free(cfg);
	cfg = load("l7:\n  batch: { wait_us: 1000 }\n", out, sizeof(out));
	ok(cfg && cfg->l7.batch.wait_us == 1000 && cfg->l7.batch.clients == 8, "batch: wait_us 1000, the rest default");
	cfg_free(cfg);

	cfg = load("workers: 4\n"
		   "admin: { listen: unix:/run/sluice/admin.sock }\n"
		   "l4:\n"
		   "  interfaces: eth1\n"
		   "  xdp_mode: generic\n"
		   "  forwarding: dsr\n"
		   "  ring_size: 101\n"
		   "  hash_seed: 7\n"
		   "  udp_timeout: 2m\n"
		   "  tunnel_src4: 198.18.255.0\n"
		   "  tunnel_src4_bits: 8\n"
		   "  icmp_echo: no\n"
		   "  tunnel_src6: '2001:2::99'\n"
		   "  detach_on_exit: true\n"
		   "  conntrack_entries: 2048\n"
		   "  conntrack_insert_rate: 0\n"
		   "  vips:\n"
		   "    - name: v6\n"
		   "      address: 2001:2::10\n"
		   "      port: 0\n"
		   "      protocol: udp\n"
		   "      hash: source\n"
		   "      on_no_backend: pass\n"
		   "      forwarding: ipip\n"
		   "      backends: [ 198.18.20.1, { address: '2001:2::20', weight: 0 } ]\n"
		   "      health: { type: http, port: 8080, path: /hc, host: h, expect_status: 200, interval: 2s,\n"
		   "                timeout: 2s, rise: 5, fall: 1 }\n",
		   out, sizeof(out));
	if (ok(cfg, "every l4 key parses: %s", out)) {
		struct cfg_vip *v = &cfg->l4.vips[0];

		is_int(cfg->workers, 4, "workers 4");
		is_int(cfg->admin.ss.ss_family, AF_UNIX, "admin on a unix socket");
		is_str(((struct sockaddr_un *)&cfg->admin.ss)->sun_path, "/run/sluice/admin.sock", "unix path");
		ok(cfg->l4.n_interfaces == 1 && !strcmp(cfg->l4.interfaces[0], "eth1"), "scalar interfaces: one item");
		ok(cfg->l4.xdp_mode == CFG_XDP_GENERIC && cfg->l4.forwarding == CFG_FWD_DSR && cfg->l4.hash_seed == 7 &&
		   cfg->l4.udp_timeout_ms == 120000 && cfg->l4.tunnel_src4_bits == 8 && !cfg->l4.icmp_echo,
		   "l4 scalars");
		is_str(ip4(&cfg->l4.tunnel_src4, a), "198.18.255.0", "tunnel_src4");
		ok(v->addr.family == AF_INET6 && v->port == 0 && v->proto == IPPROTO_UDP && v->hash_src &&
		   v->on_empty == CFG_EMPTY_PASS && v->forwarding == CFG_FWD_IPIP && v->ring_size == 101, "vip keys");
		ok(v->backends[0].weight == 100 && v->backends[1].weight == 0 && v->backends[1].addr.family == AF_INET6,
		   "backend default weight 100, weight 0 allowed, 6-in-4 family mix with ipip allowed");
		ok(cfg->l4.detach_on_exit && cfg->l4.conntrack_entries == 2048 && cfg->l4.tunnel_src6.family == AF_INET6 &&
		   cfg->l4.tunnel_src6.v6.s6_addr[15] == 0x99 && cfg->l4.conntrack_insert_rate == 0,
		   "detach_on_exit, conntrack_entries, tunnel_src6, conntrack_insert_rate 0 (no limit)");
		ok(v->health.type == CFG_HEALTH_HTTP && v->health.port == 8080 && !strcmp(v->health.path, "/hc") &&
		   !strcmp(v->health.host, "h") && v->health.expect_status == 200 && v->health.interval_ms == 2000 &&
		   v->health.timeout_ms == 2000 && v->health.rise == 5 && v->health.fall == 1,
		   "every health key; timeout == interval is fine");
		is_str(out, "t.yaml:18: warning: vip 'v6': ring_size 101 is smaller than 100 x 2 backends; shares will be uneven\n",
		       "small ring: only a warning, but it is written");
	}
	cfg_free(cfg);

	cfg = load("l7:\n"
		   "  listeners:\n"
		   "    - listen: '[::1]:8443'\n"
		   "      access_log: { path: /tmp/a.log, format: json, body_bytes: 4KiB, redact: [X-Token] }\n"
		   "      max_header_bytes: 32KiB\n"
		   "      max_body_bytes: 0\n"
		   "      request_timeout: 5s\n"
		   "      client_idle: 1h\n"
		   "      max_connections: 100\n"
		   "      request_buffering: 1MiB\n"
		   "      routes:\n"
		   "        - match: { header: X-Debug }\n"
		   "          split: [ { upstream: a, weight: 0 }, { upstream: a } ]\n"
		   "          log_body_sample: 10\n"
		   "    - name: fwd\n"
		   "      listen: 127.0.0.1:3128\n"
		   "      mode: forward\n"
		   "      request_buffering: off\n"
		   "  upstreams:\n"
		   "    - name: a\n"
		   "      balance: p2c\n"
		   "      hash_key: cookie:sid\n"
		   "      host: internal.example\n"
		   "      connect_timeout: 250ms\n"
		   "      response_timeout: 1m\n"
		   "      retries: 0\n"
		   "      max_fails: 0\n"
		   "      fail_on: [5xx, timeout]\n"
		   "      fail_timeout: 30s\n"
		   "      slow_start: 10s\n"
		   "      keepalive: 0\n"
		   "      via: true\n"
		   "      servers: [ 'localhost:80', '[2001:2::5]:8080' ]\n"
		   "      health: { type: http, expect_status: 204, host: h.example }\n"
		   "  caches:\n"
		   "    - { name: c, memory: 1GiB, max_object: 512KiB }\n"
		   "  forward:\n"
		   "    allow_clients: [198.18.0.0/15, '2001:2::/48', 10.1.2.3]\n"
		   "    connect_ports: [443, 8443]\n"
		   "    identifying_headers: [X-Real-IP]\n",
		   out, sizeof(out));
	if (ok(cfg, "every l7 key parses: %s", out)) {
		struct cfg_listener *l = &cfg->l7.listeners[0];
		struct cfg_upstream *u = &cfg->l7.upstreams[0];

		is_str(l->name, "[::1]:8443", "unnamed listener is named by its address");
		ok(l->access_log.format == CFG_LOG_JSON && l->access_log.body_bytes == 4096 &&
		   l->access_log.n_redact == 1, "access_log keys");
		ok(l->max_header_bytes == 32768 && l->max_body_bytes == 0 && l->request_timeout_ms == 5000 &&
		   l->client_idle_ms == 3600000 && l->max_connections == 100, "listener limits");
		ok(l->routes[0].match.header_name && !strcmp(l->routes[0].match.header_name, "X-Debug") &&
		   !l->routes[0].match.header_value, "bare header name: any value");
		ok(l->routes[0].splits[0].weight == 0 && l->routes[0].splits[1].weight == 1 &&
		   l->routes[0].log_body_sample == 10, "split weights 0 and default 1");
		is_int(cfg->l7.listeners[1].mode, CFG_MODE_FORWARD, "forward listener without routes");
		ok(l->request_buffering == 1U << 20 && cfg->l7.listeners[1].request_buffering == 0,
		   "request_buffering: a size, or off");
		ok(u->balance == CFG_BAL_P2C && u->hash_key == CFG_HASH_COOKIE && !strcmp(u->hash_name, "sid") &&
		   !strcmp(u->host, "internal.example") && u->connect_timeout_ms == 250 &&
		   u->response_timeout_ms == 60000 && u->retries == 0 && u->max_fails == 0 &&
		   u->fail_timeout_ms == 30000 && u->slow_start_ms == 10000 && u->keepalive == 0 && u->via,
		   "upstream keys");
		is_int(u->fail_on, CFG_FAIL_5XX | CFG_FAIL_TIMEOUT, "fail_on: [5xx, timeout]");
		ok(u->n_servers == 2 && u->servers[0].addr.ss.ss_family == AF_INET &&
		   u->servers[1].addr.ss.ss_family == AF_INET6, "scalar servers, localhost and [v6]");
		ok(u->health.type == CFG_HEALTH_HTTP && !strcmp(u->health.path, "/") && u->health.expect_status == 204,
		   "http health defaults path /");
		ok(cfg->l7.caches[0].memory_bytes == 1ULL << 30 && cfg->l7.caches[0].max_object_bytes == 512 * 1024,
		   "cache sizes");
		ok(cfg->l7.forward.n_allow_clients == 3 && cfg->l7.forward.allow_clients[1].prefix_len == 48 &&
		   cfg->l7.forward.allow_clients[2].prefix_len == 32, "CIDRs v4, v6, bare address");
		ok(cfg->l7.forward.n_connect_ports == 2 && cfg->l7.forward.connect_ports[1] == 8443, "connect_ports");
		is_str(out, "", "no messages");
	}
	cfg_free(cfg);
}

/* Bad configs: each must be rejected with exactly these messages. */
static const struct bad_case bad[] = {
	{ "unknown top-level key", "workers: 2\nwrokers: 3\n", "t.yaml:2: unknown key 'wrokers' in the top level\n" },
	{ "unknown key in a backend",
	  "l4:\n  vips:\n    - name: w\n      address: 198.18.10.1\n      port: 80\n"
	  "      backends:\n        - { address: 198.18.20.1, weigth: 5 }\n",
	  "t.yaml:7: unknown key 'weigth' in backend\n" },
	{ "duplicate key", "workers: 2\nworkers: 3\n", "t.yaml:2: duplicate key 'workers' in the top level\n" },
	{ "wrong type: list for a scalar", "workers: [1]\n", "t.yaml:1: 'workers' must be an integer\n" },
	{ "wrong type: scalar for a section", "l4: yes\n", "t.yaml:1: l4 must be a mapping\n" },
	{ "workers not a number", "workers: many\n", "t.yaml:1: 'workers' must be auto or a number, got 'many'\n" },
	{ "bad vip address",
	  "l4:\n  vips:\n    - name: w\n      address: 198.18.10.300\n      port: 80\n      backends: [198.18.20.1]\n",
	  "t.yaml:4: 'address': bad IP address '198.18.10.300'\n" },
	{ "bad vip port",
	  "l4:\n  vips:\n    - name: w\n      address: 198.18.10.1\n      port: 65536\n      backends: [198.18.20.1]\n",
	  "t.yaml:5: 'port' must be 0..65535, got 65536\n" },
	{ "bad listen port", "l7:\n  listeners:\n    - { listen: '127.0.0.1:0', mode: forward }\n",
	  "t.yaml:3: 'listen': bad port in '127.0.0.1:0' (1..65535)\n" },
	{ "request_buffering too small",
	  "l7:\n  listeners:\n    - { listen: '127.0.0.1:80', mode: forward, request_buffering: 100 }\n",
	  "t.yaml:3: 'request_buffering' must be off, 0 or 1KiB..16MiB\n" },
	{ "request_buffering not a size",
	  "l7:\n  listeners:\n    - { listen: '127.0.0.1:80', mode: forward, request_buffering: on }\n",
	  "t.yaml:3: 'request_buffering' must be a size like 512KiB, 256MiB, 1GiB, got 'on'\n" },
	{ "bare IPv6 listen address", "admin:\n  listen: ::1:9900\n",
	  "t.yaml:2: 'listen': bad address '::1:9900' (expected IP:port, [IPv6]:port or unix:/path)\n" },
	{ "relative unix path", "admin: unix:run/a.sock\n",
	  "t.yaml:1: 'admin': unix socket path must be absolute and under 108 bytes, got 'unix:run/a.sock'\n" },
	{ "duplicate vip",
	  "l4:\n  vips:\n"
	  "    - { name: a, address: 198.18.10.1, port: 80, backends: [198.18.20.1] }\n"
	  "    - { name: b, address: 198.18.10.1, port: 80, protocol: tcp, backends: [198.18.20.2] }\n"
	  "    - { name: c, address: 198.18.10.1, port: 80, protocol: udp, backends: [198.18.20.2] }\n",
	  "t.yaml:4: duplicate vip 198.18.10.1:80/tcp (first at line 3)\n" },
	{ "duplicate vip name",
	  "l4:\n  vips:\n"
	  "    - { name: a, address: 198.18.10.1, port: 80, backends: [198.18.20.1] }\n"
	  "    - { name: a, address: '2001:2::1', port: 80, backends: [198.18.20.2] }\n",
	  "t.yaml:4: duplicate vip name 'a' (first at line 3)\n" },
	{ "duplicate listener, upstream and cache names",
	  "l7:\n  listeners:\n"
	  "    - { name: p, listen: '127.0.0.1:1', mode: forward }\n"
	  "    - { name: p, listen: '127.0.0.1:2', mode: forward }\n"
	  "  upstreams:\n"
	  "    - { name: u, servers: ['127.0.0.1:1'] }\n"
	  "    - { name: u, servers: ['127.0.0.1:2'] }\n"
	  "  caches:\n    - { name: c }\n    - { name: c }\n",
	  "t.yaml:7: duplicate upstream name 'u' (first at line 6)\n"
	  "t.yaml:10: duplicate cache name 'c' (first at line 9)\n"
	  "t.yaml:4: duplicate listener name 'p' (first at line 3)\n" },
	{ "L4 weight out of range",
	  "l4:\n  vips:\n    - name: w\n      address: 198.18.10.1\n      port: 80\n"
	  "      backends:\n        - { address: 198.18.20.1, weight: 1001 }\n",
	  "t.yaml:7: 'weight' must be 0..1000, got 1001\n" },
	{ "L7 weight out of range (0 not allowed for servers)",
	  "l7:\n  upstreams:\n    - name: u\n      servers:\n        - { address: '127.0.0.1:1', weight: 0 }\n",
	  "t.yaml:5: 'weight' must be 1..1000, got 0\n" },
	{ "vip with no backends",
	  "l4:\n  vips:\n    - { name: w, address: 198.18.10.1, port: 80, backends: [] }\n",
	  "t.yaml:3: vip 'w' has no backends\n" },
	{ "dsr backend of the other family",
	  "l4:\n  forwarding: dsr\n  vips:\n    - name: w\n      address: 198.18.10.1\n      port: 80\n"
	  "      backends:\n        - 198.18.20.1\n        - 2001:2::20\n",
	  "t.yaml:9: vip 'w': dsr backend 2001:2::20 must be IPv4 like the vip\n" },
	{ "ring_size not prime (l4)", "l4:\n  ring_size: 65536\n",
	  "t.yaml:2: ring_size 65536 is not prime (try 65537)\n" },
	{ "ring_size not prime (vip)",
	  "l4:\n  vips:\n    - { name: w, address: 198.18.10.1, port: 80, ring_size: 1000, backends: [198.18.20.1] }\n",
	  "t.yaml:3: vip 'w': ring_size 1000 is not prime\n" },
	{ "ring_size smaller than the backends",
	  "l4:\n  vips:\n    - { name: w, address: 198.18.10.1, port: 80, ring_size: 2,\n"
	  "        backends: [198.18.20.1, 198.18.20.2, 198.18.20.3] }\n",
	  "t.yaml:3: vip 'w': ring_size 2 is smaller than its 3 backends\n" },
	{ "route names an unknown upstream",
	  "l7:\n  listeners:\n    - listen: 127.0.0.1:8080\n      routes:\n        - upstream: nope\n",
	  "t.yaml:5: route names unknown upstream 'nope'\n" },
	{ "listener names an unknown cache",
	  "l7:\n  listeners:\n    - { listen: '127.0.0.1:8080', mode: forward, cache: nope }\n",
	  "t.yaml:3: listener '127.0.0.1:8080': unknown cache 'nope'\n" },
	{ "split weights sum to 0",
	  "l7:\n  listeners:\n    - listen: 127.0.0.1:8080\n      routes:\n"
	  "        - split: [ { upstream: u, weight: 0 } ]\n"
	  "  upstreams:\n    - { name: u, servers: ['127.0.0.1:1'] }\n",
	  "t.yaml:5: split weights sum to 0\n" },
	{ "forward listener with routes",
	  "l7:\n  listeners:\n    - listen: 127.0.0.1:3128\n      mode: forward\n      routes:\n        - upstream: u\n"
	  "  upstreams:\n    - { name: u, servers: ['127.0.0.1:1'] }\n",
	  "t.yaml:6: listener '127.0.0.1:3128' is in forward mode and cannot have routes\n" },
	{ "reverse listener without routes", "l7:\n  listeners:\n    - name: p\n      listen: 127.0.0.1:8080\n",
	  "t.yaml:3: listener 'p' is in reverse mode but has no routes\n" },
	{ "route with neither upstream nor split",
	  "l7:\n  listeners:\n    - listen: 127.0.0.1:8080\n      routes:\n        - match: { path_prefix: / }\n",
	  "t.yaml:5: route needs 'upstream' or 'split'\n" },
	{ "bad CIDRs",
	  "l7:\n  forward:\n    allow_clients: [10.0.0.0/33, 10.0.0/8, '::1/129', 10.0.0.0/]\n",
	  "t.yaml:3: 'allow_clients': bad CIDR '10.0.0.0/33'\n"
	  "t.yaml:3: 'allow_clients': bad CIDR '10.0.0/8'\n"
	  "t.yaml:3: 'allow_clients': bad CIDR '::1/129'\n"
	  "t.yaml:3: 'allow_clients': bad CIDR '10.0.0.0/'\n" },
	{ "health rise 0 and fall 0",
	  "l7:\n  upstreams:\n    - name: u\n      servers: ['127.0.0.1:1']\n      health: { rise: 0, fall: 0 }\n",
	  "t.yaml:5: 'rise' must be 1..1000, got 0\nt.yaml:5: 'fall' must be 1..1000, got 0\n" },
	{ "health timeout above interval",
	  "l7:\n  upstreams:\n    - name: u\n      servers: ['127.0.0.1:1']\n"
	  "      health:\n        interval: 1s\n        timeout: 2s\n",
	  "t.yaml:6: health timeout (2000ms) must not exceed interval (1000ms)\n" },
	{ "bad duration and size",
	  "l7:\n  upstreams:\n    - name: u\n      servers: ['127.0.0.1:1']\n      connect_timeout: 5\n"
	  "  caches:\n    - { name: c, memory: 256Mb }\n",
	  "t.yaml:5: 'connect_timeout' must be a duration like 500ms, 1s, 2m, got '5'\n"
	  "t.yaml:7: 'memory' must be a size like 512KiB, 256MiB, 1GiB, got '256Mb'\n" },
	{ "missing required vip keys", "l4:\n  vips:\n    - { protocol: tcp }\n",
	  "t.yaml:3: vip: missing required key 'name'\n"
	  "t.yaml:3: vip: missing required key 'address'\n"
	  "t.yaml:3: vip: missing required key 'port'\n"
	  "t.yaml:3: vip: missing required key 'backends'\n" },
	{ "missing listener listen and upstream servers",
	  "l7:\n  listeners:\n    - { name: p, mode: forward }\n  upstreams:\n    - name: u\n",
	  "t.yaml:3: listener: missing required key 'listen'\n"
	  "t.yaml:5: upstream: missing required key 'servers'\n" },
	{ "bad enum", "l4:\n  xdp_mode: offload\n",
	  "t.yaml:2: 'xdp_mode' must be one of native | generic, got 'offload'\n" },
	{ "bad fail_on items",
	  "l7:\n  upstreams:\n    - name: u\n      servers: ['127.0.0.1:1']\n      fail_on: [connect, 4xx, 502]\n",
	  "t.yaml:5: 'fail_on' items must be connect, timeout or 5xx, got '4xx'\n"
	  "t.yaml:5: 'fail_on' items must be connect, timeout or 5xx, got '502'\n" },
	{ "fail_on not a list", "l7:\n  upstreams:\n    - name: u\n      servers: ['127.0.0.1:1']\n      fail_on: { a: 1 }\n",
	  "t.yaml:5: 'fail_on' must be a list\n" },
	{ "bad keepalive",
	  "l7:\n  upstreams:\n    - { name: a, servers: ['127.0.0.1:1'], keepalive: lots }\n"
	  "    - { name: b, servers: ['127.0.0.1:1'], keepalive: 10001 }\n",
	  "t.yaml:3: 'keepalive' must be auto or a number, got 'lots'\n"
	  "t.yaml:4: 'keepalive' must be 0..10000, got 10001\n" },
	{ "bad hash_key",
	  "l7:\n  upstreams:\n    - { name: u, balance: hash, hash_key: 'header:', servers: ['127.0.0.1:1'] }\n",
	  "t.yaml:3: 'hash_key' must be client_ip, header:NAME or cookie:NAME, got 'header:'\n" },
	{ "bad match header", "l7:\n  listeners:\n    - listen: 127.0.0.1:80\n      routes:\n"
	  "        - { match: { header: ': 1' }, upstream: u }\n"
	  "  upstreams:\n    - { name: u, servers: ['127.0.0.1:1'] }\n",
	  "t.yaml:5: match header must be 'Name: value', got ': 1'\n" },
	{ "duplicate backend", "l4:\n  vips:\n    - name: w\n      address: 198.18.10.1\n      port: 80\n"
	  "      backends:\n        - 198.18.20.1\n        - { address: 198.18.20.1, weight: 5 }\n",
	  "t.yaml:8: vip 'w': duplicate backend 198.18.20.1 (first at line 7)\n" },
	{ "conntrack_insert_rate out of range", "l4:\n  conntrack_insert_rate: 200000000\n",
	  "t.yaml:2: 'conntrack_insert_rate' must be 0..100000000, got 200000000\n" },
	{ "batch out of range and unknown key",
	  "l7:\n  batch:\n    wait_us: 1001\n    clients: 0\n    rate: -1\n    size: 4\n",
	  "t.yaml:3: 'wait_us' must be 0..1000, got 1001\n"
	  "t.yaml:4: 'clients' must be 1..1000000, got 0\n"
	  "t.yaml:5: 'rate' must be an integer, got '-1'\n"
	  "t.yaml:6: unknown key 'size' in batch\n" },
	{ "batch not a mapping", "l7:\n  batch: 30\n", "t.yaml:2: batch must be a mapping\n" },
	{ "YAML syntax error", "l4:\n  vips: [\n", "t.yaml:3: YAML: did not find expected node content while parsing a flow node\n" },
	{ "several errors all reported, in order",
	  "workers: 0\nadmin: { listen: 1.2.3.4 }\nl4:\n  xdp_mode: x\n  conntrack_entries: -1\nbogus: 1\n",
	  "t.yaml:1: 'workers' must be 1..256, got 0\n"
	  "t.yaml:2: 'listen': bad address '1.2.3.4' (expected IP:port, [IPv6]:port or unix:/path)\n"
	  "t.yaml:6: unknown key 'bogus' in the top level\n"
	  "t.yaml:4: 'xdp_mode' must be one of native | generic, got 'x'\n"
	  "t.yaml:5: 'conntrack_entries' must be an integer, got '-1'\n" },
};

/* fail_on: a bare word is a list of one; an empty list counts nothing (max_fails then never ejects). */
static void test_fail_on(void)
{
	static const struct { const char *val; uint32_t want; } cases[] = {
		{ "5xx", CFG_FAIL_5XX },
		{ "[]", 0 },
		{ "[connect, timeout, 5xx]", CFG_FAIL_CONNECT | CFG_FAIL_TIMEOUT | CFG_FAIL_5XX },
		{ "[timeout, timeout]", CFG_FAIL_TIMEOUT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256], out[512];
		struct cfg *cfg;

		snprintf(text, sizeof(text), "l7:\n  upstreams:\n    - { name: u, servers: ['127.0.0.1:1'], fail_on: %s }\n",
			 cases[i].val);
		cfg = load(text, out, sizeof(out));
		if (ok(cfg, "fail_on: %s parses %s", cases[i].val, out))
			is_int(cfg->l7.upstreams[0].fail_on, cases[i].want, "fail_on: %s", cases[i].val);
		cfg_free(cfg);
	}
}

static void test_keepalive(void)
{
	char out[512];
	struct cfg *cfg = load("l7:\n  upstreams:\n"
			       "    - { name: a, servers: ['127.0.0.1:1'], keepalive: auto }\n"
			       "    - { name: b, servers: ['127.0.0.1:1'], keepalive: 64 }\n"
			       "    - { name: c, servers: ['127.0.0.1:1'] }\n", out, sizeof(out));

	if (ok(cfg, "keepalive: auto and a number parse %s", out)) {
		is_int(cfg->l7.upstreams[0].keepalive, CFG_KEEPALIVE_AUTO, "keepalive: auto");
		is_int(cfg->l7.upstreams[1].keepalive, 64, "keepalive: 64");
		is_int(cfg->l7.upstreams[2].keepalive, CFG_KEEPALIVE_AUTO, "no keepalive: auto");
	}
	cfg_free(cfg);
}

static void test_warnings(void)
{
	char out[1024];
	struct cfg *cfg = load("admin: { listen: '0.0.0.0:9900' }\n", out, sizeof(out));

	ok(cfg, "admin on every address: valid");
	is_str(out, "t.yaml:1: warning: admin API on 0.0.0.0:9900 is reachable from other hosts and has no "
	       "admin.token_file: it can only be read there\n",
	       "... with a warning");
	cfg_free(cfg);
	cfg = load("l7:\n  forward:\n    allow_clients: [10.1.2.3/8]\n", out, sizeof(out));
	ok(cfg && cfg->l7.forward.allow_clients[0].ip.v4.s_addr == htonl(0x0a000000), "CIDR host bits cleared");
	is_str(out, "t.yaml:3: warning: 'allow_clients': CIDR '10.1.2.3/8' has host bits set; using /8 of its network\n",
	       "... with a warning");
	cfg_free(cfg);
}

static void test_bad(void)
{
	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

/* The example in docs/config.md must load as it stands. */
/* A process has CFG_MAX_LISTENERS listener slots: one config may not ask for more. */
static void test_listener_cap(void)
{
	char *text = NULL, out[512];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct cfg *cfg;

	for (int n = CFG_MAX_LISTENERS; n <= CFG_MAX_LISTENERS + 1; n++) {
		rewind(f);
		fprintf(f, "l7:\n  upstreams:\n    - { name: u, servers: ['127.0.0.1:1'] }\n  listeners:\n");
		for (int i = 0; i < n; i++)
			fprintf(f, "    - { listen: '127.0.0.1:%d', routes: [ { upstream: u } ] }\n", 20000 + i);
		fflush(f);
		cfg = load(text, out, sizeof(out));
		if (n == CFG_MAX_LISTENERS)
			ok(cfg && cfg->l7.n_listeners == (size_t)n, "%d listeners load: %s", n, out);
		else
			ok(!cfg && !strcmp(out, "t.yaml:5: at most 64 listeners, got 65\n"), "%d listeners: %s", n, out);
		cfg_free(cfg);
	}
	fclose(f);
	free(text);
}

static void test_docs_example(void)
{
	FILE *f = fopen(DOCS_MD, "r");
	char line[512], *text = NULL;
	size_t len = 0;
	bool in_example = false, in_block = false;
	FILE *mem;
	struct cfg *cfg;

	if (!ok(f, "docs/config.md is readable"))
		return;
	mem = open_memstream(&text, &len);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "## ", 3))
			in_example = !strcmp(line, "## Example\n");
		else if (in_example && !strncmp(line, "```", 3))
			in_block = !in_block && !strcmp(line, "```yaml\n");
		else if (in_block)
			fputs(line, mem);
	}
	fclose(f);
	fclose(mem);
	ok(len > 1000, "found the example (%zu bytes)", len);
	cfg = cfg_load_string("docs/config.md", text, len, stderr);
	ok(cfg && cfg->l7.n_upstreams == 3 && cfg->l4.n_vips == 1, "docs/config.md example loads");
	cfg_free(cfg);
	free(text);
}

static void test_missing_file(void)
{
	char out[512] = "";
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");
	struct cfg *cfg = cfg_load(DATA_DIR "/no-such-file.yaml", f);

	fclose(f);
	ok(!cfg && errno == ENOENT, "missing file: NULL, ENOENT");
	is_str(out, DATA_DIR "/no-such-file.yaml: No such file or directory\n", "... and says which file");
}

/* Nothing to serve (an empty or truncated file) is an error of its own, with a line. */
static void test_serves(void)
{
	static const struct { const char *what, *yaml, *msg; } empty[] = {
		{ "empty file", "", "t.yaml:1: nothing to serve: no l7 listener and no l4 vip (an empty or truncated file?)\n" },
		{ "only comments", "# sluice\n# nothing yet\n",
		  "t.yaml:1: nothing to serve: no l7 listener and no l4 vip (an empty or truncated file?)\n" },
		{ "{}", "{}\n", "t.yaml:1: nothing to serve: no l7 listener and no l4 vip (an empty or truncated file?)\n" },
		{ "only the admin section", "admin: { listen: 'unix:/run/x.sock' }\n",
		  "t.yaml:1: nothing to serve: no l7 listener and no l4 vip (an empty or truncated file?)\n" },
		{ "upstreams but no listener", "workers: 1\nl7:\n  upstreams:\n    - { name: a, servers: [127.0.0.1:1] }\n",
		  "t.yaml:3: nothing to serve: no l7 listener and no l4 vip\n" },
	};
	char out[512];

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		struct cfg *cfg = load(empty[i].yaml, out, sizeof(out));
		FILE *f = fmemopen(out, sizeof(out), "w");
		int rc;

		memset(out, 0, sizeof(out));
		rc = cfg ? cfg_check_serves(cfg, f) : 0;
		fclose(f);
		ok(cfg && rc == -EINVAL, "serves nothing: %s", empty[i].what);
		is_str(out, empty[i].msg, "... said with file:line: %s", empty[i].what);
		cfg_free(cfg);
	}
	{
		struct cfg *cfg = load("l7:\n  listeners:\n    - { name: f, listen: '127.0.0.1:3128', mode: forward }\n",
				       out, sizeof(out));

		ok(cfg && cfg_check_serves(cfg, NULL) == 0, "one listener serves");
		cfg_free(cfg);
		cfg = load("l4:\n  vips:\n    - { name: a, address: 198.18.10.1, port: 80, backends: [198.18.20.1] }\n",
			   out, sizeof(out));
		ok(cfg && cfg_check_serves(cfg, NULL) == 0, "one vip serves");
		cfg_free(cfg);
	}
}

/* tmp_file() - @text in a fresh file of mode @mode; its path in @path. */
static void tmp_file(char *path, size_t len, const char *text, size_t tlen, mode_t mode)
{
	int fd;

	snprintf(path, len, "/tmp/sluice-test-token.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, tlen) != (ssize_t)tlen || fchmod(fd, mode))
		perror("tmp_file");
	close(fd);
}

/* admin: token_file, mode, group. */
static void test_admin_access(void)
{
	static const struct { const char *what; const char *text; size_t len; const char *msg; } badtok[] = {
		{ "empty", "", 0, "the token must be 16..512 characters, it has 0" },
		{ "only a newline", "\n", 1, "the token must be 16..512 characters, it has 0" },
		{ "too short", "abc\n", 4, "the token must be 16..512 characters, it has 3" },
		{ "two lines", "0123456789abcdef\nsecond-line-here\n", 34, "byte 17 is not" },
		{ "a space inside", "0123456789 abcdef", 17, "byte 11 is not" },
		{ "a NUL byte", "0123456789abcdef\0xyz", 20, "byte 17 is not" },
		{ "binary garbage", "\xff\xfe\x01\x02garbagegarbagegarbage", 25, "byte 1 is not" },
	};
	char out[1024], yaml[512], tok[64];
	struct cfg *cfg;

	cfg = load("admin: { listen: 'unix:/run/x.sock' }\n", out, sizeof(out));
	ok(cfg && cfg->admin_access.mode == 0660 && !cfg->admin_access.group && !cfg->admin_access.token,
	   "admin defaults: socket mode 0660, no group, no token");
	cfg_free(cfg);
	cfg = load("admin: { listen: 'unix:/run/x.sock', mode: '0600', group: root }\n", out, sizeof(out));
	ok(cfg && cfg->admin_access.mode == 0600 && cfg->admin_access.gid == 0 && !*out, "admin.mode and admin.group");
	cfg_free(cfg);
	cfg = load("admin: { listen: 'unix:/run/x.sock', mode: 0666, group: 4242 }\n", out, sizeof(out));
	ok(cfg && cfg->admin_access.mode == 0666 && cfg->admin_access.gid == 4242, "a numeric group, a wide mode");
	is_str(out, "t.yaml:1: warning: admin.mode 0666 lets every local user drive the admin API\n", "... warned");
	cfg_free(cfg);
	cfg = load("admin:\n  mode: rw-rw----\n  group: no-such-group-sluice\n", out, sizeof(out));
	ok(!cfg, "a mode that is not octal, an unknown group: refused");
	is_str(out, "t.yaml:2: admin.mode must be octal permissions like 0660, got 'rw-rw----'\n"
		    "t.yaml:3: admin.group: no group named 'no-such-group-sluice'\n", "... with file:line");
	cfg_free(cfg);

	tmp_file(tok, sizeof(tok), "0123456789abcdef0123456789abcdef\n", 33, 0600);
	snprintf(yaml, sizeof(yaml), "admin:\n  listen: 127.0.0.1:9900\n  token_file: %s\n", tok);
	cfg = load(yaml, out, sizeof(out));
	ok(cfg && cfg->admin_access.token && !strcmp(cfg->admin_access.token, "0123456789abcdef0123456789abcdef") &&
	   !*out, "admin.token_file: read with the config, its newline dropped");
	cfg_free(cfg);
	chmod(tok, 0644);
	cfg = load(yaml, out, sizeof(out));
	ok(cfg && strstr(out, "t.yaml:3: warning: admin.token_file ") && strstr(out, "is readable by every user"),
	   "a token file every user can read: a warning");
	cfg_free(cfg);
	unlink(tok);
	cfg = load(yaml, out, sizeof(out));
	ok(!cfg && strstr(out, "t.yaml:3: admin.token_file ") && strstr(out, ": No such file or directory"),
	   "a missing token file: refused at its line");
	cfg_free(cfg);
	for (size_t i = 0; i < sizeof(badtok) / sizeof(badtok[0]); i++) {
		tmp_file(tok, sizeof(tok), badtok[i].text, badtok[i].len, 0600);
		snprintf(yaml, sizeof(yaml), "admin: { listen: '127.0.0.1:9900', token_file: '%s' }\n", tok);
		cfg = load(yaml, out, sizeof(out));
		ok(!cfg && !strncmp(out, "t.yaml:1: admin.token_file ", 27) && strstr(out, badtok[i].msg) &&
		   !strstr(out, "garbage") && !strstr(out, "0123"), "token file refused: %s", badtok[i].what);
		cfg_free(cfg);
		unlink(tok);
	}
}

int main(void)
{
	test_serves();
	test_admin_access();
	test_design();
	test_good_variants();
	test_fail_on();
	test_keepalive();
	test_warnings();
	test_bad();
	test_missing_file();
	test_listener_cap();
	test_docs_example();
	return done_testing();
}
