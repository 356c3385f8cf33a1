// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sl_lb parsing: what is a VIP packet, what passes untouched, what malformed input is dropped and counted. */
#include <string.h>
#include "lbtest.h"
#include "bpf/lb.skel.h"
#include "../tap.h"

#define VIP4    "198.18.100.1"   /* tcp/80 -> BE1 */
#define VIP4ANY "198.18.100.2"   /* udp, port 0 (every port) -> BE2 */
#define VIP6    "2001:2:100::1"  /* tcp/443 -> BE6 */

#define SYN4(...)  .src = CLIENT4, .dst = VIP4, .proto = 6, .sport = 40000, .dport = 80, .flags = TCP_SYN, __VA_ARGS__
#define SYN6(...)  .src = CLIENT6, .dst = VIP6, .proto = 6, .sport = 40000, .dport = 443, .flags = TCP_SYN, __VA_ARGS__

/* reaches a VIP: tunnelled */
IN(syn4, SYN4())
ENC(syn4_out, BE1_ADDR, MAC_BE1, 0, SYN4())
IN(syn4_opts, SYN4(.opts = 12))
ENC(syn4_opts_out, BE1_ADDR, MAC_BE1, 0, SYN4(.opts = 12))
IN(syn4_opts40, SYN4(.opts = 40, .payload = 10))
ENC(syn4_opts40_out, BE1_ADDR, MAC_BE1, 0, SYN4(.opts = 40, .payload = 10))
IN(syn4_vlan, SYN4(.vlan = 42))
ENC(syn4_vlan_out, BE1_ADDR, MAC_BE1, 0, SYN4(.vlan = 42))
IN(syn4_tos_df, SYN4(.tos = 0xb8, .frag = 0x4000, .payload = 100))
ENC(syn4_tos_df_out, BE1_ADDR, MAC_BE1, 0, SYN4(.tos = 0xb8, .frag = 0x4000, .payload = 100))
IN(syn6, SYN6())
ENC(syn6_out, BE6_ADDR, MAC_BE1, 0, SYN6())
IN(syn6_ext, SYN6(.ext = 2, .tos = 0x28))
ENC(syn6_ext_out, BE6_ADDR, MAC_BE1, 0, SYN6(.ext = 2, .tos = 0x28))
IN(udp_any, .src = CLIENT4, .dst = VIP4ANY, .proto = 17, .sport = 5000, .dport = 12345)
ENC(udp_any_out, BE2_ADDR, MAC_BE2, 0, .src = CLIENT4, .dst = VIP4ANY, .proto = 17, .sport = 5000, .dport = 12345)
IN(udp_zero, .src = CLIENT4, .dst = VIP4ANY, .proto = 17, .sport = 5000, .dport = 53)
ENC(udp_zero_out, BE2_ADDR, MAC_BE2, 0, .src = CLIENT4, .dst = VIP4ANY, .proto = 17, .sport = 5000, .dport = 53)
IN(ack4_payload, SYN4(.flags = TCP_ACK, .payload = 1000))
ENC(ack4_payload_out, BE1_ADDR, MAC_BE1, 0, SYN4(.flags = TCP_ACK, .payload = 1000))

/* not a VIP: untouched */
IN(other_port, SYN4(.dport = 81))
IN(other_addr, SYN4(.dst = "198.18.100.9"))
IN(other_proto, SYN4(.proto = 17))
IN(other6, SYN6(.dst = "2001:2:100::9"))
IN(gre_to_vip, .src = CLIENT4, .dst = VIP4, .proto = 47, .payload = 20)
IN(vlan_other, SYN4(.vlan = 7, .dport = 22))
static void arp(struct pkt *p)
{
	pkt_eth(p, MAC_LB, MAC_PEER, 0);
	p->b[12] = 0x08; p->b[13] = 0x06;
	pkt_payload(p, 28);
}
static void vlan_runt(struct pkt *p)
{
	pkt_eth(p, MAC_LB, MAC_PEER, 9);
	p->len = 16;
}

