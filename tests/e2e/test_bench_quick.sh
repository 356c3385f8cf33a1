#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# bench/run.sh --quick produces its results (Markdown table, TSV, raw data per scenario) and leaves nothing running; speed is not judged.
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$SL_BUILD/bench/l4_gen" ] || skip_all "build/bench/l4_gen not built"

export SL_BENCH_RESULTS=$SL_TMP/results
"$SL_ROOT/bench/run.sh" --quick >"$SL_TMP/run.out" 2>"$SL_TMP/run.err"
rc=$?
sed 's/^/#   /' "$SL_TMP/run.err"
ok $rc "bench/run.sh --quick exits 0"

dir=$(ls -d "$SL_BENCH_RESULTS"/*/ 2>/dev/null | head -1)
check "one results directory was written" -- test -n "$dir"
for f in results.md results.tsv env.txt raw/l4.rep1.tsv raw/l4.rep1.d/l4.raw; do
	check "it holds $f" -- test -s "$dir/$f"
done
check "results.md has the L4 table with min/median/max" -- \
	sh -c "grep -q '^## l4' '$dir/results.md' && grep -q '| l4.xdp_fwd | pps |' '$dir/results.md' &&
	       grep -q '| l4.nft_dnat | pps |' '$dir/results.md'"
check "results.md has ratios computed within the run" -- grep -q '^| xdp_fwd/nft_dnat |' "$dir/results.md"
check "every L4 figure is a positive number" -- \
	awk '$1 == "figure" { n++; if ($3 + 0 <= 0) bad = 1 } END { exit (n >= 4 && !bad) ? 0 : 1 }' "$dir/raw/l4.rep1.tsv"
check "a progress line was printed per scenario" -- grep -q '^\[[0-9]*/[0-9]*\] l4 rep 1/1: ' "$SL_TMP/run.err"
check "no bench namespace is left" -- sh -c "! ip netns list | grep -q '^slb[0-9]*-'"
check "no generator or bench sluiced is left running" -- \
	sh -c "! pgrep -f 'bench/[l]4_gen' && ! pgrep -f '[s]luice-bench-'"
check "no bench BPF pins are left" -- sh -c "! ls -d /sys/fs/bpf/sluice-bench-* 2>/dev/null"
done_testing
