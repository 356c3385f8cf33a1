// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sl_lb ICMP: echo replies for VIP addresses, frag-needed / packet-too-big steered to the flow's backend. */
#include <arpa/inet.h>
#include <string.h>
#include "lbtest.h"
#include "bpf/lb.skel.h"
#include "../tap.h"

#define VIP4 "198.18.100.1"
#define VIP6 "2001:2:100::1"
#define ROUTER4 "198.18.0.254"
#define ROUTER6 "2001:2::fe"

/* echo request from the client; reply built independently, with a full checksum */
static void echo(struct pkt *p, int fam, const char *vip, uint16_t vlan, uint8_t opts, uint8_t ext, bool reply)
{
	const char *cl = fam == 4 ? CLIENT4 : CLIENT6;
	struct ip_spec s = { .fam = fam, .src = reply ? vip : cl, .dst = reply ? cl : vip,
			     .id = 0x1234, .opts = opts, .ext = ext };

	if (reply)
		pkt_eth(p, MAC_PEER, MAC_LB, vlan);
	else
		pkt_eth(p, MAC_LB, MAC_PEER, vlan);
	pkt_ip(p, &s, fam == 4 ? 1 : 58);
	pkt_icmp(p, fam == 4 ? (reply ? 0 : 8) : (reply ? 129 : 128), 0, 0x77, 3);
	pkt_payload(p, 56);
	pkt_finish(p);
}
static void e4(struct pkt *p)        { echo(p, 4, VIP4, 0, 0, 0, false); }
static void e4_out(struct pkt *p)    { echo(p, 4, VIP4, 0, 0, 0, true); }
static void e4v(struct pkt *p)       { echo(p, 4, VIP4, 12, 8, 0, false); }
static void e4v_out(struct pkt *p)   { echo(p, 4, VIP4, 12, 8, 0, true); }
static void e6(struct pkt *p)        { echo(p, 6, VIP6, 0, 0, 0, false); }
static void e6_out(struct pkt *p)    { echo(p, 6, VIP6, 0, 0, 0, true); }
static void e6x(struct pkt *p)       { echo(p, 6, VIP6, 0, 0, 1, false); }
static void e6x_out(struct pkt *p)   { echo(p, 6, VIP6, 0, 0, 1, true); }
static void e4_other(struct pkt *p)  { echo(p, 4, "198.18.100.9", 0, 0, 0, false); }
static void e4_reply(struct pkt *p)  { echo(p, 4, VIP4, 0, 0, 0, true); memcpy(p->b, MAC_LB, 6); }
IN(unreach_port, .src = CLIENT4, .dst = VIP4, .proto = 1, .flags = 3, .code = 3, .payload = 28)
IN(redirect4, .src = CLIENT4, .dst = VIP4, .proto = 1, .flags = 5, .code = 0, .payload = 28)

/*
 * ptb(): a router's frag-needed (v4) / packet-too-big (v6) about the
 * backend's reply VIP:port -> client:sport, sent to the VIP address.
 */
static void ptb(struct pkt *p, int fam, const char *vip, uint16_t sport)
{
	static struct pkt inner;
	struct ip_spec is = { .fam = fam, .src = vip, .dst = fam == 4 ? CLIENT4 : CLIENT6, .frag = fam == 4 ? 0x4000 : 0 };
	struct ip_spec os = { .fam = fam, .src = fam == 4 ? ROUTER4 : ROUTER6, .dst = vip };

	memset(&inner, 0, sizeof(inner));
	pkt_eth(&inner, MAC_LB, MAC_PEER, 0);
	pkt_ip(&inner, &is, 6);
	pkt_tcp(&inner, 80, sport, TCP_ACK);
	pkt_payload(&inner, 1400);
	pkt_finish(&inner);

	pkt_eth(p, MAC_LB, MAC_PEER, 0);
	pkt_ip(p, &os, fam == 4 ? 1 : 58);
	if (fam == 4)
		pkt_icmp(p, 3, 4, 0, 1400);
	else
		pkt_icmp(p, 2, 0, 0, 1280);
	pkt_bytes(p, inner.b + inner.l3, inner.l4 + 8 - inner.l3);   /* header + 8 bytes, as routers quote */
	pkt_finish(p);
}

static void ptb_encap(struct pkt *p, int fam, const char *vip, uint16_t sport, const char *be, const uint8_t *mac)
{
	static struct pkt in;
	struct sl_flow_key k = lbt_key(fam == 4 ? CLIENT4 : CLIENT6, vip, sport, 80, 6);
	char buf[INET6_ADDRSTRLEN];
	struct ip_spec o;

	memset(&in, 0, sizeof(in));
	ptb(&in, fam, vip, sport);
	o = lbt_outer(be, sl_tunnel_hash(&k, 0), &in, buf);
	pkt_encap(p, &in, mac, MAC_LB, 0, &o);
}

