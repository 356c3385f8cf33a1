#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 canary routing: a 95/5 split within tolerance, and a header route placed first that forces the canary.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream stable || exit 1; S=$UP_PORT
l7_upstream canary || exit 1; C=$UP_PORT
l7_proxy_start workers=2 <<EOC || exit 1
      routes:
        - match: { header: "X-Canary: 1" }
          upstream: app-next
        - match: { path_prefix: / }
          split: [ { upstream: app, weight: 95 }, { upstream: app-next, weight: 5 } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$S } ] }
    - { name: app-next, servers: [ { address: 127.0.0.1:$C } ] }
EOC

l7_load "http://127.0.0.1:$P/x" 2000 4 >"$SL_TMP/s"
sed 's/^/# /' "$SL_TMP/s"
st=$(count_of "200 stable" "$SL_TMP/s"); ca=$(count_of "200 canary" "$SL_TMP/s")
[ $((st + ca)) = 2000 ]; ok $? "every request answered"
# 5% of 2000 = 100; binomial sd ~ 9.7: accept 60..140 (4 sd)
[ "$ca" -ge 60 ] && [ "$ca" -le 140 ]; ok $? "canary share within tolerance ($ca of 2000)"
l7_load "http://127.0.0.1:$P/x" 200 2 "X-Canary: 1" >"$SL_TMP/h"
sed 's/^/# /' "$SL_TMP/h"
[ "$(count_of "200 canary" "$SL_TMP/h")" = 200 ]; ok $? "X-Canary: 1 always reaches the canary"
done_testing
