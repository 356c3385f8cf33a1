#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 listener slots are reused: reloads through more than 64 listen addresses over a process's life keep working
# once the removed listeners are gone and drained; a removed listener with a connection still open keeps its slot.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

N=72   # distinct addresses, one after the other: more than the 64 slots
l7_upstream a || exit 1; A=$UP_PORT
mapfile -t PX < <(python3 -c '
import socket
ss = [socket.socket() for _ in range('$((N + 2))')]
for s in ss: s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in ss))')
conf() {   # conf PORT...: one listener per port, named after it
	{
		echo "workers: 2"
		echo "admin: { listen: $(l7_admin) }"
		echo "l7:"
		echo "  listeners:"
		for p in "$@"; do
			echo "    - { name: l$p, listen: 127.0.0.1:$p, mode: reverse, access_log: { path: $SL_TMP/l$p.log }, routes: [ { match: { path_prefix: / }, upstream: app } ] }"
		done
		echo "  upstreams:"
		echo "    - { name: app, servers: [ { address: 127.0.0.1:$A } ] }"
	} >"$SL_TMP/c.yaml.new"
	mv "$SL_TMP/c.yaml.new" "$SL_TMP/c.yaml"
}
reload() { curl -s -m 5 -X POST --unix-socket "$SL_TMP/admin.sock" http://sluiced/reload; }

conf "${PX[0]}"
l7_sluiced "$SL_TMP/c.yaml" "${PX[0]}" || exit 1
bad=0 served=0
for i in $(seq 1 $((N - 1))); do
	conf "${PX[$i]}"
	r=$(reload)
	case "$r" in *'"ok":true'*) ;; *) bad=$((bad + 1)); [ $bad -le 3 ] && diag "reload $i: $r";; esac
	wait_for 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/${PX[$i]}"   # workers open it within a loop turn
	out=$(curl -s -m 2 "http://127.0.0.1:${PX[$i]}/r$i")
	[ "$out" = "a /r$i" ] && served=$((served + 1))
	# the slot of the address just removed is free once the workers closed it (within a loop turn)
	sleep 0.05
done
[ $bad = 0 ]; ok $? "$((N - 1)) reloads, each to a new listen address, none refused ($bad refused)"
[ $served = $((N - 1)) ]; ok $? "each new listener served at once ($served of $((N - 1)))"
! (exec 3<>"/dev/tcp/127.0.0.1/${PX[0]}") 2>/dev/null; ok $? "the first address is closed"
wait_for 3 grep -q "GET /r$((N - 1)) " "$SL_TMP/l${PX[$((N - 1))]}.log"; ok $? "a reused slot logs to its own listener's access log"

# A removed listener whose client is still connected keeps its slot until that connection closes.
last=${PX[$((N - 1))]} extra=${PX[$N]} more=${PX[$((N + 1))]}
exec 5<>"/dev/tcp/127.0.0.1/$last"
printf 'GET /held HTTP/1.1\r\nHost: x\r\n\r\n' >&5
read -r -t 3 line <&5; [[ "$line" == "HTTP/1.1 200"* ]]; ok $? "a keep-alive client on the listener about to go ($line)"
conf "$extra"
r=$(reload); [[ "$r" == *'"ok":true'* ]]; ok $? "it is removed in a reload that adds another"
wait_for 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$extra"
out=$(curl -s -m 2 "http://127.0.0.1:$extra/x"); [ "$out" = "a /x" ]; ok $? "the added one serves ($out)"
printf 'GET /held2 HTTP/1.1\r\nHost: x\r\n\r\n' >&5
timeout 3 cat <&5 >"$SL_TMP/held2"
grep -q "a /held2" "$SL_TMP/held2" && grep -qi "^Connection: close" "$SL_TMP/held2"
ok $? "the held connection's next request is served on the removed listener, with Connection: close"
[ $_tap_fail -gt 0 ] && sed 's/^/# held: /' "$SL_TMP/held2"
exec 5<&-
conf "$extra" "$more"
r=$(reload); [[ "$r" == *'"ok":true'* ]]; ok $? "after it closed, one more listener is added ($r)"
wait_for 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$more"   # workers open it within a loop turn
out=$(curl -s -m 2 "http://127.0.0.1:$more/y"); [ "$out" = "a /y" ]; ok $? "it serves ($out)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
[ $_tap_fail -gt 0 ] && tail -n 30 "$SL_TMP/sluiced.log" | sed "s/^/# /"
done_testing
