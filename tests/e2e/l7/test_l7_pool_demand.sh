#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 upstream pool sized from demand: 50 keep-alive clients on one worker make no upstream reconnects once warm; keepalive: N still caps the pool.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1; A=$UP_PORT
l7_upstream b || exit 1; B=$UP_PORT
l7_proxy_start <<EOC || exit 1
      routes:
        - { match: { path_prefix: /capped }, upstream: capped }
        - { match: { path_prefix: / }, upstream: app }
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$A } ] }
    - { name: capped, keepalive: 8, servers: [ { address: 127.0.0.1:$B } ] }
EOC

# clients PREFIX MODE: 50 keep-alive clients. warm: three rounds of 50 requests sent together, each held
# 200 ms by the origin (50 in flight, even when the machine is busy). steady: 4 s of requests the origin holds 0-20 ms, with 0-5 ms
# pauses between them: how many are in flight moves all the time (around 30, never above 50).
# Prints "ok N" and any errors; bounded to 20 s.
clients() {
	python3 - "$P" "$1" "$2" <<'EOP'
import http.client, random, sys, threading, time
port, prefix, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
N, deadline = 50, time.time() + 20
bar = threading.Barrier(N)
lock, res = threading.Lock(), {"ok": 0}
def one(c, path):
    c.request("GET", prefix + path)
    r = c.getresponse()
    r.read()
    return r.status
def run(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    rnd = random.Random(i)
    try:
        if mode == "warm":
            for _ in range(3):
                bar.wait(timeout=10)
                st = one(c, "/delay/200")
                with lock:
                    res["ok" if st == 200 else str(st)] = res.get("ok" if st == 200 else str(st), 0) + 1
        else:
            end = min(time.time() + 4, deadline)
            while time.time() < end:
                st = one(c, "/delay/%d" % rnd.randrange(0, 21))
                with lock:
                    res["ok" if st == 200 else str(st)] = res.get("ok" if st == 200 else str(st), 0) + 1
                time.sleep(rnd.random() * 0.005)
    except Exception as e:
        with lock:
            res[type(e).__name__] = res.get(type(e).__name__, 0) + 1
    c.close()
ts = [threading.Thread(target=run, args=(i,)) for i in range(N)]
[t.start() for t in ts]
[t.join(timeout=25) for t in ts]
print(" ".join("%s %d" % kv for kv in sorted(res.items())))
EOP
}

r=$(clients "" warm); diag "warm-up: $r"
[ "$r" = "ok 150" ]; ok $? "warm-up: 150 requests, 50 at a time"
c0=$(l7_metric sluice_http_upstream_connects_total)
a0=$(up_stats "$A" connections)
r=$(clients "" steady); diag "steady: $r"
case "$r" in "ok "*) [ "${r#ok }" -ge 2000 ] ;; *) false ;; esac; ok $? "steady: 4 s of requests from 50 clients ($r)"
c1=$(l7_metric sluice_http_upstream_connects_total)
a1=$(up_stats "$A" connections)
diag "default pool: upstream connects ${c0} after warm-up, ${c1} after the steady run; origin accepted $((a1 - a0 - 1)) (minus its /stats)"
[ "$c0" -le 50 ]; ok $? "warm-up: at most one upstream connection per concurrent request ($c0)"
[ "$c1" = "$c0" ]; ok $? "default pool: no upstream connect in the steady run ($c0 -> $c1)"
[ $((a1 - a0 - 1)) = 0 ]; ok $? "... and the origin accepted no connection ($((a1 - a0 - 1)))"
full=$(l7_metric sluice_http_upstream_pool_full_total)
[ "$full" = 0 ]; ok $? "sluice_http_upstream_pool_full_total 0 ($full)"

r=$(clients /capped warm); diag "capped warm-up: $r"
b0=$(up_stats "$B" connections)
r=$(clients /capped steady); diag "capped steady: $r"
b1=$(up_stats "$B" connections)
diag "keepalive: 8: the origin accepted $((b1 - b0 - 1)) connections in the steady run"
[ $((b1 - b0 - 1)) -gt 50 ]; ok $? "keepalive: 8 still caps the idle pool: connections churn ($((b1 - b0 - 1)))"
full=$(l7_metric sluice_http_upstream_pool_full_total)
[ "${full:-0}" -gt 0 ]; ok $? "... counted in sluice_http_upstream_pool_full_total ($full)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
