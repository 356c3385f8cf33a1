#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A/B of two sluiced builds: interleaved rounds of bench scenarios, per figure the new/old ratio's median and min..max over rounds.
#
#   bench/ab.sh OLD_BUILD_DIR NEW_BUILD_DIR [--rounds N] [--scenarios l7,cache,idle_mem,tls,h2]
#               [--duration S] [--quick] [--out DIR]
#
# Each round runs every chosen scenario once with each build's sluiced
# (SL_BUILD=DIR: DIR/sluiced), old then new in odd rounds and new then old in
# even ones, so a load that rises or falls through the run does not always
# favour the same side. The scenario scripts are this tree's for both sides;
# only the binary differs. Only sluiced is measured (SL_BENCH_PROXIES=sluiced;
# l7 still runs "direct"), and only sluiced's figures are compared:
#   l7        l7.sluiced_{100b,10k}_{rps_per_core,rps,p99}
#   cache     cache.sluiced_{100b,10k}_{rps,rps_per_core,p99} (every measured request is a
#             hit, checked by cache.sh: there is no hit-rate figure to compare)
#   idle_mem  idle_mem.sluiced_{rss,pss}_per_conn
#   tls       tls.sluiced_{100b,10k}_{rps_per_core,rps,p99}, tls.sluiced_{full,resumed}_hs{,_per_core},
#             tls.sluiced_resumed_p99
#   h2        h2.sluiced_{100b,10k}_{rps_per_core,rps,p99}
# A ratio is new/old of the same round; the figure's line gives the median of
# those ratios, their min..max, how many rounds had both, and which way is better.
# Defaults: 5 rounds, l7, 2 s per figure; --quick: SL_BENCH_QUICK=1 and 1 s
# (the scenarios' smoke matrices). Writes DIR/ab.tsv (one line per figure),
# DIR/rounds.tsv (every figure of every run) and DIR/raw/; prints the table.
# idle_mem needs root (a network namespace); l7, cache, tls and h2 do not.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=5
SCENARIOS=l7
DURATION=2
QUICK=${SL_BENCH_QUICK:-0}
OUT=
usage() { sed -n '5,6p' "$0" | sed 's/^# \{0,1\}/usage: /' >&2; exit 2; }
[ $# -ge 2 ] || usage
OLD=$(cd "$1" 2>/dev/null && pwd) || { echo "ab.sh: no directory $1" >&2; exit 2; }
NEW=$(cd "$2" 2>/dev/null && pwd) || { echo "ab.sh: no directory $2" >&2; exit 2; }
shift 2
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) [ $# -ge 2 ] || usage; ROUNDS=$2; shift 2 ;;
	--scenarios) [ $# -ge 2 ] || usage; SCENARIOS=$2; shift 2 ;;
	--duration) [ $# -ge 2 ] || usage; DURATION=$2; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ "$QUICK" = 1 ] && DURATION=1
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 50 ] || { echo "ab.sh: --rounds 1..50" >&2; exit 2; }
[[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 1 ] && [ "$DURATION" -le 600 ] || { echo "ab.sh: --duration 1..600" >&2; exit 2; }
for d in "$OLD" "$NEW"; do
	[ -x "$d/sluiced" ] || { echo "ab.sh: $d/sluiced not built (make -C $(dirname "$d") all)" >&2; exit 2; }
done
IFS=, read -ra list <<<"$SCENARIOS"
for s in "${list[@]}"; do
	case $s in
	l7|cache|idle_mem|tls|h2) [ -x "$ROOT/bench/$s.sh" ] || { echo "ab.sh: no executable bench/$s.sh" >&2; exit 2; } ;;
	*) echo "ab.sh: scenario $s: one of l7, cache, idle_mem, tls, h2" >&2; exit 2 ;;
	esac
done
OUT=${OUT:-$ROOT/bench/results/ab-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" || exit 1
export SL_BENCH_PROXIES=sluiced SL_BENCH_QUICK=$QUICK SL_BENCH_REP=1 SL_BENCH_PREFIX=ab$$
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(uname -n), kernel $(uname -r), $(nproc) cpus"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "old: $OLD ($(git -C "$OLD/.." rev-parse --short HEAD 2>/dev/null || echo '?'))"
	echo "new: $NEW ($(git -C "$NEW/.." rev-parse --short HEAD 2>/dev/null || echo '?'))"
	echo "args: rounds=$ROUNDS scenarios=$SCENARIOS duration=$DURATION quick=$QUICK"
} >"$OUT/env.txt"

child=
on_exit() {
	trap '' INT TERM
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
		reap "$child"
	fi
}
# reap PGID: whatever a finished run left in its process group (timeout made one) is stopped by PID.
reap() {
	local p pids
	pids=$(pgrep -g "$1" 2>/dev/null | grep -vx "$$" || true)
	[ -n "$pids" ] || return 0
	for p in $pids; do
		echo "ab.sh: process $p ($(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-100)) left by a run; stopped" >&2
		kill -TERM "$p" 2>/dev/null
	done
	sleep 1
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
}
trap on_exit EXIT
trap 'exit 130' INT TERM

