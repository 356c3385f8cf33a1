// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* BPF test fixture: netns, unpinned skeleton, map seeding and the case-table runner shared by tests/bpf/test_*. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "l4/l4_maps.h"
#include "lbtest.h"
#include "bpf/lb.skel.h"
#include "../tap.h"

static void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		printf("1..0 # SKIP setup failed: %s\n", cmd);
		exit(0);
	}
}

static void write_file(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(v, f) < 0 || fclose(f)) {
		printf("1..0 # SKIP cannot write %s\n", path);
		exit(0);
	}
}

void lbt_netns(void)
{
	cpu_set_t cpus;

	if (geteuid() != 0)
		skip_all("needs root (netns, BPF)");
	if (unshare(CLONE_NEWNET))
		skip_all("unshare(CLONE_NEWNET) failed");
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	sh("ip link set lo up"
	   " && ip link add sl0 address 02:00:00:00:00:01 type veth peer name sl1 address 02:00:00:00:00:02"
	   " && ip link set sl0 mtu 1500 up && ip link set sl1 up"
	   " && ip addr add 198.18.0.1/24 dev sl0 && ip -6 addr add 2001:2::1/64 dev sl0 nodad"
	   " && ip link add sl2 address 02:00:00:00:00:03 type veth peer name sl3 && ip link set sl2 up && ip link set sl3 up"
	   " && ip addr add 198.18.1.1/24 dev sl2 && ip -6 addr add 2001:2:1::1/64 dev sl2 nodad"
	   " && ip neigh add 198.18.0.10 lladdr 02:00:00:00:00:10 dev sl0 nud permanent"
	   " && ip neigh add 198.18.0.11 lladdr 02:00:00:00:00:11 dev sl0 nud permanent"
	   " && ip neigh add 2001:2::10 lladdr 02:00:00:00:00:10 dev sl0 nud permanent"
	   " && ip neigh add 198.18.1.10 lladdr 02:00:00:00:00:20 dev sl2 nud permanent"
	   " && ip neigh add 2001:2:1::10 lladdr 02:00:00:00:00:20 dev sl2 nud permanent");
	write_file("/proc/sys/net/ipv4/ip_forward", "1");
	write_file("/proc/sys/net/ipv6/conf/all/forwarding", "1");
}

static void addr16(const char *s, __be32 a[4], __u8 *fam)
{
	memset(a, 0, 16);
	if (strchr(s, ':')) {
		inet_pton(AF_INET6, s, a);
		*fam = SL_AF_INET6;
	} else {
		inet_pton(AF_INET, s, a);
		*fam = SL_AF_INET;
	}
}

void lbt_setup(struct lbt *t)
{
	struct bpf_map *m;

	memset(t, 0, sizeof(*t));
	lbt_netns();
	t->skel = lb__open();
	if (!t->skel)
		skip_all("cannot open the lb skeleton");
	/* never touch a running sluiced's pins */
	bpf_object__for_each_map(m, t->skel->obj)
		bpf_map__set_pin_path(m, NULL);
	bpf_map__set_max_entries(t->skel->maps.sl_conntrack, 65536);
	if (lb__load(t->skel))
		skip_all("cannot load sl_lb (verifier or kernel)");
	t->prog_fd = bpf_program__fd(t->skel->progs.sl_lb);
	t->if_lb = if_nametoindex("sl0");
	t->if_dummy = if_nametoindex("sl2");

	inet_pton(AF_INET, TUN_SRC4, &t->cfg.tunnel_src4);
	t->cfg.tunnel_src4_mask = htonl(TUN_MASK4);
	inet_pton(AF_INET6, TUN_SRC6, t->cfg.tunnel_src6);
	t->cfg.udp_timeout_ns = SL_UDP_TIMEOUT_NS;
	t->cfg.hash_seed = HASH_SEED;
	t->cfg.flags = SL_CFG_F_ICMP_ECHO | SL_CFG_F_VIP_ADDRS;   /* lbt_vip() keeps sl_vip_addrs counted */
	lbt_config(t);

	lbt_backend(t, BE1, BE1_ADDR);
	lbt_backend(t, BE2, BE2_ADDR);
	lbt_backend(t, BE6, BE6_ADDR);
	lbt_backend(t, BED, BED_ADDR);
	lbt_backend(t, BE_NONEIGH, BE_NOADDR);
	{
		__u32 k = t->if_dummy, v = t->if_dummy;

		bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_tx_ports), &k, &v, 0);
	}
}

