#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L4: an IPv6 VIP over IPv6 backends (IPv6-in-IPv6) spreads by weight, next to an IPv4 VIP in the same config.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l4_lib.sh"

l4_setup --backends 3
l4_config "$SL_TMP/sluice.yaml" ipip "$VIP6" "$BE1_IP6:100" "$BE2_IP6:100" "$BE3_IP6:50"
l4_config_vip "$SL_TMP/sluice.yaml" web4 "$VIP4" "$BE1_IP4:100" "$BE2_IP4:100" "$BE3_IP4:100"
l4_start "$SL_TMP/sluice.yaml"

l4_up "$VIP6" "IPv6 VIP [$VIP6]:80 answers (IPv6-in-IPv6 to IPv6 backends)"

counts=$(l4_tally "$VIP6" 800)
diag "IPv6 answers: $counts"
check "800 IPv6 connections spread 0.4/0.4/0.2 (+-0.06, >= 3.4 sigma), none failed" -- \
	l4_check_spread "$counts" 0.06 be1:0.4 be2:0.4 be3:0.2 || l4_diag
check "sl_lb's own counters saw those 800 IPv6 SYNs go through Maglev" -- l4_xdp_saw web 800

counts=$(l4_tally "$VIP4" 600)
diag "IPv4 answers: $counts"
check "600 IPv4 connections to the IPv4 VIP spread 1/3 each (+-0.07, >= 3.6 sigma), none failed" -- \
	l4_check_spread "$counts" 0.07 be1:0.3333 be2:0.3333 be3:0.3333 || l4_diag
check "sl_lb's own counters saw those 600 IPv4 SYNs go through Maglev" -- l4_xdp_saw web4 600
done_testing