static void p4_tracked(struct pkt *p)     { ptb(p, 4, VIP4, 41000); }
static void p4_tracked_out(struct pkt *p) { ptb_encap(p, 4, VIP4, 41000, BE1_ADDR, MAC_BE1); }
static void p4_new(struct pkt *p)         { ptb(p, 4, VIP4, 41001); }
static void p4_new_out(struct pkt *p)     { ptb_encap(p, 4, VIP4, 41001, BE2_ADDR, MAC_BE2); }
static void p6(struct pkt *p)             { ptb(p, 6, VIP6, 41000); }
static void p6_out(struct pkt *p)         { ptb_encap(p, 6, VIP6, 41000, BE6_ADDR, MAC_BE1); }
static void p4_other(struct pkt *p)       { ptb(p, 4, "198.18.100.9", 41000); }
static void p4_cut(struct pkt *p)         { ptb(p, 4, VIP4, 41000); p->len -= 6; p->b[p->l3 + 3] -= 6; p->b[p->l3 + 11] = 0; }

IN(syn_a, .src = CLIENT4, .dst = VIP4, .proto = 6, .sport = 41000, .dport = 80, .flags = TCP_SYN)
ENC(syn_a_out, BE1_ADDR, MAC_BE1, 0, .src = CLIENT4, .dst = VIP4, .proto = 6, .sport = 41000, .dport = 80, .flags = TCP_SYN)

static const struct xdp_case echo_cases[] = {
	{ "echo request to a vip address answered",          e4,       e4_out,  XDP_TX, 0 },
	{ "echo with vlan tag and ip options answered",       e4v,      e4v_out, XDP_TX, 0 },
	{ "icmpv6 echo request answered (129)",               e6,       e6_out,  XDP_TX, 0 },
	{ "icmpv6 echo behind an extension header answered",  e6x,      e6x_out, XDP_TX, 0 },
	{ "echo to a non-vip address passes",                 e4_other, NULL, XDP_PASS, 0 },
	{ "echo reply to a vip passes",                       e4_reply, NULL, XDP_PASS, 0 },
	{ "port unreachable to a vip passes",                 unreach_port, NULL, XDP_PASS, 0 },
	{ "icmp redirect to a vip passes",                    redirect4, NULL, XDP_PASS, 0 },
};

static const struct xdp_case ptb_setup[] = {
	{ "syn of flow A to be1",                              syn_a,      syn_a_out,      XDP_TX, 0 },
};

/* run with the table switched to be2 after ptb_setup */
static const struct xdp_case ptb_cases[] = {
	{ "frag-needed about A goes to A's tracked backend (be1)", p4_tracked, p4_tracked_out, XDP_TX, 0 },
	{ "frag-needed about an untracked flow: Maglev (be2)", p4_new,     p4_new_out,     XDP_TX, 0 },
	{ "packet-too-big (v6) steered to the flow's backend", p6,         p6_out,         XDP_TX, 0 },
	{ "frag-needed quoting a non-vip flow passes",         p4_other,   NULL, XDP_PASS, 0 },
	{ "frag-needed quoting too few bytes passes",          p4_cut,     NULL, XDP_PASS, 0 },
};

int main(void)
{
	struct lbt t;
	struct sl_vip_stats s;

	lbt_setup(&t);
	lbt_vip(&t, VIP4, 80, 6, 1, 0);
	lbt_vip(&t, VIP4, 0, 1, 1, 0);       /* marks VIP4 for echo replies */
	lbt_ring_all(&t, 1, 7, BE1);
	lbt_vip(&t, VIP6, 80, 6, 2, 0);
	lbt_vip(&t, VIP6, 0, 58, 2, 0);
	lbt_ring_all(&t, 2, 7, BE6);

	LBT_CHECK_ALL(&t, t.prog_fd, echo_cases);
	t.cfg.flags &= ~SL_CFG_F_ICMP_ECHO;
	lbt_config(&t);
	{
		static const struct xdp_case off = { "echo with SL_CFG_F_ICMP_ECHO off passes", e4, NULL, XDP_PASS, 0 };

		ok(lbt_check(&t, t.prog_fd, &off), "%s", off.name);
	}
	t.cfg.flags |= SL_CFG_F_ICMP_ECHO;
	lbt_config(&t);

	LBT_CHECK_ALL(&t, t.prog_fd, ptb_setup);
	lbt_ring_all(&t, 1, 7, BE2);
	LBT_CHECK_ALL(&t, t.prog_fd, ptb_cases);
	s = lbt_vip_stats(&t, 1);
	is_int(s.icmp_echo, 2, "stats: 2 v4 echo replies");
	is_int(s.icmp_ptb, 2, "stats: 2 v4 frag-needed steered");
	is_int(lbt_vip_stats(&t, 2).icmp_ptb, 1, "stats: 1 v6 packet-too-big steered");
	return done_testing();
}
