#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Hostile clients: a head that announces a body and never sends it (Content-Length, chunked, or
# Expect: 100-continue) is a 408 at request_timeout, and cannot fill max_connections for longer.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/adv_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

ADV_MAXCONN=8 adv_start || exit 1   # request_timeout: 2s, response_timeout: 30s, client_idle: 5s

adv_bg_raw "$SL_TMP/r1" 'POST /ok HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n' 8
R1=$RAW_PID
adv_bg_raw "$SL_TMP/r2" 'POST /ok HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n' 8
R2=$RAW_PID
adv_bg_raw "$SL_TMP/r3" 'POST /expect HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n' 8
R3=$RAW_PID
adv_bg_raw "$SL_TMP/r4" 'POST /ok HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc' 8
R4=$RAW_PID
sleep 0.5
adv_good "bodies owed"
wait "$R1" "$R2" "$R3" "$R4"
for i in 1 2 3 4; do
	r=$(cat "$SL_TMP/r$i")
	st=$(adv_field "$r" 1); st=${st##*,}
	t=$(adv_field "$r" 2)
	[ "$st" = "HTTP/1.1 408" ] && [ "$(adv_field "$r" 3)" = closed ] && awk -v t="$t" 'BEGIN { exit !(t >= 1.5 && t < 5) }'
	ok $? "case $i: 408 at request_timeout, then close ($r)"
done
r=$(cat "$SL_TMP/r3")
[ "$(adv_field "$r" 1)" = "HTTP/1.1 100,HTTP/1.1 408" ]; ok $? "Expect: 100-continue: the 100 was relayed before the 408 ($r)"
adv_good "after the owed bodies"

# 8 such heads fill max_connections: 8; request_timeout frees the listener again
cat >"$SL_TMP/fill.py" <<'EOP'
import socket, sys, time
ss = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=8) for _ in range(8)]
for s in ss:
    s.sendall(b"POST /ok HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n")
open(sys.argv[2] + ".ready", "w").close()
out = []
for s in ss:
    try:
        out.append(s.recv(4096).split(b"\r\n")[0].decode())
    except socket.timeout:
        out.append("timeout")
open(sys.argv[2], "w").write(",".join(out) + "\n")
EOP
bg python3 "$SL_TMP/fill.py" "$P" "$SL_TMP/fill"
FILL=$BG_PID
wait_for 5 test -e "$SL_TMP/fill.ready"
sleep 0.3
code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$P/ok")
[ "$code" = 503 ]; ok $? "8 owed bodies fill max_connections: 8 ($code)"
sleep 2.5   # the 8 still hold their sockets (8 s): only request_timeout can free the slots
code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$P/ok")
[ "$code" = 200 ]; ok $? "request_timeout freed the listener ($code)"
wait "$FILL"
r=$(cat "$SL_TMP/fill")
[ "$r" = "$(printf 'HTTP/1.1 408 Request Timeout,%.0s' 1 2 3 4 5 6 7 8 | sed 's/,$//')" ]; ok $? "each of the 8 got a 408 ($r)"
adv_sigterm
done_testing
