#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Hostile upstream: one that never reads the request body. Whether the body sticks in the client's
# buffers (408), or all of it reaches sluiced and sticks in the upstream's (504 at response_timeout),
# every client gets an answer: no state without a timer.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/adv_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

ADV_RESPONSE_TIMEOUT=3s adv_start || exit 1   # request_timeout 2s

cat >"$SL_TMP/noread.py" <<'EOP'
import socket, sys, threading, time
port = int(sys.argv[1])
# body sizes around what the socket buffers hold (loopback autotuning: a few MB), one connection each
sizes = [1000000] + [3500000 + 100000 * i for i in range(21)]
out = {}
def one(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t0 = time.time()
    s.sendall(b"POST /noread HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % n)
    sent, chunk = 0, b"x" * 65536
    try:
        while sent < n:
            sent += s.send(chunk[:n - sent])
    except OSError:
        pass
    try:
        d = s.recv(4096).split(b"\r\n")[0].decode()
    except OSError as e:
        d = type(e).__name__
    out[n] = "%s in %.1f s (%s)" % (d or "close", time.time() - t0, "all sent" if sent == n else "%d sent" % sent)
for group in (sizes[:11], sizes[11:]):   # bounded: 11 connections (under 60 MB) at a time
    ts = [threading.Thread(target=one, args=(n,)) for n in group]
    [t.start() for t in ts]
    [t.join() for t in ts]
for n in sizes:
    print("%d|%s" % (n, out[n]))
EOP
bg python3 "$SL_TMP/noread.py" "$P" >"$SL_TMP/out"
N=$BG_PID
sleep 1
adv_good "upstreams that do not read"
wait "$N"
bad=$(grep -v -E '\|HTTP/1.1 (408 Request Timeout|504 Gateway Timeout) in [0-7]\.' "$SL_TMP/out")
[ -z "$bad" ]; ok $? "every client got a 408 or a 504 within 8 s"
[ -z "$bad" ] || diag "$bad"
grep -q '504 Gateway Timeout' "$SL_TMP/out"; ok $? "some bodies reached sluiced whole: 504 at response_timeout"
adv_good "after the upstreams that do not read"
adv_sigterm
done_testing
