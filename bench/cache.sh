#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Cache hits: sluiced's cache vs nginx proxy_cache, one worker each on core 0; wrk and the origin on core 1; 100 B and 10 KiB objects.
#
#   bench/cache.sh [--duration S] [--out DIR]     (SL_BENCH_QUICK=1 or --duration < 2: a smoke run, 1 s per figure)
#
# Every measured request is a hit: each proxy is first checked to answer the
# object from its cache (its Cache-Status header), then warmed. Per proxy and
# size, 32 connections: requests/s and requests per proxy core-second (the
# proxy's own CPU time over the run, /proc/PID/task/*/schedstat), p50 and p99.
# Setup and fair settings from bench/lib_l7.sh (the origin, pinning, keep-alive,
# backlogs, CPU accounting); the proxies are started here with their caches on.
# The origin's files get an old mtime: sluiced stores them by heuristic freshness
# (Last-Modified), nginx by proxy_cache_valid (it has no heuristic).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib_l7.sh"
l7_bench_args cache "$@"
awk -v d="$DURATION" 'BEGIN { exit !(d < 2) }' && QUICK=1
[ "$QUICK" = 1 ] && DURATION=1
l7_bench_need wrk "wrk not installed (BENCH=1 tools/deps.sh): no load generator"
l7_bench_need taskset "taskset missing (util-linux)"
l7_bench_need nginx "nginx not installed (BENCH=1 tools/deps.sh): no peer and no origin"
l7_bench_need
[ -x "$BUILD/sluiced" ] || { echo "build/sluiced not built (make)" >&2; exit 77; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null

W=$OUT/work
mkdir -p "$W/ngcache"
trap l7_cleanup EXIT
trap 'exit 130' INT TERM

l7_origin_start || exit 1
touch -d '2020-01-01 00:00:00 UTC' "$W/size/100" "$W/size/10240"

# cache_proxy_start NAME: sluiced or nginx with a cache, the settings of lib_l7.sh's; PORT[NAME], PID[NAME].
cache_proxy_start() {
	local name=$1 p pid try
	for try in 1 2 3; do
		p=$(l7_port)
		if [ "$name" = sluiced ]; then
			sl_config_l7_proxy "$W/sluiced.yaml" "unix:$W/admin.sock" "127.0.0.1:$p" "127.0.0.1:$ORIGIN" name=bench \
				upstream=origin upstream_keys="keepalive: 64" listener_key="cache: main" \
				listener_key="client_idle: 300s" l7_key="caches: [ { name: main, memory: 64MiB } ]"
			taskset -c "$PROXY_CPU" "$BUILD/sluiced" -c "$W/sluiced.yaml" -l warn >"$W/sluiced.log" 2>&1 &
		else
			# its best of a few tunings here: cached descriptors of the cache files (fewer
			# open/fstat per hit), no sendfile for small files
			{ l7_nginx_head nginx "4096"; cat <<EOC
    sendfile off;
    tcp_nodelay on;
    open_file_cache max=1000 inactive=60s;
    proxy_cache_path $W/ngcache levels=1:2 keys_zone=main:16m max_size=64m inactive=1h use_temp_path=off;
    upstream origin { server 127.0.0.1:$ORIGIN; keepalive 64; }
    server {
        listen 127.0.0.1:$p backlog=4096;
        location / {
            proxy_cache main;
            proxy_cache_valid 200 10m;
            proxy_cache_lock on;
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            add_header Cache-Status \$upstream_cache_status;
        }
    }
}
EOC
			} >"$W/nginx.conf"
			taskset -c "$PROXY_CPU" nginx -c "$W/nginx.conf" -p "$W" >"$W/nginx.log" 2>&1 &
		fi
		pid=$!
		L7_PIDS+=($pid)
		if l7_wait_port "$p" "$pid" && kill -0 "$pid" 2>/dev/null; then
			PORT[$name]=$p PID[$name]=$pid
			PROXIES+=("$name")
			return 0
		fi
		l7_kill "$pid"
	done
	l7_skip "$name" "did not start (log: $(tail -2 "$W/$name.log" 2>/dev/null | tr '\n' ' '))"
	return 1
}
# SL_BENCH_PROXIES (bench/ab.sh: sluiced only) may leave one out.
l7_wanted sluiced && cache_proxy_start sluiced
l7_wanted nginx && cache_proxy_start nginx

