// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sl_lb connection tracking: SYN vs established, flows keep their backend across table changes and CPUs, UDP timeout, insert rate, fragments. */
#include <arpa/inet.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lbtest.h"
#include "bpf/lb.skel.h"
#include "../tap.h"

#define TCPF(sp, fl, ...) .src = CLIENT4, .dst = "198.18.100.1", .proto = 6, .sport = sp, .dport = 80, .flags = fl, __VA_ARGS__
#define UDPF(...) .src = CLIENT4, .dst = "198.18.100.2", .proto = 17, .sport = 7000, .dport = 53, __VA_ARGS__

/* flow A (sport 41000) and flow B (sport 41001) */
IN(a_syn, TCPF(41000, TCP_SYN))
IN(a_ack, TCPF(41000, TCP_ACK))
IN(a_synack, TCPF(41000, TCP_SYN | TCP_ACK))
IN(b_ack, TCPF(41001, TCP_ACK))
ENC(a_syn_be1, BE1_ADDR, MAC_BE1, 0, TCPF(41000, TCP_SYN))
ENC(a_ack_be1, BE1_ADDR, MAC_BE1, 0, TCPF(41000, TCP_ACK))
ENC(a_syn_be2, BE2_ADDR, MAC_BE2, 0, TCPF(41000, TCP_SYN))
ENC(a_ack_be2, BE2_ADDR, MAC_BE2, 0, TCPF(41000, TCP_ACK))
ENC(a_synack_be2, BE2_ADDR, MAC_BE2, 0, TCPF(41000, TCP_SYN | TCP_ACK))
ENC(b_ack_be2, BE2_ADDR, MAC_BE2, 0, TCPF(41001, TCP_ACK))
ENC(b_ack_be1, BE1_ADDR, MAC_BE1, 0, TCPF(41001, TCP_ACK))
IN(u, UDPF())
ENC(u_be1, BE1_ADDR, MAC_BE1, 0, UDPF())
ENC(u_be2, BE2_ADDR, MAC_BE2, 0, UDPF())

/* fragments: 198.18.100.3 udp/any hash-src (mixed table), 198.18.100.4 udp/any plain, 2001:2:100::5 udp/any hash-src */
#define FR(d, fr, ...) .src = CLIENT4, .dst = d, .proto = 17, .sport = 9000, .dport = 4789, .frag = fr, .payload = 16, __VA_ARGS__
#define FR6(fr) .src = CLIENT6, .dst = "2001:2:100::5", .proto = 17, .sport = 9000, .dport = 4789, .frag = fr, .payload = 16
IN(f_first, FR("198.18.100.3", 0x2000))
IN(f_later, FR("198.18.100.3", 0x0003))
IN(f_whole, FR("198.18.100.3", 0, .sport = 9999))
IN(p_first, FR("198.18.100.4", 0x2000))
IN(p_later, FR("198.18.100.4", 0x0003))
IN(t_later, .src = CLIENT4, .dst = "198.18.100.1", .proto = 6, .frag = 0x0003, .payload = 16)
IN(f6_first, FR6(0x0001))
IN(f6_later, FR6(0x0018))
ENC(f6_first_out, BE6_ADDR, MAC_BE1, SL_VIP_F_HASH_SRC, FR6(0x0001))
ENC(f6_later_out, BE6_ADDR, MAC_BE1, SL_VIP_F_HASH_SRC, FR6(0x0018))

/* flow C (sport 41002): the tracked-packet fast path (sl_vip_ids) */
IN(c_syn, TCPF(41002, TCP_SYN))
IN(c_ack, TCPF(41002, TCP_ACK))
IN(d_ack, TCPF(41003, TCP_ACK))
ENC(c_syn_be1, BE1_ADDR, MAC_BE1, 0, TCPF(41002, TCP_SYN))
ENC(c_ack_be1, BE1_ADDR, MAC_BE1, 0, TCPF(41002, TCP_ACK))
ENC(c_ack_be2, BE2_ADDR, MAC_BE2, 0, TCPF(41002, TCP_ACK))
static void c_ack_dsr_be1(struct pkt *p)
{
	c_ack(p);
	memcpy(p->b, MAC_BE1, 6);
	memcpy(p->b + 6, MAC_LB, 6);
}
/* a port-0 VIP (198.18.100.4 udp/any) has no sl_vip_ids slot: its tracked flows go the full way */
#define Z(...) .src = CLIENT4, .dst = "198.18.100.4", .proto = 17, .sport = 7100, .dport = 1234, __VA_ARGS__
IN(z, Z())
ENC(z_be1, BE1_ADDR, MAC_BE1, 0, Z())

