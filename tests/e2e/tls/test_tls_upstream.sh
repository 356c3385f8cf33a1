#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# TLS to upstreams: verified against the configured CA with server_name as SNI; a wrong CA, a wrong name,
# the system store, a cleartext or silent server all fail fast (502/504, nothing hangs); verify: false
# skips it; keep-alive pooled connections are reused and new ones resume the TLS session.
. "$(dirname "$0")/../lib/tls_lib.sh"
tls_setup || exit 1
tls_make_leaf "$T" up "up.example.test" ec || { diag "openssl failed"; exit 1; }
https_upstream u "$T/up.pem" "$T/up.key" || exit 1
U=$UP_PORT
https_upstream m "$T/up.pem" "$T/up.key" "$T/clientca.pem" || exit 1   # asks for a client certificate
M=$UP_PORT
# Two servers that are not TLS ones: C answers whatever comes with a cleartext HTTP 400 and closes,
# S accepts and never says a word (so never finishes a handshake).
C=$(free_port); S=$(free_port)
for mode in answer silent; do
	bg python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    c = s.accept()[0]
    if sys.argv[2] == "answer":
        c.recv(4096)
        c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        c.close()
    else:
        held.append(c)' "$([ $mode = answer ] && echo "$C" || echo "$S")" "$mode"
done
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$C" && wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$S" ||
	{ diag "test servers did not start"; exit 1; }
tls_proxy_start <<EOC || exit 1
      routes:
        - { match: { path_prefix: /good }, upstream: good }
        - { match: { path_prefix: /wrongca }, upstream: wrongca }
        - { match: { path_prefix: /wrongname }, upstream: wrongname }
        - { match: { path_prefix: /system }, upstream: system }
        - { match: { path_prefix: /noverify }, upstream: noverify }
        - { match: { path_prefix: /cleartext }, upstream: cleartext }
        - { match: { path_prefix: /silent }, upstream: silent }
        - { match: { path_prefix: /withcert }, upstream: withcert }
        - { match: { path_prefix: /nocert }, upstream: nocert }
  upstreams:
    - { name: good, tls: { ca: $T/ca.pem, server_name: up.example.test }, servers: [ { address: 127.0.0.1:$U } ] }
    - { name: wrongca, retries: 0, tls: { ca: $T/otherca.pem, server_name: up.example.test }, servers: [ { address: 127.0.0.1:$U } ] }
    - { name: wrongname, retries: 0, tls: { ca: $T/ca.pem, server_name: nope.example.test }, servers: [ { address: 127.0.0.1:$U } ] }
    - { name: system, retries: 0, tls: true, servers: [ { address: 127.0.0.1:$U } ] }
    - { name: noverify, tls: { ca: $T/otherca.pem, server_name: up.example.test, verify: false }, servers: [ { address: 127.0.0.1:$U } ] }
    - { name: cleartext, retries: 0, response_timeout: 2s, tls: { ca: $T/ca.pem, server_name: up.example.test }, servers: [ { address: 127.0.0.1:$C } ] }
    - { name: silent, retries: 0, connect_timeout: 1s, response_timeout: 2s, tls: { ca: $T/ca.pem, server_name: up.example.test }, servers: [ { address: 127.0.0.1:$S } ] }
    - { name: withcert, tls: { ca: $T/ca.pem, server_name: up.example.test, cert: $T/client.pem, key: $T/client.key }, servers: [ { address: 127.0.0.1:$M } ] }
    - { name: nocert, retries: 0, tls: { ca: $T/ca.pem, server_name: up.example.test }, servers: [ { address: 127.0.0.1:$M } ] }
EOC
B=http://127.0.0.1:$P
uhs0=$(tls_metric sluice_tls_upstream_handshakes_total)
uf0=$(tls_metric sluice_tls_upstream_handshake_failures_total)

body=$(curl -s -m 5 "$B/good/x")
[ "$body" = "u /good/x" ]; ok $? "upstream over TLS, verified with its CA ($body)"
sni=$(https_up_stats "$U" sni)
[ "$sni" = up.example.test ]; ok $? "server_name sent as SNI ($sni)"
while read -r path want why; do
	out=$(curl -s -m 8 -o /dev/null -w '%{http_code} %{time_total}' "$B$path")
	read -r code t <<<"$out"
	[[ " ${want//|/ } " = *" $code "* ]] && awk "BEGIN { exit !($t < 3.5) }"; ok $? "$why: $want, at once ($out)"
done <<EOT
/wrongca/x   502 a certificate from a CA other than tls.ca
/wrongname/x 502 a certificate not naming server_name
/system/x    502 tls: true trusts the system store, which lacks the test CA
/cleartext/x 502 a cleartext server answering the ClientHello
/silent/x    502|504 a server that never answers the ClientHello
EOT
wait_for 3 tls_metric_ge "$((uf0 + 4))" sluice_tls_upstream_handshake_failures_total
ok $? "counted in sluice_tls_upstream_handshake_failures_total ($uf0 -> $(tls_metric sluice_tls_upstream_handshake_failures_total))"
body=$(curl -s -m 5 "$B/noverify/x")
[ "$body" = "u /noverify/x" ]; ok $? "verify: false accepts the certificate of another CA ($body)"
body=$(curl -s -m 5 "$B/withcert/x")
[ "$body" = "m /withcert/x" ]; ok $? "a server that asks for a client certificate gets tls.cert ($body)"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$B/nocert/x")
[ "$code" = 502 ]; ok $? "without tls.cert that server refuses: 502 ($code)"
body=$(curl -s -m 5 "$B/good/after")
[ "$body" = "u /good/after" ]; ok $? "a good request after the failures ($body)"

# Pooling: 30 keep-alive requests, one after the other, take one upstream TLS connection (two at most).
read -r h0 r0 <<<"$(https_up_stats "$U" handshakes requests)"
uhs1=$(tls_metric sluice_tls_upstream_handshakes_total)
l7_load "$B/good/pool" 30 1 >"$SL_TMP/load"
sed 's/^/# /' "$SL_TMP/load"
[ "$(count_of "200 u" "$SL_TMP/load")" = 30 ]; ok $? "30 requests through the pool, all 200"
read -r h1 r1 <<<"$(https_up_stats "$U" handshakes requests)"
hs=$((h1 - h0 - 1)); rq=$((r1 - r0 - 1))   # less the /stats question's own
[ "$rq" = 30 ] && [ "$hs" -le 2 ]; ok $? "upstream saw 30 requests on $hs new TLS connections"
uhs2=$(tls_metric sluice_tls_upstream_handshakes_total)
[ "$uhs1" -gt "$uhs0" ] && [ $((uhs2 - uhs1)) -le 2 ]
ok $? "sluice_tls_upstream_handshakes_total: $uhs0 -> $uhs1 before, +$((uhs2 - uhs1)) for the pooled 30"

# Session reuse: a response that closes its connection makes the next request open one: it resumes.
read -r h0 s0 <<<"$(https_up_stats "$U" handshakes resumed)"
for _ in 1 2 3 4 5 6; do curl -s -m 5 -o /dev/null "$B/good/close/10"; done
read -r h1 s1 <<<"$(https_up_stats "$U" handshakes resumed)"
hs=$((h1 - h0 - 1)); rs=$((s1 - s0))
[ "$hs" -ge 5 ] && [ "$rs" -ge 4 ]; ok $? "new upstream connections resume the TLS session ($rs of $hs)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
