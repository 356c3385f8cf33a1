/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Every map of the XDP balancer, one line each on why it exists; all pinned under SL_PIN_DIR by name. */
#ifndef SL_BPF_MAPS_H
#define SL_BPF_MAPS_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sluice/consts.h"
#include "sluice/drop.h"
#include "sluice/maps.h"
#include "lib/ct_shape.h"

/*
 * sl_vips: (address, port, protocol, family) -> VIP id and flags. Exact port
 * first, then port 0 (every port). One extra entry per VIP address with
 * proto IPPROTO_ICMP (v4) / IPPROTO_ICMPV6 (v6) and port 0 marks the address
 * for echo replies (SL_CFG_F_ICMP_ECHO); its meta.id is the VIP whose stats
 * count the replies.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct sl_vip_key);
	__type(value, struct sl_vip_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_vips SEC(".maps");

/* sl_vip_addrs: per address slot, how many sl_vips entries (and port-0 ones) it holds. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << SL_VIP_ADDR_BITS);
	__type(key, __u32);
	__type(value, struct sl_vip_addr_count);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_vip_addrs SEC(".maps");

/* sl_vip_ids: VIP id -> its exact-port sl_vips entry (see sluice/maps.h): the tracked-packet fast path. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct sl_vip_id_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_vip_ids SEC(".maps");

/*
 * The inner map template of sl_rings. BPF_F_INNER_MAP lets userspace install
 * inner arrays of any size (up to SL_RING_MAX + 1 entries): slot 0 = M,
 * slots 1..M = backend ids. Replacing the outer slot is one atomic update.
 * Checked on kernel 6.18 / libbpf 1.1: inner arrays of 8 .. 1048574 entries
 * swap in, provided userspace creates them with map_flags = BPF_F_INNER_MAP
 * as well (an inner array without the flag and of another size: -EINVAL).
 */
struct sl_ring_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_RING_DEFAULT + 1);
	__uint(map_flags, BPF_F_INNER_MAP);
	__type(key, __u32);
	__type(value, __u32);
};

/* sl_rings: VIP id -> its Maglev table. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SL_MAX_VIPS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct sl_ring_inner);  /* must come last: a flexible array */
} sl_rings SEC(".maps");

/* sl_backends: backend id -> address; the ring stores ids so tables stay 4 bytes a slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct sl_backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_backends SEC(".maps");

/*
 * sl_conntrack: flow -> backend, so a table change never moves an established
 * flow. One table shared by every CPU (a flow is found whichever CPU its next
 * packet lands on), with an LRU list per CPU (BPF_F_NO_COMMON_LRU: inserts
 * take no shared lock; each CPU evicts among the max_entries / ncpus entries
 * it inserted). Measured against LRU_PERCPU_HASH, whose insert also writes a
 * value per CPU: a SYN ~12% cheaper, a tracked packet the same (bench/README.md).
 */
struct {
	SL_CT_MAP_SHAPE;
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_conntrack SEC(".maps");

/* sl_config: run-time settings (tunnel sources, seed, UDP timeout, flags). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_config SEC(".maps");

/* sl_vip_stats: per-CPU counters per VIP id; userspace sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct sl_vip_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_vip_stats SEC(".maps");

/* sl_be_stats: per-CPU counters per backend id. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct sl_backend_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_be_stats SEC(".maps");

/* sl_drops: one per-CPU counter per enum sl_drop_reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_drops SEC(".maps");

/*
 * sl_tx_ports: egress ifindex -> ifindex (value is a __u32 ifindex, i.e. the
 * first member of struct bpf_devmap_val), for XDP_REDIRECT when the route to
 * a backend leaves through another interface than the packet came in on.
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_tx_ports SEC(".maps");

/*
 * sl_nexthops: per-CPU cache of bpf_fib_lookup answers per backend id, so
 * the FIB is walked about once a second per backend and CPU rather than per
 * packet. Internal to the XDP program (not pinned, userspace never writes
 * it). The clock is read on every SL_NH_CHECK_EVERY-th use only (a helper
 * call per packet is measurable): route, neighbour and MTU changes take
 * effect after SL_NH_TTL_NS and at most SL_NH_CHECK_EVERY packets to that
 * backend on that CPU.
 */
struct sl_nexthop {
	__u64 expires_ns;   /* bpf_ktime_get_coarse_ns() after which it is looked up again; 0 = invalid */
	__u32 ifindex;      /* egress interface */
	__u16 mtu;          /* route MTU towards the backend */
	__u8  dmac[6];
	__u8  smac[6];
	__u8  pad[2];
	__u32 uses;         /* packets since the clock was last read */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct sl_nexthop);
} sl_nexthops SEC(".maps");

/* sl_ct_rate: this CPU's conntrack inserts in its current window (lib/conntrack.h ct_admit()); not pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_ct_rate);
} sl_ct_rate SEC(".maps");

#endif
