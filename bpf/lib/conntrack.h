/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Connection tracking in sl_conntrack: which backend a flow was given, so it never moves. */
#ifndef SL_BPF_CONNTRACK_H
#define SL_BPF_CONNTRACK_H

#include "lib/maps.h"

/* Refresh a UDP entry's last_seen at most this often: keeps writes off the hot path. */
#define SL_CT_REFRESH_NS 1000000000ULL
#define SL_EEXIST        17   /* errno EEXIST, as map updates return it */
#define SL_CT_WINDOW_NS  1000000000ULL

static __always_inline struct sl_ct_value *ct_lookup(const struct sl_flow_key *k)
{
	return bpf_map_lookup_elem(&sl_conntrack, k);
}

/*
 * ct_usable(): true when the entry names a backend and, for UDP, was seen
 * within the timeout. A fresh UDP entry older than SL_CT_REFRESH_NS gets
 * last_seen = now (CPUs sharing the flow may both write it: same value).
 */
static __always_inline bool ct_usable(struct sl_ct_value *v, __u8 proto, const struct sl_config *cfg)
{
	__u64 now, age;

	if (!v || !v->backend_id)
		return false;
	if (proto != IPPROTO_UDP)
		return true;
	now = bpf_ktime_get_coarse_ns();
	age = now - v->last_seen_ns;
	if (age > cfg->udp_timeout_ns)
		return false;
	if (age > SL_CT_REFRESH_NS)
		v->last_seen_ns = now;
	return true;
}

/* ct_now(): last_seen for a new entry: only UDP entries age (a helper call saved per TCP flow). */
static __always_inline __u64 ct_now(__u8 proto)
{
	return proto == IPPROTO_UDP ? bpf_ktime_get_coarse_ns() : 0;
}

/*
 * ct_insert(): records a new flow's pick without looking first (the SYN
 * path). Returns 0, or -EEXIST when the 5-tuple is already tracked: the
 * caller then looks it up and overwrites it with ct_store().
 */
static __always_inline long ct_insert(const struct sl_flow_key *k, __u32 be_id, __u32 vip_id)
{
	struct sl_ct_value nv = {
		.backend_id = be_id,
		.vip_id = vip_id,
		.last_seen_ns = ct_now(k->proto),
	};

	return bpf_map_update_elem(&sl_conntrack, k, &nv, BPF_NOEXIST);
}

/*
 * ct_admit(): may this CPU add one more entry? At most cfg->ct_insert_rate
 * per window of a second (0: no limit), like Katran's MAX_CONN_RATE: a SYN
 * flood of random 5-tuples then costs a Maglev pick per packet instead of
 * evicting established flows from the table (and an LRU insert, the
 * dearest thing a packet here can do). A window begins when the previous
 * one has filled and is a second old, so the clock is read only once the
 * count is reached: below the rate an insert pays no helper call. Bursts
 * at a window's edge may reach twice the rate, as with Katran's.
 */
static __always_inline bool ct_admit(const struct sl_config *cfg)
{
	struct sl_ct_rate *r;
	__u32 zero = 0;
	__u64 now;

	if (!cfg->ct_insert_rate)
		return true;
	r = bpf_map_lookup_elem(&sl_ct_rate, &zero);
	if (!r)
		return true;
	if (r->inserts < cfg->ct_insert_rate) {
		r->inserts += 1;
		return true;
	}
	now = bpf_ktime_get_coarse_ns();
	if ((__s64)(now - r->window_ns) < (__s64)SL_CT_WINDOW_NS)   /* signed: a start set ahead of the coarse clock */
		return false;
	r->window_ns = now;
	r->inserts = 1;
	return true;
}

/* ct_store(): records the pick, in place when this CPU already has the entry. */
static __always_inline void ct_store(const struct sl_flow_key *k, struct sl_ct_value *v,
				     __u32 be_id, __u32 vip_id)
{
	struct sl_ct_value nv = {
		.backend_id = be_id,
		.vip_id = vip_id,
		.last_seen_ns = ct_now(k->proto),
	};

	if (v) {
		*v = nv;
		return;
	}
	bpf_map_update_elem(&sl_conntrack, k, &nv, BPF_ANY);
}

#endif
