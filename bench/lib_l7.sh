# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Shared by the L7 scenarios (sourced, not run): the origin and each proxy started with the same fair settings, pinned, and stopped by PID.
#
# nginx workers run as the invoking user (root: the benches need it anyway), so that the
# origin can read its files in a work directory private to the run (mktemp -d is 0700).
#
# Fair settings, identical for every proxy: one worker process or thread pinned to
# $PROXY_CPU, no access log, keep-alive towards the client, a keep-alive pool of 64
# towards the origin, descriptors up to the hard limit, listen backlogs of 4096 (sluiced's
# own; nginx backlog=4096; haproxy: maxconn, capped by somaxconn) so 1000 connections
# arriving at once are queued, not dropped and retried a second later. The origin and
# the client share $CLIENT_CPU. Callers set W (a work directory) and ROOT/BUILD, then:
#   l7_origin_start                 ORIGIN (port), ORIGIN_WHAT (what serves it)
#   l7_proxy_start NAME [MAXCONN]   NAME in sluiced|nginx|haproxy|null; on success PORT[NAME],
#                                   PID[NAME] and NAME appended to PROXIES; otherwise a
#                                   "skipped NAME REASON" line on stdout and return 1
#   l7_proxy_stop NAME              stops it (TERM, then KILL) and forgets it
#   l7_wanted NAME                  true unless SL_BENCH_PROXIES (a space-separated list, e.g.
#                                   "sluiced" for bench/ab.sh) leaves NAME out
# Every process started is in L7_PIDS; l7_cleanup (set as the EXIT trap) stops them all.
# Origin paths: /size/100 and /size/10240 (static files, or the python test upstream).

# sluiced's config is written by the e2e tests' helper (sl_config_l7_proxy), so both run the same one.
. "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib/configs.sh"

PROXY_CPU=${PROXY_CPU:-0}

# l7_bench_args NAME ARG...: a scenario's own arguments (--duration S, --out DIR) into DURATION (2),
# OUT (a fresh /tmp/sl-NAMEbench.XXXXXX) and QUICK (SL_BENCH_QUICK); BUILD from SL_BUILD. Exits 2 on
# anything else.
l7_bench_args() {
	local name=$1
	shift
	BUILD=${SL_BUILD:-$ROOT/build}
	DURATION=2
	OUT=
	QUICK=${SL_BENCH_QUICK:-0}
	while [ $# -gt 0 ]; do
		case $1 in
		--duration) DURATION=$2; shift 2 ;;
		--out) OUT=$2; shift 2 ;;
		*) echo "usage: $0 [--duration S] [--out DIR]" >&2; exit 2 ;;
		esac
	done
	OUT=${OUT:-$(mktemp -d "/tmp/sl-${name}bench.XXXXXX")}
}

