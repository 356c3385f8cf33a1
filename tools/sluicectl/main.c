// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sluicectl: the operator's CLI against sluiced's admin API; tables for people, --json for scripts. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "http.h"
#include "json.h"
#include "table.h"

#define DEFAULT_ADMIN "127.0.0.1:9900"

static const char *admin_addr = DEFAULT_ADMIN;
static const char *token_file;       /* --token-file, -c CONFIG's admin.token_file or $SLUICE_ADMIN_TOKEN_FILE */
static bool json_out;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluicectl [-c CONFIG] [-s ADMIN_ADDR] [--token-file FILE] [--json] COMMAND\n"
		"commands:\n"
		"  status                          daemon, L4 and L7 summary\n"
		"  vips                            L4 VIPs with counters\n"
		"  backends [VIP]                  L4 backends (of one VIP)\n"
		"  backend set-weight ID N         change a backend's weight (0..1000; 0 = no new flows)\n"
		"  backend drain ID                no new flows for the backend; open ones continue\n"
		"  backend enable ID               undo drain\n"
		"  stats                           packets, bytes, flows per VIP and backend, drops by reason\n"
		"  reload [--allow-empty]          reload the config (refused with errors if invalid, and when it has\n"
		"                                  no listener and no VIP, or removes them all, unless --allow-empty)\n"
		"  cache purge URL                 purge a cached URL\n"
		"  cache purge --prefix P          purge every cached URL starting with P\n"
		"  trace PROTO SRC:PORT DST:PORT   which backend a flow maps to (conntrack, else Maglev)\n"
		"ID is VIP/ADDRESS (web/198.18.20.1) or the numeric backend id of an L4 backend,\n"
		"or UPSTREAM/SERVER (app/127.0.0.1:9001) of an L7 server (weight, drain, enable).\n"
		"options:\n"
		"  -c, --config CONFIG   sluiced's config: admin.listen is the address and admin.token_file the token\n"
		"                        (as sluiced -c CONFIG would use them)\n"
		"  -s, --server ADDR     the admin API: HOST:PORT, [V6]:PORT or unix:/PATH\n"
		"                        (default: -c CONFIG's admin.listen, else $SLUICE_ADMIN, else %s)\n"
		"  --token-file FILE     the admin token, sent with changes (POST) as Authorization: Bearer;\n"
		"                        the API needs it over TCP (admin.token_file in sluiced's config)\n"
		"                        (default: -c CONFIG's admin.token_file, else $SLUICE_ADMIN_TOKEN_FILE)\n"
		"  --json                raw JSON for scripts\n"
		"Over a unix socket no token is needed: the socket file's mode and group decide who may use it.\n"
		"exit: 0 ok, 1 the daemon refused, 2 usage, 3 sluiced unreachable\n", DEFAULT_ADMIN);
}

/*
 * Every API call goes through here: transport errors say what to try, API
 * errors print their message. The token is read only for changes (reads do
 * not need one), so `sluicectl status` works for a user who cannot read it.
 */
static int call(const char *method, const char *path, const char *body, struct http_resp *r)
{
	char err[256] = "";
	char *token = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (token_file && strcmp(method, "GET")) {
		token = ctl_token_read(token_file, err, sizeof(err));
		if (!token) {
			fprintf(stderr, "sluicectl: %s\n", err);
			return 2;
		}
	}
	rc = http_request(admin_addr, method, path, body, token, r, err, sizeof(err));
	free(token);
	if (rc) {
		fprintf(stderr, "sluicectl: cannot reach sluiced at %s: %s (is it running? try -s ADDR or $SLUICE_ADMIN)\n",
			admin_addr, err);
		return 3;
	}
	return 0;
}

