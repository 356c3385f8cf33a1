#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# HTTP/2 over TLS: sluiced vs nginx vs haproxy, h2 by ALPN on bench/tls.sh's TLS 1.3 setup, one worker each on core 0; h2load and the origin on core 1.
#
#   bench/h2.sh [--duration S] [--out DIR]      (SL_BENCH_QUICK=1: a smoke run, 1 s per figure, no warm-up)
#
# The proxies are bench/tls.sh's (bench/lib_l7.sh: same origin, same fair settings, the same
# certificate made at run time, TLS 1.3 only, a cleartext HTTP/1.1 keep-alive pool of 64 to the
# origin), each listener also offering h2 by ALPN as its users would turn it on
# (l7_h2_proxy_start: nginx `listen ... ssl http2` or `http2 on;` by version, haproxy
# `alpn h2,http/1.1`, sluiced its default on a TLS listener).
# Per proxy and size (100 B, 10 KiB): a 1 s warm-up, then h2load -t1 -c10 -m10 for S seconds
# (10 connections, 10 concurrent streams each, ALPN h2 only, so nothing is ever measured over
# HTTP/1.1): requests/s, requests per proxy core-second (its CPU time over the run from
# /proc/PID/task/*/schedstat, as tls.sh), p50 and p99 from h2load's per-request log (it prints
# percentiles only there), the latency distribution (DIR/cdf-SIZE-PROXY.tsv), and "busy", the
# proxy's CPU seconds over the wall seconds (below about 0.9 the client was the bottleneck: compare
# proxies by the per core-second figure).
# Before measuring, each proxy is probed with one h2load request offering h2,http/1.1: a proxy
# whose ALPN does not choose h2 (for sluiced: a build without HTTP/2 yet), whose handshake fails
# or that does not answer 2xx is skipped with h2load's words for it; the rest run.
# SL_BENCH_PROXIES="nginx haproxy" measures only those; unset: every one.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib_l7.sh"
l7_bench_args h2 "$@"
l7_bench_need h2load "h2load not installed (nghttp2-client, tools/deps.sh): no HTTP/2 load generator"
l7_bench_need openssl "openssl not installed (tools/deps.sh): no certificate"
l7_bench_need taskset "taskset missing (util-linux)"
l7_bench_need
ulimit -n "$(ulimit -Hn)" 2>/dev/null

W=$OUT/work
mkdir -p "$W"
trap l7_cleanup EXIT
trap 'exit 130' INT TERM
log() { l7_log "$@"; }
skip() { l7_skip "$@"; }

CONNS=10      # h2load -c: connections
STREAMS=10    # h2load -m: concurrent streams on each

l7_tls_cert "$W/tls" || exit 1
l7_origin_start || exit 1
for name in sluiced nginx haproxy; do l7_wanted "$name" && l7_h2_proxy_start "$name"; done

