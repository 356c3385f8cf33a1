/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The L4 control plane: VIPs and backends from the config, health, weights and drain turned into Maglev rings. */
#ifndef SLUICE_L4_H
#define SLUICE_L4_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "config/config.h"
#include "health/health.h"
#include "l4/l4_maps.h"

struct l4_vip;

/*
 * One backend of one VIP. Its id (index into sl_backends and sl_be_stats,
 * what rings and conntrack store) stays the same across reloads, and across
 * restarts: it is recovered from the pinned maps by address.
 */
struct l4_backend {
	struct l4_vip *vip;
	struct l4 *l4;
	uint32_t id;
	struct cfg_ip addr;
	char addr_text[INET6_ADDRSTRLEN];
	char name[96];                /* "web/198.18.20.1": admin ids and log lines */
	uint32_t cfg_weight;          /* as configured */
	uint32_t weight;              /* in effect: the admin API may change it */
	bool drain;                   /* admin drain: out of the ring, tracked flows continue */
	atomic_bool up;               /* written by the health thread */
	atomic_bool verdict;          /* the checker has answered at least once */
	bool has_health;              /* false: health type none, always up */
	int health_id;
	uint32_t slots;               /* ring slots it holds now */
	bool mark;                    /* reload bookkeeping */
};

struct l4_vip {
	char *name;
	uint32_t id;
	struct sl_vip_key key;
	uint32_t flags;               /* SL_VIP_F_* */
	char addr_text[INET6_ADDRSTRLEN];
	uint16_t port;
	uint8_t proto;
	uint8_t family;
	uint32_t ring_size;
	struct cfg_health health;     /* points into the config it came from (kept alive) */
	struct l4_backend **backends;
	size_t n_backends;
	atomic_bool dirty;            /* ring must be recomputed */
	uint64_t settle_until_ms;     /* new VIP: wait for every first verdict (or this) before the first table */
	bool icmp_key;                /* owns the address's echo entry in sl_vips */
	bool mark;
	uint64_t ring_updates;
};

struct l4;

/*
 * l4_start() - load and attach the balancer (l4_loader), write config, VIPs,
 * backends and rings from @cfg, register health checks with @h.
 * Returns the control plane, or NULL with errno set (reason logged).
 */
struct l4 *l4_start(const struct cfg *cfg, struct health *h, const char *pin_dir);

/*
 * l4_reload() - apply only the difference between the running VIPs and
 * @cfg's: added/removed VIPs and backends, changed weights, flags, health.
 * Returns 0 or -errno (what could be applied is applied; errors are logged).
 */
int l4_reload(struct l4 *l4, const struct cfg *cfg);

/* l4_event_fd() - readable when health changed: call l4_on_event() then. */
int l4_event_fd(const struct l4 *l4);

/* l4_on_event() - recompute the rings of VIPs whose backends changed state. */
void l4_on_event(struct l4 *l4);

/* l4_tick() - periodic work (neighbour warming for unchecked backends); call about once a second. */
void l4_tick(struct l4 *l4);

/* l4_stop() - stop; XDP stays attached unless @detach. */
void l4_stop(struct l4 *l4, bool detach);

/* Read access for the admin API. */
size_t l4_n_vips(const struct l4 *l4);
struct l4_vip *l4_vip_at(const struct l4 *l4, size_t i);
struct l4_vip *l4_vip_find(const struct l4 *l4, const char *name);
struct l4_maps *l4_maps(struct l4 *l4);
int l4_n_ifaces(const struct l4 *l4);
const char *l4_iface(const struct l4 *l4, int i, int *ifindex);
const char *l4_xdp_mode(const struct l4 *l4);

/* l4_backend_find() - by "VIP/ADDRESS" or numeric id. Returns it, or NULL. */
struct l4_backend *l4_backend_find(const struct l4 *l4, const char *ref);

/* l4_backend_state() - "up", "down" or "drain" (drained, or weight 0). */
const char *l4_backend_state(const struct l4_backend *be);

/* Admin changes; each recomputes only the backend's VIP ring. 0 or -errno (-ERANGE: weight > 1000). */
int l4_backend_set_weight(struct l4 *l4, struct l4_backend *be, uint32_t weight);
int l4_backend_set_drain(struct l4 *l4, struct l4_backend *be, bool drain);

/*
 * l4_trace() - which backend a flow goes to: the conntrack entry if any CPU
 * tracks it, else the VIP's current ring. @src/@dst are AF_INET or AF_INET6
 * socket addresses of the same family. Returns 0 with the answer filled,
 * -ENOENT when @dst is not a VIP, or -errno.
 */
struct l4_trace {
	struct l4_vip *vip;
	uint32_t backend_id;          /* 0: the ring is empty (no healthy backend) */
	struct l4_backend *backend;   /* NULL if the id is not a configured backend any more */
	bool tracked;                 /* answer came from conntrack */
	uint32_t hash, slot, ring_size;
};
int l4_trace(struct l4 *l4, uint8_t proto, const struct sockaddr *src, const struct sockaddr *dst, struct l4_trace *out);

#endif
