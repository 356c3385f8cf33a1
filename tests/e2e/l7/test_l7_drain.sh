#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 stop: SIGTERM stops accepting, lets in-flight requests finish within the drain time, then exits.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_proxy_one_upstream workers=2 || exit 1
U=http://127.0.0.1:$P
curl -s -m 10 -o "$SL_TMP/slow" -w '%{http_code}' "$U/delay/1500" >"$SL_TMP/code" &
C1=$!
sleep 0.4
start=$SECONDS
kill -TERM "$SLUICED_PID"
sleep 0.3
code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$U/new")
[ "$code" = 000 ]; ok $? "no new connections once stopping ($code)"
wait "$C1"
[ "$(cat "$SL_TMP/code")" = 200 ] && [ "$(cat "$SL_TMP/slow")" = "late" ]; ok $? "in-flight request finished during the drain"
wait_for 6 bash -c "! kill -0 $SLUICED_PID"; ok $? "exited after the drain"
[ $((SECONDS - start)) -le 4 ]; ok $? "did not wait the whole drain time once idle"
done_testing
