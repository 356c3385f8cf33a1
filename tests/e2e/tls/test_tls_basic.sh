#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# TLS listener basics: the certificate picked by SNI (exact, wildcard, default), ECDSA and RSA side by side,
# ALPN, TLS 1.2 and 1.3 served, 1.0 and 1.1 refused, curl verifying, the access log's and /metrics' TLS fields.
. "$(dirname "$0")/../lib/tls_lib.sh"
tls_setup || exit 1
l7_upstream a || exit 1
Q13=$(free_port); Q12=$(free_port)
tls_proxy_start <<EOC || exit 1
      access_log: { path: $SL_TMP/access.json, format: json }
      tls:
        certificates:
          - { cert: $T/ec.pem, key: $T/ec.key }
          - { cert: $T/rsa.pem, key: $T/rsa.key }
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: only13
      listen: 127.0.0.1:$Q13
      mode: reverse
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
        protocols: [TLSv1.3]
        ciphersuites: "TLS_CHACHA20_POLY1305_SHA256"
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: only12
      listen: 127.0.0.1:$Q12
      mode: reverse
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
        protocols: [TLSv1.2]
        ciphers: "ECDHE-ECDSA-CHACHA20-POLY1305"
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$UP_PORT } ] }
EOC
hs0=$(tls_metric sluice_tls_handshakes_total)
proto0=$(tls_metric sluice_tls_handshake_failures_total 'reason="protocol"')

# SNI -> certificate (the subject CN names which one was served)
while read -r sni want why; do
	got=$(tls_served "$P" "$sni")
	[ "$got" = "$want" ]; ok $? "SNI $sni: $why ($got)"
done <<EOT
www.example.test    www.example.test  exact name of the first (ECDSA) certificate
example.test        www.example.test  second SAN of the first certificate
rsa.example.test    rsa.example.test  exact name of the second (RSA) certificate
WWW.Example.TEST    www.example.test  names compare without case
x.api.example.test  rsa.example.test  one-label wildcard *.api.example.test
a.b.api.example.test www.example.test wildcard covers one label only: default certificate
api.example.test    www.example.test  wildcard does not cover its own base name: default certificate
nope.example.test   www.example.test  unknown name: default certificate
-                   www.example.test  no SNI: default certificate
EOT
tls_sclient "$P" www.example.test -CAfile "$T/ca.pem" >"$SL_TMP/ec.out"
grep -q "Peer signature type: ECDSA" "$SL_TMP/ec.out" && grep -q "Verify return code: 0 (ok)" "$SL_TMP/ec.out"
ok $? "ECDSA certificate signs, chain verifies against the CA"
tls_sclient "$P" rsa.example.test -CAfile "$T/ca.pem" >"$SL_TMP/rsa.out"
grep -q "Peer signature type: RSA" "$SL_TMP/rsa.out" && grep -q "Verify return code: 0 (ok)" "$SL_TMP/rsa.out"
ok $? "RSA certificate beside it signs, chain verifies"

# protocols: 1.2 and 1.3 by default
out=$(tls_sclient "$P" www.example.test -tls1_3 | grep -E '^New, ')
[[ $out = "New, TLSv1.3, Cipher is TLS_"* ]]; ok $? "TLS 1.3 ($out)"
out=$(tls_sclient "$P" www.example.test -tls1_2 | grep -E '^New, ')
[[ $out = "New, TLSv1.2, Cipher is ECDHE-ECDSA-"* ]]; ok $? "TLS 1.2, ECDHE-ECDSA suite for the EC certificate ($out)"
out=$(tls_sclient "$P" rsa.example.test -tls1_2 | grep -E '^New, ')
[[ $out = "New, TLSv1.2, Cipher is ECDHE-RSA-"* ]]; ok $? "TLS 1.2, ECDHE-RSA suite for the RSA certificate ($out)"
# The control: this openssl can speak 1.0/1.1 at all (security level 0), shown against s_server.
for v in tls1_1 tls1; do
	C=$(free_port)
	bg timeout 10 openssl s_server -accept "127.0.0.1:$C" -cert "$T/ec.crt" -key "$T/ec.key" -"$v" \
		-cipher DEFAULT:@SECLEVEL=0 -naccept 2 -quiet >>"$SL_TMP/s_server.log" 2>&1
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$C"
	sleep 0.2
	ctl=$(tls_sclient "$C" www.example.test -"$v" -cipher DEFAULT:@SECLEVEL=0 | grep -E '^New, ')
	out=$(tls_sclient "$P" www.example.test -"$v" -cipher DEFAULT:@SECLEVEL=0)
	if [[ $ctl != *"Cipher is (NONE)"* && -n $ctl ]]; then
		[[ $(grep -E '^New, ' <<<"$out") = *"Cipher is (NONE)"* ]]
		ok $? "$v refused (control s_server accepted it: $ctl; sluiced: $(grep -m1 -oE 'SSL routines:[^:]*:[^:]*' <<<"$out"))"
		out=$(tls_sclient "$P" www.example.test -"$v" -cipher DEFAULT:@SECLEVEL=0 -msg | grep -E '^<<< .*Alert')
		[[ $out = *"Alert"*"fatal "* ]]; ok $? "$v refused with a fatal alert, not a bare close (${out:-no alert received})"
	else
		skip_point "$v refused" "this openssl cannot negotiate $v even with s_server ($ctl)"
		skip_point "$v refused with an alert" "this openssl cannot negotiate $v even with s_server ($ctl)"
	fi
