#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Garbage on HTTP/2's input paths: a TLS client that chose h2 by ALPN but sends no connection preface, an
# h2c client whose preface is followed by bytes that are no frame, bytes that are no frame after a valid exchange, and
# a preface that stops halfway. Each such connection is closed (said in the log, counted as "protocol"),
# the half preface at request_timeout; sluiced keeps serving the next client on both listeners.
. "$(dirname "$0")/../lib/h2_lib.sh"
h2_setup || exit 1
l7_upstream a || exit 1
h2_pair_start "request_timeout: 1s" || exit 1
p0=$(tls_metric sluice_http2_goaways_total 'reason="protocol"')

# send HOW DATA...: to pub ($P) in cleartext, or to tls ($S) with ALPN h2; prints what came back until the
# close (bounded to 5 s) as "closed BYTES" or "open BYTES"
send() {
	python3 - "$1" "$P" "$S" "${@:2}" <<'EOP'
import socket, ssl, sys, time
how, p, s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
raw = socket.create_connection(("127.0.0.1", s if how == "tls" else p), timeout=5)
if how == "tls":
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    raw = ctx.wrap_socket(raw)
    assert raw.selected_alpn_protocol() == "h2", raw.selected_alpn_protocol()
for a in sys.argv[4:]:
    raw.sendall(b"\xff" * int(a[3:]) if a.startswith("ff:") else a.encode().decode("unicode_escape").encode("latin1"))
got, state, end = 0, "open", time.time() + 5
raw.settimeout(0.5)
while time.time() < end:
    try:
        d = raw.recv(65536)
    except socket.timeout:
        continue
    except (ConnectionError, ssl.SSLError):
        state = "closed"
        break
    if not d:
        state = "closed"
        break
    got += len(d)
print(state, got)
EOP
}
PREFACE='PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
SETTINGS='\x00\x00\x00\x04\x00\x00\x00\x00\x00'

out=$(send tls 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
[[ $out == closed* ]]; ok $? "TLS with ALPN h2, an HTTP/1.1 request instead of the preface: closed ($out)"
grep -q "h2: client 127.0.0.1:[0-9]*: protocol error: not the HTTP/2 connection preface" "$SL_TMP/sluiced.log"
ok $? "... and logged as no HTTP/2 connection preface"
out=$(send h2c "$PREFACE" 'ff:4000')
[[ $out == closed* ]]; ok $? "h2c: the preface, then 4000 bytes of 0xff (a frame far past any size): closed ($out)"
out=$(send tls "$PREFACE$SETTINGS" 'ff:20000')
[[ $out == closed* ]]; ok $? "TLS h2: the preface and SETTINGS, then 20000 bytes of 0xff: closed ($out)"
out=$(send h2c "$PREFACE$SETTINGS" '\x00\x40\x00\x00\x00\x00\x00\x00\x00')
[[ $out == closed* ]]; ok $? "h2c: a DATA frame on stream 0 announcing 16 KiB: closed ($out)"
out=$(send h2c 'PRI * HTTP/2')
[[ $out == closed* ]]; ok $? "h2c: half a preface, then nothing: closed at request_timeout ($out)"
grep -q "h2: client 127.0.0.1:[0-9]*: protocol error: a frame HTTP/2 does not allow: GOAWAY PROTOCOL_ERROR" "$SL_TMP/sluiced.log"
ok $? "a frame nghttp2 refuses: its GOAWAY logged"
wait_for 3 tls_metric_ge "$((p0 + 4))" sluice_http2_goaways_total 'reason="protocol"'
ok $? "counted as protocol (+$(( $(tls_metric sluice_http2_goaways_total 'reason="protocol"') - p0 )), at least 4)"
code=$(h2c_curl "$P" -o /dev/null -w '%{http_code} %{http_version}' /after)
[ "$code" = "200 2" ]; ok $? "h2c: the next client served ($code)"
code=$(h2s_curl "$S" -o /dev/null -w '%{http_code} %{http_version}' /after)
[ "$code" = "200 2" ]; ok $? "TLS h2: the next client served ($code)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
