// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sluiced's entry point: command line, config check mode, then the daemon loop. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "daemon/daemon.h"
#include "forward/forward_auth.h"
#include "lib/log.h"
#include "tls/tls_cert.h"

#define SLUICE_VERSION "0.1.0"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluiced -c FILE [-t] [-l LEVEL] [--pin-dir DIR] [--drain-ms MS]\n"
		"  -c, --config FILE   configuration file (YAML)\n"
		"  -t, --test          validate FILE and exit: 0 valid, 1 invalid (errors as file:line: message)\n"
		"  -l, --log-level L   error | warn | info | debug (default info)\n"
		"      --pin-dir DIR   where the BPF maps and program are pinned (default $SLUICE_PIN_DIR or /sys/fs/bpf/sluice)\n"
		"      --drain-ms MS   on SIGTERM, how long in-flight L7 requests may finish and idle keep-alive\n"
		"                      connections may wait for a last request (default 5000)\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n"
		"signals: SIGHUP reloads the config, SIGUSR1 reopens the access logs, SIGTERM/SIGINT drain and exit\n"
		"upgrade: start the new sluiced with the same config, then SIGTERM the old one\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "drain-ms", required_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts opts = { .drain_ms = 5000 };
	bool test_only = false;
	int c, lvl;

	while ((c = getopt_long(argc, argv, "c:tl:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts.config_path = optarg;
			break;
		case 't':
			test_only = true;
			break;
		case 'l':
			lvl = log_level_parse(optarg);
			if (lvl < 0) {
				fprintf(stderr, "sluiced: unknown log level '%s' (error, warn, info, debug)\n", optarg);
				return 2;
			}
			log_set_level(lvl);
			break;
		case 'P':
			opts.pin_dir = optarg;
			break;
		case 'D':
			opts.drain_ms = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'V':
			printf("sluiced %s\n", SLUICE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !opts.config_path) {
		fprintf(stderr, "sluiced: %s\n", opts.config_path ? "unexpected argument" : "missing -c FILE");
		usage(stderr);
		return 2;
	}

	if (test_only) {
		struct cfg *cfg = cfg_load(opts.config_path, stderr);

		if (!cfg) {
			if (errno != EINVAL)
				fprintf(stderr, "%s: %s\n", opts.config_path, strerror(errno));
			return 1;
		}
		if (cfg_check_serves(cfg, stderr) || tls_check(cfg, stderr)) {
			cfg_free(cfg);
			return 1;
		}
		if (cfg->l7.forward.auth_file) {
			/* the users file is part of the configuration: its bad lines fail the check too */
			struct fwd_auth *a = fwd_auth_load(cfg->l7.forward.auth_file, stderr);

			if (!a) {
				cfg_free(cfg);
				return 1;
			}
			fwd_auth_free(a);
		}
		fprintf(stderr, "%s: configuration is valid\n", opts.config_path);
		cfg_free(cfg);
		return 0;
	}
	return daemon_run(&opts);
}
