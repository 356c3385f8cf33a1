#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Forward proxy logins against a hashed password are checked by a crypt thread: while crypt(3) runs, the worker serves everyone else.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/fwd_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

# A SHA-512 crypt hash of a million rounds: ~0.7 s of crypt(3) a check on this kind of machine,
# long enough that whatever finishes first says who waited for whom (one worker serves all).
slow=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("sl0w pass", "$6$rounds=1000000$sluicetest"))' 2>/dev/null)
case $slow in '$6$rounds=1000000$'*) ;; *) skip_all "python3's crypt module cannot make a SHA-512 hash here" ;; esac
# The checks that must still be pending while another request is answered use a user four times
# slower (~3 s): a loaded machine (CI beside a build) must not let them finish first.
slower=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("unguessed", "$6$rounds=4000000$sluicetest"))' 2>/dev/null)

fwd_origin || exit 1
O=$ORIGIN_PORT
P=$(free_port)
printf 'bob:hunter2\nslow:%s\nslower:%s\n' "$slow" "$slower" >"$SL_TMP/users"
fwd_config "$SL_TMP/c.yaml" "$P" "    allow_private_destinations: true
    connect_ports: [$O]
    auth_file: $SL_TMP/users"
fwd_sluiced "$SL_TMP/c.yaml" "$P" || exit 1

# req NAME USER:PASS [curl options]: one request through the proxy; its status goes to $SL_TMP/NAME.code,
# and the file $SL_TMP/NAME.done appears when it has finished.
req() {
	local name=$1 cred=$2; shift 2
	curl -s -m 10 -x "http://127.0.0.1:$P" -U "$cred" -o /dev/null -w '%{http_code}' "$@" \
		"http://127.0.0.1:$O/$name" >"$SL_TMP/$name.code" 2>/dev/null
	touch "$SL_TMP/$name.done"
}
code() { cat "$SL_TMP/$1.code" 2>/dev/null; }

# 1. A wrong password for the hashed entry is being checked; a plain user's request comes after it
#    and is answered first. With crypt(3) on the worker it would wait the whole check out.
bg req slow-wrong 'slower:wrong'
sleep 0.2
req bob1 'bob:hunter2'
[ ! -e "$SL_TMP/slow-wrong.done" ] && [ "$(code bob1)" = 200 ]
ok $? "a plain login is answered while a hashed one is checked ($(code bob1), hashed one still pending)"
wait_for 10 test -e "$SL_TMP/slow-wrong.done"
[ "$(code slow-wrong)" = 407 ]; ok $? "the hashed entry's wrong password: 407 once checked ($(code slow-wrong))"
logged '"GET http://127.0.0.1:[0-9]+/slow-wrong HTTP/1.1" 407 .*rule=auth'; ok $? "logged with rule=auth, no user"
! grep -qE '^127.0.0.1 - slower .*slow-wrong' "$SL_TMP/access.log"; ok $? "the refused login is not logged under the user's name"

# 2. The right password: 200 once checked, and logged under the user.
req slow-right 'slow:sl0w pass'
[ "$(code slow-right)" = 200 ]; ok $? "the hashed entry's right password: 200 ($(code slow-right))"
logged '^127.0.0.1 - slow \[.*"GET http://127.0.0.1:[0-9]+/slow-right HTTP/1.1" 200'; ok $? "logged under the user"

# 3. Once it has matched it is remembered: the next request with it does not queue behind a check.
bg req slow-wrong2 'slower:wrong again'
sleep 0.2
req slow-again 'slow:sl0w pass'
[ ! -e "$SL_TMP/slow-wrong2.done" ] && [ "$(code slow-again)" = 200 ]
ok $? "the remembered password is answered at once, while a wrong one is checked ($(code slow-again))"
wait_for 10 test -e "$SL_TMP/slow-wrong2.done"
[ "$(code slow-wrong2)" = 407 ]; ok $? "and the wrong one still gets 407 ($(code slow-wrong2))"

# 4. A client that leaves while its password is checked: the answer finds no one; nothing breaks.
: >"$SL_TMP/origin.log"
req slow-gone 'slow:guess' -m 0.3
sleep 1.2   # the check has ended by now
kill -0 "$SLUICED_PID"; ok $? "sluiced runs on after a client left mid-check"
req bob2 'bob:hunter2'
[ "$(code bob2)" = 200 ] && [ "$(grep -c '"line"' "$SL_TMP/origin.log")" = 1 ]
ok $? "the next request is served ($(code bob2)), and the one that left never reached the origin"

# 5. A reload while a right password is checked: that request keeps its generation and is served.
bg req slow-reload 'slow:sl0w pass'
sleep 0.2
fwd_reload   # same users: a new table, in which the password has not matched yet
wait_for 10 test -e "$SL_TMP/slow-reload.done"
[ "$(code slow-reload)" = 200 ]; ok $? "a check under way across a reload: 200 ($(code slow-reload))"
# the new table has not seen the password: a CONNECT waits for its check, then tunnels (curl -p)
req slow-tunnel 'slow:sl0w pass' -p
[ "$(code slow-tunnel)" = 200 ]; ok $? "after the reload, a CONNECT checked on a crypt thread tunnels: 200 ($(code slow-tunnel))"
logged "^127.0.0.1 - slow \\[.*\"CONNECT 127.0.0.1:$O HTTP/1.1\" 200"; ok $? "the CONNECT is logged under the user"
kill -0 "$SLUICED_PID"; ok $? "sluiced is still running"

# 6. SIGTERM while a password is checked: the worker drains, so the request is still answered.
fwd_reload   # a fresh table again: the next check queues
bg req slow-stop 'slow:sl0w pass'
sleep 0.2
kill -TERM "$SLUICED_PID"
wait_for 10 test -e "$SL_TMP/slow-stop.done"
[ "$(code slow-stop)" = 200 ]; ok $? "a check under way at SIGTERM: answered 200 while draining ($(code slow-stop))"
wait_for 10 bash -c "! kill -0 $SLUICED_PID 2>/dev/null"; ok $? "then sluiced exits"
done_testing
