/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Active health checks (TCP connect, HTTP GET) for L4 backends and L7 servers, on one io_uring thread. */
#ifndef SLUICE_HEALTH_H
#define SLUICE_HEALTH_H

#include <stdbool.h>
#include <sys/socket.h>

#include "config/config.h"

struct health;               /* the checker: one thread, one io_uring */

/*
 * Called from the checker thread on each state change, with the checker's
 * target list locked: it must not call health_add()/health_remove(), and it
 * should only record the new state and wake its owner (it is never called
 * again for a target once health_remove() of it has returned).
 */
typedef void (*health_cb)(void *arg, bool up);

/* health_new() - an idle checker. Returns it, or NULL + errno. */
struct health *health_new(void);

/*
 * health_add() - check @addr with @cfg (copied); @name labels log lines,
 * e.g. "web/198.18.20.1". Returns an id >= 0 or -errno. Targets start "up"
 * only after rise successes unless cfg->type is NONE: then @cb is called
 * once with true before health_add() returns and no check is ever made.
 * A target that first reaches fall failures gets @cb(arg, false) once too,
 * so an owner that assumed "up" (e.g. state recovered after a restart) learns.
 */
int health_add(struct health *h, const struct sockaddr *addr, socklen_t len, const struct cfg_health *cfg, const char *name, health_cb cb, void *arg);

/* health_remove() - stop checking @id; no callback for it after this returns. */
void health_remove(struct health *h, int id);

/* health_start() - start the checker thread. 0 or -errno. */
int health_start(struct health *h);

/* health_free() - stop the thread (if started) and free every target. */
void health_free(struct health *h);

#endif
