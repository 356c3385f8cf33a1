#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# TLS certificate reload: SIGHUP with new certificate file contents (same config) serves the new certificate
# to new handshakes while keep-alive HTTPS clients keep going with zero failed requests; a bad key is refused.
. "$(dirname "$0")/../lib/tls_lib.sh"
tls_setup || exit 1
tls_make_leaf "$T" one "www.example.test" ec 30 ca 4097 && tls_make_leaf "$T" two "www.example.test" ec 30 ca 8194 ||
	{ diag "openssl failed"; exit 1; }
S1=1001; S2=2002   # the serials in hex, as getpeercert() and `openssl x509 -serial` print them
[ "$(tls_cert_field "$T/one.pem" serial)" = "$S1" ] && [ "$(tls_cert_field "$T/two.pem" serial)" = "$S2" ] ||
	{ diag "unexpected serials: $(tls_cert_field "$T/one.pem" serial) $(tls_cert_field "$T/two.pem" serial)"; exit 1; }
# put NAME: the live certificate and key become NAME's, each file replaced whole (rename)
put() {
	cp "$T/$1.pem" "$T/live.pem.new" && mv "$T/live.pem.new" "$T/live.pem" &&
		cp "$T/$1.key" "$T/live.key.new" && mv "$T/live.key.new" "$T/live.key"
}
put one
l7_upstream a || exit 1
tls_proxy_start workers=2 <<EOC || exit 1
      tls:
        certificates: [ { cert: $T/live.pem, key: $T/live.key } ]
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$UP_PORT } ] }
EOC
serial() { tls_sclient "$P" www.example.test | openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'; }
s=$(serial); [ "$s" = "$S1" ]; ok $? "serving certificate one ($s)"

# Keep-alive load (4 connections, each reconnecting every 200 requests so handshakes go on) through 6 reloads.
tls_load "$P" www.example.test "$T/ca.pem" /x 0 4 200 >"$SL_TMP/load" &
LOAD=$!
_sl_pids+=("$LOAD")
sleep 0.5
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) = 1 ]; then put two; else put one; fi
	kill -HUP "$SLUICED_PID"
	sleep 0.5
done
put two; kill -HUP "$SLUICED_PID"
sleep 0.7
kill -0 "$LOAD"; ok $? "the load was still running after the last reload"
touch "$SL_TMP/load.stop"
wait "$LOAD"
sed 's/^/# /' "$SL_TMP/load"
n1=$(count_of "200 $S1" "$SL_TMP/load"); n2=$(count_of "200 $S2" "$SL_TMP/load")
fail=$(grep -v " 200 " "$SL_TMP/load" | awk '{ s += $1 } END { print s + 0 }')
[ "$fail" = 0 ] && [ $((n1 + n2)) -gt 500 ]; ok $? "$((n1 + n2)) keep-alive HTTPS requests across 7 reloads, $fail failed"
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ]; ok $? "connections made during the load saw both certificates ($n1 on one, $n2 on two)"
reloads=$(grep -c "reload: .* applied" "$SL_TMP/sluiced.log")
[ "$reloads" = 7 ]; ok $? "7 reloads applied ($reloads)"
s=$(serial); [ "$s" = "$S2" ]; ok $? "new handshakes get the last certificate, two ($s)"

# A connection opened before a reload keeps working after it.
python3 - "$P" "$T/ca.pem" >"$SL_TMP/held" <<'EOP' &
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5), server_hostname="www.example.test")
def get(p):
    s.sendall(b"GET " + p + b" HTTP/1.1\r\nHost: www.example.test\r\n\r\n")
    d = b""
    while b"\r\n\r\n" not in d or not d.endswith(b"\n"):
        d += s.recv(4096)
    return d.split(b"\r\n")[0].decode()
print(get(b"/before"), s.getpeercert()["serialNumber"], flush=True)
time.sleep(1.5)
print(get(b"/after"))
EOP
HELD=$!
_sl_pids+=("$HELD")
sleep 0.5
put one; kill -HUP "$SLUICED_PID"
wait "$HELD"
sed 's/^/# /' "$SL_TMP/held"
[ "$(sed -n 2p "$SL_TMP/held")" = "HTTP/1.1 200 X" ]; ok $? "a connection made before a reload is served after it"
serial_is() { [ "$(serial)" = "$1" ]; }
wait_for 3 serial_is "$S1"
ok $? "swapped back to certificate one"

# A key that does not match its certificate: the reload is refused, the running certificate kept.
cp "$T/two.pem" "$T/live.pem.new" && mv "$T/live.pem.new" "$T/live.pem"   # key stays one's
kill -HUP "$SLUICED_PID"
wait_for 3 grep -q "reload: refused" "$SL_TMP/sluiced.log"; ok $? "reload with a mismatched key refused"
grep -E "live\.(pem|key)" "$SL_TMP/sluiced.log" | tail -2 | sed 's/^/# /'
s=$(serial); [ "$s" = "$S1" ]; ok $? "still serving certificate one ($s)"
code=$(tls_curl "$P" www.example.test "$T/ca.pem" -o /dev/null -w '%{http_code}' /x)
[ "$code" = 200 ]; ok $? "and serving requests ($code)"

# A certificate added to the config by a reload serves its names from then on.
put one
cat >"$SL_TMP/c.yaml.new" <<EOC
$(sed '/certificates:/q' "$SL_TMP/c.yaml" | sed 's/certificates: .*/certificates:/')
          - { cert: $T/live.pem, key: $T/live.key }
          - { cert: $T/rsa.pem, key: $T/rsa.key }
$(sed '1,/certificates:/d' "$SL_TMP/c.yaml")
EOC
mv "$SL_TMP/c.yaml.new" "$SL_TMP/c.yaml"
before=$(grep -c "reload: .* applied" "$SL_TMP/sluiced.log")
kill -HUP "$SLUICED_PID"
wait_for 3 bash -c "[ \$(grep -c 'reload: .* applied' '$SL_TMP/sluiced.log') -gt $before ]"; ok $? "reload with a certificate added applied"
cn=$(tls_served "$P" x.api.example.test)
[ "$cn" = rsa.example.test ]; ok $? "the added certificate serves its wildcard name ($cn)"
cn=$(tls_served "$P" www.example.test)
[ "$cn" = www.example.test ]; ok $? "the first one still serves its own ($cn)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
