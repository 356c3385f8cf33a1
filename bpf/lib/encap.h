/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Forwarding to a backend: next hop by bpf_fib_lookup (cached per backend), IPIP / IPv6 encapsulation or L2 DSR, TX or redirect. */
#ifndef SL_BPF_ENCAP_H
#define SL_BPF_ENCAP_H

#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/csum.h"
#include "sluice/flow_hash.h"

#define SL_AF_INET_KERNEL  2   /* AF_INET, for struct bpf_fib_lookup */
#define SL_AF_INET6_KERNEL 10  /* AF_INET6 */
#define SL_TUNNEL_TTL      64

#define SL_NH_TTL_NS       1000000000ULL   /* how long a cached next hop is trusted */
#define SL_NH_CHECK_EVERY  64              /* read the clock every this many uses (power of 2) */

/* fwd_fib_init(): a FIB query towards the backend's address. */
static __always_inline void fwd_fib_init(struct xdp_md *ctx, const struct sl_backend *be,
					 struct bpf_fib_lookup *fib, __u16 tot_len)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->ifindex = ctx->ingress_ifindex;
	fib->tot_len = tot_len;
	if (be->family == SL_AF_INET) {
		fib->family = SL_AF_INET_KERNEL;
		fib->ipv4_dst = be->addr[0];
	} else {
		fib->family = SL_AF_INET6_KERNEL;
		__builtin_memcpy(fib->ipv6_dst, be->addr, 16);
	}
}

/*
 * fwd_resolve(): two FIB queries: one with the largest length, whose
 * FRAG_NEEDED answer carries the route MTU, one with no length for the
 * egress interface and MACs. Returns 0 with nh filled, SL_DROP_FIB for no
 * route, no neighbour or forwarding disabled.
 */
static __always_inline int fwd_resolve(struct xdp_md *ctx, const struct sl_backend *be,
				       struct sl_nexthop *nh)
{
	struct bpf_fib_lookup fib;
	__u16 mtu = 0xffff;
	long rc;

	fwd_fib_init(ctx, be, &fib, 0xffff);
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		mtu = fib.mtu_result;
	else if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return SL_DROP_FIB;
	fwd_fib_init(ctx, be, &fib, 0);
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return SL_DROP_FIB;
	nh->ifindex = fib.ifindex;
	nh->mtu = mtu;
	__builtin_memcpy(nh->dmac, fib.dmac, ETH_ALEN);
	__builtin_memcpy(nh->smac, fib.smac, ETH_ALEN);
	return 0;
}

/*
 * fwd_nexthop(): the next hop towards backend be_id for a packet of tot_len
 * L3 bytes, from this CPU's cache while valid (see sl_nexthops; the cache
 * ignores the ingress interface: one route per backend). Returns 0 with *out
 * set, SL_DROP_TOO_BIG over the route MTU (*out set too), SL_DROP_FIB when
 * unreachable (failures are not cached).
 */
static __always_inline int fwd_nexthop(struct xdp_md *ctx, __u32 be_id, const struct sl_backend *be,
				       __u32 tot_len, struct sl_nexthop **out)
{
	struct sl_nexthop *nh = bpf_map_lookup_elem(&sl_nexthops, &be_id);
	__u64 now;
	int rc;

	if (!nh)
		return SL_DROP_FIB;
	if (nh->expires_ns && (++nh->uses & (SL_NH_CHECK_EVERY - 1)))
		goto cached;
	now = bpf_ktime_get_coarse_ns();
	if (now >= nh->expires_ns) {
		rc = fwd_resolve(ctx, be, nh);
		if (rc) {
			nh->expires_ns = 0;
			return rc;
		}
		nh->expires_ns = now + SL_NH_TTL_NS;
	}
cached:
	*out = nh;              /* also on SL_DROP_TOO_BIG: the caller reads the MTU */
	if (tot_len > nh->mtu)
		return SL_DROP_TOO_BIG;
	return 0;
}

/*
 * fwd_l2(): writes the Ethernet header (and the VLAN tag the packet came
 * with) at the start of the frame, ethertype proto. Returns a pointer past
 * it, or NULL when the frame is too short.
 */
static __always_inline void *fwd_l2(void *data, void *data_end, const struct sl_pkt *p,
				    const struct sl_nexthop *nh, __u16 proto)
{
	struct ethhdr *eth = data;
	__be16 *vh;

	if ((void *)(eth + 1) + 4 > data_end)
		return NULL;
	__builtin_memcpy(eth->h_dest, nh->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, nh->smac, ETH_ALEN);
	if (p->l3_off == sizeof(*eth)) {
		eth->h_proto = bpf_htons(proto);
		return eth + 1;
	}
	vh = (void *)(eth + 1);
	eth->h_proto = bpf_htons(ETH_P_8021Q);
	vh[0] = p->vlan_tci;
	vh[1] = bpf_htons(proto);
	return vh + 2;
}

