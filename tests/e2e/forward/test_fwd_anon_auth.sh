#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Forward proxy anonymity (what the origin receives, with anonymize on and off) and Basic proxy authentication (407/200).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/fwd_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

fwd_origin || exit 1
O=$ORIGIN_PORT
P=$(free_port)
printf '# proxy users\nalice:s3cret:with:colons\r\n\nbob:hunter2\n' >"$SL_TMP/users"
# hashed entries, as openssl passwd or htpasswd -B write them, and htpasswd's own apr1 (-m) and {SHA} (-s)
printf 'carl:%s\ndana:%s\n' "$(openssl passwd -6 'n0t plain')" "$(openssl passwd -5 'also:hashed')" >>"$SL_TMP/users"
printf 'erin:%s\nfred:{SHA}%s\n' "$(openssl passwd -apr1 'apr1 pass')" "$(printf 'sha pass' | openssl sha1 -binary | base64)" \
	>>"$SL_TMP/users"
fwd_config "$SL_TMP/c.yaml" "$P" "    allow_private_destinations: true
    anonymize: true
    identifying_headers: [X-Secret-Id, From]
    auth_file: $SL_TMP/users"
fwd_sluiced "$SL_TMP/c.yaml" "$P" || exit 1
X="-s -m 5 -x http://127.0.0.1:$P -o $SL_TMP/body -D $SL_TMP/head -w %{http_code}"

# login CODE USER:PASS PATH WHAT: one request through the proxy with those credentials is answered CODE.
login() {
	local got
	got=$(curl $X -U "$2" "http://127.0.0.1:$O/$3")
	[ "$got" = "$1" ]; ok $? "$4: $1 ($got)"
}

# authentication
code=$(curl $X "http://127.0.0.1:$O/noauth")
[ "$code" = 407 ]; ok $? "no credentials: 407 ($code)"
grep -qi '^Proxy-Authenticate: Basic realm="sluice"' "$SL_TMP/head"; ok $? "407 carries Proxy-Authenticate: Basic"
code=$(curl $X -U bob:wrong "http://127.0.0.1:$O/badpw")
[ "$code" = 407 ]; ok $? "wrong password: 407 ($code)"
code=$(curl $X -U carol:hunter2 "http://127.0.0.1:$O/nouser")
[ "$code" = 407 ]; ok $? "unknown user: 407 ($code)"
logged '"GET http://127.0.0.1:[0-9]+/badpw HTTP/1.1" 407 .*rule=auth'; ok $? "407 logged with rule=auth"
[ "$(grep -c '"line"' "$SL_TMP/origin.log")" = 0 ]; ok $? "nothing reached the origin without credentials"
code=$(curl $X -U 'alice:s3cret:with:colons' "http://127.0.0.1:$O/alice")
[ "$code" = 200 ]; ok $? "right credentials (password with colons): 200 ($code)"
logged '^127.0.0.1 - alice \[.*"GET http://127.0.0.1:[0-9]+/alice HTTP/1.1" 200'; ok $? "the user is logged"
for i in 1 2; do
	code=$(curl $X -U 'carl:n0t plain' "http://127.0.0.1:$O/carl$i")
	[ "$code" = 200 ]; ok $? "SHA-512 crypt entry, right password, request $i: 200 ($code)"
done
login 407 'carl:n0t plaiN' carl-wrong "SHA-512 crypt entry, wrong password after a right one"
login 407 'carl:$6$' carl-prefix "SHA-512 crypt entry, the hash's prefix as password"
login 200 'dana:also:hashed' dana "SHA-256 crypt entry (password with a colon)"
logged '^127.0.0.1 - carl \[.*"GET http://127.0.0.1:[0-9]+/carl1 HTTP/1.1" 200'; ok $? "the hashed user is logged"
login 200 'erin:apr1 pass' erin "htpasswd apr1 entry, right password"
login 200 'fred:sha pass' fred "htpasswd {SHA} entry, right password"
login 407 'erin:apr1 pasS' erin-wrong "htpasswd apr1 entry, wrong password"

