#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 upstream killed mid-response: the client sees a cut response (never a hang), the proxy keeps serving.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_proxy_one_upstream upstream_keys="max_fails: 0" listener_key="access_log: { path: $SL_TMP/access.log }" || exit 1
U=http://127.0.0.1:$P
start=$SECONDS
curl -s -m 10 -o "$SL_TMP/cut" "$U/kill/100000"; rc=$?
n=$(wc -c <"$SL_TMP/cut")
[ $rc = 18 ] || [ $rc = 56 ]; ok $? "client sees a truncated transfer (curl exit $rc, $n of 200000 bytes)"
[ $((SECONDS - start)) -le 3 ]; ok $? "no hang"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$U/after")
[ "$code" = 200 ]; ok $? "next request served ($code)"

# the upstream process itself dies mid-stream
l7_upstream b || exit 1; B=$UP_PORT; BPID=$BG_PID
sed -i "s/127.0.0.1:$A/127.0.0.1:$B/" "$SL_TMP/c.yaml"
kill -HUP "$SLUICED_PID"; sleep 0.5
# killed once the response is under way (the first bytes reached the client), not after a
# fixed delay: on a loaded machine the origin may not have answered yet, and a 502 is no cut
: >"$SL_TMP/cut2"
( for _ in $(seq 100); do [ -s "$SL_TMP/cut2" ] && break; sleep 0.1; done; kill -9 "$BPID" ) &
curl -s -m 15 --limit-rate 5M -o "$SL_TMP/cut2" "$U/size/50000000"; rc=$?
[ $rc != 0 ] && [ $rc != 28 ]; ok $? "upstream process killed: client sees an error, not a timeout (curl exit $rc)"
wait "$BPID" 2>/dev/null   # reap it quietly (bash would report "Killed")
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$U/again")
[ "$code" = 502 ]; ok $? "dead upstream: 502 ($code)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
wait_for 3 grep -q '"GET /kill/100000 HTTP/1.1" 200' "$SL_TMP/access.log"; ok $? "cut response logged"
done_testing
