// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sl_lb forwarding: IPIP of every family mix, L2 DSR, TX vs redirect, Maglev slot choice, empty/missing tables, MTU. */
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lbtest.h"
#include "bpf/lb.skel.h"
#include "../tap.h"

#define F(vip, ...) .src = CLIENT4, .dst = vip, .proto = 6, .sport = 40001, .dport = 80, .flags = TCP_SYN, __VA_ARGS__

IN(ipip, F("198.18.100.1"))
ENC(ipip_out, BE1_ADDR, MAC_BE1, 0, F("198.18.100.1"))
/* TOS and DF copied to the outer header, whose checksum then has carries to fold */
IN(ipip_tos_df, F("198.18.100.11", .tos = 0xb8, .frag = 0x4000, .payload = 1200))
ENC(ipip_tos_df_out, BE1_ADDR, MAC_BE1, 0, F("198.18.100.11", .tos = 0xb8, .frag = 0x4000, .payload = 1200))
IN(dsr, F("198.18.100.2", .payload = 33))
static void dsr_out(struct pkt *p)
{
	dsr(p);
	memcpy(p->b, MAC_BE1, 6);
	memcpy(p->b + 6, MAC_LB, 6);
}
IN(dsr_vlan, F("198.18.100.2", .vlan = 5))
static void dsr_vlan_out(struct pkt *p)
{
	dsr_vlan(p);
	memcpy(p->b, MAC_BE1, 6);
	memcpy(p->b + 6, MAC_LB, 6);
}
IN(redir, F("198.18.100.3"))
static void redir_out(struct pkt *p)
{
	struct lbt_flow f = { F("198.18.100.3") };

	lbt_build_encap(p, &f, BED_ADDR, MAC_BE_DUMMY, MAC_DUMMY, 0);
}
IN(v6in4, .src = CLIENT6, .dst = "2001:2:100::4", .proto = 6, .sport = 40001, .dport = 80, .flags = TCP_SYN, .tos = 0x10)
ENC(v6in4_out, BE1_ADDR, MAC_BE1, 0, .src = CLIENT6, .dst = "2001:2:100::4", .proto = 6, .sport = 40001, .dport = 80, .flags = TCP_SYN, .tos = 0x10)
IN(v4in6, F("198.18.100.5", .tos = 0x20, .frag = 0x4000))
ENC(v4in6_out, BE6_ADDR, MAC_BE1, 0, F("198.18.100.5", .tos = 0x20, .frag = 0x4000))
IN(no_ring, F("198.18.100.6"))
IN(empty_drop, F("198.18.100.7"))
IN(empty_pass, F("198.18.100.8"))
IN(bad_be, F("198.18.100.9"))
IN(no_neigh, F("198.18.100.10"))
IN(fits, F("198.18.100.11", .payload = 1480 - 40))
ENC(fits_out, BE1_ADDR, MAC_BE1, 0, F("198.18.100.11", .payload = 1480 - 40))
IN(too_big, F("198.18.100.11", .payload = 1481 - 40))
IN(too_big_dsr, F("198.18.100.2", .payload = 1501 - 40))

/* the client's answer when its packet will not fit the tunnel: ICMP from the VIP quoting it */
static void tb_reply(struct pkt *out, const struct lbt_flow *f, uint32_t mtu)
{
	static struct pkt in;
	int fam = strchr(f->src, ':') ? 6 : 4;
	struct ip_spec s = { .fam = fam, .src = f->dst, .dst = f->src, .ttl = 64 };

	lbt_build(&in, f);
	pkt_eth(out, MAC_PEER, MAC_LB, f->vlan);
	pkt_ip(out, &s, fam == 4 ? 1 : 58);
	if (fam == 4)
		pkt_icmp(out, 3, 4, 0, mtu);
	else
		pkt_icmp(out, 2, 0, mtu >> 16, mtu & 0xffff);
	/* the client's IP header (options and all) and 8 bytes of what follows */
	pkt_bytes(out, in.b + in.l3, fam == 4 ? (in.b[in.l3] & 0xf) * 4 + 8 : 48);
	pkt_finish(out);
}
#define TB(fn, mtu, ...) IN(fn, __VA_ARGS__) \
	static void fn##_out(struct pkt *p) { struct lbt_flow f = { __VA_ARGS__ }; tb_reply(p, &f, mtu); }
