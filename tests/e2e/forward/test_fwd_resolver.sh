#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Forward proxy name resolution: asynchronous lookups through a local DNS stub, answers cached for their TTL,
# unknown names 502 and cached as such, concurrent misses sharing one query, the hosts file.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/fwd_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

fwd_origin || exit 1
O=$ORIGIN_PORT
fwd_dns "long.fwd.test=127.0.0.1/300" "short.fwd.test=127.0.0.1/1" "slow.fwd.test=127.0.0.1/300/0.4" || exit 1
P=$(free_port)
fwd_config "$SL_TMP/c.yaml" "$P"
fwd_sluiced "$SL_TMP/c.yaml" "$P" || exit 1
X="-s -m 5 -x http://127.0.0.1:$P -o $SL_TMP/body -w %{http_code}"
queries() { grep -c "^A $1\$" "$SL_TMP/dns.log"; }

code=$(curl $X "http://long.fwd.test:$O/one")
[ "$code" = 200 ]; ok $? "a name from the DNS stub is resolved and served ($code)"
grep -q '"Host", "long.fwd.test:'"$O"'"' "$SL_TMP/origin.log"; ok $? "origin got Host: long.fwd.test"
for i in 1 2 3 4; do curl $X "http://long.fwd.test:$O/again$i" >/dev/null; done
[ "$(queries long.fwd.test)" = 1 ]; ok $? "5 requests within the TTL: one A query ($(queries long.fwd.test))"

curl $X "http://short.fwd.test:$O/a" >/dev/null
curl $X "http://short.fwd.test:$O/b" >/dev/null
[ "$(queries short.fwd.test)" = 1 ]; ok $? "TTL 1 s: a second request at once is served from the cache"
sleep 2.2
code=$(curl $X "http://short.fwd.test:$O/c")
[ "$code" = 200 ] && [ "$(queries short.fwd.test)" = 2 ]; ok $? "after the TTL the name is asked again ($(queries short.fwd.test) queries)"

code=$(curl $X "http://nosuch.fwd.test:$O/")
[ "$code" = 502 ]; ok $? "unknown name: 502 ($code)"
grep -q "no such name" "$SL_TMP/body"; ok $? "502 body says the name does not exist"
logged '"GET http://nosuch.fwd.test:[0-9]+/ HTTP/1.1" 502 .*rule=resolve'; ok $? "logged with rule=resolve"
code=$(curl $X "http://NoSuch.fwd.test:$O/again")
[ "$code" = 502 ] && [ "$(queries nosuch.fwd.test)" = 1 ]; ok $? "the NXDOMAIN is cached: a second request (other case) asks nothing ($code, $(queries nosuch.fwd.test) A queries)"

# 8 clients miss the same name at once: one query, all served when it answers
python3 - "$P" "$O" >"$SL_TMP/slow.out" 2>&1 <<'EOP'
import http.client, sys, threading
p, o = int(sys.argv[1]), sys.argv[2]
res = []
def run(i):
    c = http.client.HTTPConnection("127.0.0.1", p, timeout=10)
    c.request("GET", "http://slow.fwd.test:%s/s%d" % (o, i))
    res.append(c.getresponse().status)
ts = [threading.Thread(target=run, args=(i,)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print("statuses", sorted(set(res)), len(res))
EOP
grep -q "statuses \[200\] 8" "$SL_TMP/slow.out" && [ "$(queries slow.fwd.test)" = 1 ]
ok $? "8 concurrent misses of a slow name: one A query, 8 x 200 ($(cat "$SL_TMP/slow.out"), $(queries slow.fwd.test) queries)"

# lookups run beside other traffic: 20 concurrent clients over 4 names
python3 - "$P" "$O" >"$SL_TMP/par.out" 2>&1 <<'EOP'
import http.client, sys, threading
p, o = int(sys.argv[1]), sys.argv[2]
res = []
def run(i):
    c = http.client.HTTPConnection("127.0.0.1", p, timeout=10)
    host = ["long.fwd.test", "short.fwd.test", "localhost", "127.0.0.1"][i % 4]
    c.request("GET", "http://%s:%s/p%d" % (host, o, i))
    res.append(c.getresponse().status)
ts = [threading.Thread(target=run, args=(i,)) for i in range(20)]
[t.start() for t in ts]; [t.join() for t in ts]
print("statuses", sorted(set(res)), len(res))
EOP
grep -q "statuses \[200\] 20" "$SL_TMP/par.out"; ok $? "20 concurrent requests over names and literals all 200 ($(cat "$SL_TMP/par.out"))"

# the hosts file answers before DNS (c-ares' "files" lookup, answered at once with TTL 0): a
# second sluiced in its own mount namespace sees a test hosts file, and a resolv.conf whose
# only server is loopback, so nothing leaves the machine if the hosts lookup missed
kill "$SLUICED_PID"; wait "$SLUICED_PID" 2>/dev/null
printf '127.0.0.1 hosts.fwd.test\n' >"$SL_TMP/hosts"
printf 'nameserver 127.0.0.1\n' >"$SL_TMP/resolv.conf"
if [ -e /etc/hosts ] && [ -e /etc/resolv.conf ]; then
	bg unshare -m bash -c "mount --bind '$SL_TMP/hosts' /etc/hosts && mount --bind '$SL_TMP/resolv.conf' /etc/resolv.conf &&
		exec env -u SLUICED_RESOLVER '$SL_BUILD/sluiced' -c '$SL_TMP/c.yaml' >>'$SL_TMP/sluiced.log' 2>&1"
	SLUICED_PID=$BG_PID
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P"
	for i in 1 2; do
		code=$(curl $X "http://hosts.fwd.test:$O/h$i")
		[ "$code" = 200 ]; ok $? "a name from the hosts file, request $i: 200 ($code)"
	done
else
	ok 0 "# SKIP no /etc/hosts or /etc/resolv.conf to bind over"
	ok 0 "# SKIP no /etc/hosts or /etc/resolv.conf to bind over"
fi
done_testing
