// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Backend-side XDP decapsulation of IPIP / IPv6 tunnels, so backends need no tunnel module. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sluice/consts.h"
#include "sluice/maps.h"

#define SL_ETH_P_8021Q 0x8100
#define SL_IP_MF_OFFSET 0x3fff

/* sl_decap_pkts: per-CPU count of decapsulated packets, indexed by enum sl_decap_ctr. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_DECAP_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_decap_pkts SEC(".maps");

/* sl_decap_dsts: the backend's own addresses (struct sl_decap_dst); all unused = accept any. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_DECAP_DSTS_MAX);
	__type(key, __u32);
	__type(value, struct sl_decap_dst);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_decap_dsts SEC(".maps");

/*
 * decap_for_us(): whether a tunnel to dst (family SL_AF_*) is this host's:
 * dst is in sl_decap_dsts, or no slot is in use. Tunnels are rare next to
 * the walk's cost: 16 inlined array reads.
 */
static __always_inline bool decap_for_us(const __be32 dst[4], __u8 family)
{
	bool any = false;

#pragma unroll
	for (__u32 i = 0; i < SL_DECAP_DSTS_MAX; i++) {
		__u32 k = i;
		struct sl_decap_dst *d = bpf_map_lookup_elem(&sl_decap_dsts, &k);

		if (!d || !d->family)
			continue;
		any = true;
		if (d->family == family && d->addr[0] == dst[0] && d->addr[1] == dst[1] &&
		    d->addr[2] == dst[2] && d->addr[3] == dst[3])
			return true;
	}
	return !any;
}

static __always_inline void decap_count(__u32 ctr)
{
	__u64 *cnt = bpf_map_lookup_elem(&sl_decap_pkts, &ctr);

	if (cnt)
		*cnt += 1;
}

/* decap_inner_proto(): ethertype of the tunnelled packet for IP protocol ipproto, 0 when not a tunnel. */
static __always_inline __u16 decap_inner_proto(__u8 ipproto)
{
	if (ipproto == IPPROTO_IPIP)
		return ETH_P_IP;
	if (ipproto == IPPROTO_IPV6)
		return ETH_P_IPV6;
	return 0;
}

/*
 * Every IPIP / IPv4-in-IPv6 / IPv6-in-IPv4 / IPv6-in-IPv6 packet is stripped
 * (the balancer only sends these to backends; the host that runs this has no
 * other tunnels). The Ethernet header (and a VLAN tag) is moved forward and
 * its type set to the inner family, then XDP_PASS hands the inner packet to
 * the stack. Outer IPv4 fragments, IPv6 outers with extension headers,
 * tunnels to an outer destination sl_decap_dsts does not list (when it lists
 * any: see decap_for_us) and everything else pass untouched.
 */
SEC("xdp")
int sl_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, l2;
	__u32 l3_off = sizeof(*eth), olen, ctr;
	__be32 dst[4] = {};
	__be16 tci = 0, *vh;
	__u16 proto, inner;
	__u8 family;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	proto = bpf_ntohs(eth->h_proto);
	if (proto == SL_ETH_P_8021Q) {
		vh = (void *)(eth + 1);
		if ((void *)(vh + 2) > data_end)
			return XDP_PASS;
		tci = vh[0];
		proto = bpf_ntohs(vh[1]);
		l3_off += 4;
	}
	if (proto == ETH_P_IP) {
		struct iphdr *iph = data + l3_off;

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return XDP_PASS;
		if (iph->frag_off & bpf_htons(SL_IP_MF_OFFSET))
			return XDP_PASS;
		inner = decap_inner_proto(iph->protocol);
		olen = iph->ihl * 4;
		ctr = SL_DECAP_V4;
		dst[0] = iph->daddr;
		family = SL_AF_INET;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = data + l3_off;

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		inner = decap_inner_proto(ip6->nexthdr);
		olen = sizeof(*ip6);
		ctr = SL_DECAP_V6;
		__builtin_memcpy(dst, &ip6->daddr, sizeof(dst));
		family = SL_AF_INET6;
	} else {
		return XDP_PASS;
	}
	/* the inner header must be there: at least its first 20 bytes */
	if (!inner || data + l3_off + olen + 20 > data_end)
		return XDP_PASS;
	if (!decap_for_us(dst, family)) {
		decap_count(SL_DECAP_FOREIGN);
		return XDP_PASS;
	}

	__builtin_memcpy(&l2, eth, sizeof(l2));
	if (bpf_xdp_adjust_head(ctx, olen))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) + 4 > data_end)
		return XDP_PASS;
	__builtin_memcpy(eth, &l2, sizeof(l2));
	if (l3_off == sizeof(*eth)) {
		eth->h_proto = bpf_htons(inner);
	} else {
		vh = (void *)(eth + 1);
		eth->h_proto = bpf_htons(SL_ETH_P_8021Q);
		vh[0] = tci;
		vh[1] = bpf_htons(inner);
	}
	decap_count(ctr);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
