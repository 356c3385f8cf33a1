#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Benchmark entry point (`make bench`): runs each scenario script N times and writes raw data plus a Markdown table.
#
#   bench/run.sh [--quick] [--scenarios l4,bpf_ns,...] [--duration S] [--reps N]
#
# A scenario is bench/<name>.sh. run.sh calls it as
#   bench/<name>.sh --duration S --out DIR
# once per rep; the script prints on stdout, one per line:
#   figure NAME VALUE UNIT                 a measured number
#   ratio NAME NUM_FIGURE DEN_FIGURE TARGET    computed here, within each rep; TARGET like >=0.9 or -
#   note TEXT                              shown under the scenario's table
# and progress/diagnostics on stderr. Exit 0 ok, 77 skipped, anything else failed.
# Results: bench/results/<UTC date-time>/{results.md,results.tsv,raw/}.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=2
REPS=3
SCENARIOS=
QUICK=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; shift ;;
	--scenarios) SCENARIOS=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	-h|--help) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [--quick] [--scenarios a,b] [--duration S] [--reps N]" >&2; exit 2 ;;
	esac
done
if [ $QUICK = 1 ]; then DURATION=1 REPS=1; fi
[[ $REPS =~ ^[0-9]+$ ]] && [ "$REPS" -ge 1 ] && [ "$REPS" -le 20 ] || { echo "run.sh: --reps 1..20" >&2; exit 2; }
[[ $DURATION =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "run.sh: --duration S" >&2; exit 2; }

if [ -z "$SCENARIOS" ]; then
	# Every executable bench/*.sh but this one; helpers sourced by scenarios stay non-executable.
	SCENARIOS=$(cd "$ROOT/bench" && for f in ./*.sh; do [ -x "$f" ] && echo "$f"; done |
		sed 's|^\./||; s|\.sh$||' | grep -vx run | paste -sd, -)
fi

BENCH=1 "$ROOT/tools/deps.sh" || { echo "run.sh: tools/deps.sh failed" >&2; exit 1; }

STAMP=$(date -u +%Y%m%d-%H%M%S)
DIR=${SL_BENCH_RESULTS:-$ROOT/bench/results}/$STAMP
mkdir -p "$DIR/raw"
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel: $(uname -r)"
	echo "cpus: $(nproc) ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))"
	echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "args: duration=$DURATION reps=$REPS scenarios=$SCENARIOS"
} >"$DIR/env.txt"

# Scenarios clean up after themselves; a hung one is stopped after this long.
PER_RUN_LIMIT=$(awk -v d="$DURATION" 'BEGIN { printf "%d", 120 + 20 * d }')
status=0
IFS=, read -ra list <<<"$SCENARIOS"
i=0
for s in "${list[@]}"; do
	i=$((i + 1))
	script=$ROOT/bench/$s.sh
	if [ ! -x "$script" ]; then
		echo "[$i/${#list[@]}] $s: no executable bench/$s.sh" >&2
		status=1
		continue
	fi
	for ((r = 1; r <= REPS; r++)); do
		base=$DIR/raw/$s.rep$r
		mkdir -p "$base.d"
		start=$SECONDS
		# In the background so an interrupt here reaches the scenario (timeout runs it in
		# its own process group) and the scenario's own trap tears its setup down.
		timeout -k 10 "$PER_RUN_LIMIT" "$script" --duration "$DURATION" --out "$base.d" >"$base.tsv" 2>"$base.log" &
		child=$!
		trap 'kill -TERM $child 2>/dev/null; wait $child; echo "run.sh: interrupted" >&2; exit 130' INT TERM
		wait $child
		rc=$?
		trap - INT TERM
		skipwhy=$(grep -v "^[[:space:]]*$" "$base.log" | tail -1)
		case $rc in
		0) what="done" ;;
		77) what="skipped${skipwhy:+ ($skipwhy)}"; echo "skip" >>"$base.tsv" ;;
		*) what="FAILED rc=$rc (see ${base#"$ROOT"/}.log)"; status=1 ;;
		esac
		echo "[$i/${#list[@]}] $s rep $r/$REPS: $what in $((SECONDS - start)) s" >&2
	done
done

/usr/bin/python3 - "$DIR" "$SCENARIOS" "$REPS" <<'PY'
import glob, os, statistics, sys

out, scenarios, reps = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])

def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3f}"

def target_met(target, v):
    if target in ("-", ""):
        return "-"
    for op in (">=", "<=", ">", "<"):
        if target.startswith(op):
            t = float(target[len(op):])
            ok = {">=": v >= t, "<=": v <= t, ">": v > t, "<": v < t}[op]
            return "yes" if ok else "NO"
    return "?"

md = ["# Sluice benchmark results", ""]
md += ["```"] + open(os.path.join(out, "env.txt")).read().splitlines() + ["```", ""]
tsv = ["scenario\trep\tkind\tname\tvalue\tunit"]
for s in scenarios:
    figures, units, ratios, notes, skipped = {}, {}, {}, [], False
    for r in range(1, reps + 1):
        path = os.path.join(out, "raw", f"{s}.rep{r}.tsv")
        if not os.path.exists(path):
            continue
        rep_fig = {}
        rep_ratios = []
        for line in open(path):
            f = line.split()
            if not f:
                continue
            if f[0] == "skip":
                skipped = True
            elif f[0] == "figure" and len(f) >= 3:
                try:
                    rep_fig[f[1]] = float(f[2])
                except ValueError:
                    continue
                units[f[1]] = f[3] if len(f) > 3 else ""
                tsv.append(f"{s}\t{r}\tfigure\t{f[1]}\t{f[2]}\t{units[f[1]]}")
            elif f[0] == "ratio" and len(f) >= 4:
                rep_ratios.append((f[1], f[2], f[3], f[4] if len(f) > 4 else "-"))
            elif f[0] == "note":
                n = line.split(None, 1)[1].strip()
                if n not in notes:
                    notes.append(n)
        for k, v in rep_fig.items():
            figures.setdefault(k, []).append(v)
        # Ratios within one rep: both numbers measured back to back on one setup.
        for name, num, den, target in rep_ratios:
            if num in rep_fig and den in rep_fig and rep_fig[den] > 0:
                v = rep_fig[num] / rep_fig[den]
                ratios.setdefault(name, (target, []))[1].append(v)
                tsv.append(f"{s}\t{r}\tratio\t{name}\t{v:.4f}\t")
    md.append(f"## {s}")
    md.append("")
    if not figures:
        md.append("skipped (see raw/*.log)" if skipped else "no figures (failed? see raw/*.log)")
        md.append("")
        continue
    md.append("| figure | unit | min | median | max | reps |")
    md.append("| --- | --- | ---: | ---: | ---: | ---: |")
    for k, v in figures.items():
        md.append(f"| {k} | {units[k]} | {fmt(min(v))} | {fmt(statistics.median(v))} | {fmt(max(v))} | {len(v)} |")
    if ratios:
        md.append("")
        md.append("| ratio (within each rep) | target | min | median | max | median meets target |")
        md.append("| --- | --- | ---: | ---: | ---: | --- |")
        for k, (target, v) in ratios.items():
            med = statistics.median(v)
            md.append(f"| {k} | {target} | {fmt(min(v))} | {fmt(med)} | {fmt(max(v))} | {target_met(target, med)} |")
    for n in notes:
        md.append("")
        md.append(f"_{n}_")
    md.append("")
open(os.path.join(out, "results.md"), "w").write("\n".join(md) + "\n")
open(os.path.join(out, "results.tsv"), "w").write("\n".join(tsv) + "\n")
PY
[ $? -eq 0 ] || status=1
echo "results: ${DIR#"$ROOT"/}/results.md" >&2
cat "$DIR/results.md"
exit $status
