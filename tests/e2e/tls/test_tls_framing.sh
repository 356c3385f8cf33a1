#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# HTTP framing over TLS: the smuggling shapes get 400 and reach no upstream, header and body limits (431,
# 413), request head and body timeouts (408), pipelining, a request one byte per TLS record, big bodies.
. "$(dirname "$0")/../lib/tls_lib.sh"
tls_setup || exit 1
l7_upstream a || exit 1
A=$UP_PORT
tls_proxy_start <<EOC || exit 1
      max_header_bytes: 4096
      max_body_bytes: 100000
      request_timeout: 1s
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$A } ] }
EOC

# raw.py PORT CA CASE...: each CASE's bytes over its own TLS connection (SNI www.example.test), read until
# the server closes or 5 s pass; prints "CASE|FIRST-STATUS-LINE|RESPONSES|closed-or-open|SECONDS|BODIES".
cat >"$SL_TMP/raw.py" <<'EOP'
import re, socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
cases = {
    "CL and TE together": b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
    "TE and CL together": b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\n",
    "two different Content-Length": b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!",
    "invalid chunk size": b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
    "chunk data without CRLF": b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY0\r\n\r\n",
    "bare LF line ending": b"GET / HTTP/1.1\nHost: h\n\n",
    "bare CR": b"GET / HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n",
    "obs-fold": b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n",
    "space before colon": b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    "invalid header name": b"GET / HTTP/1.1\r\nHost: h\r\nX@Y: 1\r\n\r\n",
    "TE not ending in chunked": b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    "unfinished head": b"GET / HTTP/1.1\r\nHost: h\r\n",
    "stalled body": b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n0123456789",
    "pipelined": b"GET /p1 HTTP/1.1\r\nHost: h\r\n\r\nGET /p2 HTTP/1.1\r\nHost: h\r\n\r\nGET /p3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "byte per record": b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
}
for name in sys.argv[3:]:
    raw = cases[name]
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="www.example.test")
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t = time.time()
    if name == "byte per record":
        for i in range(len(raw)):
            s.sendall(raw[i:i + 1])   # one TLS record each
            time.sleep(0.001)
    else:
        s.sendall(raw)
    d, closed = b"", False
    while time.time() - t < 5:
        try:
            x = s.recv(65536)
        except socket.timeout:
            break
        except (ConnectionError, ssl.SSLError):
            closed = True
            break
        if not x:
            closed = True
            break
        d += x
    bodies = ",".join(m.decode() for m in re.findall(rb"\r\n\r\n(a /p\d|hello)", d))
    print("%s|%s|%d|%s|%.1f|%s" % (name, d.split(b"\r\n")[0].decode("latin1"), len(re.findall(rb"HTTP/1\.1 \d\d\d", d)),
                                   "closed" if closed else "open", time.time() - t, bodies))
EOP

before=$(up_stats "$A" requests)
python3 "$SL_TMP/raw.py" "$P" "$T/ca.pem" "CL and TE together" "TE and CL together" "two different Content-Length" \
	"invalid chunk size" "chunk data without CRLF" "bare LF line ending" "bare CR" "obs-fold" "space before colon" \
	"invalid header name" "TE not ending in chunked" >"$SL_TMP/smug"
[ "$(wc -l <"$SL_TMP/smug")" = 11 ]; ok $? "11 smuggling shapes sent over TLS"
while IFS='|' read -r name status n closed _; do
	[ "$status" = "HTTP/1.1 400 Bad Request" ] && [ "$n" = 1 ] && [ "$closed" = closed ]
	ok $? "over TLS, $name: 400, connection closed ($status, $n responses, $closed)"
done <"$SL_TMP/smug"
after=$(up_stats "$A" requests)
[ $((after - before)) = 1 ]; ok $? "nothing reached the upstream ($((after - before - 1)) requests)"

python3 "$SL_TMP/raw.py" "$P" "$T/ca.pem" "unfinished head" "stalled body" "pipelined" "byte per record" >"$SL_TMP/more"
sed 's/^/# /' "$SL_TMP/more"
IFS='|' read -r _ status n closed el _ < <(grep '^unfinished head|' "$SL_TMP/more")
[[ $status = "HTTP/1.1 408"* ]] && awk "BEGIN { exit !($el >= 0.9 && $el <= 2.5) }"
ok $? "over TLS, unfinished head: 408 after request_timeout ($status, ${el}s)"
IFS='|' read -r _ status n closed el _ < <(grep '^stalled body|' "$SL_TMP/more")
[[ $status = "HTTP/1.1 408"* ]] && awk "BEGIN { exit !($el >= 0.9 && $el <= 2.5) }"
ok $? "over TLS, stalled request body: 408 after request_timeout ($status, ${el}s)"
IFS='|' read -r _ status n closed el bodies < <(grep '^pipelined|' "$SL_TMP/more")
[ "$n" = 3 ] && [ "$bodies" = "a /p1,a /p2,a /p3" ]; ok $? "over TLS, three pipelined requests answered in order ($n: $bodies)"
IFS='|' read -r _ status n closed el bodies < <(grep '^byte per record|' "$SL_TMP/more")
[ "$status" = "HTTP/1.1 200 X" ] && [ "$bodies" = hello ]; ok $? "a chunked request sent one byte per TLS record ($status, $bodies)"

# limits, with curl
big=$(head -c 5000 /dev/zero | tr '\0' a)
code=$(tls_curl "$P" www.example.test "$T/ca.pem" -o /dev/null -w '%{http_code}' -H "X-Big: $big" /x)
[ "$code" = 431 ]; ok $? "over TLS, 5 kB header over a 4 kB limit: 431 ($code)"
code=$(tls_curl "$P" www.example.test "$T/ca.pem" -o /dev/null -w '%{http_code}' -H "X-Small: ${big:0:1000}" /x)
[ "$code" = 200 ]; ok $? "over TLS, 1 kB header fine ($code)"
head -c 200000 /dev/urandom >"$SL_TMP/body"
code=$(tls_curl "$P" www.example.test "$T/ca.pem" -o /dev/null -w '%{http_code}' --data-binary @"$SL_TMP/body" /echo)
[ "$code" = 413 ]; ok $? "over TLS, announced 200 kB body over 100 kB: 413 ($code)"
code=$(tls_curl "$P" www.example.test "$T/ca.pem" -o /dev/null -w '%{http_code}' -H "Transfer-Encoding: chunked" \
	--data-binary @"$SL_TMP/body" /echo)
[ "$code" = 413 ]; ok $? "over TLS, streamed chunked body over the limit: 413 ($code)"
head -c 90000 /dev/urandom >"$SL_TMP/ok"
tls_curl "$P" www.example.test "$T/ca.pem" -H "Transfer-Encoding: chunked" --data-binary @"$SL_TMP/ok" /echo >"$SL_TMP/echoed"
cmp -s "$SL_TMP/ok" "$SL_TMP/echoed"; ok $? "over TLS, a 90 kB chunked body echoed intact ($(wc -c <"$SL_TMP/echoed") bytes)"
out=$(tls_curl "$P" www.example.test "$T/ca.pem" -o /dev/null -w '%{http_code} %{size_download}' /size/5000000)
[ "$out" = "200 5000000" ]; ok $? "over TLS, a 5 MB response whole ($out)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
