#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A reload that changes admin.listen moves the admin API without a restart: unix socket to unix socket
# (the old file removed), to TCP; a POST /reload that moves it is answered on its own connection; an
# address that cannot be bound leaves the API where it was (the rest of the reload applied, /status
# says the address in use), and the next reload tries again.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1
LP=$(free_port)
conf() {   # conf ADMIN_LISTEN
	cat >"$SL_TMP/s.yaml" <<EOC
workers: 1
admin: { listen: $1 }
l7:
  listeners:
    - { name: pub, listen: 127.0.0.1:$LP, routes: [ { match: { path_prefix: / }, upstream: a } ] }
  upstreams:
    - { name: a, servers: [ { address: 127.0.0.1:$UP_PORT } ] }
EOC
}
# st ADMIN FIELD: a field of GET /status through ADMIN (unix:PATH or HOST:PORT); empty when unreachable.
st() {
	local a=$1 f=$2
	if [[ $a == unix:* ]]; then
		curl -s -m 2 --unix-socket "${a#unix:}" http://sluiced/status
	else
		curl -s -m 2 "http://$a/status"
	fi | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$f" 2>/dev/null
}
reloads() { st "$1" reloads; }

U1="unix:$SL_TMP/a1.sock"; U2="unix:$SL_TMP/a2.sock"
conf "$U1"
l7_sluiced "$SL_TMP/s.yaml" "$LP" || exit 1
wait_for 5 test -S "$SL_TMP/a1.sock"
[ "$(st "$U1" admin)" = "$U1" ]; ok $? "admin on $U1"

conf "$U2"
kill -HUP "$SLUICED_PID"
wait_for 5 test -S "$SL_TMP/a2.sock"
[ "$(reloads "$U2")" = 1 ] && [ "$(st "$U2" admin)" = "$U2" ]; ok $? "SIGHUP: the API moved to $U2 ($(st "$U2" admin))"
wait_for 5 bash -c "! test -e '$SL_TMP/a1.sock'"
ok $? "the old socket file is gone"

# POST /reload over the address it moves away from: the answer comes back on that connection
T1=127.0.0.1:$(free_port)
conf "$T1"
out=$(curl -s -m 5 --unix-socket "$SL_TMP/a2.sock" -X POST http://sluiced/reload)
echo "$out" | grep -q '"ok":true'; ok $? "POST /reload that moves the API: answered on its own connection ($out)"
[ "$(reloads "$T1")" = 2 ] && [ "$(st "$T1" admin)" = "$T1" ] && ! test -e "$SL_TMP/a2.sock"
ok $? "the API moved to TCP $T1, the unix socket removed"

# an address taken by another process: the API stays, the reload still applies
busy=$(free_port)
bg python3 -c 'import socket, time; s = socket.socket(); s.bind(("127.0.0.1", '"$busy"')); s.listen(1); time.sleep(60)'
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$busy"
conf "127.0.0.1:$busy"
kill -HUP "$SLUICED_PID"
wait_for 5 bash -c "[ \"\$(curl -s -m 2 http://$T1/status | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"reloads\"])')\" = 3 ]"
ok $? "an address in use: the reload is applied, the API still answers on $T1"
[ "$(st "$T1" admin)" = "$T1" ]; ok $? "/status says the address in use ($(st "$T1" admin))"
grep -q "reload: admin.listen 127.0.0.1:$busy: .*; still listening on $T1" "$SL_TMP/sluiced.log"
ok $? "the log says why and where it still listens"

# the same config again, the address free now: this reload moves it
kill "$BG_PID"; wait "$BG_PID" 2>/dev/null
kill -HUP "$SLUICED_PID"
wait_for 5 bash -c "curl -s -m 1 http://127.0.0.1:$busy/status | grep -q '\"reloads\":4'"
ok $? "the next reload tries again and moves it to 127.0.0.1:$busy"
curl -s -m 2 -o /dev/null "http://$T1/status"; [ $? -ne 0 ]; ok $? "nothing listens on $T1 any more"
[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LP/")" = 200 ]; ok $? "the proxy served throughout"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
