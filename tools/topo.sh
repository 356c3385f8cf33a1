#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Builds and removes the network-namespace topology shared by the e2e tests, the demo and the benches.
#
#   tools/topo.sh up PREFIX [--backends N] [--router] [--v6 | --no-v6]
#   tools/topo.sh down PREFIX
#   tools/topo.sh env PREFIX        # shell assignments: eval "$(tools/topo.sh env PREFIX)"
#
# PREFIX: 1..11 characters of [a-zA-Z0-9_-], e.g. "sl$$-" (interface names are PREFIX + up
# to 4 characters). --backends: 1..99, default 3. IPv6 is on by default (--v6 says so
# explicitly); --no-v6 leaves it out. up first removes a topology of the same PREFIX;
# down is idempotent; env fails when PREFIX is not up.
#
# Layout (every name starts with PREFIX, so two runs with different prefixes never meet):
#
#   PREFIXcli --c0====l0--> PREFIXlb --l1====n0--> PREFIXnet (bridge PREFIXbr) --n1..nN====b1..bN-- PREFIXbe1..N
#              (with --router: c0====r0 PREFIXrtr r1====l0)
#
# Addresses (only the benchmarking ranges 198.18.0.0/15 and 2001:2::/48):
#   client side   198.18.0.0/24   client .1, gateway (lb or router) .254;  2001:2::/64 (::1, ::fe)
#   router-lb     198.18.1.0/24   lb .1, router .254;                       2001:2:1::/64 (::1, ::fe)
#   backend L2    198.18.20.0/24  backend i = .i, lb .254;                 2001:2:20::/64 (::i, ::fe)
#   VIP           198.18.10.1 and 2001:2:10::1, on every backend's lo (arp_ignore=1, arp_announce=2)
# Backends route 198.18.0.0/15 and 2001:2::/48 via the lb, so replies go straight back to the
# client through the lb's kernel forwarding (direct server return), never through XDP's VIP logic.
# Every veth has tx checksum offload off (XDP rewrites packets the stack would otherwise finish)
# and GRO on (so XDP_TX / XDP_REDIRECT into a veth is delivered at once instead of stalling).
set -euo pipefail

STATE_DIR=/run/sluice-topo
XDP_PIN_DIR=/sys/fs/bpf/xdp
V4_VIP=198.18.10.1
V6_VIP=2001:2:10::1

usage() {
	echo "usage: $0 up PREFIX [--backends N] [--router] [--no-v6] | down PREFIX | env PREFIX" >&2
	exit 2
}

check_prefix() {
	# Interface names are PREFIX + up to 4 characters and must stay within 15 bytes.
	[[ $1 =~ ^[a-zA-Z0-9_-]{1,11}$ ]] || { echo "topo.sh: PREFIX must be 1..11 of [a-zA-Z0-9_-]" >&2; exit 2; }
}

mac() { printf '02:5e:%02x:%02x:%02x:%02x' "$1" "$2" "$3" "$4"; }

# Everything below derives from PREFIX, N, ROUTER, V6; env and down reuse it.
names() {
	NS_CLI=${P}cli NS_LB=${P}lb NS_NET=${P}net NS_RTR=${P}rtr
	IF_CLI=${P}c0 IF_LB_IN=${P}l0 IF_LB_OUT=${P}l1 IF_NET_UP=${P}n0 BR=${P}br
	IF_RTR_IN=${P}r0 IF_RTR_OUT=${P}r1
	MAC_CLI=$(mac 0 0 0 1) MAC_LB_IN=$(mac 1 0 0 0) MAC_LB_OUT=$(mac 1 0 0 1)
	MAC_NET_UP=$(mac 3 0 0 0) MAC_RTR_IN=$(mac 4 0 0 0) MAC_RTR_OUT=$(mac 4 0 0 1)
	CLI4=198.18.0.1 CLI6=2001:2::1
	if [ "$ROUTER" = 1 ]; then
		GW_CLI4=198.18.0.254 GW_CLI6=2001:2::fe
		LB_IN4=198.18.1.1 LB_IN6=2001:2:1::1 RTR_OUT4=198.18.1.254 RTR_OUT6=2001:2:1::fe
	else
		LB_IN4=198.18.0.254 LB_IN6=2001:2::fe GW_CLI4=$LB_IN4 GW_CLI6=$LB_IN6
	fi
	LB_OUT4=198.18.20.254 LB_OUT6=2001:2:20::fe
	VIP4=$V4_VIP VIP6=$V6_VIP
}

