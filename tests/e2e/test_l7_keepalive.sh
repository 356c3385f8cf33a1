#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 upstream keep-alive: many client connections reuse a few pooled upstream connections.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1; A=$UP_PORT
P=$(free_port)
cat >"$SL_TMP/c.yaml" <<EOC
workers: 1
admin: { listen: $(l7_admin) }
l7:
  listeners:
    - name: pub
      listen: 127.0.0.1:$P
      mode: reverse
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, keepalive: 8, servers: [ { address: 127.0.0.1:$A } ] }
EOC
l7_sluiced "$SL_TMP/c.yaml" "$P" || exit 1
before=$(up_stats "$A" connections)
for i in $(seq 1 100); do curl -s -m 5 -o /dev/null "http://127.0.0.1:$P/n$i"; done   # 100 client connections, one after another
l7_load "http://127.0.0.1:$P/x" 400 4 >"$SL_TMP/l"
after=$(up_stats "$A" connections)
reqs=$(up_stats "$A" requests)
used=$((after - before - 1))   # minus the /stats connection itself
diag "upstream connections used: $used for 500 requests ($reqs requests seen)"
[ "$(count_of "200 a" "$SL_TMP/l")" = 400 ]; ok $? "400 keep-alive requests answered"
[ "$used" -ge 1 ] && [ "$used" -le 4 ]; ok $? "upstream connections reused ($used for 500 requests)"
done_testing
