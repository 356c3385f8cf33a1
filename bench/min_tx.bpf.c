// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A minimal forwarder for bpf_ns to compare against: parse Ethernet + IPv4, one hash lookup, XDP_TX. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* min_tx_dsts: destination address -> anything; a hit is transmitted back. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} min_tx_dsts SEC(".maps");

SEC("xdp")
int min_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u32 daddr;

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	daddr = iph->daddr;
	if (!bpf_map_lookup_elem(&min_tx_dsts, &daddr))
		return XDP_PASS;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
