#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Cache across workers: concurrent misses spread over two workers still make one origin request (the other
# worker's leader is woken when the fetch ends, not at its next poll), and a response stored by one worker is a
# hit on the other.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/cache_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

cache_origin || exit 1
cache_sluiced 64MiB 1MiB 2 || exit 1   # 2 workers: one shard each; the kernel spreads connections over them

U='/c/colw?cc=max-age%3D60&delay=800'
concurrent "$U" 12
sed "s/^/# /" "$SL_TMP/conc"
[ "$(origin_count "$U")" = 1 ]; ok $? "12 concurrent misses over 2 workers: one origin request"
[ "$(grep -c '^200 v1 /c/colw' "$SL_TMP/conc")" = 12 ]; ok $? "all 12 answered with that response"
[ "$(grep -c 'collapsed' "$SL_TMP/conc")" = 11 ] && [ "$(grep -c 'fwd=miss; stored' "$SL_TMP/conc")" = 1 ]
ok $? "1 stored miss, 11 collapsed hits"
waits=$(l7_metric 'sluice_cache_claim_waits_total{cache="main"}'); wakes=$(l7_metric 'sluice_cache_claim_wakes_total{cache="main"}')
if [ "${waits:-0}" -gt 0 ]; then
	[ "${wakes:-0}" -ge 1 ]; ok $? "the other worker's leader waited on the claim and was woken when it ended (waits $waits, wakes $wakes)"
else
	ok 0 "# SKIP every connection landed on one worker (waits ${waits:-?})"
fi
for _ in $(seq 1 20); do get "$U" >/dev/null; done   # new connections: both workers
[ "$(origin_count "$U")" = 1 ] && [[ "$(hdr "$SL_TMP/h" cache-status)" == "sluice; hit"* ]]
ok $? "20 more requests on new connections (both workers): all hits, still one origin request"
U='/c/colwns?cc=no-store&delay=200'
concurrent "$U" 4
[ "$(grep -c "^200 v" "$SL_TMP/conc")" = 4 ] && [ "$(origin_count "$U")" = 8 ]
ok $? "not storable: every request still answered, each from the origin ($(origin_count "$U") origin requests)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
