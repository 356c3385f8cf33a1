#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Cache: purge by URL and prefix (admin API and sluicectl, every worker's shard), counters in /metrics and
# /status, the memory bound (eviction) and max_object_bytes.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/cache_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

cache_origin || exit 1
cache_sluiced 2MiB 100KiB 2 || exit 1   # 2 workers: 1 MiB each
ADM="$SL_TMP/admin.sock"
api() { curl -s -m 5 --unix-socket "$ADM" "$@"; }
ctl() { "$SL_BUILD/sluicectl" -s "unix:$ADM" "$@"; }
metric() { api http://sluiced/metrics | awk -v k="$1" '$1==k {print $2}'; }
capacity_is() { [ "$(metric 'sluice_cache_capacity_bytes{cache="main"}')" = "$1" ]; }

# warm: each URL fetched over several connections so both workers hold a copy
warm() { for _ in 1 2 3 4; do get "$1" >/dev/null; done; }
for u in /c/ttl/a /c/ttl/b /c/ttl/dir/x /c/ttl/dir/y /c/ttl/dir2/z; do warm "$u"; done
n_a=$(origin_count /c/ttl/a)
[ "$n_a" -ge 1 ] && [ "$n_a" -le 2 ]; ok $? "warmed (origin asked $n_a time(s) for /c/ttl/a: at most once per worker)"

out=$(api -X POST -d "{\"url\": \"http://127.0.0.1:$P/c/ttl/a\"}" http://sluiced/cache/purge)
[[ "$out" == *"\"purged\":$n_a"* ]]; ok $? "POST /cache/purge by URL: $out"
for _ in 1 2 3 4; do get /c/ttl/a >/dev/null; done
[ "$(origin_count /c/ttl/a)" -gt "$n_a" ] && [ "$(origin_count /c/ttl/a)" -le $((n_a + 2)) ]; ok $? "purged URL fetched again"
for _ in 1 2 3 4; do get /c/ttl/b >/dev/null; done
[ "$(origin_count /c/ttl/b)" -le 2 ]; ok $? "other URLs untouched"
out=$(ctl cache purge --prefix "http://127.0.0.1:$P/c/ttl/dir/")
[[ "$out" == "purged "[1-4]" entr"* ]]; ok $? "sluicectl cache purge --prefix: $out"
for _ in 1 2 3 4; do get /c/ttl/dir/x >/dev/null; done
[ "$(origin_count /c/ttl/dir/x)" -ge 2 ]; ok $? "prefix purge: /dir/x fetched again"
out=$(ctl cache purge "http://127.0.0.1:$P/c/ttl/b")
[[ "$out" == "purged "* ]]; ok $? "sluicectl cache purge URL: $out"
out=$(ctl --json cache purge /c/ttl/dir2/z)   # not asked for since the prefix purge: what is found survived it
[[ "$out" == *'"purged":'[1-2]* ]]; ok $? "/dir2/ kept by the /dir/ prefix purge; purge by path (any host): $out"
code=$(api -o /dev/null -w '%{http_code}' -X POST -d '{"nope":1}' http://sluiced/cache/purge)
[ "$code" = 400 ]; ok $? "purge without url or prefix: 400"

# counters
[ "$(metric 'sluice_cache_hits_total{cache="main"}')" -gt 0 ]; ok $? "sluice_cache_hits_total"
[ "$(metric 'sluice_cache_misses_total{cache="main"}')" -gt 0 ]; ok $? "sluice_cache_misses_total"
[ "$(metric 'sluice_cache_purged_total{cache="main"}')" -ge 4 ]; ok $? "sluice_cache_purged_total"
[ -n "$(metric 'sluice_cache_entries{cache="main"}')" ] && [ -n "$(metric 'sluice_cache_evictions_total{cache="main"}')" ] && [ -n "$(metric 'sluice_cache_stale_total{cache="main"}')" ] && [ -n "$(metric 'sluice_cache_revalidations_total{cache="main"}')" ]; ok $? "entries, evictions, stale, revalidations exported"
api http://sluiced/status | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = d["l7"]["cache_stats"][0]
assert d["l7"]["caches"] == 1 and c["name"] == "main" and c["hits"] > 0 and c["capacity"] == 2 * 1024 * 1024, c
for k in ("entries", "bytes", "misses", "evictions", "stale", "revalidations"):
    assert k in c, k
'; ok $? "GET /status: l7.cache_stats"

out=$(ctl status | grep '^cache ')
[[ "$out" == "cache     main: "*" entries, "*" hits, "* ]]; ok $? "sluicectl status: $out"
api http://sluiced/ | grep -q '<th colspan=9>caches</th>'; ok $? "GET / (HTML): a caches table"

# the memory bound: 60 objects of 60 KiB into 2 x 1 MiB
for i in $(seq 1 60); do get "/c/ttl/big$i?size=61440" >/dev/null; done
bytes=$(metric 'sluice_cache_bytes{cache="main"}')
[ "$bytes" -le $((2 * 1024 * 1024)) ] && [ "$bytes" -gt $((1024 * 1024)) ]; ok $? "bytes stay within memory ($bytes)"
[ "$(metric 'sluice_cache_evictions_total{cache="main"}')" -gt 10 ]; ok $? "evictions counted ($(metric 'sluice_cache_evictions_total{cache="main"}'))"
get "/c/ttl/huge?size=150000" >/dev/null; get "/c/ttl/huge?size=150000" >/dev/null
[ "$(origin_count "/c/ttl/huge?size=150000")" = 2 ] && [ "$(wc -c <"$SL_TMP/b")" = 150000 ] && [[ "$(hdr "$SL_TMP/h" cache-status)" == *"detail=too-large" ]]; ok $? "over max_object_bytes: not stored ($(hdr "$SL_TMP/h" cache-status))"
# a reload keeps the cache (same name), a new memory budget applies
# 20 new connections, so both workers (one cache shard each) hold a copy (all 20 on one: odds 2^-19)
for _ in $(seq 1 20); do get /c/ttl/keep >/dev/null; done
n_keep=$(origin_count /c/ttl/keep)
sed -i 's/memory: 2MiB/memory: 4MiB/; s/format: combined/format: json/' "$SL_TMP/c.yaml"
out=$(ctl reload)
[ "$out" = reloaded ]; ok $? "reload: $out"
for _ in 1 2 3 4; do get /c/ttl/keep >/dev/null; done
[ "$(origin_count /c/ttl/keep)" = "$n_keep" ] && wait_for 3 capacity_is $((4 * 1024 * 1024)); ok $? "after a reload: entries kept, capacity $(metric 'sluice_cache_capacity_bytes{cache="main"}')"
wait_for 3 grep -q '"uri":"/c/ttl/keep".*"cache":"HIT"}$' "$SL_TMP/access.log"; ok $? "JSON access log: \"cache\":\"HIT\""
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
