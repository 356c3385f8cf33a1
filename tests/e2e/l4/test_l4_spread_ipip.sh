#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L4, IPIP: 1000 real TCP connections to an IPv4 VIP spread over 3 backends by weight 100/100/50 (each share within 5 points).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"

l4_setup --backends 3
l4_config "$SL_TMP/sluice.yaml" ipip "$VIP4" "$BE1_IP4:100" "$BE2_IP4:100" "$BE3_IP4:50"
l4_start "$SL_TMP/sluice.yaml"

l4_up "$VIP4" "VIP $VIP4:80 answers through sluiced's XDP balancer (ipip to backends with sl_decap)"

counts=$(l4_tally "$VIP4" 1000)
diag "answers: $counts"
check "1000 connections spread 0.4/0.4/0.2 (+-0.05, >= 3.2 sigma), none failed" -- \
	l4_check_spread "$counts" 0.05 be1:0.4 be2:0.4 be3:0.2 || l4_diag
check "sl_lb's own counters saw those 1000 SYNs go through Maglev" -- l4_xdp_saw web 1000
# Direct server return: replies (from the VIP, to the client) leave each backend for
# its gateway and the lb's kernel routes them on; the lb has no route to the VIP, so
# the requests cannot have taken that path.
fwd=$(ip netns exec "$NS_LB" nstat -az IpForwDatagrams | awk '/IpForwDatagrams/ {print $2}')
diag "packets the lb's kernel routed (replies): ${fwd:-?}"
check "replies went straight back through plain routing (>= 2000 forwarded by the lb's kernel)" -- \
	test "${fwd:-0}" -ge 2000
check "the lb has no route for the VIP of its own" -- \
	sh -c "! ip -n $NS_LB route get $VIP4 2>/dev/null | grep -q ' dev '"

done_testing