/* flows E..H (sports 41010..41013): the insert rate */
IN(e_syn, TCPF(41010, TCP_SYN))
IN(f_syn, TCPF(41011, TCP_SYN))
IN(g_syn, TCPF(41012, TCP_SYN))
IN(g_ack, TCPF(41012, TCP_ACK))
IN(h_ack, TCPF(41013, TCP_ACK))
ENC(e_syn_be1, BE1_ADDR, MAC_BE1, 0, TCPF(41010, TCP_SYN))
ENC(f_syn_be1, BE1_ADDR, MAC_BE1, 0, TCPF(41011, TCP_SYN))
ENC(g_syn_be1, BE1_ADDR, MAC_BE1, 0, TCPF(41012, TCP_SYN))
ENC(g_ack_be1, BE1_ADDR, MAC_BE1, 0, TCPF(41012, TCP_ACK))
ENC(g_ack_be2, BE2_ADDR, MAC_BE2, 0, TCPF(41012, TCP_ACK))
ENC(h_ack_be1, BE1_ADDR, MAC_BE1, 0, TCPF(41013, TCP_ACK))
/* an IPv6 datagram to the hash-src udp/any VIP 2001:2:100::5 (unfragmented: tracked like any flow) */
#define U6() .src = CLIENT6, .dst = "2001:2:100::5", .proto = 17, .sport = 9100, .dport = 4789, .payload = 16
IN(u6, U6())
ENC(u6_out, BE6_ADDR, MAC_BE1, SL_VIP_F_HASH_SRC, U6())

static uint32_t frag_ring[13];
static const char *be_addr[] = { NULL, BE1_ADDR, BE2_ADDR };
static const uint8_t *be_mac[] = { NULL, MAC_BE1, MAC_BE2 };

/* the backend a hash-src VIP gives CLIENT4 */
static uint32_t frag_be(void)
{
	struct sl_flow_key k = lbt_key(CLIENT4, "198.18.100.3", 0, 0, 17);

	return frag_ring[sl_ring_slot(lbt_hash(&k, SL_VIP_F_HASH_SRC), 13) - 1];
}
static void f_first_out(struct pkt *p)
{
	struct lbt_flow f = { FR("198.18.100.3", 0x2000) };

	lbt_build_encap(p, &f, be_addr[frag_be()], be_mac[frag_be()], MAC_LB, SL_VIP_F_HASH_SRC);
}
static void f_later_out(struct pkt *p)
{
	struct lbt_flow f = { FR("198.18.100.3", 0x0003) };

	lbt_build_encap(p, &f, be_addr[frag_be()], be_mac[frag_be()], MAC_LB, SL_VIP_F_HASH_SRC);
}
static void f_whole_out(struct pkt *p)
{
	struct lbt_flow f = { FR("198.18.100.3", 0, .sport = 9999) };

	lbt_build_encap(p, &f, be_addr[frag_be()], be_mac[frag_be()], MAC_LB, SL_VIP_F_HASH_SRC);
}

static const struct xdp_case frag_cases[] = {
	{ "hash-src vip: first fragment to the source's backend", f_first,  f_first_out, XDP_TX, 0 },
	{ "hash-src vip: later fragment to the same backend",     f_later,  f_later_out, XDP_TX, 0 },
	{ "hash-src vip: unfragmented datagram, same source, same backend", f_whole, f_whole_out, XDP_TX, 0 },
	{ "port-hashing vip: first fragment dropped",             p_first,  NULL, XDP_DROP, SL_DROP_FRAG },
	{ "port-hashing vip: later fragment dropped",             p_later,  NULL, XDP_DROP, SL_DROP_FRAG },
	{ "later fragment to a port-specific vip passes (no ports to match)", t_later, NULL, XDP_PASS, 0 },
	{ "ipv6 first fragment (hash-src vip)",                   f6_first, f6_first_out, XDP_TX, 0 },
	{ "ipv6 later fragment (hash-src vip)",                   f6_later, f6_later_out, XDP_TX, 0 },
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ct_get(): a flow's entry; false when absent. */
static bool ct_get(struct lbt *t, const struct lbt_flow *f, struct sl_ct_value *out)
{
	struct sl_flow_key k = lbt_flow_key(f);

	return !bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.sl_conntrack), &k, out);
}

