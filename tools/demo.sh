#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make demo`: a namespace topology on this machine, sluiced balancing a VIP over three HTTP backends,
# one backend taken down and brought back, with who served each request, health changes and counters,
# then the L7 tier over HTTP and HTTPS (a throwaway certificate made for the run, deleted with it).
# Runs in well under a minute and removes everything it made (namespaces, pins, processes by PID).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${SL_BUILD:-$ROOT/build}
P=sd$$-
TMP=$(mktemp -d /tmp/sluice-demo.XXXXXX)
PIN=/sys/fs/bpf/sluice-demo-$$
ADMIN=unix:$TMP/admin.sock
PIDS=()
SLUICED=

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[$i]}" 2>/dev/null; done
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "${PIDS[$i]}" 2>/dev/null || break; sleep 0.2; done
		kill -9 "${PIDS[$i]}" 2>/dev/null
	done
	"$ROOT/tools/topo.sh" down "$P" >/dev/null 2>&1
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces, XDP)" >&2; exit 1; }
for f in "$B/sluiced" "$B/sluicectl" "$B/bpf/decap.bpf.o"; do
	[ -e "$f" ] || { echo "demo: $f missing: run make first" >&2; exit 1; }
done

ctl() { "$B/sluicectl" -s "$ADMIN" "$@"; }
wait_for() { local end=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done; }
state_of() { ctl --json backends | python3 -c 'import json,sys; print(next(b["state"] for b in json.load(sys.stdin)["backends"] if b["name"] == sys.argv[1]))' "$1"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }

# Nine requests from the client, each on a new connection (new source port, so Maglev spreads them).
requests() {
	local i who line=""
	for i in 1 2 3 4 5 6 7 8 9; do
		who=$(ip netns exec "$NS_CLI" curl -s -m 1 "http://$VIP4/" || echo "FAIL")
		line+="$(printf '%-5s' "$who")"
	done
	echo "  9 requests to http://$VIP4/ served by: $line"
}

say "Topology: client -> lb (XDP sl_lb) -> bridge -> 3 backends (decap XDP, VIP on lo), all in 198.18.0.0/15"
"$ROOT/tools/topo.sh" up "$P" --backends 3 >"$TMP/topo.log" 2>&1 || { cat "$TMP/topo.log"; exit 1; }
eval "$("$ROOT/tools/topo.sh" env "$P")"
echo "  client $CLI4 ($NS_CLI), lb $NS_LB ($IF_LB_IN, $IF_LB_OUT), VIP $VIP4:80, backends $BE_IP4S"

for i in 1 2 3; do
	ns=${P}be$i
	ip -n "$ns" link set dev "${P}b$i" xdpdrv object "$B/bpf/decap.bpf.o" program sl_decap ||
		{ echo "demo: cannot attach sl_decap on ${P}b$i" >&2; exit 1; }
	mkdir -p "$TMP/www$i"
	echo "be$i" >"$TMP/www$i/index.html"
	ip netns exec "$ns" python3 -m http.server 80 --bind 0.0.0.0 --directory "$TMP/www$i" >/dev/null 2>&1 &
	PIDS+=($!)
	eval "HTTP_PID$i=$!"
done

cat >"$TMP/sluice.yaml" <<EOF
workers: 1
admin:
  listen: $ADMIN
l4:
  interfaces: [$IF_LB_IN, $IF_LB_OUT]
  xdp_mode: native
  forwarding: ipip
  detach_on_exit: true
  vips:
    - name: web
      address: $VIP4
      port: 80
      protocol: tcp
      health: { type: http, path: /, interval: 300ms, timeout: 250ms, rise: 2, fall: 2 }
      backends:
        - { address: $BE1_IP4, weight: 100 }
        - { address: $BE2_IP4, weight: 100 }
        - { address: $BE3_IP4, weight: 100 }
EOF

# The L7 tier too: a reverse-proxy listener on the lb spreading requests over the same backends, and
# the same over HTTPS: sluiced terminates TLS with a certificate made now (ECDSA P-256, self-signed for
# www.demo.test, one day), which the client trusts with curl --cacert.
cp "$TMP/sluice.yaml" "$TMP/sluice-l4.yaml"
TLS_LISTENER=
mkdir -p "$TMP/tls"
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=www.demo.test" \
	-addext "subjectAltName=DNS:www.demo.test" -keyout "$TMP/tls/demo.key" -out "$TMP/tls/demo.pem" >"$TMP/tls/openssl.log" 2>&1; then
	TLS_LISTENER="    - name: public-tls
      listen: $LB_IN4:8443
      mode: reverse
      tls:
        certificates: [ { cert: $TMP/tls/demo.pem, key: $TMP/tls/demo.key } ]
      routes:
        - match: { path_prefix: / }
          upstream: app"
fi
cat >>"$TMP/sluice.yaml" <<EOF
l7:
  listeners:
    - name: public
      listen: $LB_IN4:8080
      mode: reverse
      routes:
        - match: { path_prefix: / }
          upstream: app
${TLS_LISTENER:+$TLS_LISTENER
}  upstreams:
    - name: app
      balance: round_robin
      servers:
        - { address: $BE1_IP4:80 }
        - { address: $BE2_IP4:80 }
        - { address: $BE3_IP4:80 }
      health: { type: http, path: /, interval: 300ms, timeout: 250ms, rise: 1, fall: 2 }
EOF

start_sluiced() {
	nsenter --net="/run/netns/$NS_LB" "$B/sluiced" -c "$1" --pin-dir "$PIN" >>"$TMP/sluiced.log" 2>&1 &
	SLUICED=$!
	PIDS+=("$SLUICED")
	wait_for 10 ctl status && wait_for 10 is_state "web/$BE3_IP4" up
}

