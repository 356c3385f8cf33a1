#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Hostile TLS clients: cleartext HTTP, random bytes or a malformed ClientHello get a closed connection and a
# log line at once; a silent client, a half ClientHello or a handshake left unfinished are closed after
# handshake_timeout; past max_handshakes in progress new ones are refused; each counted by reason; the
# listener serves good clients throughout.
. "$(dirname "$0")/../lib/tls_lib.sh"
tls_setup || exit 1
l7_upstream a || exit 1
tls_proxy_start <<EOC || exit 1
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
        handshake_timeout: 2s
        max_handshakes: 4
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$UP_PORT } ] }
EOC
good() { tls_curl "$P" www.example.test "$T/ca.pem" -o /dev/null -w '%{http_code}' /x; }
g0=$(tls_metric sluice_tls_handshake_failures_total 'reason="garbage"')
p0=$(tls_metric sluice_tls_handshake_failures_total 'reason="protocol"')
t0=$(tls_metric sluice_tls_handshake_failures_total 'reason="timeout"')
l0=$(tls_metric sluice_tls_handshake_failures_total 'reason="limit"')
log0=$(wc -l <"$SL_TMP/sluiced.log")

# The client script: "CASE|closed-or-open|SECONDS|REPLY-BYTES|REPLY-HEAD" per case; cases given as arguments
# run at the same time (threads).
cat >"$SL_TMP/bad.py" <<'EOP'
import os, socket, ssl, sys, threading, time
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
inc, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, outb, server_hostname="www.example.test")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = outb.read()   # a real ClientHello, as this python's OpenSSL writes it
junk = bytes([0]) + os.urandom(511)
sends = {
    "cleartext": b"GET / HTTP/1.1\r\nHost: www.example.test\r\n\r\n",
    "random": junk,
    "badhello": b"\x16\x03\x01\x00\x08\x63\x00\x00\x04\xde\xad\xbe\xef",   # handshake record, unknown message type
    "silent": b"",
    "halfhello": hello[:len(hello) // 2],
    "unfinished": hello,   # the server's flight comes back; the client never sends its Finished
}
res = {}
def run(name):
    s = socket.create_connection(("127.0.0.1", port), timeout=8)
    t = time.time()
    if sends[name]:
        s.sendall(sends[name])
    got, closed = b"", False
    while time.time() - t < 7:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionError:
            closed = True
            break
        if not d:
            closed = True
            break
        got += d
    res[name] = "%s|%s|%.2f|%d|%s" % (name, "closed" if closed else "open", time.time() - t, len(got), got[:12].hex())
ts = [threading.Thread(target=run, args=(n,)) for n in sys.argv[2:]]
[t.start() for t in ts]
[t.join() for t in ts]
print("\n".join(res[n] for n in sys.argv[2:]))
EOP
# result CASE: "closed SECONDS BYTES HEAD" from the last run's output
result() { awk -F'|' -v c="$1" '$1 == c { print $2, $3, $4, $5 }' "$SL_TMP/bad.out"; }

python3 "$SL_TMP/bad.py" "$P" cleartext random badhello >"$SL_TMP/bad.out"
sed 's/^/# /' "$SL_TMP/bad.out"
read -r st el n head <<<"$(result cleartext)"
[ "$st" = closed ] && awk "BEGIN { exit !($el < 1) }" && [[ $head != 48545450* ]]
ok $? "cleartext HTTP to the TLS port: closed at once, no HTTP answer ($st ${el}s, $n bytes ${head:0:10})"
read -r st el n _ <<<"$(result random)"
[ "$st" = closed ] && awk "BEGIN { exit !($el < 1) }"; ok $? "random bytes: closed at once ($st ${el}s)"
read -r st el n _ <<<"$(result badhello)"
[ "$st" = closed ] && awk "BEGIN { exit !($el < 1) }"; ok $? "a malformed handshake record: closed at once ($st ${el}s)"
wait_for 3 tls_metric_ge "$((g0 + 2))" sluice_tls_handshake_failures_total 'reason="garbage"'
r=$?
g1=$(tls_metric sluice_tls_handshake_failures_total 'reason="garbage"')
p1=$(tls_metric sluice_tls_handshake_failures_total 'reason="protocol"')
ok $r "counted: failures{reason=\"garbage\"} $g0 -> $g1 (protocol $p0 -> $p1)"
[ $((g1 + p1 - g0 - p0)) -ge 3 ]; ok $? "all three counted as garbage or protocol failures"
sleep 0.3
new=$(tail -n +$((log0 + 1)) "$SL_TMP/sluiced.log")
sed 's/^/# log: /' <<<"$new" | head -6
[ "$(grep -c '127\.0\.0\.1' <<<"$new")" -ge 2 ]; ok $? "each logged, naming the client ($(grep -c . <<<"$new") new lines)"
code=$(good); [ "$code" = 200 ]; ok $? "a good client is served after them ($code)"

# A client that connects and goes away before a byte did not time out.
t1=$(tls_metric sluice_tls_handshake_failures_total 'reason="timeout"')
o1=$(tls_metric sluice_tls_handshake_failures_total 'reason="closed"')
for _ in 1 2 3; do bash -c "exec 3<>/dev/tcp/127.0.0.1/$P"; done
sleep 0.5
t2=$(tls_metric sluice_tls_handshake_failures_total 'reason="timeout"')
o2=$(tls_metric sluice_tls_handshake_failures_total 'reason="closed"')
[ "$t2" = "$t1" ] && [ "$o2" -ge "$((o1 + 3))" ]
ok $? "3 clients closing before a byte: counted as closed, not as timeouts (timeout $t1 -> $t2, closed $o1 -> $o2)"

t0=$(tls_metric sluice_tls_handshake_failures_total 'reason="timeout"')
python3 "$SL_TMP/bad.py" "$P" silent halfhello unfinished >"$SL_TMP/bad.out"
sed 's/^/# /' "$SL_TMP/bad.out"
for c in silent halfhello unfinished; do
	read -r st el n _ <<<"$(result $c)"
	[ "$st" = closed ] && awk "BEGIN { exit !($el >= 1.7 && $el <= 4) }"
	ok $? "$c: closed after handshake_timeout 2s ($st ${el}s, $n bytes back)"
done
wait_for 3 tls_metric_ge "$((t0 + 3))" sluice_tls_handshake_failures_total 'reason="timeout"'
ok $? "counted: failures{reason=\"timeout\"} $t0 -> $(tls_metric sluice_tls_handshake_failures_total 'reason="timeout"')"

# max_handshakes 4: four clients stuck half way through their ClientHello fill the worker; a fifth is
# refused; once they are gone a handshake goes through again.
python3 - "$P" "$T/ca.pem" >"$SL_TMP/limit" <<'EOP'
import socket, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile=sys.argv[2])
def handshake():
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=3), server_hostname="www.example.test")
        s.sendall(b"GET /x HTTP/1.1\r\nHost: www.example.test\r\nConnection: close\r\n\r\n")
        return s.recv(4096).split(b"\r\n")[0].decode() or "closed"
    except (OSError, ssl.SSLError) as e:
        return "failed:" + type(e).__name__
held = []
for _ in range(4):
    h = socket.create_connection(("127.0.0.1", port), timeout=3)
    h.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")   # a ClientHello's first bytes, the rest never comes
    held.append(h)
time.sleep(0.3)
print("fifth", handshake())
for h in held:
    h.close()
time.sleep(0.3)
print("after", handshake())
EOP
sed 's/^/# /' "$SL_TMP/limit"
[[ $(sed -n 's/^fifth //p' "$SL_TMP/limit") = failed:* ]]; ok $? "max_handshakes 4: a fifth handshake in progress is refused"
[ "$(sed -n 's/^after //p' "$SL_TMP/limit")" = "HTTP/1.1 200 X" ]; ok $? "handshakes go through once the four are gone"
wait_for 3 tls_metric_ge "$((l0 + 1))" sluice_tls_handshake_failures_total 'reason="limit"'
ok $? "counted: failures{reason=\"limit\"} $l0 -> $(tls_metric sluice_tls_handshake_failures_total 'reason="limit"')"
code=$(good); [ "$code" = 200 ]; ok $? "good clients served at the end ($code)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
