#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 balancing: round robin spreads evenly, weighted follows weights, hash pins a key to one server.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1; A=$UP_PORT
l7_upstream b || exit 1; B=$UP_PORT
l7_upstream c || exit 1; C=$UP_PORT
l7_proxy_start <<EOC || exit 1
      routes:
        - { match: { path_prefix: /rr }, upstream: rr }
        - { match: { path_prefix: /w }, upstream: wt }
        - { match: { path_prefix: /h }, upstream: hs }
        - { match: { path_prefix: /lc }, upstream: lc }
        - { match: { path_prefix: /p2c }, upstream: p2c }
  upstreams:
    - name: rr
      balance: round_robin
      servers: [ { address: 127.0.0.1:$A }, { address: 127.0.0.1:$B }, { address: 127.0.0.1:$C } ]
    - name: wt
      balance: weighted
      servers: [ { address: 127.0.0.1:$A, weight: 3 }, { address: 127.0.0.1:$B, weight: 1 } ]
    - name: hs
      balance: hash
      hash_key: header:X-User
      servers: [ { address: 127.0.0.1:$A }, { address: 127.0.0.1:$B }, { address: 127.0.0.1:$C } ]
    - name: lc
      balance: least_conn
      servers: [ { address: 127.0.0.1:$A }, { address: 127.0.0.1:$B } ]
    - name: p2c
      balance: p2c
      servers: [ { address: 127.0.0.1:$A }, { address: 127.0.0.1:$B }, { address: 127.0.0.1:$C } ]
EOC

l7_load "http://127.0.0.1:$P/rr" 300 3 >"$SL_TMP/rr"
sed 's/^/# /' "$SL_TMP/rr"
[ "$(count_of "200 a" "$SL_TMP/rr")" = 100 ] && [ "$(count_of "200 b" "$SL_TMP/rr")" = 100 ] &&
	[ "$(count_of "200 c" "$SL_TMP/rr")" = 100 ]; ok $? "round_robin: 100/100/100"

l7_load "http://127.0.0.1:$P/w" 400 4 >"$SL_TMP/w"
sed 's/^/# /' "$SL_TMP/w"
[ "$(count_of "200 a" "$SL_TMP/w")" = 300 ] && [ "$(count_of "200 b" "$SL_TMP/w")" = 100 ]; ok $? "weighted 3:1: 300/100"

l7_load "http://127.0.0.1:$P/h" 60 2 "X-User: alice" >"$SL_TMP/h1"
l7_load "http://127.0.0.1:$P/h" 60 2 "X-User: bob" >"$SL_TMP/h2"
l7_load "http://127.0.0.1:$P/h" 60 2 "X-User: carol" >"$SL_TMP/h3"
sed 's/^/# /' "$SL_TMP/h1" "$SL_TMP/h2" "$SL_TMP/h3"
[ "$(wc -l <"$SL_TMP/h1")" = 1 ] && [ "$(wc -l <"$SL_TMP/h2")" = 1 ] && [ "$(wc -l <"$SL_TMP/h3")" = 1 ]
ok $? "hash: each key always lands on one server"

l7_load "http://127.0.0.1:$P/lc" 100 2 >"$SL_TMP/lc"
sed 's/^/# /' "$SL_TMP/lc"
[ "$(count_of "200 a" "$SL_TMP/lc")" -gt 0 ] && [ "$(count_of "200 b" "$SL_TMP/lc")" -gt 0 ] &&
	[ $(( $(count_of "200 a" "$SL_TMP/lc") + $(count_of "200 b" "$SL_TMP/lc") )) = 100 ]
ok $? "least_conn: both servers used, every request answered"

l7_load "http://127.0.0.1:$P/p2c" 300 3 >"$SL_TMP/p2c"
sed 's/^/# /' "$SL_TMP/p2c"
pa=$(count_of "200 a" "$SL_TMP/p2c"); pb=$(count_of "200 b" "$SL_TMP/p2c"); pc=$(count_of "200 c" "$SL_TMP/p2c")
[ $((pa + pb + pc)) = 300 ] && [ "$pa" -ge 30 ] && [ "$pb" -ge 30 ] && [ "$pc" -ge 30 ]
ok $? "p2c: every server gets a share ($pa/$pb/$pc)"
done_testing