TB(tb4, 1480, F("198.18.100.11", .payload = 1481 - 40, .frag = 0x4000))
TB(tb4v, 1480, F("198.18.100.11", .payload = 1481 - 40, .frag = 0x4000, .vlan = 9))
TB(tb6, 1480, .src = CLIENT6, .dst = "2001:2:100::4", .proto = 6, .sport = 40001, .dport = 80, .flags = TCP_ACK, .payload = 1441)
TB(tb6v, 1480, .src = CLIENT6, .dst = "2001:2:100::4", .proto = 6, .sport = 40001, .dport = 80, .flags = TCP_ACK, .payload = 1441, .vlan = 3)
TB(tbdsr, 1500, F("198.18.100.2", .payload = 1501 - 40, .frag = 0x4000))
TB(tb4opt, 1480, F("198.18.100.11", .payload = 1481 - 44, .frag = 0x4000, .opts = 4))
TB(tb4opt40, 1480, F("198.18.100.11", .payload = 1481 - 80, .frag = 0x4000, .opts = 40, .vlan = 9))

static const struct xdp_case cases[] = {
	{ "too big with DF: ICMP frag-needed, mtu 1480",    tb4,        tb4_out,   XDP_TX, SL_DROP_TOO_BIG },
	{ "too big with DF behind a vlan tag",              tb4v,       tb4v_out,  XDP_TX, SL_DROP_TOO_BIG },
	{ "too big ipv6: ICMPv6 packet-too-big, mtu 1480",  tb6,        tb6_out,   XDP_TX, SL_DROP_TOO_BIG },
	{ "too big ipv6 behind a vlan tag",                 tb6v,       tb6v_out,  XDP_TX, SL_DROP_TOO_BIG },
	{ "too big for dsr: frag-needed, mtu 1500",         tbdsr,      tbdsr_out, XDP_TX, SL_DROP_TOO_BIG },
	{ "too big with DF and ip options: frag-needed quotes them", tb4opt, tb4opt_out, XDP_TX, SL_DROP_TOO_BIG },
	{ "40 bytes of ip options behind a vlan tag",       tb4opt40,   tb4opt40_out, XDP_TX, SL_DROP_TOO_BIG },
	{ "ipv4 in ipv4 out of the ingress port",       ipip,       ipip_out,     XDP_TX, 0 },
	{ "ipv4 in ipv4 copies TOS and DF",             ipip_tos_df, ipip_tos_df_out, XDP_TX, 0 },
	{ "dsr rewrites only the MACs",                 dsr,        dsr_out,      XDP_TX, 0 },
	{ "dsr keeps the vlan tag",                     dsr_vlan,   dsr_vlan_out, XDP_TX, 0 },
	{ "backend behind another port: redirect",      redir,      redir_out,    XDP_REDIRECT, 0 },
	{ "ipv6 in ipv4 (backend v4, vip v6)",          v6in4,      v6in4_out,    XDP_TX, 0 },
	{ "ipv4 in ipv6 (backend v6, vip v4)",          v4in6,      v4in6_out,    XDP_TX, 0 },
	{ "vip without a table dropped",                no_ring,    NULL, XDP_DROP, SL_DROP_NO_RING },
	{ "empty table dropped",                        empty_drop, NULL, XDP_DROP, SL_DROP_NO_BACKEND },
	{ "empty table with empty-pass passes",         empty_pass, NULL, XDP_PASS, 0 },
	{ "table naming an unused backend slot",        bad_be,     NULL, XDP_DROP, SL_DROP_BAD_BACKEND },
	{ "backend without a neighbour entry",          no_neigh,   NULL, XDP_DROP, SL_DROP_FIB },
	{ "1480-byte packet + 20 fits a 1500 MTU",      fits,       fits_out,     XDP_TX, 0 },
	{ "1481-byte packet + 20 is too big",           too_big,    NULL, XDP_DROP, SL_DROP_TOO_BIG },
	{ "dsr: 1501-byte packet is too big",           too_big_dsr, NULL, XDP_DROP, SL_DROP_TOO_BIG },
};

