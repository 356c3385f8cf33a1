#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Memory per idle keep-alive client connection: sluiced vs nginx (and haproxy), 10,000 idle connections each, in a private network namespace.
#
#   bench/idle_mem.sh [--duration S] [--out DIR]     (SL_BENCH_QUICK=1: 1,000 connections, 1024 warm-up requests)
#
# Per proxy, one at a time (settings of bench/lib_l7.sh, one worker pinned to cpu0):
# the proxy set up for 64 connections, 4096 warm-up requests, its RSS and PSS
# (VmRSS of /proc/PID/status, Pss of /proc/PID/smaps_rollup, summed over the
# process and its children): the baseline. Then the same proxy set up for N, warm-up,
# memory, and bench/idle_client.py (cpu1) opens N connections, makes one request
# on each and holds them idle; after a second the memory is read again. The
# figure is (holding - baseline) / N in bytes, so what a proxy allocates at start
# for its connection limit (nginx's worker_connections arrays) counts; the growth
# alone is kept as *_growth_per_conn. Kernel socket memory is the same for every proxy
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
N=10000 WARM_PER_CONN=256
[ "${SL_BENCH_QUICK:-0}" = 1 ] && N=1000 WARM_PER_CONN=64

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

client() {  # client PORT COUNT HOLD [idle_client.py options]: the idle client on the client core
	local port=$1 count=$2 hold=$3
	shift 3
	taskset -c "$CLIENT_CPU" /usr/bin/python3 "$ROOT/bench/idle_client.py" --port "$port" --count "$count" \
		--hold "$hold" --deadline 90 "$@"
}

# warm NAME: 4096 requests on 16 connections, closed again, so that what a proxy sizes
# once and fills as it goes (the upstream pool, per-request buffers and pools, sluiced's
# ring of 1024 receive buffers) is in place before memory is read: the figure is then
# what one more idle connection costs. 0 when they were all answered.
warm() {
	local w
	w=$(client "${PORT[$1]}" 16 0 --requests "$WARM_PER_CONN" </dev/null)
	[ "$w" = "ready 16" ] && sleep 0.5 && return 0
	l7_skip "$1" "warm-up failed: $w"
	l7_proxy_stop "$1"
	return 1
}

l7_origin_start || exit 1
measured=()
hard=$(ulimit -Hn)
for name in sluiced nginx haproxy; do
	l7_wanted "$name" || continue   # SL_BENCH_PROXIES (bench/ab.sh: sluiced only)
	n=$N
	# haproxy reserves two descriptors per connection (maxsock = 2 x maxconn + a few): 10,000
	# do not fit a 20,000 limit, so it holds as many as fit; per connection it compares the same.
	if [ "$name" = haproxy ] && [ "$hard" != unlimited ] && [ $((2 * (N + 100) + 300)) -gt "$hard" ]; then
		n=$(((hard - 300) / 2 - 100))
	fi
	# A proxy that sizes tables by its connection limit at start (nginx's worker_connections)
	# must be charged for them: the baseline is the same proxy started for 64 connections.
	l7_proxy_start "$name" 64 || continue
	warm "$name" || continue
	read -r rssb pssb <<<"$(mem "${PID[$name]}")"
	l7_proxy_stop "$name"
	l7_proxy_start "$name" "$n" || continue
	warm "$name" || continue
	port=${PORT[$name]} pid=${PID[$name]}
	read -r rss0 pss0 <<<"$(mem "$pid")"
	read -r sk0 pg0 <<<"$(tcp_stat)"
	t0=$SECONDS
	coproc CL { exec taskset -c "$CLIENT_CPU" /usr/bin/python3 "$ROOT/bench/idle_client.py" \
		--port "$port" --count "$n" --hold 180 --deadline 90 2>"$W/client-$name.err"; }
	client_pid=$CL_PID
	line=
	[ -n "${CL[0]:-}" ] && read -r -t 120 line <&"${CL[0]}"
	if [ "$line" != "ready $n" ]; then
		l7_skip "$name" "the client did not get $n idle connections: ${line:-no answer} $(head -c 200 "$W/client-$name.err")"
	else
		sleep 1   # lazily freed or deferred work settles
		read -r rss1 pss1 <<<"$(mem "$pid")"
		read -r sk1 pg1 <<<"$(tcp_stat)"
		echo "figure idle_mem.${name}_rss_per_conn $(( (rss1 - rssb) * 1024 / n )) bytes"
		echo "figure idle_mem.${name}_pss_per_conn $(( (pss1 - pssb) * 1024 / n )) bytes"
		echo "figure idle_mem.${name}_rss_growth_per_conn $(( (rss1 - rss0) * 1024 / n )) bytes"
		echo "note $name: RSS ${rssb} KiB set up for 64 connections, ${rss0} KiB set up for $n, ${rss1} KiB holding $n idle (PSS ${pssb}, ${pss0}, ${pss1} KiB; opened in $((SECONDS - t0)) s); kernel: TCP sockets in use +$((sk1 - sk0)) (both ends), TCP buffer pages +$((pg1 - pg0)) (machine-wide counter)"
		l7_log "$name: RSS ${rssb} (64) / ${rss0} (set up for $n) -> ${rss1} KiB holding $n idle connections"
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
echo "ratio sluiced/nginx_rss_growth idle_mem.sluiced_rss_growth_per_conn idle_mem.nginx_rss_growth_per_conn -"
echo "ratio sluiced/haproxy_rss idle_mem.sluiced_rss_per_conn idle_mem.haproxy_rss_per_conn -"
echo "cores idle_mem. proxy: cpu$PROXY_CPU (1 worker/thread); idle client and origin: cpu$CLIENT_CPU"
echo "note $N idle keep-alive client connections per proxy (haproxy: as many as fit its descriptor rule), each after one 100-byte request; *_per_conn = (memory holding them - memory of the same proxy set up for 64 connections) / connections, so tables sized at start count; *_growth_per_conn = growth while opening them only; the proxy's own memory, kernel socket memory apart; in a private network namespace"
exit 0
