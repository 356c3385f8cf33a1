#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Admin API access: over TCP, reads are open to local clients but a change needs admin.token_file's token
# (Authorization: Bearer; none or a wrong one: 401, nothing changed; no token_file configured: 403); a request
# with an Origin header (a web page's cross-origin POST) or a Host that is not the admin address (DNS rebinding)
# gets 403; sluicectl sends the token (--token-file, $SLUICE_ADMIN_TOKEN_FILE, -c CONFIG); a token file with
# garbage is refused; the unix socket is 0660 (admin.mode) even under umask 000, needs no token, and user
# nobody cannot use it.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
need_root

l7_upstream a || exit 1
LP=$(free_port)
AP=$(free_port)
TOK=$SL_TMP/admin.token
openssl rand -hex 32 >"$TOK" 2>/dev/null || python3 -c 'import secrets; print(secrets.token_hex(32))' >"$TOK"
chmod 0600 "$TOK"
conf() {   # conf ADMIN_BLOCK
	cat >"$SL_TMP/s.yaml" <<EOC
workers: 1
admin: $1
l7:
  listeners:
    - { name: pub, listen: 127.0.0.1:$LP, routes: [ { match: { path_prefix: / }, upstream: a } ] }
  upstreams:
    - { name: a, servers: [ { address: 127.0.0.1:$UP_PORT } ] }
EOC
}
reloads() { curl -s -m 5 "http://127.0.0.1:$AP/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reloads"])'; }
# post [CURL ARGS...]: POST /reload over TCP; prints the status code, the body in $SL_TMP/body
post() { curl -s -m 5 -o "$SL_TMP/body" -w '%{http_code}' -X POST "$@" "http://127.0.0.1:$AP/reload"; }
ctl() { "$SL_BUILD/sluicectl" "$@"; }

conf "{ listen: 127.0.0.1:$AP, token_file: $TOK }"
bg bash -c "umask 000; exec '$SL_BUILD/sluiced' -c '$SL_TMP/s.yaml' >>'$SL_TMP/sluiced.log' 2>&1"
SLUICED_PID=$BG_PID
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$LP" && wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$AP"
ok $? "sluiced up, admin on TCP 127.0.0.1:$AP with a token file"

[ "$(reloads)" = 0 ]; ok $? "GET /status over TCP needs no token"
code=$(post); [ "$code" = 401 ] && grep -q "Bearer" "$SL_TMP/body"; ok $? "POST /reload without a token: 401 ($code $(cat "$SL_TMP/body"))"
code=$(post -H "Authorization: Bearer 0000$(cut -c5- "$TOK")"); [ "$code" = 401 ]; ok $? "a wrong token: 401 ($code)"
code=$(post -H "Authorization: Bearer $(cat "$TOK")x"); [ "$code" = 401 ]; ok $? "the token with a byte more: 401 ($code)"
code=$(post -H "Authorization: Basic $(cat "$TOK")"); [ "$code" = 401 ]; ok $? "the token under another scheme: 401 ($code)"
code=$(post -H $'Authorization: Bearer \x01\x7f\xff\xfe garbage'); [ "$code" = 401 ]; ok $? "garbage in the header: 401 ($code)"
code=$(post -H "Authorization: Bearer $(cat "$TOK")" -H "Origin: http://attacker.example" -H "Content-Type: text/plain" --data-binary x)
[ "$code" = 403 ]; ok $? "the right token but an Origin header (a cross-origin simple POST): 403 ($code)"
code=$(post -H "Authorization: Bearer $(cat "$TOK")" -H "Host: attacker.example:$AP")
[ "$code" = 403 ]; ok $? "the right token but Host a DNS name (DNS rebinding): 403 ($code)"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Host: attacker.example" "http://127.0.0.1:$AP/status")
[ "$code" = 403 ]; ok $? "... reads too ($code)"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST -H "Origin: http://attacker.example" -H "Content-Type: text/plain" \
	--data-binary x "http://127.0.0.1:$AP/backends/a%2F127.0.0.1:$UP_PORT/drain")
