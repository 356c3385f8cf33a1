/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ICMP in XDP: echo replies for VIP addresses, and the flow behind a frag-needed / packet-too-big. */
#ifndef SL_BPF_ICMP_H
#define SL_BPF_ICMP_H

#include "lib/parse.h"
#include "lib/csum.h"

#define SL_L3_OFF_MAX 18                /* Ethernet + one VLAN tag */
#define SL_L4_OFF_MAX (SL_L3_OFF_MAX + 1024)
#define SL_ICMP_TTL   64

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

/* icmp_sum(): one's complement sum of n 16-bit words at p (n a constant: unrolled). */
#define ICMP_SUM_WORDS(sum, p, n) do {                          \
	_Pragma("unroll")                                        \
	for (int _i = 0; _i < (n); _i++)                         \
		(sum) += ((const __u16 *)(p))[_i];               \
} while (0)

/*
 * icmp_l2_reply(): the Ethernet header of a reply written at the frame start,
 * MACs swapped from the original header now `grow` bytes further in (read
 * before anything overlapping it is written), VLAN tag kept.
 */
static __always_inline int icmp_l2_reply(void *data, void *data_end, __u32 l3, __u32 grow, __u16 proto)
{
	struct ethhdr *neth = data, *oeth = data + grow;
	__u8 src[ETH_ALEN], dst[ETH_ALEN];
	__be16 tci = 0;

	if ((void *)oeth + 18 > data_end)
		return -1;
	__builtin_memcpy(dst, oeth->h_source, ETH_ALEN);
	__builtin_memcpy(src, oeth->h_dest, ETH_ALEN);
	if (l3 != sizeof(*neth))
		tci = *(__be16 *)((void *)oeth + 14);
	__builtin_memcpy(neth->h_dest, dst, ETH_ALEN);
	__builtin_memcpy(neth->h_source, src, ETH_ALEN);
	if (l3 == sizeof(*neth)) {
		neth->h_proto = bpf_htons(proto);
	} else {
		neth->h_proto = bpf_htons(ETH_P_8021Q);
		*(__be16 *)(neth + 1) = tci;
		*((__be16 *)(neth + 1) + 1) = bpf_htons(proto);
	}
	return 0;
}

/*
 * icmp4_too_big_at(): turns the client's IPv4 packet into an ICMP
 * frag-needed from the VIP quoting its IP header (options included: hlen
 * bytes, 20..60) and 8 bytes, advertising mtu. l3 is a constant (14 or 18).
 * Returns 0 or -1.
 */
static __always_inline int icmp4_too_big_at(struct xdp_md *ctx, const __u32 l3, __u32 hlen, __u16 mtu)
{
	const __u32 grow = sizeof(struct iphdr) + 8;
	__u32 quote = (hlen & 0x3c) + 8, words;
	void *data, *data_end;
	struct iphdr *nip, *oip;
	__u16 *w;
	__u8 *ic;
	__u32 sum = 0;

	if (quote < sizeof(struct iphdr) + 8)
		return -1;
	if (bpf_xdp_adjust_head(ctx, -(int)grow))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	/* the longest quote (60 + 8) must be there: every offset below is then a constant */
	if (data + l3 + grow + 68 > data_end)
		return -1;
	if (icmp_l2_reply(data, data_end, l3, grow, ETH_P_IP))
		return -1;
	nip = data + l3;
	oip = data + l3 + grow;
	nip->saddr = oip->daddr;        /* nip is [l3, l3+20), oip [l3+28, ...): no overlap */
	nip->daddr = oip->saddr;
	nip->version = 4;
	nip->ihl = 5;
	nip->tos = 0;
	nip->tot_len = bpf_htons(sizeof(*nip) + 8 + quote);
	nip->id = 0;
	nip->frag_off = 0;
	nip->ttl = SL_ICMP_TTL;
	nip->protocol = IPPROTO_ICMP;
	nip->check = 0;
	nip->check = csum_ipv4_hdr(nip);
	ic = (void *)(nip + 1);
	ic[0] = ICMP_DEST_UNREACH;
	ic[1] = ICMP_FRAG_NEEDED;
	*(__u16 *)(ic + 2) = 0;
	*(__u16 *)(ic + 4) = 0;
	*(__be16 *)(ic + 6) = bpf_htons(mtu);
	/* ICMP header and quote: 18 (no options) to 38 (40 bytes of options) words */
	words = (8 + quote) / 2;
	w = (void *)ic;
#pragma unroll
	for (__u32 i = 0; i < 38; i++)
		if (i < words)
			sum += w[i];
	*(__u16 *)(ic + 2) = csum_fold(sum);
	return bpf_xdp_adjust_tail(ctx, (int)(l3 + sizeof(*nip) + 8 + quote) - (int)(data_end - data)) ? -1 : 0;
}

