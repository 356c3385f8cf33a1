#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L4 scenario: packets/s through Sluice's XDP balancer and its peers, measured one after another on one topology.
#
#   bench/l4.sh [--duration S] [--out DIR] [--flows N]
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
P=slb$$-
PIN=/sys/fs/bpf/sluice-bench-$$
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
# the lb and the backends, and a forwarder must never wait on ARP mid-measurement.
for i in 1 2 3; do
	eval "ip -n $NS_LB neigh replace \$BE${i}_IP4 lladdr \$MAC_BE$i dev $IF_LB_OUT nud permanent"
done

gen() {  # gen NAME COUNT_NS COUNT_DEV [l4_gen options...]: one measurement, prints counted pps
	local name=$1 cns=$2 cdev=$3 line; shift 3
	line=$("$GEN" --gen-ns "$NS_CLI" --gen-dev "$IF_CLI" --src-mac "$MAC_CLI" --dst-mac "$MAC_LB_IN" \
		--src "$CLI4" --dst "$VIP4" --dport 80 --flows "$FLOWS" --cpu "$GEN_CPU" \
		--duration "$DURATION" --count-ns "$cns" --count-dev "$cdev" "$@")
	echo "$name $line" >>"$RAW"
	progress "$name: $line"
	sed -n 's/.*chunk_p90=\([0-9]*\).*/\1/p' <<<"$line"
}

# out LINE: a result line, on stdout for run.sh and kept for the table printed at the end.
out() {
	echo "$*"
	echo "$*" >>"$OUT/l4.tsv"
}

declare -A PPS
figure() {  # figure NAME PPS: the pps figure, and the lb's own ns/packet once the XDP_DROP baseline is known
	PPS[$1]=$2
	out "figure l4.$1 $2 pps"
	if [ "$1" != xdp_drop ] && [ -n "${PPS[xdp_drop]:-}" ] && [ "$2" -gt 0 ]; then
		out "$(awk -v n="$1" -v x="$2" -v d="${PPS[xdp_drop]}" 'BEGIN { printf "figure l4.%s_ns %.1f ns/packet", n, 1e9 / x - 1e9 / d }')"
	fi
}

# (1) XDP_DROP at the lb: the most any XDP program there can take from this generator.
figure xdp_drop "$(gen xdp_drop "$NS_LB" "$IF_LB_IN")"
# (2) The plain forwarders: new MACs + redirect to the backend side, and XDP_TX back to the client.
figure xdp_fwd "$(gen xdp_fwd "$NS_NET" "$IF_NET_UP" --lb-ns "$NS_LB" --lb-dev "$IF_LB_IN" --lb-prog fwd \
	--fwd-dev "$IF_LB_OUT" --fwd-src "$MAC_LB_OUT" --fwd-dst "$MAC_BE1")"
figure xdp_tx "$(gen xdp_tx "$NS_CLI" "$IF_CLI" --lb-ns "$NS_LB" --lb-dev "$IF_LB_IN" --lb-prog reflect)"

# (3) The kernel's own forwarding with nftables DNAT over the 3 backends.
ip netns exec "$NS_LB" sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=1 2>/dev/null || true
ip netns exec "$NS_LB" nft -f - <<EOF
table ip sl_bench {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $VIP4 tcp dport 80 dnat to numgen inc mod 3 map { 0 : $BE1_IP4, 1 : $BE2_IP4, 2 : $BE3_IP4 }
	}
}
EOF
figure nft_dnat "$(gen nft_dnat "$NS_NET" "$IF_NET_UP")"
ip netns exec "$NS_LB" nft delete table ip sl_bench

