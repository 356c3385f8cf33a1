// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L4 bench's ring generators: frames injected once and kept circulating by XDP, so no syscall is paid per packet. */
/*
 * Two shapes, both stopping on their own at `deadline` (or at once when
 * `stopped` is set), even if the process that started them is gone:
 *
 * ping-pong (ring_pong on the client's veth): the lb sends every frame back
 *   out of the interface it came in on (XDP_TX, a redirect to itself, the
 *   kernel routing back out, as the bench's topology makes it), and ring_pong
 *   turns what comes back into the template again (strips the tunnel header,
 *   restores addresses and MACs, next flow) and sends it to the lb once more.
 *   With a few hundred frames in flight the slower side, the lb, never waits.
 *
 * broadcast (ring_a, ring_b on a veth pair beside the client's link): for an
 *   lb that consumes frames (XDP_DROP). ring_a answers with XDP_TX; ring_b
 *   redirects each frame with BPF_F_BROADCAST to every device in ring_ports:
 *   ring_b itself (the frame goes round again) and the client's link, once or
 *   more (copies toward the lb).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "l4_gen_frame.h"

const volatile __be16 bench_dport;    /* ring_pong: what a bench frame is sent to (before any tunnel) */

__u64 deadline;     /* CLOCK_MONOTONIC ns: past it every bench frame is dropped and the ring empties */
__u32 stopped;      /* set by userspace to empty the ring at once */

/* Laps per CPU: frames sent toward the lb (ring_b) or back from it (ring_pong); also the flow counter. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ring_laps SEC(".maps");

/* ring_b's destinations: slot 0 is ring_b itself (the ring), the others the client's link. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} ring_ports SEC(".maps");

static __always_inline __u64 *lap_counter(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&ring_laps, &k);
}

static __always_inline bool ring_over(void)
{
	return stopped || bpf_ktime_get_ns() > deadline;
}

SEC("xdp")
int ring_a(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

SEC("xdp")
int ring_b(struct xdp_md *ctx)
{
	__u64 *laps = lap_counter();

	if (!laps || ring_over() ||
	    l4_gen_rewrite((void *)(long)ctx->data, (void *)(long)ctx->data_end, *laps))
		return XDP_DROP;
	*laps += 1;
	return bpf_redirect_map(&ring_ports, 0, BPF_F_BROADCAST);
}

/*
 * bench_extra() - how many bytes a bench frame carries before the template
 * would start (an IPIP or IPv6-in-IPv6 outer header), or -1 for any other
 * frame (ARP, neighbour discovery, ICMP), which is left to the stack.
 */
static __always_inline int bench_extra(void *data, void *end)
{
	struct ethhdr *eth = data;
	struct tcphdr *tcp;

	if ((void *)(eth + 1) > end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end)
			return -1;
		if (ip->protocol == IPPROTO_IPIP)
			return sizeof(*ip);
		tcp = (void *)(ip + 1);
		if (ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
			return -1;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return -1;
		if (ip6->nexthdr == IPPROTO_IPV6)
			return sizeof(*ip6);
		tcp = (void *)(ip6 + 1);
		if (ip6->nexthdr != IPPROTO_TCP)
			return -1;
	} else {
		return -1;
	}
	if ((void *)(tcp + 1) > end || tcp->dest != bench_dport)
		return -1;
	return 0;
}

SEC("xdp")
int ring_pong(struct xdp_md *ctx)
{
	int extra = bench_extra((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	int len = (int)(ctx->data_end - ctx->data);
	__u64 *laps;

	if (extra < 0)
		return XDP_PASS;
	laps = lap_counter();
	if (!laps || ring_over())
		return XDP_DROP;
	*laps += 1;
	/* the outer header goes; a frame the kernel trimmed to its IP length grows back */
	if (extra && bpf_xdp_adjust_head(ctx, extra))
		return XDP_DROP;
	len -= extra;
	if (len < (int)tmpl_len && bpf_xdp_adjust_tail(ctx, (int)tmpl_len - len))
		return XDP_DROP;
	if (l4_gen_rewrite((void *)(long)ctx->data, (void *)(long)ctx->data_end, *laps))
		return XDP_DROP;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