emit_env() {
	local i
	cat <<EOF
TOPO_PREFIX=$P
TOPO_BACKENDS=$N
TOPO_ROUTER=$ROUTER
TOPO_V6=$V6
NS_CLI=$NS_CLI
NS_LB=$NS_LB
NS_NET=$NS_NET
NS_RTR=$([ "$ROUTER" = 1 ] && echo "$NS_RTR")
IF_CLI=$IF_CLI
IF_LB_IN=$IF_LB_IN
IF_LB_OUT=$IF_LB_OUT
IF_NET_UP=$IF_NET_UP
IF_BRIDGE=$BR
IF_RTR_IN=$([ "$ROUTER" = 1 ] && echo "$IF_RTR_IN")
IF_RTR_OUT=$([ "$ROUTER" = 1 ] && echo "$IF_RTR_OUT")
MAC_CLI=$MAC_CLI
MAC_LB_IN=$MAC_LB_IN
MAC_LB_OUT=$MAC_LB_OUT
MAC_NET_UP=$MAC_NET_UP
MAC_GW_CLI=$([ "$ROUTER" = 1 ] && echo "$MAC_RTR_IN" || echo "$MAC_LB_IN")
CLI4=$CLI4
CLI6=$CLI6
GW_CLI4=$GW_CLI4
GW_CLI6=$GW_CLI6
LB_IN4=$LB_IN4
LB_IN6=$LB_IN6
LB_OUT4=$LB_OUT4
LB_OUT6=$LB_OUT6
VIP4=$VIP4
VIP6=$VIP6
EOF
	local ns="" ifs="" ip4="" ip6=""
	for ((i = 1; i <= N; i++)); do
		echo "NS_BE$i=${P}be$i"
		echo "IF_BE$i=${P}b$i"
		echo "IF_NET_BE$i=${P}n$i"
		echo "MAC_BE$i=$(mac 2 0 0 "$i")"
		echo "BE${i}_IP4=198.18.20.$i"
		echo "BE${i}_IP6=2001:2:20::$i"
		ns+="${P}be$i " ifs+="${P}b$i " ip4+="198.18.20.$i " ip6+="2001:2:20::$i "
	done
	echo "NS_BES='${ns% }'"
	echo "IF_BES='${ifs% }'"
	echo "BE_IP4S='${ip4% }'"
	echo "BE_IP6S='${ip6% }'"
}

# veth A(in ns NA, mac MA) <-> B(in ns NB, mac MB), both up, offloads set.
veth() {
	local a=$1 na=$2 ma=$3 b=$4 nb=$5 mb=$6
	ip link add "$a" netns "$na" address "$ma" type veth peer name "$b" netns "$nb" address "$mb"
	for side in "$a:$na" "$b:$nb"; do
		local ifn=${side%%:*} ns=${side#*:}
		ip -n "$ns" link set "$ifn" up
		ip netns exec "$ns" ethtool -K "$ifn" tx off gro on >/dev/null 2>&1 || true
	done
}

# sysctls common to every namespace: no DAD delay, no rp_filter surprises.
ns_new() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sh -c '
		sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
		sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1' >/dev/null 2>&1 || true
}

addr4() { ip -n "$1" addr add "$3" dev "$2"; }
addr6() { if [ "$V6" = 1 ]; then ip -n "$1" -6 addr add "$3" dev "$2" nodad; fi; }
route4() { ip -n "$1" route replace "$2" via "$3"; }
route6() { if [ "$V6" = 1 ]; then ip -n "$1" -6 route replace "$2" via "$3"; fi; }

