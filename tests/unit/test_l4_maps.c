// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* l4_maps against real BPF maps of the balancer's layouts: ring swap and read-back, per-CPU sums, VIP address counts, conntrack lookup. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "l4/l4_maps.h"
#include "lib/log.h"
#include "sluice/flow_hash.h"
#include "../tap.h"

static int mk(enum bpf_map_type t, __u32 ks, __u32 vs, __u32 n, const struct bpf_map_create_opts *o)
{
	return bpf_map_create(t, NULL, ks, vs, n, o);
}

int main(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, inner_opts, .map_flags = BPF_F_INNER_MAP);
	LIBBPF_OPTS(bpf_map_create_opts, outer_opts);
	struct l4_maps m = { .tx_ports = -1 };
	uint32_t ids7[7] = { 1, 2, 3, 1, 2, 3, 0 }, ids11[11], *got = NULL, size = 0;
	int inner, nc;

	log_set_level(LOG_LVL_ERR);
	nc = m.ncpus = libbpf_num_possible_cpus();
	inner = mk(BPF_MAP_TYPE_ARRAY, 4, 4, 8, &inner_opts);
	if (inner < 0)
		skip_all("cannot create BPF maps (needs root / CAP_BPF)");
	outer_opts.inner_map_fd = inner;
	m.rings = mk(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 16, &outer_opts);
	close(inner);
	m.vips = mk(BPF_MAP_TYPE_HASH, sizeof(struct sl_vip_key), sizeof(struct sl_vip_meta), 64, NULL);
	m.backends = mk(BPF_MAP_TYPE_ARRAY, 4, sizeof(struct sl_backend), 64, NULL);
	{
		LIBBPF_OPTS(bpf_map_create_opts, ct_opts, .map_flags = BPF_F_NO_COMMON_LRU);

		m.conntrack = mk(BPF_MAP_TYPE_LRU_HASH, sizeof(struct sl_flow_key), sizeof(struct sl_ct_value), 1024, &ct_opts);
	}
	m.config = mk(BPF_MAP_TYPE_ARRAY, 4, sizeof(struct sl_config), 1, NULL);
	m.vip_stats = mk(BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct sl_vip_stats), 16, NULL);
	m.be_stats = mk(BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct sl_backend_stats), 64, NULL);
	m.drops = mk(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, SL_DROP_MAX, NULL);
	m.vip_addrs = mk(BPF_MAP_TYPE_ARRAY, 4, sizeof(struct sl_vip_addr_count), 1U << SL_VIP_ADDR_BITS, NULL);
	m.vip_ids = mk(BPF_MAP_TYPE_ARRAY, 4, sizeof(struct sl_vip_id_entry), SL_MAX_VIPS, NULL);
	ok(m.rings >= 0 && m.vips >= 0 && m.backends >= 0 && m.conntrack >= 0 && m.config >= 0 &&
	   m.vip_stats >= 0 && m.be_stats >= 0 && m.drops >= 0 && m.vip_addrs >= 0 && m.vip_ids >= 0,
	   "maps of the balancer's layouts");

	/* Rings: install, read back, swap for a bigger one. */
	is_int(l4_maps_get_ring(&m, 3, &got, &size), -ENOENT, "no ring yet: -ENOENT");
	is_int(l4_maps_set_ring(&m, 3, ids7, 7), 0, "install a 7-slot ring");
	ok(!l4_maps_get_ring(&m, 3, &got, &size) && size == 7 && !memcmp(got, ids7, sizeof(ids7)),
	   "read back: slot 0 holds M, slots 1..M the ids");
	free(got);
	for (int i = 0; i < 11; i++)
		ids11[i] = 1 + i % 2;
	is_int(l4_maps_set_ring(&m, 3, ids11, 11), 0, "swap in an 11-slot ring (inner maps of any size)");
	ok(!l4_maps_get_ring(&m, 3, &got, &size) && size == 11 && !memcmp(got, ids11, sizeof(ids11)), "the new one is read");
	free(got);
	is_int(l4_maps_del_ring(&m, 3), 0, "delete");
	is_int(l4_maps_del_ring(&m, 3), 0, "delete again: not an error");

	/* Per-CPU counters are summed. */
	{
		struct sl_vip_stats *pc = calloc(nc, sizeof(*pc)), sum;
		uint64_t *dr = calloc(nc, 8), drops[SL_DROP_MAX];
		__u32 k = 2, r = SL_DROP_FIB;

		for (int c = 0; c < nc; c++) {
			pc[c].packets = 10 + c;
			pc[c].ct_miss_syn = 1;
			dr[c] = 5;
		}
		bpf_map_update_elem(m.vip_stats, &k, pc, BPF_ANY);
		bpf_map_update_elem(m.drops, &r, dr, BPF_ANY);
		ok(!l4_maps_vip_stats(&m, 2, &sum) && sum.packets == (uint64_t)(10 * nc + nc * (nc - 1) / 2) &&
		   sum.ct_miss_syn == (uint64_t)nc, "VIP counters summed over %d CPUs", nc);
		ok(!l4_maps_drops(&m, drops) && drops[SL_DROP_FIB] == (uint64_t)(5 * nc) && drops[SL_DROP_FRAG] == 0,
		   "drop counters summed by reason");
		is_int(l4_maps_zero_vip_stats(&m, 2), 0, "zero a VIP's counters");
		ok(!l4_maps_vip_stats(&m, 2, &sum) && sum.packets == 0, "and they read 0");
		free(pc);
		free(dr);
	}

	/* sl_config from the config. */
	{
		struct cfg_l4 l4 = { .tunnel_src4_bits = 16, .udp_timeout_ms = 30000, .hash_seed = 7, .icmp_echo = true,
				     .conntrack_insert_rate = 5000 };
		struct sl_config c;
		__u32 k = 0;

		inet_pton(AF_INET, "198.19.0.0", &l4.tunnel_src4.v4);
		ok(!l4_maps_set_config(&m, &l4) && !bpf_map_lookup_elem(m.config, &k, &c) &&
		   c.tunnel_src4_mask == htonl(0xffff) && c.hash_seed == 7 && c.udp_timeout_ns == 30000000000ULL &&
		   c.flags == (SL_CFG_F_ICMP_ECHO | SL_CFG_F_NO_PORT0 | SL_CFG_F_VIP_ADDRS) &&
		   c.tunnel_src4 == l4.tunnel_src4.v4.s_addr && c.ct_insert_rate == 5000,
		   "sl_config: tunnel source and mask, seed, UDP timeout, echo, no-port-0 and vip-addrs flags, insert rate");
		{
			struct cfg_vip vips[2] = { { .port = 80 }, { .port = 0 } };

			l4.vips = vips;
			l4.n_vips = 2;
			ok(!l4_maps_set_config(&m, &l4) && !bpf_map_lookup_elem(m.config, &k, &c) &&
			   !(c.flags & SL_CFG_F_NO_PORT0), "a port-0 VIP clears SL_CFG_F_NO_PORT0");
		}
	}

	/* sl_vip_addrs counts every sl_vips entry by address slot; set_config recounts from sl_vips. */
	{
		struct sl_vip_key a = { .port = htons(80), .proto = IPPROTO_TCP, .family = SL_AF_INET };
		struct sl_vip_key a0 = a, b = a;
		struct sl_vip_meta meta = { .id = 1 };
		struct sl_vip_addr_count c, zero = { 0 }, junk = { .all = 5, .port0 = 1 };
		struct cfg_l4 l4 = { .tunnel_src4_bits = 8 };
		__u32 sa, sb;

		inet_pton(AF_INET, "198.18.100.1", a.addr);
		inet_pton(AF_INET, "198.18.100.1", a0.addr);
		a0.port = 0;
		inet_pton(AF_INET, "198.18.100.77", b.addr);
		sa = sl_vip_addr_slot(a.addr);
		sb = sl_vip_addr_slot(b.addr);
		ok(!l4_maps_set_vip(&m, &a, &meta) && !l4_maps_set_vip(&m, &a, &meta) &&
		   !l4_maps_set_vip(&m, &a0, &meta) && !bpf_map_lookup_elem(m.vip_addrs, &sa, &c) &&
		   c.all == 2 && c.port0 == 1, "two entries of one address: counted once each, port 0 apart");
		ok(!l4_maps_del_vip(&m, &a0) && !l4_maps_del_vip(&m, &a0) && !bpf_map_lookup_elem(m.vip_addrs, &sa, &c) &&
		   c.all == 1 && c.port0 == 0, "deleting (twice) uncounts once");
		/* counts lost (a pin from a build without them): set_config recounts */
		bpf_map_update_elem(m.vip_addrs, &sa, &zero, BPF_ANY);
		if (sa != sb)
			bpf_map_update_elem(m.vip_addrs, &sb, &junk, BPF_ANY);
		ok(!l4_maps_set_config(&m, &l4) && !bpf_map_lookup_elem(m.vip_addrs, &sa, &c) && c.all == 1 &&
		   (sa == sb || (!bpf_map_lookup_elem(m.vip_addrs, &sb, &c) && c.all == 0)),
		   "set_config rebuilds the counts from sl_vips");
		l4_maps_del_vip(&m, &a);
		ok(!bpf_map_lookup_elem(m.vip_addrs, &sa, &c) && c.all == 0, "and the last delete empties the slot");
	}

	/* sl_vip_ids: the exact-port entry of each VIP id, in step with sl_vips */
	{
		struct sl_vip_key a = { .port = htons(443), .proto = IPPROTO_TCP, .family = SL_AF_INET }, a0, icmp;
		struct sl_vip_meta m3 = { .id = 3, .flags = SL_VIP_F_DSR }, m4 = { .id = 4 };
		struct sl_vip_id_entry e, zero = { 0 };
		struct cfg_l4 l4 = { .tunnel_src4_bits = 8 };
		__u32 id3 = 3, id4 = 4, id5 = 5;

		inet_pton(AF_INET, "198.18.100.5", a.addr);
		a0 = a;
		a0.port = 0;
		icmp = a0;
		icmp.proto = IPPROTO_ICMP;
		ok(!l4_maps_set_vip(&m, &a, &m3) && !bpf_map_lookup_elem(m.vip_ids, &id3, &e) &&
		   !memcmp(&e.key, &a, sizeof(a)) && e.meta.id == 3 && e.meta.flags == SL_VIP_F_DSR,
		   "sl_vip_ids: an exact-port VIP's key and value at its id");
		ok(!l4_maps_set_vip(&m, &icmp, &m3) && !bpf_map_lookup_elem(m.vip_ids, &id3, &e) &&
		   !memcmp(&e.key, &a, sizeof(a)), "its ICMP echo entry (same id) leaves the slot alone");
		ok(!l4_maps_set_vip(&m, &a0, &(struct sl_vip_meta){ .id = 5 }) && !bpf_map_lookup_elem(m.vip_ids, &id5, &e) &&
		   e.key.family == 0, "a port-0 VIP gets no slot");
		ok(!l4_maps_set_vip(&m, &a, &m4) && !bpf_map_lookup_elem(m.vip_ids, &id4, &e) && e.meta.id == 4 &&
		   !bpf_map_lookup_elem(m.vip_ids, &id3, &e) && e.key.family == 0,
		   "renumbered 3 -> 4: the new slot written, the old one cleared");
		bpf_map_update_elem(m.vip_ids, &id4, &zero, BPF_ANY);
		bpf_map_update_elem(m.vip_ids, &id3, &(struct sl_vip_id_entry){ .key = a, .meta = m3 }, BPF_ANY);
		ok(!l4_maps_set_config(&m, &l4) && !bpf_map_lookup_elem(m.vip_ids, &id4, &e) && e.meta.id == 4 &&
		   !bpf_map_lookup_elem(m.vip_ids, &id3, &e) && e.key.family == 0,
		   "set_config rewrites sl_vip_ids from sl_vips (lost and stale slots)");
		ok(!l4_maps_del_vip(&m, &a) && !bpf_map_lookup_elem(m.vip_ids, &id4, &e) && e.key.family == 0,
		   "deleting the VIP clears its slot");
		l4_maps_del_vip(&m, &a0);
		l4_maps_del_vip(&m, &icmp);
		m.vip_ids = -1;
		ok(!l4_maps_set_vip(&m, &a, &m3) && !l4_maps_set_config(&m, &l4) && !l4_maps_del_vip(&m, &a),
		   "without sl_vip_ids (fd -1): VIPs are still written");
		m.vip_ids = mk(BPF_MAP_TYPE_ARRAY, 4, sizeof(struct sl_vip_id_entry), SL_MAX_VIPS, NULL);
	}

	/* Conntrack: one table for every CPU; lookup by flow, nothing to spread before a ring change. */
	{
		struct sl_flow_key a = { .proto = IPPROTO_TCP, .family = SL_AF_INET, .sport = htons(1000), .dport = htons(80) };
		struct sl_flow_key b = a;
		struct sl_ct_value e = { .backend_id = 4, .vip_id = 3, .last_seen_ns = 100 }, v;

		bpf_map_update_elem(m.conntrack, &a, &e, BPF_ANY);
		b.sport = htons(1001);
		e.backend_id = 0;        /* an entry naming no backend is not an answer */
		bpf_map_update_elem(m.conntrack, &b, &e, BPF_ANY);
		ok(!l4_maps_ct_lookup(&m, &a, &v) && v.backend_id == 4 && v.vip_id == 3, "lookup finds the entry");
		is_int(l4_maps_ct_lookup(&m, &b, &v), -ENOENT, "an entry with backend 0: -ENOENT");
		b.sport = htons(999);
		is_int(l4_maps_ct_lookup(&m, &b, &v), -ENOENT, "untracked flow: -ENOENT");
		is_int(l4_maps_ct_spread(&m, 3, 1000), 0, "spread has nothing to copy: one shared table");
	}

	l4_maps_close(&m);
	return done_testing();
}
