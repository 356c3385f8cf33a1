#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 upstream keep-alive: many client connections reuse a few pooled upstream connections.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_proxy_one_upstream upstream_keys="keepalive: 8" || exit 1
before=$(up_stats "$A" connections)
for i in $(seq 1 100); do curl -s -m 5 -o /dev/null "http://127.0.0.1:$P/n$i"; done   # 100 client connections, one after another
l7_load "http://127.0.0.1:$P/x" 400 4 >"$SL_TMP/l"
after=$(up_stats "$A" connections)
reqs=$(up_stats "$A" requests)
used=$((after - before - 1))   # minus the /stats connection itself
diag "upstream connections used: $used for 500 requests ($reqs requests seen)"
[ "$(count_of "200 a" "$SL_TMP/l")" = 400 ]; ok $? "400 keep-alive requests answered"
[ "$used" -ge 1 ] && [ "$used" -le 4 ]; ok $? "upstream connections reused ($used for 500 requests)"
m=$(curl -s -m 5 --unix-socket "$SL_TMP/admin.sock" http://x/metrics)
metric() { echo "$m" | awk -v k="$1" '$1 == k {print $2}'; }
[ "$(metric sluice_http_requests_total)" = 500 ] && [ "$(metric 'sluice_http_responses_total{class="2xx"}')" = 500 ] &&
	[ "$(metric sluice_http_connections_accepted_total)" = 105 ]   # 100 curl, 4 load, 1 readiness probe
ok $? "/metrics counts the requests, 2xx responses and client connections ($(metric sluice_http_requests_total), $(metric 'sluice_http_responses_total{class="2xx"}'), $(metric sluice_http_connections_accepted_total))"
c=$(metric sluice_http_upstream_connects_total); r=$(metric sluice_http_upstream_reuses_total)
[ "$c" = "$used" ] && [ $((c + r)) = 500 ]; ok $? "/metrics: upstream connects and reuses add up to the requests ($c + $r)"
done_testing
