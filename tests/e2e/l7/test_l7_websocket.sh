#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 Upgrade: a WebSocket handshake through sluiced becomes a byte tunnel that echoes both ways.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_proxy_one_upstream listener_key="access_log: { path: $SL_TMP/access.log }" || exit 1
python3 - "$P" >"$SL_TMP/out" 2>&1 <<'EOP'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, rest = buf.split(b"\r\n\r\n", 1)
print("status", head.split(b"\r\n")[0].decode())
print("upgrade", b"upgrade: websocket" in head.lower())
ok = True
for i in range(20):
    msg = bytes([i]) * (1000 * (i + 1)) + b"\x81\x05hello"
    s.sendall(msg)
    got = rest
    while len(got) < len(msg):
        got += s.recv(65536)
    rest = got[len(msg):]
    ok &= got[:len(msg)] == msg
print("echo", ok)
big = bytes(range(256)) * 8000
s.sendall(big)
got = b""
while len(got) < len(big):
    got += s.recv(65536)
print("big", got == big)
s.close()
EOP
sed 's/^/# /' "$SL_TMP/out"
grep -q "status HTTP/1.1 101" "$SL_TMP/out"; ok $? "101 Switching Protocols passed through"
grep -q "upgrade True" "$SL_TMP/out"; ok $? "Upgrade header kept on the 101"
grep -q "echo True" "$SL_TMP/out"; ok $? "20 messages echoed through the tunnel"
grep -q "big True" "$SL_TMP/out"; ok $? "2 MB echoed through the tunnel (bigger than the buffers)"
# a tunnel outlives a reload
python3 - "$P" "$SLUICED_PID" >"$SL_TMP/out2" 2>&1 <<'EOP'
import os, signal, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
os.kill(int(sys.argv[2]), signal.SIGHUP)
time.sleep(0.5)
s.sendall(b"after-reload")
got = buf.split(b"\r\n\r\n", 1)[1]
while len(got) < 12:
    got += s.recv(4096)
print("reload", got == b"after-reload")
EOP
sed 's/^/# /' "$SL_TMP/out2"
grep -q "reload True" "$SL_TMP/out2"; ok $? "an open tunnel keeps working across a reload"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/after")
[ "$code" = 200 ]; ok $? "normal requests still served"
wait_for 3 grep -q '"GET /ws HTTP/1.1" 101' "$SL_TMP/access.log"; ok $? "tunnel logged with status 101"
done_testing