void lbt_config(struct lbt *t)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_config), &zero, &t->cfg, 0))
		skip_all("cannot write sl_config");
}

void lbt_backend(struct lbt *t, uint32_t id, const char *addr)
{
	struct sl_backend b = {};

	addr16(addr, b.addr, &b.family);
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_backends), &id, &b, 0);
}

void lbt_vip_count(struct lbt *t, const char *addr, uint16_t port, uint8_t proto, int delta)
{
	struct sl_vip_key k = {};
	struct sl_vip_addr_count c = {};
	__u32 slot;
	int fd = bpf_map__fd(t->skel->maps.sl_vip_addrs);

	addr16(addr, k.addr, &k.family);
	k.port = htons(port);
	k.proto = proto;
	slot = sl_vip_addr_slot(k.addr);
	bpf_map_lookup_elem(fd, &slot, &c);
	c.all += delta;
	if (sl_vip_counts_port0(&k))
		c.port0 += delta;
	bpf_map_update_elem(fd, &slot, &c, 0);
}

/* lbt_maps(): the VIP maps of the loaded skeleton, as the control plane's map writer takes them. */
static struct l4_maps lbt_maps(struct lbt *t)
{
	struct l4_maps m;

	memset(&m, 0xff, sizeof(m));   /* every fd -1 */
	m.vips = bpf_map__fd(t->skel->maps.sl_vips);
	m.vip_addrs = bpf_map__fd(t->skel->maps.sl_vip_addrs);
	m.vip_ids = bpf_map__fd(t->skel->maps.sl_vip_ids);
	return m;
}

static struct sl_vip_key lbt_vip_key(const char *addr, uint16_t port, uint8_t proto)
{
	struct sl_vip_key k = {};

	addr16(addr, k.addr, &k.family);
	k.port = htons(port);
	k.proto = proto;
	return k;
}

void lbt_vip(struct lbt *t, const char *addr, uint16_t port, uint8_t proto, uint32_t id, uint32_t flags)
{
	struct sl_vip_key k = lbt_vip_key(addr, port, proto);
	struct sl_vip_meta m = { .id = id, .flags = flags };
	struct l4_maps maps = lbt_maps(t);

	/* through the control plane's writer: sl_vip_addrs counted, sl_vip_ids kept in step */
	if (l4_maps_set_vip(&maps, &k, &m))
		skip_all("cannot write a VIP");
}

void lbt_vip_del(struct lbt *t, const char *addr, uint16_t port, uint8_t proto)
{
	struct sl_vip_key k = lbt_vip_key(addr, port, proto);
	struct l4_maps maps = lbt_maps(t);

	l4_maps_del_vip(&maps, &k);
}

void lbt_ring(struct lbt *t, uint32_t vip_id, const uint32_t *slots, uint32_t m)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_INNER_MAP);
	uint32_t i, k;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sl_ring", 4, 4, m + 1, &o);
	if (fd < 0)
		skip_all("cannot create a ring");
	k = 0;
	bpf_map_update_elem(fd, &k, &m, 0);
	for (i = 0; i < m; i++) {
		k = i + 1;
		bpf_map_update_elem(fd, &k, &slots[i], 0);
	}
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.sl_rings), &vip_id, &fd, 0))
		printf("# ring swap for vip %u failed: %s\n", vip_id, strerror(errno));
	close(fd);
}

