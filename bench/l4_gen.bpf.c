// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L4 bench's packet generator: run by BPF_PROG_RUN in live-frame mode, it gives each frame its own flow and sends it out. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define L4_GEN_LEN4 60   /* Ethernet + IPv4 + TCP, padded: 64 bytes on a wire with the FCS */
#define L4_GEN_LEN6 74   /* Ethernet + IPv6 + TCP */

const volatile __u32 out_ifindex;    /* the client's veth: frames leave through it toward the lb */
const volatile __u32 n_flows = 1024; /* source ports: the template's port + 0 .. n_flows - 1 */
const volatile __u32 tmpl_len;       /* L4_GEN_LEN4 or L4_GEN_LEN6 */
/* The frame every run starts from, written by userspace before load. Not const:
 * clang would fold reads of a zero-initialised const array into zeros. */
__u64 tmpl[(L4_GEN_LEN6 + 7) / 8];

__u64 sent;                          /* frames handed to the redirect (one generator thread) */

/* One's-complement update of a 16-bit checksum when one 16-bit word changes (RFC 1624). */
static __always_inline __u16 csum_replace2(__u16 csum, __u16 old, __u16 new)
{
	__u32 s = (__u16)~csum + (__u16)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

/* Word copies: the frame sits at the page's headroom offset, so 8-byte stores are aligned. */
static __always_inline void copy_words(void *data, const int n)
{
	__u64 *d = data;

#pragma unroll
	for (int i = 0; i < n; i++)
		d[i] = tmpl[i];
}

SEC("xdp")
int l4_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct tcphdr *tcp;
	__u16 port;

	/*
	 * Pages come back with whatever the balancer under test wrote into them
	 * (new MACs, outer headers), so every frame is rewritten from the template.
	 */
	if (tmpl_len == L4_GEN_LEN4) {
		if (data + L4_GEN_LEN4 > end)
			return XDP_ABORTED;
		copy_words(data, L4_GEN_LEN4 / 8);
		((__u32 *)data)[L4_GEN_LEN4 / 4 - 1] = ((__u32 *)tmpl)[L4_GEN_LEN4 / 4 - 1];
		tcp = data + sizeof(struct ethhdr) + sizeof(struct iphdr);
	} else {
		if (data + L4_GEN_LEN6 > end)
			return XDP_ABORTED;
		copy_words(data, L4_GEN_LEN6 / 8);
		((__u16 *)data)[L4_GEN_LEN6 / 2 - 1] = ((__u16 *)tmpl)[L4_GEN_LEN6 / 2 - 1];
		tcp = data + sizeof(struct ethhdr) + sizeof(struct ipv6hdr);
	}
	port = bpf_htons(bpf_ntohs(tcp->source) + (__u16)(sent % n_flows));
	tcp->check = csum_replace2(tcp->check, tcp->source, port);
	tcp->source = port;
	sent++;
	return bpf_redirect(out_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
