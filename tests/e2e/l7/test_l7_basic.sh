#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 proxy basics: GET through sluiced, forwarding headers added, hop-by-hop removed, HEAD, 404 without a route.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1
l7_proxy_start workers=2 <<EOC || exit 1
      routes:
        - match: { host: only.example }
          upstream: app
        - match: { path_prefix: /api }
          upstream: app
  upstreams:
    - name: app
      via: true
      servers:
        - { address: 127.0.0.1:$UP_PORT }
EOC
B=http://127.0.0.1:$P

body=$(curl -s -m 5 "$B/api/x")
[ "$body" = "a /api/x" ]; ok $? "GET proxied to the upstream"
curl -s -m 5 -H "Connection: X-Drop" -H "X-Drop: 1" -H "Keep-Alive: 5" -H "TE: trailers" \
	-H "Proxy-Authorization: x" -H "X-Forwarded-For: 203.0.113.1" -H "X-Keep: yes" "$B/api/headers" >"$SL_TMP/h"
grep -qi "^X-Drop" "$SL_TMP/h"; [ $? -ne 0 ]; ok $? "header named by Connection removed"
grep -qiE "^(Keep-Alive|TE|Proxy-Authorization):" "$SL_TMP/h"; [ $? -ne 0 ]; ok $? "Keep-Alive, TE, Proxy-* removed"
grep -q "^X-Keep: yes" "$SL_TMP/h"; ok $? "end-to-end header kept"
grep -q "^X-Forwarded-For: 203.0.113.1, 127.0.0.1" "$SL_TMP/h"; ok $? "X-Forwarded-For appended"
grep -q "^X-Forwarded-Proto: http" "$SL_TMP/h"; ok $? "X-Forwarded-Proto"
grep -q "^Forwarded: for=127.0.0.1;proto=http" "$SL_TMP/h"; ok $? "Forwarded"
grep -q "^X-Request-Id: [0-9a-f]\{16\}" "$SL_TMP/h"; ok $? "X-Request-Id generated"
grep -q "^Via: 1.1 sluice" "$SL_TMP/h"; ok $? "Via when the upstream says so"
grep -q "^Host: 127.0.0.1:$P" "$SL_TMP/h"; ok $? "Host preserved"
rid=$(curl -s -m 5 -H "X-Request-Id: keep-me" "$B/api/headers" | grep -c "^X-Request-Id: keep-me")
[ "$rid" = 1 ]; ok $? "client X-Request-Id kept, not duplicated"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{size_download}' -I "$B/api/size/1234")
hl=$(curl -s -m 5 -I "$B/api/size/1234" | tr -d '\r' | grep -i '^content-length')
[ "$code" = "200 0" ] && [ "$hl" = "Content-Length: 1234" ]; ok $? "HEAD: no body, Content-Length kept ($code, $hl)"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$B/nothing")
[ "$code" = 404 ]; ok $? "no route matches: 404"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Host: ONLY.example:80" "$B/x")
[ "$code" = 200 ]; ok $? "host route (case-insensitive, port stripped)"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$B/api/status/503")
[ "$code" = 503 ]; ok $? "upstream status passed through"
out=$(curl -s -m 5 "$B/api/1" "$B/api/2" "$B/api/3" | tr '\n' ' ')
[ "$out" = "a /api/1 a /api/2 a /api/3 " ]; ok $? "keep-alive client: three requests on one connection"
printf 'GET /api/p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /api/p2 HTTP/1.1\r\nHost: x\r\n\r\nGET /api/p3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$SL_TMP/pipe"
python3 - "$P" "$SL_TMP/pipe" >"$SL_TMP/pout" <<'EOP'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(open(sys.argv[2], "rb").read())
d = b""
while True:
    x = s.recv(65536)
    if not x:
        break
    d += x
sys.stdout.write(d.decode("latin1"))
EOP
[ "$(grep -c '^a /api/p[123]' "$SL_TMP/pout")" = 3 ] && grep -q "a /api/p1" "$SL_TMP/pout"; ok $? "pipelined requests answered in order"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
