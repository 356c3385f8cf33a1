// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The BPF tests' packet builder: writes headers with real lengths and checksums, so outputs compare byte for byte. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pkt.h"

const uint8_t MAC_LB[6]       = { 0x02, 0, 0, 0, 0, 0x01 };  /* sl0: the balancer's ingress */
const uint8_t MAC_PEER[6]     = { 0x02, 0, 0, 0, 0, 0x02 };  /* sl1: the router side */
const uint8_t MAC_DUMMY[6]    = { 0x02, 0, 0, 0, 0, 0x03 };  /* sl2: a second egress */
const uint8_t MAC_BE1[6]      = { 0x02, 0, 0, 0, 0, 0x10 };
const uint8_t MAC_BE2[6]      = { 0x02, 0, 0, 0, 0, 0x11 };
const uint8_t MAC_BE_DUMMY[6] = { 0x02, 0, 0, 0, 0, 0x20 };
const uint8_t MAC_CLIENT[6]   = { 0x02, 0, 0, 0, 0, 0x99 };

static void put16(uint8_t *b, uint16_t v) { b[0] = v >> 8; b[1] = v; }

static void addr(int fam, const char *s, void *out)
{
	if (inet_pton(fam == 4 ? AF_INET : AF_INET6, s, out) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		abort();
	}
}

uint16_t pkt_csum(const void *b, size_t n, uint32_t sum)
{
	const uint8_t *p = b;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void pkt_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t vlan)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->b, dst, 6);
	memcpy(p->b + 6, src, 6);
	p->len = 12;
	if (vlan) {
		put16(p->b + 12, 0x8100);
		put16(p->b + 14, vlan);
		p->len = 16;
	}
	p->ethertype_off = p->len;
	p->len += 2;
}

void pkt_ip(struct pkt *p, const struct ip_spec *s, uint8_t proto)
{
	uint8_t *h = p->b + p->len;
	int i;

	p->l3 = p->len;
	p->fam = s->fam;
	p->proto = proto;
	if (s->fam == 4) {
		size_t hl = 20 + s->opts;

		put16(p->b + p->ethertype_off, 0x0800);
		memset(h, 0, hl);
		h[0] = 0x40 | (hl / 4);
		h[1] = s->tos;
		put16(h + 4, s->id);
		put16(h + 6, s->frag);
		h[8] = s->ttl ? s->ttl : 64;
		h[9] = proto;
		addr(4, s->src, h + 12);
		addr(4, s->dst, h + 16);
		memset(h + 20, 1, s->opts);   /* NOP options */
		p->len += hl;
	} else {
		uint32_t w = 6U << 28 | (uint32_t)s->tos << 20 | (s->flow & 0xfffff);
		uint8_t *nh = h + 6;

		put16(p->b + p->ethertype_off, 0x86dd);
		memset(h, 0, 40);
		h[0] = w >> 24; h[1] = w >> 16; h[2] = w >> 8; h[3] = w;
		h[7] = s->ttl ? s->ttl : 64;
		addr(6, s->src, h + 8);
		addr(6, s->dst, h + 24);
		p->len += 40;
		for (i = 0; i < s->ext; i++) {
			uint8_t *e = p->b + p->len;

			*nh = 60;            /* destination options: PadN filling 6 bytes */
			memset(e, 0, 8);
			e[2] = 1; e[3] = 4;
			nh = e;
			p->len += 8;
		}
		if (s->frag) {
			uint8_t *e = p->b + p->len;

			*nh = 44;
			memset(e, 0, 8);
			put16(e + 2, s->frag);
			e[7] = 0x42;         /* identification */
			nh = e;
			p->len += 8;
		}
		*nh = proto;
		p->l6_nh_off = nh - p->b;
	}
	p->l4 = p->len;
}

void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t *t = p->b + p->len;

	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	t[4] = 0x11; t[7] = 0x22;          /* seq */
	if (flags & 0x10)
		t[11] = 0x33;                /* ack */
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	p->len += 20;
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *u = p->b + p->len;

	memset(u, 0, 8);
	put16(u, sport);
	put16(u + 2, dport);
	p->len += 8;
}

void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
	uint8_t *c = p->b + p->len;

	memset(c, 0, 8);
	c[0] = type;
	c[1] = code;
	put16(c + 4, id);
	put16(c + 6, seq);
	p->len += 8;
}

void pkt_bytes(struct pkt *p, const void *b, size_t n)
{
	memcpy(p->b + p->len, b, n);
	p->len += n;
}

void pkt_payload(struct pkt *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p->b[p->len + i] = (uint8_t)(i * 7 + 3);
	p->len += n;
}

void pkt_finish(struct pkt *p)
{
	uint8_t *h = p->b + p->l3, *l4 = p->b + p->l4;
	size_t l4len = p->len - p->l4;
	uint32_t sum = 0;
	int csum_off = -1, fragment;

	if (p->fam == 4) {
		size_t hl = (h[0] & 0xf) * 4;

		put16(h + 2, p->len - p->l3);
		put16(h + 10, 0);
		put16(h + 10, pkt_csum(h, hl, 0));
		fragment = (h[6] << 8 | h[7]) & 0x1fff;
		if (fragment)
			return;
		for (int i = 12; i < 20; i += 2)
			sum += h[i] << 8 | h[i + 1];
	} else {
		put16(h + 4, p->len - p->l3 - 40);
		for (int i = 8; i < 40; i += 2)
			sum += h[i] << 8 | h[i + 1];
	}
	switch (p->proto) {
	case 6:  csum_off = 16; sum += 6 + l4len; break;
	case 17: csum_off = 6;  sum += 17 + l4len; put16(l4 + 4, l4len); break;
	case 1:  csum_off = 2;  sum = 0; break;
	case 58: csum_off = 2;  sum += 58 + l4len; break;
	}
	if (csum_off < 0 || (size_t)csum_off + 2 > l4len)
		return;
	put16(l4 + csum_off, 0);
	put16(l4 + csum_off, pkt_csum(l4, l4len, sum));
}

void pkt_encap(struct pkt *out, const struct pkt *in, const uint8_t *dmac, const uint8_t *smac,
	       uint16_t vlan, const struct ip_spec *outer)
{
	size_t inner_len = in->len - in->l3;
	uint8_t *h;

	pkt_eth(out, dmac, smac, vlan);
	pkt_ip(out, outer, in->fam == 4 ? 4 : 41);
	h = out->b + out->l3;
	if (outer->fam == 4) {
		put16(h + 2, 20 + inner_len);
		put16(h + 10, pkt_csum(h, 20, 0));
	} else {
		put16(h + 4, inner_len);
	}
	pkt_bytes(out, in->b + in->l3, inner_len);
}

void pkt_diff(const uint8_t *got, size_t glen, const uint8_t *want, size_t wlen)
{
	size_t n = glen > wlen ? glen : wlen, i;

	printf("#   got %zu bytes, want %zu bytes\n", glen, wlen);
	for (i = 0; i < n; i += 16) {
		printf("#   %04zx ", i);
		for (size_t j = i; j < i + 16 && j < n; j++) {
			int g = j < glen ? got[j] : -1, w = j < wlen ? want[j] : -1;

			if (g == w)
				printf(" %02x   ", g);
			else if (g < 0)
				printf(" --/%02x", w);
			else if (w < 0)
				printf(" %02x/--", g);
			else
				printf(" %02x/%02x", g, w);
		}
		printf("\n");
	}
}