[ "$code" = 403 ]; ok $? "a cross-origin drain: 403 ($code)"
[ "$(curl -s -m 5 "http://127.0.0.1:$LP/x")" = "a /x" ]; ok $? "the server was not drained: the proxy still serves"
[ "$(reloads)" = 0 ]; ok $? "no refused request reloaded anything ($(reloads))"
grep -q "admin: 127.0.0.1:$AP: POST refused (401)" "$SL_TMP/sluiced.log"; ok $? "refusals are logged"

code=$(post -H "Authorization: Bearer $(cat "$TOK")"); [ "$code" = 200 ] && [ "$(reloads)" = 1 ]
ok $? "the right token: 200, reloaded ($code)"
code=$(post -H "Authorization: bearer $(cat "$TOK")" -H "Host: localhost:$AP"); [ "$code" = 200 ]
ok $? "any case of Bearer, Host localhost ($code)"

ctl -s "127.0.0.1:$AP" reload >"$SL_TMP/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "401" "$SL_TMP/out"; ok $? "sluicectl without a token: refused, exit 1 ($(cat "$SL_TMP/out"))"
ctl -s "127.0.0.1:$AP" --token-file "$TOK" reload >"$SL_TMP/out" 2>&1; ok $? "sluicectl --token-file FILE reload ($(cat "$SL_TMP/out"))"
SLUICE_ADMIN_TOKEN_FILE=$TOK ctl -s "127.0.0.1:$AP" reload >/dev/null 2>&1; ok $? "sluicectl with \$SLUICE_ADMIN_TOKEN_FILE"
ctl -c "$SL_TMP/s.yaml" reload >/dev/null 2>&1; ok $? "sluicectl -c CONFIG: the config's admin.listen and token_file"
ctl -c "$SL_TMP/s.yaml" backend drain "a/127.0.0.1:$UP_PORT" >"$SL_TMP/out" 2>&1 && grep -q "drain" "$SL_TMP/out"
ok $? "sluicectl -c CONFIG backend drain ($(cat "$SL_TMP/out"))"
ctl -c "$SL_TMP/s.yaml" backend enable "a/127.0.0.1:$UP_PORT" >/dev/null 2>&1; ok $? "... and enable"
[ "$(reloads)" = 5 ]; ok $? "5 reloads applied ($(reloads))"
ctl -s "127.0.0.1:$AP" status >/dev/null 2>&1; ok $? "sluicectl status needs no token"
printf 'two words\n' >"$SL_TMP/bad.token"
ctl -s "127.0.0.1:$AP" --token-file "$SL_TMP/bad.token" reload >"$SL_TMP/out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "not a token" "$SL_TMP/out"; ok $? "sluicectl with a garbage token file: exit 2 ($(cat "$SL_TMP/out"))"

# A token file with garbage is a config error: sluiced -t and reload refuse it.
head -c 40 /dev/urandom | tr -d '\n' >"$SL_TMP/garbage.token"; printf '\001\377' >>"$SL_TMP/garbage.token"; chmod 0600 "$SL_TMP/garbage.token"
conf "{ listen: 127.0.0.1:$AP, token_file: $SL_TMP/garbage.token }"
"$SL_BUILD/sluiced" -t -c "$SL_TMP/s.yaml" >"$SL_TMP/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "s.yaml:2: admin.token_file .*printable ASCII" "$SL_TMP/out"; ok $? "sluiced -t: a garbage token file is refused with file:line"
code=$(post -H "Authorization: Bearer $(cat "$TOK")"); [ "$code" = 422 ]; ok $? "a reload to it is refused, the old token still works ($code)"

# TCP without a token_file: reads only.
conf "{ listen: 127.0.0.1:$AP }"
kill -HUP "$SLUICED_PID"
wait_for 5 grep -q "admin: listening on 127.0.0.1:$AP without admin.token_file" "$SL_TMP/sluiced.log"
ok $? "no token_file on TCP: a warning says changes are refused"
code=$(post -H "Authorization: Bearer $(cat "$TOK")"); [ "$code" = 403 ] && grep -q "admin.token_file is not set" "$SL_TMP/body"
ok $? "POST over TCP: 403 with the reason ($code $(cat "$SL_TMP/body"))"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AP/metrics"); [ "$code" = 200 ]; ok $? "reads work ($code)"

# The unix socket: 0660 under umask 000, no token, filesystem permissions decide.
chmod 0711 "$SL_TMP"
conf "{ listen: unix:$SL_TMP/admin.sock }"
kill -HUP "$SLUICED_PID"
wait_for 5 test -S "$SL_TMP/admin.sock"
m=$(stat -c %a "$SL_TMP/admin.sock"); [ "$m" = 660 ]; ok $? "unix socket created 0660 under umask 000 ($m)"
"$SL_BUILD/sluicectl" -s "unix:$SL_TMP/admin.sock" reload >/dev/null 2>&1; ok $? "over the unix socket, no token needed"
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$SL_BUILD/sluicectl" -s "unix:$SL_TMP/admin.sock" \
		backend drain "a/127.0.0.1:$UP_PORT" >"$SL_TMP/out" 2>&1; rc=$?
	[ $rc = 3 ] && grep -q "Permission denied" "$SL_TMP/out"; ok $? "user nobody cannot drain a server ($rc: $(cat "$SL_TMP/out"))"
else
	ok 0 "# SKIP no setpriv or no user nobody"
fi
conf "{ listen: unix:$SL_TMP/admin.sock, mode: '0600' }"
kill -HUP "$SLUICED_PID"
wait_for 5 bash -c "[ \$(stat -c %a '$SL_TMP/admin.sock') = 600 ]"; ok $? "admin.mode changed by a reload applies to the same socket ($(stat -c %a "$SL_TMP/admin.sock"))"
[ "$(curl -s -m 5 "http://127.0.0.1:$LP/end")" = "a /end" ]; ok $? "the proxy served throughout"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
[ $_tap_fail -gt 0 ] && sed "s/^/# /" "$SL_TMP/sluiced.log" | tail -30
done_testing
