// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sl_decap: each tunnel kind stripped to the inner packet with the right ethertype; everything else (and tunnels to unlisted addresses) untouched. */
#include <arpa/inet.h>
#include <string.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lbtest.h"
#include "bpf/decap.skel.h"
#include "../tap.h"

#define V4(...) .src = CLIENT4, .dst = "198.18.100.1", .proto = 6, .sport = 40000, .dport = 80, .flags = TCP_ACK, .payload = 20, __VA_ARGS__
#define V6(...) .src = CLIENT6, .dst = "2001:2:100::1", .proto = 17, .sport = 40000, .dport = 53, .payload = 9, __VA_ARGS__

/* tunnelled input: what sl_lb sends to BE1 / BE6 */
ENC(t44, BE1_ADDR, MAC_BE1, 0, V4())
ENC(t64, BE1_ADDR, MAC_BE1, 0, V6())
ENC(t66, BE6_ADDR, MAC_BE1, 0, V6())
ENC(t46, BE6_ADDR, MAC_BE1, 0, V4())
ENC(t44v, BE1_ADDR, MAC_BE1, 0, V4(.vlan = 100))

/* expected: the inner packet in a frame with the tunnel frame's MACs */
static void inner(struct pkt *p, const struct lbt_flow *f)
{
	lbt_build(p, f);
	memcpy(p->b, MAC_BE1, 6);
	memcpy(p->b + 6, MAC_LB, 6);
}
#define INNER(fn, ...) static void fn(struct pkt *p) { struct lbt_flow f = { __VA_ARGS__ }; inner(p, &f); }
INNER(i4, V4())
INNER(i6, V6())
INNER(i4v, V4(.vlan = 100))

/* outer IPv4 with 8 bytes of options: the whole outer header goes */
static void t44opt(struct pkt *p)
{
	static struct pkt in;
	struct lbt_flow f = { V4() };
	struct ip_spec o = { .fam = 4, .src = "198.18.0.64", .dst = BE1_ADDR, .opts = 8 };

	lbt_build(&in, &f);
	pkt_encap(p, &in, MAC_BE1, MAC_LB, 0, &o);
}
/* an outer fragment: left to the stack */
static void t44frag(struct pkt *p)
{
	static struct pkt in;
	struct lbt_flow f = { V4() };
	struct ip_spec o = { .fam = 4, .src = "198.18.0.64", .dst = BE1_ADDR, .frag = 0x2000 };

	lbt_build(&in, &f);
	pkt_encap(p, &in, MAC_BE1, MAC_LB, 0, &o);
}
static void t44cut(struct pkt *p)
{
	t44(p);
	p->len = 14 + 20 + 10;
}
IN(plain, V4())
IN(plain6, V6())
IN(gre, .src = CLIENT4, .dst = BE1_ADDR, .proto = 47, .payload = 40)
static void arp(struct pkt *p)
{
	pkt_eth(p, MAC_LB, MAC_PEER, 0);
	p->b[12] = 0x08; p->b[13] = 0x06;
	pkt_payload(p, 28);
}

static const struct xdp_case cases[] = {
	{ "ipv4 in ipv4 stripped",                    t44,     i4,  XDP_PASS, 0 },
	{ "ipv6 in ipv4 stripped, ethertype 86dd",    t64,     i6,  XDP_PASS, 0 },
	{ "ipv6 in ipv6 stripped",                    t66,     i6,  XDP_PASS, 0 },
	{ "ipv4 in ipv6 stripped, ethertype 0800",    t46,     i4,  XDP_PASS, 0 },
	{ "vlan-tagged tunnel keeps its tag",         t44v,    i4v, XDP_PASS, 0 },
	{ "outer ipv4 options stripped with it",      t44opt,  i4,  XDP_PASS, 0 },
	{ "outer fragment untouched",                 t44frag, NULL, XDP_PASS, 0 },
	{ "tunnel without a whole inner header untouched", t44cut, NULL, XDP_PASS, 0 },
	{ "plain tcp untouched",                      plain,   NULL, XDP_PASS, 0 },
	{ "plain udp over ipv6 untouched",            plain6,  NULL, XDP_PASS, 0 },
	{ "gre untouched",                            gre,     NULL, XDP_PASS, 0 },
	{ "arp untouched",                            arp,     NULL, XDP_PASS, 0 },
};

/* with sl_decap_dsts = { BED_ADDR, BE6_ADDR }: BE1's tunnels are someone else's */
static const struct xdp_case listed_cases[] = {
	{ "listed: ipv6 tunnel to BE6 stripped",      t66,     i6,  XDP_PASS, 0 },
	{ "unlisted: ipv4 tunnel to BE1 untouched",   t44,     NULL, XDP_PASS, 0 },
	{ "unlisted: ipv6-in-ipv4 to BE1 untouched",  t64,     NULL, XDP_PASS, 0 },
};
/* and BE1_ADDR added in the last slot */
static const struct xdp_case listed_cases2[] = {
	{ "listed in the last slot: ipv4 tunnel to BE1 stripped", t44, i4, XDP_PASS, 0 },
};

int main(void)
{
	struct lbt t = { 0 };
	struct decap *d;
	struct bpf_map *m;
	__u64 cnt[libbpf_num_possible_cpus()], sum = 0;
	__u32 k;

	lbt_netns();
	d = decap__open();
	if (!d)
		skip_all("cannot open the decap skeleton");
	bpf_object__for_each_map(m, d->obj)
		bpf_map__set_pin_path(m, NULL);
	if (decap__load(d))
		skip_all("cannot load sl_decap");
	t.if_lb = if_nametoindex("sl0");

	LBT_CHECK_ALL(&t, bpf_program__fd(d->progs.sl_decap), cases);
	/* sl_decap_dsts filled: only tunnels to a listed address are stripped */
	{
		struct sl_decap_dst d4 = { .family = SL_AF_INET }, d6 = { .family = SL_AF_INET6 };
		int fd = bpf_map__fd(d->maps.sl_decap_dsts);

		inet_pton(AF_INET, BED_ADDR, d4.addr);      /* another address of this host first */
		inet_pton(AF_INET6, BE6_ADDR, d6.addr);
		k = 3;
		bpf_map_update_elem(fd, &k, &d4, 0);
		k = 7;
		bpf_map_update_elem(fd, &k, &d6, 0);
		LBT_CHECK_ALL(&t, bpf_program__fd(d->progs.sl_decap), listed_cases);
		inet_pton(AF_INET, BE1_ADDR, d4.addr);
		k = 15;
		bpf_map_update_elem(fd, &k, &d4, 0);
		LBT_CHECK_ALL(&t, bpf_program__fd(d->progs.sl_decap), listed_cases2);
	}
	{
		__u32 f = SL_DECAP_FOREIGN;

		sum = 0;
		if (!bpf_map_lookup_elem(bpf_map__fd(d->maps.sl_decap_pkts), &f, cnt))
			for (int i = 0; i < libbpf_num_possible_cpus(); i++)
				sum += cnt[i];
		is_int(sum, 2, "tunnels to unlisted addresses counted apart (SL_DECAP_FOREIGN)");
		sum = 0;
	}
	for (k = 0; k < 2; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(d->maps.sl_decap_pkts), &k, cnt))
			continue;
		for (int i = 0; i < libbpf_num_possible_cpus(); i++)
			sum += cnt[i];
	}
	is_int(sum, 6 + 2, "sl_decap_pkts counts the 8 decapsulated packets");
	decap__destroy(d);
	return done_testing();
}
