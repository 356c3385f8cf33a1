# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers for the HTTP/2 e2e tests (tests/e2e/h2/test_h2_*.sh): their tools, a sluiced with HTTP/2 listeners
# (the test skipped while sluiced has no HTTP/2), curl over h2 and h2c, h2_client.py (a raw HTTP/2 client).
# A test sources only this file (it sources tls_lib.sh, so lib.sh and l7_lib.sh) and calls h2_setup first.
. "$(dirname "${BASH_SOURCE[0]}")/tls_lib.sh"

H2_CLIENT=$SL_ROOT/tests/e2e/lib/h2_client.py

# h2_setup: skips the whole test without its tools (tls_need_tools; curl with HTTP2; nghttp and h2load,
# from nghttp2-client) or when this sluiced refuses the http2 key (`sluiced -t` on a small config: built
# before HTTP/2), then tls_setup's certificates in T=$SL_TMP/pki. Returns 1 when openssl failed.
h2_setup() {
	tls_need_tools
	curl -V 2>/dev/null | grep -qw HTTP2 || skip_all "curl without HTTP/2"
	command -v nghttp >/dev/null 2>&1 && command -v h2load >/dev/null 2>&1 || skip_all "nghttp or h2load missing (nghttp2-client)"
	sl_config_l7_proxy "$SL_TMP/h2-key.yaml" "$(l7_admin)" 127.0.0.1:1 127.0.0.1:2 listener_key="http2: true"
	"$SL_BUILD/sluiced" -t -c "$SL_TMP/h2-key.yaml" >"$SL_TMP/h2-key.out" 2>&1 ||
		skip_all "build/sluiced has no HTTP/2 yet ($(grep -m1 http2 "$SL_TMP/h2-key.out"))"
	tls_setup
}

# h2_proxy_start [OPTION...] <REST: l7_proxy_start (same options, same stdin), and sluiced's log as
# diagnostics when it does not start. Returns 1 when it did not start.
h2_proxy_start() {
	l7_proxy_start "$@" && return 0
	diag "sluiced did not start; its log:"
	tail -20 "$SL_TMP/sluiced.log" | sed 's/^/#   /'
	return 1
}

# h2_pair_start [workers=N] [KEY...]: the two listeners most h2 tests use, every path to upstream app
# (one server, 127.0.0.1:$UP_PORT): pub on $P, cleartext with `http2: true` and each KEY (a listener key
# line such as "max_body_bytes: 8MiB"), and tls on $S (h2 by ALPN, h2_setup's certificate); returns once
# both answer HTTP/2 (h2_need). Returns 1 when sluiced does not start.
h2_pair_start() {
	local opts=() keys="" a
	for a; do
		case $a in
		workers=*) opts+=("$a") ;;
		*) keys+="      $a"$'\n' ;;
		esac
	done
	S=$(free_port)
	h2_proxy_start "${opts[@]}" <<EOC || return 1
      http2: true
${keys}      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: tls
      listen: 127.0.0.1:$S
      mode: reverse
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$UP_PORT } ] }
EOC
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$S"
	h2_need "$P"
}

# h2_need PORT [tls]: a trial request to 127.0.0.1:PORT, h2c by prior knowledge (or over TLS with ALPN
# h2); when it is not answered over HTTP/2 the whole test is skipped, unless sluiced calls nghttp2's
# server side: then HTTP/2 is there and broken, and the test goes on to fail. Call it before any point.
h2_need() {
	local v
	if [ "${2:-}" = tls ]; then
		v=$(curl -sk -m 3 --http2 -o /dev/null -w '%{http_version}' "https://127.0.0.1:$1/h2-trial")
	else
		v=$(curl -s -m 3 --http2-prior-knowledge -o /dev/null -w '%{http_version}' "http://127.0.0.1:$1/h2-trial")
	fi
	[ "$v" = 2 ] && return 0
	if nm -D "$SL_BUILD/sluiced" 2>/dev/null | grep -q nghttp2_session_server_new; then
		diag "the trial request on $1 got HTTP version '$v', though sluiced has nghttp2's server side"
		return 0
	fi
	skip_all "build/sluiced does not speak HTTP/2 yet (a trial request on port $1 got HTTP version '$v')"
}

# h2c_curl PORT [CURL-ARG...] URL-PATH: curl with HTTP/2 by prior knowledge to http://127.0.0.1:PORT,
# bounded to 10 s.
h2c_curl() {
	local port=$1
	shift
	local n=$#
	curl -s -m 10 --http2-prior-knowledge "${@:1:n-1}" "http://127.0.0.1:$port${!n}"
}

# h2s_curl PORT [CURL-ARG...] URL-PATH: curl over TLS offering h2 (ALPN) to www.example.test on PORT,
# verifying against $T/ca.pem (tls_curl), bounded to 10 s.
h2s_curl() {
	local port=$1
	shift
	tls_curl "$port" www.example.test "$T/ca.pem" -m 10 --http2 "$@"
}

# h2_client ARG...: tests/e2e/lib/h2_client.py with ARGs, killed after 30 s at most; its one line
# ("MODE: status=... rst=... goaway=... closed=... sent=... data=... sha256=... time=...") on stdout.
h2_client() { timeout 30 python3 "$H2_CLIENT" "$@"; }

# h2_field LINE KEY: the value of KEY in an h2_client line ("goaway" -> "0xb/ENHANCE_YOUR_CALM").
h2_field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# h2_logged LISTENER REASON: sluiced's log has the line a flood defence writes when it closes a connection:
# "listener LISTENER: h2: client 127.0.0.1:PORT: REASON: ..." (a function, for wait_for).
h2_logged() {
	grep -qE "listener $1: h2: client 127\.0\.0\.1:[0-9]+: $2: " "$SL_TMP/sluiced.log"
}

# h2_sha FILE: the SHA-256 of FILE in hex.
h2_sha() { sha256sum "$1" | cut -d' ' -f1; }