done
wait_for 3 tls_metric_ge "$((proto0 + 2))" sluice_tls_handshake_failures_total 'reason="protocol"'
ok $? "refused versions counted: sluice_tls_handshake_failures_total{reason=\"protocol\"} $proto0 -> $(tls_metric sluice_tls_handshake_failures_total 'reason="protocol"')"

# protocols, ciphers and ciphersuites set on a listener
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$Q13" && wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$Q12"
out=$(tls_sclient "$Q13" www.example.test | grep -E '^New, ')
[ "$out" = "New, TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256" ]; ok $? "protocols [TLSv1.3] + ciphersuites: that suite ($out)"
out=$(tls_sclient "$Q13" www.example.test -tls1_2 | grep -E '^New, ')
[[ $out = *"Cipher is (NONE)"* ]]; ok $? "protocols [TLSv1.3]: TLS 1.2 refused ($out)"
out=$(tls_sclient "$Q12" www.example.test | grep -E '^New, ')
[ "$out" = "New, TLSv1.2, Cipher is ECDHE-ECDSA-CHACHA20-POLY1305" ]; ok $? "protocols [TLSv1.2] + ciphers: that cipher ($out)"
out=$(tls_sclient "$Q12" www.example.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 | grep -E '^New, ')
[[ $out = *"Cipher is (NONE)"* ]]; ok $? "ciphers: a cipher not listed refused ($out)"

# ALPN
out=$(tls_sclient "$P" www.example.test -alpn h2,http/1.1 | grep -E '^ALPN protocol')
[ "$out" = "ALPN protocol: h2" ]; ok $? "ALPN: h2,http/1.1 offered, h2 selected (http2 is on by default with TLS) ($out)"
out=$(tls_sclient "$P" www.example.test | grep -E '^New, ')
[[ $out = "New, TLSv1.3"* ]]; ok $? "no ALPN offered: still served ($out)"

# curl end to end, verifying
body=$(tls_curl "$P" www.example.test "$T/ca.pem" /x)
[ "$body" = "a /x" ]; ok $? "curl --cacert --resolve https://www.example.test/x proxied ($body)"
out=$(tls_curl "$P" x.api.example.test "$T/ca.pem" -o /dev/null -w '%{http_code} %{http_version} %{ssl_verify_result}' /y)
[ "$out" = "200 2 0" ]; ok $? "curl (offers h2) on the wildcard name: 200 over HTTP/2, verified ($out)"
code=$(tls_curl "$P" www.example.test "$T/otherca.pem" -o /dev/null -w '%{http_code}' /x)
[ "$code" = 000 ]; ok $? "curl trusting another CA refuses the certificate ($code)"
tls_curl "$P" www.example.test "$T/ca.pem" -H "Connection: close" /headers >"$SL_TMP/h"
grep -q "^X-Forwarded-Proto: https" "$SL_TMP/h"; ok $? "upstream told X-Forwarded-Proto: https"
grep -q "^Forwarded: for=127.0.0.1;proto=https" "$SL_TMP/h"; ok $? "upstream told Forwarded: proto=https"
out=$(curl -s -m 5 --cacert "$T/ca.pem" --resolve "www.example.test:$P:127.0.0.1" -w '%{http_code}/%{num_connects} ' \
	-o /dev/null "https://www.example.test:$P/k1" -o /dev/null "https://www.example.test:$P/k2")
[ "$out" = "200/1 200/0 " ]; ok $? "keep-alive: the second request reuses the TLS connection ($out)"
curl -s -m 5 --cacert "$T/ca.pem" --resolve "www.example.test:$P:127.0.0.1" --tls-max 1.2 -o /dev/null \
	"https://www.example.test:$P/log12"

# access log and metrics
wait_for 3 grep -q '"/log12' "$SL_TMP/access.json"
python3 - "$SL_TMP/access.json" >"$SL_TMP/chk" <<'EOP'
import json, sys
by = {}
for l in open(sys.argv[1]):
    j = json.loads(l)
    by[j["uri"]] = j
x, y, l12 = by.get("/x", {}), by.get("/y", {}), by.get("/log12", {})
print("proto13", x.get("tls_protocol") == "TLSv1.3" and str(x.get("tls_cipher", "")).startswith("TLS_"))
print("proto12", l12.get("tls_protocol") == "TLSv1.2" and str(l12.get("tls_cipher", "")).startswith("ECDHE-ECDSA-"))
print("sni", x.get("tls_sni") == "www.example.test" and y.get("tls_sni") == "x.api.example.test")
print("resumed", x.get("tls_resumed") is False)
hm = x.get("tls_handshake_ms")
print("hsms", isinstance(hm, (int, float)) and not isinstance(hm, bool) and 0 <= hm < 5000)
print("# /x:", json.dumps({k: v for k, v in x.items() if k.startswith("tls_")}))
EOP
sed -n 's/^# /# /p' "$SL_TMP/chk"
grep -q "proto13 True" "$SL_TMP/chk"; ok $? "access log: tls_protocol TLSv1.3 and its tls_cipher"
grep -q "proto12 True" "$SL_TMP/chk"; ok $? "access log: tls_protocol TLSv1.2 and its tls_cipher"
grep -q "sni True" "$SL_TMP/chk"; ok $? "access log: tls_sni as the client sent it"
grep -q "resumed True" "$SL_TMP/chk"; ok $? "access log: tls_resumed false on a full handshake"
grep -q "hsms True" "$SL_TMP/chk"; ok $? "access log: tls_handshake_ms a number of ms"
hs=$(tls_metric sluice_tls_handshakes_total)
[ "$hs" -ge $((hs0 + 20)) ]; ok $? "sluice_tls_handshakes_total counts the handshakes ($hs0 -> $hs, at least 20 made)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
