#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# HTTP/2 multiplexing: many streams at once on one client connection (nghttp -m, h2load -c 1 -m), each
# proxied as its own HTTP/1.1 request and balanced over three upstreams; slow streams do not hold up fast ones.
. "$(dirname "$0")/../lib/h2_lib.sh"
h2_setup || exit 1
l7_upstream a || exit 1; A=$UP_PORT
l7_upstream b || exit 1; B=$UP_PORT
l7_upstream c || exit 1; C=$UP_PORT
S=$(free_port); M=$(free_port)
h2_proxy_start <<EOC || exit 1
      http2: true
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: four
      listen: 127.0.0.1:$M
      mode: reverse
      http2: { enabled: true, max_concurrent_streams: 4 }
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: tls
      listen: 127.0.0.1:$S
      mode: reverse
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$A }, { address: 127.0.0.1:$B }, { address: 127.0.0.1:$C } ] }
EOC
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$S" && wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$M"
h2_need "$P"
ra0=$(up_stats "$A" requests); rb0=$(up_stats "$B" requests); rc0=$(up_stats "$C" requests)
conn0=$(tls_metric sluice_http_connections_total 'protocol="h2"'); str0=$(tls_metric sluice_http2_streams_total)

# nghttp: 50 streams at once, h2c by prior knowledge, one connection
timeout 20 nghttp -n -s -m 50 "http://127.0.0.1:$P/m" >"$SL_TMP/nghttp.out" 2>&1
n=$(awk '$5 == 200 && $7 == "/m"' "$SL_TMP/nghttp.out" | wc -l)
[ "$n" = 50 ]; ok $? "nghttp -m 50 over h2c: 50 streams, all 200 ($n)"
[ "$n" = 50 ] || sed 's/^/#   /' "$SL_TMP/nghttp.out" | tail -5

# h2load: 200 requests, 50 at a time, on one connection
timeout 20 h2load -n 200 -c 1 -m 50 "http://127.0.0.1:$P/load" >"$SL_TMP/h2load.out" 2>&1
out=$(grep -E '^requests:' "$SL_TMP/h2load.out")
[[ $out == "requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored, 0 timeout"* ]]
ok $? "h2load -n 200 -c 1 -m 50: every request succeeded ($out)"
out=$(grep -E '^status codes:' "$SL_TMP/h2load.out")
[[ $out == "status codes: 200 2xx, 0 3xx, 0 4xx, 0 5xx"* ]]; ok $? "... every one a 2xx ($out)"
# each count less 1: the question itself
ra=$(($(up_stats "$A" requests) - ra0 - 1)); rb=$(($(up_stats "$B" requests) - rb0 - 1)); rc=$(($(up_stats "$C" requests) - rc0 - 1))
[ "$ra" -gt 0 ] && [ "$rb" -gt 0 ] && [ "$rc" -gt 0 ] && [ $((ra + rb + rc)) -ge 250 ]
ok $? "streams of one connection balanced over the three upstreams (a $ra, b $rb, c $rc; 250 sent)"
conn=$(($(tls_metric sluice_http_connections_total 'protocol="h2"') - conn0)); str=$(($(tls_metric sluice_http2_streams_total) - str0))
[ "$conn" = 2 ] && [ "$str" -ge 250 ]; ok $? "/metrics: 2 more HTTP/2 connections ($conn), 250 more streams ($str)"

# over TLS
timeout 20 h2load -n 200 -c 1 -m 50 "https://127.0.0.1:$S/tls" >"$SL_TMP/h2load-tls.out" 2>&1
out=$(grep -E '^requests:' "$SL_TMP/h2load-tls.out")
[[ $out == "requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored, 0 timeout"* ]]
ok $? "h2load over TLS (h2 by ALPN): every request succeeded ($out)"
grep -q "Application protocol: h2" "$SL_TMP/h2load-tls.out"; ok $? "h2load negotiated h2 ($(grep -m1 'Application protocol' "$SL_TMP/h2load-tls.out"))"

# A slow stream does not hold up the others on its connection: /delay/1500 first, then 20 quick ones.
python3 - "$H2_CLIENT" "$P" >"$SL_TMP/hol" 2>&1 <<'EOP'
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("h2_client", sys.argv[1])
h2 = importlib.util.module_from_spec(spec); spec.loader.exec_module(h2)
a = type("A", (), dict(host="127.0.0.1", port=int(sys.argv[2]), tls=False, sni=None, verbose=False, omit=(), split=None, time=10.0,
                       authority="127.0.0.1:" + sys.argv[2], no_window_update=False, body_out=None))()
c = h2.Conn(a)
c.preface([(h2.S_ENABLE_PUSH, 0)])
slow = c.open_stream(c.request_fields("GET", "/delay/1500"))
fast = [c.open_stream(c.request_fields("GET", "/f%d" % i)) for i in range(20)]
t0 = time.time()
c.wait([s.sid for s in fast])
t_fast = time.time() - t0
c.wait([slow.sid])
print("fast", sum(s.status == "200" for s in fast), "%.2f" % t_fast, "slow", slow.status, "%.2f" % (time.time() - t0))
EOP
read -r _ nfast tfast _ sstat tslow <"$SL_TMP/hol"
[ "$nfast" = 20 ] && [ "$sstat" = 200 ] && awk -v f="$tfast" -v s="$tslow" 'BEGIN { exit !(f < 1.0 && s >= 1.4) }'
ok $? "a slow stream (1.5 s) does not hold up 20 quick ones opened after it ($(cat "$SL_TMP/hol"))"
# max_concurrent_streams 4: a client that opens ten at once, past the limit it acknowledged, breaks the
# protocol: nghttp2 makes that a connection error (GOAWAY PROTOCOL_ERROR; RFC 9113 5.1.2 lets it be a
# stream error, and any error may end the connection: docs/http2.md)
line=$(h2_client --port "$M" get -n 10 --past-max --path /delay/300)
[ "$(h2_field "$line" goaway)" = "0x1/PROTOCOL_ERROR" ]
ok $? "max_concurrent_streams 4, ten streams opened at once: GOAWAY PROTOCOL_ERROR ($line)"
line=$(h2_client --port "$M" get -n 10 --path /delay/100)
[ "$(h2_field "$line" status)" = "200*10" ]; ok $? "... a client keeping to the limit gets all ten ($line)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
