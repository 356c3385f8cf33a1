#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A config that serves nothing (an empty or truncated file, only comments, {}, no listener and no VIP) is refused
# by sluiced -t and at start with file:line, and at reload (SIGHUP or sluicectl reload) with the running config
# kept, logged and counted; only `sluicectl reload --allow-empty` (POST /reload?allow_empty=1) applies one.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
D=$SL_BUILD/sluiced

: >"$SL_TMP/empty.yaml"
printf '# sluice\n# (nothing yet)\n' >"$SL_TMP/comments.yaml"
echo '{}' >"$SL_TMP/braces.yaml"
printf 'workers: 1\nl7:\n  upstreams:\n    - { name: a, servers: [ 127.0.0.1:1 ] }\n' >"$SL_TMP/nolistener.yaml"
for f in empty comments braces nolistener; do
	"$D" -t -c "$SL_TMP/$f.yaml" >"$SL_TMP/out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -q "^$SL_TMP/$f.yaml:[0-9][0-9]*: nothing to serve: no l7 listener and no l4 vip" "$SL_TMP/out"
	ok $? "sluiced -t $f.yaml: exit 1 with file:line ($rc: $(head -1 "$SL_TMP/out"))"
done
timeout 10 "$D" -c "$SL_TMP/empty.yaml" >"$SL_TMP/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "empty.yaml:1: nothing to serve" "$SL_TMP/out"
ok $? "sluiced -c empty.yaml does not start: exit 1 with file:line ($rc: $(head -1 "$SL_TMP/out"))"

l7_upstream a || exit 1
LP=$(free_port)
ADM=$SL_TMP/admin.sock
conf() {
	cat >"$SL_TMP/s.yaml" <<EOC
workers: 1
admin: { listen: unix:$ADM }
l7:
  listeners:
    - { name: pub, listen: 127.0.0.1:$LP, routes: [ { match: { path_prefix: / }, upstream: a } ] }
  upstreams:
    - { name: a, servers: [ { address: 127.0.0.1:$UP_PORT } ] }
EOC
}
ctl() { "$SL_BUILD/sluicectl" -s "unix:$ADM" "$@"; }
failed() { curl -s -m 5 --unix-socket "$ADM" http://sluiced/metrics | awk '$1 == "sluice_reloads_total{result=\"failed\"}" { print $2 }'; }
conf
l7_sluiced "$SL_TMP/s.yaml" "$LP" || exit 1
wait_for 5 test -S "$ADM"

# An editor's or config management's truncated write, then SIGHUP.
: >"$SL_TMP/s.yaml"
kill -HUP "$SLUICED_PID"
wait_for 5 grep -q "reload: refused" "$SL_TMP/sluiced.log"
ok $? "SIGHUP with an empty file: the reload is refused"
grep -q "reload: .*s.yaml:1: nothing to serve" "$SL_TMP/sluiced.log"
ok $? "the log says why: $(grep -m1 'nothing to serve' "$SL_TMP/sluiced.log")"
out=$(curl -s -m 5 "http://127.0.0.1:$LP/still")
[ "$out" = "a /still" ]; ok $? "the listener still serves ($out)"
[ "$(failed)" = 1 ]; ok $? "/metrics counts the failed reload ($(failed))"

printf '# half written\n' >"$SL_TMP/s.yaml"
ctl reload >"$SL_TMP/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "allow-empty" "$SL_TMP/out"
ok $? "sluicectl reload of a comments-only file: exit 1, says how to apply it on purpose ($rc: $(tr '\n' ' ' <"$SL_TMP/out"))"
code=$(curl -s -m 5 --unix-socket "$ADM" -o "$SL_TMP/body" -w '%{http_code}' -X POST http://sluiced/reload)
[ "$code" = 422 ] && grep -q '"ok":false' "$SL_TMP/body" && grep -q "nothing to serve" "$SL_TMP/body"
ok $? "POST /reload answers 422 with the reason ($code $(cat "$SL_TMP/body"))"
out=$(curl -s -m 5 "http://127.0.0.1:$LP/again")
[ "$out" = "a /again" ]; ok $? "still serving ($out)"
[ "$(ctl --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["reloads"], d["reload_failures"])')" = "0 3" ]
ok $? "status: 0 applied, 3 refused"

# The operator means it: no listener left.
echo "admin: { listen: unix:$ADM }" >"$SL_TMP/s.yaml"
ctl reload --allow-empty >"$SL_TMP/out" 2>&1
ok $? "sluicectl reload --allow-empty applies it ($(cat "$SL_TMP/out"))"
wait_for 5 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$LP) 2>/dev/null"
ok $? "the listener is closed"
grep -q "reload: .*serves nothing (applied because the operator allowed an empty config)" "$SL_TMP/sluiced.log"
ok $? "the log says so"
conf
ctl reload >/dev/null 2>&1
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$LP"
out=$(curl -s -m 5 "http://127.0.0.1:$LP/back")
[ "$out" = "a /back" ]; ok $? "a full config reloads again ($out)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
[ $_tap_fail -gt 0 ] && sed "s/^/# /" "$SL_TMP/sluiced.log" | tail -30
done_testing
