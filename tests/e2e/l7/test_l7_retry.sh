#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 failure handling: refused connects and resets before a response are retried for idempotent requests, then 502; passive ejection.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1; A=$UP_PORT
l7_upstream b || exit 1; Bp=$UP_PORT
DEAD=$(free_port)   # nothing listens there: connect is refused
l7_proxy_start <<EOC || exit 1
      routes:
        - { match: { path_prefix: /d }, upstream: withdead }
        - { match: { path_prefix: / }, upstream: app }
  upstreams:
    - name: withdead
      retries: 1
      max_fails: 3
      fail_timeout: 30s
      servers: [ { address: 127.0.0.1:$DEAD }, { address: 127.0.0.1:$A } ]
    - name: app
      retries: 1
      max_fails: 0
      servers: [ { address: 127.0.0.1:$A }, { address: 127.0.0.1:$Bp } ]
EOC
U=http://127.0.0.1:$P

l7_load "$U/d/x" 40 2 >"$SL_TMP/g"
sed 's/^/# /' "$SL_TMP/g"
[ "$(count_of "200 a" "$SL_TMP/g")" = 40 ]; ok $? "GETs to a refused server are retried on the live one (40/40)"
wait_for 2 grep -q "ejected" "$SL_TMP/sluiced.log"; ok $? "refusing server passively ejected after max_fails"
codes=$(for i in 1 2 3 4 5 6; do curl -s -m 5 -o /dev/null -w '%{http_code} ' -d x=1 "$U/d/echo"; done)
[ "$codes" = "200 200 200 200 200 200 " ]; ok $? "POSTs go only to the live server once the dead one is ejected ($codes)"

ra=$(up_stats "$A" requests); rb=$(up_stats "$Bp" requests)
start=$SECONDS
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$U/noreply")
[ "$code" = 502 ]; ok $? "reset before any response byte on every try: 502 ($code)"
[ $((SECONDS - start)) -le 3 ]; ok $? "answered promptly"
ra2=$(up_stats "$A" requests); rb2=$(up_stats "$Bp" requests)
tries=$(( (ra2 - ra - 1) + (rb2 - rb - 1) ))   # minus the /stats requests themselves
[ "$tries" = 2 ]; ok $? "idempotent GET tried twice (retries: 1), $tries attempts"
ra=$ra2; rb=$rb2
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST -d 'a=1' "$U/noreply")
[ "$code" = 502 ]; ok $? "POST with a body: 502 without retry"
ra2=$(up_stats "$A" requests); rb2=$(up_stats "$Bp" requests)
tries=$(( (ra2 - ra - 1) + (rb2 - rb - 1) ))
[ "$tries" = 1 ]; ok $? "non-idempotent request sent once ($tries)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