/*
 * icmp6_too_big_at(): the IPv6 twin: an ICMPv6 packet-too-big from the VIP
 * quoting the client's IPv6 header and 8 bytes. Returns 0 or -1.
 */
static __always_inline int icmp6_too_big_at(struct xdp_md *ctx, const __u32 l3, __u32 mtu)
{
	const __u32 grow = sizeof(struct ipv6hdr) + 8, quote = sizeof(struct ipv6hdr) + 8;
	void *data, *data_end;
	struct ipv6hdr *nip, *oip;
	__u8 *ic;
	__u32 sum = 0;

	if (bpf_xdp_adjust_head(ctx, -(int)grow))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + l3 + grow + quote > data_end)
		return -1;
	if (icmp_l2_reply(data, data_end, l3, grow, ETH_P_IPV6))
		return -1;
	nip = data + l3;
	oip = data + l3 + grow;
	nip->saddr = oip->daddr;        /* nip is [l3, l3+40), oip [l3+48, l3+88) */
	nip->daddr = oip->saddr;
	*(__be32 *)nip = bpf_htonl(6U << 28);
	nip->payload_len = bpf_htons(8 + quote);
	nip->nexthdr = IPPROTO_ICMPV6;
	nip->hop_limit = SL_ICMP_TTL;
	ic = (void *)(nip + 1);
	ic[0] = ICMPV6_PKT_TOOBIG;
	ic[1] = 0;
	*(__u16 *)(ic + 2) = 0;
	*(__be32 *)(ic + 4) = bpf_htonl(mtu);
	/* pseudo-header: addresses, upper-layer length, next header */
	ICMP_SUM_WORDS(sum, &nip->saddr, 16);
	sum += bpf_htons(8 + quote) + bpf_htons(IPPROTO_ICMPV6);
	ICMP_SUM_WORDS(sum, ic, (8 + quote) / 2);
	*(__u16 *)(ic + 2) = csum_fold(sum);
	return bpf_xdp_adjust_tail(ctx, (int)(l3 + sizeof(*nip) + 8 + quote) - (int)(data_end - data)) ? -1 : 0;
}

/*
 * icmp_too_big(): answers a client packet that would not fit the path to
 * the backend once encapsulated: ICMP frag-needed (IPv4 with DF; the quote
 * keeps any IP options) or ICMPv6 packet-too-big, from the VIP, advertising mtu (the
 * route MTU minus the tunnel header). Returns 0 when the frame now holds the
 * reply (send it with XDP_TX), -1 when no reply is due or possible.
 */
static __always_inline int icmp_too_big(struct xdp_md *ctx, const struct sl_pkt *p, __u32 mtu)
{
	if (p->key.family == SL_AF_INET) {
		__u32 hlen = p->l4_off - p->l3_off;

		if (!p->df || mtu < 68)
			return -1;
		return p->l3_off == 14 ? icmp4_too_big_at(ctx, 14, hlen, mtu) : icmp4_too_big_at(ctx, 18, hlen, mtu);
	}
	if (mtu < 1280)
		mtu = 1280;
	return p->l3_off == 14 ? icmp6_too_big_at(ctx, 14, mtu) : icmp6_too_big_at(ctx, 18, mtu);
}

#endif
