# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Shared shell helpers for the end-to-end tests: TAP output, cleanup by PID, waiting.
# Source it first thing: `. "$(dirname "$0")/../lib/lib.sh"` (from tests/e2e/<group>/).

set -u
SL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
SL_BUILD=${SL_BUILD:-$SL_ROOT/build}
SL_TMP=$(mktemp -d /tmp/sluice-e2e.XXXXXX)
_tap_n=0
_tap_fail=0
_sl_pids=()
_sl_cleanups=()

# ok COND_EXIT_STATUS DESCRIPTION: `ok $? "name"` after a command, or use check.
ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_fail=$((_tap_fail + 1))
	fi
}

# check DESCRIPTION -- CMD...: runs CMD, one test point from its exit status.
check() {
	local desc=$1; shift
	[ "${1:-}" = "--" ] && shift
	"$@" >"$SL_TMP/check.out" 2>&1
	local rc=$?
	ok $rc "$desc"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$SL_TMP/check.out" | head -20
	return $rc
}

diag() { echo "# $*"; }

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# done_testing: prints the plan; the EXIT trap cleans up and sets the exit code.
done_testing() { echo "1..$_tap_n"; }

# bg CMD...: starts CMD in the background and remembers its PID for cleanup.
# The PID is left in $BG_PID.
bg() {
	"$@" &
	BG_PID=$!
	_sl_pids+=("$BG_PID")
}

# on_exit CMD: a cleanup command, run in reverse order on exit.
on_exit() { _sl_cleanups+=("$*"); }

_sl_exit() {
	local rc=$?
	local i
	for ((i = ${#_sl_pids[@]} - 1; i >= 0; i--)); do
		kill "${_sl_pids[$i]}" 2>/dev/null
	done
	for ((i = ${#_sl_pids[@]} - 1; i >= 0; i--)); do
		# give each up to 2 s, then SIGKILL
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "${_sl_pids[$i]}" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "${_sl_pids[$i]}" 2>/dev/null
	done
	for ((i = ${#_sl_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_sl_cleanups[$i]}" >/dev/null 2>&1
	done
	rm -rf "$SL_TMP"
	[ $_tap_fail -gt 0 ] && exit 1
	exit $rc
}
trap _sl_exit EXIT
trap 'exit 130' INT TERM

need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }

# wait_for TIMEOUT_S CMD...: polls CMD every 0.1 s until it succeeds or time runs out.
wait_for() {
	local t=$1; shift
	local end=$((SECONDS + t))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
