#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Hostile clients: a chunk size or Content-Length no one could send (over 2^63-1) is a 400 at once, not a wait.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/adv_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

adv_start || exit 1   # request_timeout 2s: a 408 would come after 2 s

adv_bg_raw "$SL_TMP/r1" 'POST /ok HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc' 5
R1=$RAW_PID
adv_bg_raw "$SL_TMP/r2" 'POST /ok HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\nabc' 5
R2=$RAW_PID
adv_bg_raw "$SL_TMP/r3" 'POST /ok HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n8000000000000000\r\n' 5
R3=$RAW_PID
sleep 0.3
adv_good "huge lengths"
wait "$R1" "$R2" "$R3"
for i in 1 2 3; do
	r=$(cat "$SL_TMP/r$i")
	t=$(adv_field "$r" 2)
	[ "$(adv_field "$r" 1)" = "HTTP/1.1 400" ] && [ "$(adv_field "$r" 3)" = closed ] && awk -v t="$t" 'BEGIN { exit !(t < 1.5) }'
	ok $? "case $i: 400 at once, then close ($r)"
done
adv_sigterm
done_testing
