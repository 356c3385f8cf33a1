#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 limits against hostile clients: header size (431), body size (413, announced or streamed), max connections (503).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_proxy_one_upstream listener_key="max_header_bytes: 4096" listener_key="max_body_bytes: 100000" \
	listener_key="max_connections: 5" || exit 1
U=http://127.0.0.1:$P
big=$(head -c 5000 /dev/zero | tr '\0' a)
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$U/x")
[ "$code" = 431 ]; ok $? "5 kB header over a 4 kB limit: 431 ($code)"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "X-Small: ${big:0:1000}" "$U/x")
[ "$code" = 200 ]; ok $? "1 kB header fine ($code)"
head -c 200000 /dev/zero >"$SL_TMP/body"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' --data-binary @"$SL_TMP/body" "$U/echo")
[ "$code" = 413 ]; ok $? "announced 200 kB body over 100 kB: 413 ($code)"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Transfer-Encoding: chunked" --data-binary @"$SL_TMP/body" "$U/echo")
[ "$code" = 413 ]; ok $? "streamed chunked body over the limit: 413 ($code)"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' --data-binary "@$SL_TMP/body" -H "Content-Length: 50000" "$U/echo" 2>/dev/null)
head -c 50000 /dev/zero >"$SL_TMP/ok"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' --data-binary @"$SL_TMP/ok" "$U/echo")
[ "$code" = 200 ]; ok $? "50 kB body fine ($code)"

python3 - "$P" >"$SL_TMP/conns" <<'EOP'
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) for _ in range(5)]
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode())
for h in held: h.close()
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode())
EOP
sed 's/^/# /' "$SL_TMP/conns"
[ "$(sed -n 1p "$SL_TMP/conns")" = "HTTP/1.1 503 Service Unavailable" ]; ok $? "6th connection over max_connections 5: 503"
[ "$(sed -n 2p "$SL_TMP/conns" | cut -d' ' -f2)" = 200 ]; ok $? "served again once connections closed"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
