/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Request body buffering: a small request body is gathered before the request goes upstream, so a slow upload holds no upstream connection. */
#ifndef SLUICE_REQ_BUFFER_H
#define SLUICE_REQ_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

struct conn;

/*
 * req_buffer_begin() - the head of @c's request was routed: should its body be
 * gathered first (listener @l's request_buffering)? Only a body announced no
 * larger than the buffer, or a chunked one (it streams once it outgrows it),
 * and not one behind Expect: 100-continue (its client waits for the origin's
 * 100 before sending it) or an upgrade. true: buffering has started.
 */
bool req_buffer_begin(struct conn *c, const struct cfg_listener *l);

/* req_buffer_add() - body bytes (or chunk framing) as they are to reach the upstream. 0 or -ENOMEM. */
int req_buffer_add(struct conn *c, const char *p, size_t len);

/* req_buffer_ready() - time to send the request on: the body is complete, or the buffer is full (the rest streams). */
bool req_buffer_ready(const struct conn *c, const struct cfg_listener *l);

/*
 * req_buffer_flush() - buffering ends: queue what was gathered on the upstream
 * connection @c was just attached to (behind the request head), or drop it
 * when there is none. 0 or -ENOMEM (the bytes are dropped).
 */
int req_buffer_flush(struct conn *c);

/* req_buffer_free() - drop what a request that ended early had gathered. */
void req_buffer_free(struct conn *c);

#endif