static int api_failed(struct http_resp *r)
{
	struct json *j;

	if (r->status >= 200 && r->status < 300)
		return 0;
	if (json_out) {
		fputs(r->body, stdout);
		return 1;
	}
	j = json_parse(r->body);
	if (j && json_get(j, "errors")) {
		const struct json *e = json_get(j, "errors");

		fprintf(stderr, "sluicectl: refused by sluiced (HTTP %d):\n", r->status);
		for (size_t i = 0; i < e->n; i++)
			fprintf(stderr, "  %s\n", e->items[i]->str ? e->items[i]->str : "");
	} else {
		fprintf(stderr, "sluicectl: %s (HTTP %d)\n", j && *json_str(j, "error") ? json_str(j, "error") : r->body,
			r->status);
	}
	json_free(j);
	return 1;
}

/* GET @path and parse; prints the raw body and returns NULL under --json. */
static int get_json(const char *path, struct json **out)
{
	struct http_resp r;
	int rc = call("GET", path, NULL, &r);

	*out = NULL;
	if (rc)
		return rc;
	rc = api_failed(&r);
	if (rc || json_out) {
		if (!rc)
			fputs(r.body, stdout);
		free(r.body);
		return rc;
	}
	*out = json_parse(r.body);
	free(r.body);
	if (!*out) {
		fprintf(stderr, "sluicectl: sluiced answered something that is not JSON\n");
		return 1;
	}
	return 0;
}

static const char *fmt_num(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.0f", v);
	return buf;
}

static int cmd_status(void)
{
	struct json *j;
	const struct json *l4, *l7, *ifs, *ls;
	int rc = get_json("/status", &j);

	if (rc || !j)
		return rc;
	printf("sluiced %s, pid %s, up %s s\n", json_str(j, "version"), json_str(j, "pid"), json_str(j, "uptime_s"));
	printf("config    %s (%s reloads, %s refused)\n", json_str(j, "config"), json_str(j, "reloads"),
	       json_str(j, "reload_failures"));
	printf("admin     %s\n", json_str(j, "admin"));
	l4 = json_get(j, "l4");
	if (l4 && json_get(l4, "enabled") && json_get(l4, "enabled")->b) {
		printf("l4        XDP %s on", json_str(l4, "xdp_mode"));
		ifs = json_get(l4, "interfaces");
		for (size_t i = 0; ifs && i < ifs->n; i++)
			printf(" %s", json_str(ifs->items[i], "name"));
		printf("; %s VIPs, %s/%s backends up, conntrack %s, %s drops\n", json_str(l4, "vips"),
		       json_str(l4, "backends_up"), json_str(l4, "backends"), json_str(l4, "conntrack_max"),
		       json_str(l4, "drops"));
	} else {
		printf("l4        not configured\n");
	}
	l7 = json_get(j, "l7");
	ls = json_get(l7, "listeners");
	printf("l7        %zu listeners, %s upstreams, %s caches\n", ls ? ls->n : 0, json_str(l7, "upstreams"),
	       json_str(l7, "caches"));
	for (size_t i = 0; ls && i < ls->n; i++)
		printf("          %s %s (%s)\n", json_str(ls->items[i], "name"), json_str(ls->items[i], "listen"),
		       json_str(ls->items[i], "mode"));
	ls = json_get(l7, "cache_stats");
	for (size_t i = 0; ls && i < ls->n; i++) {
		const struct json *c = ls->items[i];

		printf("cache     %s: %s entries, %s of %s bytes; %s hits, %s misses, %s stale, %s revalidated, %s evicted\n",
		       json_str(c, "name"), json_str(c, "entries"), json_str(c, "bytes"), json_str(c, "capacity"),
		       json_str(c, "hits"), json_str(c, "misses"), json_str(c, "stale"), json_str(c, "revalidations"),
		       json_str(c, "evictions"));
	}
	json_free(j);
	return 0;
}