# h2load_run TAG PORT PATH SECONDS [ARG...]: one h2load run on the client core, h2 only, its
# per-request log in $W/h2load-TAG.log; prints the output file.
h2load_run() {
	local tag=$1 port=$2 path=$3 secs=$4
	shift 4
	taskset -c "$CLIENT_CPU" timeout -k 5 $((secs + 30)) h2load -t1 -c"$CONNS" -m"$STREAMS" -D "$secs" \
		--npn-list=h2 --log-file="$W/h2load-$tag.log" "$@" "https://127.0.0.1:$port$path" >"$W/h2load-$tag.txt" 2>&1
	echo "$W/h2load-$tag.txt"
}
# h2load's summary: "requests: T total, S started, D done, OK succeeded, F failed, E errored, TO timeout".
h2_req() { awk -v k="$2" '/^requests:/ { for (i = 2; i < NF; i += 2) { w = $(i + 1); sub(/,$/, "", w); if (w == k) print $i + 0 } }' "$1"; }
# "finished in 2.00s, ..." (or ms): the wall seconds of the measured run.
h2_secs() {
	awk '/^finished in/ { v = $3; sub(/,$/, "", v); m = 1; if (v ~ /ms$/) m = 1e-3; else if (v ~ /us$/) m = 1e-6
		sub(/[mu]?s$/, "", v); printf "%.3f", v * m }' "$1"
}
# "status codes: A 2xx, B 3xx, C 4xx, D 5xx": responses that are not 2xx.
h2_non2xx() { awk '/^status codes:/ { print $5 + $7 + $9 }' "$1"; }
# h2_alpn FILE: the protocol ALPN chose, "none" when none was, "" when the handshake did not complete.
h2_alpn() {
	awk '/^Application protocol:/ { p = $3 } /^No protocol negotiated/ { p = "none" } END { print p }' "$1"
}
# h2_cdf LOG: from h2load's per-request log (start us, status, us to the end of the response; status
# -1 for a failed stream), "PERCENTILE MS" lines at wrk_cdf.lua's points (min, 0.1, 0.5, 1..99,
# 99.5, 99.9, 99.99, max), nearest rank.
h2_cdf() {
	awk -F'\t' '$2 >= 200 { print $3 }' "$1" | sort -n | awk '
		{ v[NR] = $1 }
		END {
			if (!NR) exit 1
			n = split("0.1 0.5", pts, " ")
			for (p = 1; p <= 99; p++) pts[++n] = p
			pts[++n] = 99.5; pts[++n] = 99.9; pts[++n] = 99.99
			printf "0\t%.4f\n", v[1] / 1000
			for (i = 1; i <= n; i++) {
				k = int(pts[i] / 100 * NR); if (k < pts[i] / 100 * NR) k++
				if (k < 1) k = 1
				printf "%s\t%.4f\n", pts[i], v[k] / 1000
			}
			printf "100\t%.4f\n", v[NR] / 1000
		}'
}
pct() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.0f}" 'BEGIN { if (b > 0) printf f, a / b; else print 0 }'; }
# gone NAME WHAT: true (and WHAT skipped, with the log's end) when the proxy has exited.
declare -A DEAD
gone() {
	kill -0 "${PID[$1]}" 2>/dev/null && return 1
	[ -z "${DEAD[$1]:-}" ] && log "$1 exited: $(tail -3 "$W/$1.log" 2>/dev/null | tr '\n' ' ')"
	DEAD[$1]=1
	local t
	t=$(tail -2 "$W/$1.log" 2>/dev/null | tr '\n' ' ')
	skip "$1-$2" "the proxy exited during the run (log: ${t:-empty})"
}

# The probe: one request offering h2,http/1.1, so that a proxy without h2 says what it chose
# instead of failing the handshake. Measured only when ALPN chose h2 and the answer was a 2xx.
MEASURED=()
for name in "${PROXIES[@]}"; do
	f=$W/probe-$name.txt
	taskset -c "$CLIENT_CPU" timeout -k 2 10 h2load -n1 -c1 --npn-list=h2,http/1.1 \
		"https://127.0.0.1:${PORT[$name]}/size/100" >"$f" 2>&1
	alpn=$(h2_alpn "$f")
	why=
	if [ -z "$alpn" ]; then
		why="no TLS handshake with it (h2load: $(grep -m1 -iE 'error|fail|refused|alert' "$f" || echo 'no TLS Protocol line'))"
	elif [ "$alpn" != h2 ]; then
		[ "$alpn" = none ] && alpn="no protocol"
		why="does not speak h2: offered h2,http/1.1 by ALPN, it chose $alpn (h2load: $(grep -m1 -E '^(Application protocol|No protocol negotiated)' "$f"))"
	elif ! grep -q '^requests:' "$f"; then
		why="h2 negotiated, but no answer to GET /size/100 within 10 s (h2load stopped)"
	elif [ "$(h2_req "$f" succeeded)" != 1 ] || [ "$(h2_non2xx "$f")" != 0 ]; then
		why="h2 negotiated, but GET /size/100 got no 2xx answer (h2load: $(grep -m1 '^requests:' "$f"); $(grep -m1 '^status codes:' "$f"))"
	fi
	if [ -n "$why" ]; then
		skip "$name" "$why"
		l7_proxy_stop "$name"
		continue
	fi
	echo "note $name: $(awk '/^TLS Protocol:/ { p = $3 } /^Cipher:/ { c = $2 } /^Server Temp Key:/ { g = $4 }
		END { printf "%s %s, key exchange %s", p, c, g }' "$f"), ALPN h2"
	MEASURED+=("$name")
