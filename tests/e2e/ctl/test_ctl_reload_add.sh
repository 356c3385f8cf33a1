#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Control plane: SIGHUP with a config that adds a VIP and a backend applies both, and leaves the rest as it was.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

VIP2=198.18.10.2
l4_setup --backends 3
# The second VIP lives on every backend's lo like the first.
for i in 1 2 3; do ip -n "${L4_P}be$i" addr add "$VIP2/32" dev lo; done
ctl_config "$SL_TMP/sluice.yaml" "$VIP4" "$BE1_IP4:100" "$BE2_IP4:100"
l4_start "$SL_TMP/sluice.yaml"
l4_wait_vip "$VIP4" 20
ok $? "VIP web answers with two backends" || l4_diag
id_be1=$(ctl_field "web/$BE1_IP4" id)
vips=$(ctl --json vips | ctl_json 'len(d["vips"])')
[ "$vips" = 1 ]
ok $? "one VIP before the reload"

ctl_config "$SL_TMP/sluice.yaml" "$VIP4" "$BE1_IP4:100" "$BE2_IP4:100" "$BE3_IP4:100"
ctl_config_vip "$SL_TMP/sluice.yaml" api "$VIP2" 80 "$BE3_IP4:100"
kill -HUP "$SLUICED_PID"
wait_for 5 sh -c "\"$SL_BUILD/sluicectl\" -s '$CTL_ADMIN' vips | grep -q '^api '"
ok $? "SIGHUP: VIP api appears" || l4_diag
ctl_wait_state "web/$BE3_IP4" up 5
ok $? "SIGHUP: backend web/$BE3_IP4 added and up" || l4_diag
[ "$(ctl_field "web/$BE1_IP4" id)" = "$id_be1" ]
ok $? "unchanged backends keep their ids"

out=$(l4_tally "$VIP4" 60)
diag "web: $out"
echo "$out" | ctl_json 'd.get("be3", 0) > 0 and d.get("fail", 0) == 0' | grep -q True
ok $? "web's new connections reach be3"
l4_wait_vip "$VIP2" 10
out=$(l4_tally "$VIP2" 20)
diag "api: $out"
echo "$out" | ctl_json 'd.get("be3") == 20' | grep -q True
ok $? "the new VIP api answers, from its one backend be3"
grep -q "reload: .* applied" "$SL_TMP/sluiced.log"
ok $? "the log says the reload was applied"
done_testing