/* Maglev: flows spread over a mixed 13-slot table exactly as the shared hash says. */
static void test_maglev_slots(struct lbt *t)
{
	uint32_t ring[13], seen[3] = { 0 };
	static const char *addr[] = { NULL, BE1_ADDR, BE2_ADDR };
	static const uint8_t *mac[] = { NULL, MAC_BE1, MAC_BE2 };
	int good = 0, n = 40;

	for (int i = 0; i < 13; i++)
		ring[i] = (i * 7) % 3 == 0 ? BE2 : BE1;
	lbt_ring(t, 12, ring, 13);
	for (int i = 0; i < n; i++) {
		struct lbt_flow f = { F("198.18.100.12", .sport = 1000 + i * 37) };
		struct sl_flow_key k = lbt_flow_key(&f);
		uint32_t be = ring[sl_ring_slot(lbt_hash(&k, 0), 13) - 1];
		static struct pkt in, want;
		static uint8_t out[PKT_MAX];
		uint32_t len = sizeof(out);

		lbt_build(&in, &f);
		lbt_build_encap(&want, &f, addr[be], mac[be], MAC_LB, 0);
		if (lbt_run(t->prog_fd, t->if_lb, &in, out, &len) == XDP_TX && len == want.len &&
		    !memcmp(out, want.b, len))
			good++;
		seen[be]++;
	}
	is_int(good, n, "maglev: %d flows each on ring[1 + hash %% 13] (be1 %u, be2 %u)", n, seen[1], seen[2]);
	ok(seen[1] && seen[2], "maglev: both backends used");
}

/* A table of another size swaps in atomically (BPF_F_INNER_MAP) and takes effect at once. */
static void test_ring_resize(struct lbt *t)
{
	static struct pkt want, in;
	static uint8_t out[PKT_MAX];
	struct lbt_flow f = { F("198.18.100.1") };
	uint32_t len = sizeof(out);

	lbt_ring_all(t, 1, 1021, BE2);
	lbt_build(&in, &f);
	lbt_build_encap(&want, &f, BE2_ADDR, MAC_BE2, MAC_LB, 0);
	ok(lbt_run(t->prog_fd, t->if_lb, &in, out, &len) == XDP_TX && len == want.len &&
	   !memcmp(out, want.b, len), "a 1021-slot table swapped in for a 7-slot one is used");
	lbt_ring_all(t, 1, 65537, BE1);
	len = sizeof(out);
	lbt_build_encap(&want, &f, BE1_ADDR, MAC_BE1, MAC_LB, 0);
	ok(lbt_run(t->prog_fd, t->if_lb, &in, out, &len) == XDP_TX && len == want.len &&
	   !memcmp(out, want.b, len), "and a 65537-slot table after it");
}

/*
 * Next hops are cached per backend and CPU (sl_nexthops): a neighbour change
 * shows up once the entry is older than a second and the clock is read
 * again (every 64th packet to that backend).
 */
static void test_nexthop_refresh(struct lbt *t)
{
	static const uint8_t new_mac[6] = { 2, 0, 0, 0, 0, 0x12 };
	static struct pkt in, want;
	static uint8_t out[PKT_MAX];
	struct lbt_flow f = { F("198.18.100.1") };
	uint32_t len;
	int v = 0, moved = 0;

	lbt_ring_all(t, 1, 7, BE2);
	lbt_build(&in, &f);
	len = sizeof(out);
	lbt_run(t->prog_fd, t->if_lb, &in, out, &len);
	if (system("ip neigh replace 198.18.0.11 lladdr 02:00:00:00:00:12 dev sl0 nud permanent"))
		diag("ip neigh replace failed");
	len = sizeof(out);
	v = lbt_run(t->prog_fd, t->if_lb, &in, out, &len);
	ok(v == XDP_TX && !memcmp(out, MAC_BE2, 6), "right after a neighbour change the cached MAC is used");
	usleep(1100 * 1000);
	lbt_build_encap(&want, &f, BE2_ADDR, new_mac, MAC_LB, 0);
	for (int i = 0; i < 64 && !moved; i++) {
		len = sizeof(out);
		v = lbt_run(t->prog_fd, t->if_lb, &in, out, &len);
		moved = v == XDP_TX && len == want.len && !memcmp(out, want.b, len);
	}
	ok(moved, "after a second and at most 64 packets the new neighbour MAC is used");
	if (system("ip neigh replace 198.18.0.11 lladdr 02:00:00:00:00:11 dev sl0 nud permanent"))
		diag("ip neigh replace failed");
	lbt_ring_all(t, 1, 7, BE1);
}