done
[ ${#MEASURED[@]} -gt 0 ] || { echo "no proxy speaks h2 here (see the skipped lines)" >&2; exit 77; }

l7_rotation "${MEASURED[@]}"
WARM=1
[ "$QUICK" = 1 ] && WARM=0

for size in 100 10240; do
	label=$([ "$size" = 100 ] && echo 100b || echo 10k)
	for name in "${ALL[@]}"; do
		gone "$name" "$label" && continue
		if [ $WARM = 1 ]; then
			h2load_run "$name-$label-warm" "${PORT[$name]}" "/size/$size" 1 >/dev/null
			rm -f "$W/h2load-$name-$label-warm.log"
		fi
		c0=$(l7_cpu_s "${PID[$name]}")
		f=$(h2load_run "$name-$label" "${PORT[$name]}" "/size/$size" "$DURATION")
		c1=$(l7_cpu_s "${PID[$name]}")
		gone "$name" "$label" && continue
		n=$(h2_req "$f" succeeded) bad=$(h2_non2xx "$f") secs=$(h2_secs "$f")
		if [ "${n:-0}" -le 0 ] || [ -z "$secs" ]; then
			skip "$name-$label" "no requests answered over h2 (h2load: $(grep -m1 -E '^requests:' "$f" || tail -1 "$f"); output: $f)"
			continue
		fi
		if [ "${bad:-0}" -gt 0 ]; then
			skip "$name-$label" "$bad non-2xx responses (h2load: $(grep -m1 '^status codes:' "$f"); output: $f)"
			continue
		fi
		e=$(($(h2_req "$f" failed) + $(h2_req "$f" errored) + $(h2_req "$f" timeout)))
		[ "$e" -gt 0 ] && echo "note $name $label: $e h2load streams failed, errored or timed out in the measured run ($(grep -m1 '^requests:' "$f"))"
		if ! h2_cdf "$W/h2load-$name-$label.log" >"$OUT/cdf-$label-$name.tsv"; then
			rm -f "$OUT/cdf-$label-$name.tsv"
			skip "$name-$label" "h2load's per-request log has no answered request ($W/h2load-$name-$label.log)"
			continue
		fi
		gzip -f "$W/h2load-$name-$label.log"    # tens of thousands of lines; the CDF is what is read
		cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
		rps=$(div "$n" "$secs") per=$(div "$n" "$cpu") busy=$(div "$cpu" "$secs" %.3f)
		p50=$(pct "$OUT/cdf-$label-$name.tsv" 50) p99=$(pct "$OUT/cdf-$label-$name.tsv" 99)
		echo "figure h2.${name}_${label}_rps $rps req/s"
		[ "$per" -gt 0 ] && echo "figure h2.${name}_${label}_rps_per_core $per req/core-s"
		echo "figure h2.${name}_${label}_p50 $p50 ms"
		echo "figure h2.${name}_${label}_p99 $p99 ms"
		echo "figure h2.${name}_${label}_busy $busy fraction"
		log "$name $label h2: $n requests in $secs s ($rps/s), $per per core-second, p99 $p99 ms, proxy CPU $cpu s"
	done
done

# Ratios within this rep; the per-core target, 1.3x each peer, is issue 20's.
for peer in nginx haproxy; do
	for label in 100b 10k; do
		echo "ratio sluiced/${peer}_${label}_per_core h2.sluiced_${label}_rps_per_core h2.${peer}_${label}_rps_per_core >=1.3"
		echo "ratio sluiced/${peer}_${label}_rps h2.sluiced_${label}_rps h2.${peer}_${label}_rps -"
		echo "ratio p99:sluiced/${peer}_${label} h2.sluiced_${label}_p99 h2.${peer}_${label}_p99 -"
	done
done

ng_h2="listen ... ssl http2"
command -v nginx >/dev/null && l7_nginx_http2_on && ng_h2="http2 on"
echo "cores h2. proxy: cpu$PROXY_CPU (1 worker/thread); client (h2load -t1) and origin (1 worker): cpu$CLIENT_CPU"
echo "note each proxy: 1 worker/thread pinned to cpu$PROXY_CPU, TLS 1.3 only, one self-signed ECDSA P-256 certificate (made at run time), h2 offered by ALPN (nginx: $ng_h2; haproxy: alpn h2,http/1.1; sluiced: its default on a TLS listener), no access log, a cleartext HTTP/1.1 keep-alive pool of 64 to the origin ($ORIGIN_WHAT, cpu$CLIENT_CPU); $(h2load --version 2>&1 | head -1) with OpenSSL $(openssl version | awk '{ print $2 }') on the client side"
echo "note SIZE_*: h2load -t1 -c$CONNS -m$STREAMS -D $DURATION --npn-list=h2 (10 connections x 10 concurrent streams), /size/100 and /size/10240; p50/p99 from h2load's per-request log (time to the end of each response); per_core = per proxy CPU-second (its schedstat), busy = proxy CPU / wall; $DURATION s per figure$([ $WARM = 1 ] && echo ', after a 1 s warm-up on fresh connections')"
exit 0
