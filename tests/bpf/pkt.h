/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A packet builder for the BPF tests: Ethernet (+VLAN), IPv4/IPv6 (options, extension headers, fragments), TCP/UDP/ICMP, tunnels. */
#ifndef SL_TESTS_PKT_H
#define SL_TESTS_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 2048

/* A frame being built; offsets let pkt_finish() fix lengths and checksums. */
struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
	size_t ethertype_off;  /* where the (innermost) ethertype goes */
	size_t l3, l4;         /* header offsets */
	int fam;               /* 4 or 6 */
	uint8_t proto;         /* L4 protocol */
	size_t l6_nh_off;      /* offset of the next-header byte naming the L4 protocol */
};

/* An IP header to write. Unset fields: TTL 64, no options, no fragment. */
struct ip_spec {
	int fam;               /* 4 or 6 */
	const char *src, *dst;
	uint8_t tos;           /* v4 TOS / v6 traffic class */
	uint8_t ttl;           /* 0 = 64 */
	uint16_t frag;         /* v4: frag_off field (host order, DF 0x4000, MF 0x2000, offset/8);
	                          v6: nonzero adds a fragment header with this offset/M field */
	uint16_t id;
	uint8_t opts;          /* v4: bytes of options (NOP-filled, multiple of 4) */
	uint8_t ext;           /* v6: number of 8-byte destination-option headers before L4 */
	uint32_t flow;         /* v6: flow label */
};

extern const uint8_t MAC_LB[6], MAC_PEER[6], MAC_BE1[6], MAC_BE2[6], MAC_DUMMY[6], MAC_BE_DUMMY[6], MAC_CLIENT[6];

void pkt_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t vlan);
void pkt_ip(struct pkt *p, const struct ip_spec *s, uint8_t proto);
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq);
void pkt_bytes(struct pkt *p, const void *b, size_t n);
void pkt_payload(struct pkt *p, size_t n);
/* pkt_finish(): fills IP lengths, the IPv4 header checksum and the L4 checksum. */
void pkt_finish(struct pkt *p);

/*
 * pkt_encap(): out = Ethernet(dmac, smac, vlan) + outer header per `outer`
 * (protocol 4 or 41 from in->fam, length and checksum filled) + in's L3 bytes.
 */
void pkt_encap(struct pkt *out, const struct pkt *in, const uint8_t *dmac, const uint8_t *smac,
	       uint16_t vlan, const struct ip_spec *outer);

/* pkt_hexdump_diff(): prints both frames as TAP comments, marking the first difference. */
void pkt_diff(const uint8_t *got, size_t glen, const uint8_t *want, size_t wlen);

uint16_t pkt_csum(const void *b, size_t n, uint32_t sum);

#endif
