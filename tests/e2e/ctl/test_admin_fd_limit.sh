#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# At the process's descriptor limit (clients hold every fd) the admin API still answers: a descriptor kept in
# reserve is given up to accept it, and taken back after. Health checks that cannot get a socket give no
# verdict: the healthy upstream is not marked down.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
command -v prlimit >/dev/null || skip_all "no prlimit"

l7_upstream a || exit 1
LP=$(free_port)
ADM=$SL_TMP/admin.sock
cat >"$SL_TMP/s.yaml" <<EOC
workers: 1
admin: { listen: unix:$ADM }
l7:
  listeners:
    - { name: pub, listen: 127.0.0.1:$LP, routes: [ { match: { path_prefix: / }, upstream: a } ] }
  upstreams:
    - { name: a, servers: [ { address: 127.0.0.1:$UP_PORT } ], health: { type: tcp, interval: 200ms, timeout: 100ms, rise: 1, fall: 2 } }
EOC
# a hard limit of 64: sluiced cannot raise it
bg bash -c "exec prlimit --nofile=64:64 '$SL_BUILD/sluiced' -c '$SL_TMP/s.yaml' >>'$SL_TMP/sluiced.log' 2>&1"
SLUICED_PID=$BG_PID
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$LP"; ok $? "sluiced up with RLIMIT_NOFILE 64"
code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' --unix-socket "$ADM" http://localhost/status); [ "$code" = 200 ]
ok $? "the admin API answers ($code)"
# idle clients until sluiced runs out of descriptors; held for 15 s at most
cat >"$SL_TMP/hold.py" <<'EOP'
import socket, sys, time
ss = []
for i in range(120):
    try:
        ss.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1))
    except Exception:
        break
open(sys.argv[2], "w").write(str(len(ss)))
time.sleep(15)
EOP
bg timeout 15 python3 "$SL_TMP/hold.py" "$LP" "$SL_TMP/held"
wait_for 10 grep -q "accept: Too many open files" "$SL_TMP/sluiced.log"
ok $? "sluiced hit its descriptor limit ($(cat "$SL_TMP/held" 2>/dev/null) clients held)"
for i in 1 2 3; do
	code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' --unix-socket "$ADM" http://localhost/status)
	[ "$code" = 200 ]; ok $? "at the limit, admin request $i answered ($code)"
done
code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' --unix-socket "$ADM" http://localhost/metrics); [ "$code" = 200 ]
ok $? "and /metrics ($code)"
grep -q "admin: unix:$ADM: accept: Too many open files: answering on the reserved descriptor" "$SL_TMP/sluiced.log"
ok $? "the log says the reserve was used"
sleep 1
grep -q "health: checks skipped, no verdict" "$SL_TMP/sluiced.log"; ok $? "health checks without a socket are skipped, said once"
! grep -q "health: down" "$SL_TMP/sluiced.log"; ok $? "the healthy upstream was not marked down"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
[ $_tap_fail -gt 0 ] && sed "s/^/# /" "$SL_TMP/sluiced.log" | tail -20
done_testing
