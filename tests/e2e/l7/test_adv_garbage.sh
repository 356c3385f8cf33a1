#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Garbage on every parsed input path: noise as a request head or body is a 400, noise as a response
# head or body a 502 (both before the response timeout), and the worker keeps serving.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/adv_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

adv_start || exit 1

cat >"$SL_TMP/garbage.py" <<'EOP'
import random, socket, sys, time
port = int(sys.argv[1])
def ask(raw, limit=4):
    s = socket.create_connection(("127.0.0.1", port), timeout=limit)
    t0 = time.time()
    try:
        s.sendall(raw)
    except ConnectionError:
        pass
    d = b""
    try:
        while True:
            x = s.recv(65536)
            if not x:
                break
            d += x
    except (socket.timeout, ConnectionError):
        pass
    return d.split(b"\r\n")[0].decode("latin1"), time.time() - t0
rnd = random.Random(17)
out = {"head": [], "body": [], "chunked": [], "upstream": []}
for i in range(40):   # bounded: 40 rounds of 4 requests, each at most 4 s
    noise = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
    out["head"].append(ask(noise + b"\r\n\r\n"))
    out["body"].append(ask(b"POST /ok HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + noise + b"\r\n\r\n"))
    out["chunked"].append(ask(b"POST /ok HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n" + noise + b"\r\n0\r\n\r\n"))
    out["upstream"].append(ask(b"GET /garbage/%d HTTP/1.1\r\nHost: h\r\n\r\n" % (i + 1)))
for k, v in out.items():
    sts = sorted(set(st for st, t in v))
    print("%s|%s|%.1f" % (k, ",".join(sts), max(t for st, t in v)))
EOP
bg python3 "$SL_TMP/garbage.py" "$P" >"$SL_TMP/out"
G=$BG_PID
sleep 1
adv_good "garbage in progress"
wait "$G"
diag "$(cat "$SL_TMP/out")"
while IFS='|' read -r kind sts worst; do
	case $kind in
	head) want="HTTP/1.1 400 Bad Request" ;;
	body) want="HTTP/1.1 400 Bad Request" ;;
	chunked) want="HTTP/1.1 400 Bad Request" ;;
	upstream) want="HTTP/1.1 502 Bad Gateway" ;;
	esac
	# the noise may happen to be a valid chunk size or a request: those wait for more (408 at request_timeout)
	[ "${sts//HTTP\/1.1 408 Request Timeout,/}" = "$want" ] || [ "$sts" = "$want" ]
	ok $? "garbage as $kind: $want, none left unanswered ($sts, slowest ${worst} s)"
	awk -v t="$worst" 'BEGIN { exit !(t < 3.5) }'; ok $? "garbage as $kind: every answer within request_timeout ($worst s)"
done <"$SL_TMP/out"
adv_good "after the garbage"
adv_sigterm
done_testing
