#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# HTTP/2 flood defences: each flood of h2_client.py (Rapid Reset, CONTINUATION, SETTINGS, PING, PRIORITY,
# empty DATA, an HPACK bomb, a zero window that never opens) gets its connection a GOAWAY, one log line
# naming the client and the reason, and a /metrics counter, while well-behaved clients (curl, one request a
# connection; h2load, one long connection) keep getting 200s and sluiced keeps running.
. "$(dirname "$0")/../lib/h2_lib.sh"
h2_setup || exit 1
l7_upstream a || exit 1
D=$(free_port)
h2_proxy_start <<EOC || exit 1
      http2: { enabled: true, max_resets: 100, max_control_frames: 100, max_continuations: 4 }
      client_idle: 2s
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: dflt
      listen: 127.0.0.1:$D
      mode: reverse
      http2: true
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$UP_PORT } ] }
EOC
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$D"
h2_need "$P"

# The well-behaved clients, for the whole test: curl (a new h2c connection a request, at most 3000 or 60 s,
# until good.stop appears) and h2load (one connection, 2 streams at a time, 20 requests a second, 200 requests).
good_loop() {
	local i=0 end=$((SECONDS + 60))
	while [ ! -e "$SL_TMP/good.stop" ] && [ $i -lt 3000 ] && [ $SECONDS -lt $end ]; do
		curl -s -m 3 --http2-prior-knowledge -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$P/good" >>"$SL_TMP/good"
		i=$((i + 1))
		sleep 0.02
	done
}
: >"$SL_TMP/good"
good_loop &
GOOD=$!
_sl_pids+=("$GOOD")
timeout 40 h2load -n 200 -c 1 -m 2 --rps 20 "http://127.0.0.1:$P/steady" >"$SL_TMP/h2load.out" 2>&1 &
STEADY=$!
_sl_pids+=("$STEADY")
good_count() { wc -l <"$SL_TMP/good"; }
good_past() { [ "$(good_count)" -ge "$1" ]; }

# flood MODE REASON METRIC CODES [ARG...]: one flood of h2_client.py (MODE, with ARGs) against listener pub,
# or listener $FL on port $FP when they are set. It must get a GOAWAY whose code is one of CODES ("0xb",
# "0xb|0x1") and its connection closed; the log line with REASON appears; /metrics counts one more GOAWAY
# of reason METRIC; curl is served on meanwhile.
flood() {
	local mode=$1 reason=$2 metric=$3 codes=$4 name=${FL:-pub} line code g0 m0 desc
	shift 4
	desc="$name: $mode"
	g0=$(good_count)
	m0=$(tls_metric sluice_http2_goaways_total "reason=\"$metric\"")
	line=$(h2_client --port "${FP:-$P}" "$mode" "$@")
	code=$(h2_field "$line" goaway)
	[[ "|$codes|" == *"|${code%%/*}|"* ]] && [ "$(h2_field "$line" closed)" = yes ]
	ok $? "$desc: GOAWAY ${codes//|/ or }, connection closed ($line)"
	wait_for 3 h2_logged "$name" "$reason"
	ok $? "$desc: logged 'listener $name: h2: client 127.0.0.1:PORT: $reason: ...' ($(grep -m1 -oE "listener $name: h2: client [0-9.:]+: $reason: .*" "$SL_TMP/sluiced.log"))"
	wait_for 3 tls_metric_ge $((m0 + 1)) sluice_http2_goaways_total "reason=\"$metric\""
	ok $? "$desc: sluice_http2_goaways_total{reason=\"$metric\"} $m0 -> $(tls_metric sluice_http2_goaways_total "reason=\"$metric\"")"
	wait_for 5 good_past $((g0 + 3))
	ok $? "$desc: curl went on being served meanwhile ($(($(good_count) - g0)) requests)"
}
wait_for 5 good_past 3 || diag "curl got no answer before the floods"

flood rapid-reset        "rapid reset"           rapid_reset        "0xb"           --time 5
r=$(tls_metric sluice_http2_resets_total 'by="client",reason="cancel"')
[ "$r" -ge 100 ]; ok $? "the resets counted: sluice_http2_resets_total{by=\"client\",reason=\"cancel\"} $r (>= 100)"
flood continuation-flood "continuation flood"    continuation_flood "0xb|0x1"       --time 5
flood settings-flood     "settings flood"        settings_flood     "0xb"           --time 5
flood ping-flood         "ping flood"            ping_flood         "0xb"           --time 5
flood priority-flood     "control frame flood"   control_flood      "0xb"           --time 5
flood empty-data-flood   "control frame flood"   control_flood      "0xb"           --time 5 --path /echo
flood hpack-bomb         "header list too large" header_list        "0xb|0x1|0x9"   --time 5
# the default max_continuations, 8 (nghttp2's own limit is set just past it: ours trips, with its GOAWAY)
FP=$D FL=dflt flood continuation-flood "continuation flood" continuation_flood "0xb|0x1" --time 5
flood zero-window        "stalled"               stalled            "0xb"           --time 8 --path /size/8388608
n=$(grep -cE "listener pub: h2: client 127\.0\.0\.1:[0-9]+: control frame flood: " "$SL_TMP/sluiced.log")
[ "$n" = 2 ]; ok $? "PRIORITY and empty DATA floods: one log line each ($n)"
n=$(grep -cE "listener (pub|dflt): h2: client " "$SL_TMP/sluiced.log")
[ "$n" = 9 ]; ok $? "one log line per flood, no more ($n)"
line=$(h2_client --port "$P" zero-window --time 1 --path /size/0)
[ "$(h2_field "$line" goaway)" = none ] && [ "$(h2_field "$line" status)" = "200*1" ]
ok $? "a zero window is no flood by itself: an empty response goes out (HEADERS need no window) ($line)"
line=$(h2_client --port "$P" get -n 20 --path /after)
[ "$(h2_field "$line" status)" = "200*20" ]; ok $? "a new h2 connection is served after the floods ($line)"

touch "$SL_TMP/good.stop"
wait "$GOOD"
total=$(good_count); bad=$(grep -vc '^200$' "$SL_TMP/good")
[ "$bad" = 0 ] && [ "$total" -gt 20 ]; ok $? "curl through every flood: $total requests, $bad not 200"
wait "$STEADY"
out=$(grep -E '^requests:' "$SL_TMP/h2load.out")
succ=$(sed -n 's/.* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
[[ $out == *" succeeded, 0 failed, 0 errored, 0 timeout"* ]] && [ "${succ:-0}" -gt 100 ]
ok $? "h2load's one connection through every flood: ${succ:-no} streams succeeded, none failed ($out)"
g=$(tls_metric sluice_http2_goaways_total); [ "$g" -ge 9 ]; ok $? "sluice_http2_goaways_total, every reason: $g (>= 9)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
