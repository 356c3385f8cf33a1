#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L4 scenario: packets per second of the balancer's core, Sluice's XDP balancer beside its peers, one topology.
#
#   bench/l4.sh [--duration S] [--out DIR] [--flows N] [--generator auto|live|ring]
#
# (SL_BENCH_QUICK=1: 0.3 s per figure; SL_L4_GENERATOR sets the default generator.)
# One rep. Prints result lines on stdout (bench/run.sh aggregates them):
#   figure NAME VALUE UNIT
#   ratio NAME NUMERATOR_FIGURE DENOMINATOR_FIGURE TARGET
# and progress on stderr. Raw generator output goes to DIR/l4.raw.
#
# Core split: the lb's receive path runs in its own NAPI kernel thread
# (threaded NAPI on its client-side veth), pinned alone to LB_CPU; the
# generator and the client's receive path share GEN_CPU. Each figure is packets
# through the lb per CPU-second of that thread (/proc/PID/schedstat), so it is
# the lb's cost per packet whichever side is the bottleneck: `l4.X_ns` is
# 1e9 / `l4.X`.
#
# The lb sends every packet back out of the interface it came in on (XDP_TX,
# as a single-NIC Katran does): the backends are routed through the client's
# link, so the client side sees every forwarded packet and can send it again.
# Generators (build/bench/l4_gen, bench/l4_gen.c), picked once per rep:
#   live  BPF_PROG_RUN live frames from a thread on GEN_CPU, counted by a sink
#         on the client's veth (when the kernel allows it: auto tries it first);
#   ring  a ping-pong: a few hundred frames that the client's XDP program
#         (ring_pong) turns back into fresh requests each time the lb returns
#         them, so the lb never waits; XDP_DROP (which returns nothing) and
#         the kernel's forwarding (through which a ping-pong stalls) are fed by
#         a broadcast ring on a veth pair beside the client's link.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SL_BUILD:-$ROOT/build}
. "$ROOT/tests/e2e/lib/configs.sh"   # sluiced's L4 config, the one the e2e tests write (sl_config_l4)
GEN=$BUILD/bench/l4_gen
DURATION=2
OUT=
FLOWS=1024
GENERATOR=${SL_L4_GENERATOR:-auto}
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--flows) FLOWS=$2; shift 2 ;;
	--generator) GENERATOR=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--out DIR] [--flows N] [--generator auto|live|ring]" >&2; exit 2 ;;
	esac
done
case $GENERATOR in auto|live|ring) ;; *) echo "l4.sh: --generator auto|live|ring" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "l4.sh: needs root" >&2; exit 77; }
[ -x "$GEN" ] || { echo "l4.sh: $GEN missing: run make" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "l4.sh: needs 2 CPUs (the lb's core apart from the generator's)" >&2; exit 77; }
OUT=${OUT:-$(mktemp -d /tmp/sluice-l4.XXXXXX)}
mkdir -p "$OUT"
RAW=$OUT/l4.raw
: >"$RAW"
: >"$OUT/l4.tsv"

GEN_CPU=0 LB_CPU=1
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
RING_A=${P}ga RING_B=${P}gb

# Everything the lb forwards goes back out of its client-side veth: each backend is
# a /32 (/128) there whose neighbour is the client, so XDP_TX, the kernel's routing and
# nftables' DNAT all hand the packet back to the client, never wait on ARP / ND, and
# never reach the backend segment.
for i in 1 2 3; do
	eval "be4=\$BE${i}_IP4 be6=\$BE${i}_IP6"
	ip -n "$NS_LB" route replace "$be4/32" dev "$IF_LB_IN"
	ip -n "$NS_LB" neigh replace "$be4" lladdr "$MAC_CLI" dev "$IF_LB_IN" nud permanent
	ip -n "$NS_LB" -6 route replace "$be6/128" dev "$IF_LB_IN"
	ip -n "$NS_LB" -6 neigh replace "$be6" lladdr "$MAC_CLI" dev "$IF_LB_IN" nud permanent
done
# routing back out of the ingress interface is the point here, not a misconfiguration to report
ip netns exec "$NS_LB" sysctl -qw net.ipv4.conf.all.send_redirects=0 \
	"net.ipv4.conf.$IF_LB_IN.send_redirects=0" >/dev/null
