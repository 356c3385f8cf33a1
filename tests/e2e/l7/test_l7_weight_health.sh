#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 live control: weights set through the admin API apply without reload; active HTTP health checks take a server out and back.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
[ -x "$SL_BUILD/sluicectl" ] || skip_all "build/sluicectl not built"

l7_upstream a || exit 1; A=$UP_PORT
l7_upstream b || exit 1; B=$UP_PORT
l7_proxy_start workers=2 <<EOC || exit 1
      routes:
        - { match: { path_prefix: /h }, upstream: checked }
        - { match: { path_prefix: / }, upstream: app }
  upstreams:
    - name: app
      balance: weighted
      servers: [ { address: 127.0.0.1:$A }, { address: 127.0.0.1:$B } ]
    - name: checked
      servers: [ { address: 127.0.0.1:$A }, { address: 127.0.0.1:$B } ]
      health: { type: http, path: /healthz, interval: 200ms, timeout: 200ms, rise: 1, fall: 1 }
EOC
U=http://127.0.0.1:$P
ctl() { "$SL_BUILD/sluicectl" -s "$(l7_admin)" "$@"; }

l7_load "$U/w" 100 2 >"$SL_TMP/w0"
[ "$(count_of "200 a" "$SL_TMP/w0")" = 50 ]; ok $? "equal weights: 50/50"
ctl backend set-weight "app/127.0.0.1:$B" 0 >"$SL_TMP/ctl.out" 2>&1; ok $? "sluicectl backend set-weight app/127.0.0.1:$B 0"
sleep 0.3
l7_load "$U/w" 100 2 >"$SL_TMP/w1"
sed 's/^/# /' "$SL_TMP/w1"
[ "$(count_of "200 a" "$SL_TMP/w1")" = 100 ]; ok $? "weight 0 (drain): every request to the other server, no reload"
ctl backend set-weight "app/127.0.0.1:$B" 3 >/dev/null 2>&1
sleep 0.3
l7_load "$U/w" 400 2 >"$SL_TMP/w2"
sed 's/^/# /' "$SL_TMP/w2"
[ "$(count_of "200 b" "$SL_TMP/w2")" = 300 ]; ok $? "weight 1:3 applied live (300 of 400 to b)"

curl -s -m 2 "http://127.0.0.1:$B/sick" >/dev/null
sleep 1
l7_load "$U/h" 100 2 >"$SL_TMP/h1"
sed 's/^/# /' "$SL_TMP/h1"
[ "$(count_of "200 a" "$SL_TMP/h1")" = 100 ]; ok $? "failing health check: server out of rotation"
kill -HUP "$SLUICED_PID"; sleep 0.2
l7_load "$U/h" 100 2 >"$SL_TMP/h1r"
sed 's/^/# /' "$SL_TMP/h1r"
[ "$(count_of "200 a" "$SL_TMP/h1r")" = 100 ]; ok $? "a reload keeps the down verdict while the new checks warm up"
curl -s -m 2 "http://127.0.0.1:$B/well" >/dev/null
sleep 1
l7_load "$U/h" 100 2 >"$SL_TMP/h2"
sed 's/^/# /' "$SL_TMP/h2"
[ "$(count_of "200 b" "$SL_TMP/h2")" -gt 20 ]; ok $? "healthy again: back in rotation"
done_testing
