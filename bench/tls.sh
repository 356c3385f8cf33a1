#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# TLS termination (issue 19): sluiced vs nginx vs haproxy on one ECDSA P-256 certificate, TLS 1.3, one worker each on core 0; the client and the origin on core 1.
#
#   bench/tls.sh [--duration S] [--out DIR]      (SL_BENCH_QUICK=1: a smoke run, 1 s per figure, no warm-up)
#
# The proxies are bench/l7.sh's (bench/lib_l7.sh: same origin, same fair settings, cleartext
# keep-alive pool of 64 to the origin), each terminating TLS 1.3 with the same certificate,
# made at run time (openssl req, self-signed ECDSA P-256, in DIR/work/tls), session tickets on.
# Per proxy, every figure normalized by the proxy's own CPU time over the run
# (/proc/PID/task/*/schedstat, as l7.sh does), since the client side (TLS too) shares one core
# with the origin and is not always faster than the proxy:
#   (1) keep-alive: wrk -t1 -c32 over https, 100 B and 10 KiB: requests/s, requests per proxy
#       core-second, p50, p99, the latency distribution (DIR/cdf-SIZE-PROXY.tsv).
#   (2) full handshakes: 8 `openssl s_time -new` at once (a new connection and a new session for
#       each request, GET /size/100 HTTP/1.0 with a Host, read until the proxy closes): handshakes/s and per
#       proxy core-second. s_time gives no latency distribution.
#   (3) resumed handshakes: wrk -c32 with "Connection: close": the proxy closes after each
#       response and wrk reconnects, offering the ticket of its last connection on that slot
#       (wrk keeps one SSL object per slot; bench/README.md); handshakes/s, per core-second,
#       p99 (wrk times the request only, from its first byte written: the handshake is not in it).
#       Only for a proxy that resumed a session in the probe below; else skipped with why.
# Before measuring, each proxy is probed with openssl s_client (one full handshake, then one
# offering the session it got): protocol, cipher, key exchange group and whether it resumes
# go in a note. "busy" figures are the proxy's CPU seconds over the wall seconds of a figure:
# below about 0.9 the client side was the bottleneck, and only the per core-second figure
# compares proxies. A peer that is not installed or does not start (for sluiced: a build
# whose config has no tls: yet) is skipped with its reason; the rest run.
# SL_BENCH_PROXIES="nginx haproxy" measures only those; unset: every one.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib_l7.sh"
l7_bench_args tls "$@"
l7_bench_need wrk "wrk not installed (BENCH=1 tools/deps.sh): no load generator"
l7_bench_need openssl "openssl not installed (tools/deps.sh): no certificate, no handshake client"
l7_bench_need taskset "taskset missing (util-linux)"
l7_bench_need
ulimit -n "$(ulimit -Hn)" 2>/dev/null

