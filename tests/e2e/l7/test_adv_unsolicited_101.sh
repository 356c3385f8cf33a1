#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Hostile upstream: a 101 the client did not ask for (or a 101 without Upgrade) is a 502, never a spinning worker.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/adv_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

adv_start || exit 1

# 1. GET without Upgrade, answered 101 + Upgrade: x + Connection: upgrade
adv_bg_raw "$SL_TMP/r1" 'GET /u101 HTTP/1.1\r\nHost: h\r\n\r\n' 5
sleep 0.5
adv_good "unsolicited 101 in progress"
wait "$RAW_PID"
r=$(cat "$SL_TMP/r1")
[ "$(adv_field "$r" 1)" = "HTTP/1.1 502" ] && [ "$(adv_field "$r" 3)" = closed ]; ok $? "unsolicited 101: 502 and close ($r)"

# 2. a real upgrade request answered 101 without Upgrade/Connection: 502 alone, no 101 first
r=$(adv_raw 'GET /bare101 HTTP/1.1\r\nHost: h\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n' 5)
[ "$(adv_field "$r" 1)" = "HTTP/1.1 502" ] && [ "$(adv_field "$r" 3)" = closed ]; ok $? "101 without Upgrade to an upgrade request: one 502 ($r)"

# 3. the same without the client asking
r=$(adv_raw 'GET /bare101 HTTP/1.1\r\nHost: h\r\n\r\n' 5)
[ "$(adv_field "$r" 1)" = "HTTP/1.1 502" ] && [ "$(adv_field "$r" 3)" = closed ]; ok $? "bare 101 to a plain GET: one 502 ($r)"

# 4. through the forward proxy: any origin may do it
r=$(ADV_PORT=$FP adv_raw "GET http://127.0.0.1:$EVIL/u101 HTTP/1.1\\r\\nHost: 127.0.0.1:$EVIL\\r\\n\\r\\n" 5)
[ "$(adv_field "$r" 1)" = "HTTP/1.1 502" ] && [ "$(adv_field "$r" 3)" = closed ]; ok $? "forward proxy, unsolicited 101 from the origin: 502 and close ($r)"

adv_good "after the bad 101s"
adv_sigterm
done_testing
