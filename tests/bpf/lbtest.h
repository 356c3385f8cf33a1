/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* BPF test fixture: a private netns with fixed MACs, routes and permanent neighbours, the balancer loaded unpinned, a case-table runner. */
#ifndef SL_TESTS_LBTEST_H
#define SL_TESTS_LBTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>
#include "sluice/maps.h"
#include "sluice/drop.h"
#include "sluice/flow_hash.h"
#include "pkt.h"

/*
 * The netns built by lbt_netns():
 *   sl0 (veth, 02:..:01) 198.18.0.1/24, 2001:2::1/64   <- packets enter here
 *       neighbours 198.18.0.10 + 2001:2::10 -> MAC_BE1, 198.18.0.11 -> MAC_BE2
 *   sl2 (veth to sl3, 02:..:03) 198.18.1.1/24, 2001:2:1::1/64
 *       neighbours 198.18.1.10 + 2001:2:1::10 -> MAC_BE_DUMMY
 * Forwarding on for both families, the process pinned to CPU 0 (per-CPU counters and next-hop cache).
 */
#define BE1_ADDR  "198.18.0.10"
#define BE2_ADDR  "198.18.0.11"
#define BE6_ADDR  "2001:2::10"
#define BED_ADDR  "198.18.1.10"
#define BE_NOADDR "198.18.0.99"  /* routed, no neighbour */

enum { BE1 = 1, BE2 = 2, BE6 = 3, BED = 4, BE_UNUSED = 5, BE_NONEIGH = 6 };

#define TUN_SRC4   "198.18.0.64"
#define TUN_MASK4  0x3fU        /* host order: low 6 bits of the address vary */
#define TUN_SRC6   "2001:2::100:0"
#define HASH_SEED  0x5eed1234U

struct lbt {
	struct lb *skel;
	int prog_fd;
	int if_lb, if_dummy;
	struct sl_config cfg;
};

/* lbt_setup(): root check, netns, skeleton loaded unpinned, default config and backends; skips the file on failure. */
void lbt_setup(struct lbt *t);
void lbt_netns(void);
void lbt_backend(struct lbt *t, uint32_t id, const char *addr);
/*
 * lbt_vip() / lbt_vip_del(): an sl_vips entry written / removed by the control
 * plane's l4_maps_set_vip() / l4_maps_del_vip() (sl_vip_addrs and sl_vip_ids
 * kept in step); lbt_vip_count() moves the sl_vip_addrs count alone.
 */
void lbt_vip(struct lbt *t, const char *addr, uint16_t port, uint8_t proto, uint32_t id, uint32_t flags);
void lbt_vip_del(struct lbt *t, const char *addr, uint16_t port, uint8_t proto);
void lbt_vip_count(struct lbt *t, const char *addr, uint16_t port, uint8_t proto, int delta);
void lbt_ring(struct lbt *t, uint32_t vip_id, const uint32_t *slots, uint32_t m);
void lbt_ring_all(struct lbt *t, uint32_t vip_id, uint32_t m, uint32_t be);
void lbt_ring_del(struct lbt *t, uint32_t vip_id);
void lbt_config(struct lbt *t);
uint64_t lbt_drops(struct lbt *t, uint32_t reason);
struct sl_vip_stats lbt_vip_stats(struct lbt *t, uint32_t vip_id);
struct sl_backend_stats lbt_be_stats(struct lbt *t, uint32_t be_id);

/* lbt_run(): one BPF_PROG_TEST_RUN with ingress ifindex; returns the verdict or -errno. */
int lbt_run(int prog_fd, int ifindex, const struct pkt *in, uint8_t *out, uint32_t *outlen);

/* A table row: input, expected output (NULL = unchanged), verdict, drop reason counted (0 = none). */
struct xdp_case {
	const char *name;
	void (*in)(struct pkt *p);
	void (*want)(struct pkt *p);
	int verdict;
	uint32_t drop;
};

/* lbt_check(): runs one row; returns true when it passed, else prints why as TAP comments. */
bool lbt_check(struct lbt *t, int prog_fd, const struct xdp_case *c);
const char *lbt_verdict_name(int v);

/* One TAP point per row (tap.h's counters live in the test file, hence a macro). */
#define LBT_CHECK_ALL(t, fd, rows) do {                                                 \
	for (size_t _i = 0; _i < sizeof(rows) / sizeof((rows)[0]); _i++)                 \
		ok(lbt_check(t, fd, &(rows)[_i]), "%s: %s", (rows)[_i].name,             \
		   lbt_verdict_name((rows)[_i].verdict));                                 \
} while (0)

/* Flow keys and what the balancer derives from them. */
struct sl_flow_key lbt_key(const char *src, const char *dst, uint16_t sport, uint16_t dport, uint8_t proto);
uint32_t lbt_hash(const struct sl_flow_key *k, uint32_t vip_flags);
/* lbt_outer(): the outer header spec the balancer writes for a tunnel hash (sl_tunnel_hash()), backend address, inner packet. */
struct ip_spec lbt_outer(const char *be_addr, uint32_t hash, const struct pkt *inner, char *srcbuf);


/* A client packet described as data; lbt_build() turns it into a frame from the router (MAC_PEER -> MAC_LB). */
struct lbt_flow {
	const char *src, *dst;     /* family from the address */
	uint8_t proto;             /* 6, 17, 1, 58 */
	uint16_t sport, dport;     /* ICMP: id in sport */
	uint8_t flags;             /* TCP flags; ICMP: type */
	uint8_t code;              /* ICMP code */
	uint16_t vlan;
	uint8_t tos;
	uint8_t opts;              /* IPv4 option bytes */
	uint8_t ext;               /* IPv6 destination-option headers */
	uint16_t frag;             /* see struct ip_spec */
	size_t payload;
	size_t cut;                /* nonzero: frame cut to this many bytes */
	uint8_t ihl;               /* nonzero: IPv4 IHL forced to this */
	uint16_t tot;              /* nonzero: IPv4 total length / IPv6 payload length forced to this */
};

void lbt_build(struct pkt *p, const struct lbt_flow *f);
/* lbt_build_encap(): what the balancer sends for f to a backend: IPIP/IPv6 tunnel from sl0's MAC. */
void lbt_build_encap(struct pkt *p, const struct lbt_flow *f, const char *be_addr, const uint8_t *be_mac,
		     const uint8_t *src_mac, uint32_t vip_flags);
struct sl_flow_key lbt_flow_key(const struct lbt_flow *f);

#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define CLIENT4 "198.18.50.1"
#define CLIENT6 "2001:2:50::1"

/* Rows start from a base flow and override fields (.dport = 81): later initialisers win on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

/* Table helpers: IN(fn, fields...) defines an input builder, ENC(fn, backend, mac, vip_flags, fields...) its tunnelled output. */
#define IN(fn, ...) static void fn(struct pkt *p) { struct lbt_flow f = { __VA_ARGS__ }; lbt_build(p, &f); }
#define ENC(fn, be, mac, vf, ...) static void fn(struct pkt *p) \
	{ struct lbt_flow f = { __VA_ARGS__ }; lbt_build_encap(p, &f, be, mac, MAC_LB, vf); }

#endif
