#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Control plane: sluiced stopped and started again while connections are open (over pins of a build
# without sl_vip_ids): XDP and the pinned conntrack keep them alive.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

ctl_up 3
ids_before=$(ctl --json backends | ctl_json '",".join("%s=%s" % (b["name"], b["id"]) for b in d["backends"])')

ip netns exec "$NS_CLI" "$L4_PY" "$L4_TOOL" hold "$VIP4" -n 20 --seconds 8 --interval 0.2 \
	--ready "$SL_TMP/held" >"$SL_TMP/hold.json" 2>&1 &
hold=$!
_sl_pids+=("$hold")
wait_for 10 test -e "$SL_TMP/held"
ok $? "20 long-lived connections open"

kill -TERM "$SLUICED_PID"
wait_for 10 sh -c "! kill -0 $SLUICED_PID"
ok $? "sluiced exits on SIGTERM"
grep -q "leaving XDP attached" "$SL_TMP/sluiced.log"
ok $? "XDP stays attached (detach_on_exit: false)"
ip -n "$NS_LB" link show "$IF_LB_IN" | grep -q xdp
ok $? "sl_lb still on $IF_LB_IN while sluiced is down"
# the pins of a build that had no sl_vip_ids (before the tracked-packet fast path): the restart
# is then also an upgrade, and must create it and keep every flow
rm -f "$L4_PIN/sl_vip_ids"
sleep 1

# A different ring seed on the way back would move flows that conntrack did not pin.
l4_start "$SL_TMP/sluice.yaml"
wait_for 10 ctl status
ok $? "sluiced started again over the pinned maps" || l4_diag
ids_after=$(ctl --json backends | ctl_json '",".join("%s=%s" % (b["name"], b["id"]) for b in d["backends"])')
[ "$ids_before" = "$ids_after" ]
ok $? "backend ids recovered from the pins: $ids_after"
test -e "$L4_PIN/sl_vip_ids"
ok $? "sl_vip_ids pinned again by the new sluiced"

wait "$hold"
rc=$?
diag "held: $(cat "$SL_TMP/hold.json")"
ok $rc "every connection open across the restart kept its backend and finished" || l4_diag
out=$(l4_tally "$VIP4" 30)
echo "$out" | ctl_json 'd.get("fail", 0) == 0' | grep -q True
ok $? "new connections after the restart succeed: $out"
done_testing
