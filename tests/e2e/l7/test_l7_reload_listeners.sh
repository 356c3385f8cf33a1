#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L7 reload of listeners: a reload opens added listeners, closes removed ones, follows access log changes,
# moves a listener whose address changed.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream a || exit 1; A=$UP_PORT
P1=$(free_port); P2=$(free_port); P3=$(free_port)
conf() {   # conf LISTENER_BLOCK...: writes the config with these listeners
	{
		echo "workers: 2"
		echo "admin: { listen: $(l7_admin) }"
		echo "l7:"
		if [ $# -gt 0 ]; then
			echo "  listeners:"
			for l in "$@"; do echo "$l"; done
		fi
		echo "  upstreams:"
		echo "    - { name: app, servers: [ { address: 127.0.0.1:$A } ] }"
	} >"$SL_TMP/c.yaml.new"
	mv "$SL_TMP/c.yaml.new" "$SL_TMP/c.yaml"
}
L1="    - { name: one, listen: 127.0.0.1:$P1, mode: reverse, access_log: { path: $SL_TMP/one.log }, routes: [ { match: { path_prefix: / }, upstream: app } ] }"
L1b="    - { name: one, listen: 127.0.0.1:$P1, mode: reverse, access_log: { path: $SL_TMP/one-b.log, format: json }, routes: [ { match: { path_prefix: / }, upstream: app } ] }"
L2="    - { name: two, listen: 127.0.0.1:$P2, mode: reverse, routes: [ { match: { path_prefix: / }, upstream: app } ] }"
L2m="    - { name: two, listen: 127.0.0.1:$P3, mode: reverse, routes: [ { match: { path_prefix: / }, upstream: app } ] }"

# no listener and no VIP is refused (test_ctl_empty_config.sh): the first listener comes with the start
conf
"$SL_BUILD/sluiced" -t -c "$SL_TMP/c.yaml" >/dev/null 2>&1; [ $? = 1 ]; ok $? "a config with no L7 listener (and no VIP) is refused"
conf "$L1"
bg bash -c "exec '$SL_BUILD/sluiced' -c '$SL_TMP/c.yaml' >>'$SL_TMP/sluiced.log' 2>&1"
SLUICED_PID=$BG_PID
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P1"; ok $? "sluiced up with the first listener"
out=$(curl -s -m 5 "http://127.0.0.1:$P1/x"); [ "$out" = "a /x" ]; ok $? "it serves ($out)"

conf "$L1" "$L2"
kill -HUP "$SLUICED_PID"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P2"; ok $? "reload added a second listener"
out=$(curl -s -m 5 "http://127.0.0.1:$P2/y"); [ "$out" = "a /y" ]; ok $? "it serves ($out)"

# a client connected to "one" before it goes away finishes its keep-alive request
conf "$L2"
kill -HUP "$SLUICED_PID"
wait_for 5 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$P1) 2>/dev/null"; ok $? "reload removed the first listener: connections refused"
out=$(curl -s -m 5 "http://127.0.0.1:$P2/z"); [ "$out" = "a /z" ]; ok $? "the other still serves"

conf "$L1b" "$L2"
kill -HUP "$SLUICED_PID"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P1"; ok $? "a removed listener can come back"
curl -s -m 5 -o /dev/null "http://127.0.0.1:$P1/json"
wait_for 3 grep -q '"uri":"/json"' "$SL_TMP/one-b.log"; ok $? "its new access log path and format apply"
grep -q '"GET /x HTTP/1.1" 200' "$SL_TMP/one.log"; ok $? "the old log kept its lines"

# the same listener on another address: the old one closes, the new one opens, no restart
conf "$L1b" "$L2m"
kill -HUP "$SLUICED_PID"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P3"; ok $? "a changed address opens on reload"
out=$(curl -s -m 5 "http://127.0.0.1:$P3/moved"); [ "$out" = "a /moved" ]; ok $? "it serves there ($out)"
wait_for 5 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$P2) 2>/dev/null"; ok $? "and the old address is closed"
grep -q "listener two opened on 127.0.0.1:$P3" "$SL_TMP/sluiced.log"; ok $? "the move is logged"
conf "$L1b" "$L2"
kill -HUP "$SLUICED_PID"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P2" && wait_for 5 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$P3) 2>/dev/null"
ok $? "moved back: the first address serves again, the second is closed"
out=$(curl -s -m 5 "http://127.0.0.1:$P2/back"); [ "$out" = "a /back" ]; ok $? "it serves ($out)"

# 64 listener slots a process: one and two take 2, two's old address (moved back) freed its slot;
# 62 more fit, the 63rd is refused (test_l7_reload_slots.sh: reuse over many reloads)
mapfile -t PX < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(63)]
for s in ss: s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in ss))')
LX=()
for i in $(seq 0 62); do
	LX+=("    - { name: x$i, listen: 127.0.0.1:${PX[$i]}, mode: reverse, routes: [ { match: { path_prefix: / }, upstream: app } ] }")
done
conf "$L1b" "$L2" "${LX[@]:0:62}"
kill -HUP "$SLUICED_PID"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/${PX[61]}"; ok $? "62 listeners added: 64 slots in use (one reused)"
# x0 goes while a client is still connected to it: its slot is not free until that connection closes
exec 5<>"/dev/tcp/127.0.0.1/${PX[0]}"
printf 'GET /hold HTTP/1.1\r\nHost: x\r\n\r\n' >&5
read -r -t 3 line <&5
conf "$L1b" "$L2" "${LX[@]:1:61}"
reply=$(curl -s -m 5 -X POST --unix-socket "$SL_TMP/admin.sock" http://sluiced/reload)
wait_for 5 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/${PX[0]}) 2>/dev/null"; ok $? "x0 removed ($reply)"
conf "$L1b" "$L2" "${LX[@]:1:62}"
sleep 0.2
reply=$(curl -s -m 5 -X POST --unix-socket "$SL_TMP/admin.sock" http://sluiced/reload)
echo "$reply" | grep -q "listener 'x62' on 127.0.0.1:${PX[62]}: no listener slot left"
ok $? "one more while the removed one still has a connection: the reload is refused with the reason ($reply)"
sleep 0.3
! (exec 3<>"/dev/tcp/127.0.0.1/${PX[62]}") 2>/dev/null && out=$(curl -s -m 5 "http://127.0.0.1:${PX[61]}/still")
[ "$out" = "a /still" ]; ok $? "nothing applied: the 65th address stays closed, the others serve ($out)"
exec 5<&-
sleep 0.3
reply=$(curl -s -m 5 -X POST --unix-socket "$SL_TMP/admin.sock" http://sluiced/reload)
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/${PX[62]}"; ok $? "its client gone: the same reload takes x0's slot ($reply)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
[ $_tap_fail -gt 0 ] && sed "s/^/# /" "$SL_TMP/sluiced.log"
done_testing