# hit_check PORT PATH: the proxy answers PATH from its cache (checked, not assumed).
hit_check() {
	curl -s -o /dev/null "http://127.0.0.1:$1$2"
	curl -s -D - -o /dev/null "http://127.0.0.1:$1$2" | tr -d '\r' | grep -qiE '^cache-status: (HIT|sluice; hit)'
}

wrk_run() {   # wrk_run NAME PORT SIZE SECONDS: output in $W/wrk-NAME-SIZE.txt
	local f=$W/wrk-$1-$3.txt
	taskset -c "$CLIENT_CPU" timeout -k 5 $(($4 + 30)) wrk -t1 -c32 -d"${4}s" --timeout 5s \
		-s "$ROOT/bench/wrk_cdf.lua" "http://127.0.0.1:$2/size/$3" >"$f" 2>&1
	echo "$f"
}

rc=0
for size in 100 10240; do
	label=$([ "$size" = 100 ] && echo 100b || echo 10k)
	for name in "${PROXIES[@]}"; do
		if ! hit_check "${PORT[$name]}" "/size/$size"; then
			l7_skip "$name-$label" "does not answer /size/$size from its cache"
			rc=1
			continue
		fi
		[ "$QUICK" = 1 ] || wrk_run "$name" "${PORT[$name]}" "$size" 1 >/dev/null   # warm
		c0=$(l7_cpu_s "${PID[$name]}")
		f=$(wrk_run "$name" "${PORT[$name]}" "$size" "$DURATION")
		c1=$(l7_cpu_s "${PID[$name]}")
		r=$(awk '/^Requests\/sec/ { r = $2 } END { print r + 0 }' "$f")
		n=$(awk '/^sl_summary/ { split($2, kv, "="); print kv[2] + 0 }' "$f")
		s=$(awk '/^sl_summary/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "status") print kv[2] + 0 } }' "$f")
		if [ "${n:-0}" -le 0 ] || [ "${s:-0}" -gt 0 ]; then
			l7_skip "$name-$label" "no requests, or non-2xx answers (wrk output: $f)"
			rc=1
			continue
		fi
		cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
		per=$(awk -v n="$n" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", n / c; else print 0 }')
		p50=$(awk '$1 == "sl_cdf" && $2 == 50 { printf "%.4f", $3 / 1000 }' "$f")
		p99=$(awk '$1 == "sl_cdf" && $2 == 99 { printf "%.4f", $3 / 1000 }' "$f")
		echo "figure cache.${name}_${label}_rps $r req/s"
		echo "figure cache.${name}_${label}_rps_per_core $per req/core-s"
		echo "figure cache.${name}_${label}_p50 $p50 ms"
		echo "figure cache.${name}_${label}_p99 $p99 ms"
		l7_log "$name $label: $r req/s, proxy CPU ${cpu} s in ${DURATION} s ($per req/core-s), p50 $p50 ms, p99 $p99 ms"
	done
	echo "ratio sluiced/nginx_${label}_per_core cache.sluiced_${label}_rps_per_core cache.nginx_${label}_rps_per_core >=1.5"
	echo "ratio sluiced/nginx_${label}_rps cache.sluiced_${label}_rps cache.nginx_${label}_rps -"
done
echo "cores cache. proxy: cpu$PROXY_CPU (1 worker); wrk (-t1) and origin (1 worker): cpu$CLIENT_CPU"
echo "note all hits (each proxy checked to answer from its cache, then warmed); 1 worker pinned to cpu$PROXY_CPU, no access log, keep-alive both sides; nginx proxy_cache with open_file_cache, sendfile off; origin $ORIGIN_WHAT and wrk -t1 -c32 on cpu$CLIENT_CPU; $DURATION s per figure$([ "$QUICK" = 1 ] && echo ' (smoke run)')"
exit $rc
