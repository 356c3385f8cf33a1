#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Memory per idle keep-alive client connection: sluiced vs nginx (and haproxy), 10,000 idle connections each, in a private network namespace.
#
#   bench/idle_mem.sh [--duration S] [--out DIR]     (SL_BENCH_QUICK=1: 1,000 connections)
#
# Per proxy, one at a time (settings of bench/lib_l7.sh, one worker pinned to cpu0):
# a few warm-up requests, the proxy's RSS and PSS (VmRSS of /proc/PID/status,
# Pss of /proc/PID/smaps_rollup, summed over the process and its children), then
# bench/idle_client.py (cpu1) opens N connections, makes one request on each and
# holds them idle; after a second the memory is read again. The figure is
# (after - before) / N in bytes. Kernel socket memory is the same for every proxy
# and is noted apart from /proc/net/sockstat. The namespace gives the run its
# own port range and its own TCP socket count; it is named $SL_BENCH_PREFIX"m".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SL_BUILD:-$ROOT/build}
OUT=
INNER=0
while [ $# -gt 0 ]; do
	case $1 in
	--duration) shift 2 ;;   # the figure needs no duration: it is a state, not a rate
	--out) OUT=$2; shift 2 ;;
	--in-ns) INNER=1; shift ;;
	*) echo "usage: $0 [--duration S] [--out DIR]" >&2; exit 2 ;;
	esac
done
OUT=${OUT:-$(mktemp -d /tmp/sl-idlemem.XXXXXX)}
N=10000
[ "${SL_BENCH_QUICK:-0}" = 1 ] && N=1000

if [ $INNER = 0 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "needs root (a network namespace)" >&2; exit 77; }
	[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (proxy on one, client and origin on the other)" >&2; exit 77; }
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -ge $((N + 200)) ] ||
		{ echo "needs $((N + 200)) descriptors per process, the hard limit is $hard" >&2; exit 77; }
	NS=${SL_BENCH_PREFIX:-sb$$}m
	ip netns add "$NS" || exit 1
	trap 'ip netns del "$NS" 2>/dev/null' EXIT
	trap 'exit 130' INT TERM
	ip -n "$NS" link set lo up
	# Not exec: the trap above removes the namespace once the inner run is over.
	ip netns exec "$NS" "$0" --in-ns --out "$OUT" &
	inner=$!
	wait $inner
	exit $?
fi

. "$ROOT/bench/lib_l7.sh"
W=$OUT/work
mkdir -p "$W"
client_pid=
trap 'l7_cleanup; [ -n "$client_pid" ] && l7_kill "$client_pid"' EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)"

# mem PID: "RSS_KB PSS_KB" of the process and its children.
mem() {
	local rss=0 pss=0 q v
	for q in $1 $(pgrep -P "$1"); do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$q/status" 2>/dev/null) && rss=$((rss + ${v:-0}))
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$q/smaps_rollup" 2>/dev/null) && pss=$((pss + ${v:-0}))
	done
	echo "$rss $pss"
}
# tcp_stat: "SOCKETS_IN_USE MEM_PAGES" from /proc/net/sockstat (in use: this namespace; mem: machine-wide).
tcp_stat() { awk '$1 == "TCP:" { for (i = 2; i < NF; i += 2) v[$i] = $(i + 1); print v["inuse"] + 0, v["mem"] + 0 }' /proc/net/sockstat; }

client() {  # client PORT COUNT HOLD: the idle client on the client core
	taskset -c "$CLIENT_CPU" /usr/bin/python3 "$ROOT/bench/idle_client.py" --port "$1" --count "$2" --hold "$3" --deadline 90
}

l7_origin_start || exit 1
measured=()
for name in sluiced nginx haproxy; do
	l7_proxy_start "$name" "$N" || continue
	port=${PORT[$name]} pid=${PID[$name]}
	# Warm-up: the upstream pool and the proxy's per-request buffers exist before "before".
	w=$(client "$port" 16 0 </dev/null)
	[ "$w" = "ready 16" ] || { l7_skip "$name" "warm-up failed: $w"; l7_proxy_stop "$name"; continue; }
	sleep 0.5
	read -r rss0 pss0 <<<"$(mem "$pid")"
	read -r sk0 pg0 <<<"$(tcp_stat)"
	t0=$SECONDS
	coproc CL { exec taskset -c "$CLIENT_CPU" /usr/bin/python3 "$ROOT/bench/idle_client.py" \
		--port "$port" --count "$N" --hold 180 --deadline 90 2>"$W/client-$name.err"; }
	client_pid=$CL_PID
	line=
	[ -n "${CL[0]:-}" ] && read -r -t 120 line <&"${CL[0]}"
	if [ "$line" != "ready $N" ]; then
		l7_skip "$name" "the client did not get $N idle connections: ${line:-no answer} $(head -c 200 "$W/client-$name.err")"
	else
		sleep 1   # lazily freed or deferred work settles
		read -r rss1 pss1 <<<"$(mem "$pid")"
		read -r sk1 pg1 <<<"$(tcp_stat)"
		echo "figure idle_mem.${name}_rss_per_conn $(( (rss1 - rss0) * 1024 / N )) bytes"
		echo "figure idle_mem.${name}_pss_per_conn $(( (pss1 - pss0) * 1024 / N )) bytes"
		echo "note $name: RSS ${rss0} -> ${rss1} KiB, PSS ${pss0} -> ${pss1} KiB with $N idle connections (opened in $((SECONDS - t0)) s); kernel: TCP sockets in use +$((sk1 - sk0)) (both ends), TCP buffer pages +$((pg1 - pg0)) (machine-wide counter)"
		l7_log "$name: RSS ${rss0} -> ${rss1} KiB, PSS ${pss0} -> ${pss1} KiB for $N idle connections"
		measured+=("$name")
	fi
	[ -n "${CL[1]:-}" ] && eval "exec ${CL[1]}>&-"   # end of stdin: the client closes its connections and exits
	l7_kill "$client_pid"
	client_pid=
	l7_proxy_stop "$name"
done
[ ${#measured[@]} -gt 0 ] || { echo "no proxy measured" >&2; exit 1; }
echo "ratio sluiced/nginx_rss idle_mem.sluiced_rss_per_conn idle_mem.nginx_rss_per_conn <=1"
echo "ratio sluiced/nginx_pss idle_mem.sluiced_pss_per_conn idle_mem.nginx_pss_per_conn <=1"
echo "ratio sluiced/haproxy_rss idle_mem.sluiced_rss_per_conn idle_mem.haproxy_rss_per_conn -"
echo "cores idle_mem. proxy: cpu$PROXY_CPU (1 worker/thread); idle client and origin: cpu$CLIENT_CPU"
echo "note $N idle keep-alive client connections per proxy, each after one 100-byte request; bytes = (after - before) / $N of the proxy's own memory, kernel socket memory apart; in a private network namespace"
exit 0
