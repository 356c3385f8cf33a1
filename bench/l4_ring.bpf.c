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
 * bench_extra() - how many bytes a bench frame of @len bytes carries before the
 * template would start (an IPIP or IPv6-in-IPv6 outer header; negative when
 * the kernel trimmed an IPv4 frame's padding), or -1 for any other frame
 * (ARP, neighbour discovery, ICMP), which is left to the stack.
 *
 * It reads only bytes at or past where the template's frame will start again:
 * the outer header the lb wrote is never touched, so its cache line stays in
 * the lb's core and IPIP pays for no bounce that a NIC's DMA would not cause.
 */
static __always_inline int bench_extra(void *data, void *end, int len)
{
	int extra = len - (int)tmpl_len;
	struct tcphdr *tcp;
	void *at;   /* where the template's frame starts: constant offsets, for the verifier */
	__u8 *l3;

	if (extra == (int)sizeof(struct iphdr))
		at = data + sizeof(struct iphdr);
	else if (extra == (int)sizeof(struct ipv6hdr))
		at = data + sizeof(struct ipv6hdr);
	else if (extra == 0 || extra == -6)
		at = data;
	else
		return -1;
	l3 = at + sizeof(struct ethhdr);
	if (tmpl_len == L4_GEN_LEN4) {
		tcp = at + L4_GEN_TCP4;
		if ((void *)(tcp + 1) > end || l3[0] != 0x45 || l3[9] != IPPROTO_TCP)
			return -1;
	} else {
		tcp = at + L4_GEN_TCP6;
		if ((void *)(tcp + 1) > end || (l3[0] >> 4) != 6 || l3[6] != IPPROTO_TCP)
			return -1;
	}
	return tcp->dest == bench_dport ? extra : -1;
}

SEC("xdp")
int ring_pong(struct xdp_md *ctx)
{
	int len = (int)(ctx->data_end - ctx->data);
	int extra = bench_extra((void *)(long)ctx->data, (void *)(long)ctx->data_end, len);
	__u64 *laps;

	if (extra == -1)
		return XDP_PASS;
	laps = lap_counter();
	if (!laps || ring_over())
		return XDP_DROP;
	*laps += 1;
	/* the outer header goes; a frame the kernel trimmed to its IP length grows back */
	if (extra > 0) {
		if (bpf_xdp_adjust_head(ctx, extra))
			return XDP_DROP;
		len -= extra;
	}
	if (len < (int)tmpl_len && bpf_xdp_adjust_tail(ctx, (int)tmpl_len - len))
		return XDP_DROP;
	if (l4_gen_rewrite((void *)(long)ctx->data, (void *)(long)ctx->data_end, *laps))
		return XDP_DROP;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
