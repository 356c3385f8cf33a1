# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers for the control-plane e2e tests (test_ctl_*.sh): configs with tunable health, sluicectl, waiting on backend state.
# Source after lib.sh and l4_lib.sh (which builds the topology and starts sluiced).

CTL_ADMIN=unix:$SL_TMP/admin.sock

# ctl ARGS...: sluicectl against this test's sluiced.
ctl() { "$SL_BUILD/sluicectl" -s "$CTL_ADMIN" "$@"; }

# ctl_config FILE VIP BACKEND:WEIGHT...: L4-only config, one VIP "web" on port 80, XDP kept on exit.
# CTL_INTERVAL (ms, default 200), CTL_RISE (2), CTL_FALL (2) tune the TCP health check.
ctl_config() {
	local file=$1 vip=$2; shift 2
	sl_config_l4 "$file" "$CTL_ADMIN" "$IF_LB_IN, $IF_LB_OUT" ipip "detach_on_exit: false"
	ctl_config_vip "$file" web "$vip" 80 "$@"
}

# ctl_config_vip FILE NAME VIP PORT BACKEND:WEIGHT...: appends a TCP VIP with the tunable health check.
ctl_config_vip() {
	local file=$1 name=$2 vip=$3 port=$4; shift 4
	sl_config_l4_vip "$file" "$name" "$vip" "$port" \
		"{ type: tcp, port: 80, interval: ${CTL_INTERVAL:-200}ms, timeout: 200ms, rise: ${CTL_RISE:-2}, fall: ${CTL_FALL:-2} }" "$@"
}

# ctl_field BACKEND FIELD: one field of a backend (by VIP/ADDRESS or id) from GET /backends.
ctl_field() {
	ctl --json backends | python3 -c '
import json, sys
for b in json.load(sys.stdin)["backends"]:
    if b["name"] == sys.argv[1] or str(b["id"]) == sys.argv[1]:
        print(b[sys.argv[2]])' "$1" "$2"
}

# ctl_wait_state BACKEND STATE SECONDS: until the backend's state (up|down|drain) is STATE.
ctl_wait_state() {
	local end=$((SECONDS + $3))
	until [ "$(ctl_field "$1" state 2>/dev/null)" = "$2" ]; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}

# ctl_ms: wall-clock milliseconds, for timing a transition.
ctl_ms() { date +%s%3N; }

# ctl_be_pid N: PID of backend N's server started by l4_setup (in order be1, be2, ...).
ctl_be_pid() { echo "${_sl_pids[$(($1 - 1))]}"; }

# ctl_be_restart N: a fresh server on backend N (remembered for cleanup).
ctl_be_restart() {
	bg ip netns exec "${L4_P}be$1" "$L4_PY" "$L4_TOOL" server "be$1" --lifetime 60
}

# ctl_json EXPR: evaluates a python expression on the JSON document `d` read from stdin.
ctl_json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# ctl_log_ms PATTERN AFTER_MS: epoch milliseconds of the first sluiced log line matching PATTERN
# (an extended regex) stamped at or after AFTER_MS; empty if none. Timing from the log itself is
# exact, where polling the API would add its own latency.
ctl_log_ms() {
	python3 - "$SL_TMP/sluiced.log" "$1" "$2" <<'PY'
import re, sys, datetime
path, pat, after = sys.argv[1], re.compile(sys.argv[2]), int(sys.argv[3])
for line in open(path, errors="replace"):
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z ", line)
    if not m or not pat.search(line):
        continue
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    ms = int(t.timestamp() * 1000)
    if ms >= after:
        print(ms)
        break
PY
}

# ctl_up N: N backends of weight 100 behind $VIP4 (ctl_config), sluiced started and the VIP
# answering (one test point; a VIP that never answers ends the test: nothing after it could pass).
ctl_up() {
	local i bes=()
	l4_setup --backends "$1"
	for i in $(seq "$1"); do
		eval "bes+=(\"\$BE${i}_IP4:100\")"
	done
	ctl_config "$SL_TMP/sluice.yaml" "$VIP4" "${bes[@]}"
	l4_start "$SL_TMP/sluice.yaml"
	l4_up "$VIP4" "VIP answers"
}
