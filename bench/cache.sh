#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Cache hits: sluiced's cache vs nginx proxy_cache, each one worker on core 0; wrk and the origin on core 1; 100 B and 10 KiB objects.
#
#   bench/cache.sh [--duration S] [--out DIR]     (called by bench/run.sh)
#
# Every measured request is a hit (each proxy is warmed first, and the origin
# is asked once per object). Per proxy and size: requests/s and requests per
# proxy core-second (the proxy's own utime+stime from /proc/PID/stat over the
# run). With --duration < 2 it is a smoke run: 1 s per figure, same harness.
# The setup is bench/l7.sh's. Loopback only.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=2
OUT=$(mktemp -d /tmp/sl-cachebench.XXXXXX)
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--out DIR]" >&2; exit 2 ;;
	esac
done
QUICK=0
if awk -v d="$DURATION" 'BEGIN { exit !(d < 2) }'; then
	QUICK=1
	DURATION=1
fi
for t in wrk nginx taskset; do
	command -v "$t" >/dev/null || { echo "note cache: $t missing (BENCH=1 tools/deps.sh)"; exit 77; }
done
[ -x "$ROOT/build/sluiced" ] || { echo "note cache: build/sluiced missing"; exit 77; }
[ "$(nproc)" -ge 2 ] || { echo "note cache needs 2 cores"; exit 77; }

W=$OUT/work
mkdir -p "$W/ngcache"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
}
trap cleanup EXIT
[ -n "${SL_BENCH_DEBUG:-}" ] && trap "cat $OUT/work/*.log $OUT/work/*.err >&2; cleanup" EXIT
trap 'exit 130' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

ORIGIN=$(port); PS=$(port); PN=$(port)
head -c 100 /dev/zero | tr '\0' a >"$W/100"
head -c 10240 /dev/zero | tr '\0' b >"$W/10k"

# The origin: nginx on core 1; objects fresh for an hour.
cat >"$W/origin.conf" <<EOC
worker_processes 1;
user root;
daemon off;
pid $W/origin.pid;
error_log $W/origin.err;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$ORIGIN reuseport;
        root $W;
        location / { add_header Cache-Control "max-age=3600"; }
    }
}
EOC
taskset -c 1 nginx -c "$W/origin.conf" -p "$W" >"$W/origin.log" 2>&1 &
pids+=($!)

# sluiced: one worker on core 0, no access log (nor for nginx).
cat >"$W/sluiced.yaml" <<EOC
workers: 1
admin: { listen: unix:$W/admin.sock }
l7:
  listeners:
    - name: bench
      listen: 127.0.0.1:$PS
      mode: reverse
      cache: main
      routes: [ { match: { path_prefix: / }, upstream: origin } ]
  upstreams:
    - { name: origin, keepalive: 64, servers: [ { address: 127.0.0.1:$ORIGIN } ] }
  caches:
    - { name: main, memory: 64MiB }
EOC
taskset -c 0 "$ROOT/build/sluiced" -c "$W/sluiced.yaml" -l warn >"$W/sluiced.log" 2>&1 &
SPID=$!
pids+=($SPID)

# nginx with proxy_cache (its cache lives in files: the page cache serves them).
cat >"$W/nginx.conf" <<EOC
worker_processes 1;
user root;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx.err;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    # its best of a few tunings on this machine: no sendfile for small cached
    # files, cached descriptors of the cache files (fewer open/fstat per hit)
    sendfile off;
    tcp_nodelay on;
    open_file_cache max=1000 inactive=60s;
    proxy_cache_path $W/ngcache levels=1:2 keys_zone=main:16m max_size=64m inactive=1h use_temp_path=off;
    upstream origin { server 127.0.0.1:$ORIGIN; keepalive 64; }
    server {
        listen 127.0.0.1:$PN;
        location / {
            proxy_cache main;
            proxy_cache_lock on;
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            add_header Cache-Status \$upstream_cache_status;
        }
    }
}
EOC
taskset -c 0 nginx -c "$W/nginx.conf" -p "$W" >"$W/nginx.log" 2>&1 &
NPID=$!
pids+=($NPID)

for p in $ORIGIN $PS $PN; do wait_port "$p" || { echo "cache.sh: port $p never opened" >&2; exit 1; }; done

cpu_ticks() {
	local t=0 p
	for p in "$@"; do
		for q in $p $(pgrep -P "$p"); do
			[ -r /proc/$q/stat ] && t=$((t + $(awk '{print $14 + $15}' /proc/$q/stat)))
		done
	done
	echo $t
}
HZ=$(getconf CLK_TCK)

# hit_check PORT PATH: the proxy answers PATH from its cache (checked, not assumed).
hit_check() {
	curl -s -o /dev/null "http://127.0.0.1:$1/$2"
	curl -s -D - -o /dev/null "http://127.0.0.1:$1/$2" | tr -d '\r' | grep -qiE '^cache-status: (HIT|sluice; hit)'
}

run() {
	local name=$1 port=$2 pid=$3 size=$4 label=$5
	hit_check "$port" "$size" || { echo "cache.sh: $name does not answer /$size from its cache" >&2; return 1; }
	[ $QUICK = 1 ] || taskset -c 1 wrk -t1 -c32 -d1s "http://127.0.0.1:$port/$size" >/dev/null 2>&1   # warm
	local c0 c1 out rps cpu
	c0=$(cpu_ticks "$pid")
	out=$(taskset -c 1 wrk -t1 -c32 -d"${DURATION}s" "http://127.0.0.1:$port/$size" 2>&1)
	c1=$(cpu_ticks "$pid")
	echo "$out" >"$OUT/wrk-$name-$size.txt"
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	errs=$(echo "$out" | awk '/Non-2xx|Socket errors/' | tr '\n' ' ')
	[ -n "$errs" ] && echo "cache.sh: $name $size: $errs" >&2
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.3f", (b - a) / hz }')
	echo "figure ${name}_${label}_rps $rps req/s"
	echo "figure ${name}_${label}_rps_per_core $(awk -v r="$rps" -v d="$DURATION" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", r * d / c; else print 0 }') req/core-s"
	echo "cache.sh: $name $label: $rps req/s, proxy cpu ${cpu}s over ${DURATION}s" >&2
}

rc=0
for size in 100 10k; do
	label=$([ $size = 100 ] && echo 100b || echo 10k)
	run sluiced "$PS" "$SPID" "$size" "$label" || rc=1
	run nginx "$PN" "$NPID" "$size" "$label" || rc=1
	echo "ratio sluiced_vs_nginx_${label}_per_core sluiced_${label}_rps_per_core nginx_${label}_rps_per_core >=1.5"
done
echo "note all hits (each proxy checked to answer from its cache, then warmed); 1 worker pinned to core 0, no access log; nginx with open_file_cache; origin nginx and wrk (-t1 -c32) on core 1$([ $QUICK = 1 ] && echo "; smoke run: 1 s per figure")"
exit $rc
