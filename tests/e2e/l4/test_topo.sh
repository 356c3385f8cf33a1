#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# tools/topo.sh: up builds client, lb, bridge segment and backends that reach each other (IPv4 and IPv6, with and without a router); down removes everything.
. "$(dirname "$0")/../lib/lib.sh"
need_root
PY=/usr/bin/python3
TOOL=$SL_ROOT/tests/e2e/lib/l4_tool.py
TOPO=$SL_ROOT/tools/topo.sh

for mode in plain router; do
	P=st$$${mode:0:1}-
	on_exit "$TOPO down $P"
	args=(--backends 2)
	[ $mode = router ] && args+=(--router)
	check "$mode: topo.sh up ${args[*]}" -- "$TOPO" up "$P" "${args[@]}"
	eval "$("$TOPO" env "$P")"
	check "$mode: env names every namespace, interface and address" -- \
		sh -c "[ -n '$NS_CLI' ] && [ -n '$NS_LB' ] && [ '$NS_BES' = '${P}be1 ${P}be2' ] && \
		       [ -n '$MAC_LB_IN' ] && [ '$VIP4' = 198.18.10.1 ] && [ '$VIP6' = 2001:2:10::1 ] && \
		       [ '$BE2_IP4' = 198.18.20.2 ]"
	check "$mode: forwarding on in the lb namespace (IPv4 and IPv6)" -- \
		sh -c "[ \$(ip netns exec $NS_LB sysctl -n net.ipv4.ip_forward) = 1 ] &&
		       [ \$(ip netns exec $NS_LB sysctl -n net.ipv6.conf.all.forwarding) = 1 ]"
	check "$mode: tx checksum offload off on the client veth" -- \
		sh -c "ip netns exec $NS_CLI ethtool -k $IF_CLI | grep -q 'tx-checksumming: off'"
	check "$mode: the VIP is on every backend's lo" -- \
		sh -c "ip -n ${P}be1 addr show lo | grep -q $VIP4 && ip -n ${P}be2 -6 addr show lo | grep -q $VIP6"
	bg ip netns exec "${P}be2" "$PY" "$TOOL" server be2 --lifetime 20
	wait_for 5 sh -c "ip netns exec ${P}be2 ss -ltn | grep -q ':80 '"
	check "$mode: client reaches a backend over IPv4 (replies routed back by the lb)" -- \
		sh -c "ip netns exec $NS_CLI $PY $TOOL tally $BE2_IP4 -n 3 --timeout 5 | grep -q '\"be2\": 3'"
	check "$mode: client reaches a backend over IPv6" -- \
		sh -c "ip netns exec $NS_CLI $PY $TOOL tally $BE2_IP6 -n 3 --timeout 5 | grep -q '\"be2\": 3'"
	kill "$BG_PID"; wait "$BG_PID" 2>/dev/null
	check "$mode: topo.sh down" -- "$TOPO" down "$P"
	check "$mode: no namespace with the prefix is left" -- sh -c "! ip netns list | grep -q '^$P'"
	check "$mode: topo.sh down again is a no-op" -- "$TOPO" down "$P"
done
done_testing