/* malformed: dropped with their reason (BPF_PROG_TEST_RUN refuses frames under 14 bytes) */
IN(trunc_ip4, SYN4(.cut = 14 + 12))
IN(trunc_ip4_opts, SYN4(.opts = 8, .cut = 14 + 24))
IN(bad_ihl, SYN4(.ihl = 4))
IN(tot_long, SYN4(.tot = 200))
IN(tot_short, SYN4(.tot = 16))
IN(trunc_tcp, SYN4(.cut = 14 + 20 + 10, .tot = 30))
IN(trunc_udp, .src = CLIENT4, .dst = VIP4ANY, .proto = 17, .sport = 1, .dport = 2, .cut = 14 + 20 + 4, .tot = 24)
IN(trunc_ip6, SYN6(.cut = 14 + 30))
IN(trunc_ip6_ext, SYN6(.ext = 1, .cut = 14 + 44))
IN(trunc_tcp6, SYN6(.cut = 14 + 40 + 8, .tot = 8))

static const struct xdp_case cases[] = {
	{ "v4 syn to vip is tunnelled to its backend",      syn4,          syn4_out,          XDP_TX, 0 },
	{ "v4 with 12 bytes of options",                     syn4_opts,     syn4_opts_out,     XDP_TX, 0 },
	{ "v4 with 40 bytes of options (IHL 15)",            syn4_opts40,   syn4_opts40_out,   XDP_TX, 0 },
	{ "802.1Q tagged: tag kept on the tunnel",           syn4_vlan,     syn4_vlan_out,     XDP_TX, 0 },
	{ "tos and DF copied to the outer header",           syn4_tos_df,   syn4_tos_df_out,   XDP_TX, 0 },
	{ "v6 syn to vip: IPv6-in-IPv6",                     syn6,          syn6_out,          XDP_TX, 0 },
	{ "v6 with two extension headers",                   syn6_ext,      syn6_ext_out,      XDP_TX, 0 },
	{ "port-0 vip takes any port",                       udp_any,       udp_any_out,       XDP_TX, 0 },
	{ "zero-length udp payload",                         udp_zero,      udp_zero_out,      XDP_TX, 0 },
	{ "1000-byte payload",                               ack4_payload,  ack4_payload_out,  XDP_TX, 0 },
	{ "other port of a vip address passes",              other_port,    NULL, XDP_PASS, 0 },
	{ "other address passes",                            other_addr,    NULL, XDP_PASS, 0 },
	{ "vip address+port but other protocol passes",      other_proto,   NULL, XDP_PASS, 0 },
	{ "other v6 address passes",                         other6,        NULL, XDP_PASS, 0 },
	{ "non tcp/udp protocol to a vip address passes",    gre_to_vip,    NULL, XDP_PASS, 0 },
	{ "tagged non-vip passes",                           vlan_other,    NULL, XDP_PASS, 0 },
	{ "arp passes",                                      arp,           NULL, XDP_PASS, 0 },
	{ "vlan tag cut short dropped",                      vlan_runt,     NULL, XDP_DROP, SL_DROP_TRUNC_ETH },
	{ "ipv4 header cut short dropped",                   trunc_ip4,     NULL, XDP_DROP, SL_DROP_TRUNC_IP },
	{ "ipv4 options cut short dropped",                  trunc_ip4_opts, NULL, XDP_DROP, SL_DROP_TRUNC_IP },
	{ "IHL 4 dropped",                                   bad_ihl,       NULL, XDP_DROP, SL_DROP_BAD_IHL },
	{ "total length past the frame dropped",             tot_long,      NULL, XDP_DROP, SL_DROP_BAD_IHL },
	{ "total length below the header dropped",           tot_short,     NULL, XDP_DROP, SL_DROP_BAD_IHL },
	{ "tcp header cut short dropped",                    trunc_tcp,     NULL, XDP_DROP, SL_DROP_TRUNC_L4 },
	{ "udp header cut short dropped",                    trunc_udp,     NULL, XDP_DROP, SL_DROP_TRUNC_L4 },
	{ "ipv6 header cut short dropped",                   trunc_ip6,     NULL, XDP_DROP, SL_DROP_TRUNC_IP },
	{ "ipv6 extension header cut short dropped",         trunc_ip6_ext, NULL, XDP_DROP, SL_DROP_TRUNC_IP },
	{ "v6 tcp header cut short dropped",                 trunc_tcp6,    NULL, XDP_DROP, SL_DROP_TRUNC_L4 },
};

