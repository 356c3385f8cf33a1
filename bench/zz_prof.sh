#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L4 scenario: packets/s through Sluice's XDP balancer and its peers, measured one after another on one topology.
#
#   bench/l4.sh [--duration S] [--out DIR] [--flows N]     (SL_BENCH_QUICK=1: 0.3 s per figure)
#
# One rep. Prints result lines on stdout (bench/run.sh aggregates them):
#   figure NAME VALUE UNIT
#   ratio NAME NUMERATOR_FIGURE DENOMINATOR_FIGURE TARGET
# and progress on stderr. Raw generator output goes to DIR/l4.raw.
#
# Core split: ONE core does all the packet work. The generator
# (build/bench/l4_gen, BPF_PROG_RUN live frames) is pinned to GEN_CPU; the
# veths run NAPI in softirq on the CPU that queued the frame, so the program
# under test at the lb (or the kernel's forwarding with nftables), the
# counting sink behind it, and the generator itself all run on GEN_CPU, in
# the generator's context. Each figure is packets counted at the sink per
# CPU-second of the generator thread, taken per chunk of 65536 frames; the
# figure is the chunks' 90th percentile (the least disturbed by other work on
# the shared core), so other load slows the wall clock but hardly the figure.
# NAME_p50 figures give the median chunk beside it, and p50: ratios compare
# those: a program whose chunk rates spread wide looks better at p90 alone.
# The generator and the sink cost the same in every figure; the derived
# "<name>_ns" figures subtract the XDP_DROP run (generator + a trivial
# program) to give what the lb's own work costs per packet.
# (Threaded NAPI on a second core was tried: the NAPI thread's wake-up
# latency, not per-packet cost, then decides the rate, and it idles ~60%.)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SL_BUILD:-$ROOT/build}
GEN=$BUILD/bench/l4_gen
DURATION=2
OUT=
FLOWS=1024
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--flows) FLOWS=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--out DIR] [--flows N]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "l4.sh: needs root" >&2; exit 77; }
[ -x "$GEN" ] || { echo "l4.sh: $GEN missing: run make" >&2; exit 1; }
OUT=${OUT:-$(mktemp -d /tmp/sluice-l4.XXXXXX)}
mkdir -p "$OUT"
RAW=$OUT/l4.raw
: >"$RAW"
: >"$OUT/l4.tsv"

if [ "$(nproc)" -ge 2 ]; then GEN_CPU=1; else GEN_CPU=0; fi
# Names carry run.sh's per-run prefix (so it can find leftovers of this run only).
P=${SL_BENCH_PREFIX:-sb$$}l-
PIN=/sys/fs/bpf/sluice-bench-${P%-}
GEN_SECONDS=$DURATION GEN_WARMUP=0.3
if [ "${SL_BENCH_QUICK:-0}" = 1 ]; then GEN_SECONDS=0.3 GEN_WARMUP=0.1; fi
SLUICED_PID=

