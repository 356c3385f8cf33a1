#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# GET /metrics: valid Prometheus text, HELP/TYPE for every family, per-VIP and per-backend counters that move with traffic.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

ctl_up 2
out=$(l4_tally "$VIP4" 50)
echo "$out" | ctl_json 'd.get("fail", 0) == 0' | grep -q True
ok $? "50 connections through the VIP: $out"

metrics() { curl -s --unix-socket "$SL_TMP/admin.sock" http://sluiced/metrics; }
metrics >"$SL_TMP/m"
curl -s -D - -o /dev/null --unix-socket "$SL_TMP/admin.sock" http://sluiced/metrics | grep -qi "^content-type: text/plain; version=0.0.4"
ok $? "content type text/plain; version=0.0.4"
python3 - "$SL_TMP/m" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*)?\})? -?[0-9.e+]+$')
typed, bad = set(), []
for l in lines:
    if l.startswith("# TYPE "):
        typed.add(l.split()[2])
    elif l.startswith("# HELP "):
        pass
    else:
        m = sample.match(l)
        if not m or m.group(1) not in typed:
            bad.append(l)
print("# %d lines, %d families" % (len(lines), len(typed)))
for b in bad[:5]:
    print("#   bad:", b)
sys.exit(1 if bad or not lines else 0)
PY
ok $? "every sample is well-formed and has a TYPE"
for fam in sluice_vip_packets_total sluice_vip_bytes_total sluice_vip_new_flows_total sluice_vip_conntrack_total \
	sluice_backend_packets_total sluice_backend_bytes_total sluice_backend_new_flows_total sluice_backend_up \
	sluice_backend_weight sluice_xdp_drops_total; do
	grep -q "^# TYPE $fam " "$SL_TMP/m"
	ok $? "family $fam"
done
python3 - "$SL_ROOT/include/sluice/drop.h" "$SL_TMP/m" <<'PY'
import re, sys
names = set(re.findall(r'\[SL_DROP_\w+\]\s*=\s*"(\w+)"', open(sys.argv[1]).read())) - {"none"}
got = set(re.findall(r'^sluice_xdp_drops_total\{reason="(\w+)"\}', open(sys.argv[2]).read(), re.M))
print("# %d reasons in drop.h, %d in /metrics" % (len(names), len(got)))
sys.exit(0 if names and names == got else 1)
PY
ok $? "one drop counter per reason of SL_DROP_NAMES"
grep -q 'sluice_vip_conntrack_total{.*result="miss",syn="true"}' "$SL_TMP/m" &&
	grep -q 'sluice_vip_conntrack_total{.*result="hit",syn="false"}' "$SL_TMP/m"
ok $? "conntrack hits and misses, SYN and non-SYN apart"
v=$(awk -F' ' '/^sluice_vip_new_flows_total\{vip="web"/ { print $2 }' "$SL_TMP/m")
[ "${v:-0}" -ge 50 ]
ok $? "web's new flows counted: $v (>= 50)"
p1=$(awk '/^sluice_backend_packets_total\{vip="web",backend="'"$BE1_IP4"'"/ { print $2 }' "$SL_TMP/m")
p2=$(awk '/^sluice_backend_packets_total\{vip="web",backend="'"$BE2_IP4"'"/ { print $2 }' "$SL_TMP/m")
[ "${p1:-0}" -gt 0 ] && [ "${p2:-0}" -gt 0 ]
ok $? "per-backend packets summed over CPUs: $p1, $p2"
grep -q "^sluice_backend_up{vip=\"web\",backend=\"$BE1_IP4\",id=\"[0-9]*\"} 1" "$SL_TMP/m"
ok $? "health state as sluice_backend_up 1"
ctl stats >"$SL_TMP/stats"
grep -q "^web " "$SL_TMP/stats" && grep -q "web/$BE1_IP4" "$SL_TMP/stats"
ok $? "sluicectl stats: VIP and backend tables"
sed 's/^/#   /' "$SL_TMP/stats"
done_testing
