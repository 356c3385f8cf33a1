#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 timeouts: upstream response (504), upstream connect (504), client request head (408), keep-alive idle (close), client stops reading (close).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1; A=$UP_PORT
# A listener whose accept queue is full and never drained: further SYNs are dropped, so connect hangs.
BH=$(free_port)
bg python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(0)
held = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError: pass
    held.append(c)
time.sleep(120)' "$BH"
sleep 0.5
l7_proxy_start <<EOC || exit 1
      request_timeout: 1s
      client_idle: 1500ms
      routes:
        - { match: { path_prefix: /hang }, upstream: hang }
        - { match: { path_prefix: / }, upstream: app }
  upstreams:
    - { name: app, response_timeout: 1s, servers: [ { address: 127.0.0.1:$A } ] }
    - { name: hang, connect_timeout: 700ms, retries: 0, servers: [ { address: 127.0.0.1:$BH } ] }
EOC
U=http://127.0.0.1:$P

code=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}' "$U/delay/3000")
case "$code" in 504\ 1.*|504\ 0.9*) r=0 ;; *) r=1 ;; esac; ok $r "slow upstream: 504 after response_timeout ($code)"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$U/delay/100")
[ "$code" = 200 ]; ok $? "a response inside the timeout is served"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}' "$U/hang/x")
case "$code" in 504\ 0.[6-9]*|504\ 1.*) r=0 ;; *) r=1 ;; esac; ok $r "connect that never completes: 504 after connect_timeout ($code)"

python3 - "$P" >"$SL_TMP/slow" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
t = time.time()
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")   # head never finished
d = s.recv(4096)
print(d.split(b"\r\n")[0].decode(), round(time.time() - t, 1))
EOP
read -r _ st el <"$SL_TMP/slow"
[ "$st" = 408 ] && awk "BEGIN{exit !($el >= 0.9 && $el <= 2.5)}"; ok $? "unfinished head: 408 after request_timeout ($(cat "$SL_TMP/slow"))"

python3 - "$P" >"$SL_TMP/body" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
t = time.time()
s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")   # body stalls
d = s.recv(4096)
print(d.split(b"\r\n")[0].decode(), round(time.time() - t, 1))
EOP
read -r _ st el <"$SL_TMP/body"
[ "$st" = 408 ] && awk "BEGIN{exit !($el >= 0.9 && $el <= 2.5)}"; ok $? "stalled request body: 408 after request_timeout ($(cat "$SL_TMP/body"))"

python3 - "$P" >"$SL_TMP/idle" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
d = s.recv(4096)
t = time.time()
d = s.recv(4096)   # keep-alive: nothing more comes, the proxy closes
print("closed" if d == b"" else "data", round(time.time() - t, 1))
EOP
read -r what el <"$SL_TMP/idle"
[ "$what" = closed ] && awk "BEGIN{exit !($el >= 1.2 && $el <= 3)}"; ok $? "idle keep-alive connection closed after client_idle ($(cat "$SL_TMP/idle"))"
python3 - "$P" >"$SL_TMP/silent" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
t = time.time()
d = s.recv(4096)   # a connection that never sends anything
print("closed" if d == b"" else "data", round(time.time() - t, 1))
EOP
read -r what el <"$SL_TMP/silent"
[ "$what" = closed ]; ok $? "silent new connection closed without an answer ($(cat "$SL_TMP/silent"))"
# A client that stops reading a big response is closed after client_idle without progress;
# one that reads slowly (but reads) is not.
python3 - "$P" >"$SL_TMP/stall" <<'EOP'
import socket, sys, time
def get(pace):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.settimeout(10)
    s.sendall(b"GET /size/20000000 HTTP/1.1\r\nHost: x\r\n\r\n")
    got, t = 0, time.time()
    while time.time() - t < 4:          # 4 s > client_idle: reading 16 KiB per 0.3 s, or nothing
        if pace:
            got += len(s.recv(16384))
        time.sleep(0.3)
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            got += len(d)
            if got > 20000000:
                break
    except OSError:
        pass
    return got
print(get(False) < 20000000, get(True) > 20000000)
EOP
[ "$(cat "$SL_TMP/stall")" = "True True" ] && grep -q 'took none of its response' "$SL_TMP/sluiced.log"
ok $? "a client that stops reading is closed after client_idle, a slow reader is not ($(cat "$SL_TMP/stall"))"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