cleanup() {
	if [ -n "$SLUICED_PID" ]; then
		kill "$SLUICED_PID" 2>/dev/null || true
		for _ in $(seq 20); do kill -0 "$SLUICED_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$SLUICED_PID" 2>/dev/null || true
	fi
	"$ROOT/tools/topo.sh" down "$P" >/dev/null 2>&1 || true
	rm -rf "$PIN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

progress() { echo "l4: $*" >&2; }

"$ROOT/tools/topo.sh" up "$P" --backends 3 >/dev/null
eval "$("$ROOT/tools/topo.sh" env "$P")"

# Backends are reached through permanent neighbour entries: the sink sits between
# the lb and the backends, and a forwarder must never wait on ARP / ND mid-measurement.
for i in 1 2 3; do
	eval "ip -n $NS_LB neigh replace \$BE${i}_IP4 lladdr \$MAC_BE$i dev $IF_LB_OUT nud permanent"
	eval "ip -n $NS_LB -6 neigh replace \$BE${i}_IP6 lladdr \$MAC_BE$i dev $IF_LB_OUT nud permanent"
done

# gen NAME FAMILY COUNT_NS COUNT_DEV [l4_gen options...]: one measurement; sets GEN_PPS (empty on failure).
gen() {
	local name=$1 fam=$2 cns=$3 cdev=$4 src=$CLI4 dst=$VIP4 line; shift 4
	[ "$fam" = 6 ] && src=$CLI6 dst=$VIP6
	GEN_PPS=
	line=$(perf record -q -o /tmp/perf.$name.$FLOWS.${CTE:-def} -C $GEN_CPU -- "$GEN" --gen-ns "$NS_CLI" --gen-dev "$IF_CLI" --src-mac "$MAC_CLI" --dst-mac "$MAC_LB_IN" \
		--src "$src" --dst "$dst" --dport 80 --flows "$FLOWS" --cpu "$GEN_CPU" \
		--duration "$GEN_SECONDS" --warmup "$GEN_WARMUP" --count-ns "$cns" --count-dev "$cdev" "$@") || true
	echo "$name $line" >>"$RAW"
	progress "$name: ${line:-failed}"
	GEN_PPS=$(sed -n 's/.*chunk_p90=\([0-9]*\).*/\1/p' <<<"$line")
	GEN_P50=$(sed -n 's/.*chunk_p50=\([0-9]*\).*/\1/p' <<<"$line")
}

# out LINE: a result line, on stdout for run.sh and kept for the table printed at the end.
out() {
	echo "$*"
	echo "$*" >>"$OUT/l4.tsv"
}

# figure NAME BASELINE: GEN_PPS as figure NAME; NAME_ns (the lb's own ns/packet over the
# XDP_DROP figure BASELINE, xdp_drop or xdp_drop6) is emitted at the end, once the
# baseline has been measured twice (first and last) and the better of the two is known.
declare -A PPS BASE
NAMES=()
figure() {
	local name=$1 base=${2:-}
	[ -n "$GEN_PPS" ] && [ "$GEN_PPS" -gt 0 ] || return 0
	PPS[$name]=$GEN_PPS
	BASE[$name]=$base
	NAMES+=("$name")
	case $name in xdp_drop|xdp_drop6) return 0 ;; esac
	out "figure l4.$name $GEN_PPS pps"
	# the median chunk too: a program whose chunk rates spread wide looks better at p90
	[ -n "$GEN_P50" ] && out "figure l4.${name}_p50 $GEN_P50 pps"
}

# baseline NAME: the second XDP_DROP run; the figure is the higher of the two (less disturbed).
baseline() {
	local first=${PPS[$1]:-0}
	[ -n "$GEN_PPS" ] && [ "$GEN_PPS" -gt "$first" ] && PPS[$1]=$GEN_PPS
	[ "${PPS[$1]:-0}" -gt 0 ] && out "figure l4.$1 ${PPS[$1]} pps"
}

ns_figures() {
	local n b
	for n in "${NAMES[@]}"; do
		b=${BASE[$n]}
		[ -n "$b" ] && [ -n "${PPS[$b]:-}" ] || continue
		out "$(awk -v n="$n" -v x="${PPS[$n]}" -v d="${PPS[$b]}" \
			'BEGIN { printf "figure l4.%s_ns %.1f ns/packet", n, 1e9 / x - 1e9 / d }')"
	done
}

fwd_opts=(--lb-ns "$NS_LB" --lb-dev "$IF_LB_IN" --lb-prog fwd --fwd-dev "$IF_LB_OUT" --fwd-src "$MAC_LB_OUT" --fwd-dst "$MAC_BE1")

# (1) XDP_DROP at the lb: the most any XDP program there can take from this generator.
gen xdp_drop 4 "$NS_LB" "$IF_LB_IN"; figure xdp_drop
# (2) The plain forwarders: new MACs + redirect to the backend side, and XDP_TX back to the client.
gen xdp_fwd 4 "$NS_NET" "$IF_NET_UP" "${fwd_opts[@]}"; figure xdp_fwd xdp_drop
gen xdp_tx 4 "$NS_CLI" "$IF_CLI" --lb-ns "$NS_LB" --lb-dev "$IF_LB_IN" --lb-prog reflect; figure xdp_tx xdp_drop
# The same over IPv6 (74-byte frames).
gen xdp_drop6 6 "$NS_LB" "$IF_LB_IN"; figure xdp_drop6
true || gen xdp_fwd6 6 "$NS_NET" "$IF_NET_UP" "${fwd_opts[@]}"; figure xdp_fwd6 xdp_drop6

# (3) The kernel's own forwarding, no XDP: plain routing of the VIP to backend 1 (no
# netfilter rule, so no conntrack in the lb's namespace), then nftables DNAT over the 3
# backends (IPv4, then IPv6).
ip -n "$NS_LB" route replace "$VIP4/32" via "$BE1_IP4" dev "$IF_LB_OUT"
ip -n "$NS_LB" -6 route replace "$VIP6/128" via "$BE1_IP6" dev "$IF_LB_OUT"
true || gen kernel_fwd 4 "$NS_NET" "$IF_NET_UP"; figure kernel_fwd xdp_drop
true || gen kernel_fwd6 6 "$NS_NET" "$IF_NET_UP"; figure kernel_fwd6 xdp_drop6
ip -n "$NS_LB" route del "$VIP4/32"
ip -n "$NS_LB" -6 route del "$VIP6/128"

