#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Binary upgrades under keep-alive load, with clients that retry nothing: the draining process
# closes a keep-alive connection only after telling its client (Connection: close on a response),
# never an idle one under a request that may be on its way, so no request fails.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
need_root

UPGRADES=3
cp "$SL_BUILD/sluiced" "$SL_TMP/sluiced-new"
l7_proxy_one_upstream upstream=one || exit 1
CUR=$SLUICED_PID

# 8 keep-alive clients, requests back to back, no retry of any kind: a close the client was
# not told about (RemoteDisconnected, reset, broken pipe, empty reply) is a failure.
# A response with Connection: close ends the connection; the next request opens a new one.
# Bounded: until the stop file, at most 40 s and 5000 requests per client.
python3 - "$P" "$SL_TMP/stop" 8 >"$SL_TMP/load" 2>&1 <<'EOP' &
import http.client, os, sys, threading, time
port, stop, conc = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
res, lock, deadline = {"ok": 0, "fail": 0, "closes": 0}, threading.Lock(), time.time() + 40
errs = []
def run(n):
    c = None
    for i in range(n):
        if time.time() > deadline or os.path.exists(stop):
            break
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            c.request("GET", "/k%d" % i)
            r = c.getresponse()
            body = r.read()
            ok = r.status == 200 and body.strip() == b"a /k%d" % i
            with lock:
                res["ok" if ok else "fail"] += 1
                if not ok: errs.append("status %d" % r.status)
            if r.getheader("Connection", "").lower() == "close":
                with lock: res["closes"] += 1
                c.close(); c = None
        except Exception as e:
            c.close(); c = None
            with lock:
                res["fail"] += 1; errs.append(type(e).__name__)
ts = [threading.Thread(target=run, args=(5000,)) for _ in range(conc)]
[t.start() for t in ts]; [t.join() for t in ts]
print("ok=%d fail=%d closes=%d errors=%s" % (res["ok"], res["fail"], res["closes"], sorted(set(errs))))
EOP
LOAD=$!
_sl_pids+=("$LOAD")

sleep 0.5
for u in $(seq 1 $UPGRADES); do
	: >"$SL_TMP/new$u.log"
	bg bash -c "exec '$SL_TMP/sluiced-new' -c '$SL_TMP/c.yaml' >>'$SL_TMP/new$u.log' 2>&1"
	NEW=$BG_PID
	wait_for 5 grep -q 'started with' "$SL_TMP/new$u.log" || diag "upgrade $u: the new process did not start"
	sleep 0.3
	kill -TERM "$CUR"
	wait_for 10 bash -c "! kill -0 $CUR"; ok $? "upgrade $u: the old process drains and exits"
	CUR=$NEW
	sleep 0.3
done
touch "$SL_TMP/stop"
wait "$LOAD"
diag "$(cat "$SL_TMP/load")"
read -r okn failn closen <<<"$(sed -n 's/^ok=\([0-9]*\) fail=\([0-9]*\) closes=\([0-9]*\).*/\1 \2 \3/p' "$SL_TMP/load")"
[ "${okn:-0}" -gt 300 ] && [ "${failn:-1}" = 0 ]; ok $? "$UPGRADES upgrades under keep-alive load, no request failed ($okn ok, $failn failed, $closen told to close)"
[ "${closen:-0}" -gt 0 ]; ok $? "the draining process told keep-alive clients with Connection: close ($closen)"
out=$(curl -s -m 5 "http://127.0.0.1:$P/after")
[ "$out" = "a /after" ]; ok $? "the last process serves ($out)"
[ $_tap_fail -gt 0 ] && tail -n 20 "$SL_TMP/sluiced.log" "$SL_TMP"/new*.log | sed 's/^/# /'
done_testing
