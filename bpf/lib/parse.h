/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Bounded header parsers: Ethernet (+ one 802.1Q tag), IPv4 (options), IPv6 (extension headers), L4 ports. */
#ifndef SL_BPF_PARSE_H
#define SL_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sluice/consts.h"
#include "sluice/drop.h"
#include "sluice/maps.h"

#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#endif
/* ICMP numbers (linux/icmp.h pulls in libc socket headers, unusable for -target bpf) */
#define ICMP_ECHOREPLY     0
#define ICMP_DEST_UNREACH  3
#define ICMP_FRAG_NEEDED   4
#define ICMP_ECHO          8

#define SL_IP_MF      0x2000
#define SL_IP_DF      0x4000
#define SL_IP_OFFSET  0x1fff
#define SL_IPV6_EXT_MAX 4      /* extension headers walked before giving up (XDP_PASS) */

/* parse results besides 0 (go on) and a positive enum sl_drop_reason */
#define SL_PARSE_PASS (-1)     /* not ours: leave it to the stack untouched */

/* sl_frag: where a packet sits in a fragmented datagram. */
enum sl_frag {
	SL_FRAG_NONE = 0,
	SL_FRAG_FIRST,         /* offset 0, more fragments: carries the L4 header */
	SL_FRAG_LATER,         /* offset > 0: no L4 header, ports unknown */
};

/* What the parsers learned about one packet; offsets are from ctx->data. */
struct sl_pkt {
	struct sl_flow_key key;   /* ports 0 for ICMP and non-first fragments */
	__u32 l3_off;             /* 14, or 18 behind a VLAN tag */
	__u32 l4_off;             /* first byte after the IP header chain */
	__u32 l3_len;             /* IPv4 total length / IPv6 40 + payload length */
	__u16 vlan_tci;           /* network order, valid when l3_off == 18 */
	__u8  tos;                /* IPv4 TOS / IPv6 traffic class */
	__u8  df;                 /* IPv4 DF set (IPv6: always 1, routers never fragment) */
	__u8  frag;               /* enum sl_frag */
	__u8  tcp_flags;          /* byte 13 of the TCP header */
	__u8  icmp_type;
	__u8  icmp_code;
};

#define SL_TCP_FIN 0x01
#define SL_TCP_SYN 0x02
#define SL_TCP_ACK 0x10

/* parse_eth(): fills l3_off; returns the ethertype (host order) or a negative-free drop via *reason. */
static __always_inline int parse_eth(void *data, void *data_end, struct sl_pkt *p, __u16 *proto)
{
	struct ethhdr *eth = data;
	struct vlan_hdr { __be16 tci; __be16 proto; } *vh;

	if ((void *)(eth + 1) > data_end)
		return SL_DROP_TRUNC_ETH;
	p->l3_off = sizeof(*eth);
	*proto = bpf_ntohs(eth->h_proto);
	if (*proto == ETH_P_8021Q) {
		vh = (void *)(eth + 1);
		if ((void *)(vh + 1) > data_end)
			return SL_DROP_TRUNC_ETH;
		p->vlan_tci = vh->tci;
		p->l3_off += sizeof(*vh);
		*proto = bpf_ntohs(vh->proto);
	}
	return 0;
}

/*
 * parse_ipv4(): validates the header (IHL >= 5, total length within the
 * frame), fills addresses, tos, df, frag, l4_off. Returns 0, or a drop reason.
 */
static __always_inline int parse_ipv4(void *data, void *data_end, struct sl_pkt *p)
{
	struct iphdr *iph = data + p->l3_off;
	__u32 hlen, tot;
	__u16 frag;

	if ((void *)(iph + 1) > data_end)
		return SL_DROP_TRUNC_IP;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return SL_DROP_BAD_IHL;
	if ((void *)iph + hlen > data_end)
		return SL_DROP_TRUNC_IP;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < hlen || (void *)iph + tot > data_end)
		return SL_DROP_BAD_IHL;
	frag = bpf_ntohs(iph->frag_off);
	p->key.family = SL_AF_INET;
	p->key.proto = iph->protocol;
	p->key.src[0] = iph->saddr;
	p->key.dst[0] = iph->daddr;
	p->tos = iph->tos;
	p->df = !!(frag & SL_IP_DF);
	p->l3_len = tot;
	p->l4_off = p->l3_off + hlen;
	if (frag & SL_IP_OFFSET)
		p->frag = SL_FRAG_LATER;
	else if (frag & SL_IP_MF)
		p->frag = SL_FRAG_FIRST;
	return 0;
}

