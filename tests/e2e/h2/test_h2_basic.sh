#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# HTTP/2 basics: h2 over TLS by ALPN (on by default), h2c by prior knowledge on a cleartext listener with
# http2: true, which still serves HTTP/1.1; a cleartext listener without it speaks HTTP/1.1 only; the access
# log's protocol field and the h2 counters of /metrics.
. "$(dirname "$0")/../lib/h2_lib.sh"
h2_setup || exit 1
l7_upstream a || exit 1
S=$(free_port); Q=$(free_port); R=$(free_port); U=$(free_port)
h2_proxy_start <<EOC || exit 1
      http2: true
      access_log: { path: $SL_TMP/access.json, format: json }
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: tls
      listen: 127.0.0.1:$S
      mode: reverse
      access_log: { path: $SL_TMP/access-tls.json, format: json }
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: plain
      listen: 127.0.0.1:$Q
      mode: reverse
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: tls-h1
      listen: 127.0.0.1:$R
      mode: reverse
      http2: false
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: tuned
      listen: 127.0.0.1:$U
      mode: reverse
      max_header_bytes: 8192
      http2: { enabled: true, max_concurrent_streams: 7, stream_window: 100000, connection_window: 2MiB, header_table_size: 0 }
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$UP_PORT } ] }
EOC
for port in $S $Q $R $U; do wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"; done
h2_need "$P"
h2_need "$S" tls

# h2c by prior knowledge on the listener with http2: true
out=$(h2c_curl "$P" -w ' %{http_code} %{http_version}' /h2c | tr -d '\n')
[ "$out" = "a /h2c 200 2" ]; ok $? "curl --http2-prior-knowledge on http2: true: proxied over HTTP/2 ($out)"
out=$(curl -s -m 5 --http1.1 -w ' %{http_code} %{http_version}' "http://127.0.0.1:$P/h1" | tr -d '\n')
[ "$out" = "a /h1 200 1.1" ]; ok $? "the same listener still serves an HTTP/1.1 client ($out)"
out=$(curl -s -m 5 --http1.1 -o /dev/null -w '%{http_code}/%{num_connects} ' "http://127.0.0.1:$P/k3" -o /dev/null "http://127.0.0.1:$P/k4")
[ "$out" = "200/1 200/0 " ]; ok $? "... with keep-alive ($out)"
out=$(curl -s -m 5 --http2 -w ' %{http_code}' "http://127.0.0.1:$P/up" | tr -d '\n')
[ "$out" = "a /up 200" ]; ok $? "an HTTP/1.1 request offering Upgrade: h2c is answered ($out)"
line=$(h2_client --port "$P" get -n 20 --path /many)
[ "$(h2_field "$line" status)" = "200*20" ] && [ "$(h2_field "$line" goaway)" = none ]
ok $? "20 streams at once from the raw client: all 200 ($line)"

# h2 over TLS, on by default: ALPN picks h2
out=$(tls_sclient "$S" www.example.test -alpn h2,http/1.1 | grep -E '^ALPN protocol')
[ "$out" = "ALPN protocol: h2" ]; ok $? "TLS listener: ALPN h2,http/1.1 offered, h2 selected ($out)"
out=$(tls_sclient "$S" www.example.test -alpn http/1.1 | grep -E '^ALPN protocol')
[ "$out" = "ALPN protocol: http/1.1" ]; ok $? "TLS listener: ALPN http/1.1 alone still selected ($out)"
out=$(h2s_curl "$S" -w ' %{http_code} %{http_version} %{ssl_verify_result}' /tls | tr -d '\n')
[ "$out" = "a /tls 200 2 0" ]; ok $? "curl --http2 over TLS: HTTP/2, verified ($out)"
out=$(h2s_curl "$S" -o /dev/null -w '%{http_code}/%{num_connects}/%{http_version} ' "https://www.example.test:$S/k1" -o /dev/null /k2)
[ "$out" = "200/1/2 200/0/2 " ]; ok $? "two requests, one h2 connection ($out)"
out=$(h2s_curl "$S" --http1.1 -w ' %{http_code} %{http_version}' /tls1 | tr -d '\n')
[ "$out" = "a /tls1 200 1.1" ]; ok $? "curl --http1.1 over TLS on the same listener: HTTP/1.1 ($out)"
line=$(h2_client --tls --sni www.example.test --port "$S" get -n 20 --path /many-tls)
[ "$(h2_field "$line" status)" = "200*20" ]; ok $? "20 streams at once over TLS from the raw client ($line)"

