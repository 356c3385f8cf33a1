#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Binary upgrade under load: a new sluiced starts beside the old one, the old one is stopped, and no request fails.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
need_root

# The "new binary" is a copy, so the two processes are told apart in ps and logs.
cp "$SL_BUILD/sluiced" "$SL_TMP/sluiced-new"
l7_proxy_one_upstream workers=2 upstream=one listener_key="access_log: { path: $SL_TMP/access.log }" || exit 1
OLD=$SLUICED_PID

# Load: 6 threads, each request on a keep-alive connection, and every 5th on a new one
# (so accepts happen while the old listeners close). A request that fails on a reused
# keep-alive connection before any response byte is retried once on a new connection,
# as RFC 9112 9.3.1 lets a client do for idempotent requests; any other failure counts.
# It runs until the stop file appears (bounded: 40 s, 20000 requests per thread).
python3 - "$P" "$SL_TMP/stop" 6 >"$SL_TMP/load" 2>&1 <<'EOP' &
import http.client, os, sys, threading, time
port, stop, conc = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
res, lock, deadline = {"ok": 0, "fail": 0, "retried": 0, "fresh": 0}, threading.Lock(), time.time() + 40
errs = []
def one(c):
    c.request("GET", "/up")
    r = c.getresponse()
    body = r.read()
    return r.status, body, r.getheader("Connection", "").lower() == "close"
def run(n):
    c, used = None, False
    for i in range(n):
        if time.time() > deadline or os.path.exists(stop):
            break
        if i % 5 == 0 and c is not None:
            c.close(); c = None
        for attempt in (0, 1):
            if c is None:
                c, used = http.client.HTTPConnection("127.0.0.1", port, timeout=10), False
            try:
                st, body, close = one(c)
                ok = st == 200 and body.strip() == b"a /up"
                with lock:
                    res["ok" if ok else "fail"] += 1
                    res["fresh"] += not used
                    if not ok: errs.append("status %d" % st)
                used = True
                if close:
                    c.close(); c = None
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                c.close(); c = None
                if used and attempt == 0:
                    with lock: res["retried"] += 1
                    continue
                with lock:
                    res["fail"] += 1; errs.append(type(e).__name__)
                break
            except Exception as e:
                c.close(); c = None
                with lock:
                    res["fail"] += 1; errs.append(type(e).__name__)
                break
ts = [threading.Thread(target=run, args=(20000,)) for _ in range(conc)]
[t.start() for t in ts]; [t.join() for t in ts]
print("ok=%d fail=%d retried=%d fresh=%d errors=%s" % (res["ok"], res["fail"], res["retried"], res["fresh"], sorted(set(errs))))
EOP
LOAD=$!
_sl_pids+=("$LOAD")

# Let the old process serve a while, then start the new one beside it.
wait_for 10 bash -c "[ \$(wc -l <'$SL_TMP/access.log' 2>/dev/null || echo 0) -ge 300 ]"
bg bash -c "exec '$SL_TMP/sluiced-new' -c '$SL_TMP/c.yaml' >>'$SL_TMP/new.log' 2>&1"
NEW=$BG_PID
wait_for 5 grep -q 'started with' "$SL_TMP/new.log"; ok $? "the new binary starts beside the old one (same listener, same admin socket)"
sleep 0.5
kill -TERM "$OLD"
wait_for 10 bash -c "! kill -0 $OLD"; ok $? "the old process drains and exits"
n_old=$(wc -l <"$SL_TMP/access.log")
wait_for 10 bash -c "[ \$(wc -l <'$SL_TMP/access.log') -ge $((n_old + 300)) ]"
touch "$SL_TMP/stop"
wait "$LOAD"
diag "$(cat "$SL_TMP/load")"
read -r okn failn retn freshn <<<"$(sed -n 's/^ok=\([0-9]*\) fail=\([0-9]*\) retried=\([0-9]*\) fresh=\([0-9]*\).*/\1 \2 \3 \4/p' "$SL_TMP/load")"
[ "${okn:-0}" -gt $((n_old + 300)) ] && [ "${failn:-1}" = 0 ]; ok $? "requests before, during and after the upgrade, none failed ($okn ok, $failn failed, $retn idle keep-alive closes retried, $freshn on new connections)"
out=$(curl -s -m 5 "http://127.0.0.1:$P/after")
[ "$out" = "a /after" ]; ok $? "the new process serves after the old one is gone ($out)"
st=$(curl -s -m 5 --unix-socket "$SL_TMP/admin.sock" -o /dev/null -w '%{http_code}' http://x/status)
[ "$st" = 200 ]; ok $? "the admin socket still answers: the old process did not remove the new one's ($st)"
[ "$(cat /proc/sys/net/ipv4/tcp_migrate_req)" = 1 ]; ok $? "queued connections migrate to the new listeners (sluiced turned tcp_migrate_req on)"
kill -TERM "$NEW"; wait_for 5 bash -c "! kill -0 $NEW"
lines=$(wc -l <"$SL_TMP/access.log")
[ "$lines" = $((okn + 1)) ] || grep -v "\" 200 " "$SL_TMP/access.log" | sed "s/^/# /"
[ "$lines" = $((okn + 1)) ]; ok $? "one access log line per request served, by both processes ($lines)"
done_testing