void lbt_ring_all(struct lbt *t, uint32_t vip_id, uint32_t m, uint32_t be)
{
	uint32_t *s = calloc(m, sizeof(*s));

	for (uint32_t i = 0; i < m; i++)
		s[i] = be;
	lbt_ring(t, vip_id, s, m);
	free(s);
}

void lbt_ring_del(struct lbt *t, uint32_t vip_id)
{
	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.sl_rings), &vip_id);
}

static int ncpus(void)
{
	return libbpf_num_possible_cpus();
}

uint64_t lbt_drops(struct lbt *t, uint32_t reason)
{
	uint64_t v[ncpus()], sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.sl_drops), &reason, v))
		return 0;
	for (int i = 0; i < ncpus(); i++)
		sum += v[i];
	return sum;
}

struct sl_vip_stats lbt_vip_stats(struct lbt *t, uint32_t vip_id)
{
	struct sl_vip_stats v[ncpus()], sum = {};

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.sl_vip_stats), &vip_id, v))
		return sum;
	for (int i = 0; i < ncpus(); i++) {
		__u64 *s = (__u64 *)&sum, *c = (__u64 *)&v[i];

		for (size_t j = 0; j < sizeof(sum) / 8; j++)
			s[j] += c[j];
	}
	return sum;
}

struct sl_backend_stats lbt_be_stats(struct lbt *t, uint32_t be_id)
{
	struct sl_backend_stats v[ncpus()], sum = {};

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.sl_be_stats), &be_id, v))
		return sum;
	for (int i = 0; i < ncpus(); i++) {
		sum.packets += v[i].packets;
		sum.bytes += v[i].bytes;
		sum.new_flows += v[i].new_flows;
	}
	return sum;
}

