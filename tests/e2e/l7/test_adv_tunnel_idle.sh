#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An upgraded tunnel has a timer too: client_idle of silence both ways closes it (traffic keeps it open).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/adv_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

adv_start || exit 1   # client_idle: 5s

cat >"$SL_TMP/ws.py" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=12)
s.sendall(b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n")
got = b""
while b"\r\n\r\n" not in got:
    got += s.recv(4096)
ok = got.startswith(b"HTTP/1.1 101")
t0 = time.time()
for i in range(4):           # 6 s of traffic every 1.5 s: longer than client_idle, never idle that long
    time.sleep(1.5)
    s.sendall(b"ping%d" % i)
    ok = ok and s.recv(4096) == b"ping%d" % i
busy = time.time() - t0
t1 = time.time()
try:
    end = s.recv(4096)       # then silence: the proxy closes after client_idle
except socket.timeout:
    end = b"timeout"
print("%s|%.1f|%.1f|%r" % (ok, busy, time.time() - t1, end))
EOP
bg python3 "$SL_TMP/ws.py" "$P" >"$SL_TMP/ws.out"
WS=$BG_PID
sleep 1
adv_good "a tunnel open"
wait "$WS"
IFS='|' read -r echoed busy idle end <"$SL_TMP/ws.out"
[ "$echoed" = True ]; ok $? "101, and echoes through the tunnel for ${busy} s (longer than client_idle)"
[ "$end" = "b''" ] && awk -v t="$idle" 'BEGIN { exit !(t >= 4 && t < 8) }'; ok $? "a silent tunnel is closed after client_idle (${idle} s, $end)"
adv_sigterm
done_testing
