#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Forward proxy restrictions: clients, denied and unlisted hosts, CONNECT ports, and SSRF (names and literals) refused with 403 and logged.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/fwd_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

fwd_origin || exit 1
O=$ORIGIN_PORT
fwd_dns "loop.fwd.test=127.0.0.1" "ten.fwd.test=10.9.8.7" "meta.fwd.test=169.254.169.254" "pub.fwd.test=198.18.5.5" || exit 1
P=$(free_port)
X="-s -m 5 -x http://127.0.0.1:$P -o $SL_TMP/body -w %{http_code}"

# 1. a client outside allow_clients (loopback is not in it here)
fwd_config "$SL_TMP/c.yaml" "$P" "    allow_clients: [198.18.0.0/15]
    allow_private_destinations: true"
fwd_sluiced "$SL_TMP/c.yaml" "$P" || exit 1
code=$(curl $X "http://127.0.0.1:$O/")
[ "$code" = 403 ]; ok $? "client not in allow_clients: 403 ($code)"
grep -q "may not use the proxy" "$SL_TMP/body"; ok $? "403 body gives the reason"
logged '"GET http://127.0.0.1:[0-9]+/ HTTP/1.1" 403 .*rule=allow_clients'; ok $? "logged with rule=allow_clients"
[ "$(grep -c '"line"' "$SL_TMP/origin.log")" = 0 ]; ok $? "nothing reached the origin"

# 2. host rules and CONNECT ports
fwd_config "$SL_TMP/c.yaml" "$P" "    allow_private_destinations: true
    allow_hosts: [localhost, '*.fwd.test', 127.0.0.1]
    deny_hosts: [ten.fwd.test, '*.bad.fwd.test']
    connect_ports: [443]"
fwd_reload
code=$(curl $X "http://ten.fwd.test:$O/")
[ "$code" = 403 ] && logged '"GET http://ten.fwd.test:[0-9]+/ HTTP/1.1" 403 .*rule=deny_hosts:ten.fwd.test'
ok $? "exact name in deny_hosts: 403, rule=deny_hosts:ten.fwd.test ($code)"
code=$(curl $X "http://x.bad.fwd.test:$O/")
[ "$code" = 403 ] && logged '"GET http://x.bad.fwd.test:[0-9]+/ HTTP/1.1" 403 .*rule=deny_hosts:\*.bad.fwd.test'
ok $? "wildcard deny: 403, rule=deny_hosts:*.bad.fwd.test ($code)"
code=$(curl $X "http://example.org:$O/")
[ "$code" = 403 ] && logged '"GET http://example.org:[0-9]+/ HTTP/1.1" 403 .*rule=allow_hosts( |$)'
ok $? "host not in allow_hosts: 403 before any lookup, rule=allow_hosts ($code)"
! grep -q example.org "$SL_TMP/dns.log"; ok $? "a refused name is never resolved"
code=$(curl $X "http://localhost:$O/")
[ "$code" = 200 ]; ok $? "an allowed host still passes ($code)"
code=$(curl -s -m 5 -p -x "http://127.0.0.1:$P" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$O/" 2>/dev/null; true)
logged "\"CONNECT 127.0.0.1:$O HTTP/1.1\" 403 .*rule=connect_ports:$O"; ok $? "CONNECT to a port not in connect_ports: 403, rule=connect_ports:$O"

# 3. SSRF: private destinations refused by default, by address after resolution
fwd_config "$SL_TMP/c.yaml" "$P" "    allow_private_destinations: false
    connect_ports: [443, $O]"
fwd_reload
: >"$SL_TMP/origin.log"
for t in "127.0.0.1:$O/literal" "10.1.2.3/" "169.254.169.254/latest/meta-data" "[::1]:$O/" "localhost:$O/" \
	 "loop.fwd.test:$O/" "ten.fwd.test/" "meta.fwd.test/" "0.0.0.0:$O/" "[::ffff:127.0.0.1]:$O/" "2130706433:$O/"; do
	code=$(curl $X "http://$t")
	[ "$code" = 403 ]; ok $? "SSRF http://$t refused: 403 ($code)"
done
logged "\"GET http://loop.fwd.test:$O/ HTTP/1.1\" 403 .*rule=destination:loopback"; ok $? "a name resolving to 127.0.0.1 logged as destination:loopback"
logged '"GET http://ten.fwd.test/ HTTP/1.1" 403 .*rule=destination:private'; ok $? "10.x logged as destination:private"
logged '"GET http://169.254.169.254/latest/meta-data HTTP/1.1" 403 .*rule=destination:link-local'; ok $? "169.254.x logged as destination:link-local"
logged '"GET http://\[::1\]:[0-9]+/ HTTP/1.1" 403 .*rule=destination:loopback'; ok $? "[::1] logged as destination:loopback"
code=$(curl -s -m 5 -p -x "http://127.0.0.1:$P" -o /dev/null -w '%{http_code}' "https://loop.fwd.test:$O/" 2>/dev/null; true)
logged "\"CONNECT loop.fwd.test:$O HTTP/1.1\" 403 .*rule=destination:loopback"; ok $? "CONNECT to a name resolving to loopback: 403"
[ "$(grep -c '"line"' "$SL_TMP/origin.log")" = 0 ]; ok $? "no SSRF attempt reached the loopback origin"
grep -q "destination refused (loopback)" "$SL_TMP/body" 2>/dev/null || curl $X "http://localhost:$O/" >/dev/null
grep -q "destination refused" "$SL_TMP/body"; ok $? "403 body names the reason"

# the proxy never connects to itself, even with private destinations allowed
fwd_config "$SL_TMP/c.yaml" "$P" "    allow_private_destinations: true"
fwd_reload
code=$(curl $X "http://127.0.0.1:$P/")
[ "$code" = 403 ] && logged "\"GET http://127.0.0.1:$P/ HTTP/1.1\" 403 .*rule=loop"; ok $? "a request to the proxy itself: 403, rule=loop ($code)"
done_testing