W=$OUT/work
mkdir -p "$W"
CLIENTS=()    # the s_time processes of the figure being measured
tls_cleanup() {
	[ ${#CLIENTS[@]} -gt 0 ] && l7_kill "${CLIENTS[@]}"
	l7_cleanup
}
trap tls_cleanup EXIT
trap 'exit 130' INT TERM
log() { l7_log "$@"; }
skip() { l7_skip "$@"; }

l7_tls_cert "$W/tls" || exit 1
l7_origin_start || exit 1
for name in sluiced nginx haproxy; do l7_wanted "$name" && l7_tls_proxy_start "$name"; done

# The probe: a proxy that completes no TLS 1.3 handshake is not measured; one that does not
# resume is not measured for (3), one that does not answer s_time's request ($L7_TLS_GET,
# which s_client sends here too) with a 200 not for (2).
declare -A RESUMES STATUS
MEASURED=()
for name in "${PROXIES[@]}"; do
	if ! first=$(l7_tls_probe "${PORT[$name]}" "$W/probe-$name.sess"); then
		skip "$name" "no TLS 1.3 handshake with it (openssl s_client: $(grep -m1 -iE 'error|errno|alert|refused' \
			"$W/s_client-${PORT[$name]}.txt" || tail -1 "$W/s_client-${PORT[$name]}.txt"))"
		l7_proxy_stop "$name"
		continue
	fi
	second=$(l7_tls_probe "${PORT[$name]}" "$W/probe-$name.sess")
	read -r proto cipher group sig _ status <<<"$first"
	RESUMES[$name]=$(echo "$second" | awk '{ print $5 }')
	STATUS[$name]=$status
	echo "note $name: $proto $cipher, key exchange $group, $sig signature; resumes a session ticket: ${RESUMES[$name]}"
	log "$name probe: $first; offered its session: $second"
	MEASURED+=("$name")
done
[ ${#MEASURED[@]} -gt 0 ] || { echo "no proxy terminates TLS here (see the skipped lines)" >&2; exit 77; }

l7_rotation "${MEASURED[@]}"
WARM=1
[ "$QUICK" = 1 ] && WARM=0
STIME=8       # s_time processes at once for (2)

# wrk_run TAG PORT PATH SECONDS [ARG...]: one wrk run (32 connections) on the client core; prints its output file.
wrk_run() {
	local f=$W/wrk-$1.txt port=$2 path=$3 secs=$4
	shift 4
	taskset -c "$CLIENT_CPU" timeout -k 5 $((secs + 30)) wrk -t1 -c32 -d"${secs}s" --timeout 5s "$@" \
		-s "$ROOT/bench/wrk_cdf.lua" "https://127.0.0.1:$port$path" >"$f" 2>&1
	echo "$f"
}
# wrk output: requests done, wall seconds, socket errors, and why the run is no figure (or nothing).
wrk_n() { awk '/^sl_summary/ { split($2, kv, "="); print kv[2] + 0 }' "$1"; }
wrk_secs() { awk '/^sl_summary/ { split($3, kv, "="); printf "%.3f", kv[2] / 1e6 }' "$1"; }
wrk_errors() { awk '/^sl_summary/ { for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] != "status") n += kv[2] } } END { print n + 0 }' "$1"; }
wrk_bad() {
	awk '/^Requests\/sec/ { r = $2 } /^sl_summary/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "status") s = kv[2] } }
		END { if (r + 0 <= 0) print "no requests answered"; else if (s + 0 > 0) printf "%d non-2xx/3xx responses\n", s }' "$1"
}
pct() { awk -v p="$2" '$1 == "sl_cdf" && $2 == p { printf "%.4f", $3 / 1000 }' "$1"; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.0f}" 'BEGIN { if (b > 0) printf f, a / b; else print 0 }'; }
now() { date +%s.%N; }
# gone NAME WHAT: true (and WHAT skipped, once with the log's end) when the proxy has exited.
declare -A DEAD
gone() {
	kill -0 "${PID[$1]}" 2>/dev/null && return 1
	[ -z "${DEAD[$1]:-}" ] && log "$1 exited: $(tail -3 "$W/$1.log" 2>/dev/null | tr '\n' ' ')"
	DEAD[$1]=1
	local t
	t=$(tail -2 "$W/$1.log" 2>/dev/null | tr '\n' ' ')
	skip "$1-$2" "the proxy exited during the run (log: ${t:-empty})"
}

# (1) Keep-alive: per size, 32 connections.
for size in 100 10240; do
	label=$([ "$size" = 100 ] && echo 100b || echo 10k)
	for name in "${ALL[@]}"; do
		gone "$name" "$label" && continue
		[ $WARM = 1 ] && wrk_run "$name-$label-warm" "${PORT[$name]}" "/size/$size" 1 >/dev/null
		c0=$(l7_cpu_s "${PID[$name]}")
		f=$(wrk_run "$name-$label" "${PORT[$name]}" "/size/$size" "$DURATION")
		c1=$(l7_cpu_s "${PID[$name]}")
		gone "$name" "$label" && continue
		why=$(wrk_bad "$f")
		if [ -n "$why" ]; then
			skip "$name-$label" "$why (wrk output: $f)"
			continue
		fi
		e=$(wrk_errors "$f")
		[ "$e" -gt 0 ] && echo "note $name $label: $e wrk socket errors (connect/read/write/timeout) in the measured run"
		awk '$1 == "sl_cdf" { printf "%s\t%.4f\n", $2, $3 / 1000 }' "$f" >"$OUT/cdf-$label-$name.tsv"
		n=$(wrk_n "$f") secs=$(wrk_secs "$f")
		cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
		rps=$(div "$n" "$secs") per=$(div "$n" "$cpu") busy=$(div "$cpu" "$secs" %.3f)
		echo "figure tls.${name}_${label}_rps $rps req/s"
		[ "$per" -gt 0 ] && echo "figure tls.${name}_${label}_rps_per_core $per req/core-s"
		echo "figure tls.${name}_${label}_p50 $(pct "$f" 50) ms"
		echo "figure tls.${name}_${label}_p99 $(pct "$f" 99) ms"
		echo "figure tls.${name}_${label}_busy $busy fraction"
		log "$name $label keep-alive: $rps req/s, $per per core-second, p99 $(pct "$f" 99) ms, proxy CPU $cpu s in $secs s"
	done
done

# (2) Full handshakes: STIME s_time -new at once, a new session per connection.
for name in "${ALL[@]}"; do
	gone "$name" full && continue
	if [ "${STATUS[$name]}" != 200 ]; then
		skip "$name-full" "answered s_time's request (GET /size/100 HTTP/1.0 with a Host) with status ${STATUS[$name]}, not 200"
		continue
	fi
	CLIENTS=()
	c0=$(l7_cpu_s "${PID[$name]}")
	t0=$(now)
	for ((i = 1; i <= STIME; i++)); do
		taskset -c "$CLIENT_CPU" timeout -k 5 $((DURATION + 30)) openssl s_time -connect "127.0.0.1:${PORT[$name]}" \
			-new -time "$DURATION" -www "$L7_TLS_WWW" >"$W/stime-$name-$i.txt" 2>&1 &
		CLIENTS+=($!)
	done
	wait "${CLIENTS[@]}"
	t1=$(now)
	c1=$(l7_cpu_s "${PID[$name]}")
	CLIENTS=()
	gone "$name" full && continue
	# "N connections in T real seconds, B bytes read per connection", one line per process.
	read -r n bytes procs < <(cat "$W/stime-$name-"*.txt | awk '/connections in .* real seconds/ {
		n += $1; b += $1 * $(NF - 4); k++ } END { printf "%d %d %d\n", n, n ? b / n : 0, k }')
	if [ "$n" -le 0 ] || [ "$procs" -ne "$STIME" ]; then
		skip "$name-full" "openssl s_time: $n handshakes from $procs of $STIME clients ($(grep -h -m1 -i 'err' "$W/stime-$name-"*.txt | head -1))"
		continue
	fi
	# The body is 100 bytes: fewer read per connection means no full answer came back.
	if [ "$bytes" -lt 100 ]; then
		skip "$name-full" "openssl s_time read $bytes bytes per connection (no full response)"
		continue
	fi
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
	hs=$(div "$n" "$secs") per=$(div "$n" "$cpu") busy=$(div "$cpu" "$secs" %.3f)
	echo "figure tls.${name}_full_hs $hs handshakes/s"
	[ "$per" -gt 0 ] && echo "figure tls.${name}_full_hs_per_core $per handshakes/core-s"
	echo "figure tls.${name}_full_busy $busy fraction"
	log "$name full handshakes: $n in $secs s ($hs/s), $per per core-second, proxy CPU $cpu s, $bytes bytes read per connection"
done

# (3) Resumed handshakes: wrk, a connection per request, each offering its slot's last ticket.
for name in "${ALL[@]}"; do
	if [ "${RESUMES[$name]}" != yes ]; then
		skip "$name-resumed" "did not resume a TLS 1.3 session in the probe (openssl s_client -sess_in: ${RESUMES[$name]})"
		continue
	fi
	gone "$name" resumed && continue
	c0=$(l7_cpu_s "${PID[$name]}")
	f=$(wrk_run "$name-resumed" "${PORT[$name]}" /size/100 "$DURATION" -H "Connection: close")
	c1=$(l7_cpu_s "${PID[$name]}")
	gone "$name" resumed && continue
	why=$(wrk_bad "$f")
	if [ -n "$why" ]; then
		skip "$name-resumed" "$why (wrk output: $f)"
		continue
	fi
	e=$(wrk_errors "$f")
	[ "$e" -gt 0 ] && echo "note $name resumed: $e wrk socket errors (connect/read/write/timeout) in the measured run"
	n=$(wrk_n "$f") secs=$(wrk_secs "$f")
	cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
	hs=$(div "$n" "$secs") per=$(div "$n" "$cpu") busy=$(div "$cpu" "$secs" %.3f)
	echo "figure tls.${name}_resumed_hs $hs handshakes/s"
	[ "$per" -gt 0 ] && echo "figure tls.${name}_resumed_hs_per_core $per handshakes/core-s"
	echo "figure tls.${name}_resumed_p99 $(pct "$f" 99) ms"
	echo "figure tls.${name}_resumed_busy $busy fraction"
	log "$name resumed handshakes: $n in $secs s ($hs/s), $per per core-second, proxy CPU $cpu s"
done

# Ratios within this rep. Targets: issue 19 (keep-alive >= 1.3x, handshakes >= 1.0x).
for peer in nginx haproxy; do
	for label in 100b 10k; do
		echo "ratio sluiced/${peer}_${label}_per_core tls.sluiced_${label}_rps_per_core tls.${peer}_${label}_rps_per_core >=1.3"
		echo "ratio sluiced/${peer}_${label}_rps tls.sluiced_${label}_rps tls.${peer}_${label}_rps -"
		echo "ratio p99:sluiced/${peer}_${label} tls.sluiced_${label}_p99 tls.${peer}_${label}_p99 -"
	done
	echo "ratio sluiced/${peer}_full_hs_per_core tls.sluiced_full_hs_per_core tls.${peer}_full_hs_per_core >=1.0"
	echo "ratio sluiced/${peer}_resumed_hs_per_core tls.sluiced_resumed_hs_per_core tls.${peer}_resumed_hs_per_core >=1.0"
	echo "ratio p99:sluiced/${peer}_resumed tls.sluiced_resumed_p99 tls.${peer}_resumed_p99 -"
done
# What resumption saves each proxy: resumed over full handshakes per core-second.
for name in "${MEASURED[@]}"; do
	echo "ratio ${name}_resumed/full tls.${name}_resumed_hs_per_core tls.${name}_full_hs_per_core -"
done

echo "cores tls. proxy: cpu$PROXY_CPU (1 worker/thread); client (wrk -t1, or $STIME openssl s_time) and origin (1 worker): cpu$CLIENT_CPU"
echo "note each proxy: 1 worker/thread pinned to cpu$PROXY_CPU, TLS 1.3 only, one self-signed ECDSA P-256 certificate (made at run time), session tickets on, no access log, client keep-alive and a cleartext keep-alive pool of 64 to the origin ($ORIGIN_WHAT, cpu$CLIENT_CPU); OpenSSL $(openssl version | awk '{ print $2 }') on the client side"
echo "note (1) SIZE_rps*: wrk -t1 -c32 over https, keep-alive, /size/100 and /size/10240; (2) full_hs*: $STIME openssl s_time -new at once (new connection and session per GET /size/100, HTTP/1.0 with a Host); (3) resumed_hs*: wrk -t1 -c32 -H 'Connection: close', each new connection resuming its slot's last ticket, resumed_p99 excludes the handshake; per_core = per proxy CPU-second (its schedstat), busy = proxy CPU / wall; $DURATION s per figure$([ $WARM = 1 ] && echo ', keep-alive figures after a 1 s warm-up')"
exit 0