int lbt_run(int prog_fd, int ifindex, const struct pkt *in, uint8_t *out, uint32_t *outlen)
{
	struct xdp_md ctx = { .data_end = in->len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = in->b, .data_size_in = in->len,
		.data_out = out, .data_size_out = *outlen,
		.ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		.repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	*outlen = o.data_size_out;
	return o.retval;
}

static const char *verdict_name(int v)
{
	static const char *n[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return v >= 0 && v <= 4 ? n[v] : "?";
}

bool lbt_check(struct lbt *t, int prog_fd, const struct xdp_case *c)
{
	static struct pkt in, want;
	static uint8_t out[PKT_MAX + 256];
	uint32_t outlen = sizeof(out);
	uint64_t before = c->drop ? lbt_drops(t, c->drop) : 0;
	int v;
	bool good;

	memset(&in, 0, sizeof(in));
	c->in(&in);
	if (c->want) {
		memset(&want, 0, sizeof(want));
		c->want(&want);
	} else {
		want = in;
	}
	v = lbt_run(prog_fd, t->if_lb, &in, out, &outlen);
	good = v == c->verdict && outlen == want.len && !memcmp(out, want.b, want.len);
	if (c->drop && lbt_drops(t, c->drop) != before + 1)
		good = false;
	if (!good) {
		printf("# %s:\n", c->name);
		printf("#   verdict got %d (%s), want %d (%s)\n", v, verdict_name(v), c->verdict,
		       verdict_name(c->verdict));
		if (c->drop)
			printf("#   drop counter %u went %llu -> %llu\n", c->drop,
			       (unsigned long long)before, (unsigned long long)lbt_drops(t, c->drop));
		if (v >= 0)
			pkt_diff(out, outlen, want.b, want.len);
	}
	return good;
}

const char *lbt_verdict_name(int v)
{
	return verdict_name(v);
}

struct sl_flow_key lbt_key(const char *src, const char *dst, uint16_t sport, uint16_t dport, uint8_t proto)
{
	struct sl_flow_key k = {};

	addr16(src, k.src, &k.family);
	addr16(dst, k.dst, &k.family);
	k.sport = htons(sport);
	k.dport = htons(dport);
	k.proto = proto;
	return k;
}

uint32_t lbt_hash(const struct sl_flow_key *k, uint32_t vip_flags)
{
	return sl_vip_flow_hash(k, vip_flags, HASH_SEED);
}

struct ip_spec lbt_outer(const char *be_addr, uint32_t hash, const struct pkt *inner, char *srcbuf)
{
	struct ip_spec s = { .dst = be_addr, .src = srcbuf, .ttl = 64 };
	const uint8_t *h = inner->b + inner->l3;
	bool df = true;     /* an inner IPv6 packet is never fragmented on the way */

	if (inner->fam == 4) {
		s.tos = h[1];
		df = h[6] & 0x40;
	} else {
		s.tos = (h[0] << 4 | h[1] >> 4) & 0xff;
	}
	if (strchr(be_addr, ':')) {
		uint32_t a[4];

		s.fam = 6;
		inet_pton(AF_INET6, TUN_SRC6, a);
		a[3] ^= htonl(hash);
		inet_ntop(AF_INET6, a, srcbuf, INET6_ADDRSTRLEN);
		s.flow = hash & 0xfffff;
	} else {
		uint32_t a;

		s.fam = 4;
		if (df)
			s.frag = 0x4000;
		inet_pton(AF_INET, TUN_SRC4, &a);
		a |= htonl(hash & TUN_MASK4);
		inet_ntop(AF_INET, &a, srcbuf, INET_ADDRSTRLEN);
	}
	return s;
}

void lbt_build(struct pkt *p, const struct lbt_flow *f)
{
	struct ip_spec s = {
		.fam = strchr(f->src, ':') ? 6 : 4, .src = f->src, .dst = f->dst,
		.tos = f->tos, .opts = f->opts, .ext = f->ext, .frag = f->frag, .id = 0x1234,
	};
	uint8_t *h;

	pkt_eth(p, MAC_LB, MAC_PEER, f->vlan);
	pkt_ip(p, &s, f->proto);
	if (!(s.fam == 4 && (f->frag & 0x1fff)) && !(s.fam == 6 && (f->frag & 0xfff8))) {
		if (f->proto == 6)
			pkt_tcp(p, f->sport, f->dport, f->flags);
		else if (f->proto == 17)
			pkt_udp(p, f->sport, f->dport);
		else if (f->proto == 1 || f->proto == 58)
			pkt_icmp(p, f->flags, f->code, f->sport, 1);
	}
	pkt_payload(p, f->payload);
	pkt_finish(p);
	h = p->b + p->l3;
	if (f->ihl)
		h[0] = (h[0] & 0xf0) | f->ihl;
	if (f->tot) {   /* v4 total length / v6 payload length */
		h[s.fam == 4 ? 2 : 4] = f->tot >> 8;
		h[s.fam == 4 ? 3 : 5] = f->tot;
	}
	if (f->cut)
		p->len = f->cut;
}

struct sl_flow_key lbt_flow_key(const struct lbt_flow *f)
{
	bool later = (!strchr(f->src, ':') && (f->frag & 0x1fff)) || (strchr(f->src, ':') && (f->frag & 0xfff8));
	bool ports = (f->proto == 6 || f->proto == 17) && !later;

	return lbt_key(f->src, f->dst, ports ? f->sport : 0, ports ? f->dport : 0, f->proto);
}

void lbt_build_encap(struct pkt *p, const struct lbt_flow *f, const char *be_addr, const uint8_t *be_mac,
		     const uint8_t *src_mac, uint32_t vip_flags)
{
	static struct pkt inner;
	struct sl_flow_key k = lbt_flow_key(f);
	char buf[INET6_ADDRSTRLEN];
	struct ip_spec o;

	lbt_build(&inner, f);
	o = lbt_outer(be_addr, sl_tunnel_hash(&k, vip_flags), &inner, buf);
	pkt_encap(p, &inner, be_mac, src_mac, f->vlan, &o);
}
