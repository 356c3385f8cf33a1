/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ICMP in XDP: echo replies for VIP addresses, and the flow behind a frag-needed / packet-too-big. */
#ifndef SL_BPF_ICMP_H
#define SL_BPF_ICMP_H

#include "lib/parse.h"
#include "lib/csum.h"

#define SL_L3_OFF_MAX 18                /* Ethernet + one VLAN tag */
#define SL_L4_OFF_MAX (SL_L3_OFF_MAX + 1024)

/* icmp_is_echo(): an echo request (ICMP 8 / ICMPv6 128) that is not a fragment. */
static __always_inline bool icmp_is_echo(const struct sl_pkt *p)
{
	if (p->frag != SL_FRAG_NONE)
		return false;
	return p->key.proto == IPPROTO_ICMP ? p->icmp_type == ICMP_ECHO
					    : p->icmp_type == ICMPV6_ECHO_REQUEST;
}

/* icmp_is_ptb(): ICMP dest-unreachable/frag-needed or ICMPv6 packet-too-big. */
static __always_inline bool icmp_is_ptb(const struct sl_pkt *p)
{
	if (p->frag != SL_FRAG_NONE)
		return false;
	if (p->key.proto == IPPROTO_ICMP)
		return p->icmp_type == ICMP_DEST_UNREACH && p->icmp_code == ICMP_FRAG_NEEDED;
	return p->icmp_type == ICMPV6_PKT_TOOBIG;
}

/*
 * icmp_echo_reply(): turns the echo request into its reply in place: MACs and
 * addresses swapped, type 0 / 129, checksum updated for the type change only
 * (the pseudo-header sum does not change when addresses swap). Returns 0, or
 * a drop reason when the frame is shorter than the parser saw (cannot happen).
 */
static __always_inline int icmp_echo_reply(struct xdp_md *ctx, const struct sl_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 l3 = p->l3_off, l4 = p->l4_off;
	__u8 mac[ETH_ALEN];
	__u16 old, *ic;

	if ((void *)(eth + 1) > data_end || l3 > SL_L3_OFF_MAX || l4 > SL_L4_OFF_MAX)
		return SL_DROP_TRUNC_ETH;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	ic = data + l4;
	if ((void *)(ic + 2) > data_end)
		return SL_DROP_TRUNC_L4;
	old = ic[0];
	if (p->key.family == SL_AF_INET) {
		struct iphdr *iph = data + l3;
		__be32 a;

		if ((void *)(iph + 1) > data_end)
			return SL_DROP_TRUNC_IP;
		a = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = a;
		((__u8 *)ic)[0] = ICMP_ECHOREPLY;
	} else {
		struct ipv6hdr *ip6 = data + l3;
		struct in6_addr a;

		if ((void *)(ip6 + 1) > data_end)
			return SL_DROP_TRUNC_IP;
		a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		((__u8 *)ic)[0] = ICMPV6_ECHO_REPLY;
	}
	ic[1] = csum_replace2(ic[1], old, ic[0]);
	return 0;
}

/*
 * icmp_ptb_flow(): reads the packet quoted in a frag-needed / packet-too-big
 * (the backend's reply: source = VIP) and fills fk with the client's flow as
 * the balancer saw it (source and destination reversed). Returns 0, or
 * SL_PARSE_PASS when the quoted packet is not TCP/UDP or is cut short.
 */
static __always_inline int icmp_ptb_flow(struct xdp_md *ctx, const struct sl_pkt *p,
					 struct sl_flow_key *fk)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = p->l4_off + 8;
	__be16 *ports;

	if (off > SL_L4_OFF_MAX + 8)
		return SL_PARSE_PASS;
	__builtin_memset(fk, 0, sizeof(*fk));
	if (p->key.family == SL_AF_INET) {
		struct iphdr *in = data + off;
		__u32 hlen;

		if ((void *)(in + 1) > data_end)
			return SL_PARSE_PASS;
		hlen = in->ihl * 4;
		if (hlen < sizeof(*in))
			return SL_PARSE_PASS;
		ports = (void *)in + hlen;
		if ((void *)(ports + 2) > data_end)
			return SL_PARSE_PASS;
		fk->proto = in->protocol;
		fk->src[0] = in->daddr;
		fk->dst[0] = in->saddr;
	} else {
		struct ipv6hdr *in = data + off;

		if ((void *)(in + 1) > data_end)
			return SL_PARSE_PASS;
		ports = (void *)(in + 1);
		if ((void *)(ports + 2) > data_end)
			return SL_PARSE_PASS;
		fk->proto = in->nexthdr;
		__builtin_memcpy(fk->src, &in->daddr, 16);
		__builtin_memcpy(fk->dst, &in->saddr, 16);
	}
	if (fk->proto != IPPROTO_TCP && fk->proto != IPPROTO_UDP)
		return SL_PARSE_PASS;
	fk->family = p->key.family;
	fk->sport = ports[1];
	fk->dport = ports[0];
	return 0;
}

#endif
