// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The kernel's share of a SYN, for bpf_ns: one insert into a map shaped like sl_conntrack, nothing else. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/ct_shape.h"

/*
 * ct_floor: sl_conntrack's shape, unpinned (bpf_ns resizes both together).
 * sl_lb's SYN pays this insert and then its own work; the insert is the part
 * no balancer built on a kernel LRU map can avoid.
 */
struct {
	SL_CT_MAP_SHAPE;
} ct_floor SEC(".maps");

SEC("xdp")
int ct_insert(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th = (void *)(iph + 1);
	struct sl_flow_key k = {};
	struct sl_ct_value v = { .backend_id = 1, .vip_id = 1 };

	if ((void *)(th + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	k.src[0] = iph->saddr;
	k.dst[0] = iph->daddr;
	k.sport = th->source;
	k.dport = th->dest;
	k.proto = iph->protocol;
	k.family = SL_AF_INET;
	/* every call brings a 5-tuple never seen, as for lb_syn: anything else is a failed run */
	return bpf_map_update_elem(&ct_floor, &k, &v, BPF_NOEXIST) ? XDP_ABORTED : XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