static void test_redirect_missing(struct lbt *t)
{
	/* the tunnel is already written when the redirect fails: the dropped frame shows it */
	static const struct xdp_case c = { "egress port missing from sl_tx_ports", redir, redir_out, XDP_DROP, SL_DROP_REDIRECT };
	__u32 k = t->if_dummy;

	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.sl_tx_ports), &k);
	ok(lbt_check(t, t->prog_fd, &c), "%s: DROP", c.name);
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_tx_ports), &k, &k, 0);
}

static void test_stats(struct lbt *t)
{
	struct sl_vip_stats v = lbt_vip_stats(t, 1);
	struct sl_backend_stats b = lbt_be_stats(t, BED);
	struct sl_vip_stats e = lbt_vip_stats(t, 7);

	ok(v.packets == 1 && v.bytes == 54 && v.new_flows == 1,
	   "vip stats count packets, bytes, new flows (%llu, %llu, %llu)", (unsigned long long)v.packets,
	   (unsigned long long)v.bytes, (unsigned long long)v.new_flows);
	ok(b.packets == 1 && b.bytes == 54 && b.new_flows == 1, "backend stats count the redirected packet");
	is_int(e.no_backend, 1, "vip stats count the empty-table packet");
}

int main(void)
{
	struct lbt t;

	lbt_setup(&t);
	lbt_vip(&t, "198.18.100.1", 80, 6, 1, 0);
	lbt_ring_all(&t, 1, 7, BE1);
	lbt_vip(&t, "198.18.100.2", 80, 6, 2, SL_VIP_F_DSR);
	lbt_ring_all(&t, 2, 7, BE1);
	lbt_vip(&t, "198.18.100.3", 80, 6, 3, 0);
	lbt_ring_all(&t, 3, 7, BED);
	lbt_vip(&t, "2001:2:100::4", 80, 6, 4, 0);
	lbt_ring_all(&t, 4, 7, BE1);
	lbt_vip(&t, "198.18.100.5", 80, 6, 5, 0);
	lbt_ring_all(&t, 5, 7, BE6);
	lbt_vip(&t, "198.18.100.6", 80, 6, 6, 0);
	lbt_vip(&t, "198.18.100.7", 80, 6, 7, 0);
	lbt_ring_all(&t, 7, 7, 0);
	lbt_vip(&t, "198.18.100.8", 80, 6, 8, SL_VIP_F_EMPTY_PASS);
	lbt_ring_all(&t, 8, 7, 0);
	lbt_vip(&t, "198.18.100.9", 80, 6, 9, 0);
	lbt_ring_all(&t, 9, 7, BE_UNUSED);
	lbt_vip(&t, "198.18.100.10", 80, 6, 10, 0);
	lbt_ring_all(&t, 10, 7, BE_NONEIGH);
	lbt_vip(&t, "198.18.100.11", 80, 6, 11, 0);
	lbt_ring_all(&t, 11, 7, BE1);
	lbt_vip(&t, "198.18.100.12", 80, 6, 12, 0);

	LBT_CHECK_ALL(&t, t.prog_fd, cases);
	test_stats(&t);
	test_maglev_slots(&t);
	test_ring_resize(&t);
	test_redirect_missing(&t);
	test_nexthop_refresh(&t);
	return done_testing();
}
