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

#define SL_ETH_P_8021Q 0x8100
#define SL_IP_MF_OFFSET 0x3fff

/* Which tunnels were stripped, by outer family. */
enum sl_decap_ctr {
	SL_DECAP_V4 = 0,        /* outer IPv4, protocol 4 (IPv4) or 41 (IPv6) */
	SL_DECAP_V6,            /* outer IPv6, next header 41 or 4 */
	SL_DECAP_MAX,
};

/* sl_decap_pkts: per-CPU count of decapsulated packets, indexed by enum sl_decap_ctr. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_DECAP_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_decap_pkts SEC(".maps");

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
 * the stack. Outer IPv4 fragments, IPv6 outers with extension headers, and
 * everything else pass untouched.
 */
SEC("xdp")
int sl_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, l2;
	__u32 l3_off = sizeof(*eth), olen, ctr;
	__be16 tci = 0, *vh;
	__u16 proto, inner;
	__u64 *cnt;

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
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = data + l3_off;

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		inner = decap_inner_proto(ip6->nexthdr);
		olen = sizeof(*ip6);
		ctr = SL_DECAP_V6;
	} else {
		return XDP_PASS;
	}
	/* the inner header must be there: at least its first 20 bytes */
	if (!inner || data + l3_off + olen + 20 > data_end)
		return XDP_PASS;

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
	cnt = bpf_map_lookup_elem(&sl_decap_pkts, &ctr);
	if (cnt)
		*cnt += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
