#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Admin API on L7 servers: sluicectl backend drain/enable/set-weight UPSTREAM/SERVER changes who serves requests, live;
# a drain survives a reload until the config's weight for that server changes.
. "$(dirname "$0")/../lib/lib.sh"
need_root
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
NS=sl$$-l7
on_exit "ip netns del $NS"
ip netns add "$NS" && ip -n "$NS" link set lo up || { echo "Bail out! cannot make $NS"; exit 1; }
ADMIN=unix:$SL_TMP/admin.sock
ctl() { "$SL_BUILD/sluicectl" -s "$ADMIN" "$@"; }

for i in 1 2; do
	mkdir -p "$SL_TMP/www$i"
	echo "s$i" >"$SL_TMP/www$i/index.html"
	bg sh -c 'exec "$@" >/dev/null 2>&1' _ ip netns exec "$NS" python3 -m http.server "900$i" --bind 127.0.0.1 --directory "$SL_TMP/www$i"
done
# Both servers must answer before sluiced starts: one still starting would be ejected (connect refused).
for i in 1 2; do
	wait_for 10 ip netns exec "$NS" curl -s -m 1 -o /dev/null "http://127.0.0.1:900$i/" || diag "server $i did not start"
done
cat >"$SL_TMP/sluice.yaml" <<EOF
workers: 1
admin:
  listen: $ADMIN
l7:
  listeners:
    - name: public
      listen: 127.0.0.1:8080
      mode: reverse
      routes:
        - match: { path_prefix: / }
          upstream: app
  upstreams:
    - name: app
      balance: round_robin
      servers:
        - { address: 127.0.0.1:9001 }
        - { address: 127.0.0.1:9002 }
EOF
bg sh -c 'exec "$@" >>"$0" 2>&1' "$SL_TMP/sluiced.log" ip netns exec "$NS" "$SL_BUILD/sluiced" -c "$SL_TMP/sluice.yaml"
wait_for 10 ctl status
ok $? "sluiced runs with an L7 listener and no L4 section"
wait_for 10 sh -c "ip netns exec $NS curl -s -m 1 http://127.0.0.1:8080/ | grep -q '^s[12]'"
ok $? "the listener answers" || tail -5 "$SL_TMP/sluiced.log" | sed 's/^/#   /'

who() { local i out=""; for i in $(seq "$1"); do out+="$(ip netns exec "$NS" curl -s -m 2 http://127.0.0.1:8080/ || echo F) "; done; echo "$out"; }
out=$(who 10)
[[ $out == *s1* && $out == *s2* ]]
ok $? "both servers serve: $out"

ctl backend drain app/127.0.0.1:9001 >"$SL_TMP/out"
ok $? "sluicectl backend drain app/127.0.0.1:9001: $(cat "$SL_TMP/out")"
sleep 0.2
out=$(who 10)
[[ $out != *s1* && $out == *s2* ]]
ok $? "drained server gets no new requests: $out"

ctl --json backend enable app/127.0.0.1:9001 | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["tier"] == "l7" and d["weight"] == d["config_weight"] else 1)'
ok $? "enable restores the config weight (--json answer)"
sleep 0.2
out=$(who 10)
[[ $out == *s1* ]]
ok $? "s1 serves again: $out"

# a reload for another reason keeps the drain; a new config weight for the server replaces it
ctl backend drain app/127.0.0.1:9001 >/dev/null
sed -i 's/balance: round_robin/balance: round_robin   # touched/' "$SL_TMP/sluice.yaml"
ctl reload >/dev/null; ok $? "reload with the server drained"
sleep 0.3
out=$(who 10)
[[ $out != *s1* && $out == *s2* ]]
ok $? "still drained after the reload: $out"
sed -i 's/{ address: 127.0.0.1:9001 }/{ address: 127.0.0.1:9001, weight: 2 }/' "$SL_TMP/sluice.yaml"
ctl reload >/dev/null
sleep 0.3
out=$(who 10)
[[ $out == *s1* ]]
ok $? "the config changed that server's weight: the config's applies, it serves again: $out"

ctl backend set-weight app/127.0.0.1:9009 5 2>"$SL_TMP/err"
[ $? = 1 ] && grep -q "no such backend" "$SL_TMP/err"
ok $? "unknown server: exit 1 with a hint"
done_testing
