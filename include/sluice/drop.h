/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Why the XDP balancer dropped a packet: one counter each in sl_drops, one metric label each. */
#ifndef SLUICE_DROP_H
#define SLUICE_DROP_H

enum sl_drop_reason {
	SL_DROP_NONE = 0,
	SL_DROP_TRUNC_ETH,      /* shorter than an Ethernet (+VLAN) header */
	SL_DROP_TRUNC_IP,       /* shorter than the IP header it claims */
	SL_DROP_BAD_IHL,        /* IPv4 IHL < 5 or total length inconsistent */
	SL_DROP_TRUNC_L4,       /* VIP packet shorter than its TCP/UDP/ICMP header */
	SL_DROP_NO_BACKEND,     /* VIP with an empty table (and drop configured) */
	SL_DROP_NO_RING,        /* VIP with no table installed yet */
	SL_DROP_BAD_BACKEND,    /* ring points at an unused backend slot */
	SL_DROP_FIB,            /* no route / neighbour to the backend */
	SL_DROP_HEADROOM,       /* bpf_xdp_adjust_head failed */
	SL_DROP_TOO_BIG,        /* encapsulated packet would exceed the egress MTU */
	SL_DROP_REDIRECT,       /* redirect to the egress interface failed */
	SL_DROP_FRAG,           /* non-first fragment for a VIP that hashes on ports */
	SL_DROP_MAX,
};

/* Labels for logs and /metrics, indexed by enum sl_drop_reason. */
#define SL_DROP_NAMES {                 \
	[SL_DROP_NONE]        = "none",        \
	[SL_DROP_TRUNC_ETH]   = "trunc_eth",   \
	[SL_DROP_TRUNC_IP]    = "trunc_ip",    \
	[SL_DROP_BAD_IHL]     = "bad_ihl",     \
	[SL_DROP_TRUNC_L4]    = "trunc_l4",    \
	[SL_DROP_NO_BACKEND]  = "no_backend",  \
	[SL_DROP_NO_RING]     = "no_ring",     \
	[SL_DROP_BAD_BACKEND] = "bad_backend", \
	[SL_DROP_FIB]         = "fib",         \
	[SL_DROP_HEADROOM]    = "headroom",    \
	[SL_DROP_TOO_BIG]     = "too_big",     \
	[SL_DROP_REDIRECT]    = "redirect",    \
	[SL_DROP_FRAG]        = "frag",        \
}

#endif
