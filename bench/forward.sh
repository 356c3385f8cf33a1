#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Forward proxy: sluiced vs Squid vs Tinyproxy, each on core 0: absolute-form requests/s (wrk) and CONNECT tunnel MB/s.
#
#   bench/forward.sh [--duration S] [--out DIR]       (called by bench/run.sh)
#
# Requests: wrk -t1 -c32 on core 1 sends "GET http://127.0.0.1:ORIGIN/100 HTTP/1.1"
# to each proxy (keep-alive on the client side; each proxy keeps what it keeps
# towards the origin, an nginx on core 1). Figures: requests/s and requests per
# proxy core-second (the proxy's utime+stime from /proc/PID/stat).
# Tunnel: one CONNECT to a sink on core 1, then 1 GiB (64 MiB under --duration < 2)
# written through it; MB/s from the first byte to the sink's acknowledgement of the last,
# and MB per proxy core-second.
# Under --duration < 2 (run.sh --quick): every proxy, 1 s and 64 MiB, no warm-up: a smoke test.
# Loopback only; everything started here is stopped by PID on exit.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=2
OUT=$(mktemp -d /tmp/sl-fwdbench.XXXXXX)
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--out DIR]" >&2; exit 2 ;;
	esac
done
SMOKE=0
awk -v d="$DURATION" 'BEGIN { exit !(d < 2) }' && SMOKE=1
for t in wrk nginx taskset python3 squid tinyproxy; do
	command -v "$t" >/dev/null || { echo "forward.sh: $t missing (BENCH=1 tools/deps.sh)" >&2; exit 77; }
done
[ -x "$ROOT/build/sluiced" ] || { echo "forward.sh: build/sluiced missing" >&2; exit 77; }
[ "$(nproc)" -ge 2 ] || { echo "note forward needs 2 cores"; exit 77; }
if [ $SMOKE = 1 ]; then TUNNEL_MB=64; RUN_S=1; else TUNNEL_MB=1024; RUN_S=$DURATION; fi

W=$OUT/work
mkdir -p "$W"
chmod 0777 "$W"   # squid and tinyproxy drop to unprivileged users and write their pid/log files here
pids=()
# cleanup: TERM, up to 3 s for a graceful exit (squid takes its shutdown_lifetime), KILL, then reap.
cleanup() {
	local p i
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for i in $(seq 30); do
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && break; done
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

ORIGIN=$(port); SINK=$(port); PS=$(port); PQ=$(port); PT=$(port)
head -c 100 /dev/zero | tr '\0' a >"$W/100"

# The origin: nginx, one worker on core 1.
cat >"$W/origin.conf" <<EOC
worker_processes 1;
daemon off;
pid $W/origin.pid;
error_log $W/origin.err;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$ORIGIN reuseport; root $W; location / { } }
}
EOC
taskset -c 1 nginx -c "$W/origin.conf" -p "$W" >"$W/origin.log" 2>&1 &
pids+=($!)

# The tunnel sink on core 1: reads a length line, then that many bytes, then answers "ok".
taskset -c 1 python3 - "$SINK" >"$W/sink.log" 2>&1 <<'EOP' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
def serve(c):
    f = c.makefile("rb", buffering=0)
    n = int(f.readline())
    buf = bytearray(1 << 20)
    while n > 0:
        k = c.recv_into(buf, min(n, len(buf)))
        if not k:
            break
        n -= k
    c.sendall(b"ok\n"); c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOP
pids+=($!)

cat >"$W/sluiced.yaml" <<EOC
workers: 1
admin: { listen: unix:$W/admin.sock }
l7:
  listeners:
    - { name: fwd, listen: 127.0.0.1:$PS, mode: forward }
  forward:
    allow_private_destinations: true
    connect_ports: [$SINK]
    anonymize: false
EOC
taskset -c 0 "$ROOT/build/sluiced" -c "$W/sluiced.yaml" -l warn >"$W/sluiced.log" 2>&1 &
SPID=$!
pids+=($SPID)

cat >"$W/tinyproxy.conf" <<EOC
User nobody
Group nogroup
Port $PT
Listen 127.0.0.1
Timeout 600
MaxClients 1000
Allow 127.0.0.1
ConnectPort $SINK
DisableViaHeader No
LogLevel Critical
LogFile "$W/tinyproxy.log"
PidFile "$W/tinyproxy.pid"
EOC
taskset -c 0 tinyproxy -d -c "$W/tinyproxy.conf" >"$W/tinyproxy.out" 2>&1 &
TPID=$!
pids+=($TPID)

cat >"$W/squid.conf" <<EOC
http_port 127.0.0.1:$PQ
pid_filename $W/squid.pid
cache_log $W/squid-cache.log
access_log none
cache deny all
cache_mem 8 MB
coredump_dir $W
workers 1
shutdown_lifetime 1 seconds
pinger_enable off
acl localhost_src src 127.0.0.1/32
acl sink_port port $SINK
acl CONNECT method CONNECT
http_access deny CONNECT !sink_port
http_access allow localhost_src
http_access deny all
EOC
taskset -c 0 squid -N -f "$W/squid.conf" >"$W/squid.out" 2>&1 &
QPID=$!
pids+=($QPID)

