// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L4 bench's reference XDP programs: plain forwarders (the ceiling Sluice is measured against) and a counting sink. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 fwd_ifindex;    /* tx_fwd: where every frame goes */
const volatile __u8 fwd_src[ETH_ALEN];
const volatile __u8 fwd_dst[ETH_ALEN];

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

/* Counts and drops IP frames; ARP and the rest pass so neighbours still resolve. */
SEC("xdp")
int sink(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	__u32 k = 0;
	__u64 *n;

	if (!eth_ok(ctx, &eth))
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) && eth->h_proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	n = bpf_map_lookup_elem(&l4_count, &k);
	if (n)
		*n += 1;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