# the broadcast ring's veth pair (XDP_DROP's generator when live frames are refused)
ip -n "$NS_CLI" link add "$RING_A" type veth peer name "$RING_B"
for d in "$RING_A" "$RING_B"; do
	ip -n "$NS_CLI" link set "$d" up
	ip netns exec "$NS_CLI" ethtool -K "$d" tx off gro on >/dev/null 2>&1 || true
done

# napi_thread NS DEV CPU: threaded NAPI on DEV (GRO on keeps its NAPI, and so the
# thread, across XDP attach and detach); pins the thread to CPU and prints its PID,
# found as the napi/* thread that appeared when threading was switched on (its name,
# "napi/DEV-ID", is cut at 15 characters).
napi_thread() {
	local ns=$1 dev=$2 cpu=$3 before after pid p
	ip netns exec "$ns" sh -c "echo 0 > /sys/class/net/$dev/threaded"
	before=$(pgrep '^napi/' | sort || true)
	ip netns exec "$ns" sh -c "echo 1 > /sys/class/net/$dev/threaded"
	after=$(pgrep '^napi/' | sort || true)
	pid=
	for p in $after; do
		grep -qx "$p" <<<"$before" || { pid=$p; break; }
	done
	[ -n "$pid" ] || { progress "no NAPI thread appeared for $dev"; return 1; }
	taskset -pc "$cpu" "$pid" >/dev/null
	echo "$pid"
}
LB_PID=$(napi_thread "$NS_LB" "$IF_LB_IN" "$LB_CPU")
CLI_PID=$(napi_thread "$NS_CLI" "$IF_CLI" "$GEN_CPU")
napi_thread "$NS_CLI" "$RING_A" "$GEN_CPU" >/dev/null
napi_thread "$NS_CLI" "$RING_B" "$GEN_CPU" >/dev/null

GEN_ARGS=(--gen-ns "$NS_CLI" --gen-dev "$IF_CLI" --src-mac "$MAC_CLI" --dst-mac "$MAC_LB_IN"
	--dport 80 --flows "$FLOWS" --cpu "$GEN_CPU" --lb-pid "$LB_PID" --ring-devs "$RING_A,$RING_B")

# The generator, once: live frames unless refused (or not asked for), else the ring;
# whichever it is must run, or nothing can generate here and the scenario is skipped,
# with the reason, like a missing peer.
probe() {
	"$GEN" "${GEN_ARGS[@]}" --src "$CLI4" --dst "$VIP4" --count-ns "$NS_LB" --count-dev "$IF_LB_IN" \
		--generator "$1" --duration 0.05 --warmup 0 >/dev/null 2>"$OUT/l4-probe.err"
}
if [ "$GENERATOR" = auto ]; then
	if probe live; then
		GENERATOR=live
	else
		progress "live frames: $(tail -1 "$OUT/l4-probe.err"); using the ring"
		GENERATOR=ring
	fi
fi
if ! probe "$GENERATOR"; then
	echo "no packet generator runs here: $(tail -1 "$OUT/l4-probe.err")" >&2
	exit 77
fi
# client_sink ON|OFF: a sink on the client's veth shares GEN_CPU with the generator; one that
# waited its turn would let that veth's ring overflow, and the lb's work on what it drops go
# uncounted, so it runs first (SCHED_FIFO) while it counts. A ping-pong ring needs no such
# thing (nothing is dropped; the client's thread is the generator itself).
client_sink() {
	if [ "$1" = ON ]; then chrt -f -p 10 "$CLI_PID"; else chrt -o -p 0 "$CLI_PID"; fi
}
progress "generator: $GENERATOR; lb NAPI thread $LB_PID on cpu$LB_CPU, generator and client on cpu$GEN_CPU"

