#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# TLS session resumption: TLS 1.3 and 1.2 tickets resume on either of two workers (shared ticket keys),
# counted in the access log and /metrics; session_tickets: false resumes nothing; ticket keys rotate
# (on a second sluiced: the shortest ticket_rotate of a process applies to all its listeners).
. "$(dirname "$0")/../lib/tls_lib.sh"
tls_setup || exit 1
l7_upstream a || exit 1
A=$UP_PORT
Q=$(free_port)
tls_proxy_start workers=2 <<EOC || exit 1
      access_log: { path: $SL_TMP/access.json, format: json }
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: notickets
      listen: 127.0.0.1:$Q
      mode: reverse
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
        session_tickets: false
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$A } ] }
EOC
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$Q" || { diag "listener notickets did not open"; exit 1; }
res0=$(tls_metric sluice_tls_resumptions_total)

# resume PORT VERSION N: a full handshake saving its session, then N connections resuming it; prints the
# first one's "New, ..." line, then per resumption "<New|Reused> X-Conn" (X-Conn: the upstream connection
# the proxy used: each worker has its own pool, so two values mean both workers served).
resume() {
	local port=$1 v=$2 n=$3 i
	rm -f "$SL_TMP/sess"
	tls_get "$port" www.example.test "-$v" -CAfile "$T/ca.pem" -sess_out "$SL_TMP/sess" | grep -E '^(New|Reused), '
	[ -s "$SL_TMP/sess" ] || { echo "no session saved"; return; }
	for ((i = 0; i < n; i++)); do
		tls_get "$port" www.example.test "-$v" -CAfile "$T/ca.pem" -sess_in "$SL_TMP/sess" >"$SL_TMP/r.out"
		echo "$(grep -oE '^(New|Reused)' "$SL_TMP/r.out" | head -1) $(tr -d '\r' <"$SL_TMP/r.out" | sed -n 's/^X-Conn: //p')"
	done
}

for v in tls1_3 tls1_2; do
	resume "$P" "$v" 10 >"$SL_TMP/$v"
	sed 's/^/# /' "$SL_TMP/$v"
	first=$(head -1 "$SL_TMP/$v")
	[[ $first = "New, "* ]]; ok $? "$v: first connection is a full handshake ($first)"
	reused=$(grep -c '^Reused ' "$SL_TMP/$v")
	[ "$reused" = 10 ]; ok $? "$v: 10 of 10 later connections resumed the session ($reused)"
	conns=$(awk 'NR > 1 && NF > 1 { print $2 }' "$SL_TMP/$v" | sort -u | wc -l)
	[ "$conns" -ge 2 ]; ok $? "$v: the resumptions were served by both workers ($conns upstream connections)"
done
wait_for 3 tls_metric_ge "$((res0 + 20))" sluice_tls_resumptions_total
ok $? "sluice_tls_resumptions_total counts them ($res0 -> $(tls_metric sluice_tls_resumptions_total))"
wait_for 3 bash -c "[ \$(grep -c '\"/sni' '$SL_TMP/access.json') -ge 22 ]"
t=$(grep -c '"tls_resumed": *true' "$SL_TMP/access.json"); f=$(grep -c '"tls_resumed": *false' "$SL_TMP/access.json")
[ "$t" = 20 ] && [ "$f" = 2 ]; ok $? "access log: tls_resumed true 20 times, false twice ($t, $f)"

for v in tls1_3 tls1_2; do
	resume "$Q" "$v" 4 >"$SL_TMP/no-$v"
	sed 's/^/# /' "$SL_TMP/no-$v"
	new=$(grep -c '^New ' "$SL_TMP/no-$v")
	if grep -q '^no session saved' "$SL_TMP/no-$v"; then
		ok 0 "session_tickets: false, $v: no resumable session given (no ticket, no session id)"
	else
		[ "$new" = 4 ]; ok $? "session_tickets: false, $v: no connection resumed ($new of 4 full handshakes)"
	fi
done

kill -0 "$SLUICED_PID"; ok $? "sluiced still running"

# ticket_rotate 1s: a ticket opens right away, not once two rotations have passed (the first handshake
# after a period rotates, so full handshakes every 0.3 s keep the keys turning).
kill -TERM "$SLUICED_PID"; wait_for 5 bash -c "! kill -0 $SLUICED_PID"
tls_proxy_start <<EOC || exit 1
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
        ticket_rotate: 1s
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$A } ] }
EOC
resume "$P" tls1_3 1 >"$SL_TMP/rot"
sed 's/^/# /' "$SL_TMP/rot"
grep -q '^Reused ' "$SL_TMP/rot"; ok $? "ticket_rotate 1s: a fresh ticket resumes"
for _ in $(seq 14); do tls_sclient "$P" www.example.test >/dev/null; sleep 0.3; done
tls_get "$P" www.example.test -tls1_3 -CAfile "$T/ca.pem" -sess_in "$SL_TMP/sess" >"$SL_TMP/r.out"
grep -E '^(New|Reused), ' "$SL_TMP/r.out" | sed 's/^/# /'
grep -q '^New, ' "$SL_TMP/r.out"; ok $? "ticket_rotate 1s: a ticket older than two rotations is refused (full handshake)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