static const struct xdp_case no_port0_cases[] = {
	{ "with SL_CFG_F_NO_PORT0 exact-port vips still match", syn4,    syn4_out, XDP_TX, 0 },
	{ "with SL_CFG_F_NO_PORT0 the port-0 lookup is skipped", udp_any, NULL, XDP_PASS, 0 },
};

static const struct xdp_case uncounted_cases[] = {
	{ "vip missing from sl_vip_addrs (SL_CFG_F_VIP_ADDRS) passes", syn4, NULL, XDP_PASS, 0 },
};

static const struct xdp_case counts_off_cases[] = {
	{ "without SL_CFG_F_VIP_ADDRS the counts are ignored: vip matches", syn4, syn4_out, XDP_TX, 0 },
};

static const struct xdp_case port0_uncounted_cases[] = {
	{ "slot counts no port-0 entry: port-0 vip not looked up",  udp_any,  NULL, XDP_PASS, 0 },
	{ "an exact vip of that address still matches",             udp_zero, udp_zero_out, XDP_TX, 0 },
};

int main(void)
{
	struct lbt t;

	lbt_setup(&t);
	lbt_vip(&t, VIP4, 80, 6, 1, 0);
	lbt_ring_all(&t, 1, 7, BE1);
	lbt_vip(&t, VIP4ANY, 0, 17, 2, 0);
	lbt_ring_all(&t, 2, 7, BE2);
	lbt_vip(&t, VIP6, 443, 6, 3, 0);
	lbt_ring_all(&t, 3, 7, BE6);

	LBT_CHECK_ALL(&t, t.prog_fd, cases);

	/* sl_vip_addrs is what decides first: an uncounted VIP is not seen, unless the counts are off */
	lbt_vip_count(&t, VIP4, 80, 6, -1);
	LBT_CHECK_ALL(&t, t.prog_fd, uncounted_cases);
	t.cfg.flags &= ~SL_CFG_F_VIP_ADDRS;
	lbt_config(&t);
	LBT_CHECK_ALL(&t, t.prog_fd, counts_off_cases);
	t.cfg.flags |= SL_CFG_F_VIP_ADDRS;
	lbt_config(&t);
	lbt_vip_count(&t, VIP4, 80, 6, 1);
	/* a port-0 VIP whose port-0 count is missing is not looked up; the exact one still is */
	lbt_vip(&t, VIP4ANY, 53, 17, 2, 0);
	lbt_vip_count(&t, VIP4ANY, 0, 17, -1);
	lbt_vip_count(&t, VIP4ANY, 0, 1, 1);    /* keeps the address counted, as an echo entry would */
	LBT_CHECK_ALL(&t, t.prog_fd, port0_uncounted_cases);
	lbt_vip_count(&t, VIP4ANY, 0, 1, -1);
	lbt_vip_count(&t, VIP4ANY, 0, 17, 1);

	/* SL_CFG_F_NO_PORT0: the control plane promises no port-0 VIP; exact VIPs still match */
	t.cfg.flags |= SL_CFG_F_NO_PORT0;
	lbt_config(&t);
	LBT_CHECK_ALL(&t, t.prog_fd, no_port0_cases);
	return done_testing();
}
