#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# BPF ns/packet scenario: runs the BPF engineer's build/bench/bpf_ns (BPF_PROG_RUN over the test fixtures) and reports its figures.
#
#   bench/bpf_ns.sh [--duration S] [--out DIR]
#
# bpf_ns's own output is kept verbatim in DIR/bpf_ns.out. Lines of the form
# "NAME ... NUMBER ns..." (one fixture each) become figures "bpf_ns.NAME NUMBER ns/packet";
# lines that already read "figure ..." are passed through as they are.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SL_BUILD:-$ROOT/build}/bench/bpf_ns
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--duration) shift 2 ;;   # bpf_ns sets its own repeat count
	--out) OUT=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--out DIR]" >&2; exit 2 ;;
	esac
done
[ -x "$BIN" ] || { echo "bpf_ns: $BIN not built (yet)" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "bpf_ns: needs root" >&2; exit 77; }
OUT=${OUT:-$(mktemp -d /tmp/sluice-bpfns.XXXXXX)}
mkdir -p "$OUT"

timeout -k 5 120 "$BIN" >"$OUT/bpf_ns.out" 2>"$OUT/bpf_ns.err" || rc=$?
cat "$OUT/bpf_ns.err" >&2
if [ "${rc:-0}" -eq 77 ]; then exit 77; fi
[ "${rc:-0}" -eq 0 ] || { echo "bpf_ns: exit ${rc}" >&2; exit 1; }

# The "katran" column, where bpf_ns prints one, is issue 2's reference figure for that path
# (Katran timed the same way on this kind of machine, not in this run): it becomes a figure
# bpf_ns.katran_ref.NAME and a ratio against the target of 0.7.
awk '
	$1 == "figure" || $1 == "ratio" || $1 == "note" { print; next }
	/^# path/ { for (i = 1; i <= NF; i++) if ($i == "katran") kcol = i - 1; next }
	/^#/ || /^ok / || /^not ok/ { next }
	{
		for (i = 2; i <= NF; i++) {
			v = $i; u = $(i + 1)
			if (v ~ /^[0-9.]+ns/) { u = "ns"; sub(/ns.*/, "", v) }
			if (v ~ /^[0-9]+(\.[0-9]+)?$/ && u ~ /^ns/) {
				name = $1; gsub(/[^A-Za-z0-9_.-]/, "_", name)
				printf "figure bpf_ns.%s %s ns/packet\n", name, v
				if (kcol && $(kcol + 1) ~ /^[0-9]+(\.[0-9]+)?$/) {
					printf "figure bpf_ns.katran_ref.%s %s ns/packet\n", name, $(kcol + 1)
					printf "ratio %s/katran_ref bpf_ns.%s bpf_ns.katran_ref.%s <=0.7\n", name, name, name
				}
				break
			}
		}
	}' "$OUT/bpf_ns.out"
echo "cores bpf_ns. one thread pinned to cpu$([ "$(nproc)" -gt 1 ] && echo 1 || echo 0): BPF_PROG_RUN runs the program in the caller's context"
echo "note build/bench/bpf_ns output verbatim in raw/bpf_ns.rep*.d/bpf_ns.out; katran_ref figures are issue 2's reference for Katran (timed the same way on this kind of machine, not in this run)"