status=0
LIMIT=$((180 + 40 * DURATION))
for ((r = 1; r <= ROUNDS; r++)); do
	sides=(old new)
	[ $((r % 2)) = 0 ] && sides=(new old)
	for s in "${list[@]}"; do
		for side in "${sides[@]}"; do
			build=$OLD
			[ "$side" = new ] && build=$NEW
			base=$OUT/raw/$s.$side.r$r
			mkdir -p "$base.d"
			echo "ab.sh: round $r/$ROUNDS $s $side ($build)" >&2
			SL_BUILD=$build timeout -k 10 "$LIMIT" "$ROOT/bench/$s.sh" --duration "$DURATION" --out "$base.d" \
				>"$base.tsv" 2>"$base.log" &
			child=$!
			wait $child
			rc=$?
			reap "$child"
			child=
			case $rc in
			0) ;;
			77) echo "ab.sh: $s $side skipped: $(grep -v '^[[:space:]]*$' "$base.log" | tail -1)" >&2 ;;
			*) echo "ab.sh: $s $side round $r FAILED rc=$rc (see $base.log)" >&2; status=1 ;;
			esac
			awk -v s="$s" -v side="$side" -v r="$r" '$1 == "figure" { print s "\t" side "\t" r "\t" $2 "\t" $3 "\t" $4 }' \
				"$base.tsv" >>"$OUT/rounds.tsv"
		done
	done
done

/usr/bin/python3 - "$OUT" <<'EOF' || status=1
import re, statistics, sys
out = sys.argv[1]
# The figures compared, per scenario: sluiced's own.
WANT = {
    "l7": r"^l7\.sluiced_(100b|10k)_(rps_per_core|rps|p99)$",
    "cache": r"^cache\.sluiced_(100b|10k)_(rps|rps_per_core|p99)$",
    "idle_mem": r"^idle_mem\.sluiced_(rss|pss)_per_conn$",
    "tls": r"^tls\.sluiced_((100b|10k)_(rps_per_core|rps|p99)|(full|resumed)_hs(_per_core)?|resumed_p99)$",
    "h2": r"^h2\.sluiced_(100b|10k)_(rps_per_core|rps|p99)$",
}
LOWER_BETTER = ("ms", "bytes")
vals, units, order = {}, {}, []     # (figure) -> {round: {side: value}}
try:
    lines = open(f"{out}/rounds.tsv").read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    s, side, r, name, v, unit = (line.split("\t") + [""] * 6)[:6]
    if s not in WANT or not re.match(WANT[s], name):
        continue
    try:
        v = float(v)
    except ValueError:
        continue
    if name not in vals:
        order.append(name)
    vals.setdefault(name, {}).setdefault(int(r), {})[side] = v
    units[name] = unit
rows = []
for name in order:
    per = {r: d for r, d in vals[name].items() if "old" in d and "new" in d and d["old"] > 0}
    if not per:
        continue
    ratios = [per[r]["new"] / per[r]["old"] for r in sorted(per)]
    better = "lower" if units[name] in LOWER_BETTER else "higher"
    rows.append((name, units[name], better, statistics.median(ratios), min(ratios), max(ratios), len(ratios),
                 statistics.median(d["old"] for d in per.values()), statistics.median(d["new"] for d in per.values()),
                 ratios))
with open(f"{out}/ab.tsv", "w") as fh:
    fh.write("figure\tunit\tbetter\tratio_median\tratio_min\tratio_max\trounds\told_median\tnew_median\tratios\n")
    for n, u, b, med, lo, hi, k, om, nm, rs in rows:
        fh.write(f"{n}\t{u}\t{b}\t{med:.4f}\t{lo:.4f}\t{hi:.4f}\t{k}\t{om:.6g}\t{nm:.6g}\t{','.join(f'{x:.4f}' for x in rs)}\n")
print(open(f"{out}/env.txt").read().rstrip())
print()
print(f"{'figure':<34} {'unit':<11} {'better':<6} {'new/old median':>14} {'min..max':>13} {'rounds':>6} {'old':>10} {'new':>10}")
for n, u, b, med, lo, hi, k, om, nm, rs in rows:
    print(f"{n:<34} {u:<11} {b:<6} {med:>14.3f} {f'{lo:.3f}..{hi:.3f}':>13} {k:>6} {om:>10.5g} {nm:>10.5g}")
if not rows:
    print("no figure was measured on both sides in any round (see raw/*.log)")
    sys.exit(1)
print()
print(f"ratios are new/old within each round; {out}/ab.tsv has them per round")
EOF
exit $status
