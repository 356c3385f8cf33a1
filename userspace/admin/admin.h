/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The admin API: HTTP/1.1 + JSON on localhost or a unix socket, served from the control thread. */
#ifndef SLUICE_ADMIN_H
#define SLUICE_ADMIN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config/config.h"

struct l4;
struct l7;
struct admin;

/* What the API reads and the one action it asks the daemon for. */
struct admin_ctx {
	struct l4 *l4;                    /* NULL: no L4 configured */
	struct l7 *l7;                    /* for live L7 server weights */
	const struct cfg *cfg;            /* the running config */
	time_t started;
	uint64_t reloads;                 /* successful reloads */
	uint64_t reload_failures;
	const char *listen;               /* the address the API listens on (set by admin.c) */
	/*
	 * reload(): 0, or -EINVAL with the config errors in *errors (malloc'd,
	 * one per line). @allow_empty: a config that serves nothing, or removes
	 * every listener or VIP, is applied instead of refused.
	 */
	int (*reload)(void *arg, bool allow_empty, char **errors);
	void *reload_arg;
};

/*
 * admin_start() - listen on @addr (TCP host:port or unix:/path; an old unix
 * socket file is replaced, the new one gets ctx->cfg's admin.mode and
 * admin.group whatever the umask). Over TCP, changes need ctx->cfg's
 * admin.token_file token (read again from ctx->cfg at each request, so a
 * reload rotates it). Returns the server, or NULL with errno set.
 */
struct admin *admin_start(const struct cfg_sockaddr *addr, struct admin_ctx *ctx);

/* admin_address() - the address listened on, as the config wrote it. */
const char *admin_address(const struct admin *a);

/*
 * admin_relisten() - follow a reloaded @cfg's admin section. A changed
 * admin.listen moves the API: the new socket opens first, then the old one
 * closes (its socket file removed); connections already open finish on their
 * own. The same address keeps its socket, with admin.mode and admin.group
 * applied again. 0, or -errno with the old socket still listening.
 */
int admin_relisten(struct admin *a, const struct cfg *cfg);

/* admin_fd() - an fd that polls readable when admin_on_event() has work. */
int admin_fd(const struct admin *a);

/* admin_on_event() - accept, read and answer whatever is ready; never blocks for long. */
void admin_on_event(struct admin *a);

/* admin_tick() - close connections whose request did not arrive in time; call about once a second. */
void admin_tick(struct admin *a);

/* admin_stop() - close the listener and every connection (and remove a unix socket file). */
void admin_stop(struct admin *a);

#endif
