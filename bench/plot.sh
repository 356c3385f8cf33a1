#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Draws a bench run's PNG plots with gnuplot from its summary.tsv and plotdata/ (written by bench/report.py).
#
#   bench/plot.sh DIR
#
# Bars are medians over the reps with min..max error bars. Each plot whose figures
# are absent from the run (scenario skipped, not selected, peer missing) is left out.
#   l4_pps.png                  L4 packets/s per scenario, IPv4 and IPv6
#   l7_rps.png, l7_rps_per_core.png, l7_p99.png   per proxy, 100 B and 10 KiB
#   l7_conns.png                requests/s against concurrent connections
#   l7_latency_cdf_GROUP.png    latency CDF, one line per proxy (plotdata/l7.cdf-GROUP.tsv)
#   idle_mem.png                bytes per idle keep-alive connection
#   SCENARIO_UNIT.png           any other scenario (cache, forward, bpf_ns, ...): its figures per unit
set -euo pipefail
DIR=${1:?usage: plot.sh DIR}
SUM=$DIR/summary.tsv
PD=$DIR/plotdata
[ -s "$SUM" ] || { echo "plot.sh: no $SUM" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not installed (BENCH=1 tools/deps.sh)" >&2; exit 0; }
mkdir -p "$PD"

# stat FIGURE: "median<TAB>min<TAB>max" of a figure, "NaN NaN NaN" when absent; $SCALE divides.
SCALE=1
stat() {
	awk -F'\t' -v f="$1" -v s="$SCALE" '$2 == f { printf "%g\t%g\t%g", $5 / s, $4 / s, $6 / s; found = 1 }
		END { if (!found) printf "NaN\tNaN\tNaN" }' "$SUM"
}
has() { awk -F'\t' -v f="$1" '$2 == f { x = 1 } END { exit !x }' "$SUM"; }
cores() { awk -F'\t' -v f="$1" '$2 == f { print $8; exit }' "$SUM"; }

# table OUT "Header1<TAB>Header2..." then lines "LABEL FIG1 FIG2 ..." on stdin: one row per
# label, the stats of each figure; rows whose figures are all absent are dropped.
table() {
	local out=$1 head=$2 label figs row any f
	printf 'label\t%s\n' "$head" >"$out"
	while read -r label figs; do
		row=$label any=0
		for f in $figs; do
			has "$f" && any=1
			row+=$'\t'$(stat "$f")
		done
		[ $any = 1 ] && printf '%s\n' "${row//_/ }" >>"$out"
	done
	[ "$(wc -l <"$out")" -gt 1 ]
}

# bars PNG TITLE YLABEL DATA NSERIES: a clustered bar chart with min..max error bars.
bars() {
	gnuplot <<EOF
set terminal pngcairo size 1000,560 font "sans,10" noenhanced
set output "$1"
set title "$2"
set ylabel "$3"
set datafile separator "\t"
set datafile missing "NaN"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set yrange [0:*]
set grid ytics
set key top right
set xtics rotate by -15 scale 0
plot for [i=0:$5-1] "$4" using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) title columnheader(2+3*i)
EOF
	echo "plot.sh: $1" >&2
}

# --- L4: packets/s per scenario (Mpps), IPv4 beside IPv6.
SCALE=1e6
if table "$PD/l4_pps.tsv" $'IPv4\t-\t-\tIPv6\t-\t-' <<'EOF'
XDP_DROP l4.xdp_drop l4.xdp_drop6
XDP_TX_(ceiling) l4.xdp_tx l4.xdp_tx6
XDP_redirect_(ceiling) l4.xdp_fwd l4.xdp_fwd6
Sluice_XDP_IPIP l4.sluice_ipip l4.sluice_ipip6
Sluice_XDP_L2_DSR l4.sluice_dsr l4.sluice_dsr6
kernel_routing l4.kernel_fwd l4.kernel_fwd6
nftables_DNAT l4.nft_dnat l4.nft_dnat6
EOF
then
	bars "$DIR/l4_pps.png" "L4 packets per second of the lb core (64-byte frames)\ncores: $(cores l4.xdp_drop)" \
		"Mpps per CPU-second of the lb core" "$PD/l4_pps.tsv" 2
fi
SCALE=1

# --- L7: per proxy, 100 B and 10 KiB.
l7_bars() {  # l7_bars SUFFIX PNG TITLE YLABEL
	local s=$1
	table "$PD/l7_$s.tsv" $'100 B\t-\t-\t10 KiB\t-\t-' <<EOF || return 0
direct_(no_proxy) l7.direct_100b_$s l7.direct_10k_$s
sluiced l7.sluiced_100b_$s l7.sluiced_10k_$s
nginx l7.nginx_100b_$s l7.nginx_10k_$s
haproxy l7.haproxy_100b_$s l7.haproxy_10k_$s
null_(ceiling) l7.null_100b_$s l7.null_10k_$s
EOF
	bars "$DIR/$2" "$3\ncores: $(cores l7.sluiced_100b_rps)" "$4" "$PD/l7_$s.tsv" 2
}
l7_bars rps l7_rps.png "L7 requests/s, 32 keep-alive connections" "requests/s"
l7_bars rps_per_core l7_rps_per_core.png "L7 requests per proxy CPU-second, 32 connections" "requests / proxy core-second"
l7_bars p99 l7_p99.png "L7 p99 latency, 32 connections" "ms"
l7_bars per_null l7_per_null.png "L7 requests per proxy CPU-second as a fraction of the null forwarder's (1 = the ceiling)" "fraction of null_fwd"

