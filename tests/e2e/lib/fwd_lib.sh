# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers for the forward proxy e2e tests (test_fwd_*.sh): a recording origin, a DNS stub, a forward sluiced.
# Source after lib.sh and l7_lib.sh.

# fwd_origin: tests/e2e/lib/fwd_origin.py on a free port ($ORIGIN_PORT), logging requests to $SL_TMP/origin.log.
fwd_origin() {
	: >"$SL_TMP/origin.log"
	bg bash -c "exec python3 '$SL_ROOT/tests/e2e/lib/fwd_origin.py' --log '$SL_TMP/origin.log' >'$SL_TMP/origin.port' 2>>'$SL_TMP/origin.err'"
	wait_for 5 test -s "$SL_TMP/origin.port" || { diag "origin did not start"; return 1; }
	ORIGIN_PORT=$(head -1 "$SL_TMP/origin.port")
}

# fwd_dns NAME=ADDR[/TTL]...: the DNS stub on 127.0.0.1 ($DNS_PORT); queries logged to $SL_TMP/dns.log.
fwd_dns() {
	: >"$SL_TMP/dns.log"
	bg bash -c "exec python3 '$SL_ROOT/tests/e2e/lib/fwd_dns.py' --log '$SL_TMP/dns.log' $* >'$SL_TMP/dns.port' 2>>'$SL_TMP/dns.err'"
	wait_for 5 test -s "$SL_TMP/dns.port" || { diag "dns stub did not start"; return 1; }
	DNS_PORT=$(head -1 "$SL_TMP/dns.port")
}

# fwd_config FILE PORT [FORWARD_YAML_LINES]: a one-worker forward listener on 127.0.0.1:PORT logging to $SL_TMP/access.log.
# FWD_CACHE=NAME gives the listener an 8 MiB cache of that name.
fwd_config() {
	local cache_line="" caches=""
	if [ -n "${FWD_CACHE:-}" ]; then
		cache_line="      cache: $FWD_CACHE"
		caches="  caches:
    - { name: $FWD_CACHE, memory: 8MiB }"
	fi
	cat >"$1" <<EOC
workers: 1
admin: { listen: $(l7_admin) }
l7:
  listeners:
    - name: fwd
      listen: 127.0.0.1:$2
      mode: forward
$cache_line
      client_idle: ${FWD_IDLE:-60s}
      access_log: { path: $SL_TMP/access.log, format: ${FWD_LOG_FORMAT:-combined} }
$caches
  forward:
${3:-    allow_private_destinations: true}
EOC
}

# fwd_sluiced CONFIG PORT: sluiced asking the DNS stub (when one runs) instead of /etc/resolv.conf.
fwd_sluiced() {
	bg env SLUICED_RESOLVER="${DNS_PORT:+127.0.0.1:$DNS_PORT}" "$SL_BUILD/sluiced" -c "$1" >>"$SL_TMP/sluiced.log" 2>&1
	SLUICED_PID=$BG_PID
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$2" || { diag "sluiced did not listen on $2"; return 1; }
}

# fwd_reload CONFIG: rewrite happened; SIGHUP and give the workers a moment to take the new generation.
fwd_reload() {
	kill -HUP "$SLUICED_PID"
	sleep 0.5
}

# logged PATTERN: the access log (written in ~16 ms batches) shows a line matching PATTERN within 3 s.
logged() { wait_for 3 grep -qE -- "$1" "$SL_TMP/access.log"; }
