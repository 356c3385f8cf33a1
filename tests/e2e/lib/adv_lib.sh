# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers for the hostile-peer tests (test_adv_*.sh): an evil upstream, a one-worker sluiced,
# a raw client, "a good client still gets answers" and "SIGTERM still stops it". Source after l7_lib.sh.

# adv_start [ROUTES_YAML]: evil_upstream.py on $EVIL, a one-worker sluiced on $P (request_timeout 2s,
# client_idle 5s, max_connections $ADV_MAXCONN or 10000) whose routes send everything to it unless ROUTES_YAML (listener routes, one line) says otherwise;
# a forward listener (loopback origins allowed) on $FP, on the same worker.
adv_start() {
	local routes='[ { match: { path_prefix: / }, upstream: evil } ]'
	[ $# -gt 0 ] && routes=$1
	EVIL=$(free_port)
	bg bash -c "exec python3 '$SL_ROOT/tests/e2e/lib/evil_upstream.py' --port $EVIL >>'$SL_TMP/evil.log' 2>&1"
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$EVIL" || { diag "evil upstream did not start"; return 1; }
	P=$(free_port)
	FP=$(free_port)
	{
		sl_config_l7_head "$(l7_admin)" "127.0.0.1:$P" 1 pub
		cat <<EOC
      request_timeout: 2s
      client_idle: 5s
      max_connections: ${ADV_MAXCONN:-10000}
      routes: $routes
    - name: fwd
      listen: 127.0.0.1:$FP
      mode: forward
      request_timeout: 2s
      client_idle: 5s
  forward:
    allow_private_destinations: true
  upstreams:
    - { name: evil, response_timeout: ${ADV_RESPONSE_TIMEOUT:-30s}, max_fails: 0, servers: [ { address: 127.0.0.1:$EVIL } ] }
${ADV_EXTRA_UPSTREAMS:-}
EOC
	} >"$SL_TMP/adv.yaml"
	l7_sluiced "$SL_TMP/adv.yaml" "$P"
}

# adv_raw DATA [TIMEOUT_S]: raw_client.py against $P (ADV_PORT=$FP: the forward listener); prints STATUSES|SECONDS|closed-or-open|BYTES.
adv_raw() { python3 "$SL_ROOT/tests/e2e/lib/raw_client.py" "${ADV_PORT:-$P}" "$@" 2>>"$SL_TMP/raw.log"; }

# adv_bg_raw OUT DATA [TIMEOUT_S]: adv_raw in the background, its line into OUT; PID in $RAW_PID.
adv_bg_raw() {
	local out=$1; shift
	bg bash -c "exec python3 '$SL_ROOT/tests/e2e/lib/raw_client.py' '$P' \"\$@\" >'$out' 2>>'$SL_TMP/raw.log'" _ "$@"
	RAW_PID=$BG_PID
}

# adv_good DESC: a well-behaved GET on the same (only) worker is answered 200 within 2 s.
adv_good() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$P/ok")
	[ "$code" = 200 ]; ok $? "$1: a good client is answered within 2 s (got $code)"
}

# adv_sigterm: SIGTERM ends sluiced within 6 s (the drain lasts at most 5 s; a spinning worker never ends).
adv_sigterm() {
	kill -TERM "$SLUICED_PID" 2>/dev/null
	local i
	for i in $(seq 60); do
		kill -0 "$SLUICED_PID" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$SLUICED_PID" 2>/dev/null; ok $? "sluiced exits within 6 s of SIGTERM"
}

# adv_field LINE N: field N (1-based) of a raw_client.py line.
adv_field() { echo "$1" | cut -d'|' -f"$2"; }
