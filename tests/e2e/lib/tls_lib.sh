# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers for the TLS e2e tests (tests/e2e/tls/test_tls_*.sh): throwaway CAs and certificates made with the
# openssl CLI at run time (no key is ever committed), s_client and curl wrappers, an HTTPS test upstream.
# A test sources only this file (it sources lib.sh and l7_lib.sh) and calls tls_setup first.
# Every file goes under a directory the caller names (the test's $SL_TMP).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/l7_lib.sh"

# tls_need_tools: skips the whole test unless sluiced is built and openssl, curl and python3's ssl are here.
tls_need_tools() {
	[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
	command -v openssl >/dev/null 2>&1 || skip_all "openssl CLI missing"
	command -v curl >/dev/null 2>&1 || skip_all "curl missing"
	python3 -c 'import ssl' 2>/dev/null || skip_all "python3 ssl module missing"
	curl -V 2>/dev/null | grep -qi 'ssl' || skip_all "curl without TLS support"
}

# tls_setup: skips the test without its tools (tls_need_tools), then the usual certificates in T=$SL_TMP/pki
# (tls_fixtures). Returns 1 when openssl failed.
tls_setup() {
	tls_need_tools
	T=$SL_TMP/pki
	tls_fixtures "$T"
}

# skip_point DESCRIPTION REASON: one TAP point skipped (the test environment, not sluiced, cannot do it).
skip_point() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

# _tls_key FILE ec|rsa: a new private key (ECDSA P-256, or RSA 2048) in PEM.
_tls_key() {
	case $2 in
	ec)  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null ;;
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null ;;
	*) echo "tls_lib: key type '$2' is not ec or rsa" >&2; return 1 ;;
	esac
}

# tls_make_ca DIR [NAME]: a self-signed ECDSA P-256 CA, DIR/NAME.pem and DIR/NAME.key (NAME default
# "ca"; its subject CN is "Sluice Test NAME"). Returns openssl's status.
tls_make_ca() {
	local dir=$1 name=${2:-ca}
	mkdir -p "$dir" || return 1
	_tls_key "$dir/$name.key" ec || return 1
	openssl req -new -x509 -key "$dir/$name.key" -out "$dir/$name.pem" -days 30 -sha256 \
		-subj "/O=Sluice Test/CN=Sluice Test $name" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		2>"$dir/$name.err"
}

# tls_make_leaf DIR NAME SANS [ec|rsa] [DAYS] [CA] [SERIAL]: a server certificate signed by DIR/CA (default
# "ca"): DIR/NAME.pem holds the leaf then the CA (leaf first, chain after, as a listener reads it) and
# DIR/NAME.key its key (ec default). SANS: comma-separated DNS names ("www.example.test,*.api.example.test");
# the subject CN is the first. DAYS (default 30) is its validity; 0 or less makes one that expired
# yesterday (valid for a month before). SERIAL (decimal, default random) lets a test tell two certificates
# of the same names apart. Returns openssl's status.
tls_make_leaf() {
	local dir=$1 name=$2 sans=$3 kind=${4:-ec} days=${5:-30} ca=${6:-ca} serial=${7:-} san='' s
	local IFS=,
	for s in $sans; do san+="${san:+,}DNS:$s"; done
	unset IFS
	_tls_key "$dir/$name.key" "$kind" || return 1
	openssl req -new -key "$dir/$name.key" -out "$dir/$name.csr" -subj "/O=Sluice Test/CN=${sans%%,*}" \
		2>"$dir/$name.err" || return 1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature%s\n' \
		"$san" "$([ "$kind" = rsa ] && echo ,keyEncipherment)" >"$dir/$name.ext"
	_tls_sign "$dir" "$name" "$days" "$ca" "$serial" || return 1
	cat "$dir/$name.crt" "$dir/$ca.pem" >"$dir/$name.pem"
}

# tls_make_client DIR NAME CN [CA]: a client certificate (clientAuth) with subject "O=Sluice Test, CN=CN"
# signed by DIR/CA (default "clientca"): DIR/NAME.pem (leaf only) and DIR/NAME.key.
tls_make_client() {
	local dir=$1 name=$2 cn=$3 ca=${4:-clientca}
	_tls_key "$dir/$name.key" ec || return 1
	openssl req -new -key "$dir/$name.key" -out "$dir/$name.csr" -subj "/O=Sluice Test/CN=$cn" \
		2>"$dir/$name.err" || return 1
	printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' >"$dir/$name.ext"
	_tls_sign "$dir" "$name" 30 "$ca" "" || return 1
	cp "$dir/$name.crt" "$dir/$name.pem"
}

