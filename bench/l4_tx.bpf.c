// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L4 bench's reference XDP programs: plain forwarders (the ceiling Sluice is measured against) and a counting sink. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 fwd_ifindex;    /* tx_fwd: where every frame goes */
const volatile __u8 fwd_src[ETH_ALEN];
const volatile __u8 fwd_dst[ETH_ALEN];
/* sink: the generator's source address; its packets (and tunnels) are counted, nothing else. */
const volatile __be32 count_src4;
const volatile __be32 count_src6[4];

/* Packets the sink saw: per CPU so counting costs no atomic and no bouncing cache line. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} l4_count SEC(".maps");

static __always_inline int eth_ok(struct xdp_md *ctx, struct ethhdr **eth)
{
	*eth = (void *)(long)ctx->data;
	return (void *)(*eth + 1) <= (void *)(long)ctx->data_end;
}

/* The least an XDP forwarder does: new MACs, redirect out another interface. */
SEC("xdp")
int tx_fwd(struct xdp_md *ctx)
{
	struct ethhdr *eth;

	if (!eth_ok(ctx, &eth))
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, (const void *)fwd_dst, ETH_ALEN);
	__builtin_memcpy(eth->h_source, (const void *)fwd_src, ETH_ALEN);
	return bpf_redirect(fwd_ifindex, 0);
}

/* The least an XDP reflector does: swap MACs, send back out the same interface. */
SEC("xdp")
int tx_reflect(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	__u8 tmp[ETH_ALEN];

	if (!eth_ok(ctx, &eth))
		return XDP_DROP;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return XDP_TX;
}

/* Is this the generator's traffic, as sent or as a balancer tunnels it? */
static __always_inline bool is_bench(struct ethhdr *eth, void *end)
{
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end)
			return false;
		return ip->protocol == IPPROTO_IPIP || ip->saddr == count_src4;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return false;
		return ip6->nexthdr == IPPROTO_IPV6 ||
		       (ip6->saddr.in6_u.u6_addr32[0] == count_src6[0] &&
			ip6->saddr.in6_u.u6_addr32[1] == count_src6[1] &&
			ip6->saddr.in6_u.u6_addr32[2] == count_src6[2] &&
			ip6->saddr.in6_u.u6_addr32[3] == count_src6[3]);
	}
	return false;
}

/*
 * Counts and drops the generator's packets. Everything else passes, so ARP,
 * neighbour discovery and the balancer's health checks still reach the backends.
 */
SEC("xdp")
int sink(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	__u32 k = 0;
	__u64 *n;

	if (!eth_ok(ctx, &eth) || !is_bench(eth, (void *)(long)ctx->data_end))
		return XDP_PASS;
	n = bpf_map_lookup_elem(&l4_count, &k);
	if (n)
		*n += 1;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
