# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Shared setup for the L4 end-to-end tests: topology, named backends, sluiced as the loader, client tallies.
# Source it after lib.sh: `. "$(dirname "$0")/../lib/lib.sh"; . "$(dirname "$0")/../lib/l4_lib.sh"`.

. "$SL_ROOT/tests/e2e/lib/configs.sh"

L4_TOOL=$SL_ROOT/tests/e2e/lib/l4_tool.py
L4_PY=/usr/bin/python3
SLUICED_PID=

# l4_setup [--backends N]: topology up (removed on exit), decap XDP + a named server on every backend.
# Leaves the topology's variables (tools/topo.sh env) in the environment.
l4_setup() {
	local n=3 i ns dev
	[ "${1:-}" = --backends ] && n=$2
	need_root
	[ -x "$L4_PY" ] || skip_all "needs $L4_PY"
	[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
	[ -f "$SL_BUILD/bpf/decap.bpf.o" ] || skip_all "build/bpf/decap.bpf.o not built"
	L4_P=sl$$-
	on_exit "$SL_ROOT/tools/topo.sh down $L4_P"
	"$SL_ROOT/tools/topo.sh" up "$L4_P" --backends "$n" >"$SL_TMP/topo.log" 2>&1 ||
		{ cat "$SL_TMP/topo.log"; echo "Bail out! topo.sh up failed"; exit 1; }
	eval "$("$SL_ROOT/tools/topo.sh" env "$L4_P")"
	L4_PIN=/sys/fs/bpf/sluice-e2e-$$
	on_exit "rm -rf $L4_PIN"
	for ((i = 1; i <= n; i++)); do
		ns=${L4_P}be$i dev=${L4_P}b$i
		# sl_decap strips IPIP / IPv6-in-IPv6 so the inner packet (to the VIP on lo) reaches the stack.
		ip -n "$ns" link set dev "$dev" xdpdrv object "$SL_BUILD/bpf/decap.bpf.o" program sl_decap ||
			{ echo "Bail out! cannot attach sl_decap on $dev"; exit 1; }
		bg ip netns exec "$ns" "$L4_PY" "$L4_TOOL" server "be$i" --lifetime 90
	done
}

# l4_config FILE FORWARDING VIP BACKEND:WEIGHT...: an L4-only sluiced config with one TCP VIP on port 80.
# VIP and backends may be IPv4 or IPv6. Append more VIPs with l4_config_vip.
l4_config() {
	local file=$1 fwd=$2; shift 2
	sl_config_l4 "$file" "unix:$SL_TMP/admin.sock" "$IF_LB_IN, $IF_LB_OUT" "$fwd" "detach_on_exit: true"
	l4_config_vip "$file" web "$@"
}

# l4_config_vip FILE NAME VIP BACKEND:WEIGHT...: appends one VIP (health: tcp on port 80, fast).
l4_config_vip() {
	local file=$1 name=$2 vip=$3; shift 3
	sl_config_l4_vip "$file" "$name" "$vip" 80 "{ type: tcp, port: 80, interval: 200ms, timeout: 200ms, rise: 1, fall: 2 }" "$@"
}

# l4_start CONFIG: sluiced in the lb namespace (nsenter keeps /sys/fs/bpf visible), pins per run.
l4_start() {
	bg sh -c 'exec "$@" >>"$0" 2>&1' "$SL_TMP/sluiced.log" \
		nsenter --net="/run/netns/$NS_LB" "$SL_BUILD/sluiced" -c "$1" --pin-dir "$L4_PIN"
	SLUICED_PID=$BG_PID
}

# l4_wait_vip HOST [SECONDS]: until a connection to HOST:80 gets a backend's greeting.
l4_wait_vip() {
	local host=$1 t=${2:-15}
	wait_for "$t" sh -c "ip netns exec $NS_CLI $L4_PY $L4_TOOL tally $host -n 1 --timeout 2 | grep -q '\"be'"
}

# l4_up HOST DESCRIPTION: one test point for "the VIP answers"; when it does not, diagnostics
# and stop here, so a broken balancer fails fast instead of running into every timeout.
l4_up() {
	l4_wait_vip "$1" 20
	ok $? "$2" && return 0
	l4_diag
	done_testing
	exit 1
}

# l4_tally HOST N: JSON counts of who answered N connections.
l4_tally() {
	ip netns exec "$NS_CLI" "$L4_PY" "$L4_TOOL" tally "$1" -n "$2" --concurrency 16 --timeout 40
}

# l4_check_spread JSON TOLERANCE NAME:SHARE...: each backend's share of the answers within TOLERANCE
# (absolute, e.g. 0.05) of SHARE, and no failed connection. Prints the shares.
l4_check_spread() {
	"$L4_PY" - "$@" <<'PY'
import json, sys
counts, tol = json.loads(sys.argv[1]), float(sys.argv[2])
want = {k: float(v) for k, v in (a.split(":") for a in sys.argv[3:])}
total = sum(v for k, v in counts.items() if k != "fail")
ok = counts.get("fail", 0) == 0 and total > 0 and set(counts) - {"fail"} <= set(want)
for k, share in want.items():
    got = counts.get(k, 0) / total if total else 0
    good = abs(got - share) <= tol
    ok &= good
    print(f"{k}: {counts.get(k, 0)} = {got:.3f} (want {share:.3f} +- {tol}) {'ok' if good else 'OUT'}")
print(f"failed connections: {counts.get('fail', 0)}")
sys.exit(0 if ok else 1)
PY
}

# l4_xdp_saw VIPNAME N: sl_lb itself sent at least N SYNs of VIP VIPNAME through Maglev
# (per-VIP counters from `sluicectl --json stats`): the answers came through XDP, not
# through some path around it.
l4_xdp_saw() {
	"$SL_BUILD/sluicectl" -s "unix:$SL_TMP/admin.sock" --json stats >"$SL_TMP/stats.json" || return 1
	"$L4_PY" - "$SL_TMP/stats.json" "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = [v for v in d["vips"] if v["name"] == sys.argv[2]]
syn = v[0]["stats"]["ct_miss_syn"] if v else -1
print(f"{sys.argv[2]}: SYNs balanced in XDP: {syn} (want >= {sys.argv[3]})")
sys.exit(0 if syn >= int(sys.argv[3]) else 1)
PY
}

# l4_diag: what sluiced and the lb saw, for a failing test.
l4_diag() {
	[ -n "$SLUICED_PID" ] && kill -0 "$SLUICED_PID" 2>/dev/null || diag "sluiced is not running"
	diag "sluiced log (last lines):"
	tail -15 "$SL_TMP/sluiced.log" 2>/dev/null | sed 's/^/#   /'
	ip -n "$NS_LB" link show "$IF_LB_IN" | sed 's/^/#   /'
	if [ -x "$SL_BUILD/sluicectl" ]; then
		"$SL_BUILD/sluicectl" -s "unix:$SL_TMP/admin.sock" backends 2>&1 | sed 's/^/#   /' | head -20
	fi
}
