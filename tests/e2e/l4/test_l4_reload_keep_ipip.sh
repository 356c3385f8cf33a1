#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L4, IPIP: connections open while a backend is added (SIGHUP with a new config) keep exchanging data to the end.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
FWD=${L4_FWD:-ipip}

l4_setup --backends 3
l4_config "$SL_TMP/sluice.yaml" "$FWD" "$VIP4" "$BE1_IP4:100" "$BE2_IP4:100"
l4_start "$SL_TMP/sluice.yaml"
l4_up "$VIP4" "VIP $VIP4:80 answers with 2 backends ($FWD)"

# 30 long-lived connections: with a third backend Maglev moves about a third of
# all flows, so only conntrack keeps these on their first backend. No CPU pinning:
# a veth has no RSS and runs XDP on whichever CPU sent the packet, so one flow's
# packets reach XDP on both CPUs (the conntrack is one table for all CPUs; when it
# was per-CPU, flows seen on one CPU only reset in about 1 run in 7).
ip netns exec "$NS_CLI" "$L4_PY" "$L4_TOOL" hold "$VIP4" -n 30 --seconds 6 --interval 0.2 \
	--ready "$SL_TMP/held" >"$SL_TMP/hold.json" 2>&1 &
hold=$!
_sl_pids+=("$hold")
wait_for 10 test -e "$SL_TMP/held"
ok $? "30 long-lived connections open and exchanging data"
sleep 1

l4_config "$SL_TMP/sluice.yaml" "$FWD" "$VIP4" "$BE1_IP4:100" "$BE2_IP4:100" "$BE3_IP4:100"
kill -HUP "$SLUICED_PID"
ok $? "SIGHUP sent with a third backend in the config"

# New connections reach the new backend once the reload is in.
wait_for 10 sh -c "ip netns exec $NS_CLI $L4_PY $L4_TOOL tally $VIP4 -n 30 --timeout 5 | grep -q '\"be3'"
ok $? "new connections reach the added backend be3" || l4_diag

wait "$hold"
rc=$?
diag "held: $(cat "$SL_TMP/hold.json")"
ok $rc "every connection open across the reload kept its backend and finished its exchanges" || l4_diag
done_testing