# --- L7: requests/s against concurrent connections (lines, log x).
conns=$(awk -F'\t' '$2 ~ /^l7\.[a-z]+_c[0-9]+_rps$/ { sub(/^l7\.[a-z]+_c/, "", $2); sub(/_rps$/, "", $2); print $2 }' "$SUM" | sort -n | uniq)
if [ -n "$conns" ]; then
	{
		printf 'conns'
		for p in direct sluiced nginx haproxy null; do printf '\t%s' "$p"; done
		printf '\n'
		for c in $conns; do
			printf '%s' "$c"
			for p in direct sluiced nginx haproxy null; do printf '\t%s' "$(stat "l7.${p}_c${c}_rps" | cut -f1)"; done
			printf '\n'
		done
	} >"$PD/l7_conns.tsv"
	gnuplot <<EOF
set terminal pngcairo size 1000,560 font "sans,10" noenhanced
set output "$DIR/l7_conns.png"
set title "L7 requests/s against concurrent keep-alive connections (100 B, median of reps)\ncores: $(cores l7.sluiced_c1_rps)"
set xlabel "connections (wrk -t1)"
set ylabel "requests/s"
set datafile separator "\t"
set datafile missing "NaN"
set logscale x
set yrange [0:*]
set grid
set key outside right
plot for [i=2:6] "$PD/l7_conns.tsv" using 1:i with linespoints lw 2 pt 7 title columnheader(i)
EOF
	echo "plot.sh: $DIR/l7_conns.png" >&2
fi

# --- Latency CDFs: one line per series, log x.
for f in "$PD"/*.cdf-*.tsv; do
	[ -e "$f" ] || continue
	b=$(basename "$f" .tsv)            # l7.cdf-100b
	scen=${b%%.cdf-*} group=${b#*.cdf-}
	n=$(head -1 "$f" | awk -F'\t' '{ print NF }')
	png=$DIR/${scen}_latency_cdf_$group.png
	load="32 connections"
	[ "$scen" = h2 ] && load="10 connections x 10 streams"
	gnuplot <<EOF
set terminal pngcairo size 1000,560 font "sans,10" noenhanced
set output "$png"
set title "$scen latency distribution, $group responses, $load (median of reps per percentile)\ncores: $(cores l7.sluiced_100b_rps)"
set xlabel "latency (ms, log scale)"
set ylabel "requests answered within (%)"
set datafile separator "\t"
set datafile missing "NaN"
set logscale x
set yrange [0:100]
set grid
set key bottom right
plot for [i=2:$n] "$f" using i:1 with lines lw 2 title columnheader(i)
EOF
	echo "plot.sh: $png" >&2
done

# --- Memory per idle connection.
if table "$PD/idle_mem.tsv" $'RSS\t-\t-\tPSS\t-\t-' <<'EOF'
sluiced idle_mem.sluiced_rss_per_conn idle_mem.sluiced_pss_per_conn
nginx idle_mem.nginx_rss_per_conn idle_mem.nginx_pss_per_conn
haproxy idle_mem.haproxy_rss_per_conn idle_mem.haproxy_pss_per_conn
EOF
then
	bars "$DIR/idle_mem.png" "Proxy memory per idle keep-alive client connection (kernel socket memory apart)\ncores: $(cores idle_mem.sluiced_rss_per_conn)" \
		"bytes per connection" "$PD/idle_mem.tsv" 2
fi

# --- Every other scenario: one bar chart per unit, a bar per figure.
for scen in $(awk -F'\t' 'NR > 1 && $1 !~ /^(l4|l7|idle_mem)$/ { print $1 }' "$SUM" | sort -u); do
	awk -F'\t' -v s="$scen" '$1 == s { print $3 }' "$SUM" | sort -u | while read -r unit; do
		tag=$(echo "$unit" | tr -c 'A-Za-z0-9\n' '_' | sed 's/_*$//')
		data=$PD/${scen}_$tag.tsv
		awk -F'\t' -v s="$scen" -v u="$unit" 'BEGIN { print "label\tmedian\t-\t-" }
			$1 == s && $3 == u { l = $2; sub("^" s "\\.", "", l); printf "%s\t%s\t%s\t%s\n", l, $5, $4, $6 }' "$SUM" >"$data"
		bars "$DIR/${scen}_$tag.png" "$scen: $unit\ncores: $(awk -F'\t' -v s="$scen" '$1 == s { print $8; exit }' "$SUM")" \
			"$unit" "$data" 1
	done
done