# nft_figures: the kernel forwarding with nftables DNAT (numgen inc mod 3) to the 3 backends.
nft_figures() {
	ip netns exec "$NS_LB" sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=1 2>/dev/null || true
	ip netns exec "$NS_LB" nft -f - <<EOF
table ip sl_bench {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $VIP4 tcp dport 80 dnat to numgen inc mod 3 map { 0 : $BE1_IP4, 1 : $BE2_IP4, 2 : $BE3_IP4 }
	}
}
table ip6 sl_bench6 {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip6 daddr $VIP6 tcp dport 80 dnat to numgen inc mod 3 map { 0 : $BE1_IP6, 1 : $BE2_IP6, 2 : $BE3_IP6 }
	}
}
EOF
	gen nft_dnat 4 "$NS_NET" "$IF_NET_UP"; figure nft_dnat xdp_drop
	gen nft_dnat6 6 "$NS_NET" "$IF_NET_UP"; figure nft_dnat6 xdp_drop6
	ip netns exec "$NS_LB" nft delete table ip sl_bench
	ip netns exec "$NS_LB" nft delete table ip6 sl_bench6
}
if false; then
	nft_figures
else
	out "skipped nft_dnat nft not installed (nftables: BENCH=1 tools/deps.sh)"
fi

# (4) Sluice: sluiced loads sl_lb on the lb's interfaces and fills the maps: an IPv4 and an
# IPv6 VIP, 3 backends each (100/100/50); forwarding ipip (IPv6-in-IPv6 for the IPv6 VIP),
# then L2 DSR. Nothing but the config differs between the two.
# sluice FORWARDING: starts sluiced (SLUICED_PID, for the EXIT trap); 0 once sl_lb is attached.
sluice_start() {
	local fwd=$1 _
	cat >"$OUT/l4-sluiced-$fwd.yaml" <<EOF
workers: 1
admin:
  listen: unix:$OUT/admin.sock
l4:
  interfaces: [$IF_LB_IN, $IF_LB_OUT]
  xdp_mode: native
  forwarding: $fwd
${CTE:+  conntrack_entries: $CTE}
  detach_on_exit: true
  vips:
    - name: bench
      address: $VIP4
      port: 80
      protocol: tcp
      backends:
        - { address: $BE1_IP4, weight: 100 }
        - { address: $BE2_IP4, weight: 100 }
        - { address: $BE3_IP4, weight: 50 }
    - name: bench6
      address: $VIP6
      port: 80
      protocol: tcp
      backends:
        - { address: $BE1_IP6, weight: 100 }
        - { address: $BE2_IP6, weight: 100 }
        - { address: $BE3_IP6, weight: 50 }
EOF
	# Control plane on CPU 0, out of the measured core's way (it is idle during the run anyway).
	nsenter --net="/run/netns/$NS_LB" taskset -c 0 "$BUILD/sluiced" -c "$OUT/l4-sluiced-$fwd.yaml" \
		--pin-dir "$PIN" >"$OUT/l4-sluiced-$fwd.log" 2>&1 &
	SLUICED_PID=$!
	for _ in $(seq 50); do
		kill -0 "$SLUICED_PID" 2>/dev/null || break
		if ip -n "$NS_LB" link show "$IF_LB_IN" | grep -q xdp && [ -e "$PIN/sl_lb" ]; then
			sleep 0.5  # rings are written right after the attach
			return 0
		fi
		sleep 0.1
	done
	progress "sluiced ($fwd) did not attach sl_lb (log: $OUT/l4-sluiced-$fwd.log)"
	sed 's/^/l4:   /' "$OUT/l4-sluiced-$fwd.log" | tail -5 >&2
	return 1
}

sluice_stop() {
	local fwd=$1
	# Cross-check: sl_lb's own per-VIP counters saw at least what the sink counted.
	if [ -x "$BUILD/sluicectl" ] &&
	   "$BUILD/sluicectl" -s "unix:$OUT/admin.sock" --json stats >"$OUT/l4-sluiced-$fwd.stats.json" 2>/dev/null; then
		progress "sluice_$fwd: sl_lb VIP packets (warm-up included): $(/usr/bin/python3 - \
			"$OUT/l4-sluiced-$fwd.stats.json" 2>/dev/null <<'PY' || echo '?'
import json, sys
print(", ".join("%s %d" % (v["name"], v["stats"]["packets"]) for v in json.load(open(sys.argv[1]))["vips"]))
PY
)"
	fi
	kill "$SLUICED_PID" 2>/dev/null || true
	wait "$SLUICED_PID" 2>/dev/null || true
	SLUICED_PID=
	rm -rf "$PIN"   # the next run starts from empty maps
}

