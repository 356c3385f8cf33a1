#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 passive ejection: 5xx counts only with fail_on: [5xx], the last available server is never ejected, and with every server out requests are tried anyway (counted in /metrics).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1; A=$UP_PORT
l7_upstream d1 || exit 1; D1=$UP_PORT
l7_upstream d2 || exit 1; D2=$UP_PORT
l7_upstream b || exit 1; B=$UP_PORT
l7_upstream c || exit 1; C=$UP_PORT
# d1 and d2 fail their health checks from the start
curl -s -m 2 "http://127.0.0.1:$D1/sick" >/dev/null
curl -s -m 2 "http://127.0.0.1:$D2/sick" >/dev/null

# codes URL N: the status codes of N GETs, one connection each, on one line
codes() { for _ in $(seq 1 "$2"); do curl -s -m 5 -o /dev/null -w '%{http_code} ' "$1"; done; }
# froms URL N: "STATUS X-Upstream" of N GETs, one line
froms() {
	for _ in $(seq 1 "$2"); do
		curl -s -m 5 -D - -o /dev/null "$1" | tr -d '\r' |
			awk '/^HTTP/ {s=$2} tolower($1) == "x-upstream:" {u=$2} END {printf "%s %s, ", s, u}'
	done
}

# ---- defaults: one server, no fail_on ----
l7_proxy_start <<EOC || exit 1
      routes:
        - { match: { path_prefix: /solo }, upstream: solo }
        - { match: { path_prefix: /down }, upstream: down }
  upstreams:
    - name: solo
      servers: [ { address: 127.0.0.1:$A } ]
    - name: down
      servers: [ { address: 127.0.0.1:$D1 }, { address: 127.0.0.1:$D2 } ]
      health: { type: http, path: /healthz, interval: 200ms, timeout: 200ms, rise: 1, fall: 1 }
EOC
U=http://127.0.0.1:$P

got=$(codes "$U/solo/status/500" 5)
[ "$got" = "500 500 500 500 500 " ]; ok $? "the origin's 500s pass through ($got)"
got=$(codes "$U/solo/x" 3)
[ "$got" = "200 200 200 " ]; ok $? "default fail_on: five 500s in a row do not eject the server ($got)"
! grep -q "solo.*ejected" "$SL_TMP/sluiced.log"; ok $? "no ejection logged for solo"

wait_for 5 bash -c "[ \$(grep -c 'down/.*health: down' '$SL_TMP/sluiced.log') = 2 ]"
ok $? "both servers of 'down' fail their health checks"
got=$(froms "$U/down/x" 4)
[ "$got" = "200 d1, 200 d2, 200 d1, 200 d2, " ]; ok $? "every server health-checked down: tried anyway, answered by the origin ($got)"
grep -q "upstream down: no server available" "$SL_TMP/sluiced.log"; ok $? "... and logged"
n=$(l7_metric sluice_http_upstream_panic_total)
[ "${n:-0}" -ge 4 ]; ok $? "... and counted: sluice_http_upstream_panic_total $n"
curl -s -m 2 "http://127.0.0.1:$D1/well" >/dev/null
wait_for 5 grep -q "down/127.0.0.1:$D1: health: up" "$SL_TMP/sluiced.log"
sleep 0.2   # workers fold verdicts in every 16 ms
got=$(froms "$U/down/x" 4)
[ "$got" = "200 d1, 200 d1, 200 d1, 200 d1, " ]; ok $? "one server back up: only it is used ($got)"
[ "$(l7_metric sluice_http_upstream_panic_total)" = "$n" ]; ok $? "... and the panic counter stays"
kill "$SLUICED_PID"; wait "$SLUICED_PID" 2>/dev/null

# ---- fail_on: [5xx]: two servers, then one left ----
P=$(free_port)
{
	sl_config_l7_head "$(l7_admin)" "127.0.0.1:$P" 1 pub
	cat <<EOC
      routes: [ { match: { path_prefix: / }, upstream: pair } ]
  upstreams:
    - name: pair
      fail_on: [connect, timeout, 5xx]
      max_fails: 3
      fail_timeout: 30s
      servers: [ { address: 127.0.0.1:$B }, { address: 127.0.0.1:$C } ]
EOC
} >"$SL_TMP/c2.yaml"
: >"$SL_TMP/sluiced.log"
l7_sluiced "$SL_TMP/c2.yaml" "$P" || exit 1
U=http://127.0.0.1:$P
got=$(codes "$U/status/500" 8)
[ "$got" = "500 500 500 500 500 500 500 500 " ]; ok $? "eight 500s from the pair ($got)"
[ "$(grep -c "pair/.*: ejected for" "$SL_TMP/sluiced.log")" = 1 ]; ok $? "fail_on 5xx: exactly one of the two ejected"
grep -q "pair/.*not ejected: the last server available" "$SL_TMP/sluiced.log"; ok $? "the other reached max_fails but was kept (logged)"
got=$(froms "$U/x" 4)
case "$got" in
"200 b, 200 b, 200 b, 200 b, " | "200 c, 200 c, 200 c, 200 c, ") r=0 ;;
*) r=1 ;;
esac
ok $r "the kept server answers everything ($got)"
got=$(codes "$U/status/500" 5)$(codes "$U/x" 2)
[ "$got" = "500 500 500 500 500 200 200 " ]; ok $? "more 500s still do not eject the last one ($got)"
[ "$(l7_metric sluice_http_upstream_ejections_total)" = 1 ]; ok $? "sluice_http_upstream_ejections_total 1"
n=$(l7_metric sluice_http_upstream_ejections_skipped_total)
[ "${n:-0}" -ge 1 ]; ok $? "sluice_http_upstream_ejections_skipped_total $n"

# a reload applies fail_on like the other upstream keys (a new generation starts with nothing ejected)
sed -i 's/fail_on: \[connect, timeout, 5xx\]/fail_on: [connect, timeout]/' "$SL_TMP/c2.yaml"
kill -HUP "$SLUICED_PID"
wait_for 5 grep -q "reload: .* applied" "$SL_TMP/sluiced.log"; ok $? "reloaded without 5xx in fail_on"
sleep 0.2   # workers switch generations within a loop turn
got=$(codes "$U/status/500" 8)$(froms "$U/x" 2)
[ "$got" = "500 500 500 500 500 500 500 500 200 b, 200 c, " ]; ok $? "after the reload 5xx count no more: both serve ($got)"
[ "$(l7_metric sluice_http_upstream_ejections_total)" = 1 ]; ok $? "... no new ejection"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
