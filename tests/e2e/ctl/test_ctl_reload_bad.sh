#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Control plane: a bad config on reload (SIGHUP or sluicectl reload) is refused with its errors and the running config stays.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

ctl_up 2
before=$(ctl --json backends | ctl_json '[(b["name"], b["id"], b["weight"]) for b in d["backends"]]')

# A backend weight out of range, and the second backend dropped: neither may take effect.
ctl_config "$SL_TMP/sluice.yaml" "$VIP4" "$BE1_IP4:5000"
kill -HUP "$SLUICED_PID"
wait_for 5 grep -q "reload: refused" "$SL_TMP/sluiced.log"
ok $? "SIGHUP: the reload is refused" || l4_diag
grep "reload: " "$SL_TMP/sluiced.log" | grep -q "sluice.yaml:[0-9]*: "
ok $? "the log has the errors as file:line: message"

ctl reload >"$SL_TMP/reload.out" 2>&1
rc=$?
[ $rc = 1 ]
ok $? "sluicectl reload exits 1 on a bad config"
grep -q "sluice.yaml:[0-9]*: " "$SL_TMP/reload.out"
ok $? "sluicectl reload prints the errors: $(head -3 "$SL_TMP/reload.out" | tr '\n' ' ')"
ctl --json reload | ctl_json 'd["ok"] is False and len(d["errors"]) >= 1' | grep -q True
ok $? "POST /reload answers {\"ok\": false, \"errors\": [...]}"

after=$(ctl --json backends | ctl_json '[(b["name"], b["id"], b["weight"]) for b in d["backends"]]')
[ "$before" = "$after" ]
ok $? "backends unchanged: $after"
ctl --json status | ctl_json 'd["reload_failures"] == 3 and d["reloads"] == 0' | grep -q True
ok $? "status counts 3 refused reloads, 0 applied"
out=$(l4_tally "$VIP4" 40)
echo "$out" | ctl_json 'd.get("fail", 0) == 0 and d.get("be1", 0) > 0 and d.get("be2", 0) > 0' | grep -q True
ok $? "traffic still spreads over both backends: $out"

ctl_config "$SL_TMP/sluice.yaml" "$VIP4" "$BE1_IP4:100" "$BE2_IP4:50"
ctl reload >/dev/null
ok $? "a fixed config then reloads"
[ "$(ctl_field "web/$BE2_IP4" weight)" = 50 ]
ok $? "and its weight change is applied"
kill -0 "$SLUICED_PID"
ok $? "sluiced is still running"
done_testing
