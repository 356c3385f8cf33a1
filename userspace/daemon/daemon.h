/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The sluiced process: config, L4 control plane, L7 tier, health checks and admin API under one signal loop. */
#ifndef SLUICE_DAEMON_H
#define SLUICE_DAEMON_H

struct daemon_opts {
	const char *config_path;
	const char *pin_dir;          /* NULL: SL_PIN_DIR (or $SLUICE_PIN_DIR) */
	unsigned int drain_ms;        /* SIGTERM: how long in-flight L7 requests may finish */
};

/*
 * daemon_run() - load the config, start every tier, serve signals and the
 * admin API on the calling thread until SIGTERM/SIGINT.
 * Returns the process exit status: 0 after a clean stop, 1 if start-up failed.
 */
int daemon_run(const struct daemon_opts *opts);

#endif