# l7_rotation NAME...: NAMEs into ALL in the order this rep (SL_BENCH_REP) measures them: each rep starts
# with another one, so none is always measured first (or last) as other load comes and goes.
l7_rotation() {
	local rot=$(( (${SL_BENCH_REP:-1} - 1) % $# ))

	ALL=("$@")
	ALL=("${ALL[@]:$rot}" "${ALL[@]:0:$rot}")
}

# l7_bench_need CMD WHY: exit 77 (skipped, with WHY) unless CMD is installed; with no CMD, the 2 cores
# every L7 scenario needs (proxy on one, client and origin on the other).
l7_bench_need() {
	if [ $# -eq 0 ]; then
		[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (proxy on one, client and origin on the other)" >&2; exit 77; }
		return 0
	fi
	command -v "$1" >/dev/null || { echo "$2" >&2; exit 77; }
}
CLIENT_CPU=${CLIENT_CPU:-1}
L7_PIDS=()
declare -A PORT PID
PROXIES=()

l7_log() { echo "$(basename "$0" .sh): $*" >&2; }
l7_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# l7_wait_port PORT [PID]: up to 10 s for PORT to accept; gives up early once PID has exited.
l7_wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		[ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}
# l7_skip NAME REASON: said on stdout (the report lists it) and on stderr.
l7_skip() { echo "skipped $1 $2"; l7_log "skipping $1: $2"; }

l7_kill() {  # l7_kill PID...: TERM, up to 2 s, then KILL
	local p alive
	for p in "$@"; do kill "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		alive=0
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.2
	done
	for p in "$@"; do kill -9 "$p" 2>/dev/null; done
	for p in "$@"; do wait "$p" 2>/dev/null; done
	return 0
}

l7_cleanup() {
	[ ${#L7_PIDS[@]} -gt 0 ] && l7_kill "${L7_PIDS[@]}"
	return 0
}

# l7_nginx_head NAME CONNECTIONS: on stdout, the top every nginx of the benches shares (one worker,
# pid and error log NAME.* in $W, no access log, long keep-alive), up to the open `http {`; the
# caller adds its upstreams and servers and the closing brace.
l7_nginx_head() {
	cat <<EOC
user root;
worker_processes 1;
daemon off;
pid $W/$1.pid;
error_log $W/$1.err;
worker_rlimit_nofile 20000;
events { worker_connections $2; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
EOC
}

# l7_origin_start: the origin on CLIENT_CPU (three tries on fresh ports, as for the proxies).
l7_origin_start() {
	local try
	for try in 1 2 3; do
		l7_origin_once && return 0
		l7_log "origin did not start (try $try): $(tail -2 "$W/origin.log" "$W/origin.err" 2>/dev/null | tr '\n' ' ')"
	done
	return 1
}

l7_origin_once() {
	ORIGIN=$(l7_port)
	mkdir -p "$W/size"
	head -c 100 /dev/zero | tr '\0' a >"$W/size/100"
	head -c 10240 /dev/zero | tr '\0' b >"$W/size/10240"
	if command -v nginx >/dev/null; then
		{ l7_nginx_head origin "16384"; cat <<EOC
    server {
        listen 127.0.0.1:$ORIGIN reuseport backlog=4096;
        root $W;
        location / { }
    }
}
EOC
		} >"$W/origin.conf"
		taskset -c "$CLIENT_CPU" nginx -c "$W/origin.conf" -p "$W" >"$W/origin.log" 2>&1 &
		ORIGIN_WHAT="nginx (1 worker, static files)"
	else
		taskset -c "$CLIENT_CPU" /usr/bin/python3 "$ROOT/tests/e2e/lib/l7_upstream.py" --port "$ORIGIN" --name origin \
			>"$W/origin.log" 2>&1 &
		ORIGIN_WHAT="the python test upstream (nginx not installed: figures not comparable with an nginx origin)"
		echo "note origin is $ORIGIN_WHAT"
	fi
	local pid=$!
	L7_PIDS+=($pid)
	l7_wait_port "$ORIGIN" "$pid" && return 0
	l7_kill "$pid"
	return 1
}

# l7_proxy_start NAME [MAXCONN]: MAXCONN (default 8000) bounds client connections where a proxy
# needs it said. A free port is only free until someone takes it (other tests on the machine open
# connections all the time), so a proxy that does not start gets two more tries on fresh ports.
l7_proxy_start() {
	local try rc
	for try in 1 2 3; do
		l7_proxy_once "$@"
		rc=$?
		[ $rc = 3 ] || return $rc
		l7_log "$1 did not start (try $try): $(tail -2 "$W/$1.log" 2>/dev/null | tr '\n' ' ')"
	done
	l7_skip "$1" "did not start (log: $(tail -2 "$W/$1.log" 2>/dev/null | tr '\n' ' '))"
	return 1
}

# l7_proxy_once NAME [MAXCONN]: 0 started, 1 not available (said), 3 did not start. With L7_TLS=1
# (l7_tls_proxy_start) the listener terminates TLS with l7_tls_cert's certificate.
l7_proxy_once() {
	local name=$1 max=${2:-8000} p pid out tls=${L7_TLS:-0} sl_tls=() ng_ssl= ng_tls= ha_tls=
	p=$(l7_port)
	if [ "$tls" = 1 ]; then
		sl_tls=("listener_key=tls: { certificates: [ { cert: $TLS_DIR/ec.pem, key: $TLS_DIR/ec.key } ], protocols: [TLSv1.3] }")
		ng_ssl=" ssl"
		ng_tls="        ssl_certificate $TLS_DIR/ec.pem;
        ssl_certificate_key $TLS_DIR/ec.key;
        ssl_protocols TLSv1.3;
        ssl_session_tickets on;"
		ha_tls=" ssl crt $TLS_DIR/combined.pem ssl-min-ver TLSv1.3"
	fi
	# With L7_H2=1 (l7_h2_proxy_start) the TLS listener offers h2 by ALPN ahead of http/1.1, as each
	# one's users turn it on: nginx `http2` on the listen line before 1.25.1, `http2 on;` since (where
	# the listen parameter is deprecated); haproxy `alpn h2,http/1.1`; sluiced nothing (h2 is its default
	# on a TLS listener). Behind each it is the same HTTP/1.1 keep-alive pool to the origin.
	local h2=${L7_H2:-0}
	if [ "$h2" = 1 ]; then
		if l7_nginx_http2_on; then
			ng_tls+=$'\n        http2 on;'
		else
			ng_ssl+=" http2"
		fi
		ha_tls+=" alpn h2,http/1.1"
	fi
	case $name in
	null)
		[ "$tls" = 1 ] && { l7_log "no TLS setup for proxy $name"; return 1; }
		# bench/null_fwd.c: the per-core ceiling (relays bytes, parses nothing); SL_NULL_FWD picks the binary
		local nf=${SL_NULL_FWD:-$BUILD/bench/null_fwd}
		[ -x "$nf" ] || { l7_skip null "$nf not built (make)"; return 1; }
		taskset -c "$PROXY_CPU" "$nf" --listen "$p" --upstream "127.0.0.1:$ORIGIN" --max-conns $((max + 100)) >"$W/null.log" 2>&1 &
		;;
	sluiced)
		[ -x "$BUILD/sluiced" ] || { l7_skip sluiced "build/sluiced not built (make)"; return 1; }
		sl_config_l7_proxy "$W/sluiced.yaml" "unix:$W/admin.sock" "127.0.0.1:$p" "127.0.0.1:$ORIGIN" name=bench \
			upstream=origin upstream_keys="keepalive: 64" listener_key="max_connections: $((max + 100))" \
			listener_key="client_idle: 300s" "${sl_tls[@]}"
		# A build whose config has no tls: yet (or refuses this one) is said once, not retried.
		if [ "$tls" = 1 ] && ! out=$("$BUILD/sluiced" -t -c "$W/sluiced.yaml" 2>&1); then
			l7_skip sluiced "this build does not take the TLS listener (sluiced -t: $(echo "$out" | grep -v '^$' | head -1))"
			return 1
		fi
		taskset -c "$PROXY_CPU" "$BUILD/sluiced" -c "$W/sluiced.yaml" -l warn >"$W/sluiced.log" 2>&1 &
		;;
	nginx)
		command -v nginx >/dev/null || { l7_skip nginx "not installed (BENCH=1 tools/deps.sh)"; return 1; }
		if [ "$h2" = 1 ] && ! nginx -V 2>&1 | grep -q -- '--with-http_v2_module'; then
			l7_skip nginx "this nginx has no HTTP/2 (nginx -V lists no --with-http_v2_module)"
			return 1
		fi
		{ l7_nginx_head nginx "$((max * 3 / 2 + 200))"; cat <<EOC
    upstream origin { server 127.0.0.1:$ORIGIN; keepalive 64; }
    server {
        listen 127.0.0.1:$p$ng_ssl backlog=4096;
$ng_tls
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOC
		} >"$W/nginx.conf"
		taskset -c "$PROXY_CPU" nginx -c "$W/nginx.conf" -p "$W" >"$W/nginx.log" 2>&1 &
		;;
	haproxy)
		command -v haproxy >/dev/null || { l7_skip haproxy "not installed (BENCH=1 tools/deps.sh)"; return 1; }
		if [ "$h2" = 1 ] && ! haproxy -vv 2>&1 | grep -qE '^[[:space:]]*h2 : mode=HTTP'; then
			l7_skip haproxy "this haproxy has no HTTP/2 multiplexer (haproxy -vv lists no h2 mux)"
			return 1
		fi
		cat >"$W/haproxy.cfg" <<EOC
global
    nbthread 1
    maxconn $((max + 100))
defaults
    mode http
    timeout connect 2s
    timeout client 300s
    timeout server 30s
    timeout http-keep-alive 300s
    option http-keep-alive
    http-reuse always
frontend fe
    bind 127.0.0.1:$p$ha_tls
    default_backend be
backend be
    server o 127.0.0.1:$ORIGIN
EOC
		taskset -c "$PROXY_CPU" haproxy -f "$W/haproxy.cfg" -db >"$W/haproxy.log" 2>&1 &
		;;
	*) l7_log "unknown proxy $name"; return 1 ;;
	esac
	pid=$!
	L7_PIDS+=($pid)
	if l7_wait_port "$p" "$pid" && kill -0 "$pid" 2>/dev/null; then
		PORT[$name]=$p PID[$name]=$pid
		PROXIES+=("$name")
		return 0
	fi
	l7_kill "$pid"
	return 3
}

l7_proxy_stop() {
	local name=$1 keep=() n
	[ -n "${PID[$name]:-}" ] && l7_kill "${PID[$name]}"
	unset "PID[$name]" "PORT[$name]"
	for n in "${PROXIES[@]}"; do [ "$n" = "$name" ] || keep+=("$n"); done
	PROXIES=("${keep[@]}")
}

# l7_wanted NAME: whether to measure proxy NAME (every one when SL_BENCH_PROXIES is empty or unset).
l7_wanted() { [ -z "${SL_BENCH_PROXIES:-}" ] || [[ " $SL_BENCH_PROXIES " == *" $1 "* ]]; }

# l7_cpu_s PID: CPU seconds so far of the process (all its threads) and its children (nginx's
# worker): sum_exec_runtime from /proc/*/task/*/schedstat, in ns (utime+stime from
# /proc/PID/stat, in 10 ms ticks, when schedstat is missing).
l7_cpu_s() {
	local q
	if [ -r "/proc/$1/schedstat" ]; then
		for q in $1 $(pgrep -P "$1"); do cat "/proc/$q/task/"*/schedstat 2>/dev/null; done |
			awk '{ t += $1 } END { printf "%.6f", t / 1e9 }'
	else
		for q in $1 $(pgrep -P "$1"); do cat "/proc/$q/stat" 2>/dev/null; done |
			awk -v hz="$(getconf CLK_TCK)" '{ t += $14 + $15 } END { printf "%.6f", t / hz }'
	fi
}

# --- TLS (bench/tls.sh): the same proxies, the same fair settings, terminating TLS 1.3 ---
# Every proxy serves the one certificate l7_tls_cert made, TLS 1.3 only, session tickets on
# (each one's default ticket settings), no client certificates, HTTP/1.1 behind; towards the
# origin it is the cleartext keep-alive pool of l7_proxy_start.
#   l7_tls_cert DIR                 DIR (0700) with ec.key, ec.pem (self-signed ECDSA P-256 for
#                                   bench.test, 2 days) and combined.pem (haproxy's crt: the two in
#                                   one file); sets TLS_DIR. 0, or 1 when openssl failed (said).
#   l7_tls_proxy_start NAME [MAXCONN]  as l7_proxy_start, for NAME in sluiced|nginx|haproxy
#   l7_tls_probe PORT [SESSION]     one TLS 1.3 handshake and $L7_TLS_GET (no SNI) with openssl s_client;
#                                   prints "PROTOCOL CIPHER GROUP SIG REUSED STATUS" (REUSED
#                                   yes|no, STATUS the HTTP status or -), 0 when the handshake
#                                   completed, 1 when it did not; SESSION given: the
#                                   session is offered from that file when it exists, and
#                                   written to it otherwise. s_client's output: $W/s_client-PORT.txt.
# What bench/tls.sh's openssl s_time sends: it writes "GET <-www> HTTP/1.0\r\n\r\n", so its
# -www is L7_TLS_WWW, which adds a Host (the same request for every proxy: without one, each sends
# the origin a Host of its own making) and turns s_time's trailing " HTTP/1.0" into a header of its own.
L7_TLS_WWW=$'/size/100 HTTP/1.0\r\nHost: bench.test\r\nX-Bench:'
L7_TLS_GET="GET $L7_TLS_WWW HTTP/1.0"$'\r\n\r\n'

l7_tls_cert() {
	TLS_DIR=$1
	mkdir -p "$TLS_DIR" && chmod 700 "$TLS_DIR" || return 1
	if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=bench.test -addext subjectAltName=DNS:bench.test \
		-keyout "$TLS_DIR/ec.key" -out "$TLS_DIR/ec.pem" >"$TLS_DIR/openssl.log" 2>&1; then
		l7_log "openssl req failed: $(tail -2 "$TLS_DIR/openssl.log" | tr '\n' ' ')"
		return 1
	fi
	cat "$TLS_DIR/ec.pem" "$TLS_DIR/ec.key" >"$TLS_DIR/combined.pem"
}

l7_tls_proxy_start() { L7_TLS=1 l7_proxy_start "$@"; }

l7_tls_probe() {
	local port=$1 sess=${2:-} out sarg=()
	if [ -n "$sess" ]; then
		if [ -s "$sess" ]; then sarg=(-sess_in "$sess"); else sarg=(-sess_out "$sess"); fi
	fi
	# The request bench/tls.sh's openssl s_time sends, no SNI (s_time sends none); -ign_eof: read
	# until the proxy closes, so the session tickets sent after the handshake are in the session.
	out=$(printf '%s' "$L7_TLS_GET" |
		timeout -k 2 10 openssl s_client -connect "127.0.0.1:$port" -tls1_3 -ign_eof \
			"${sarg[@]}" 2>&1)
	echo "$out" >"$W/s_client-$port.txt"
	echo "$out" | awk '
		/^(New|Reused), TLSv/ { r = ($1 == "Reused,") ? "yes" : "no"; p = $2; c = $NF; sub(/,$/, "", p) }
		/^(Server|Peer) Temp Key:/ { g = $4; sub(/,$/, "", g) }
		/^Peer signature type:/ { s = $4 }
		/^HTTP\/1\.[01] [0-9][0-9][0-9]/ && !st { st = $2 }
		END { printf "%s %s %s %s %s %s\n", p ? p : "?", c ? c : "?", g ? g : "?", s ? s : "?", r ? r : "?", st ? st : "-"
		      exit !p }'
}

# --- HTTP/2 (bench/h2.sh): the TLS proxies above, offering h2 by ALPN ---
#   l7_h2_proxy_start NAME [MAXCONN]  as l7_tls_proxy_start, the listener also offering h2 (ALPN
#                                     h2,http/1.1); nginx without its http_v2 module and haproxy
#                                     without its h2 mux are skipped with that reason
#   l7_nginx_http2_on               true when this nginx takes `http2 on;` (1.25.1 and later)
l7_h2_proxy_start() { L7_TLS=1 L7_H2=1 l7_proxy_start "$@"; }

l7_nginx_http2_on() {
	local v
	v=$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
	[ -n "$v" ] && [ "$(printf '%s\n1.25.1\n' "$v" | sort -V | head -1)" = 1.25.1 ]
}
