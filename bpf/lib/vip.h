/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* VIP matching: the address-slot counts of sl_vip_addrs first, then sl_vips by exact port, then port 0. */
#ifndef SL_BPF_VIP_H
#define SL_BPF_VIP_H

#include "lib/maps.h"
#include "sluice/flow_hash.h"

/*
 * vip_match(): the sl_vips entry of (dst, port, proto, family): the exact
 * port, else the address's port-0 entry. While SL_CFG_F_VIP_ADDRS is set, an
 * address whose sl_vip_addrs slot counts no entry is answered without
 * touching sl_vips (one inlined array read: most traffic is no VIP's), and
 * the port-0 lookup only happens when the slot counts a port-0 entry.
 * Returns the entry, or NULL for no VIP.
 */
static __always_inline struct sl_vip_meta *vip_match(const struct sl_config *cfg, const __be32 dst[4],
						     __be16 port, __u8 proto, __u8 family)
{
	struct sl_vip_addr_count *ac = NULL;
	struct sl_vip_key vk;
	struct sl_vip_meta *vip;
	__u32 slot;

	if (cfg->flags & SL_CFG_F_VIP_ADDRS) {
		slot = sl_vip_addr_slot(dst);
		ac = bpf_map_lookup_elem(&sl_vip_addrs, &slot);
		if (!ac || !ac->all)
			return NULL;
	}
	__builtin_memcpy(vk.addr, dst, sizeof(vk.addr));
	vk.port = port;
	vk.proto = proto;
	vk.family = family;
	vip = bpf_map_lookup_elem(&sl_vips, &vk);
	if (vip || !port || (cfg->flags & SL_CFG_F_NO_PORT0) || (ac && !ac->port0))
		return vip;
	vk.port = 0;
	return bpf_map_lookup_elem(&sl_vips, &vk);
}

#endif
