/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Maglev pick: backend = ring[1 + hash % M] of the VIP's table in sl_rings. */
#ifndef SL_BPF_MAGLEV_H
#define SL_BPF_MAGLEV_H

#include "lib/maps.h"
#include "sluice/flow_hash.h"

/*
 * maglev_pick(): looks the hash up in the VIP's table. Returns the backend id
 * (> 0), 0 for an empty slot (no healthy backend), or -1 when the VIP has no
 * table (or a table whose slot 0 is not a usable size).
 */
static __always_inline long maglev_pick(__u32 vip_id, __u32 hash)
{
	__u32 zero = 0, slot, *m, *be;
	void *ring;

	ring = bpf_map_lookup_elem(&sl_rings, &vip_id);
	if (!ring)
		return -1;
	m = bpf_map_lookup_elem(ring, &zero);
	if (!m || *m == 0)
		return -1;
	slot = sl_ring_slot(hash, *m);
	be = bpf_map_lookup_elem(ring, &slot);
	if (!be)
		return -1;
	return *be;
}

#endif
