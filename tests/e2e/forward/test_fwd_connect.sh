#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Forward proxy CONNECT: a TLS handshake and data pass through the tunnel (curl -p), half-closes pass both ways, idle tunnels close.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/fwd_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
command -v openssl >/dev/null || skip_all "no openssl"

# a throwaway certificate and a TLS server on loopback
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$SL_TMP/key.pem" -out "$SL_TMP/cert.pem" -days 1 \
	-subj /CN=localhost >/dev/null 2>&1 || skip_all "openssl cannot make a certificate"
T=$(free_port)
bg openssl s_server -quiet -accept "127.0.0.1:$T" -cert "$SL_TMP/cert.pem" -key "$SL_TMP/key.pem" -www
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$T" || { diag "s_server did not start"; exit 1; }
# an echo server that answers everything once the client half-closed, then closes
E=$(free_port)
bg python3 -c '
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
def serve(c):
    data = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        data += d
    c.sendall(data[::-1]); c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$E"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$E" || { diag "echo server did not start"; exit 1; }

P=$(free_port)
fwd_config "$SL_TMP/c.yaml" "$P" "    allow_private_destinations: true
    connect_ports: [443, $T, $E]"
fwd_sluiced "$SL_TMP/c.yaml" "$P" || exit 1

out=$(curl -s -m 10 -p -x "http://127.0.0.1:$P" --cacert "$SL_TMP/cert.pem" "https://localhost:$T/" 2>"$SL_TMP/curl.err")
rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "s_server"; ok $? "curl -p: TLS handshake verified and page fetched through CONNECT (rc $rc)"
grep -iq "Protocol *: TLS" <<<"$out"; ok $? "the TLS server reports the session it saw"
logged "\"CONNECT localhost:$T HTTP/1.1\" 200 [0-9]+ .*upstream=127.0.0.1:$T .*in=[0-9]+ .*rule=allow_hosts:\\*"
ok $? "tunnel logged: CONNECT, 200, bytes both ways, upstream, rule"

# half-close: the client sends 4 MB then FIN; the server answers only after seeing that FIN
python3 - "$P" "$E" >"$SL_TMP/hc.out" 2>&1 <<'EOP'
import hashlib, os, socket, sys
p, e = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", p), timeout=10)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (e, e))
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, rest = buf.split(b"\r\n\r\n", 1)
print("status", head.split(b"\r\n")[0].decode())
data = os.urandom(4 << 20)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = rest
while True:
    d = s.recv(1 << 16)
    if not d:
        break
    got += d
print("reply", len(got), got == data[::-1])
EOP
sed 's/^/# /' "$SL_TMP/hc.out"
grep -q "status HTTP/1.1 200" "$SL_TMP/hc.out"; ok $? "CONNECT answered 200 Connection established"
grep -q "reply 4194304 True" "$SL_TMP/hc.out"; ok $? "client FIN passed on, 4 MB answered after it, then the server FIN (half-close)"

# early data: bytes sent right behind the CONNECT head reach the origin
python3 - "$P" "$E" >"$SL_TMP/early.out" 2>&1 <<'EOP'
import socket, sys
p, e = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", p), timeout=10)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\nearly-bytes" % e)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    got += d
print("early", got.endswith(b"setyb-ylrae"))
EOP
grep -q "early True" "$SL_TMP/early.out"; ok $? "bytes pipelined behind CONNECT go through the tunnel"

# the origin refuses: 502
D=$(free_port)
sed -i "s/connect_ports: \[443, $T, $E\]/connect_ports: [443, $T, $E, $D]/" "$SL_TMP/c.yaml"
fwd_reload
code=$(curl -s -m 5 -p -x "http://127.0.0.1:$P" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$D/" 2>/dev/null; true)
logged "\"CONNECT 127.0.0.1:$D HTTP/1.1\" 502"; ok $? "CONNECT to a closed port: 502 logged"

# idle tunnels close after client_idle
sed -i "s/client_idle: .*/client_idle: 1s/" "$SL_TMP/c.yaml"
fwd_reload
python3 - "$P" "$E" >"$SL_TMP/idle.out" 2>&1 <<'EOP'
import socket, sys, time
p, e = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", p), timeout=10)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % e)
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
t = time.time()
s.settimeout(8)
try:
    d = s.recv(4096)
    print("closed", d == b"", round(time.time() - t, 1))
except socket.timeout:
    print("closed False timeout")
EOP
sed 's/^/# /' "$SL_TMP/idle.out"
grep -q "closed True" "$SL_TMP/idle.out"; ok $? "an idle tunnel is closed after client_idle"
done_testing
