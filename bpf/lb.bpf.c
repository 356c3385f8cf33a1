// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The XDP balancer entry: composes bpf/lib/ parsers, Maglev, conntrack and encap; one out: counts the verdict. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/csum.h"
#include "lib/stats.h"
#include "lib/maglev.h"
#include "lib/conntrack.h"
#include "lib/encap.h"
#include "lib/icmp.h"
#include "lib/vip.h"

/*
 * Packet walk:
 *  1. parse; malformed IP/L4 headers are dropped with their reason (the
 *     stack would drop them too), everything not IP -> XDP_PASS untouched.
 *  2. ICMP: echo requests to an address marked in sl_vips (proto ICMP/ICMPv6,
 *     port 0) are answered here; frag-needed / packet-too-big quoting a VIP
 *     reply are steered to the backend of the client flow they quote.
 *  3. A tracked flow's packet (not a SYN, not a fragment, to an address
 *     sl_vip_addrs counts): conntrack first, and the entry's VIP id checked
 *     in sl_vip_ids (lib/vip.h vip_tracked()) -> forward. Anything else:
 *  3b. VIP lookup (lib/vip.h): the destination's slot in sl_vip_addrs
 *     (an address no VIP has ends here), exact port, then port 0 (skipped
 *     when the slot counts no port-0 entry, or SL_CFG_F_NO_PORT0). Not a
 *     VIP -> XDP_PASS untouched.
 *  4. Fragments (IPv4 MF/offset, IPv6 fragment header): non-first fragments
 *     have no ports, so only VIPs with SL_VIP_F_HASH_SRC take them: every
 *     fragment of a datagram (first included) is hashed on the source address,
 *     skips conntrack, and lands on one backend. Other VIPs drop fragments with
 *     SL_DROP_FRAG. Non-first fragments are matched against port-0 VIPs only.
 *  5. Conntrack: a SYN (no ACK) always asks Maglev and overwrites the entry;
 *     other packets keep their tracked backend while it exists (UDP: within
 *     udp_timeout_ns), else Maglev + insert. New entries are limited to
 *     sl_config.ct_insert_rate per second per CPU (lib/conntrack.h
 *     ct_admit()); past it a new flow is forwarded by its Maglev pick and
 *     counted untracked, and a SYN leaves any entry of its 5-tuple as it is.
 *  6. Forward: IPIP / IPv6 encapsulation (default) or L2 DSR; too big for the
 *     path: dropped (SL_DROP_TOO_BIG), and answered with ICMP frag-needed
 *     (IPv4 with DF) / ICMPv6 packet-too-big from the VIP; next hop by
 *     bpf_fib_lookup, cached per backend and CPU for about a second
 *     (sl_nexthops); XDP_TX out of the ingress interface, else redirect
 *     through sl_tx_ports.
 * The flow hash and slot rule live in sluice/flow_hash.h so that userspace
 * (sluicectl trace) computes the same backend. The flow hash (a jhash) is
 * only computed for a Maglev pick; the IPIP outer source and IPv6 flow label
 * come from sl_tunnel_hash(), a multiply, so a tracked packet pays no jhash.
 */
