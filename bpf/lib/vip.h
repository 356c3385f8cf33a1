/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* VIP matching: the address-slot counts of sl_vip_addrs first, then sl_vips by exact port, then port 0. */
#ifndef SL_BPF_VIP_H
#define SL_BPF_VIP_H

#include "lib/maps.h"
#include "sluice/flow_hash.h"

/*
 * vip_tracked(): the VIP a tracked flow was given (@id from its conntrack
 * entry) when sl_vip_ids says it is still the exact-port VIP of the flow's
 * destination, port and protocol: what vip_match() would answer, for one
 * inlined array read. NULL: not known this way, match the full way.
 */
static __always_inline struct sl_vip_meta *vip_tracked(__u32 id, const struct sl_flow_key *k)
{
	struct sl_vip_id_entry *e = bpf_map_lookup_elem(&sl_vip_ids, &id);

	if (!e || e->meta.id != id || e->key.port != k->dport || e->key.proto != k->proto ||
	    e->key.family != k->family)
		return NULL;
	if ((e->key.addr[0] ^ k->dst[0]) | (e->key.addr[1] ^ k->dst[1]) | (e->key.addr[2] ^ k->dst[2]) |
	    (e->key.addr[3] ^ k->dst[3]))
		return NULL;
	return &e->meta;
}

/*
 * vip_addr(): may @dst be some VIP's address? With SL_CFG_F_VIP_ADDRS, its
 * sl_vip_addrs slot (returned in *ac for vip_match()) must count an entry:
 * an address no VIP has ends here, for one inlined array read (most traffic
 * is no VIP's). Without the flag: always (*ac NULL).
 */
static __always_inline bool vip_addr(const struct sl_config *cfg, const __be32 dst[4],
				     struct sl_vip_addr_count **ac)
{
	__u32 slot;

	*ac = NULL;
	if (!(cfg->flags & SL_CFG_F_VIP_ADDRS))
		return true;
	slot = sl_vip_addr_slot(dst);
	*ac = bpf_map_lookup_elem(&sl_vip_addrs, &slot);
	return *ac && (*ac)->all;
}

/*
 * vip_match(): the sl_vips entry of (dst, port, proto, family), for an
 * address vip_addr() let through with @ac: the exact port, else the
 * address's port-0 entry (not looked for when @ac counts no port-0 entry, or
 * with SL_CFG_F_NO_PORT0). Returns the entry, or NULL for no VIP.
 */
static __always_inline struct sl_vip_meta *vip_match(const struct sl_config *cfg,
						     const struct sl_vip_addr_count *ac, const __be32 dst[4],
						     __be16 port, __u8 proto, __u8 family)
{
	struct sl_vip_key vk;
	struct sl_vip_meta *vip;

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
