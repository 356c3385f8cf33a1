#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Control plane: a reload that would close every L7 listener, or remove every L4 VIP, is refused (SIGHUP always,
# sluicectl reload unless --allow-empty) with the running config kept; --allow-empty applies it.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

l4_setup --backends 2
LP=18080
# conf WITH_VIP WITH_LISTENER: the VIP (or an l4 section with no VIP) and/or one L7 listener in the lb namespace
conf() {
	ctl_config "$SL_TMP/sluice.yaml" "$VIP4" "$BE1_IP4:100" "$BE2_IP4:100"
	if [ "$1" = 0 ]; then
		python3 - "$SL_TMP/sluice.yaml" <<'EOP'
import sys
p = sys.argv[1]
t = open(p).read()
open(p, "w").write(t[:t.index("  vips:\n")] + "  vips: []\n")
EOP
	fi
	if [ "$2" = 1 ]; then
		cat >>"$SL_TMP/sluice.yaml" <<EOC
l7:
  listeners:
    - { name: pub, listen: 127.0.0.1:$LP, routes: [ { match: { path_prefix: / }, upstream: a } ] }
  upstreams:
    - { name: a, servers: [ 127.0.0.1:1 ] }
EOC
	fi
}
listening() { nsenter --net="/run/netns/$NS_LB" bash -c "exec 3<>/dev/tcp/127.0.0.1/$LP" 2>/dev/null; }

conf 1 1
l4_start "$SL_TMP/sluice.yaml"
l4_wait_vip "$VIP4" 20
ok $? "VIP answers" || l4_diag
wait_for 5 listening; ok $? "the L7 listener is open"

conf 1 0
kill -HUP "$SLUICED_PID"
wait_for 5 grep -q "reload: refused" "$SL_TMP/sluiced.log"
ok $? "SIGHUP without the listener: refused"
grep -q "reload: .*sluice.yaml:[0-9]*: the reload would close every l7 listener (1 running)" "$SL_TMP/sluiced.log"
ok $? "the log says why: $(grep -m1 'would close' "$SL_TMP/sluiced.log")"
ctl reload >"$SL_TMP/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "would close every l7 listener" "$SL_TMP/out" && grep -q "allow-empty" "$SL_TMP/out"
ok $? "sluicectl reload: exit 1 with the reason ($rc)"
listening; ok $? "the listener is still open"

conf 0 1
ctl reload >"$SL_TMP/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "would remove every l4 vip (1 running)" "$SL_TMP/out"
ok $? "without the VIP: refused ($rc: $(head -2 "$SL_TMP/out" | tr '\n' ' '))"
out=$(l4_tally "$VIP4" 20)
echo "$out" | ctl_json 'd.get("fail", 0) == 0' | grep -q True
ok $? "the VIP still forwards: $out"
ctl --json status | ctl_json 'd["reload_failures"] == 3 and d["reloads"] == 0' | grep -q True
ok $? "status counts 3 refused reloads, 0 applied"

conf 1 0
ctl reload --allow-empty >/dev/null 2>&1
ok $? "sluicectl reload --allow-empty closes the last listener on purpose"
wait_for 5 bash -c "! nsenter --net=/run/netns/$NS_LB bash -c 'exec 3<>/dev/tcp/127.0.0.1/$LP' 2>/dev/null"
ok $? "the listener is closed"
out=$(l4_tally "$VIP4" 20)
echo "$out" | ctl_json 'd.get("fail", 0) == 0' | grep -q True
ok $? "the VIP still forwards: $out"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
