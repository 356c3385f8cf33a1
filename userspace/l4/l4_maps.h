/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading and writing the XDP balancer's maps by fd: VIPs, backends, Maglev rings, config, counters. */
#ifndef SLUICE_L4_MAPS_H
#define SLUICE_L4_MAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "sluice/drop.h"
#include "sluice/maps.h"

/* The balancer's map fds (-1 when absent); owned by whoever filled it in. */
struct l4_maps {
	int vips, rings, backends, conntrack, config, vip_stats, be_stats, drops, tx_ports, vip_addrs, vip_ids;
	int ncpus;                    /* possible CPUs: per-CPU values come as this many copies */
	uint32_t ct_max;              /* sl_conntrack max_entries */
};

#define L4_N_MAPS 11

/* The map names, in struct l4_maps order, for pinning and lookups. */
extern const char *const l4_map_names[L4_N_MAPS];

/* l4_maps_fds() - a pointer to the idx-th fd field of @m (idx < L4_N_MAPS). */
int *l4_maps_fd(struct l4_maps *m, int idx);

/* l4_maps_open_pinned() - open every map pinned in @dir. 0 or -errno (-ENOENT: not pinned). */
int l4_maps_open_pinned(struct l4_maps *m, const char *dir);

/* l4_maps_close() - close every fd of @m. */
void l4_maps_close(struct l4_maps *m);

/* l4_ip_to_sl() - a config address as the maps store it (16 bytes, family SL_AF_*). */
void l4_ip_to_sl(const struct cfg_ip *ip, __be32 addr[4], uint8_t *family);

/*
 * l4_maps_set_config() - write sl_config from @l4 (SL_CFG_F_NO_PORT0 when none
 * of its VIPs has port 0), after recounting sl_vip_addrs from what sl_vips
 * holds (SL_CFG_F_VIP_ADDRS: the balancer trusts the counts from then on).
 * Call before writing the VIPs. 0 or -errno.
 */
int l4_maps_set_config(struct l4_maps *m, const struct cfg_l4 *l4);

/*
 * l4_maps_set_vip() / l4_maps_del_vip() - one sl_vips entry, its count in
 * sl_vip_addrs (counted before a new entry goes in, uncounted after it is
 * gone, so the balancer never finds a VIP's slot empty) and, for an
 * exact-port TCP/UDP entry, its sl_vip_ids slot (written after the entry,
 * cleared before it goes). 0 or -errno (del: -ENOENT ignored).
 */
int l4_maps_set_vip(struct l4_maps *m, const struct sl_vip_key *k, const struct sl_vip_meta *v);
int l4_maps_del_vip(struct l4_maps *m, const struct sl_vip_key *k);

/* l4_maps_set_backend() - write slot @id of sl_backends (a zeroed @b clears it). 0 or -errno. */
int l4_maps_set_backend(struct l4_maps *m, uint32_t id, const struct sl_backend *b);

/* l4_maps_get_backend() - read slot @id. 0 or -errno. */
int l4_maps_get_backend(struct l4_maps *m, uint32_t id, struct sl_backend *b);

/*
 * l4_maps_set_ring() - install @ids[0..size-1] as VIP @vip_id's table: a
 * fresh inner map is filled, then swapped into sl_rings in one update, so
 * the data path sees the old table or the new one, never a mix. 0 or -errno.
 */
int l4_maps_set_ring(struct l4_maps *m, uint32_t vip_id, const uint32_t *ids, uint32_t size);

/* l4_maps_del_ring() - remove VIP @vip_id's table. 0 or -errno. */
int l4_maps_del_ring(struct l4_maps *m, uint32_t vip_id);

/*
 * l4_maps_get_ring() - read VIP @vip_id's table: *@ids (malloc'd, caller
 * frees) gets slots 1..M and *@size = M. 0, -ENOENT when no table, or -errno.
 */
int l4_maps_get_ring(struct l4_maps *m, uint32_t vip_id, uint32_t **ids, uint32_t *size);

/* Counters summed over every CPU. 0 or -errno. */
int l4_maps_vip_stats(struct l4_maps *m, uint32_t vip_id, struct sl_vip_stats *out);
int l4_maps_be_stats(struct l4_maps *m, uint32_t be_id, struct sl_backend_stats *out);
int l4_maps_drops(struct l4_maps *m, uint64_t out[SL_DROP_MAX]);

/* l4_maps_zero_stats() - reset the counters of a VIP id or backend id taken into use. 0 or -errno. */
int l4_maps_zero_vip_stats(struct l4_maps *m, uint32_t vip_id);
int l4_maps_zero_be_stats(struct l4_maps *m, uint32_t be_id);

/*
 * l4_maps_ct_lookup() - the conntrack entry of @k. 0 with *@out filled,
 * -ENOENT when untracked, or -errno.
 */
int l4_maps_ct_lookup(struct l4_maps *m, const struct sl_flow_key *k, struct sl_ct_value *out);

/* l4_maps_add_tx_port() - let XDP redirect out of @ifindex. 0 or -errno. */
int l4_maps_add_tx_port(struct l4_maps *m, uint32_t ifindex);

/*
 * l4_maps_ct_spread() - make VIP @vip_id's tracked flows visible on every CPU
 * before its ring changes, so none meets the new table. sl_conntrack is one
 * table shared by all CPUs (it was per-CPU before, and this copied entries
 * across within @budget_ms), so there is nothing left to do. Returns the
 * number of entries copied: 0.
 */
int l4_maps_ct_spread(struct l4_maps *m, uint32_t vip_id, unsigned int budget_ms);

#endif