/* fwd_dsr(): L2 direct server return: only the MACs change. Returns 0 or a drop reason. */
static __always_inline int fwd_dsr(struct xdp_md *ctx, const struct sl_pkt *p, __u32 be_id,
				   const struct sl_backend *be, struct sl_nexthop **nh)
{
	struct ethhdr *eth;
	int rc;

	rc = fwd_nexthop(ctx, be_id, be, p->l3_len, nh);
	if (rc)
		return rc;
	eth = (void *)(long)ctx->data;
	if ((void *)(eth + 1) > (void *)(long)ctx->data_end)
		return SL_DROP_TRUNC_ETH;
	__builtin_memcpy(eth->h_dest, (*nh)->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, (*nh)->smac, ETH_ALEN);
	return 0;
}

/*
 * fwd_ipip(): puts an outer IPv4 (backend v4) or IPv6 (backend v6) header
 * in front of the L3 packet. Outer source: tunnel_src4 | (htonl(hash) & mask),
 * or tunnel_src6 with its last word xor htonl(hash), hash = sl_tunnel_hash();
 * TOS copied, TTL 64, DF copied (inner IPv6: DF set). Returns 0 or a drop reason.
 */
static __always_inline int fwd_ipip(struct xdp_md *ctx, const struct sl_pkt *p, __u32 be_id,
				    const struct sl_backend *be, const struct sl_config *cfg,
				    __u32 hash, struct sl_nexthop **nh)
{
	__u8 inner = p->key.family == SL_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	__u32 elen = be->family == SL_AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	void *data, *data_end, *hdr;
	int rc;

	rc = fwd_nexthop(ctx, be_id, be, p->l3_len + elen, nh);
	if (rc)
		return rc;
	if (bpf_xdp_adjust_head(ctx, -(int)elen))
		return SL_DROP_HEADROOM;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;

	if (be->family == SL_AF_INET) {
		struct iphdr *iph;
		__u32 w[5];

		hdr = fwd_l2(data, data_end, p, *nh, ETH_P_IP);
		if (!hdr)
			return SL_DROP_HEADROOM;
		iph = hdr;
		if ((void *)(iph + 1) > data_end)
			return SL_DROP_HEADROOM;
		/*
		 * Built in registers and summed there, then stored as five words:
		 * summing the header back from the packet after byte-wide field
		 * stores stalled on store-to-load forwarding.
		 */
		w[0] = bpf_htonl(0x45000000U | (__u32)p->tos << 16 | (p->l3_len + elen));
		w[1] = p->df ? bpf_htonl(SL_IP_DF) : 0;                 /* id 0, DF copied */
		w[2] = bpf_htonl((__u32)SL_TUNNEL_TTL << 24 | (__u32)inner << 16);
		w[3] = sl_tunnel_src4(cfg->tunnel_src4, cfg->tunnel_src4_mask, hash);
		w[4] = be->addr[0];
		w[2] |= (__u32)csum_ipv4_words(w) << 16;              /* the check field: bytes 10-11 */
		__builtin_memcpy(iph, w, sizeof(w));
	} else {
		struct ipv6hdr *ip6;
		__u32 w0;

		hdr = fwd_l2(data, data_end, p, *nh, ETH_P_IPV6);
		if (!hdr)
			return SL_DROP_HEADROOM;
		ip6 = hdr;
		if ((void *)(ip6 + 1) > data_end)
			return SL_DROP_HEADROOM;
		/* version 6, traffic class, flow label = low 20 bits of the hash (ECMP spread) */
		w0 = (6U << 28) | ((__u32)p->tos << 20) | (hash & 0xfffff);
		*(__be32 *)ip6 = bpf_htonl(w0);
		ip6->payload_len = bpf_htons(p->l3_len);
		ip6->nexthdr = inner;
		ip6->hop_limit = SL_TUNNEL_TTL;
		__builtin_memcpy(&ip6->saddr, cfg->tunnel_src6, 16);
		ip6->saddr.in6_u.u6_addr32[3] = sl_tunnel_src6_last(cfg->tunnel_src6[3], hash);
		__builtin_memcpy(&ip6->daddr, be->addr, 16);
	}
	return 0;
}

/*
 * fwd_xmit(): XDP_TX when the next hop is out of the ingress interface,
 * else XDP_REDIRECT through sl_tx_ports. Returns the verdict; XDP_DROP with
 * *reason = SL_DROP_REDIRECT when the egress interface is not in sl_tx_ports.
 */
static __always_inline int fwd_xmit(struct xdp_md *ctx, const struct sl_nexthop *nh, __u32 *reason)
{
	long act;

	if (nh->ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	act = bpf_redirect_map(&sl_tx_ports, nh->ifindex, XDP_DROP);
	if (act != XDP_REDIRECT)
		*reason = SL_DROP_REDIRECT;
	return act;
}

#endif