static void print_vips(const struct json *vips, bool counters)
{
	static const char *const heads[] = { "NAME", "ADDRESS", "PORT", "PROTO", "FWD", "HASH", "UP", "BACKENDS",
					     "PACKETS", "BYTES", "NEW_FLOWS", "CT_HIT", "CT_MISS", "UNTRACKED", "NO_BACKEND" };
	struct table *t = table_new(counters ? 15 : 11, heads);

	for (size_t i = 0; vips && i < vips->n && t; i++) {
		const struct json *v = vips->items[i], *s = json_get(v, "stats");
		char a[32], b[32];
		const char *row[15] = {
			json_str(v, "name"), json_str(v, "address"), json_str(v, "port"), json_str(v, "protocol"),
			json_str(v, "forwarding"), json_str(v, "hash"), json_str(v, "backends_up"), json_str(v, "backends"),
			json_str(s, "packets"), json_str(s, "bytes"), json_str(s, "new_flows"),
			fmt_num(a, sizeof(a), json_num(s, "ct_hit") + json_num(s, "ct_hit_syn")),
			fmt_num(b, sizeof(b), json_num(s, "ct_miss") + json_num(s, "ct_miss_syn")), json_str(s, "untracked"),
			json_str(s, "no_backend"),
		};
		table_add(t, row);
	}
	if (t)
		table_print(t, stdout);
	table_free(t);
}

static void print_backends(const struct json *bes)
{
	static const char *const heads[] = { "ID", "BACKEND", "STATE", "HEALTH", "WEIGHT", "SLOTS", "PACKETS", "BYTES", "NEW_FLOWS" };
	struct table *t = table_new(9, heads);

	for (size_t i = 0; bes && i < bes->n && t; i++) {
		const struct json *b = bes->items[i], *s = json_get(b, "stats");
		const char *row[9] = {
			json_str(b, "id"), json_str(b, "name"), json_str(b, "state"), json_str(b, "health"),
			json_str(b, "weight"), json_str(b, "ring_slots"), json_str(s, "packets"), json_str(s, "bytes"),
			json_str(s, "new_flows"),
		};
		table_add(t, row);
	}
	if (t)
		table_print(t, stdout);
	table_free(t);
}

static int cmd_vips(void)
{
	struct json *j;
	int rc = get_json("/vips", &j);

	if (rc || !j)
		return rc;
	print_vips(json_get(j, "vips"), false);
	json_free(j);
	return 0;
}

static void url_encode(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 4 < len; in++) {
		unsigned char c = *in;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-_.~:[]", c))
			out[o++] = c;
		else
			o += snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = 0;
}

static int cmd_backends(const char *vip)
{
	char path[256], enc[200];
	struct json *j;
	int rc;

	if (vip) {
		url_encode(vip, enc, sizeof(enc));
		snprintf(path, sizeof(path), "/backends?vip=%s", enc);
	} else {
		snprintf(path, sizeof(path), "/backends");
	}
	rc = get_json(path, &j);
	if (rc || !j)
		return rc;
	print_backends(json_get(j, "backends"));
	json_free(j);
	return 0;
}

static int cmd_backend(int argc, char **argv)
{
	char path[300], body[64] = "", enc[200];
	const char *action;
	struct http_resp r;
	struct json *j;
	int rc;

	if (argc < 2)
		goto usage;
	if (!strcmp(argv[0], "set-weight")) {
		char *end;
		long w;

		if (argc != 3)
			goto usage;
		w = strtol(argv[2], &end, 10);
		if (*end || w < 0 || w > 1000) {
			fprintf(stderr, "sluicectl: weight must be 0..1000\n");
			return 2;
		}
		snprintf(body, sizeof(body), "{\"weight\":%ld}", w);
		action = "weight";
	} else if (!strcmp(argv[0], "drain") || !strcmp(argv[0], "enable")) {
		if (argc != 2)
			goto usage;
		action = argv[0];
	} else {
		goto usage;
	}
	url_encode(argv[1], enc, sizeof(enc));
	snprintf(path, sizeof(path), "/backends/%s/%s", enc, action);
	rc = call("POST", path, *body ? body : NULL, &r);
	if (rc)
		return rc;
	rc = api_failed(&r);
	if (!rc && json_out) {
		fputs(r.body, stdout);
	} else if (!rc) {
		j = json_parse(r.body);
		if (!strcmp(json_str(j, "tier"), "l7"))
			printf("server %s: %s, weight %s (config %s)\n", json_str(j, "name"), json_str(j, "state"),
			       json_str(j, "weight"), json_str(j, "config_weight"));
		else
			printf("backend %s (id %s): %s, weight %s, %s ring slots\n", json_str(j, "name"), json_str(j, "id"),
			       json_str(j, "state"), json_str(j, "weight"), json_str(j, "ring_slots"));
		json_free(j);
	}
	free(r.body);
	return rc;
usage:
	fprintf(stderr, "usage: sluicectl backend set-weight ID N | backend drain ID | backend enable ID\n");
	return 2;
}

