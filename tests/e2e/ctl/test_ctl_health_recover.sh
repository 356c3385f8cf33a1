#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Control plane: a backend that comes back rejoins the ring after rise successful checks and gets new connections again.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

CTL_INTERVAL=200 CTL_RISE=3 CTL_FALL=2
ctl_up 2
ctl_wait_state "web/$BE1_IP4" up 10

kill "$(ctl_be_pid 1)"
ctl_wait_state "web/$BE1_IP4" down 5
ok $? "be1 down once its server is gone" || l4_diag

t0=$(ctl_ms)
ctl_be_restart 1
ctl_wait_state "web/$BE1_IP4" up 5
ok $? "be1 up again after its server restarted" || l4_diag
t1=$(ctl_log_ms "vip web: ring: 2 of 2 backends" "$t0")
dt=$((${t1:-999999} - t0))
diag "back in the ring ${dt} ms after the restart (rise x interval = $((CTL_RISE * CTL_INTERVAL)) ms)"
[ "$dt" -ge $(((CTL_RISE - 1) * CTL_INTERVAL)) ] && [ "$dt" -le $(((CTL_RISE + 1) * CTL_INTERVAL + 500)) ]
ok $? "back after rise checks, not before (${dt} ms; the server takes a moment to listen)"
[ "$(ctl_field "web/$BE1_IP4" ring_slots)" -gt 0 ]
ok $? "be1 holds ring slots again"

out=$(l4_tally "$VIP4" 100)
diag "tally after recovery: $out"
echo "$out" | ctl_json 'd.get("fail", 0) == 0 and d.get("be1", 0) > 20 and d.get("be2", 0) > 20' | grep -q True
ok $? "new connections reach be1 again, none fail"
grep -q "backend web/$BE1_IP4: health: up" "$SL_TMP/sluiced.log"
ok $? "the log says up"
done_testing