# _tls_sign DIR NAME DAYS CA SERIAL: DIR/NAME.csr signed by DIR/CA with DIR/NAME.ext into DIR/NAME.crt.
# `openssl x509 -req` takes no start date, so an expired one goes through `openssl ca` (a scratch database).
_tls_sign() {
	local dir=$1 name=$2 days=$3 ca=$4 serial=${5:-} db
	[ -n "$serial" ] || serial=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
	if [ "$days" -gt 0 ]; then
		openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.pem" -CAkey "$dir/$ca.key" -set_serial "$serial" \
			-days "$days" -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>>"$dir/$name.err"
		return
	fi
	db=$dir/$name.cadb
	mkdir -p "$db" && : >"$db/index.txt" && printf '%x\n' "$serial" | sed 's/^\(.\(..\)*\)$/0\1/' >"$db/serial"
	cat >"$db/ca.cnf" <<EOC
[ ca ]
default_ca = test
[ test ]
database = $db/index.txt
serial = $db/serial
new_certs_dir = $db
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
organizationName = optional
EOC
	openssl ca -batch -config "$db/ca.cnf" -cert "$dir/$ca.pem" -keyfile "$dir/$ca.key" -in "$dir/$name.csr" \
		-startdate "$(date -u -d '-40 days' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" \
		-extfile "$dir/$name.ext" -notext -out "$dir/$name.crt" 2>>"$dir/$name.err"
}

# tls_fixtures DIR: the set most tests share, all under DIR:
#   ca          ECDSA P-256 CA (ca.pem, ca.key)
#   ec          ECDSA leaf for www.example.test, example.test       (ec.pem = leaf + ca, ec.key)
#   rsa         RSA leaf for rsa.example.test, *.api.example.test   (rsa.pem, rsa.key)
#   expired     ECDSA leaf for old.example.test, expired yesterday
#   clientca    a second CA, for client certificates; client: CN=client1 signed by it
#   otherca     a CA that signed nothing here (the wrong CA to trust)
# Returns 1 (with a diag) when openssl fails at any step.
tls_fixtures() {
	local d=$1
	tls_make_ca "$d" ca &&
		tls_make_leaf "$d" ec "www.example.test,example.test" ec &&
		tls_make_leaf "$d" rsa "rsa.example.test,*.api.example.test" rsa &&
		tls_make_leaf "$d" expired "old.example.test" ec 0 &&
		tls_make_ca "$d" clientca &&
		tls_make_client "$d" client "client1" clientca &&
		tls_make_ca "$d" otherca && return 0
	diag "tls_fixtures: openssl failed:"
	cat "$d"/*.err 2>/dev/null | sed 's/^/#   /' | head -20
	return 1
}

# tls_cert_field FILE FIELD: one field of the first certificate in FILE: subject (RFC 2253), serial (hex), enddate.
tls_cert_field() {
	openssl x509 -in "$1" -noout -nameopt RFC2253 "-$2" 2>/dev/null | sed 's/^[a-zA-Z]*=//'
}

# tls_sclient PORT SNI [ARG...]: `openssl s_client` to 127.0.0.1:PORT with SNI (none when SNI is "-"),
# stdin from /dev/null, bounded to 5 s; its stdout and stderr together on stdout. Extra ARGs go to s_client.
tls_sclient() {
	local port=$1 sni=$2
	shift 2
	if [ "$sni" = - ]; then
		timeout 5 openssl s_client -connect "127.0.0.1:$port" -noservername "$@" </dev/null 2>&1
	else
		timeout 5 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" "$@" </dev/null 2>&1
	fi
}

# tls_served PORT SNI [ARG...]: the subject CN of the certificate sluiced serves for SNI ("-": none),
# empty when the handshake fails.
tls_served() {
	tls_sclient "$@" | openssl x509 -noout -subject -nameopt multiline 2>/dev/null |
		sed -n 's/^ *commonName *= *//p'
}

# tls_get PORT SNI [ARG...]: one request (GET /, Host SNI, Connection: close) through `openssl s_client
# -ign_eof`, which waits for the server to close, so TLS 1.3 tickets have arrived: s_client's report and
# the response together on stdout, bounded to 5 s. ARGs go to s_client (-sess_out F, -sess_in F, -CAfile ...).
tls_get() {
	local port=$1 sni=$2
	shift 2
	printf 'GET /sni HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$sni" |
		timeout 5 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" -ign_eof "$@" 2>&1
}

# tls_curl PORT HOST CAFILE [CURL-ARG...] URL-PATH: curl over TLS to HOST (resolved to 127.0.0.1 with
# --resolve, so SNI and Host are HOST), verifying against CAFILE, bounded to 5 s.
tls_curl() {
	local port=$1 host=$2 ca=$3
	shift 3
	local n=$#
	local path=${!n}
	curl -s -m 5 --cacert "$ca" --resolve "$host:$port:127.0.0.1" "${@:1:n-1}" "https://$host:$port$path"
}