static void ct_put(struct lbt *t, const struct lbt_flow *f, uint32_t vip, uint32_t be, uint64_t last_seen)
{
	struct sl_ct_value v = { .backend_id = be, .vip_id = vip, .last_seen_ns = last_seen };
	struct sl_flow_key k = lbt_flow_key(f);

	bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_conntrack), &k, &v, 0);
}

#define CHECK(t, name, in, want, verdict) do {                                  \
	static const struct xdp_case _c = { name, in, want, verdict, 0 };        \
	ok(lbt_check(t, (t)->prog_fd, &_c), "%s", name);                         \
} while (0)

static void test_tcp(struct lbt *t)
{
	struct sl_vip_stats s;

	CHECK(t, "syn of flow A goes to be1 (table: all be1)", a_syn, a_syn_be1, XDP_TX);
	lbt_ring_all(t, 1, 7, BE2);
	CHECK(t, "table now all be2: established A stays on be1", a_ack, a_ack_be1, XDP_TX);
	CHECK(t, "non-syn of untracked flow B asks Maglev: be2", b_ack, b_ack_be2, XDP_TX);
	CHECK(t, "a new syn on A's 5-tuple asks Maglev again: be2", a_syn, a_syn_be2, XDP_TX);
	CHECK(t, "and A's next packets follow it to be2", a_ack, a_ack_be2, XDP_TX);
	CHECK(t, "syn+ack is not a new flow: tracked be2", a_synack, a_synack_be2, XDP_TX);
	s = lbt_vip_stats(t, 1);
	is_int(s.ct_miss_syn, 1, "stats: 1 syn without an entry");
	is_int(s.ct_hit_syn, 1, "stats: 1 syn over an existing entry");
	is_int(s.ct_hit, 3, "stats: 3 tracked non-syn packets");
	is_int(s.ct_miss, 1, "stats: 1 untracked non-syn packet");
	is_int(s.new_flows, 3, "stats: 3 Maglev picks");

	/* B's backend leaves sl_backends: B re-picks from the table rather than being dropped */
	lbt_ring_all(t, 1, 7, BE1);
	{
		struct sl_backend none = {};
		__u32 id = BE2;

		bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_backends), &id, &none, 0);
	}
	CHECK(t, "tracked backend slot cleared: flow re-picked (be1)", b_ack, b_ack_be1, XDP_TX);
	lbt_backend(t, BE2, BE2_ADDR);

	/* one table for every CPU: a flow tracked on CPU 0 keeps its backend on CPU 1 */
	if (libbpf_num_possible_cpus() > 1) {
		cpu_set_t cpus;

		lbt_ring_all(t, 1, 7, BE2);
		CHECK(t, "syn of flow A on cpu 0 goes to be2", a_syn, a_syn_be2, XDP_TX);
		lbt_ring_all(t, 1, 7, BE1);
		CPU_ZERO(&cpus);
		CPU_SET(1, &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus) == 0) {
			CHECK(t, "table now be1: on cpu 1, A still goes to be2", a_ack, a_ack_be2, XDP_TX);
			CPU_ZERO(&cpus);
			CPU_SET(0, &cpus);
			sched_setaffinity(0, sizeof(cpus), &cpus);
		} else {
			ok(1, "flow found from cpu 1 # SKIP cannot move to cpu 1");
		}
	} else {
		ok(1, "syn on cpu 0 # SKIP one CPU");
		ok(1, "flow found from cpu 1 # SKIP one CPU");
	}

	/* the VIP gets another id (a reload renumbered it): its old entries are not trusted */
	lbt_ring_all(t, 9, 7, BE2);
	lbt_vip(t, "198.18.100.1", 80, 6, 9, 0);
	CHECK(t, "vip renumbered: B's entry (vip 1) ignored, picked from vip 9's table (be2)", b_ack, b_ack_be2, XDP_TX);
	lbt_vip(t, "198.18.100.1", 80, 6, 1, 0);
}

/* vip_id_slot(): what sl_vip_ids holds for @id */
static struct sl_vip_id_entry vip_id_slot(struct lbt *t, uint32_t id)
{
	struct sl_vip_id_entry e = {};

	bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.sl_vip_ids), &id, &e);
	return e;
}

/*
 * A tracked flow's packet finds its VIP by the entry's id in sl_vip_ids,
 * written by the control plane's l4_maps_set_vip(): whatever that table
 * says, the answer is the one the full sl_vips match gives.
 */
static void test_fast_path(struct lbt *t)
{
	struct sl_vip_id_entry e = vip_id_slot(t, 1), junk;
	struct sl_vip_stats s0 = lbt_vip_stats(t, 1), s1;
	__u32 id = 1;

	ok(e.meta.id == 1 && e.key.port == htons(80) && e.key.proto == 6, "sl_vip_ids[1] holds vip 1's key");
	ok(vip_id_slot(t, 4).key.family == 0, "a port-0 vip has no sl_vip_ids slot");
	lbt_ring_all(t, 1, 7, BE1);
	CHECK(t, "fast path: syn of C to be1", c_syn, c_syn_be1, XDP_TX);
	lbt_ring_all(t, 1, 7, BE2);
	CHECK(t, "fast path: table now be2, tracked C stays on be1", c_ack, c_ack_be1, XDP_TX);
	s1 = lbt_vip_stats(t, 1);
	ok(s1.ct_hit == s0.ct_hit + 1 && s1.packets == s0.packets + 2, "fast path: counted as a conntrack hit of vip 1");

	/* proof of the path taken: without its sl_vips entry (a state the control plane never leaves) */
	{
		struct sl_vip_key k = e.key;

		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.sl_vips), &k);
		CHECK(t, "fast path taken: no sl_vips lookup for tracked C (be1)", c_ack, c_ack_be1, XDP_TX);
		CHECK(t, "while an untracked flow to it is no VIP's (pass)", d_ack, NULL, XDP_PASS);
		bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_vips), &k, &e.meta, 0);
	}
	lbt_vip(t, "198.18.100.1", 80, 6, 1, SL_VIP_F_DSR);
	CHECK(t, "fast path: the vip turned DSR, tracked C goes out DSR to be1", c_ack, c_ack_dsr_be1, XDP_TX);
	lbt_vip(t, "198.18.100.1", 80, 6, 1, 0);

	/* a slot that says something else (stale, foreign, torn): the full match decides */
	junk = e;
	junk.key.addr[0] ^= htonl(1);
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_vip_ids), &id, &junk, 0);
	CHECK(t, "sl_vip_ids slot for another address: full match, C still on be1", c_ack, c_ack_be1, XDP_TX);
	memset(&junk, 0, sizeof(junk));
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_vip_ids), &id, &junk, 0);
	CHECK(t, "empty sl_vip_ids slot (an older control plane): C still on be1", c_ack, c_ack_be1, XDP_TX);
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_vip_ids), &id, &e, 0);

	lbt_vip_del(t, "198.18.100.1", 80, 6);
	ok(vip_id_slot(t, 1).key.family == 0, "vip removed: its sl_vip_ids slot is cleared");
	CHECK(t, "vip removed: tracked C is no VIP's traffic any more (pass)", c_ack, NULL, XDP_PASS);
	lbt_vip(t, "198.18.100.1", 80, 6, 1, 0);
	CHECK(t, "vip back (same id): tracked C on be1 again", c_ack, c_ack_be1, XDP_TX);

	/* vip 1's id given to another address, and vip 1 renumbered 9: C's entry (vip 1) is stale */
	lbt_ring_all(t, 9, 7, BE2);
	lbt_vip(t, "198.18.100.1", 80, 6, 9, 0);
	lbt_vip(t, "198.18.100.9", 80, 6, 1, 0);
	CHECK(t, "id reused by another vip: C re-picked from its vip's new table (be2)", c_ack, c_ack_be2, XDP_TX);
	lbt_vip_del(t, "198.18.100.9", 80, 6);
	lbt_vip(t, "198.18.100.1", 80, 6, 1, 0);
	lbt_ring_all(t, 1, 7, BE1);

	CHECK(t, "port-0 vip: first udp packet to be1", z, z_be1, XDP_TX);
	lbt_ring_all(t, 4, 7, BE2);
	CHECK(t, "port-0 vip: tracked the full way, stays on be1", z, z_be1, XDP_TX);
	lbt_ring_all(t, 4, 7, BE1);
}

