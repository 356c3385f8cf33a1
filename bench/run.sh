#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Benchmark entry point (`make bench`): runs each scenario script N times, then writes raw data, a Markdown table and plots.
#
#   bench/run.sh [--quick] [--scenarios l4,l7,...] [--duration S] [--reps N] [--deps | --no-deps] [--publish]
#
#   --quick      1 rep, 1 s per figure, SL_BENCH_QUICK=1 (smaller matrices): checks the harness, not speed
#   --deps       install the peers first (BENCH=1 tools/deps.sh); the default except under --quick
#   --publish    after a full run, copy the report to bench/results/latest/ and into README.md
#
# A scenario is an executable bench/<name>.sh (not run, ab, plot*, lib*, publish*). run.sh calls it as
#   bench/<name>.sh --duration S --out DIR
# once per rep, with SL_BENCH_QUICK (0/1), SL_BENCH_REP (1..N: e.g. to rotate the order of
# peers) and SL_BENCH_PREFIX (sb<pid>, unique per run: name every namespace and BPF pin with
# it plus a lowercase letter of the scenario's own) in the environment. It prints on stdout, one per line:
#   figure NAME VALUE UNIT                     a measured number
#   ratio NAME NUM_FIGURE DEN_FIGURE TARGET    computed here, within each rep; TARGET like >=0.9 or -
#   cores PREFIX TEXT                          which cores did what for the figures named PREFIX*
#   skipped WHAT REASON                        a peer or figure left out, and why
#   note TEXT                                  shown under the scenario's table
# and progress/diagnostics on stderr. Exit 0 ok, 77 skipped (last stderr line: why), else failed.
# Results: bench/results/<UTC date-time>/{results.md,results.tsv,summary.tsv,env.txt,*.png,raw/}.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=2
REPS=3
SCENARIOS=
QUICK=0
DEPS=
PUBLISH=0
usage() { echo "usage: $0 [--quick] [--scenarios a,b] [--duration S] [--reps N] [--deps|--no-deps] [--publish]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; shift ;;
	--scenarios) [ $# -ge 2 ] || usage; SCENARIOS=$2; shift 2 ;;
	--duration) [ $# -ge 2 ] || usage; DURATION=$2; shift 2 ;;
	--reps) [ $# -ge 2 ] || usage; REPS=$2; shift 2 ;;
	--deps) DEPS=1; shift ;;
	--no-deps) DEPS=0; shift ;;
	--publish) PUBLISH=1; shift ;;
	-h|--help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
