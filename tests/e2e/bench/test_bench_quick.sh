#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# bench/run.sh --quick runs every scenario once and produces its report (tables, TSVs, plots) and leaves nothing of its own running; speed is not judged.
#
# Only this run's leftovers are looked for (its namespace prefix, its results
# directory), never a global pattern: other runs of the benches or tests may be
# going on at the same time on a shared machine, and theirs are none of our business.
# Peers that are not installed (make test does not install them) must show up
# as skipped with a reason; those that are installed must have their figures.
. "$(dirname "$0")/../lib/lib.sh"
need_root
[ -x "$SL_BUILD/bench/l4_gen" ] || skip_all "build/bench/l4_gen not built"

export SL_BENCH_RESULTS=$SL_TMP/results
# Bounded: run.sh bounds every scenario run itself; this only guards against a hung harness.
timeout -k 10 600 "$SL_ROOT/bench/run.sh" --quick >"$SL_TMP/run.out" 2>"$SL_TMP/run.err"
rc=$?
sed 's/^/#   /' "$SL_TMP/run.err"
ok $rc "bench/run.sh --quick exits 0"
# A failed scenario's own log says why: show its end.
for log in $(sed -n 's/.*FAILED.*(see \(.*\.log\)).*/\1/p' "$SL_TMP/run.err"); do
	diag "$log:"
	tail -15 "$log" | sed 's/^/#     /'
done

dir=$(ls -d "$SL_BENCH_RESULTS"/*/ 2>/dev/null | head -1)
dir=${dir%/}
check "one results directory was written" -- test -n "$dir"
md=$dir/results.md
for f in results.md results.tsv summary.tsv env.txt raw/l4.rep1.tsv; do
	check "it holds $f" -- test -s "$dir/$f"
done
prefix=$(sed -n 's/^prefix: //p' "$dir/env.txt")
check "env.txt names the run's prefix" -- test -n "$prefix"

# Every scenario run.sh found (the same rule as run.sh: executable bench/*.sh but
# run, ab, plot*, lib*, publish*): a section with figures, or a stated reason for none.
scenarios=$(cd "$SL_ROOT/bench" && for f in ./*.sh; do [ -x "$f" ] && echo "$f"; done |
	sed 's|^\./||; s|\.sh$||' | grep -Ev '^(run|ab|plot.*|lib.*|publish.*)$')
for s in $scenarios; do
	check "scenario $s: a progress line with the time left, then its result" -- \
		sh -c "grep -q '^\[[0-9]*/[0-9]*\] $s rep 1/1: running (run [0-9]* of [0-9]*, elapsed [0-9:]*, ~[0-9:?]* left)' '$SL_TMP/run.err' &&
		       grep -q '^\[[0-9]*/[0-9]*\] $s rep 1/1: \(done\|skipped (.\+)\) in ' '$SL_TMP/run.err'"
	check "scenario $s: figures in results.md, or skipped with a reason" -- \
		awk -v s="$s" '$0 == "## " s { on = 1; next } /^## / { on = 0 }
			on && /^\| [^ ]+ \| [^|]+ \| [0-9,.-]+ \|/ { fig = 1 }
			on && /^no figures: rep 1: skipped: ./ { why = 1 }
			END { exit !(fig || why) }' "$md"
done

# L4: where a packet generator runs (live frames, or the XDP ring where those are refused),
# every figure is positive, the ceilings and the kernel's own forwarding are there and the
# generator is named; where none runs, the scenario is skipped with its reason.
l4_skipped() { awk '$0 == "## l4" { on = 1; next } /^## / { on = 0 } on && /^no figures: rep 1: skipped: ./ { f = 1 } END { exit !f }' "$md"; }
if l4_skipped; then
	diag "l4 skipped: $(grep -m1 '^no figures: rep 1: skipped:' "$md")"
	check "l4 is skipped because no packet generator runs here, and says why" -- \
		grep -q '^no figures: rep 1: skipped: no packet generator runs here: ' "$md"
else
	check "results.md has the L4 table with min/median/max and cores" -- \
		sh -c "grep -q '^| l4.xdp_fwd | pps | [0-9,]* | [0-9,]* | [0-9,]* | 1 | [A-Z] |' '$md' &&
		       sed -n '/^## l4/,/^## /p' '$md' | grep -q '^Cores.*: .*cpu[0-9]' &&
		       grep -q '^| l4.xdp_drop | pps |' '$md' && grep -q '^| l4.xdp_tx | pps |' '$md' &&
		       grep -q '^| l4.kernel_fwd | pps |' '$md' && grep -q '^| l4.sluice_ipip_ns | ns/packet |' '$md'"
	check "results.md names the generator that ran" -- grep -q 'generator: \(live\|ring\), ' "$md"
	check "the generator's raw lines are kept" -- test -s "$dir/raw/l4.rep1.d/l4.raw"
	if command -v nft >/dev/null; then
		check "nftables DNAT was measured, and a ratio computed within the run" -- \
			sh -c "grep -q '^| l4.nft_dnat | pps |' '$md' && grep -q '^| kernel_fwd/nft_dnat |' '$md'"
	else
		check "nftables DNAT is skipped with its reason" -- grep -q '^- skipped nft_dnat: nft not installed' "$md"
	fi
	check "every L4 figure is a positive number" -- \
		awk '$1 == "figure" { n++; if ($3 + 0 <= 0) bad = 1 } END { exit (n >= 5 && !bad) ? 0 : 1 }' "$dir/raw/l4.rep1.tsv"