static void test_udp(struct lbt *t)
{
	struct lbt_flow f = { UDPF() };
	struct sl_ct_value v;
	uint64_t now;

	CHECK(t, "udp flow goes to be1", u, u_be1, XDP_TX);
	lbt_ring_all(t, 2, 7, BE2);
	CHECK(t, "table now be2: fresh udp entry keeps be1", u, u_be1, XDP_TX);

	ct_put(t, &f, 2, BE1, mono_ns() - 31000000000ULL);
	CHECK(t, "entry idle 31 s (timeout 30 s) is ignored: be2", u, u_be2, XDP_TX);
	ok(ct_get(t, &f, &v) && v.backend_id == BE2 && mono_ns() - v.last_seen_ns < 1000000000ULL,
	   "the re-pick was stored with a fresh last_seen");

	ct_put(t, &f, 2, BE1, mono_ns() - 5000000000ULL);
	CHECK(t, "entry idle 5 s is used: be1", u, u_be1, XDP_TX);
	ok(ct_get(t, &f, &v) && v.backend_id == BE1 && mono_ns() - v.last_seen_ns < 1000000000ULL,
	   "and its last_seen refreshed");

	now = mono_ns() - 300000000ULL;
	ct_put(t, &f, 2, BE1, now);
	CHECK(t, "entry idle 0.3 s is used: be1", u, u_be1, XDP_TX);
	ok(ct_get(t, &f, &v) && v.last_seen_ns == now, "and not rewritten (refresh at most once a second)");

	t->cfg.udp_timeout_ns = 1000000000ULL;
	lbt_config(t);
	ct_put(t, &f, 2, BE1, mono_ns() - 2000000000ULL);
	CHECK(t, "udp_timeout_ns 1 s from sl_config: 2 s idle re-picks be2", u, u_be2, XDP_TX);
	t->cfg.udp_timeout_ns = SL_UDP_TIMEOUT_NS;
	lbt_config(t);
}

/* rate_set(): every CPU's sl_ct_rate: a window begun @age_ns ago with @inserts made in it */
static void rate_set(struct lbt *t, uint64_t age_ns, uint64_t inserts)
{
	int n = libbpf_num_possible_cpus();
	struct sl_ct_rate r[n];
	__u32 zero = 0;

	for (int i = 0; i < n; i++)
		r[i] = (struct sl_ct_rate){ .window_ns = mono_ns() - age_ns, .inserts = inserts };
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_ct_rate), &zero, r, 0);
}

/* rate_cpu(): the sl_ct_rate entry of the CPU this test runs on (pinned to one by test_tcp) */
static struct sl_ct_rate rate_cpu(struct lbt *t)
{
	int n = libbpf_num_possible_cpus(), cpu = sched_getcpu();
	struct sl_ct_rate r[n], none = {};
	__u32 zero = 0;

	if (cpu < 0 || cpu >= n || bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.sl_ct_rate), &zero, r))
		return none;
	return r[cpu];
}

/*
 * sl_config.ct_insert_rate: past it in a window, new flows are forwarded by
 * their Maglev pick without an entry (counted untracked); a window a second
 * old starts afresh.
 */