for p in $ORIGIN $SINK $PS $PT $PQ; do wait_port "$p" || { echo "forward.sh: port $p never opened" >&2; exit 1; }; done

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
cat >"$W/abs.lua" <<EOC
wrk.path = "http://127.0.0.1:$ORIGIN/100"
wrk.headers["Host"] = "127.0.0.1:$ORIGIN"
EOC

rps_run() {
	local name=$1 port=$2 pid=$3 out c0 c1 rps cpu errs
	[ $SMOKE = 0 ] && taskset -c 1 wrk -t1 -c32 -d1s -s "$W/abs.lua" "http://127.0.0.1:$port/" >/dev/null 2>&1   # warm pools
	c0=$(cpu_ticks "$pid")
	out=$(taskset -c 1 wrk -t1 -c32 -d"${RUN_S}s" -s "$W/abs.lua" "http://127.0.0.1:$port/" 2>&1)
	c1=$(cpu_ticks "$pid")
	echo "$out" >"$OUT/wrk-$name.txt"
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	errs=$(echo "$out" | awk '/Non-2xx|Socket errors/' | tr '\n' ' ')
	[ -n "$errs" ] && echo "forward.sh: $name: $errs" >&2
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.3f", (b - a) / hz }')
	echo "figure ${name}_abs_rps ${rps:-0} req/s"
	echo "figure ${name}_abs_rps_per_core $(awk -v r="${rps:-0}" -v d="$RUN_S" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", r * d / c; else print 0 }') req/core-s"
	echo "forward.sh: $name absolute-form: ${rps:-0} req/s, proxy cpu ${cpu}s over ${RUN_S}s $errs" >&2
}

tunnel_run() {
	local name=$1 port=$2 pid=$3 c0 c1 res mbs cpu
	c0=$(cpu_ticks "$pid")
	res=$(timeout 120 taskset -c 1 python3 - "$port" "$SINK" "$TUNNEL_MB" 2>&1 <<'EOP'
import socket, sys, time
p, sink, mb = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
n = mb << 20
s = socket.create_connection(("127.0.0.1", p), timeout=60)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (sink, sink))
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        sys.exit("no answer to CONNECT")
    buf += d
if b" 200" not in buf.split(b"\r\n")[0]:
    sys.exit("CONNECT: " + buf.split(b"\r\n")[0].decode())
chunk = memoryview(b"\x5a" * (1 << 20))
t0 = time.monotonic()
s.sendall(b"%d\n" % n)
for _ in range(mb):
    s.sendall(chunk)
ack = s.recv(16)
t1 = time.monotonic()
if ack != b"ok\n":
    sys.exit("sink did not acknowledge")
print("%.1f" % (n / (t1 - t0) / 1e6))
EOP
)
	c1=$(cpu_ticks "$pid")
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.3f", (b - a) / hz }')
	if [[ $res =~ ^[0-9.]+$ ]]; then mbs=$res; else echo "forward.sh: $name tunnel: $res" >&2; mbs=0; fi
	echo "figure ${name}_tunnel_mbps $mbs MB/s"
	# the proxy's own cost: MB relayed per second of its CPU (the client and sink share core 1 and may set the pace)
	[ "$mbs" != 0 ] && echo "figure ${name}_tunnel_mb_per_core_s $(awk -v m="$TUNNEL_MB" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", m * 1.048576 / c; else print 0 }') MB/core-s"
	echo "forward.sh: $name CONNECT tunnel: $mbs MB/s for $TUNNEL_MB MiB, proxy cpu ${cpu}s" >&2
}

# The order of the proxies turns with each rep (SL_BENCH_REP), so no one always runs first.
order=("sluiced $PS $SPID" "squid $PQ $QPID" "tinyproxy $PT $TPID")
rot=$(((${SL_BENCH_REP:-1} - 1) % 3))
order=("${order[@]:$rot}" "${order[@]:0:$rot}")
for o in "${order[@]}"; do rps_run $o; done
for o in "${order[@]}"; do tunnel_run $o; done
echo "cores * proxy: cpu0 (sluiced 1 worker, squid -N, tinyproxy); wrk, nginx origin (1 worker), tunnel client and sink: cpu1"
echo "ratio sluiced_vs_squid_abs_per_core sluiced_abs_rps_per_core squid_abs_rps_per_core >=1"
echo "ratio sluiced_vs_squid_tunnel sluiced_tunnel_mbps squid_tunnel_mbps >=1"
echo "ratio sluiced_vs_squid_tunnel_per_core sluiced_tunnel_mb_per_core_s squid_tunnel_mb_per_core_s >=1"
echo "ratio sluiced_vs_tinyproxy_abs_per_core sluiced_abs_rps_per_core tinyproxy_abs_rps_per_core >=1"
echo "ratio sluiced_vs_tinyproxy_tunnel sluiced_tunnel_mbps tinyproxy_tunnel_mbps >=1"
echo "ratio sluiced_vs_tinyproxy_tunnel_per_core sluiced_tunnel_mb_per_core_s tinyproxy_tunnel_mb_per_core_s >=1"
echo "note each proxy pinned to core 0 (sluiced 1 worker, squid -N, tinyproxy), no access log; wrk -t1 -c32, nginx origin and tunnel sink on core 1; tunnel: one CONNECT, $TUNNEL_MB MiB"
[ $SMOKE = 1 ] && echo "note --duration < 2: smoke run (1 s, 64 MiB, no warm-up); the figures are not comparable"
exit 0
