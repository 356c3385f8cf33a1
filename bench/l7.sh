#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 reverse proxy: sluiced vs nginx vs haproxy (one worker each on core 0; wrk and the origin on core 1) and wrk straight at the origin.
#
#   bench/l7.sh [--duration S] [--out DIR]      (SL_BENCH_QUICK=1: a smoke run, 1 s per figure, fewer points)
#
# Per proxy, for 100 B and 10 KiB responses with 32 connections: requests/s,
# requests per proxy core-second (the proxy's own CPU time over the run, from
# /proc/PID/task/*/schedstat), p50 and p99, and the latency distribution (DIR/cdf-SIZE-PROXY.tsv,
# from bench/wrk_cdf.lua). Then requests/s for 1, 10, 100 and 1000 connections
# (100 B). "direct" is wrk straight at the origin with the same core split: the
# ceiling of the client and origin side. "null" is bench/null_fwd (relays bytes, parses
# nothing): the ceiling of a proxy's core, and l7.P_SIZE_per_null is P's requests per
# core-second as a fraction of null's, same rep. The origin is nginx (static files, keep-alive),
# or the python test upstream when nginx is missing (then a note says so).
# A peer that is not installed or does not start is skipped with its reason; the rest run.
# SL_BENCH_PROXIES="sluiced null" measures only those (and direct); unset: every one.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib_l7.sh"
l7_bench_args l7 "$@"
l7_bench_need wrk "wrk not installed (BENCH=1 tools/deps.sh): no load generator"
l7_bench_need taskset "taskset missing (util-linux)"
l7_bench_need
# 1000 client connections: wrk holds 1000 descriptors, a proxy 2000 and more.
ulimit -n "$(ulimit -Hn)" 2>/dev/null

W=$OUT/work
mkdir -p "$W"
trap l7_cleanup EXIT
trap 'exit 130' INT TERM
log() { l7_log "$@"; }
skip() { l7_skip "$@"; }

l7_origin_start || exit 1
for name in sluiced nginx haproxy null; do l7_wanted "$name" && l7_proxy_start "$name"; done

# wrk_run NAME PORT SIZE CONNS SECONDS: one wrk run on the client core; its output in $W/wrk-NAME-SIZE-cCONNS.txt.
wrk_run() {
	local f=$W/wrk-$1-$3-c$4.txt
	taskset -c $CLIENT_CPU timeout -k 5 $((${5} + 30)) wrk -t1 -c"$4" -d"${5}s" --timeout 5s \
		-s "$ROOT/bench/wrk_cdf.lua" "http://127.0.0.1:$2/size/$3" >"$f" 2>&1
	echo "$f"
}

# rps FILE: requests/s from wrk's summary line; 0 when there is none.
rps() { awk '/^Requests\/sec/ { r = $2 } END { print r + 0 }' "$1"; }
# errors FILE: wrk's socket error counts (connect, read, write, timeouts) summed.
errors() { awk '/^sl_summary/ { for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] != "status") n += kv[2] } } END { print n + 0 }' "$1"; }
# bad FILE: why the run measured nothing worth a figure (no requests, or any non-2xx/3xx answer), or nothing.
bad() {
	awk '/^Requests\/sec/ { r = $2 } /^sl_summary/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "status") s = kv[2] } }
		END { if (r + 0 <= 0) print "no requests answered"; else if (s + 0 > 0) printf "%d non-2xx/3xx responses\n", s }' "$1"
}

SIZES=(100 10240)
CONNS=(1 10 100 1000)
WARM=1
if [ "$QUICK" = 1 ]; then CONNS=(1000); WARM=0; fi
l7_rotation direct "${PROXIES[@]}"
PORT[direct]=$ORIGIN