# gen NAME FAMILY COUNT_NS COUNT_DEV [l4_gen options...]: one measurement; sets GEN_PPS (empty on failure).
# Counted on the client's link, a ring generator plays ping-pong with the lb unless --broadcast.
gen() {
	local name=$1 fam=$2 cns=$3 cdev=$4 src=$CLI4 dst=$VIP4 line; shift 4
	[ "$fam" = 6 ] && src=$CLI6 dst=$VIP6
	GEN_PPS=
	if [ "$cdev" = "$IF_CLI" ] && { [ "$GENERATOR" = live ] || [[ " $* " = *" --broadcast "* ]]; }; then
		client_sink ON
	else
		client_sink OFF
	fi
	line=$("$GEN" "${GEN_ARGS[@]}" --src "$src" --dst "$dst" --generator "$GENERATOR" \
		--duration "$GEN_SECONDS" --warmup "$GEN_WARMUP" --count-ns "$cns" --count-dev "$cdev" "$@") || true
	client_sink OFF
	echo "$name $line" >>"$RAW"
	progress "$name: ${line:-failed}"
	GEN_PPS=$(sed -n 's/.* per_clock_s=\([0-9]*\).*/\1/p' <<<"$line")
}

# out LINE: a result line, on stdout for run.sh and kept for the table printed at the end.
out() {
	echo "$*"
	echo "$*" >>"$OUT/l4.tsv"
}

# figure NAME: GEN_PPS as figure l4.NAME (packets per lb core-second), and l4.NAME_ns.
figure() {
	local name=$1
	[ -n "$GEN_PPS" ] && [ "$GEN_PPS" -gt 0 ] || return 0
	out "figure l4.$name $GEN_PPS pps"
	out "$(awk -v n="$name" -v x="$GEN_PPS" 'BEGIN { printf "figure l4.%s_ns %.1f ns/packet", n, 1e9 / x }')"
}

back=("$NS_CLI" "$IF_CLI")  # counted where the lb sends it: the client
reflect=(--lb-ns "$NS_LB" --lb-dev "$IF_LB_IN" --lb-prog reflect)
redirect=(--lb-ns "$NS_LB" --lb-dev "$IF_LB_IN" --lb-prog fwd --fwd-dev "$IF_LB_IN" --fwd-src "$MAC_LB_IN" --fwd-dst "$MAC_CLI")

# (1) The ceilings, plain XDP programs at the lb: XDP_DROP (consumes every packet), XDP_TX
# (swap MACs, back out), and the redirect path (new MACs, bpf_redirect out of the same veth).
for fam in 4 6; do
	s=; [ $fam = 6 ] && s=6
	gen "xdp_drop$s" $fam "$NS_LB" "$IF_LB_IN"; figure "xdp_drop$s"
	gen "xdp_tx$s" $fam "${back[@]}" "${reflect[@]}"; figure "xdp_tx$s"
	gen "xdp_fwd$s" $fam "${back[@]}" "${redirect[@]}"; figure "xdp_fwd$s"
done

# (2) The kernel's own forwarding, no XDP: plain routing of the VIP to backend 1 (no
# netfilter rule, so no conntrack in the lb's namespace), then nftables DNAT over the 3
# backends. A ping-pong through the kernel's routing stalls (frames wait in its receive
# path), so a ring generator feeds these with the broadcast ring and a sink counts.
ip -n "$NS_LB" route replace "$VIP4/32" via "$BE1_IP4" dev "$IF_LB_IN"
ip -n "$NS_LB" -6 route replace "$VIP6/128" via "$BE1_IP6" dev "$IF_LB_IN"
gen kernel_fwd 4 "${back[@]}" --broadcast; figure kernel_fwd
gen kernel_fwd6 6 "${back[@]}" --broadcast; figure kernel_fwd6
ip -n "$NS_LB" route del "$VIP4/32"
ip -n "$NS_LB" -6 route del "$VIP6/128"

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
	gen nft_dnat 4 "${back[@]}" --broadcast; figure nft_dnat
	gen nft_dnat6 6 "${back[@]}" --broadcast; figure nft_dnat6
	ip netns exec "$NS_LB" nft delete table ip sl_bench
	ip netns exec "$NS_LB" nft delete table ip6 sl_bench6
}
if command -v nft >/dev/null; then
	nft_figures
else
	out "skipped nft_dnat nft not installed (nftables: BENCH=1 tools/deps.sh)"
fi

