#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 bodies streamed both ways, bigger than the buffers: Content-Length, chunked, close-delimited, Expect: 100-continue.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_proxy_one_upstream || exit 1
B=http://127.0.0.1:$P
head -c 8000000 /dev/urandom >"$SL_TMP/big"

n=$(curl -s -m 20 "$B/size/20000000" | wc -c); [ "$n" = 20000000 ]; ok $? "20 MB Content-Length response ($n)"
n=$(curl -s -m 20 "$B/chunked/5000000" | wc -c); [ "$n" = 5000000 ]; ok $? "5 MB chunked response ($n)"
n=$(curl -s -m 20 "$B/close/5000000" | wc -c); [ "$n" = 5000000 ]; ok $? "5 MB close-delimited response re-framed ($n)"
te=$(curl -s -m 20 -D - -o /dev/null "$B/close/1000" | tr -d '\r' | grep -i '^transfer-encoding')
[ "$te" = "Transfer-Encoding: chunked" ]; ok $? "close-delimited body sent chunked to an HTTP/1.1 client"
curl -s -m 20 -H "Expect:" --data-binary @"$SL_TMP/big" "$B/echo" | cmp -s - "$SL_TMP/big"; ok $? "8 MB Content-Length upload echoed"
curl -s -m 20 -H "Expect:" -H "Transfer-Encoding: chunked" --data-binary @"$SL_TMP/big" "$B/echo" | cmp -s - "$SL_TMP/big"
ok $? "8 MB chunked upload echoed"
curl -s -m 20 -H "Expect: 100-continue" --data-binary @"$SL_TMP/big" "$B/echo" | cmp -s - "$SL_TMP/big"
ok $? "Expect: 100-continue upload (interim 100 passed through)"
code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' --http1.0 "$B/chunked/100000")
n=$(curl -s -m 20 --http1.0 "$B/chunked/100000" | wc -c)
[ "$code" = 200 ] && [ "$n" = 100000 ]; ok $? "HTTP/1.0 client gets a chunked upstream body close-delimited"
# The upstream answers Expect with 100 Continue; an HTTP/1.0 client must get only the final response.
resp=$(python3 - "${B#http://}" <<'EOP'
import socket, sys
host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)), timeout=5)
s.sendall(b"POST /echo HTTP/1.0\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.decode("latin1").split(" ", 2)[:2] == ["HTTP/1.1", "200"], data.count(b" 100 "), data.endswith(b"hello"))
EOP
)
[ "$resp" = "True 0 True" ]; ok $? "no interim 100 relayed to an HTTP/1.0 client ($resp)"
# several in a row on one client connection, alternating sizes
out=$(curl -s -m 20 -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -w '%{size_download} ' "$B/size/300000" "$B/chunked/200000" "$B/size/5" "$B/close/70000" "$B/size/1")
[ "$out" = "300000 200000 5 70000 1 " ]; ok $? "mixed bodies on one keep-alive connection ($out)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