# (1) Per size, 32 connections: requests/s, per proxy core-second, p50/p99, the CDF.
declare -A PER   # NAME -> requests per core-second at this size
for size in "${SIZES[@]}"; do
	label=$([ "$size" = 100 ] && echo 100b || echo 10k)
	PER=()
	for name in "${ALL[@]}"; do
		[ $WARM = 1 ] && wrk_run "$name" "${PORT[$name]}" "$size" 32 1 >/dev/null   # fill the pools
		c0=0
		[ "$name" != direct ] && c0=$(l7_cpu_s "${PID[$name]}")
		f=$(wrk_run "$name" "${PORT[$name]}" "$size" 32 "$DURATION")
		r=$(rps "$f")
		e=$(errors "$f")
		why=$(bad "$f")
		if [ -n "$why" ]; then
			skip "$name-$label" "$why (wrk output: $f)"
			continue
		fi
		[ "$e" -gt 0 ] && echo "note $name $label: $e wrk socket errors (connect/read/write/timeout) in the measured run"
		awk '$1 == "sl_cdf" { printf "%s\t%.4f\n", $2, $3 / 1000 }' "$f" >"$OUT/cdf-$label-$name.tsv"
		p50=$(awk '$1 == "sl_cdf" && $2 == 50 { printf "%.4f", $3 / 1000 }' "$f")
		p99=$(awk '$1 == "sl_cdf" && $2 == 99 { printf "%.4f", $3 / 1000 }' "$f")
		echo "figure l7.${name}_${label}_rps $r req/s"
		echo "figure l7.${name}_${label}_p50 $p50 ms"
		echo "figure l7.${name}_${label}_p99 $p99 ms"
		msg="$name $label: $r req/s, p50 ${p50} ms, p99 ${p99} ms"
		if [ "$name" != direct ]; then
			c1=$(l7_cpu_s "${PID[$name]}")
			cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
			# The requests wrk completed, all of them served while the proxy's CPU was counted.
			n=$(awk '/^sl_summary/ { split($2, kv, "="); print kv[2] + 0 }' "$f")
			per=$(awk -v n="$n" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", n / c; else print 0 }')
			[ "$per" -gt 0 ] && echo "figure l7.${name}_${label}_rps_per_core $per req/core-s" && PER[$name]=$per
			msg+=", proxy CPU ${cpu} s in ${DURATION} s"
		fi
		log "$msg"
	done
	for peer in nginx haproxy; do
		echo "ratio sluiced/${peer}_${label}_per_core l7.sluiced_${label}_rps_per_core l7.${peer}_${label}_rps_per_core >=1.5"
		echo "ratio sluiced/${peer}_${label}_rps l7.sluiced_${label}_rps l7.${peer}_${label}_rps -"
		echo "ratio p99:sluiced/${peer}_${label} l7.sluiced_${label}_p99 l7.${peer}_${label}_p99 <=1"
	done
	for name in "${PROXIES[@]}"; do
		echo "ratio ${name}/direct_${label} l7.${name}_${label}_rps l7.direct_${label}_rps -"
	done
	# Each proxy's cost against the null forwarder's, the same rep and core: 1.0 is the ceiling.
	for name in sluiced nginx haproxy; do
		[ -n "${PER[$name]:-}" ] && [ -n "${PER[null]:-}" ] || continue
		frac=$(awk -v a="${PER[$name]}" -v b="${PER[null]}" 'BEGIN { printf "%.4f", a / b }')
		echo "figure l7.${name}_${label}_per_null $frac fraction"
		log "$name $label: $frac of the null forwarder's requests per core-second"
	done
done

# (2) Requests/s against concurrent connections, 100 B.
for c in "${CONNS[@]}"; do
	for name in "${ALL[@]}"; do
		f=$(wrk_run "$name" "${PORT[$name]}" 100 "$c" "$DURATION")
		r=$(rps "$f")
		e=$(errors "$f")
		why=$(bad "$f")
		if [ -n "$why" ]; then
			skip "$name-c$c" "$why (wrk output: $f)"
			continue
		fi
		[ "$e" -gt 0 ] && echo "note $name c$c: $e wrk socket errors (connect/read/write/timeout) in the measured run"
		echo "figure l7.${name}_c${c}_rps $r req/s"
		log "$name, $c connections: $r req/s"
	done
	for peer in nginx haproxy; do
		echo "ratio sluiced/${peer}_c${c} l7.sluiced_c${c}_rps l7.${peer}_c${c}_rps -"
	done
done

echo "cores l7. proxy: cpu$PROXY_CPU (1 worker/thread); wrk (-t1) and origin (1 worker): cpu$CLIENT_CPU"
echo "cores l7.direct wrk (-t1) and origin (1 worker): cpu$CLIENT_CPU; no proxy"
[ -n "${PID[null]:-}" ] && echo "note null is bench/null_fwd, the ceiling of a proxy's core: the same connections (keep-alive client, one persistent upstream connection per client) and one recv and one send each way per request, bytes relayed unparsed; P_SIZE_per_null = P's requests per core-second / null's, same rep"
echo "note each proxy: 1 worker/thread pinned to cpu$PROXY_CPU, no access log, client and upstream keep-alive (pool 64); origin $ORIGIN_WHAT and wrk -t1 on cpu$CLIENT_CPU; 32 connections unless c<N>; paths /size/100 and /size/10240; $DURATION s per figure$([ $WARM = 1 ] && echo ' after a 1 s warm-up')"
exit 0
