#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Admin API and sluicectl: JSON shapes, aligned tables, weight/drain/enable by name and id, trace, errors that say what to do.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"
. "$(dirname "$0")/../lib/ctl_lib.sh"

l4_setup --backends 3
ctl_config "$SL_TMP/sluice.yaml" "$VIP4" "$BE1_IP4:100" "$BE2_IP4:50" "$BE3_IP4:100"
l4_start "$SL_TMP/sluice.yaml"
wait_for 10 ctl status
ok $? "sluicectl status reaches sluiced over $CTL_ADMIN" || l4_diag
ctl_wait_state "web/$BE3_IP4" up 10
ok $? "backends come up" || l4_diag

ctl --json status | ctl_json 'd["l4"]["enabled"] and d["l4"]["vips"] == 1 and d["l4"]["backends"] == 3 and "pid" in d and "uptime_s" in d' | grep -q True
ok $? "GET /status: l4 summary, pid, uptime"
ctl --json vips | ctl_json 'd["vips"][0]["name"] == "web" and d["vips"][0]["address"] == "'"$VIP4"'" and d["vips"][0]["port"] == 80 and "packets" in d["vips"][0]["stats"]' | grep -q True
ok $? "GET /vips: name, address, port, stats"
ctl --json backends | ctl_json 'sorted(b["name"] for b in d["backends"]) == ["web/'"$BE1_IP4"'", "web/'"$BE2_IP4"'", "web/'"$BE3_IP4"'"] and all(b["id"] >= 1 for b in d["backends"])' | grep -q True
ok $? "GET /backends: every backend with an id >= 1"
ctl --json backends web | ctl_json 'len(d["backends"]) == 3' | grep -q True
ok $? "GET /backends?vip=web filters"

ctl backends >"$SL_TMP/table"
head -1 "$SL_TMP/table" | grep -q "^ID  *BACKEND  *STATE  *HEALTH  *WEIGHT  *SLOTS"
ok $? "sluicectl backends: a header row"
awk 'NR > 1 { print index($0, "web/") }' "$SL_TMP/table" | sort -u | wc -l | grep -q '^1$'
ok $? "sluicectl backends: columns aligned"
sed 's/^/#   /' "$SL_TMP/table"
ctl vips | grep -q "^web  *$VIP4  *80  *tcp"
ok $? "sluicectl vips: one row per VIP"
ctl status | grep -q "^l4 .*1 VIPs, 3/3 backends up"
ok $? "sluicectl status: human summary"

id2=$(ctl_field "web/$BE2_IP4" id)
ctl backend set-weight "$id2" 200 | grep -q "weight 200"
ok $? "set-weight by numeric id ($id2)"
s1=$(ctl_field "web/$BE1_IP4" ring_slots); s2=$(ctl_field "web/$BE2_IP4" ring_slots)
python3 -c "import sys; sys.exit(0 if abs($s2 / $s1 - 2) < 0.05 else 1)"
ok $? "ring slots follow weights 100:200 ($s1:$s2)"
ctl --json backend drain "web/$BE3_IP4" | ctl_json 'd["state"] == "drain" and d["ring_slots"] == 0' | grep -q True
ok $? "drain by VIP/ADDRESS, --json answers the backend"
ctl backend enable "web/$BE3_IP4" | grep -q ": up,"
ok $? "enable"
curl -s --unix-socket "$SL_TMP/admin.sock" -X POST -d '{"weight": 7}' "http://sluiced/backends/web%2F$BE1_IP4/weight" |
	ctl_json 'd["weight"] == 7' | grep -q True
ok $? "POST /backends/{VIP%2FADDRESS}/weight with curl"

ctl --json trace tcp 198.18.0.1:40000 "$VIP4:80" | ctl_json 'd["vip"] == "web" and d["source"] in ("maglev", "conntrack") and d["backend"]["name"].startswith("web/")' | grep -q True
ok $? "trace answers a backend for a flow"
ctl trace tcp 198.18.0.1:40000 "$VIP4:80" | grep -q "vip web -> backend web/"
ok $? "trace, human form: $(ctl trace tcp 198.18.0.1:40000 "$VIP4:80" | head -1)"

ctl backend drain web/198.18.99.99 2>"$SL_TMP/err"
[ $? = 1 ] && grep -q "no such backend" "$SL_TMP/err"
ok $? "unknown backend: exit 1, says so"
ctl backend set-weight 1 5000 2>/dev/null
[ $? = 2 ]
ok $? "weight out of range: usage error"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SL_TMP/admin.sock" -X POST "http://sluiced/cache/purge")
[ "$code" = 501 ]
ok $? "POST /cache/purge: 501 without a cache"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SL_TMP/admin.sock" "http://sluiced/nope")
[ "$code" = 404 ]
ok $? "unknown path: 404"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SL_TMP/admin.sock" -X POST "http://sluiced/status")
[ "$code" = 405 ]
ok $? "wrong method: 405"
curl -s --unix-socket "$SL_TMP/admin.sock" http://sluiced/ | grep -q "<table>.*web"
ok $? "GET /: HTML status page"

"$SL_BUILD/sluicectl" -s 127.0.0.1:1 status 2>"$SL_TMP/err"
[ $? = 3 ] && grep -q "cannot reach sluiced at 127.0.0.1:1: Connection refused (is it running? try -s" "$SL_TMP/err"
ok $? "unreachable: exit 3 and a hint: $(cat "$SL_TMP/err")"
done_testing