done
if [ $QUICK = 1 ]; then DURATION=1 REPS=1; fi
[[ $REPS =~ ^[0-9]+$ ]] && [ "$REPS" -ge 1 ] && [ "$REPS" -le 20 ] || { echo "run.sh: --reps 1..20" >&2; exit 2; }
[[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 1 ] && [ "$DURATION" -le 600 ] ||
	{ echo "run.sh: --duration 1..600 (whole seconds: wrk counts in seconds)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (namespaces, XDP)" >&2; exit 1; }

ALL=$(cd "$ROOT/bench" && for f in ./*.sh; do [ -x "$f" ] && echo "$f"; done |
	sed 's|^\./||; s|\.sh$||' | grep -Ev '^(run|ab|plot.*|lib.*|publish.*)$' | paste -sd, -)
FULL=0
if [ -z "$SCENARIOS" ]; then SCENARIOS=$ALL; FULL=1; fi

# make test's quick run installs nothing: a missing peer is skipped with its reason
# (CI runs tools/deps.sh without BENCH=1); `make bench` installs the peers first.
[ -z "$DEPS" ] && DEPS=$((1 - QUICK))
if [ "$DEPS" = 1 ]; then
	BENCH=1 "$ROOT/tools/deps.sh" || { echo "run.sh: BENCH=1 tools/deps.sh failed" >&2; exit 1; }
fi

STAMP=$(date -u +%Y%m%d-%H%M%S)
DIR=${SL_BENCH_RESULTS:-$ROOT/bench/results}/$STAMP
# A second run started in the same second gets its own directory.
[ -e "$DIR" ] && DIR=$DIR-$$
mkdir -p "$DIR/raw" || exit 1
# Namespaces, pins and the like carry this prefix (topo.sh allows 11 characters; a
# scenario appends at most 2), so leftovers of this run, and only of this run, can be found.
export SL_BENCH_PREFIX=sb$$
export SL_BENCH_QUICK=$QUICK
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(uname -n), kernel $(uname -r)"
	echo "cpus: $(nproc) ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))"
	echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
	echo "args: duration=$DURATION reps=$REPS quick=$QUICK scenarios=$SCENARIOS"
	echo "prefix: $SL_BENCH_PREFIX"
} >"$DIR/env.txt"

IFS=, read -ra list <<<"$SCENARIOS"
n_runs=$((${#list[@]} * REPS))
T0=$SECONDS
declare -A rep_time     # scenario -> seconds of its last rep
done_runs=0 done_secs=0
LEFT=$DIR/leftovers.txt
: >"$LEFT"

mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

# eta I R: a guess of the seconds left before scenario I, rep R starts its run: this
# scenario's last rep time for its remaining reps, the mean rep time for the others.
eta() {
	local i=$1 r=$2 mean t=0 k s
	[ $done_runs -gt 0 ] || { echo "?"; return; }
	mean=$((done_secs / done_runs))
	for ((k = i; k <= ${#list[@]}; k++)); do
		s=${list[$((k - 1))]}
		local reps_left=$REPS
		[ "$k" = "$i" ] && reps_left=$((REPS - r + 1))
		t=$((t + reps_left * ${rep_time[$s]:-$mean}))
	done
	mmss $t
}

# reap PGID WHAT: processes still in a finished scenario's process group are leftovers:
# listed, then stopped by PID (TERM, then KILL).
reap() {
	local pg=$1 what=$2 pids p
	pids=$(pgrep -g "$pg" 2>/dev/null | grep -vx "$$" || true)
	[ -n "$pids" ] || return 0
	for p in $pids; do
		echo "process $p ($(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-120)) left by $what" >>"$LEFT"
		kill -TERM "$p" 2>/dev/null
	done
	sleep 1
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
}

# Leftovers of the whole run: anything still naming this run's results directory (configs live
# there, so even a daemon that left its process group is found), this run's namespaces and pins.
# A daemon that made itself a session leader takes its whole session with it.
sweep() {
	stray=$(for p in $(pgrep -f "$DIR/" 2>/dev/null); do
		[ "$p" = $$ ] && continue
		echo "$p"
		[ "$(ps -o sid= -p "$p" 2>/dev/null | tr -d ' ')" = "$p" ] && pgrep -s "$p"
	done | sort -un)
	for p in $stray; do
		echo "process $p ($(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-120)) still running" >>"$LEFT"
		kill -KILL "$p" 2>/dev/null
	done
	# The prefix is followed by the scenario's letter: sb12 must not take sb123's namespaces.
	for ns in $(ip netns list 2>/dev/null | awk -v p="^$SL_BENCH_PREFIX[a-z]" '$1 ~ p { print $1 }'); do
		echo "network namespace $ns" >>"$LEFT"
		ip netns del "$ns" 2>/dev/null
	done
	for pin in /sys/fs/bpf/*"$SL_BENCH_PREFIX"[a-z]*; do
		[ -e "$pin" ] || continue
		echo "BPF pin $pin" >>"$LEFT"
		rm -rf "$pin"
	done
	if [ -s "$LEFT" ]; then
		status=1
		echo "run.sh: LEFTOVERS (removed now; a scenario does not clean up):" >&2
		sed 's/^/run.sh:   /' "$LEFT" >&2
	else
		echo "run.sh: nothing left running (processes, namespaces and pins named $SL_BENCH_PREFIX<letter>)" >&2
	fi
}

status=0
child=
# Interrupted: the running scenario gets TERM (its trap tears its setup down), then
# the same search for leftovers as at the end; no report.
on_interrupt() {
	trap '' INT TERM
	echo "run.sh: interrupted; stopping the running scenario" >&2
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child"
		reap "$child" "the interrupted scenario"
	fi
	sweep
	exit 130
}
trap on_interrupt INT TERM
# Scenarios clean up after themselves; a hung one is stopped after this long.
PER_RUN_LIMIT=$((180 + 40 * DURATION))
i=0
for s in "${list[@]}"; do
	i=$((i + 1))
	script=$ROOT/bench/$s.sh
	if [ ! -x "$script" ]; then
		echo "[$i/${#list[@]}] $s: no executable bench/$s.sh" >&2
		echo "scenario $s: no executable bench/$s.sh" >"$DIR/raw/$s.missing"
		status=1
		continue
	fi
	for ((r = 1; r <= REPS; r++)); do
		base=$DIR/raw/$s.rep$r
		mkdir -p "$base.d"
		echo "[$i/${#list[@]}] $s rep $r/$REPS: running (run $((done_runs + 1)) of $n_runs, elapsed $(mmss $((SECONDS - T0))), ~$(eta "$i" "$r") left)" >&2
		start=$SECONDS
		# In the background so an interrupt here reaches the scenario; timeout puts it in
		# its own process group, which is how its leftovers are found afterwards.
		SL_BENCH_REP=$r timeout -k 10 "$PER_RUN_LIMIT" "$script" --duration "$DURATION" --out "$base.d" >"$base.tsv" 2>"$base.log" &
		child=$!
		wait $child
		rc=$?
		reap "$child" "$s rep $r"
		child=
		took=$((SECONDS - start))
		rep_time[$s]=$took
		done_runs=$((done_runs + 1)) done_secs=$((done_secs + took))
		skipwhy=$(grep -v "^[[:space:]]*$" "$base.log" | tail -1)
		case $rc in
		0) what="done" ;;
		77) what="skipped${skipwhy:+ ($skipwhy)}"; echo "skip $skipwhy" >>"$base.tsv" ;;
		124|137) what="FAILED: stopped after ${PER_RUN_LIMIT} s (see ${base#"$ROOT"/}.log)"; status=1
		    echo "failed stopped after $PER_RUN_LIMIT s" >>"$base.tsv" ;;
		*) what="FAILED rc=$rc (see ${base#"$ROOT"/}.log)"; status=1
		   echo "failed rc=$rc: $skipwhy" >>"$base.tsv" ;;
		esac
		echo "[$i/${#list[@]}] $s rep $r/$REPS: $what in $took s (elapsed $(mmss $((SECONDS - T0))), ~$(eta "$i" $((r + 1))) left)" >&2
	done
done

sweep

/usr/bin/python3 "$ROOT/bench/report.py" "$DIR" "$SCENARIOS" "$REPS" || status=1
if command -v gnuplot >/dev/null; then
	"$ROOT/bench/plot.sh" "$DIR" >"$DIR/plot.log" 2>&1 || { echo "run.sh: plot.sh failed (see $DIR/plot.log)" >&2; status=1; }
else
	echo "gnuplot not installed (BENCH=1 tools/deps.sh): no plots" >"$DIR/plot.log"
fi
# Again, now that the plots exist, so results.md links them.
/usr/bin/python3 "$ROOT/bench/report.py" "$DIR" "$SCENARIOS" "$REPS" || status=1

if [ $PUBLISH = 1 ]; then
	if [ $FULL = 1 ] && [ $QUICK = 0 ]; then
		/usr/bin/python3 "$ROOT/bench/report.py" --publish "$DIR" "$ROOT" || status=1
	else
		echo "run.sh: --publish needs a full run (all scenarios, not --quick); not published" >&2
	fi
fi
echo "results: $DIR/results.md (total $(mmss $((SECONDS - T0))))" >&2
cat "$DIR/results.md"
exit $status