# https_upstream NAME CERT KEY [CLIENTCA]: l7_upstream.py's paths over TLS (tests/e2e/tls/https_upstream.py)
# on a free port, left in $UP_PORT; /stats also counts "handshakes" and "resumed". With CLIENTCA it
# requires a client certificate signed by it.
https_upstream() {
	UP_PORT=$(free_port)
	bg bash -c "exec python3 '$SL_ROOT/tests/e2e/tls/https_upstream.py' --port $UP_PORT --name $1 --cert '$2' --key '$3' ${4:+--client-ca '$4'} >>'$SL_TMP/up-$1.log' 2>&1"
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$UP_PORT" || { diag "https upstream $1 did not start"; return 1; }
}

# https_up_stats PORT FIELD...: counters from an https_upstream's /stats, space-separated, asked directly
# over TLS in one request (to the address, so without SNI and unverified: the question must not change
# the "sni" it reports). The question is itself a connection, a handshake and a request, counted before
# the answer.
https_up_stats() {
	local port=$1
	shift
	curl -s -m 5 -k "https://127.0.0.1:$port/stats" |
		python3 -c 'import json,sys; j = json.load(sys.stdin); print(*(j[k] for k in sys.argv[1:]))' "$@"
}

# tls_metric NAME [LABEL="VALUE"]: the sum of NAME's samples in /metrics (asked on l7_admin's socket):
# every label set, or only those holding LABEL="VALUE" (reason="garbage"); 0 when there is none.
tls_metric() {
	curl -s -m 5 --unix-socket "$SL_TMP/admin.sock" http://sluiced/metrics |
		awk -v n="$1" -v l="${2:-}" '$1 !~ /^#/ { k = $1; sub(/[{].*/, "", k)
			if (k == n && (l == "" || index($1, l))) s += $2 } END { printf "%d\n", s }'
}

# tls_metric_ge MIN NAME [LABEL="VALUE"]: tls_metric's sum is at least MIN (a function, for wait_for).
tls_metric_ge() { [ "$(tls_metric "$2" "${3:-}")" -ge "$1" ]; }

# tls_proxy_start [OPTION...] <REST: l7_proxy_start (same options, same stdin), and sluiced's log as
# diagnostics when it does not start (a TLS listener it refuses says why there).
tls_proxy_start() {
	l7_proxy_start "$@" && return 0
	diag "sluiced did not start; its log:"
	tail -20 "$SL_TMP/sluiced.log" | sed 's/^/#   /'
	return 1
}

# tls_load PORT SNI CAFILE PATH COUNT [CONCURRENCY] [RECONNECT]: COUNT keep-alive HTTPS GETs of PATH over
# CONCURRENCY connections (default 4), each verified against CAFILE with SNI and Host SNI; every RECONNECT
# requests (default 0: never) a connection is closed and opened again, so handshakes go on too. COUNT 0:
# until the file $SL_TMP/load.stop appears. Bounded: 30 s at most. Prints "STATUS SERIAL" per response
# (SERIAL: the certificate serial the connection was served, hex), or "ERR <exception>", sorted and counted.
tls_load() {
	python3 - "$@" "$SL_TMP/load.stop" <<'EOP' | sort | uniq -c
import http.client, os, socket, ssl, sys, threading, time
port, sni, ca, path, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
conc = int(sys.argv[6]) if len(sys.argv) > 7 else 4
every = int(sys.argv[7]) if len(sys.argv) > 8 else 0
stop = sys.argv[-1]
ctx = ssl.create_default_context(cafile=ca)
out, lock, deadline = [], threading.Lock(), time.time() + 30

class Conn(http.client.HTTPSConnection):
    def connect(self):
        s = socket.create_connection(("127.0.0.1", port), self.timeout)
        self.sock = ctx.wrap_socket(s, server_hostname=sni)

def run(n):
    c, done, on_conn = None, 0, 0
    while time.time() < deadline and (done < n if n else not os.path.exists(stop)):
        done += 1
        try:
            if c is None:
                c, on_conn = Conn(sni, port, timeout=10), 0
                c.connect()
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            res = "%d %s" % (r.status, c.sock.getpeercert().get("serialNumber", "-"))
            on_conn += 1
            if r.getheader("Connection", "").lower() == "close" or (every and on_conn >= every):
                c.close(); c = None
        except Exception as e:
            res = "ERR " + type(e).__name__
            c = None
        with lock:
            out.append(res)
ts = [threading.Thread(target=run, args=(count // conc + (i < count % conc) if count else 0,)) for i in range(conc)]
[t.start() for t in ts]
[t.join() for t in ts]
print("\n".join(out))
EOP
}
