#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 access log body capture: sampled routes log headers (Authorization and Cookie redacted) and the first body bytes both ways.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1
l7_proxy_start <<EOC || exit 1
      access_log: { path: $SL_TMP/access.json, format: json, body_bytes: 16 }
      routes:
        - { match: { path_prefix: /cap }, upstream: app, log_body_sample: 1 }
        - { match: { path_prefix: / }, upstream: app }
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$UP_PORT } ] }
EOC
curl -s -m 5 -o /dev/null -H "Authorization: Bearer secret" -H "Cookie: sid=secret" -H "X-Other: visible" \
	--data-binary "request body that is longer than sixteen bytes" "http://127.0.0.1:$P/cap/echo"
curl -s -m 5 -o /dev/null -H "Authorization: Bearer secret" --data-binary "not sampled" "http://127.0.0.1:$P/plain/echo"
kill -TERM "$SLUICED_PID"; wait_for 5 bash -c "! kill -0 $SLUICED_PID"
python3 - "$SL_TMP/access.json" >"$SL_TMP/chk" <<'EOP'
import json, sys
by = {l["uri"]: l for l in map(json.loads, open(sys.argv[1]))}
c, p = by["/cap/echo"], by["/plain/echo"]
print("reqbody", c.get("request_body") == "request body tha")
print("respbody", c.get("response_body") == "request body tha")
h = c.get("request_headers", {})
print("redacted", h.get("Authorization") == "[redacted]" and h.get("Cookie") == "[redacted]" and h.get("X-Other") == "visible")
print("unsampled", "request_body" not in p and "request_headers" not in p)
print("nosecret", "secret" not in open(sys.argv[1]).read())
EOP
sed 's/^/# /' "$SL_TMP/chk"
grep -q "reqbody True" "$SL_TMP/chk"; ok $? "first body_bytes of the request body logged"
grep -q "respbody True" "$SL_TMP/chk"; ok $? "first body_bytes of the response body logged"
grep -q "redacted True" "$SL_TMP/chk"; ok $? "Authorization and Cookie redacted, other headers logged"
grep -q "unsampled True" "$SL_TMP/chk"; ok $? "routes without log_body_sample capture nothing"
grep -q "nosecret True" "$SL_TMP/chk"; ok $? "no secret anywhere in the log"
done_testing