do_up() {
	local i
	mkdir -p "$STATE_DIR"
	# libxdp makes /sys/fs/bpf/xdp (its dispatchers' pin directory) the first time
	# a program is attached through it; a topology that saw it appear removes it when
	# it is left empty, so nothing of a run stays under /sys/fs/bpf
	XDPDIR=keep
	[ -e "$XDP_PIN_DIR" ] || XDPDIR=ours
	printf 'N=%s\nROUTER=%s\nV6=%s\nXDPDIR=%s\n' "$N" "$ROUTER" "$V6" "$XDPDIR" >"$STATE_DIR/$P.state"
	names

	ns_new "$NS_CLI"; ns_new "$NS_LB"; ns_new "$NS_NET"
	for ((i = 1; i <= N; i++)); do ns_new "${P}be$i"; done
	[ "$ROUTER" = 1 ] && ns_new "$NS_RTR"
	for ns in "$NS_LB" $([ "$ROUTER" = 1 ] && echo "$NS_RTR"); do
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
	done

	# client <-> (router <->) lb
	if [ "$ROUTER" = 1 ]; then
		veth "$IF_CLI" "$NS_CLI" "$MAC_CLI" "$IF_RTR_IN" "$NS_RTR" "$MAC_RTR_IN"
		veth "$IF_RTR_OUT" "$NS_RTR" "$MAC_RTR_OUT" "$IF_LB_IN" "$NS_LB" "$MAC_LB_IN"
		addr4 "$NS_RTR" "$IF_RTR_IN" "$GW_CLI4/24"; addr6 "$NS_RTR" "$IF_RTR_IN" "$GW_CLI6/64"
		addr4 "$NS_RTR" "$IF_RTR_OUT" "$RTR_OUT4/24"; addr6 "$NS_RTR" "$IF_RTR_OUT" "$RTR_OUT6/64"
		addr4 "$NS_LB" "$IF_LB_IN" "$LB_IN4/24"; addr6 "$NS_LB" "$IF_LB_IN" "$LB_IN6/64"
		route4 "$NS_RTR" 198.18.10.0/24 "$LB_IN4"; route6 "$NS_RTR" 2001:2:10::/64 "$LB_IN6"
		route4 "$NS_RTR" 198.18.20.0/24 "$LB_IN4"; route6 "$NS_RTR" 2001:2:20::/64 "$LB_IN6"
		route4 "$NS_LB" 198.18.0.0/24 "$RTR_OUT4"; route6 "$NS_LB" 2001:2::/64 "$RTR_OUT6"
	else
		veth "$IF_CLI" "$NS_CLI" "$MAC_CLI" "$IF_LB_IN" "$NS_LB" "$MAC_LB_IN"
		addr4 "$NS_LB" "$IF_LB_IN" "$LB_IN4/24"; addr6 "$NS_LB" "$IF_LB_IN" "$LB_IN6/64"
	fi
	addr4 "$NS_CLI" "$IF_CLI" "$CLI4/24"; addr6 "$NS_CLI" "$IF_CLI" "$CLI6/64"
	# The client reaches every test range (VIPs, backends) through its gateway, nothing else.
	# (IPv6: per-prefix routes, since a /48 over the client's own 2001:2::/64 is not matched
	# by lookups on this kernel.)
	route4 "$NS_CLI" 198.18.0.0/15 "$GW_CLI4"
	route6 "$NS_CLI" 2001:2:10::/64 "$GW_CLI6"; route6 "$NS_CLI" 2001:2:20::/64 "$GW_CLI6"

	# lb <-> bridge segment <-> backends
	ip -n "$NS_NET" link add "$BR" type bridge
	ip -n "$NS_NET" link set "$BR" up
	ip netns exec "$NS_NET" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1 || true
	veth "$IF_LB_OUT" "$NS_LB" "$MAC_LB_OUT" "$IF_NET_UP" "$NS_NET" "$MAC_NET_UP"
	ip -n "$NS_NET" link set "$IF_NET_UP" master "$BR"
	addr4 "$NS_LB" "$IF_LB_OUT" "$LB_OUT4/24"; addr6 "$NS_LB" "$IF_LB_OUT" "$LB_OUT6/64"

	for ((i = 1; i <= N; i++)); do
		local ns=${P}be$i be=${P}b$i nif=${P}n$i
		veth "$be" "$ns" "$(mac 2 0 0 "$i")" "$nif" "$NS_NET" "$(mac 3 0 0 "$i")"
		ip -n "$NS_NET" link set "$nif" master "$BR"
		addr4 "$ns" "$be" "198.18.20.$i/24"; addr6 "$ns" "$be" "2001:2:20::$i/64"
		# DSR: replies leave straight for the client via the lb's plain routing.
		route4 "$ns" 198.18.0.0/15 "$LB_OUT4"; route6 "$ns" 2001:2::/48 "$LB_OUT6"
		# The VIP is local on every backend but must never be announced on the segment.
		ip -n "$ns" addr add "$VIP4/32" dev lo
		if [ "$V6" = 1 ]; then ip -n "$ns" -6 addr add "$VIP6/128" dev lo nodad; fi
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
			"net.ipv4.conf.$be.arp_ignore=1" "net.ipv4.conf.$be.arp_announce=2" \
			"net.ipv4.conf.$be.rp_filter=0" >/dev/null
	done
	# Bridge ports forward at once (no STP listening delay on a fresh bridge).
	ip -n "$NS_NET" link set "$BR" type bridge stp_state 0 forward_delay 0 2>/dev/null || true
}

do_down() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		if [[ $ns =~ ^${P}(cli|lb|net|rtr|be[0-9]+)$ ]]; then
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
	rm -f "$STATE_DIR/$P.state"
}

cmd=${1:-}; P=${2:-}
[ -n "$cmd" ] && [ -n "$P" ] || usage
check_prefix "$P"
N=3 ROUTER=0 V6=1
shift 2
case $cmd in
up)
	while [ $# -gt 0 ]; do
		case $1 in
		--backends) N=$2; shift 2 ;;
		--router) ROUTER=1; shift ;;
		--v6) V6=1; shift ;;
		--no-v6) V6=0; shift ;;
		*) usage ;;
		esac
	done
	[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 99 ] || { echo "topo.sh: --backends 1..99" >&2; exit 2; }
	[ "$(id -u)" -eq 0 ] || { echo "topo.sh: needs root" >&2; exit 1; }
	do_down
	if ! do_up; then
		echo "topo.sh: up $P failed; removing what was made" >&2
		do_down
		exit 1
	fi
	;;
down)
	XDPDIR=keep
	# shellcheck disable=SC1090
	[ -f "$STATE_DIR/$P.state" ] && . "$STATE_DIR/$P.state"
	do_down
	if [ "$XDPDIR" = ours ]; then
		rmdir "$XDP_PIN_DIR" 2>/dev/null || true   # only when empty
	fi
	;;
env)
	[ -f "$STATE_DIR/$P.state" ] || { echo "topo.sh: no topology $P is up" >&2; exit 1; }
	# shellcheck disable=SC1090
	. "$STATE_DIR/$P.state"
	names
	emit_env
	;;
*) usage ;;
esac
