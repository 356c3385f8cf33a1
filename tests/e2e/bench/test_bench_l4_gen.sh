#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# bench/l4.sh's generators: the XDP ring gives every figure where live frames are refused, auto falls back to it, and with no generator at all the scenario is skipped with its reason; nothing is left behind.
#
# L4_GEN_REFUSE makes build/bench/l4_gen act as a kernel or sandbox that refuses
# those generators would (this machine may well allow live frames).
. "$(dirname "$0")/../lib/lib.sh"
need_root
[ -x "$SL_BUILD/bench/l4_gen" ] || skip_all "build/bench/l4_gen not built"
[ "$(nproc)" -ge 2 ] || skip_all "needs 2 CPUs"

# run NAME [ENV...]: bench/l4.sh in quick mode under a prefix of its own; output in $SL_TMP/NAME.*
run() {
	local name=$1; shift
	env SL_BENCH_QUICK=1 SL_BENCH_PREFIX="t$$${name:0:1}" "$@" timeout -k 5 240 "$SL_ROOT/bench/l4.sh" \
		--out "$SL_TMP/$name.d" >"$SL_TMP/$name.out" 2>"$SL_TMP/$name.err"
	echo $? >"$SL_TMP/$name.rc"
}
rc() { cat "$SL_TMP/$1.rc"; }
fig() { awk -v n="l4.$2" '$1 == "figure" && $2 == n { print $3 }' "$SL_TMP/$1.out"; }
positive() { awk -v x="$1" 'BEGIN { exit !(x + 0 > 0) }'; }
# left NAME: nothing of that run remains: namespaces, BPF pins, l4_gen or sluiced processes
left() {
	local p="t$$${1:0:1}"
	ip netns list | grep -q "^${p}l-" && { echo "namespace left"; return 0; }
	ls -d /sys/fs/bpf/sluice-bench-"$p"* >/dev/null 2>&1 && { echo "pin left"; return 0; }
	pgrep -f "[-]-gen-ns ${p}l-cli" >/dev/null && { echo "l4_gen left"; return 0; }
	pgrep -f "sluice-bench-${p}l" >/dev/null && { echo "sluiced left"; return 0; }
	return 1
}

# 1. Live frames refused: auto picks the ring, and every figure comes back.
run ring L4_GEN_REFUSE=live
sed 's/^/#   /' "$SL_TMP/ring.err" | grep -E 'generator|live frames|failed' | cut -c1-200
check "live frames refused: l4.sh exits 0" -- test "$(rc ring)" = 0
check "it says the ring ran, and why" -- sh -c "grep -q 'live frames: .*refused (L4_GEN_REFUSE)\|live frames: .*Operation not permitted' '$SL_TMP/ring.err' &&
	grep -q '^note generator: ring, an XDP ring' '$SL_TMP/ring.out'"
figs="xdp_drop xdp_tx xdp_fwd xdp_drop6 xdp_tx6 xdp_fwd6 kernel_fwd kernel_fwd6 sluice_ipip sluice_ipip6 sluice_dsr sluice_dsr6 sluice_ipip_syn"
command -v nft >/dev/null && figs="$figs nft_dnat nft_dnat6"
for f in $figs; do
	v=$(fig ring "$f")
	check "ring: l4.$f is positive ($v packets per lb core-second)" -- positive "${v:-0}"
done
check "ring: the ping-pong ran for XDP_TX and Sluice, the broadcast ring for XDP_DROP and the kernel" -- \
	sh -c "grep -q '^xdp_tx generator=ring/pingpong' '$SL_TMP/ring.d/l4.raw' &&
	       grep -q '^sluice_ipip generator=ring/pingpong' '$SL_TMP/ring.d/l4.raw' &&
	       grep -q '^xdp_drop generator=ring/broadcast' '$SL_TMP/ring.d/l4.raw' &&
	       grep -q '^kernel_fwd generator=ring/broadcast' '$SL_TMP/ring.d/l4.raw'"
# (how busy the ping-pong keeps it is a speed, reported in lb_busy, not asserted here)
check "ring: figures are per CPU-second of the lb's NAPI thread, and it ran" -- \
	awk '$1 == "sluice_dsr" { for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
	     END { exit !(f["clock"] == "lb_thread" && f["clock_seconds"] + 0 > 0 && f["lb_busy"] + 0 > 0) }' "$SL_TMP/ring.d/l4.raw"
check "ring: ns per packet is 1e9 over the figure" -- \
	awk -v x="$(fig ring sluice_ipip)" -v ns="$(fig ring sluice_ipip_ns)" 'BEGIN { d = 1e9 / x - ns; exit !(d < 0.1 && d > -0.1) }'
check "ring: nothing of the run is left" -- bash -c "$(declare -f left); ! left ring"

# 2. No generator can run: skipped with the reason (exit 77), not failed, nothing left.
run none L4_GEN_REFUSE=live,ring
check "no generator: l4.sh exits 77 (skipped)" -- test "$(rc none)" = 77
check "no generator: the last line says why" -- sh -c "tail -1 '$SL_TMP/none.err' | grep -q '^no packet generator runs here: .*ring: refused'"
check "no generator: no figure is printed" -- sh -c "! grep -q '^figure' '$SL_TMP/none.out'"
check "no generator: nothing of the run is left" -- bash -c "$(declare -f left); ! left none"

# 3. Live frames asked for where they are refused: skipped too, with the reason.
run live L4_GEN_REFUSE=live SL_L4_GENERATOR=live
check "live asked for and refused: l4.sh exits 77 (skipped)" -- test "$(rc live)" = 77
check "live asked for and refused: the last line says why" -- \
	sh -c "tail -1 '$SL_TMP/live.err' | grep -q '^no packet generator runs here: .*live frames'"
check "live asked for and refused: nothing of the run is left" -- bash -c "$(declare -f left); ! left live"
done_testing
