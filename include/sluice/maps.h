/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Keys and values of every BPF map, shared by bpf/ and userspace/: one definition each. */
#ifndef SLUICE_MAPS_H
#define SLUICE_MAPS_H

#include <linux/types.h>
#include "sluice/consts.h"

/*
 * Addresses are 16 bytes in network order for both families so one key type
 * serves IPv4 and IPv6: an IPv4 address sits in addr[0], addr[1..3] are zero.
 */

/* sl_vips: which (address, port, protocol) is a VIP. port 0 = every port. */
struct sl_vip_key {
	__be32 addr[4];
	__be16 port;
	__u8   proto;       /* IPPROTO_TCP or IPPROTO_UDP */
	__u8   family;      /* SL_AF_INET or SL_AF_INET6 */
};
_Static_assert(sizeof(struct sl_vip_key) == 20, "sl_vip_key layout");

struct sl_vip_meta {
	__u32 id;           /* index into sl_rings and sl_vip_stats, < SL_MAX_VIPS */
	__u32 flags;        /* SL_VIP_F_* */
};
_Static_assert(sizeof(struct sl_vip_meta) == 8, "sl_vip_meta layout");

/*
 * sl_vip_addrs: ARRAY of 1 << SL_VIP_ADDR_BITS counts indexed by
 * sl_vip_addr_slot() of an address (sluice/flow_hash.h): how many sl_vips
 * entries have an address in that slot, and how many of those are TCP/UDP
 * port 0 (every port). The balancer reads it before sl_vips, so traffic to
 * an address that is no VIP's costs one inlined array read, not one or two
 * hash lookups. Userspace counts an entry in before adding it to sl_vips and
 * out after deleting it, so a count is never short.
 */
struct sl_vip_addr_count {
	__u16 all;          /* sl_vips entries (any port, any protocol) whose address has this slot */
	__u16 port0;        /* of which TCP/UDP with port 0 */
};
_Static_assert(sizeof(struct sl_vip_addr_count) == 4, "sl_vip_addr_count layout");

/*
 * sl_vip_ids: ARRAY indexed by VIP id: the VIP's own sl_vips entry when it has
 * an exact port (TCP/UDP, port != 0), else zeroed (family 0). A packet of a
 * tracked flow checks its conntrack entry's VIP here (one inlined array read
 * and a compare) instead of matching sl_vips; anything that does not match
 * goes the full way, so a stale or missing entry costs time, never a wrong
 * answer. Userspace writes it after the sl_vips entry and clears it before
 * deleting that entry.
 */
struct sl_vip_id_entry {
	struct sl_vip_key key;
	struct sl_vip_meta meta;
};
_Static_assert(sizeof(struct sl_vip_id_entry) == 28, "sl_vip_id_entry layout");

/*
 * sl_rings: array of maps, index = VIP id, inner = array of __u32.
 * Inner slot 0 holds the table size M (a prime); slots 1..M hold backend ids.
 * Userspace fills a fresh inner map and swaps the outer slot in one update,
 * so a packet sees either the whole old table or the whole new one.
 * Backend id 0 means "no backend" (a VIP with no healthy backend).
 */

/* sl_backends: array indexed by backend id (1..SL_MAX_BACKENDS-1). */
struct sl_backend {
	__be32 addr[4];
	__u8   family;      /* SL_AF_*, 0 = unused slot */
	__u8   flags;       /* SL_BACKEND_F_* */
	__u16  pad;
	__u32  pad2;
};
_Static_assert(sizeof(struct sl_backend) == 24, "sl_backend layout");

/* sl_conntrack: LRU_HASH (one table, an LRU list per CPU) from flow 5-tuple to the backend it was given. */
struct sl_flow_key {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;       /* ICMP echo: identifier; otherwise 0 for non TCP/UDP */
	__be16 dport;
	__u8   proto;
	__u8   family;
	__u8   pad[2];      /* zeroed: hashed as raw bytes */
};
_Static_assert(sizeof(struct sl_flow_key) == 40, "sl_flow_key layout");