# a cleartext listener without http2 speaks HTTP/1.1 only
out=$(curl -s -m 5 --http1.1 -w ' %{http_code} %{http_version}' "http://127.0.0.1:$Q/plain" | tr -d '\n')
[ "$out" = "a /plain 200 1.1" ]; ok $? "listener without http2: HTTP/1.1 served ($out)"
out=$(curl -s -m 5 --http2-prior-knowledge -o /dev/null -w '%{http_code} %{http_version}' "http://127.0.0.1:$Q/pk")
[ "$out" != "200 2" ]; ok $? "listener without http2: no h2c by prior knowledge ($out)"
out=$(curl -s -m 5 --http2 -w ' %{http_code} %{http_version}' "http://127.0.0.1:$Q/upg" | tr -d '\n')
[ "$out" = "a /upg 200 1.1" ]; ok $? "listener without http2: Upgrade: h2c offered, HTTP/1.1 answered ($out)"

# http2: false on a TLS listener: no h2 in ALPN
out=$(tls_sclient "$R" www.example.test -alpn h2,http/1.1 | grep -E '^ALPN protocol')
[ "$out" = "ALPN protocol: http/1.1" ]; ok $? "TLS listener with http2: false: h2,http/1.1 offered, http/1.1 selected ($out)"
out=$(tls_curl "$R" www.example.test "$T/ca.pem" --http2 -o /dev/null -w '%{http_code} %{http_version}' /h1only)
[ "$out" = "200 1.1" ]; ok $? "... curl --http2 served over HTTP/1.1 ($out)"

# the SETTINGS sluiced sends: the defaults, then a listener's own values
# settings PORT: the server's first SETTINGS and connection WINDOW_UPDATE as nghttp -v prints them, one line
settings() {
	timeout 5 nghttp -nv "http://127.0.0.1:$1/settings" 2>&1 |
		sed -n '/recv SETTINGS frame/,/recv WINDOW_UPDATE/{s/^ *//;p};/window_size_increment/{s/^ *//;p;q}' | tr '\n' ' '
}
set1=$(settings "$P")
for want in "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):128" "SETTINGS_INITIAL_WINDOW_SIZE(0x04):262144" \
	"SETTINGS_MAX_HEADER_LIST_SIZE(0x06):16384" "SETTINGS_HEADER_TABLE_SIZE(0x01):4096" "window_size_increment=983041"; do
	[[ $set1 == *"[$want]"* || $set1 == *"($want)"* ]]; ok $? "defaults: $want"
done
set2=$(settings "$U")
for want in "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):7" "SETTINGS_INITIAL_WINDOW_SIZE(0x04):100000" \
	"SETTINGS_MAX_HEADER_LIST_SIZE(0x06):8192" "SETTINGS_HEADER_TABLE_SIZE(0x01):0" "window_size_increment=2031617"; do
	[[ $set2 == *"[$want]"* || $set2 == *"($want)"* ]]; ok $? "http2 mapping: $want"
done
[ -n "$set1" ] || diag "nghttp -v printed no SETTINGS"
line=$(h2_client --port "$U" get -n 30 --path /seven)
[ "$(h2_field "$line" status)" = "200*30" ]; ok $? "30 streams under max_concurrent_streams 7 (the client keeps to it): all 200 ($line)"

# the access log: protocol HTTP/2.0 for a stream, HTTP/1.1 beside it
logged() { grep -q "\"uri\":\"$2\",\"protocol\":\"$3\"" "$1"; }
wait_for 3 logged "$SL_TMP/access.json" /h2c HTTP/2.0
ok $? "access log: an h2c request says HTTP/2.0 ($(grep -m1 '"/h2c"' "$SL_TMP/access.json" | grep -o '"protocol":"[^"]*"'))"
wait_for 3 logged "$SL_TMP/access.json" /h1 HTTP/1.1
ok $? "access log: an HTTP/1.1 request on the same listener says HTTP/1.1"
wait_for 3 logged "$SL_TMP/access-tls.json" /tls HTTP/2.0
ok $? "access log: an h2 request over TLS says HTTP/2.0"
many() { [ "$(grep -c '"uri":"/many","protocol":"HTTP/2.0","status":200' "$SL_TMP/access.json")" = 20 ]; }
wait_for 3 many
ok $? "access log: one line per stream, 20 ($(grep -c '"uri":"/many"' "$SL_TMP/access.json"))"

# /metrics
c=$(tls_metric sluice_http_connections_total 'protocol="h2"'); s=$(tls_metric sluice_http2_streams_total)
[ "$c" -ge 5 ] && [ "$s" -ge 45 ]
ok $? "/metrics: sluice_http_connections_total{protocol=\"h2\"} $c (>= 5), sluice_http2_streams_total $s (>= 45)"
c1=$(tls_metric sluice_http_connections_total 'protocol="http/1.1"')
[ "$c1" -ge 5 ]; ok $? "/metrics: sluice_http_connections_total{protocol=\"http/1.1\"} $c1 (>= 5)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