static void test_rate(struct lbt *t)
{
	struct lbt_flow e = { TCPF(41010, TCP_SYN) }, f = { TCPF(41011, TCP_SYN) };
	struct lbt_flow g = { TCPF(41012, TCP_SYN) }, h = { TCPF(41013, TCP_ACK) }, a = { TCPF(41000, TCP_SYN) };
	struct lbt_flow u6f = { U6() };
	struct sl_vip_stats s0, s1;
	struct sl_ct_value v;
	struct sl_ct_rate r;

	lbt_ring_all(t, 1, 7, BE1);
	t->cfg.ct_insert_rate = 2;
	lbt_config(t);
	rate_set(t, 0, 0);
	s0 = lbt_vip_stats(t, 1);
	CHECK(t, "rate 2: syn of E to be1", e_syn, e_syn_be1, XDP_TX);
	CHECK(t, "rate 2: syn of F to be1", f_syn, f_syn_be1, XDP_TX);
	ok(ct_get(t, &e, &v) && v.backend_id == BE1 && ct_get(t, &f, &v), "E and F tracked (2 inserts)");
	CHECK(t, "rate reached: syn of G still forwarded by its pick (be1)", g_syn, g_syn_be1, XDP_TX);
	ok(!ct_get(t, &g, &v), "but G is not tracked");
	CHECK(t, "untracked G's next packet asks Maglev: be1", g_ack, g_ack_be1, XDP_TX);
	CHECK(t, "non-syn of new flow H over the rate: forwarded (be1)", h_ack, h_ack_be1, XDP_TX);
	ok(!ct_get(t, &g, &v) && !ct_get(t, &h, &v), "neither G nor H inserted");
	CHECK(t, "an IPv6 flow over the rate: forwarded by its pick", u6, u6_out, XDP_TX);
	ok(!ct_get(t, &u6f, &v), "and not tracked either");
	s1 = lbt_vip_stats(t, 1);
	is_int(s1.untracked - s0.untracked, 3, "stats: 3 packets of untracked flows");
	is_int(s1.ct_miss_syn - s0.ct_miss_syn, 3, "stats: 3 syns without an entry (E, F, G)");
	is_int(s1.new_flows - s0.new_flows, 5, "stats: 5 Maglev picks");

	lbt_ring_all(t, 1, 7, BE2);
	CHECK(t, "untracked G follows the table: be2 (what tracking prevents)", g_ack, g_ack_be2, XDP_TX);
	/* the trade-off, as in Katran: over the rate a SYN is not looked up, so an older entry stays */
	ct_put(t, &a, 1, BE1, 0);
	CHECK(t, "over the rate, a syn on tracked A's 5-tuple asks Maglev: be2", a_syn, a_syn_be2, XDP_TX);
	ok(ct_get(t, &a, &v) && v.backend_id == BE1, "A's entry is not looked at: it keeps be1");
	CHECK(t, "so A's next packets go to be1", a_ack, a_ack_be1, XDP_TX);

	lbt_ring_all(t, 1, 7, BE1);
	rate_set(t, 2000000000ULL, 2);
	CHECK(t, "window 2 s old: syn of G to be1", g_syn, g_syn_be1, XDP_TX);
	r = rate_cpu(t);
	ok(ct_get(t, &g, &v) && v.backend_id == BE1, "a new window: G tracked");
	ok(r.inserts == 1 && mono_ns() - r.window_ns < 1000000000ULL, "the window restarted now with 1 insert");

	t->cfg.ct_insert_rate = 0;
	lbt_config(t);
	rate_set(t, 0, 1000000);
	CHECK(t, "rate 0 = no limit: non-syn of new flow H to be1", h_ack, h_ack_be1, XDP_TX);
	ok(ct_get(t, &h, &v) && v.backend_id == BE1, "H tracked whatever the count");
	CHECK(t, "rate 0: the IPv6 flow again", u6, u6_out, XDP_TX);
	ok(ct_get(t, &u6f, &v) && v.backend_id == BE6, "now tracked");
}

static void test_frag(struct lbt *t)
{
	struct lbt_flow f = { FR("198.18.100.3", 0x2000) };
	struct sl_ct_value v;

	LBT_CHECK_ALL(t, t->prog_fd, frag_cases);
	ok(!ct_get(t, &f, &v), "fragments leave no conntrack entry");
}

int main(void)
{
	struct lbt t;

	lbt_setup(&t);
	lbt_vip(&t, "198.18.100.1", 80, 6, 1, 0);
	lbt_ring_all(&t, 1, 7, BE1);
	lbt_vip(&t, "198.18.100.2", 53, 17, 2, 0);
	lbt_ring_all(&t, 2, 7, BE1);
	lbt_vip(&t, "198.18.100.3", 0, 17, 3, SL_VIP_F_HASH_SRC);
	for (int i = 0; i < 13; i++)
		frag_ring[i] = i % 2 ? BE2 : BE1;
	lbt_ring(&t, 3, frag_ring, 13);
	lbt_vip(&t, "198.18.100.4", 0, 17, 4, 0);
	lbt_ring_all(&t, 4, 7, BE1);
	lbt_vip(&t, "2001:2:100::5", 0, 17, 5, SL_VIP_F_HASH_SRC);
	lbt_ring_all(&t, 5, 7, BE6);

	test_tcp(&t);
	test_fast_path(&t);
	test_udp(&t);
	test_rate(&t);
	test_frag(&t);
	return done_testing();
}