SEC("xdp")
int sl_lb(struct xdp_md *ctx)
{
	struct sl_nexthop *nh = NULL;
	struct sl_pkt p = {};
	struct sl_flow_key ptb_key, *fk = &p.key;   /* the flow balanced: the packet's, or the one a PTB quotes */
	struct sl_vip_addr_count *ac;
	struct sl_vip_meta *vip;
	struct sl_vip_stats *vs;
	struct sl_ct_value *ct;
	struct sl_backend *be;
	struct sl_config *cfg;
	__u32 zero = 0, reason = SL_DROP_NONE, bytes, hash, be_id, vip_flags;
	bool ptb = false, syn = false, new_flow = false, ct_done = false;
	int rc, action = XDP_PASS;
	long pick;

	bytes = ctx->data_end - ctx->data;
	rc = parse_packet(ctx, &p);
	if (rc == SL_PARSE_PASS)
		goto out;
	if (rc) {
		reason = rc;
		goto drop;
	}
	cfg = bpf_map_lookup_elem(&sl_config, &zero);
	if (!cfg)
		goto out;
	if (fk->proto == IPPROTO_ICMP || fk->proto == IPPROTO_ICMPV6) {
		if (icmp_is_echo(&p)) {
			if (!(cfg->flags & SL_CFG_F_ICMP_ECHO))
				goto out;
			vip = vip_addr(cfg, fk->dst, &ac) ? vip_match(cfg, ac, fk->dst, 0, fk->proto, fk->family) : NULL;
			if (!vip)
				goto out;
			rc = icmp_echo_reply(ctx, &p);
			if (rc) {
				reason = rc;
				goto drop;
			}
			vs = stats_vip(vip->id);
			if (vs) {
				vs->packets += 1;
				vs->bytes += bytes;
				vs->icmp_echo += 1;
			}
			action = XDP_TX;
			goto out;
		}
		if (!icmp_is_ptb(&p) || icmp_ptb_flow(ctx, &p, &ptb_key))
			goto out;
		fk = &ptb_key;
		ptb = true;
	}

	if (!vip_addr(cfg, fk->dst, &ac))
		goto out;
	ct = NULL;
	if (!ptb && p.frag == SL_FRAG_NONE) {
		syn = fk->proto == IPPROTO_TCP && (p.tcp_flags & (SL_TCP_SYN | SL_TCP_ACK)) == SL_TCP_SYN;
		/* the common packet, a tracked flow's: its VIP by id from the entry, no sl_vips match */
		if (!syn) {
			ct = ct_lookup(fk);
			ct_done = true;
			if (ct_usable(ct, fk->proto, cfg) && (vip = vip_tracked(ct->vip_id, fk))) {
				be_id = ct->backend_id;
				be = bpf_map_lookup_elem(&sl_backends, &be_id);
				if (be && be->family) {
					vip_flags = vip->flags;
					vs = stats_vip(vip->id);
					if (vs) {
						vs->packets += 1;
						vs->bytes += bytes;
						vs->ct_hit += 1;
					}
					goto forward;
				}
			}
		}
	}

	vip = vip_match(cfg, ac, fk->dst, fk->dport, fk->proto, fk->family);
	if (!vip)
		goto out;
	vip_flags = vip->flags;
	vs = stats_vip(vip->id);
	if (vs) {
		vs->packets += 1;
		vs->bytes += bytes;
		vs->icmp_ptb += ptb;
	}
	if (p.frag != SL_FRAG_NONE && !(vip_flags & SL_VIP_F_HASH_SRC)) {
		reason = SL_DROP_FRAG;
		goto drop;
	}
	if (p.frag == SL_FRAG_NONE) {
		if (!syn) {
			if (!ct_done)
				ct = ct_lookup(fk);
			/* an entry made for another VIP id (the config moved the flow) is stale */
			if (ct_usable(ct, fk->proto, cfg) && ct->vip_id == vip->id) {
				be_id = ct->backend_id;
				be = bpf_map_lookup_elem(&sl_backends, &be_id);
				if (be && be->family) {
					if (vs)
						vs->ct_hit += 1;
					goto forward;
				}
			}
			if (vs)
				vs->ct_miss += 1;
		}
	}

	hash = sl_vip_flow_hash(fk, vip_flags, cfg->hash_seed);
	pick = maglev_pick(vip->id, hash);
	if (pick < 0) {
		reason = SL_DROP_NO_RING;
		goto drop;
	}
	if (pick == 0) {
		if (vs)
			vs->no_backend += 1;
		if (vip_flags & SL_VIP_F_EMPTY_PASS)
			goto out;
		reason = SL_DROP_NO_BACKEND;
		goto drop;
	}
	be_id = pick;
	be = bpf_map_lookup_elem(&sl_backends, &be_id);
	if (!be || !be->family) {
		reason = SL_DROP_BAD_BACKEND;
		goto drop;
	}
	new_flow = true;
	if (vs)
		vs->new_flows += 1;
	if (syn) {
		/* insert without looking first: a SYN almost always opens a new flow */
		bool admit = ct_admit(cfg);

		if (!admit) {
			/*
			 * Over the insert rate: not tracked, its next packets ask
			 * Maglev too. Not looked up either (a miss in a big table
			 * costs about what the insert would): an entry this
			 * 5-tuple still has keeps its older pick, which differs
			 * only if the ring changed since (Katran does the same).
			 */
			if (vs) {
				vs->ct_miss_syn += 1;
				vs->untracked += 1;
			}
		} else if (ct_insert(fk, be_id, vip->id) == -SL_EEXIST) {
			/* the 5-tuple is tracked (port reuse, retransmit): its entry takes the new pick */
			ct = ct_lookup(fk);
			ct_store(fk, ct, be_id, vip->id);
			if (vs)
				vs->ct_hit_syn += 1;
		} else if (vs) {
			vs->ct_miss_syn += 1;
		}
	} else if (p.frag == SL_FRAG_NONE && !ptb) {
		/* a stale entry is rewritten in place; only a new one counts against the rate */
		if (ct || ct_admit(cfg))
			ct_store(fk, ct, be_id, vip->id);
		else if (vs)
			vs->untracked += 1;
	}

forward:
	if (vip_flags & SL_VIP_F_DSR)
		rc = fwd_dsr(ctx, &p, be_id, be, &nh);
	else
		rc = fwd_ipip(ctx, &p, be_id, be, cfg, sl_tunnel_hash(fk, vip_flags), &nh);
	if (rc == SL_DROP_TOO_BIG && nh && !ptb && p.frag == SL_FRAG_NONE) {
		/* tell the client the path MTU: the packet itself is still dropped and counted */
		__u32 mtu = nh->mtu;

		if (!(vip_flags & SL_VIP_F_DSR))
			mtu -= be->family == SL_AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
		if (!icmp_too_big(ctx, &p, mtu)) {
			stats_drop(SL_DROP_TOO_BIG);
			action = XDP_TX;
			goto out;
		}
	}
	if (rc || !nh) {
		reason = rc ? rc : SL_DROP_FIB;
		goto drop;
	}
	action = fwd_xmit(ctx, nh, &reason);
	if (action == XDP_DROP)
		goto out;
	stats_backend(be_id, bytes, new_flow);
	goto out;
drop:
	action = XDP_DROP;
out:
	if (action == XDP_DROP)
		stats_drop(reason);
	return action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