# sluiced -t reads the users file too: a malformed apr1 line fails the check with FILE:LINE
cp "$SL_TMP/users" "$SL_TMP/users.ok"
printf 'web:$apr1$abcdefgh$0123456789abcdefghijk\n' >>"$SL_TMP/users"
out=$("$SL_BUILD/sluiced" -t -c "$SL_TMP/c.yaml" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "$SL_TMP/users:9: a \$apr1\$, {SHA} or {SSHA} hash that is not well formed" <<<"$out"
ok $? "sluiced -t: a malformed apr1 entry fails with FILE:LINE and why ($rc: $out)"
cp "$SL_TMP/users.ok" "$SL_TMP/users"
"$SL_BUILD/sluiced" -t -c "$SL_TMP/c.yaml" >/dev/null 2>&1; ok $? "sluiced -t: the users file as it was passes"
code=$(curl -s -m 5 -p -x "http://127.0.0.1:$P" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$O/" 2>/dev/null; true)
logged "\"CONNECT 127.0.0.1:$O HTTP/1.1\" 407"; ok $? "CONNECT without credentials: 407"

# anonymity: nothing about the client reaches the origin
: >"$SL_TMP/origin.log"
curl $X -U bob:hunter2 -H 'Proxy-Connection: keep-alive' -H 'X-Forwarded-For: 203.0.113.9' \
	-H 'Forwarded: for=203.0.113.9' -H 'Via: 1.0 client-side' -H 'X-Secret-Id: 42' -H 'From: me@example.org' \
	-H 'X-Keep: yes' "http://127.0.0.1:$O/anon" >/dev/null
for h in Via X-Forwarded-For Forwarded Proxy-Authorization Proxy-Connection X-Secret-Id From; do
	! grep -qi "\"$h\"" "$SL_TMP/origin.log"; ok $? "anonymize: origin got no $h"
done
grep -q '"X-Keep", "yes"' "$SL_TMP/origin.log"; ok $? "anonymize: other headers pass"
! grep -qi '^Via:' "$SL_TMP/head"; ok $? "anonymize: no Via on the response either"

# anonymize off: Via and X-Forwarded-For added, Proxy-* still dropped
sed -i 's/anonymize: true/anonymize: false/' "$SL_TMP/c.yaml"
fwd_reload
: >"$SL_TMP/origin.log"
curl $X -U bob:hunter2 -H 'Proxy-Connection: keep-alive' -H 'X-Forwarded-For: 203.0.113.9' -H 'X-Secret-Id: 42' \
	"http://127.0.0.1:$O/plain" >/dev/null
grep -q '"Via", "1.1 sluice"' "$SL_TMP/origin.log"; ok $? "anonymize off: Via added"
grep -q '"X-Forwarded-For", "203.0.113.9, 127.0.0.1"' "$SL_TMP/origin.log"; ok $? "anonymize off: X-Forwarded-For appended"
! grep -qiE '"Proxy-(Authorization|Connection)"' "$SL_TMP/origin.log"; ok $? "anonymize off: Proxy-Authorization and Proxy-Connection still removed"
grep -q '"X-Secret-Id", "42"' "$SL_TMP/origin.log"; ok $? "anonymize off: identifying_headers pass"

# a users file that no longer parses: the reload is refused, the old users stay
printf 'bob:hunter2\nnot a user line\n' >"$SL_TMP/users"
fwd_reload
code=$(curl $X -U bob:hunter2 "http://127.0.0.1:$O/after-bad-reload")
[ "$code" = 200 ] && kill -0 "$SLUICED_PID"; ok $? "invalid auth_file on reload: refused, the previous users still work ($code)"
grep -q "auth_file $SL_TMP/users:2: expected user:password" "$SL_TMP/sluiced.log"; ok $? "the bad line is reported as FILE:LINE"

# password guessing: after 10 failed logins from an address within a minute (5 above), its
# credentials are answered 429 without being checked, the right ones too, for the rest of the minute
fails=5 code=407
while [ "$code" = 407 ] && [ $fails -lt 12 ]; do
	code=$(curl $X -U "bob:guess$fails" "http://127.0.0.1:$O/guess")
	[ "$code" = 407 ] && fails=$((fails + 1))
done
[ "$code" = 429 ] && [ $fails = 10 ]; ok $? "wrong passwords: 407 until the 10th failure, then 429 ($code after $fails)"
logged '"GET http://127.0.0.1:[0-9]+/guess HTTP/1.1" 429 .*rule=auth-throttled'; ok $? "429 logged with rule=auth-throttled"
[ "$(grep -c "forward: 10 failed proxy logins from 127.0.0.1 within 60 s" "$SL_TMP/sluiced.log")" = 1 ]
ok $? "the lock-out is logged, once"
: >"$SL_TMP/origin.log"
code=$(curl $X -U bob:hunter2 "http://127.0.0.1:$O/right-but-late")
ra=$(tr -d '\r' <"$SL_TMP/head" | awk -F': ' 'tolower($1) == "retry-after" { print $2 }')
[ "$code" = 429 ] && [ "${ra:-0}" -ge 1 ] && [ "${ra:-0}" -le 60 ]; ok $? "the right password meanwhile: 429, Retry-After: $ra ($code)"
[ "$(grep -c '"line"' "$SL_TMP/origin.log")" = 0 ]; ok $? "and nothing reached the origin"
code=$(curl $X "http://127.0.0.1:$O/still-407")
[ "$code" = 407 ]; ok $? "no credentials at all: still 407 with the challenge ($code)"
done_testing
