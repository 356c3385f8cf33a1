#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 ambiguous framing: every request-smuggling shape gets 400 and never reaches the upstream.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_proxy_one_upstream || exit 1
before=$(up_stats "$A" requests)
python3 - "$P" >"$SL_TMP/out" <<'EOP'
import socket, sys
cases = [
    ("CL and TE together", b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"),
    ("TE and CL together", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\n"),
    ("two different Content-Length", b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!"),
    ("invalid chunk size", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
    ("chunk data without CRLF", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY0\r\n\r\n"),
    ("bare LF line ending", b"GET / HTTP/1.1\nHost: h\n\n"),
    ("bare CR", b"GET / HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n"),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n"),
    ("space before colon", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
    ("invalid header name", b"GET / HTTP/1.1\r\nHost: h\r\nX@Y: 1\r\n\r\n"),
    ("TE not ending in chunked", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
]
for name, raw in cases:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(raw)
    d = b""
    try:
        while True:
            x = s.recv(4096)
            if not x:
                break
            d += x
    except socket.timeout:
        pass
    print("%s|%s|%d" % (name, d.split(b"\r\n")[0].decode(), d.count(b"HTTP/1.1 ")))
EOP
while IFS='|' read -r name status n; do
	[ "$status" = "HTTP/1.1 400 Bad Request" ] && [ "$n" = 1 ]; ok $? "$name: 400, connection closed ($status, $n responses)"
done <"$SL_TMP/out"
after=$(up_stats "$A" requests)
[ $((after - before)) = 1 ]; ok $? "nothing reached the upstream ($((after - before - 1)) requests)"
done_testing