sluice_ratios() {  # sluice_ratios NAME PEER_SUFFIX
	local n=$1 s=$2
	[ -n "${PPS[$n]:-}" ] || return 0
	out "ratio $n/xdp_fwd$s l4.$n l4.xdp_fwd$s >=0.90"
	[ -z "$s" ] && out "ratio $n/xdp_tx l4.$n l4.xdp_tx >=0.90"
	out "ratio $n/nft_dnat$s l4.$n l4.nft_dnat$s >=5"
	out "ratio $n/kernel_fwd$s l4.$n l4.kernel_fwd$s -"
	out "ratio $n/xdp_drop$s l4.$n l4.xdp_drop$s -"
	out "ratio lb_ns:nft_dnat$s/$n l4.nft_dnat${s}_ns l4.${n}_ns >=5"
	out "ratio lb_ns:$n/xdp_fwd$s l4.${n}_ns l4.xdp_fwd${s}_ns -"
	out "ratio p50:$n/xdp_fwd$s l4.${n}_p50 l4.xdp_fwd${s}_p50 -"
	out "ratio p50:$n/nft_dnat$s l4.${n}_p50 l4.nft_dnat${s}_p50 -"
}

if [ -x "$BUILD/sluiced" ]; then
	for fwd in ipip; do
		if sluice_start "$fwd"; then
			gen "sluice_$fwd" 4 "$NS_NET" "$IF_NET_UP"; figure "sluice_$fwd" xdp_drop
			if [ "$fwd" = ipip ]; then
				true || gen sluice_ipip6 6 "$NS_NET" "$IF_NET_UP"; figure sluice_ipip6 xdp_drop6
			fi
		fi
		sluice_stop "$fwd"
	done
	sluice_ratios sluice_ipip ""
	sluice_ratios sluice_dsr ""
	sluice_ratios sluice_ipip6 6
else
	progress "build/sluiced missing: Sluice not measured"
fi
# The XDP_DROP baselines again, last: the figure is the better of the two runs.
gen xdp_drop 4 "$NS_LB" "$IF_LB_IN"; baseline xdp_drop
gen xdp_drop6 6 "$NS_LB" "$IF_LB_IN"; baseline xdp_drop6
ns_figures
out "ratio xdp_fwd/nft_dnat l4.xdp_fwd l4.nft_dnat -"
out "ratio xdp_fwd/kernel_fwd l4.xdp_fwd l4.kernel_fwd -"
out "ratio kernel_fwd/nft_dnat l4.kernel_fwd l4.nft_dnat -"
out "cores l4. generator, lb (XDP or kernel forwarding) and sink: cpu$GEN_CPU (softirq in the generator's context); sluiced (idle control plane): cpu0"
out "note one core (CPU $GEN_CPU) does everything: generator (BPF_PROG_RUN live frames: IPv4 60-byte TCP ACK frames = 64 on a wire, IPv6 74 bytes; $FLOWS flows), the lb's XDP or kernel forwarding, the sink; pps = packets counted per CPU-second of that core, p90 over 65536-frame chunks; *_ns = 1e9/pps - 1e9/pps(xdp_drop of the same family), the lb's own cost; kernel_fwd = plain routing to one backend, no netfilter; $GEN_SECONDS s per figure"

# The same as a table on stderr, ratios computed from this run's figures.
awk '
	$1 == "figure" { v[$2] = $3; u[$2] = $4; order[++n] = $2 }
	$1 == "ratio" { r[++m] = $0 }
	END {
		printf "\n%-22s %14s  %s\n", "figure", "value", "unit"
		for (i = 1; i <= n; i++) printf "%-22s %14.1f  %s\n", order[i], v[order[i]], u[order[i]]
		printf "\n%-34s %8s  %s\n", "ratio", "value", "target"
		for (i = 1; i <= m; i++) {
			split(r[i], f, " ")
			if ((f[3] in v) && (f[4] in v) && v[f[4]] > 0)
				printf "%-34s %8.3f  %s\n", f[2], v[f[3]] / v[f[4]], f[5]
		}
	}' "$OUT/l4.tsv" >&2