# (4) Sluice: sluiced loads sl_lb on the lb's interfaces and fills the maps: 1 VIP, 3 backends
# (100/100/50), forwarding ipip, then L2 DSR. Nothing but the config differs between the two.
sluice() {  # sluice FORWARDING: prints the figure's pps, or nothing if sluiced did not come up
	local fwd=$1 ready=0 pps=
	cat >"$OUT/l4-sluiced-$fwd.yaml" <<EOF
workers: 1
admin:
  listen: unix:$OUT/admin.sock
l4:
  interfaces: [$IF_LB_IN, $IF_LB_OUT]
  xdp_mode: native
  forwarding: $fwd
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
EOF
	# Control plane on CPU 0, out of the measured core's way (it is idle during the run anyway).
	nsenter --net="/run/netns/$NS_LB" taskset -c 0 "$BUILD/sluiced" -c "$OUT/l4-sluiced-$fwd.yaml" \
		--pin-dir "$PIN" >"$OUT/l4-sluiced-$fwd.log" 2>&1 &
	SLUICED_PID=$!
	for _ in $(seq 50); do
		kill -0 "$SLUICED_PID" 2>/dev/null || break
		if ip -n "$NS_LB" link show "$IF_LB_IN" | grep -q xdp && [ -e "$PIN/sl_lb" ]; then ready=1; break; fi
		sleep 0.1
	done
	if [ $ready = 1 ]; then
		sleep 0.5  # rings are written right after the attach
		pps=$(gen "sluice_$fwd" "$NS_NET" "$IF_NET_UP")
		# Cross-check: sl_lb's own per-VIP counter saw at least what the sink counted.
		if [ -x "$BUILD/sluicectl" ]; then
			"$BUILD/sluicectl" -s "unix:$OUT/admin.sock" --json stats >"$OUT/l4-sluiced-$fwd.stats.json" 2>/dev/null &&
				progress "sluice_$fwd: sl_lb VIP packets $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vips"][0]["stats"]["packets"])' "$OUT/l4-sluiced-$fwd.stats.json" 2>/dev/null || echo '?') (warm-up included)"
		fi
	else
		progress "sluiced ($fwd) did not attach sl_lb (log: $OUT/l4-sluiced-$fwd.log)"
		sed 's/^/l4:   /' "$OUT/l4-sluiced-$fwd.log" | tail -5 >&2
	fi
	kill "$SLUICED_PID" 2>/dev/null || true
	wait "$SLUICED_PID" 2>/dev/null || true
	SLUICED_PID=
	rm -rf "$PIN"   # the next run starts from empty maps
	echo "$pps"
}

if [ -x "$BUILD/sluiced" ]; then
	for fwd in ipip dsr; do
		pps=$(sluice "$fwd")
		[ -n "$pps" ] || continue
		figure "sluice_$fwd" "$pps"
		out "ratio sluice_$fwd/xdp_fwd l4.sluice_$fwd l4.xdp_fwd >=0.90"
		out "ratio sluice_$fwd/xdp_tx l4.sluice_$fwd l4.xdp_tx >=0.90"
		out "ratio sluice_$fwd/nft_dnat l4.sluice_$fwd l4.nft_dnat >=5"
		out "ratio sluice_$fwd/xdp_drop l4.sluice_$fwd l4.xdp_drop -"
		out "ratio lb_ns:nft_dnat/sluice_$fwd l4.nft_dnat_ns l4.sluice_${fwd}_ns >=5"
		out "ratio lb_ns:sluice_$fwd/xdp_fwd l4.sluice_${fwd}_ns l4.xdp_fwd_ns -"
	done
else
	progress "build/sluiced missing: Sluice not measured"
fi
out "ratio xdp_fwd/nft_dnat l4.xdp_fwd l4.nft_dnat -"
out "note one core (CPU $GEN_CPU) does everything: generator (BPF_PROG_RUN live frames, 60-byte TCP ACK frames = 64 on a wire, $FLOWS flows), the lb's XDP or kernel forwarding, the sink; pps = packets counted per CPU-second of that core, p90 over 65536-frame chunks; *_ns = 1e9/pps - 1e9/pps(xdp_drop), the lb's own cost; $DURATION s per figure"

# The same as a table on stderr, ratios computed from this run's figures.
awk '
	$1 == "figure" { v[$2] = $3; u[$2] = $4; order[++n] = $2 }
	$1 == "ratio" { r[++m] = $0 }
	END {
		printf "\n%-22s %14s  %s\n", "figure", "value", "unit"
		for (i = 1; i <= n; i++) printf "%-22s %14.1f  %s\n", order[i], v[order[i]], u[order[i]]
		printf "\n%-30s %8s  %s\n", "ratio", "value", "target"
		for (i = 1; i <= m; i++) {
			split(r[i], f, " ")
			if ((f[3] in v) && (f[4] in v) && v[f[4]] > 0)
				printf "%-30s %8.3f  %s\n", f[2], v[f[3]] / v[f[4]], f[5]
		}
	}' "$OUT/l4.tsv" >&2
