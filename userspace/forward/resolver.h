/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A per-worker asynchronous name resolver: c-ares driven from the worker's io_uring, with a small TTL cache (negative answers too). */
#ifndef SLUICE_RESOLVER_H
#define SLUICE_RESOLVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct worker;
struct resolver;

#define RESOLVER_MAX_ADDRS 8
#define RESOLVER_CACHE     256      /* names cached per worker */

/*
 * Called once per queued lookup from the worker's loop. @err is 0 (n >= 1
 * addresses, ports zero), -ENOENT (no such name or no address), -ETIMEDOUT,
 * or -EIO. @cookie is what the caller passed; it names the waiter so a caller
 * whose connection went away can recognise a late answer.
 */
typedef void (*resolver_cb)(struct worker *w, uint64_t cookie, int err,
			    const struct sockaddr_storage *addrs, size_t n);

/*
 * resolver_new() - a resolver whose sockets are polled on @w's ring.
 * Servers come from /etc/resolv.conf, or from the environment variable
 * SLUICED_RESOLVER ("127.0.0.1:5353[,...]", DNS only, no hosts file, no search
 * list: for tests). Returns NULL with errno set.
 */
struct resolver *resolver_new(struct worker *w, resolver_cb cb);

/* resolver_free() - cancel every lookup (their callbacks are not called) and close the sockets. */
void resolver_free(struct resolver *r);

/*
 * resolver_lookup() - the addresses of @host (IPv4 first).
 * Returns n > 0 with @out filled at once (cache hit, "localhost", the hosts
 * file), 0 when the callback will answer (a query was sent, or one for the
 * same name already was: concurrent misses share it), -ENOENT when the name
 * is known not to exist (answers NXDOMAIN / no address are cached for 30 s;
 * timeouts and server failures are not), or -ENOMEM.
 */
int resolver_lookup(struct resolver *r, const char *host, uint64_t cookie,
		    struct sockaddr_storage out[RESOLVER_MAX_ADDRS]);

/* resolver_on_poll() - a UD_RESOLV poll completed (@slot and @gen from its user_data). */
void resolver_on_poll(struct resolver *r, uint32_t slot, uint32_t gen, int res);

/* resolver_tick() - retransmits and timeouts; called every few milliseconds by the loop. */
void resolver_tick(struct resolver *r);

/* resolver_queries() - DNS lookups sent so far (cache misses), for stats and tests. */
uint64_t resolver_queries(const struct resolver *r);

#endif
