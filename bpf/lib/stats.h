/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-CPU counters: drops by reason, per VIP, per backend. Plain adds: each CPU owns its slot. */
#ifndef SL_BPF_STATS_H
#define SL_BPF_STATS_H

#include "lib/maps.h"

static __always_inline void stats_drop(__u32 reason)
{
	__u64 *c = bpf_map_lookup_elem(&sl_drops, &reason);

	if (c)
		*c += 1;
}

/* stats_vip(): the VIP's counters (NULL only for an id past SL_MAX_VIPS). */
static __always_inline struct sl_vip_stats *stats_vip(__u32 vip_id)
{
	return bpf_map_lookup_elem(&sl_vip_stats, &vip_id);
}

static __always_inline void stats_backend(__u32 be_id, __u64 bytes, bool new_flow)
{
	struct sl_backend_stats *s = bpf_map_lookup_elem(&sl_be_stats, &be_id);

	if (!s)
		return;
	s->packets += 1;
	s->bytes += bytes;
	s->new_flows += new_flow;
}

#endif
