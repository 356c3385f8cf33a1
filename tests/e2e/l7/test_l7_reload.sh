#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 reload under load: SIGHUP swaps upstreams and routes while keep-alive clients keep going, with zero failed requests.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1; A=$UP_PORT
l7_upstream b || exit 1; B=$UP_PORT
P=$(free_port)
conf() {
	{
		sl_config_l7_head "$(l7_admin)" "127.0.0.1:$P" 2 pub
		cat <<EOC
      access_log: { path: $SL_TMP/access.log }
      routes: [ { match: { path_prefix: / }, upstream: $1 } ]
  upstreams:
    - { name: one, servers: [ { address: 127.0.0.1:$A } ] }
    - { name: two, servers: [ { address: 127.0.0.1:$B } ] }
EOC
	} >"$SL_TMP/c.yaml.new"
	mv "$SL_TMP/c.yaml.new" "$SL_TMP/c.yaml"
}
conf one
l7_sluiced "$SL_TMP/c.yaml" "$P" || exit 1
U=http://127.0.0.1:$P

l7_load "$U/x" 4000 4 >"$SL_TMP/load" &
LOAD=$!
_sl_pids+=("$LOAD")
for i in 1 2 3 4 5 6; do
	sleep 0.4
	if [ $((i % 2)) = 1 ]; then conf two; else conf one; fi
	kill -HUP "$SLUICED_PID"
done
wait "$LOAD"
sed 's/^/# /' "$SL_TMP/load"
a=$(count_of "200 a" "$SL_TMP/load"); b=$(count_of "200 b" "$SL_TMP/load")
[ $((a + b)) = 4000 ]; ok $? "4000 requests across 6 reloads, none failed ($a to one, $b to two)"
[ "$a" -gt 0 ] && [ "$b" -gt 0 ]; ok $? "both configs served traffic"
conf two; kill -HUP "$SLUICED_PID"; sleep 0.5
out=$(curl -s -m 5 "$U/final")
[ "$out" = "b /final" ]; ok $? "the last config wins ($out)"
grep -q "reload: .* applied" "$SL_TMP/sluiced.log"; ok $? "reloads applied"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
kill -TERM "$SLUICED_PID"; wait_for 5 bash -c "! kill -0 $SLUICED_PID"
lines=$(wc -l <"$SL_TMP/access.log")
[ "$lines" = 4001 ]; ok $? "access log lines == requests served ($lines)"
done_testing