/* Drop counters come from /metrics: the one place that lists them by reason. */
static void print_drops(void)
{
	struct http_resp r;
	bool any = false;
	char *save = NULL;

	if (call("GET", "/metrics", NULL, &r) || r.status != 200) {
		free(r.body);
		return;
	}
	for (char *l = strtok_r(r.body, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char reason[64];
		unsigned long long v;

		if (sscanf(l, "sluice_xdp_drops_total{reason=\"%63[^\"]\"} %llu", reason, &v) == 2 && v) {
			if (!any)
				printf("\nXDP drops:\n");
			printf("  %-12s %llu\n", reason, v);
			any = true;
		}
	}
	if (!any)
		printf("\nXDP drops: none\n");
	free(r.body);
}

static int cmd_stats(void)
{
	struct json *v, *b;
	int rc;

	if (json_out) {
		/* One document for scripts: {"vips": ..., "backends": ...}. */
		struct http_resp rv, rb;

		rc = call("GET", "/vips", NULL, &rv);
		if (rc)
			return rc;
		rc = call("GET", "/backends", NULL, &rb);
		if (rc) {
			free(rv.body);
			return rc;
		}
		v = json_parse(rv.body);
		b = json_parse(rb.body);
		if (v && b) {
			char *pv = strchr(rv.body, '['), *pb = strchr(rb.body, '[');
			char *ev = strrchr(rv.body, ']'), *eb = strrchr(rb.body, ']');

			printf("{\"vips\":%.*s,\"backends\":%.*s}\n", (int)(ev - pv + 1), pv, (int)(eb - pb + 1), pb);
		}
		json_free(v);
		json_free(b);
		free(rv.body);
		free(rb.body);
		return 0;
	}
	rc = get_json("/vips", &v);
	if (rc || !v)
		return rc;
	rc = get_json("/backends", &b);
	if (rc || !b) {
		json_free(v);
		return rc;
	}
	print_vips(json_get(v, "vips"), true);
	printf("\n");
	print_backends(json_get(b, "backends"));
	print_drops();
	json_free(v);
	json_free(b);
	return 0;
}

static int cmd_reload(bool allow_empty)
{
	struct http_resp r;
	int rc = call("POST", allow_empty ? "/reload?allow_empty=1" : "/reload", NULL, &r);

	if (rc)
		return rc;
	rc = api_failed(&r);
	if (!rc)
		fputs(json_out ? r.body : "reloaded\n", stdout);
	free(r.body);
	return rc;
}

static int cmd_cache_purge(const char *url, bool prefix)
{
	char body[2048], *o = body;
	struct http_resp r;
	int rc;

	o += sprintf(o, prefix ? "{\"prefix\":\"" : "{\"url\":\"");
	for (const char *s = url; *s && o < body + sizeof(body) - 16; s++) {
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	strcpy(o, "\"}");
	rc = call("POST", "/cache/purge", body, &r);
	if (rc)
		return rc;
	rc = api_failed(&r);
	if (!rc && json_out) {
		fputs(r.body, stdout);
	} else if (!rc) {
		struct json *j = json_parse(r.body);

		printf("purged %s entr%s\n", j ? json_str(j, "purged") : "?",
		       j && !strcmp(json_str(j, "purged"), "1") ? "y" : "ies");
		json_free(j);
	}
	free(r.body);
	return rc;
}

static int cmd_trace(const char *proto, const char *src, const char *dst)
{
	char path[512], es[128], ed[128];
	const struct json *be;
	struct json *j;
	int rc;

	if (strcmp(proto, "tcp") && strcmp(proto, "udp")) {
		fprintf(stderr, "sluicectl: trace: PROTO is tcp or udp\n");
		return 2;
	}
	url_encode(src, es, sizeof(es));
	url_encode(dst, ed, sizeof(ed));
	snprintf(path, sizeof(path), "/trace?proto=%s&src=%s&dst=%s", proto, es, ed);
	rc = get_json(path, &j);
	if (rc || !j)
		return rc;
	be = json_get(j, "backend");
	printf("%s %s -> %s: vip %s -> ", proto, src, dst, json_str(j, "vip"));
	if (be && be->type == JSON_OBJ)
		printf("backend %s (id %s, %s)", json_str(be, "name"), json_str(be, "id"), json_str(be, "state"));
	else if (json_num(j, "backend_id") == 0)
		printf("no backend (ring empty)");
	else
		printf("backend id %s (no longer configured)", json_str(j, "backend_id"));
	if (!strcmp(json_str(j, "source"), "conntrack"))
		printf("\n  from conntrack (flow already tracked)\n");
	else
		printf("\n  from maglev: hash %s, slot %s of %s\n", json_str(j, "hash"), json_str(j, "slot"),
		       json_str(j, "ring_size"));
	json_free(j);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("SLUICE_ADMIN"), *env_tok = getenv("SLUICE_ADMIN_TOKEN_FILE");
	const char *opt_s = NULL, *opt_c = NULL, *opt_t = NULL;
	static struct ctl_conf conf;   /* static: its strings live as long as the process */
	const char *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "+s:c:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt_s = optarg;
			break;
		case 'c':
			opt_c = optarg;
			break;
		case 'T':
			opt_t = optarg;
			break;
		case 'j':
			json_out = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* The command line first, then the config it names, then the environment. */
	if (opt_c) {
		char err[512];

		if (ctl_conf_read(opt_c, &conf, err, sizeof(err))) {
			fprintf(stderr, "sluicectl: %s\n", err);
			return 2;
		}
	}
	if (conf.listen && !strncmp(conf.listen, "*:", 2)) {
		/* every address (config.md): this host reaches it on loopback */
		char *lo = NULL;

		if (asprintf(&lo, "127.0.0.1:%s", conf.listen + 2) > 0) {
			free(conf.listen);
			conf.listen = lo;
		}
	}
	if (opt_s)
		admin_addr = opt_s;
	else if (conf.listen)
		admin_addr = conf.listen;
	else if (env && *env)
		admin_addr = env;
	if (opt_t)
		token_file = opt_t;
	else if (conf.token_file)
		token_file = conf.token_file;
	else if (env_tok && *env_tok)
		token_file = env_tok;
	/* --json is also accepted after the command. */
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json_out = true;
			memmove(&argv[i], &argv[i + 1], sizeof(*argv) * (argc - i));
			argc--;
			i--;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (!strcmp(cmd, "status") && argc == 0)
		return cmd_status();
	if (!strcmp(cmd, "vips") && argc == 0)
		return cmd_vips();
	if (!strcmp(cmd, "backends") && argc <= 1)
		return cmd_backends(argc ? argv[0] : NULL);
	if (!strcmp(cmd, "backend"))
		return cmd_backend(argc, argv);
	if (!strcmp(cmd, "stats") && argc == 0)
		return cmd_stats();
	if (!strcmp(cmd, "reload") && argc == 0)
		return cmd_reload(false);
	if (!strcmp(cmd, "reload") && argc == 1 && !strcmp(argv[0], "--allow-empty"))
		return cmd_reload(true);
	if (!strcmp(cmd, "cache") && argc == 2 && !strcmp(argv[0], "purge"))
		return cmd_cache_purge(argv[1], false);
	if (!strcmp(cmd, "cache") && argc == 3 && !strcmp(argv[0], "purge") && !strcmp(argv[1], "--prefix"))
		return cmd_cache_purge(argv[2], true);
	if (!strcmp(cmd, "trace") && argc == 3)
		return cmd_trace(argv[0], argv[1], argv[2]);
	fprintf(stderr, "sluicectl: unknown command or wrong arguments: %s\n", cmd);
	usage(stderr);
	return 2;
}
