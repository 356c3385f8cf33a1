/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The L7 tier's face to the daemon: start, reload and stop the io_uring proxy workers. */
#ifndef SLUICE_L7_H
#define SLUICE_L7_H

#include "config.h"

struct l7;

/*
 * l7_start() - open every listener of @cfg and start the worker threads.
 * Returns the running tier, or NULL with errno set (and the reason logged).
 * With no listeners configured it returns a tier that does nothing.
 */
struct l7 *l7_start(const struct cfg *cfg);

/* l7_reload() - apply @cfg to running workers without dropping connections. 0 or -errno. */
int l7_reload(struct l7 *l7, const struct cfg *cfg);

/* l7_stop() - stop accepting, finish in-flight requests for up to @drain_ms, join the workers. */
void l7_stop(struct l7 *l7, unsigned int drain_ms);

#endif
