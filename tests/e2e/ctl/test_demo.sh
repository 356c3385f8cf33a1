#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make demo` (tools/demo.sh), the first command of the README: it runs, shows each step working, and leaves nothing behind.
. "$(dirname "$0")/../lib/lib.sh"
need_root
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

SL_BUILD="$SL_BUILD" timeout -k 5 120 "$SL_ROOT/tools/demo.sh" >"$SL_TMP/demo.out" 2>&1
rc=$?
sed 's/\x1b\[[0-9;]*m//g' "$SL_TMP/demo.out" >"$SL_TMP/demo.txt"
ok $((rc != 0)) "the demo exits 0 ($rc)" || tail -20 "$SL_TMP/demo.txt" | sed 's/^/#   /'
# 9 requests on random source ports: two backends at least (all three: 92% of runs)
n=$(grep -A3 '== Traffic through the VIP' "$SL_TMP/demo.txt" | grep 'served by:' | grep -o 'be[123]' | sort -u | wc -l)
[ "$n" -ge 2 ]
ok $? "requests through the VIP spread over the backends ($n of 3)"
down=$(sed -n '/== Taking be2 down/,/== Bringing be2 back/p' "$SL_TMP/demo.txt")
grep -q 'sluiced saw it down' <<<"$down" && ! grep 'served by:' <<<"$down" | grep -q be2
ok $? "be2 taken down: seen down, and no request goes to it"
grep -A2 '== Bringing be2 back' "$SL_TMP/demo.txt" | grep -q 'back in the ring'
ok $? "be2 back in the ring"
drain=$(sed -n '/== Draining be1/,/== L7/p' "$SL_TMP/demo.txt")
! grep 'served by:' <<<"$drain" | grep -q be1
ok $? "be1 drained: no new request goes to it"
grep -A2 '== L7:' "$SL_TMP/demo.txt" | grep -q 'served by:.*be'
ok $? "the L7 listener serves"
grep -q 'XDP drops: none' "$SL_TMP/demo.txt"
ok $? "no XDP drops"
pfx=$(sed -n 's/.*lb \(sd[0-9]*\)-lb.*/\1/p' "$SL_TMP/demo.txt" | head -1)
[ -n "$pfx" ] && ! ip netns list | grep -q "^$pfx-" && ! ls /sys/fs/bpf | grep -q "sluice-demo-${pfx#sd}$" &&
	! pgrep -f "sluice-demo\.[A-Za-z0-9]*/sluice.yaml" >/dev/null
ok $? "nothing of the demo ($pfx) is left: namespaces, pins, processes"
done_testing