struct sl_ct_value {
	__u32 backend_id;   /* 0 = no backend: the entry is not used */
	__u32 vip_id;
	__u64 last_seen_ns; /* UDP: bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE, jiffy steps), entries older than the timeout are stale; TCP: 0 */
};
_Static_assert(sizeof(struct sl_ct_value) == 16, "sl_ct_value layout");

/* sl_config: one-entry array of settings the control plane may change at run time. */
struct sl_config {
	__be32 tunnel_src4;       /* IPIP outer source base address */
	__be32 tunnel_src4_mask;  /* host bits varied by the flow hash (network order), e.g. 0.0.255.255 */
	__be32 tunnel_src6[4];    /* IPv6-in-IPv6 outer source base; low 32 bits varied by the hash */
	__u64  udp_timeout_ns;    /* idle time after which a UDP conntrack entry is ignored */
	__u32  hash_seed;         /* flow hash seed: same config -> same answer on every node */
	__u32  flags;             /* SL_CFG_F_* */
	__u32  ct_insert_rate;    /* most new conntrack entries per second per CPU; 0 = no limit */
	__u32  pad;
};
_Static_assert(sizeof(struct sl_config) == 48, "sl_config layout");

/* sl_ct_rate: one-entry PERCPU_ARRAY, each CPU's conntrack inserts in its window of about a second. */
struct sl_ct_rate {
	__u64 window_ns;    /* bpf_ktime_get_coarse_ns() when the window began */
	__u64 inserts;      /* entries added since */
};

/* sl_vip_stats: PERCPU_ARRAY indexed by VIP id; userspace sums over CPUs. */
struct sl_vip_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 ct_hit_syn;     /* SYN that found an entry (retransmit, or port reuse) */
	__u64 ct_miss_syn;    /* SYN that went to Maglev */
	__u64 ct_hit;         /* non-SYN packet of a tracked flow */
	__u64 ct_miss;        /* non-SYN packet with no entry: went to Maglev */
	__u64 no_backend;     /* packet for a VIP whose table is empty */
	__u64 icmp_echo;      /* echo requests answered in XDP */
	__u64 icmp_ptb;       /* frag-needed / packet-too-big steered to a backend */
	__u64 untracked;      /* new flow balanced but not inserted: over sl_config.ct_insert_rate */
};
_Static_assert(sizeof(struct sl_vip_stats) == 88, "sl_vip_stats layout");

/* sl_be_stats: PERCPU_ARRAY indexed by backend id. */
struct sl_backend_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};
_Static_assert(sizeof(struct sl_backend_stats) == 24, "sl_backend_stats layout");

/* sl_drops: PERCPU_ARRAY of __u64 indexed by enum sl_drop_reason (sluice/drop.h). */

/* sl_tx_ports: DEVMAP_HASH keyed by ifindex, for XDP_REDIRECT to another interface. */

/*
 * sl_decap_dsts (bpf/decap.bpf.c, on backends): ARRAY of SL_DECAP_DSTS_MAX
 * addresses of the backend itself. A tunnel whose outer destination is none
 * of them is left to the stack untouched; while every slot is unused (family
 * 0, the default) every tunnel is accepted.
 */
struct sl_decap_dst {
	__be32 addr[4];     /* IPv4 in addr[0], the rest zero */
	__u8   family;      /* SL_AF_INET or SL_AF_INET6; 0 = unused slot */
	__u8   pad[3];
};
_Static_assert(sizeof(struct sl_decap_dst) == 20, "sl_decap_dst layout");

/* sl_decap_pkts (bpf/decap.bpf.c): PERCPU_ARRAY of __u64 indexed by what sl_decap did with a tunnel. */
enum sl_decap_ctr {
	SL_DECAP_V4 = 0,        /* outer IPv4, protocol 4 (IPv4) or 41 (IPv6) */
	SL_DECAP_V6,            /* outer IPv6, next header 41 or 4 */
	SL_DECAP_FOREIGN,       /* a tunnel to an address not in sl_decap_dsts: left to the stack */
	SL_DECAP_MAX,
};

#endif
