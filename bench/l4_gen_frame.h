/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the L4 bench's generators (live frames, XDP rings) share: the frame sizes and the template rewrite. BPF only. */
#ifndef SL_BENCH_L4_GEN_FRAME_H
#define SL_BENCH_L4_GEN_FRAME_H


#define L4_GEN_LEN4 60   /* Ethernet + IPv4 + TCP, padded: 64 bytes on a wire with the FCS */
#define L4_GEN_LEN6 74   /* Ethernet + IPv6 + TCP */
#define L4_GEN_TCP4 (14 + 20)   /* offset of the TCP header in each */
#define L4_GEN_TCP6 (14 + 40)

#ifdef __bpf__
#include <stdbool.h>
#include <linux/types.h>
#include <linux/tcp.h>

/* Set before load by userspace; each generator program (one per object) gets its own. */
const volatile __u32 n_flows = 1024; /* source ports: the template's port + 0 .. n_flows - 1 */
const volatile __u32 tmpl_len;       /* L4_GEN_LEN4 or L4_GEN_LEN6 */
/* The frame every run starts from. Not const: clang would fold reads of a
 * zero-initialised const array into zeros. */
__u64 tmpl[(L4_GEN_LEN6 + 7) / 8];

/* One's-complement update of a 16-bit checksum when one 16-bit word changes (RFC 1624). */
static __always_inline __u16 l4_csum_replace2(__u16 csum, __u16 old, __u16 new)
{
	__u32 s = (__u16)~csum + (__u16)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

/*
 * l4_gen_rewrite() - make the frame at @data the template again, with flow
 * @seq % n_flows (its source port, checksum updated): pages come back with
 * whatever a balancer wrote into them (new MACs, outer headers).
 * Returns 0, or -1 when the frame is shorter than the template.
 */
static __always_inline int l4_gen_rewrite(void *data, void *end, __u64 seq)
{
	__u64 *d = data;
	struct tcphdr *tcp;
	__u16 port;

	if (tmpl_len == L4_GEN_LEN4) {
		if (data + L4_GEN_LEN4 > end)
			return -1;
#pragma unroll
		for (int i = 0; i < L4_GEN_LEN4 / 8; i++)
			d[i] = tmpl[i];
		((__u32 *)data)[L4_GEN_LEN4 / 4 - 1] = ((__u32 *)tmpl)[L4_GEN_LEN4 / 4 - 1];
		tcp = data + L4_GEN_TCP4;
	} else {
		if (data + L4_GEN_LEN6 > end)
			return -1;
#pragma unroll
		for (int i = 0; i < L4_GEN_LEN6 / 8; i++)
			d[i] = tmpl[i];
		((__u16 *)data)[L4_GEN_LEN6 / 2 - 1] = ((__u16 *)tmpl)[L4_GEN_LEN6 / 2 - 1];
		tcp = data + L4_GEN_TCP6;
	}
	port = bpf_htons(bpf_ntohs(tcp->source) + (__u16)(seq % n_flows));
	tcp->check = l4_csum_replace2(tcp->check, tcp->source, port);
	tcp->source = port;
	return 0;
}
#endif /* __bpf__ */

#endif
