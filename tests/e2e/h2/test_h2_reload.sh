#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# HTTP/2 across reloads: multiplexed load (h2load over h2c and TLS) through six SIGHUP reloads that change the
# upstream's servers, with zero failed streams; an h2 connection opened before a reload serves streams after
# it; SIGTERM lets an in-flight stream finish and tells the client GOAWAY NO_ERROR.
. "$(dirname "$0")/../lib/h2_lib.sh"
h2_setup || exit 1
l7_upstream a || exit 1; A=$UP_PORT
l7_upstream b || exit 1; B=$UP_PORT
UP_PORT=$A h2_pair_start workers=2 || exit 1
cp "$SL_TMP/c.yaml" "$SL_TMP/one.yaml"
sed "s/servers: \[ { address: 127.0.0.1:$A } \]/servers: [ { address: 127.0.0.1:$A }, { address: 127.0.0.1:$B } ]/" \
	"$SL_TMP/one.yaml" >"$SL_TMP/two.yaml"
grep -q ":$B" "$SL_TMP/two.yaml" || { diag "could not write the second config"; exit 1; }
# put NAME: the live config becomes NAME.yaml (replaced whole)
put() { cp "$SL_TMP/$1.yaml" "$SL_TMP/c.yaml.new" && mv "$SL_TMP/c.yaml.new" "$SL_TMP/c.yaml"; }
rb0=$(up_stats "$B" requests)

# 4 s of load on both listeners (rate-limited so it spans the reloads), six reloads in the middle
timeout 20 h2load -D 4 -c 4 -m 10 --rps 100 "http://127.0.0.1:$P/load" >"$SL_TMP/h2c.out" 2>&1 &
L1=$!
_sl_pids+=("$L1")
timeout 20 h2load -D 4 -c 2 -m 10 --rps 100 "https://127.0.0.1:$S/load" >"$SL_TMP/h2.out" 2>&1 &
L2=$!
_sl_pids+=("$L2")
sleep 0.7
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) = 1 ]; then put two; else put one; fi
	kill -HUP "$SLUICED_PID"
	sleep 0.4
done
put two; kill -HUP "$SLUICED_PID"
wait "$L1"; wait "$L2"
for f in h2c h2; do
	out=$(grep -E '^requests:' "$SL_TMP/$f.out")
	sed 's/^/# /' <<<"$out"
	succ=$(sed -n 's/.* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
	[[ $out == *" succeeded, 0 failed, 0 errored, 0 timeout"* ]] && [ "${succ:-0}" -gt 100 ]
	ok $? "$f: multiplexed load through 7 reloads: ${succ:-no} streams succeeded, none failed"
	out=$(grep -E '^status codes:' "$SL_TMP/$f.out")
	[[ $out == "status codes: ${succ:-x} 2xx, 0 3xx, 0 4xx, 0 5xx"* ]]; ok $? "$f: every one a 2xx ($out)"
done
reloads=$(grep -c "reload: .* applied" "$SL_TMP/sluiced.log")
[ "$reloads" = 7 ]; ok $? "7 reloads applied ($reloads)"
h2_client --port "$P" get -n 6 --path /b >/dev/null
rb=$(($(up_stats "$B" requests) - rb0 - 1))   # 1: the question itself
[ "$rb" -gt 0 ]; ok $? "h2 streams reach the server the reloads added ($rb requests on b)"

# a connection opened before a reload goes on serving streams after it
python3 - "$H2_CLIENT" "$P" >"$SL_TMP/held" 2>&1 <<'EOP' &
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("h2_client", sys.argv[1])
h2 = importlib.util.module_from_spec(spec); spec.loader.exec_module(h2)
a = type("A", (), dict(host="127.0.0.1", port=int(sys.argv[2]), tls=False, sni=None, verbose=False, omit=(), split=None, time=10.0,
                       authority="127.0.0.1:" + sys.argv[2], no_window_update=False, body_out=None))()
c = h2.Conn(a)
c.preface([(h2.S_ENABLE_PUSH, 0)])
s1 = c.open_stream(c.request_fields("GET", "/before"))
c.wait([s1.sid])
print("before", s1.status, flush=True)
time.sleep(1.5)
s2 = c.open_stream(c.request_fields("GET", "/after"))
c.wait([s2.sid])
print("after", s2.status, "goaway", h2.err_name(c.goaway[0]) if c.goaway else "none")
EOP
HELD=$!
_sl_pids+=("$HELD")
sleep 0.5
put one; kill -HUP "$SLUICED_PID"
wait "$HELD"
sed 's/^/# /' "$SL_TMP/held"
[ "$(sed -n 1p "$SL_TMP/held")" = "before 200" ] && [ "$(sed -n 2p "$SL_TMP/held" | cut -d' ' -f1,2)" = "after 200" ]
ok $? "an h2 connection made before a reload serves a new stream after it ($(sed -n 2p "$SL_TMP/held"))"
[ "$(sed -n 2p "$SL_TMP/held" | cut -d' ' -f4)" = none ]
ok $? "a reload that leaves the listener's http2 settings sends that connection no GOAWAY"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"

# a reload that changes the listener's http2 settings: GOAWAY NO_ERROR (graceful), the stream in flight finishes
sed 's/^      http2: true$/      http2: { enabled: true, max_concurrent_streams: 64 }/' "$SL_TMP/two.yaml" >"$SL_TMP/three.yaml"
grep -q "max_concurrent_streams: 64" "$SL_TMP/three.yaml" || diag "could not write the third config"
h2_client --port "$P" get --path /delay/1500 >"$SL_TMP/change" &
T0=$!
_sl_pids+=("$T0")
sleep 0.4
put three; kill -HUP "$SLUICED_PID"
wait "$T0"
line=$(cat "$SL_TMP/change")
[ "$(h2_field "$line" status)" = "200*1" ] && [ "$(h2_field "$line" goaway)" = "0x0/NO_ERROR" ]
ok $? "a reload that changes the http2 settings: GOAWAY NO_ERROR, the stream in flight answered 200 ($line)"
line=$(h2_client --port "$P" get -n 4 --path /after-change)
[ "$(h2_field "$line" status)" = "200*4" ]; ok $? "... and a new connection gets the new settings' service ($line)"

# SIGTERM: the stream in flight finishes, the client is told GOAWAY NO_ERROR
h2_client --port "$P" get --path /delay/1000 >"$SL_TMP/term" &
T1=$!
_sl_pids+=("$T1")
sleep 0.4
kill -TERM "$SLUICED_PID"
wait "$T1"
line=$(cat "$SL_TMP/term")
[ "$(h2_field "$line" status)" = "200*1" ] && [ "$(h2_field "$line" goaway)" = "0x0/NO_ERROR" ]
ok $? "SIGTERM: an in-flight stream answered 200, then GOAWAY NO_ERROR ($line)"
done_testing
