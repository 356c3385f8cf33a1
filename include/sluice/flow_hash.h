/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The flow hash and Maglev slot rule, shared by the XDP balancer and userspace (sluicectl trace). */
#ifndef SLUICE_FLOW_HASH_H
#define SLUICE_FLOW_HASH_H

#include <linux/types.h>
#include "sluice/consts.h"
#include "sluice/maps.h"

/*
 * A jhash2-style hash (Bob Jenkins' lookup3 mix and final) over 32-bit words
 * read from the key as they sit in memory: network-order fields read as host
 * words. Both sides run on the same host, so both read the same integers.
 * Pure integer C, no tables: the same source compiles for BPF and userspace.
 */
#define SL_JHASH_INITVAL 0xdeadbeefU

static inline __attribute__((always_inline)) __u32 sl_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

#define SL_JHASH_MIX(a, b, c) do {                       \
	a -= c; a ^= sl_rol32(c, 4);  c += b;            \
	b -= a; b ^= sl_rol32(a, 6);  a += c;            \
	c -= b; c ^= sl_rol32(b, 8);  b += a;            \
	a -= c; a ^= sl_rol32(c, 16); c += b;            \
	b -= a; b ^= sl_rol32(a, 19); a += c;            \
	c -= b; c ^= sl_rol32(b, 4);  b += a;            \
} while (0)

#define SL_JHASH_FINAL(a, b, c) do {                     \
	c ^= b; c -= sl_rol32(b, 14);                    \
	a ^= c; a -= sl_rol32(c, 11);                    \
	b ^= a; b -= sl_rol32(a, 25);                    \
	c ^= b; c -= sl_rol32(b, 16);                    \
	a ^= c; a -= sl_rol32(c, 4);                     \
	b ^= a; b -= sl_rol32(a, 14);                    \
	c ^= b; c -= sl_rol32(b, 24);                    \
} while (0)

/* The word holding proto, family and the (zero) padding of a flow key. */
static inline __attribute__((always_inline)) __u32 sl_flow_tail_word(const struct sl_flow_key *k)
{
	return (__u32)k->proto | ((__u32)k->family << 8);
}

/* The word holding both ports as they sit in memory. */
static inline __attribute__((always_inline)) __u32 sl_flow_port_word(const struct sl_flow_key *k)
{
	return (__u32)k->sport | ((__u32)k->dport << 16);
}

/*
 * sl_flow_hash(): hash of the whole 5-tuple (src, dst, ports, proto, family),
 * 10 words. Returns the 32-bit hash; same key and seed -> same value everywhere.
 */
static inline __attribute__((always_inline)) __u32
sl_flow_hash(const struct sl_flow_key *k, __u32 seed)
{
	__u32 a, b, c;

	a = b = c = SL_JHASH_INITVAL + (10U << 2) + seed;
	a += k->src[0]; b += k->src[1]; c += k->src[2];
	SL_JHASH_MIX(a, b, c);
	a += k->src[3]; b += k->dst[0]; c += k->dst[1];
	SL_JHASH_MIX(a, b, c);
	a += k->dst[2]; b += k->dst[3]; c += sl_flow_port_word(k);
	SL_JHASH_MIX(a, b, c);
	a += sl_flow_tail_word(k);
	SL_JHASH_FINAL(a, b, c);
	return c;
}

/*
 * sl_src_hash(): hash of the source address only (VIPs with
 * SL_VIP_F_HASH_SRC, and their fragments), 4 words. Returns the hash.
 */
static inline __attribute__((always_inline)) __u32
sl_src_hash(const struct sl_flow_key *k, __u32 seed)
{
	__u32 a, b, c;

	a = b = c = SL_JHASH_INITVAL + (4U << 2) + seed;
	a += k->src[0]; b += k->src[1]; c += k->src[2];
	SL_JHASH_MIX(a, b, c);
	a += k->src[3];
	SL_JHASH_FINAL(a, b, c);
	return c;
}

/* sl_vip_flow_hash(): the hash the balancer uses for a VIP with these SL_VIP_F_* flags. */
static inline __attribute__((always_inline)) __u32
sl_vip_flow_hash(const struct sl_flow_key *k, __u32 vip_flags, __u32 seed)
{
	return (vip_flags & SL_VIP_F_HASH_SRC) ? sl_src_hash(k, seed) : sl_flow_hash(k, seed);
}

/*
 * sl_tunnel_hash(): the per-flow value behind the IPIP outer source and the
 * IPv6 outer flow label, which only have to spread flows over the backend's
 * RX queues. One multiply instead of sl_flow_hash(): a tracked packet never
 * needs the jhash (measured: ~20-40% of a tracked packet's cost in sl_lb).
 * The source address words, and both ports unless the VIP hashes on the
 * source only (then every fragment of a datagram gets one outer source).
 */
static inline __attribute__((always_inline)) __u32
sl_tunnel_hash(const struct sl_flow_key *k, __u32 vip_flags)
{
	__u32 w = (__u32)k->src[0] ^ (__u32)k->src[1] ^ (__u32)k->src[2] ^ (__u32)k->src[3];

	if (!(vip_flags & SL_VIP_F_HASH_SRC))
		w ^= sl_flow_port_word(k);
	w *= 0x9e3779b1U;
	return w ^ (w >> 16);
}

/* sl_ring_slot(): Maglev slot for a hash in a table of size m (prime, > 0): 1 + hash % m. */
static inline __attribute__((always_inline)) __u32 sl_ring_slot(__u32 hash, __u32 m)
{
	return 1 + hash % m;
}

/*
 * sl_vip_addr_slot(): the sl_vip_addrs slot of an address (16 bytes, an IPv4
 * address in addr[0] and zeros after it): a multiplicative hash of the xor of
 * its words. Returns a slot < 1 << SL_VIP_ADDR_BITS.
 */
static inline __attribute__((always_inline)) __u32 sl_vip_addr_slot(const __be32 addr[4])
{
	__u32 w = (__u32)addr[0] ^ (__u32)addr[1] ^ (__u32)addr[2] ^ (__u32)addr[3];

	return (w * 0x9e3779b1U) >> (32 - SL_VIP_ADDR_BITS);
}

/* sl_vip_counts_port0(): whether an sl_vips key counts as port 0 in sl_vip_addrs (TCP/UDP only). */
static inline __attribute__((always_inline)) int sl_vip_counts_port0(const struct sl_vip_key *k)
{
	return k->port == 0 && (k->proto == 6 || k->proto == 17);   /* IPPROTO_TCP, IPPROTO_UDP */
}

/* sl_hash_be32(): htonl() without libc or bpf_endian.h. */
static inline __attribute__((always_inline)) __be32 sl_hash_be32(__u32 v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__be32)__builtin_bswap32(v);
#else
	return (__be32)v;
#endif
}

/*
 * sl_tunnel_src4(): IPIP outer source for a flow: base | (htonl(hash) & mask),
 * all in network order, so flows spread over the backend's RX queues.
 */
static inline __attribute__((always_inline)) __be32
sl_tunnel_src4(__be32 base, __be32 mask, __u32 hash)
{
	return base | (sl_hash_be32(hash) & mask);
}

/* sl_tunnel_src6_last(): last word of the IPv6 outer source: tunnel_src6[3] ^ htonl(hash). */
static inline __attribute__((always_inline)) __be32 sl_tunnel_src6_last(__be32 base3, __u32 hash)
{
	return base3 ^ sl_hash_be32(hash);
}

#endif
