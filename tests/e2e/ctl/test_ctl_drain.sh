#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Control plane: draining a backend (sluicectl backend drain) keeps its open connections alive and sends it no new ones.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

ctl_up 2

# 20 connections, open and talking for 6 s; Maglev puts about half on be1.
ip netns exec "$NS_CLI" "$L4_PY" "$L4_TOOL" hold "$VIP4" -n 20 --seconds 6 --interval 0.2 \
	--ready "$SL_TMP/held" >"$SL_TMP/hold.json" 2>&1 &
hold=$!
_sl_pids+=("$hold")
wait_for 10 test -e "$SL_TMP/held"
ok $? "20 long-lived connections open"

ctl backend drain "web/$BE1_IP4" >"$SL_TMP/drain.out"
ok $? "sluicectl backend drain web/$BE1_IP4"
grep -q "drain" "$SL_TMP/drain.out"
ok $? "it answers with the drained state: $(cat "$SL_TMP/drain.out")"
[ "$(ctl_field "web/$BE1_IP4" ring_slots)" = 0 ] && [ "$(ctl_field "web/$BE1_IP4" drain)" = True ]
ok $? "be1 is out of the ring and marked drain"

out=$(l4_tally "$VIP4" 60)
diag "new connections while draining: $out"
echo "$out" | ctl_json 'd.get("fail", 0) == 0 and "be1" not in d and d.get("be2") == 60' | grep -q True
ok $? "60 new connections all go to be2"

wait "$hold"
rc=$?
diag "held: $(cat "$SL_TMP/hold.json")"
ok $rc "every open connection (be1's too) kept exchanging data to the end"
ctl_json '"be1" in d["backends"]' <"$SL_TMP/hold.json" | grep -q True
ok $? "some of the held connections were on the drained backend"

ctl backend enable "web/$BE1_IP4" >/dev/null
ok $? "sluicectl backend enable"
out=$(l4_tally "$VIP4" 60)
echo "$out" | ctl_json 'd.get("be1", 0) > 0 and d.get("fail", 0) == 0' | grep -q True
ok $? "be1 gets new connections again: $out"
done_testing