/*
 * parse_ipv6(): walks up to SL_IPV6_EXT_MAX extension headers (hop-by-hop,
 * routing, destination options, fragment). Returns 0, SL_PARSE_PASS for
 * a longer chain, or a drop reason.
 */
static __always_inline int parse_ipv6(void *data, void *data_end, struct sl_pkt *p)
{
	struct ipv6hdr *ip6 = data + p->l3_off;
	struct ipv6_opt_hdr *ext;
	__u32 off, tot;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return SL_DROP_TRUNC_IP;
	tot = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if ((void *)ip6 + tot > data_end)
		return SL_DROP_TRUNC_IP;
	p->key.family = SL_AF_INET6;
	__builtin_memcpy(p->key.src, &ip6->saddr, 16);
	__builtin_memcpy(p->key.dst, &ip6->daddr, 16);
	p->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	p->df = 1;
	p->l3_len = tot;
	nh = ip6->nexthdr;
	off = p->l3_off + sizeof(*ip6);

#pragma unroll
	for (i = 0; i < SL_IPV6_EXT_MAX; i++) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS && nh != IPPROTO_FRAGMENT)
			goto done;
		if (off > 512)
			return SL_PARSE_PASS;
		ext = data + off;
		if ((void *)ext + 8 > data_end)
			return SL_DROP_TRUNC_IP;
		if (nh == IPPROTO_FRAGMENT) {
			__u16 fo = bpf_ntohs(*(__be16 *)((void *)ext + 2));

			if (fo & 0xfff8)
				p->frag = SL_FRAG_LATER;
			else if (fo & 1)
				p->frag = SL_FRAG_FIRST;
			off += 8;
		} else {
			off += (ext->hdrlen + 1) * 8;
		}
		nh = ext->nexthdr;
	}
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	    nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT)
		return SL_PARSE_PASS;
done:
	if (off > 1024 || off > p->l3_off + tot)
		return SL_DROP_TRUNC_IP;
	p->key.proto = nh;
	p->l4_off = off;
	return 0;
}

/*
 * parse_l4(): reads ports (TCP, UDP), TCP flags, ICMP type/code. Non-first
 * fragments carry no L4 header and keep ports 0. Returns 0, SL_PARSE_PASS for
 * other protocols, or SL_DROP_TRUNC_L4.
 */
static __always_inline int parse_l4(void *data, void *data_end, struct sl_pkt *p)
{
	void *l4;
	__u32 off = p->l4_off;

	if (p->frag == SL_FRAG_LATER)
		return 0;
	if (off > 1024)
		return SL_PARSE_PASS;
	l4 = data + off;
	switch (p->key.proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return SL_DROP_TRUNC_L4;
		p->key.sport = th->source;
		p->key.dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		return 0;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return SL_DROP_TRUNC_L4;
		p->key.sport = uh->source;
		p->key.dport = uh->dest;
		return 0;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		__u8 *ic = l4;

		if ((void *)(ic + 8) > data_end)
			return SL_DROP_TRUNC_L4;
		p->icmp_type = ic[0];
		p->icmp_code = ic[1];
		return 0;
	}
	}
	return SL_PARSE_PASS;
}

/* parse_packet(): the whole chain. Returns 0, SL_PARSE_PASS or a drop reason. */
static __always_inline int parse_packet(struct xdp_md *ctx, struct sl_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u16 proto = 0;
	int rc;

	rc = parse_eth(data, data_end, p, &proto);
	if (rc)
		return rc;
	if (proto == ETH_P_IP)
		rc = parse_ipv4(data, data_end, p);
	else if (proto == ETH_P_IPV6)
		rc = parse_ipv6(data, data_end, p);
	else
		return SL_PARSE_PASS;
	if (rc)
		return rc;
	return parse_l4(data, data_end, p);
}

#endif
