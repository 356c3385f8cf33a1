#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# l4.conntrack_insert_rate: past it, new connections still work (forwarded by their Maglev pick) but are
# not tracked, and are counted untracked; a reload to 0 (no limit) tracks every new connection again.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

N=60
l4_setup --backends 2
ctl_config "$SL_TMP/sluice.yaml" "$VIP4" "$BE1_IP4:100" "$BE2_IP4:100"
sed -i 's/^l4:$/l4:\n  conntrack_insert_rate: 1/' "$SL_TMP/sluice.yaml"
l4_start "$SL_TMP/sluice.yaml"
l4_up "$VIP4" "VIP answers"
[ "$(ctl --json status | ctl_json 'd["l4"]["conntrack_insert_rate"]')" = 1 ]
ok $? "GET /status shows conntrack_insert_rate 1"

# ct_entries: entries in this run's pinned conntrack table
ct_entries() { bpftool -j map dump pinned "$L4_PIN/sl_conntrack" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# untracked: the VIP's untracked counter, from /metrics and from GET /vips (they must agree)
untracked() {
	local m j
	m=$(ctl_metrics | awk '/^sluice_vip_untracked_flows_total\{vip="web"/ { print $2 }')
	j=$(ctl --json vips | ctl_json '[v["stats"]["untracked"] for v in d["vips"] if v["name"] == "web"][0]')
	[ "$m" = "$j" ] && echo "$m" || echo "mismatch metrics=$m vips=$j"
}
ctl_metrics() { curl -s --unix-socket "$SL_TMP/admin.sock" http://sluiced/metrics; }

ncpu=$(nproc)
e0=$(ct_entries) u0=$(untracked) t0=$(date +%s.%N)
out=$(l4_tally "$VIP4" $N)
t1=$(date +%s.%N) e1=$(ct_entries) u1=$(untracked)
echo "$out" | ctl_json 'd.get("fail", 0) == 0 and d.get("be1", 0) + d.get("be2", 0) == '$N | grep -q True
ok $? "rate 1/s per CPU: all $N connections answered: $out"
# at most one insert per CPU per window of a second, twice that at a window's edge
secs=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
max=$(python3 -c "import math; print(2 * $ncpu * (math.ceil($t1 - $t0) + 1))")
added=$((e1 - e0))
[ "$added" -le "$max" ] && [ "$added" -lt $N ]
ok $? "only $added of $N connections tracked (at most $max in $secs s on $ncpu CPUs)"
[[ "$u1" =~ ^[0-9]+$ ]] && [ $((u1 - u0)) -ge $((N - added)) ]
ok $? "untracked counter in /metrics and /vips agree and moved by $((u1 - u0)) (>= $((N - added)))"

ctl stats | awk -v want="$u1" '$1 == "NAME" { for (i = 1; i <= NF; i++) if ($i == "UNTRACKED") c = i }
	$1 == "web" && c { got = $c } END { exit !(c && got == want) }'
ok $? "sluicectl stats: UNTRACKED column says $u1"

sed -i 's/^  conntrack_insert_rate: 1$/  conntrack_insert_rate: 0/' "$SL_TMP/sluice.yaml"
ctl reload >/dev/null && [ "$(ctl --json status | ctl_json 'd["l4"]["conntrack_insert_rate"]')" = 0 ]
ok $? "reload to conntrack_insert_rate: 0 (and /status says so)"
e1=$(ct_entries) u1=$(untracked)
out=$(l4_tally "$VIP4" $N)
e2=$(ct_entries) u2=$(untracked)
echo "$out" | ctl_json 'd.get("fail", 0) == 0' | grep -q True
ok $? "no limit: all $N connections answered: $out"
[ $((e2 - e1)) -ge $N ] && [ "$u2" = "$u1" ]
ok $? "every new connection tracked: $((e2 - e1)) entries added, untracked stays $u2"
done_testing
