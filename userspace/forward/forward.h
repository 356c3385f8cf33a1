/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The forward proxy session: rules, name resolution, origin pools and CONNECT tunnels, a hook table of the proxy. */
#ifndef SLUICE_FORWARD_H
#define SLUICE_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

struct cfg;
struct conn;
struct worker;
struct fwd_policy;

/* A forward request's own state (req.hook_data[its slot]): allocated when its head is complete, freed when it ends. */
struct fwd_req {
	char rule[96];           /* the rule that allowed or refused it (access log) */
	char user[48];           /* the proxy-authenticated user (access log) */
	bool auth_wait;          /* req.hook_wait is for a crypt thread (forward_crypt.h), not the resolver */
};

/*
 * fwd_policy_new() - what a config generation's forward listeners need besides
 * the config: the users of auth_file, this host's addresses, the listeners'
 * own addresses (a request to itself is a loop). Returns NULL with errno set
 * (logged: the auth file could not be read or is invalid).
 */
struct fwd_policy *fwd_policy_new(const struct cfg *cfg);
void fwd_policy_free(struct fwd_policy *p);

/*
 * forward_hooks_register() - plug the forward proxy into the proxy
 * (l7/hooks.h): listeners in mode: forward attach it; it takes over their
 * requests' rules, origins and CONNECT tunnels. Once, before the tier starts,
 * and before cache_hooks_register() (the cache runs after every rule).
 * 0, or -ENOSPC.
 */
int forward_hooks_register(void);

/* forward_on_poll() - a UD_RESOLV completion for the worker's resolver. */
void forward_on_poll(struct worker *w, uint32_t slot, uint32_t gen, int res);

/* forward_tick() - resolver timeouts, and crypt answers not yet taken; called from the loop's timer tick. */
void forward_tick(struct worker *w);

/* forward_on_wake() - the worker's wake eventfd fired: take the crypt threads' answers (forward_crypt.h). */
void forward_on_wake(struct worker *w);

/* forward_worker_free() - after the worker's thread ended: the resolver and the origins. */
void forward_worker_free(struct worker *w);

#endif
