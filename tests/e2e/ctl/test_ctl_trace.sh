#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# sluicectl trace: the Maglev prediction for a flow names the backend XDP then picks, and once the flow is tracked, conntrack says the same.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

ctl_up 3
ctl_wait_state "web/$BE3_IP4" up 10

predicted=0 tracked=0 n=0
for port in 41001 41002 41003 41004 41005 41006; do
	before=$(ctl --json trace tcp "$CLI4:$port" "$VIP4:80" | ctl_json 'd["source"] + " " + d["backend"]["address"]')
	# The servers greet with their name and no HTTP: curl takes it as HTTP/0.9.
	who=$(ip netns exec "$NS_CLI" curl -s -m 0.5 --http0.9 --local-port "$port" "http://$VIP4/" 2>/dev/null | head -1)
	after=$(ctl --json trace tcp "$CLI4:$port" "$VIP4:80" | ctl_json 'd["source"] + " " + d["backend"]["address"]')
	want=198.18.20.${who#be}
	n=$((n + 1))
	[ "$before" = "maglev $want" ] && predicted=$((predicted + 1))
	[ "$after" = "conntrack $want" ] && tracked=$((tracked + 1))
	diag "port $port: predicted '$before', served by $who, then '$after'"
done
[ $predicted = $n ]
ok $? "Maglev prediction matched the serving backend for $predicted/$n flows"
[ $tracked = $n ]
ok $? "conntrack answer matched for $tracked/$n flows"
ctl trace tcp "$CLI4:41001" "$VIP4:80" | grep -q "from conntrack"
ok $? "human form says where the answer came from"
ctl trace tcp "$CLI4:41001" 198.18.10.99:80 2>"$SL_TMP/err"
[ $? = 1 ] && grep -q "not an L4 VIP" "$SL_TMP/err"
ok $? "a non-VIP destination: exit 1, says so"
done_testing
