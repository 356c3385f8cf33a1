#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Forward proxy, plain HTTP: absolute-form requests (curl -x) reach the origin in origin-form over pooled connections.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/fwd_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
command -v curl >/dev/null || skip_all "no curl"

fwd_origin || exit 1
P=$(free_port)
fwd_config "$SL_TMP/c.yaml" "$P" "    allow_private_destinations: true
    anonymize: false"
fwd_sluiced "$SL_TMP/c.yaml" "$P" || exit 1
X="-s -m 5 -x http://127.0.0.1:$P"
O=$ORIGIN_PORT

body=$(curl $X "http://127.0.0.1:$O/hello?x=1")
[ "$body" = "GET /hello?x=1 HTTP/1.1" ]; ok $? "absolute-form GET answered by the origin (got: $body)"
grep -q '"line": "GET /hello?x=1 HTTP/1.1"' "$SL_TMP/origin.log"; ok $? "origin saw the origin-form request line"
grep -q "\"Host\", \"127.0.0.1:$O\"" "$SL_TMP/origin.log"; ok $? "Host set from the target"
logged "\"GET http://127.0.0.1:$O/hello\\?x=1 HTTP/1.1\" 200 .* upstream=127.0.0.1:$O .*rule=allow_hosts:\\*"
ok $? "request logged with client, target, status, upstream and rule"

# keep-alive towards the origin: three requests (two curl runs) over one origin connection
: >"$SL_TMP/origin.log"
curl $X "http://localhost:$O/a" "http://localhost:$O/b" >/dev/null
curl $X "http://localhost:$O/c" >/dev/null
n=$(grep -o '"conn": [0-9]*' "$SL_TMP/origin.log" | sort -u | wc -l)
r=$(grep -c '"line"' "$SL_TMP/origin.log")
[ "$r" = 3 ] && [ "$n" = 1 ]; ok $? "3 requests reused one pooled origin connection (requests $r, connections $n)"
grep -q '"Host", "localhost:'"$O"'"' "$SL_TMP/origin.log"; ok $? "a name target keeps its name in Host"

# bodies both ways
echo -n "payload-123" >"$SL_TMP/post"
code=$(curl $X -o /dev/null -w '%{http_code}' --data-binary @"$SL_TMP/post" "http://127.0.0.1:$O/post")
[ "$code" = 200 ] && grep -q '"Content-Length", "11"' "$SL_TMP/origin.log"; ok $? "POST with a body forwarded"
len=$(curl $X "http://127.0.0.1:$O/size/300000" | wc -c)
[ "$len" = 300000 ]; ok $? "300 kB response relayed whole ($len)"

# an origin connection that dies before answering: the request goes once more
: >"$SL_TMP/origin.log"
body=$(curl $X "http://127.0.0.1:$O/flaky/1")
[ "$body" = "GET /flaky/1 HTTP/1.1" ] && [ "$(grep -c flaky "$SL_TMP/origin.log")" = 2 ]
ok $? "a GET whose origin connection closed unanswered is sent again and answered"

# IPv6: a client on ::1 through a listener on [::1] to an origin on [::1]
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	bg bash -c "exec python3 '$SL_ROOT/tests/e2e/lib/fwd_origin.py' --bind ::1 --log '$SL_TMP/origin6.log' >'$SL_TMP/origin6.port'"
	wait_for 5 test -s "$SL_TMP/origin6.port"
	O6=$(head -1 "$SL_TMP/origin6.port")
	P6=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0)); print(s.getsockname()[1])')
	sed -i "s/^  forward:/    - { name: fwd6, listen: \"[::1]:$P6\", mode: forward, access_log: { path: $(echo "$SL_TMP" | sed 's|/|\\/|g')\/access.log } }\n  forward:/" "$SL_TMP/c.yaml"
	fwd_reload
	body=$(curl -s -m 5 -x "http://[::1]:$P6" "http://[::1]:$O6/six")
	[ "$body" = "GET /six HTTP/1.1" ]; ok $? "IPv6 client, listener and literal origin (got: $body)"
	grep -q '"X-Forwarded-For", "::1"' "$SL_TMP/origin6.log" && grep -q "\"Host\", \"\[::1\]:$O6\"" "$SL_TMP/origin6.log"
	ok $? "origin saw X-Forwarded-For ::1 and Host [::1]:$O6"
else
	ok 0 "# SKIP no IPv6 loopback"
	ok 0 "# SKIP no IPv6 loopback"
fi

# what a forward listener refuses to parse
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/origin-form")
[ "$code" = 400 ]; ok $? "origin-form request on a forward listener: 400 ($code)"
resp=$(printf 'GET https://127.0.0.1:%s/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' "$O" | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P; cat >&3; cat <&3")
echo "$resp" | head -1 | grep -q " 400 "; ok $? "https:// absolute-form target: 400"
echo "$resp" | grep -q "CONNECT"; ok $? "400 body says to use CONNECT"
logged '"GET /origin-form HTTP/1.1" 400 .*rule=target'; ok $? "refused target logged with rule=target"
done_testing