# (3) Sluice: sluiced loads sl_lb on the lb's interfaces and fills the maps: an IPv4 and an
# IPv6 VIP, 3 backends each (100/100/50); forwarding ipip (IPv6-in-IPv6 for the IPv6 VIP),
# then L2 DSR. Its next-hop lookup finds every backend out of the ingress veth: XDP_TX.
# sluice_start FORWARDING [INSERT_RATE]: starts sluiced (SLUICED_PID, for the EXIT trap); 0 once sl_lb is attached.
sluice_start() {
	local fwd=$1 rate=${2:-125000} _
	sl_config_l4 "$OUT/l4-sluiced-$fwd.yaml" "unix:$OUT/admin.sock" "$IF_LB_IN, $IF_LB_OUT" "$fwd" \
		"conntrack_insert_rate: $rate" "detach_on_exit: true"
	sl_config_l4_vip "$OUT/l4-sluiced-$fwd.yaml" bench "$VIP4" 80 "" "$BE1_IP4:100" "$BE2_IP4:100" "$BE3_IP4:50"
	sl_config_l4_vip "$OUT/l4-sluiced-$fwd.yaml" bench6 "$VIP6" 80 "" "$BE1_IP6:100" "$BE2_IP6:100" "$BE3_IP6:50"
	# Control plane on the generator's CPU, out of the lb core's way (idle during the run anyway).
	nsenter --net="/run/netns/$NS_LB" taskset -c "$GEN_CPU" "$BUILD/sluiced" -c "$OUT/l4-sluiced-$fwd.yaml" \
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
	# Cross-check: sl_lb's own per-VIP counters saw at least what the client counted.
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

if [ -x "$BUILD/sluiced" ]; then
	for fwd in ipip dsr; do
		if sluice_start "$fwd"; then
			gen "sluice_$fwd" 4 "${back[@]}"; figure "sluice_$fwd"
			gen "sluice_${fwd}6" 6 "${back[@]}"; figure "sluice_${fwd}6"
		fi
		sluice_stop "$fwd"
	done
	# Every packet a SYN of a known flow: a Maglev pick and a conntrack insert each time
	# (no insert-rate limit, so none of them goes untracked).
	if sluice_start ipip 0; then
		gen sluice_ipip_syn 4 "${back[@]}" --syn; figure sluice_ipip_syn
	fi
	sluice_stop ipip
else
	progress "build/sluiced missing: Sluice not measured"
fi

for n in sluice_ipip sluice_dsr sluice_ipip_syn; do
	out "ratio $n/xdp_tx l4.$n l4.xdp_tx >=0.6"
	out "ratio $n/xdp_fwd l4.$n l4.xdp_fwd -"
	out "ratio $n/nft_dnat l4.$n l4.nft_dnat >=6"
	out "ratio $n/kernel_fwd l4.$n l4.kernel_fwd -"
done
for n in sluice_ipip6 sluice_dsr6; do
	out "ratio $n/xdp_tx6 l4.$n l4.xdp_tx6 >=0.6"
	out "ratio $n/nft_dnat6 l4.$n l4.nft_dnat6 >=6"
done
out "ratio xdp_tx/nft_dnat l4.xdp_tx l4.nft_dnat -"
out "ratio kernel_fwd/nft_dnat l4.kernel_fwd l4.nft_dnat -"
out "cores l4. the lb: its client-side veth's NAPI thread alone on cpu$LB_CPU (the figure's clock); generator ($GENERATOR), client side and sluiced's control plane: cpu$GEN_CPU"
if [ "$GENERATOR" = ring ]; then
	how="an XDP ring: a ping-pong of 128 frames between the lb and the client's ring_pong, so the lb never waits; XDP_DROP, kernel_fwd and nft_dnat: a broadcast ring on a veth pair beside the client's link (see lb_busy in the raw file: the lb may wait)"
else
	how="BPF_PROG_RUN live frames on cpu$GEN_CPU, counted by a sink on the client's veth"
fi
out "note generator: $GENERATOR, $how. Figures: packets through the lb per CPU-second of its NAPI thread (schedstat), whole run; *_ns = 1e9 / that, the lb's cost per packet. The lb sends every packet back out of its client-side veth (backends routed there): XDP_TX for reflect and Sluice, bpf_redirect to the same veth for xdp_fwd, the kernel's routing for kernel_fwd and nft_dnat. IPv4 60-byte TCP ACK frames (64 on a wire), IPv6 74 bytes, $FLOWS flows; sluice_ipip_syn: SYNs, conntrack_insert_rate 0. $GEN_SECONDS s per figure"

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
