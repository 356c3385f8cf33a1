#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 reverse proxy: sluiced vs nginx vs haproxy, each one worker on core 0; wrk and the origin on core 1; 100 B and 10 KiB responses.
#
#   bench/l7.sh [--duration S] [--out DIR]       (called by bench/run.sh; skipped by --quick)
#
# Per proxy and size: requests/s, requests per proxy core-second (the proxy's own
# utime+stime from /proc/PID/stat over the run), p50 and p99 latency from wrk.
# The origin is nginx (return/static file, keep-alive), so the python test upstream
# is never the bottleneck. Loopback only.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=2
OUT=$(mktemp -d /tmp/sl-l7bench.XXXXXX)
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--out DIR]" >&2; exit 2 ;;
	esac
done
if awk -v d="$DURATION" 'BEGIN { exit !(d < 2) }'; then
	echo "note l7 skipped under --quick (needs >= 2 s per figure; make test never runs it)"
	exit 77
fi
for t in wrk nginx haproxy taskset; do
	command -v "$t" >/dev/null || { echo "l7.sh: $t missing (BENCH=1 tools/deps.sh)" >&2; exit 77; }
done
[ -x "$ROOT/build/sluiced" ] || { echo "l7.sh: build/sluiced missing" >&2; exit 77; }
[ "$(nproc)" -ge 2 ] || { echo "note l7 needs 2 cores"; exit 77; }

W=$OUT/work
mkdir -p "$W"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

ORIGIN=$(port); PS=$(port); PN=$(port); PH=$(port)
head -c 100 /dev/zero | tr '\0' a >"$W/100"
head -c 10240 /dev/zero | tr '\0' b >"$W/10k"

# The origin: nginx, one worker on core 1, answering from memory and page cache.
cat >"$W/origin.conf" <<EOC
worker_processes 1;
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
        location / { }
    }
}
EOC
taskset -c 1 nginx -c "$W/origin.conf" -p "$W" >"$W/origin.log" 2>&1 &
pids+=($!)

# sluiced: one worker on core 0, no access log (nor for the peers).
cat >"$W/sluiced.yaml" <<EOC
workers: 1
admin: { listen: unix:$W/admin.sock }
l7:
  listeners:
    - name: bench
      listen: 127.0.0.1:$PS
      mode: reverse
      routes: [ { match: { path_prefix: / }, upstream: origin } ]
  upstreams:
    - { name: origin, keepalive: 64, servers: [ { address: 127.0.0.1:$ORIGIN } ] }
EOC
taskset -c 0 "$ROOT/build/sluiced" -c "$W/sluiced.yaml" -l warn >"$W/sluiced.log" 2>&1 &
SPID=$!
pids+=($SPID)

cat >"$W/nginx.conf" <<EOC
worker_processes 1;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx.err;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    upstream origin { server 127.0.0.1:$ORIGIN; keepalive 64; }
    server {
        listen 127.0.0.1:$PN;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOC
taskset -c 0 nginx -c "$W/nginx.conf" -p "$W" >"$W/nginx.log" 2>&1 &
NPID=$!
pids+=($NPID)

cat >"$W/haproxy.cfg" <<EOC
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
    http-reuse always
frontend fe
    bind 127.0.0.1:$PH
    default_backend be
backend be
    server o 127.0.0.1:$ORIGIN
EOC
taskset -c 0 haproxy -f "$W/haproxy.cfg" -db >"$W/haproxy.log" 2>&1 &
HPID=$!
pids+=($HPID)

for p in $ORIGIN $PS $PN $PH; do wait_port "$p" || { echo "l7.sh: port $p never opened" >&2; exit 1; }; done

# cpu_ticks PID...: utime+stime of the processes and their children threads (fields 14, 15).
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

# to_ms VALUE: wrk latency ("512.00us", "1.20ms", "1.1s") in ms.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }

run() {
	local name=$1 port=$2 pid=$3 size=$4 label=$5
	taskset -c 1 wrk -t1 -c32 -d1s "http://127.0.0.1:$port/$size" >/dev/null 2>&1   # warm pools
	local c0 c1 out rps p50 p99
	c0=$(cpu_ticks "$pid")
	out=$(taskset -c 1 wrk -t1 -c32 -d"${DURATION}s" --latency "http://127.0.0.1:$port/$size" 2>&1)
	c1=$(cpu_ticks "$pid")
	echo "$out" >"$OUT/wrk-$name-$size.txt"
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
	p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
	local errs
	errs=$(echo "$out" | awk '/Non-2xx|Socket errors/' | tr '\n' ' ')
	[ -n "$errs" ] && echo "l7.sh: $name $size: $errs" >&2
	local cpu
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.3f", (b - a) / hz }')
	echo "figure ${name}_${label}_rps $rps req/s"
	echo "figure ${name}_${label}_rps_per_core $(awk -v r="$rps" -v d="$DURATION" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", r * d / c; else print 0 }') req/core-s"
	echo "figure ${name}_${label}_p50 $p50 ms"
	echo "figure ${name}_${label}_p99 $p99 ms"
	echo "l7.sh: $name $label: $rps req/s, proxy cpu ${cpu}s over ${DURATION}s, p50 ${p50}ms p99 ${p99}ms" >&2
}

for size in 100 10k; do
	label=$([ $size = 100 ] && echo 100b || echo 10k)
	run sluiced "$PS" "$SPID" "$size" "$label"
	run nginx "$PN" "$NPID" "$size" "$label"
	run haproxy "$PH" "$HPID" "$size" "$label"
	echo "ratio sluiced_vs_nginx_${label}_per_core sluiced_${label}_rps_per_core nginx_${label}_rps_per_core >=1"
	echo "ratio sluiced_vs_haproxy_${label}_per_core sluiced_${label}_rps_per_core haproxy_${label}_rps_per_core >=1"
done
echo "note each proxy: 1 worker/thread pinned to core 0, no access log, upstream keep-alive; origin nginx and wrk (-t1 -c32) on core 1"