# The same config without the TLS listener, for a build that cannot start it.
awk -v tls="${TLS_LISTENER:+1}" 'tls && /^    - name: public-tls$/ { skip = 1; next } skip && /^  upstreams:$/ { skip = 0 } !skip' \
	"$TMP/sluice.yaml" >"$TMP/sluice-l7.yaml"

say "sluiced -c $TMP/sluice.yaml --pin-dir $PIN   (in $NS_LB; L4 VIP web + L7 listeners public${TLS_LISTENER:+ and public-tls})"
L7=1
TLS=${TLS_LISTENER:+1}
if [ -z "$TLS" ]; then
	echo "  (openssl could not make a certificate: no HTTPS step)"
	sed 's/^/  | /' "$TMP/tls/openssl.log" | tail -3
fi
if ! start_sluiced "$TMP/sluice.yaml"; then
	kill "$SLUICED" 2>/dev/null
	wait "$SLUICED" 2>/dev/null
	tail -3 "$TMP/sluiced.log" | sed 's/^/  | /'
	started=0
	if [ -n "$TLS" ]; then
		echo "  (the HTTPS listener did not start in this build; trying without it)"
		TLS=
		if start_sluiced "$TMP/sluice-l7.yaml"; then
			started=1
		else
			kill "$SLUICED" 2>/dev/null
			wait "$SLUICED" 2>/dev/null
			tail -3 "$TMP/sluiced.log" | sed 's/^/  | /'
		fi
	fi
	if [ "$started" = 0 ]; then
		echo "  (the L7 tier did not start in this build; continuing with L4 only)"
		L7=0
		if ! start_sluiced "$TMP/sluice-l4.yaml"; then
			echo "demo: sluiced did not come up; its log:" >&2
			tail -20 "$TMP/sluiced.log" >&2
			exit 1
		fi
	fi
fi
ctl status
echo
ctl backends

say "Traffic through the VIP"
requests

say "Taking be2 down (its HTTP server stops)"
kill "$HTTP_PID2"
t0=$(date +%s%3N)
wait_for 10 is_state "web/$BE2_IP4" down
echo "  sluiced saw it down after $(($(date +%s%3N) - t0)) ms (fall 2 x interval 300 ms)"
ctl backends
requests

say "Bringing be2 back"
ip netns exec "${P}be2" python3 -m http.server 80 --bind 0.0.0.0 --directory "$TMP/www2" >/dev/null 2>&1 &
PIDS+=($!)
t0=$(date +%s%3N)
wait_for 10 is_state "web/$BE2_IP4" up
echo "  back in the ring after $(($(date +%s%3N) - t0)) ms (rise 2 x interval 300 ms)"
requests

say "Draining be1 (sluicectl backend drain web/$BE1_IP4): no new flows, open ones continue"
ctl backend drain "web/$BE1_IP4"
requests
ctl backend enable "web/$BE1_IP4"

if [ "$L7" = 1 ]; then
	say "L7: HTTP through sluiced's reverse proxy at http://$LB_IN4:8080/"
	line=""
	for i in 1 2 3 4 5 6; do
		who=$(ip netns exec "$NS_CLI" curl -s -m 2 "http://$LB_IN4:8080/" || echo "FAIL")
		line+="$(printf '%-5s' "$who")"
	done
	echo "  6 requests served by: $line"
fi

if [ -n "$TLS" ]; then
	say "HTTPS: sluiced terminates TLS at https://www.demo.test:8443/ (certificate made for this run, trusted with --cacert)"
	echo "  curl --cacert $TMP/tls/demo.pem --resolve www.demo.test:8443:$LB_IN4 https://www.demo.test:8443/"
	who=$(ip netns exec "$NS_CLI" curl -sv -m 3 --cacert "$TMP/tls/demo.pem" --resolve "www.demo.test:8443:$LB_IN4" \
		"https://www.demo.test:8443/" 2>"$TMP/curl-tls.log" || echo "FAIL")
	grep -E '^\* (SSL connection using|ALPN: server accepted| subject:| expire date:| SSL certificate verify)' "$TMP/curl-tls.log" |
		sed 's/^\* */  /'
	echo "  answered by: $who"
	line=""
	for i in 1 2 3 4 5 6; do
		who=$(ip netns exec "$NS_CLI" curl -s -m 2 --cacert "$TMP/tls/demo.pem" --resolve "www.demo.test:8443:$LB_IN4" \
			"https://www.demo.test:8443/" || echo "FAIL")
		line+="$(printf '%-5s' "$who")"
	done
	echo "  6 more HTTPS requests (a handshake each) served by: $line"
	curl -s --unix-socket "$TMP/admin.sock" http://sluiced/metrics | grep -E '^sluice_tls_(handshakes|resumptions)_total' |
		sed 's/^/  /'
fi

say "Which backend does a flow map to? (sluicectl trace)"
ctl trace tcp "$CLI4:40000" "$VIP4:80"
ctl trace tcp "$CLI4:40001" "$VIP4:80"

say "Health changes (sluiced log)"
grep -E "health: (up|down)|ring:|drain|enabled" "$TMP/sluiced.log" | sed 's/^[^ ]* sluiced\[[0-9]*\]: /  /'

say "Counters (sluicectl stats, summed over CPUs)"
ctl stats

say "Admin API: curl --unix-socket $TMP/admin.sock http://sluiced/metrics (excerpt)"
curl -s --unix-socket "$TMP/admin.sock" http://sluiced/metrics | grep -E '^sluice_(vip_new_flows|backend_new_flows|backend_up)' | head -8

say "Done: cleaning up (namespaces, pins, processes)"
