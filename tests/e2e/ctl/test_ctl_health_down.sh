#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Control plane: a killed backend leaves the ring within fall x interval, and every new connection after that succeeds.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

CTL_INTERVAL=200 CTL_FALL=2
ctl_up 3
ctl_wait_state "web/$BE1_IP4" up 10
ok $? "be1 is up (health)" || l4_diag

t0=$(ctl_ms)
kill "$(ctl_be_pid 1)"
ctl_wait_state "web/$BE1_IP4" down 5
ok $? "be1 reported down after its server was killed" || l4_diag
# From the log: when the table without be1 went in, relative to the kill.
t1=$(ctl_log_ms "vip web: ring: 2 of 3 backends" "$t0")
dt=$((${t1:-999999} - t0))
diag "out of the ring ${dt} ms after the kill (fall x interval = $((CTL_FALL * CTL_INTERVAL)) ms)"
# Checks come every interval, so fall failed checks end at most fall x interval after the kill;
# allow one more interval for scheduling on a loaded machine.
[ "$dt" -le $((CTL_FALL * CTL_INTERVAL + CTL_INTERVAL)) ]
ok $? "removed from the ring within fall x interval: ${dt} ms"
[ "$(ctl_field "web/$BE1_IP4" ring_slots)" = 0 ]
ok $? "be1 holds no ring slots"

out=$(l4_tally "$VIP4" 100)
diag "tally after removal: $out"
echo "$out" | ctl_json 'd.get("fail", 0) == 0 and "be1" not in d and sum(d.values()) == 100' | grep -q True
ok $? "100 new connections all succeed, none to be1"
grep -q "backend web/$BE1_IP4: health: down" "$SL_TMP/sluiced.log"
ok $? "the log names the backend and says down"
done_testing
