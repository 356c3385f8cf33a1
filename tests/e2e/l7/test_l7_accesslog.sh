#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 access log: one JSON line per request with upstream, times, status, bytes and request id; reopened on SIGUSR1; flushed on stop.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1; A=$UP_PORT
Q=$(free_port)
l7_proxy_start workers=2 <<EOC || exit 1
      access_log: { path: $SL_TMP/access.json, format: json }
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: other
      listen: 127.0.0.1:$Q
      mode: reverse
      access_log: { path: $SL_TMP/access.log, format: combined }
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$A } ] }
EOC

rid=$(curl -s -m 5 "http://127.0.0.1:$P/headers" | tr -d '\r' | sed -n 's/^X-Request-Id: //p')
curl -s -m 5 -o /dev/null -A 'agent "quoted"' -e http://ref.example/ "http://127.0.0.1:$P/size/1234?q=1"
curl -s -m 5 -o /dev/null "http://127.0.0.1:$P/status/503"
curl -s -m 5 -o /dev/null "http://127.0.0.1:$Q/combined"
l7_load "http://127.0.0.1:$P/load" 200 4 >/dev/null
wait_for 3 bash -c "[ \$(wc -l <'$SL_TMP/access.json') = 203 ]"; ok $? "203 requests, 203 JSON lines (batched writes reach the file)"
python3 - "$SL_TMP/access.json" "$rid" "$A" >"$SL_TMP/chk" <<'EOP'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
by = {l["uri"]: l for l in lines}
h, s, e = by["/headers"], by["/size/1234?q=1"], by["/status/503"]
print("rid", h["request_id"] == sys.argv[2] and len(sys.argv[2]) == 16)
print("upstream", s["upstream"] == "127.0.0.1:" + sys.argv[3] and s["upstream_time"] is not None)
print("fields", s["status"] == 200 and s["bytes_out"] > 1234 and s["bytes_in"] > 50 and s["method"] == "GET"
      and s["user_agent"] == 'agent "quoted"' and s["referer"] == "http://ref.example/" and s["cache"] == "-"
      and s["request_time"] >= 0 and s["protocol"] == "HTTP/1.1")
print("status", e["status"] == 503)
EOP
sed 's/^/# /' "$SL_TMP/chk"
grep -q "rid True" "$SL_TMP/chk"; ok $? "request id in the log is the X-Request-Id sent upstream"
grep -q "upstream True" "$SL_TMP/chk"; ok $? "upstream address and time"
grep -q "fields True" "$SL_TMP/chk"; ok $? "status, bytes, agent, referer, cache fields"
grep -q "status True" "$SL_TMP/chk"; ok $? "upstream status logged"
wait_for 3 grep -q '"GET /combined HTTP/1.1" 200 .* upstream=127.0.0.1:' "$SL_TMP/access.log"; ok $? "combined format on the other listener"

mv "$SL_TMP/access.json" "$SL_TMP/access.json.1"
kill -USR1 "$SLUICED_PID"; sleep 0.3
l7_load "http://127.0.0.1:$P/after" 20 2 >/dev/null
wait_for 3 bash -c "[ \$(wc -l <'$SL_TMP/access.json' 2>/dev/null) = 20 ]"; ok $? "SIGUSR1: new lines go to a fresh file"
[ "$(wc -l <"$SL_TMP/access.json.1")" = 203 ]; ok $? "rotated file kept its lines"
l7_load "http://127.0.0.1:$P/last" 50 2 >/dev/null
kill -TERM "$SLUICED_PID"; wait_for 5 bash -c "! kill -0 $SLUICED_PID"
[ "$(wc -l <"$SL_TMP/access.json")" = 70 ]; ok $? "stop flushes every buffered line ($(wc -l <"$SL_TMP/access.json"))"
done_testing