fi

# L7: a peer that is installed (sluiced: built) must be measured; one that is not must
# be skipped with its reason. The CDF data behind the plot is there for each measured one.
installed() {
	case $1 in
	direct) return 0 ;;
	sluiced) test -x "$SL_BUILD/sluiced" ;;
	null) test -x "$SL_BUILD/bench/null_fwd" ;;
	*) command -v "$1" >/dev/null ;;
	esac
}
if command -v wrk >/dev/null; then
	for p in direct sluiced nginx haproxy null; do
		if installed "$p"; then
			grep -q "^- skipped $p" "$md" && diag "$(grep "^- skipped $p" "$md")"
			check "l7: $p measured (100 B, 10 KiB, 1000 connections), with its latency CDF" -- \
				sh -c "grep -q '^| l7.${p}_100b_rps | req/s |' '$md' && grep -q '^| l7.${p}_10k_p99 | ms |' '$md' &&
				       grep -q '^| l7.${p}_c1000_rps | req/s |' '$md' && test -s '$dir/raw/l7.rep1.d/cdf-100b-$p.tsv'"
		else
			why="not installed"
			[ "$p" = null ] && why=".*not built"
			check "l7: $p is not installed and skipped with the reason" -- grep -q "^- skipped $p: $why" "$md"
		fi
	done
	installed nginx && check "l7: requests per proxy core-second, sluiced against nginx, a ratio within the run" -- \
		sh -c "grep -q '^| l7.sluiced_100b_rps_per_core | req/core-s |' '$md' &&
		       grep -q '^| sluiced/nginx_100b_per_core | >=1.5 |' '$md'"
	installed null && installed sluiced && check "l7: sluiced's requests per core-second as a fraction of the null forwarder's" -- \
		sh -c "grep -q '^| l7.sluiced_100b_per_null | fraction |' '$md' && grep -q '^| l7.sluiced_10k_per_null | fraction |' '$md'"
else
	check "l7 is skipped for want of wrk, with the reason" -- grep -q '^no figures: rep 1: skipped: wrk not installed' "$md"
fi
for p in sluiced nginx haproxy; do
	if installed "$p"; then
		check "idle_mem: $p measured (bytes per idle connection)" -- grep -q "^| idle_mem.${p}_rss_per_conn | bytes |" "$md"
	else
		check "idle_mem: $p is not installed and skipped with the reason" -- grep -q "^- skipped $p: not installed" "$md"
	fi
done

# Plots: drawn when gnuplot is there, else the report says why there are none.
if command -v gnuplot >/dev/null; then
	png() { test "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a; }
	l4_skipped || check "l4_pps.png is a PNG and results.md shows it" -- \
		sh -c "$(declare -f png); png '$dir/l4_pps.png' && grep -q '](l4_pps.png)' '$md'"
	if grep -q '^| l7.sluiced_100b_rps ' "$md"; then
		for f in l7_rps l7_p99 l7_conns l7_latency_cdf_100b; do
			check "$f.png is a PNG" -- sh -c "$(declare -f png); png '$dir/$f.png'"
		done
	fi
	grep -q '^| idle_mem\.' "$md" && check "idle_mem.png is a PNG" -- sh -c "$(declare -f png); png '$dir/idle_mem.png'"
else
	check "results.md says there are no plots and why" -- grep -q '^none: gnuplot not installed' "$md"
fi

# Nothing of this run is left: run.sh says so, and we look for ourselves.
check "run.sh reports nothing left running" -- grep -q '^run.sh: nothing left running' "$SL_TMP/run.err"
check "results.md reports no leftovers" -- grep -q '^none: no process, namespace or BPF pin of this run' "$md"
check "no namespace of this run is left" -- sh -c "! ip netns list | grep -q '^$prefix[a-z]'"
# "[/]tmp/...": the pattern does not match the command line of the shell that runs pgrep.
check "no process of this run is left (none names its results directory)" -- \
	bash -c '! pgrep -f "$1"' _ "[/]${SL_BENCH_RESULTS#/}/"
check "no BPF pin of this run is left" -- sh -c "! ls -d /sys/fs/bpf/*$prefix[a-z]* 2>/dev/null"
done_testing
