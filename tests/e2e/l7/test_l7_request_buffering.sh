#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 request buffering: a slowly uploaded body up to request_buffering is gathered before the request goes
# upstream (the upstream sees nothing while it trickles in); a larger one streams; `off` streams; bad sizes fail -t.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1; A=$UP_PORT
Q=$(free_port)
l7_proxy_start name=buf <<EOC || exit 1
      request_buffering: 64KiB
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: stream
      listen: 127.0.0.1:$Q
      mode: reverse
      request_buffering: off
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$A } ] }
EOC

# upload PORT SIZE CHUNKED: sends SIZE bytes in 20 pieces over 2 s and prints
# "mid=N end=N ok=0|1 secs=S": N = requests the upstream saw from the upload (its /stats,
# asked directly, minus the /stats calls) halfway through the body, and after the response.
upload() {
	python3 - "$A" "$1" "$2" "$3" <<'EOP'
import json, socket, sys, time
up, port, size, chunked = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
def stats():
    s = socket.create_connection(("127.0.0.1", up), timeout=5)
    s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    d = b""
    while True:
        b = s.recv(65536)
        if not b: break
        d += b
    return json.loads(d.split(b"\r\n\r\n", 1)[1])["requests"]
body = bytes((i * 7) % 251 for i in range(size))
r0 = stats()
c = socket.create_connection(("127.0.0.1", port), timeout=10)
head = "POST /echo HTTP/1.1\r\nHost: x\r\n" + ("Transfer-Encoding: chunked\r\n" if chunked else "Content-Length: %d\r\n" % size) + "\r\n"
c.sendall(head.encode())
t0, piece, mid = time.time(), (size + 19) // 20, None
for i in range(20):
    p = body[i * piece:(i + 1) * piece]
    if p:
        c.sendall(b"%x\r\n%s\r\n" % (len(p), p) if chunked else p)
    if i == 9:
        time.sleep(0.3)   # the proxy has had every byte so far for a while
        mid = stats() - r0 - 1
    time.sleep(0.1)
if chunked:
    c.sendall(b"0\r\n\r\n")
resp = b""
while b"\r\n\r\n" not in resp:
    resp += c.recv(65536)
h, rest = resp.split(b"\r\n\r\n", 1)
n = int([l.split(b":")[1] for l in h.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
while len(rest) < n:
    rest += c.recv(65536)
secs = time.time() - t0
end = stats() - r0 - 2
print("mid=%d end=%d ok=%d secs=%.1f" % (mid, end, int(h.startswith(b"HTTP/1.1 200") and rest == body), secs))
EOP
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

r=$(upload "$P" 20000 0); diag "20000 B, Content-Length, buffered: $r"
[ "$(field mid "$r")" = 0 ] && [ "$(field end "$r")" = 1 ] && [ "$(field ok "$r")" = 1 ]
ok $? "a slow 20 kB upload reaches the upstream only once complete, and is echoed whole ($r)"
s=$(field secs "$r"); [ "${s%.*}" -lt 5 ]; ok $? "within a bound (${s}s for a 2 s trickle)"
r=$(upload "$P" 30000 1); diag "30000 B, chunked, buffered: $r"
[ "$(field mid "$r")" = 0 ] && [ "$(field end "$r")" = 1 ] && [ "$(field ok "$r")" = 1 ]
ok $? "a slow chunked 30 kB upload too ($r)"
r=$(upload "$P" 300000 0); diag "300000 B, Content-Length, over the buffer: $r"
[ "$(field mid "$r")" = 1 ] && [ "$(field ok "$r")" = 1 ]; ok $? "a body announced over 64KiB streams as it arrives ($r)"
r=$(upload "$P" 300000 1); diag "300000 B, chunked, over the buffer: $r"
[ "$(field mid "$r")" = 1 ] && [ "$(field ok "$r")" = 1 ]; ok $? "a chunked body that outgrows 64KiB streams from then on ($r)"
r=$(upload "$Q" 20000 0); diag "20000 B, request_buffering: off: $r"
[ "$(field mid "$r")" = 1 ] && [ "$(field ok "$r")" = 1 ]; ok $? "request_buffering: off streams a small body too ($r)"

# keep-alive: buffered POSTs back to back on one connection, each echoed (the connection and pool are reused)
r=$(python3 - "$P" <<'EOP'
import http.client, sys
c, good = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10), 0
for i in range(200):
    body = (b"%d-" % i) * (1 + i * 37 % 3000)
    hdr = {"Transfer-Encoding": "chunked"} if i % 2 else {}
    c.request("POST", "/echo", body=iter([body]) if i % 2 else body, headers=hdr, encode_chunked=bool(i % 2))
    r = c.getresponse()
    good += r.status == 200 and r.read() == body
print(good)
EOP
)
[ "$r" = 200 ]; ok $? "200 buffered POSTs on one keep-alive connection, Content-Length and chunked, echoed ($r)"

head -c 3000000 /dev/urandom >"$SL_TMP/big"
curl -s -m 20 -H "Expect:" --data-binary @"$SL_TMP/big" "http://127.0.0.1:$P/echo" | cmp -s - "$SL_TMP/big"; ok $? "3 MB upload echoed"
head -c 50000 /dev/urandom >"$SL_TMP/small"
curl -s -m 20 -H "Transfer-Encoding: chunked" --data-binary @"$SL_TMP/small" "http://127.0.0.1:$P/echo" | cmp -s - "$SL_TMP/small"
ok $? "small chunked upload echoed (buffered)"
t0=$(date +%s%N)
curl -s -m 20 -H "Expect: 100-continue" --data-binary @"$SL_TMP/small" "http://127.0.0.1:$P/echo" | cmp -s - "$SL_TMP/small"
rc=$?; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 0 ] && [ $ms -lt 900 ]; ok $? "Expect: 100-continue is not buffered: the origin's 100 arrives at once (${ms} ms)"

for bad in 10 lots 1GiB; do
	sed "s/request_buffering: 64KiB/request_buffering: $bad/" "$SL_TMP/c.yaml" >"$SL_TMP/bad.yaml"
	out=$("$SL_BUILD/sluiced" -t -c "$SL_TMP/bad.yaml" 2>&1); rc=$?
	[ $rc != 0 ] && grep -q "bad.yaml:8: .*request_buffering" <<<"$out"; ok $? "sluiced -t rejects request_buffering: $bad ($out)"
done
[ $_tap_fail -gt 0 ] && tail -n 20 "$SL_TMP/sluiced.log" | sed "s/^/# /"
done_testing
