#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Trailers of chunked bodies pass both ways (RFC 9112 7.1.2), over HTTP/1.1 and HTTP/2 (h2c): a response's
# trailers reach the client (an h2 client as a HEADERS frame after the DATA), a request's reach the upstream;
# hop-by-hop and framing fields do not.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

U=$(free_port)
bg bash -c "exec python3 '$SL_ROOT/tests/e2e/lib/trailer_upstream.py' $U >>'$SL_TMP/up.log' 2>&1"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$U" || { diag "upstream did not start"; exit 1; }
l7_proxy_start <<EOC || exit 1
      http2: true
      routes: [ { match: { path_prefix: / }, upstream: t } ]
  upstreams:
    - { name: t, servers: [ { address: 127.0.0.1:$U } ] }
EOC

raw() {
	python3 - "$P" "$1" <<'EOP'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin1"))
data = b""
while not data.endswith(b"\r\n\r\n") or b"\r\n0\r\n" not in data:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.decode("latin1").replace("\r\n", "|").replace("\n", "|"))
EOP
}

out=$(raw 'GET /r HTTP/1.1\r\nHost: x\r\n\r\n')
[[ $out = *"|0|grpc-status: 0|x-checksum: abc||" ]]; ok $? "HTTP/1.1: the response's trailers reach the client ($out)"
out=$(raw 'POST /q HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nx-req-sum: 42\r\nconnection: close\r\n\r\n')
[[ $out = *"got 3 trailers=x-req-sum: 42|"* ]]; ok $? "HTTP/1.1: the request's trailers reach the upstream, hop-by-hop ones do not ($out)"
out=$(raw 'POST /q HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')
[[ $out = *"got 3 trailers=|"* ]]; ok $? "HTTP/1.1: a chunked body without trailers ends as before ($out)"

if command -v nghttp >/dev/null; then
	nghttp -v "http://127.0.0.1:$P/r" >"$SL_TMP/h2.out" 2>&1
	tr=$(grep -a -A3 'got 0' "$SL_TMP/h2.out" | grep -aE 'grpc-status|x-checksum' | sed 's/.*) //' | tr '\n' ,)
	[ "$tr" = "grpc-status: 0,x-checksum: abc," ]; ok $? "h2: the response's trailers come as a HEADERS frame after the DATA ($tr)"
	grep -a 'recv HEADERS frame' "$SL_TMP/h2.out" | tail -1 | grep -q 'flags=0x05'; ok $? "h2: that HEADERS frame ends the stream"
else
	skip "nghttp not installed (nghttp2-client)" 2
fi
# an h2 request with trailers: its body has no content-length, so it goes upstream chunked, trailers last
out=$(python3 - "$P" <<'EOP'
import socket, struct, sys
def frame(t, f, sid, p=b""):
    return struct.pack(">I", len(p))[1:] + bytes([t, f]) + struct.pack(">I", sid) + p
def lit(n, v):   # literal header field without indexing, new name, no Huffman
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
hdrs = lit(b":method", b"POST") + lit(b":scheme", b"http") + lit(b":path", b"/q") + lit(b":authority", b"x")
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0) + frame(1, 4, 1, hdrs) + frame(0, 0, 1, b"hello")
          + frame(1, 5, 1, lit(b"x-req-sum", b"42")))
data = b""
while b"got " not in data:
    d = s.recv(65536)
    if not d:
        break
    data += d
i = data.find(b"got ")
print(data[i:data.find(b"\n", i)].decode())
EOP
)
[ "$out" = "got 5 trailers=x-req-sum: 42" ]; ok $? "h2: the request's trailers reach the upstream ($out)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
