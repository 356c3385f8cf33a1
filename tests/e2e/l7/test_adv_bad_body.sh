#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Hostile upstream bodies: a bad chunk size is a 502 before the head went out and a clean cut after;
# a 304 that sends a body never passes those bytes on, nor reuses the connection that carried them.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/adv_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

adv_start || exit 1

# 1. valid head + bad chunk size in one write: the head never left, so a clean 502
adv_bg_raw "$SL_TMP/r1" 'GET /badchunk HTTP/1.1\r\nHost: h\r\n\r\n' 5
sleep 0.3
adv_good "bad chunk size in progress"
wait "$RAW_PID"
r=$(cat "$SL_TMP/r1")
[ "$(adv_field "$r" 1)" = "HTTP/1.1 502" ] && [ "$(adv_field "$r" 3)" = closed ]; ok $? "bad chunk size with the head: 502 and close ($r)"

# 2. head and a chunk sent, then a bad chunk size: the client has the head, so the connection is cut
#    after what was sent (no second response, no reset)
python3 - "$P" >"$SL_TMP/r2" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /latechunk HTTP/1.1\r\nHost: h\r\n\r\n")
got, how, t0 = b"", "timeout", time.time()
while time.time() - t0 < 5:
    try:
        d = s.recv(65536)
    except ConnectionResetError:
        how = "reset"; break
    except socket.timeout:
        break
    if not d:
        how = "fin"; break
    got += d
print("%d|%s|%s|%.2f" % (got.count(b"HTTP/1."), b"hello" in got, how, time.time() - t0))
EOP
r=$(cat "$SL_TMP/r2")
[ "$r" = "${r%%|*}|True|fin|${r##*|}" ] && [ "${r%%|*}" = 1 ]; ok $? "bad chunk size after the head went out: one response, its data, then FIN ($r)"

# 3. 304 with a body, then a second request on the same client connection: the excess bytes never reach it
python3 - "$P" >"$SL_TMP/r3" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
def one(path):
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: h\r\n\r\n")
    got, t0 = b"", time.time()
    while time.time() - t0 < 2:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        got += d
        if b"\r\n\r\n" in got and (got.startswith(b"HTTP/1.1 304") or got.endswith(b"ok\n")):
            time.sleep(0.3)   # anything extra would arrive now
            s.setblocking(False)
            try:
                got += s.recv(65536)
            except BlockingIOError:
                pass
            s.setblocking(True); s.settimeout(5)
            break
    return got
a, b = one(b"/304body"), one(b"/ok")
print("%s|%s|%s" % (a.split(b"\r\n")[0].decode(), b"0123456789" in a + b, b.split(b"\r\n")[0].decode()))
EOP
r=$(cat "$SL_TMP/r3")
[ "$r" = "HTTP/1.1 304 Not Modified|False|HTTP/1.1 200 OK" ]; ok $? "304 with a body: body dropped, next response clean ($r)"
# the 304's connection carried junk: the next request to the upstream must come on a new one
r=$(curl -s -m 2 "http://127.0.0.1:$P/ok")
[ "$r" = ok ]; ok $? "the next request gets the upstream's answer ($r)"

adv_good "after the bad bodies"
adv_sigterm
done_testing
