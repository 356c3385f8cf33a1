#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Cache: stale-while-revalidate (stale served at once, refreshed behind), stale-if-error (origin 5xx or gone),
# request collapsing (N concurrent misses, one origin request).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/cache_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

cache_origin || exit 1
cache_sluiced || exit 1
fail() { curl -s "http://127.0.0.1:$OR_PORT/_fail?code=$1" >/dev/null; }
count_is() { [ "$(origin_count "$1")" = "$2" ]; }
# body_is_not URL TEXT: GET it; true once the body is something else
body_is_not() { get "$1" >/dev/null; [ "$(cat "$SL_TMP/b")" != "$2" ]; }


# stale-while-revalidate
U='/c/swr?cc=max-age%3D1%2C%20stale-while-revalidate%3D30&delay=1500'
get "$U" >/dev/null
sleep 2.1
get /c/ttl/next >/dev/null
t0=$(date +%s%N)
# the stale one, then another request on the same connection: neither waits for the 1.5 s refresh
curl -s -m 10 -D "$SL_TMP/h" -o "$SL_TMP/b" "$B$U" -o /dev/null "$B/c/ttl/next"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$(cat "$SL_TMP/b")" = "v1 /c/swr" ] && [ "$ms" -lt 1200 ]; ok $? "stale-while-revalidate: stale copy served, and the connection's next request too, without waiting for the origin (${ms} ms)"
grep -qi "^Cache-Status: sluice; hit; ttl=-[0-9]*; detail=stale-while-revalidate" "$SL_TMP/h"; ok $? "$(grep -i '^Cache-Status' "$SL_TMP/h" | head -1 | tr -d '\r')"
wait_for 5 count_is "$U" 2; ok $? "refreshed in the background (origin asked once more)"
wait_for 10 body_is_not "$U" "v1 /c/swr"   # the refresh lands 1.5 s after it was sent
[[ "$(cat "$SL_TMP/b")" == v[2-9]" /c/swr" ]] && [[ "$(hdr "$SL_TMP/h" cache-status)" == "sluice; hit"* ]]; ok $? "then the refreshed copy is served from the cache ($(cat "$SL_TMP/b"))"
grep -q 'cache=UPDATING$' "$SL_TMP/access.log"; ok $? "access log: cache=UPDATING"
U='/c/swr2?cc=max-age%3D1%2C%20stale-while-revalidate%3D1'
get "$U" >/dev/null
sleep 3.1
get "$U" >/dev/null
[ "$(cat "$SL_TMP/b")" = "v2 /c/swr2" ]; ok $? "past the stale-while-revalidate window: fetched before answering"

# stale-if-error
U='/c/sie?cc=max-age%3D1%2C%20stale-if-error%3D60'
get "$U" >/dev/null
get '/c/nosie?cc=max-age%3D1' >/dev/null
get '/c/mrsie?cc=max-age%3D1%2C%20must-revalidate%2C%20stale-if-error%3D60' >/dev/null
get '/c/rsie?cc=max-age%3D1' >/dev/null
get '/c/swrf?cc=max-age%3D1%2C%20stale-while-revalidate%3D60' >/dev/null
sleep 2.1
fail 503
get '/c/swrf?cc=max-age%3D1%2C%20stale-while-revalidate%3D60' >/dev/null
wait_for 3 count_is '/c/swrf?cc=max-age%3D1%2C%20stale-while-revalidate%3D60' 2
code=$(get '/c/swrf?cc=max-age%3D1%2C%20stale-while-revalidate%3D60')
[ "$code" = 200 ] && [ "$(cat "$SL_TMP/b")" = "v1 /c/swrf" ]; ok $? "a background refresh answered 503 keeps the stale copy"
code=$(get "$U")
[ "$code" = 200 ] && [ "$(cat "$SL_TMP/b")" = "v1 /c/sie" ]; ok $? "stale-if-error: origin 503, stale copy served ($code)"
[ "$(hdr "$SL_TMP/h" cache-status)" = "sluice; fwd=stale; fwd-status=503; detail=stale-if-error" ]; ok $? "Cache-Status: $(hdr "$SL_TMP/h" cache-status)"
code=$(get '/c/nosie?cc=max-age%3D1')
[ "$code" = 503 ]; ok $? "without stale-if-error the 503 passes through"
code=$(get '/c/mrsie?cc=max-age%3D1%2C%20must-revalidate%2C%20stale-if-error%3D60')
[ "$code" = 503 ]; ok $? "must-revalidate overrides stale-if-error"
code=$(get '/c/rsie?cc=max-age%3D1' -H 'Cache-Control: stale-if-error=60')
[ "$code" = 200 ]; ok $? "request stale-if-error=60 allows it"
fail close
code=$(get "$U")
[ "$code" = 200 ] && [ "$(cat "$SL_TMP/b")" = "v1 /c/sie" ]; ok $? "stale-if-error: origin closes without answering, stale copy served ($code)"
fail 0
code=$(get "$U")
[ "$code" = 200 ] && [[ "$(cat "$SL_TMP/b")" == v*" /c/sie" ]] && [ "$(cat "$SL_TMP/b")" != "v1 /c/sie" ]; ok $? "origin back: a fresh copy ($(cat "$SL_TMP/b"))"

# collapsing
U='/c/col?cc=max-age%3D60&delay=800'
concurrent "$U" 10
[ "$(origin_count "$U")" = 1 ]; ok $? "10 concurrent misses: one origin request"
[ "$(grep -c '^200 v1 /c/col' "$SL_TMP/conc")" = 10 ]; ok $? "all 10 answered with that response"
[ "$(grep -c 'collapsed' "$SL_TMP/conc")" = 9 ] && [ "$(grep -c 'fwd=miss; stored' "$SL_TMP/conc")" = 1 ]; ok $? "1 stored miss, 9 collapsed hits"
U='/c/colns?cc=no-store&delay=300'
concurrent "$U" 5
[ "$(grep -c "^200 v" "$SL_TMP/conc")" = 5 ] && [ "$(origin_count "$U")" = 10 ]; ok $? "not storable: the waiters go to the origin themselves"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
