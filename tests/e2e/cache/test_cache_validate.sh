#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Cache: revalidation (If-None-Match / If-Modified-Since, a 304 updates stored headers), no-cache and
# must-revalidate responses, client conditionals answered 304 from the cache, Vary, invalidation by unsafe methods.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/cache_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

cache_origin || exit 1
cache_sluiced || exit 1
last() { curl -s -G "http://127.0.0.1:$OR_PORT/_last" --data-urlencode "u=$1"; }

# revalidation with an ETag
U='/c/rv?cc=max-age%3D1&cc2=max-age%3D60&etag=%22e1%22'
get "$U" >/dev/null
sleep 2.1
get "$U" >/dev/null
[ "$(origin_count "$U")" = 2 ] && last "$U" | grep -q '"If-None-Match": "\\"e1\\""'; ok $? "stale entry revalidated with If-None-Match"
[ "$(cat "$SL_TMP/b")" = "v1 /c/rv" ] && [ "$(hdr "$SL_TMP/h" cache-status)" = "sluice; fwd=stale; fwd-status=304" ]; ok $? "304: stored body served, Cache-Status fwd=stale; fwd-status=304"
[ "$(hdr "$SL_TMP/h" x-count)" = 2 ] && [ "$(hdr "$SL_TMP/h" cache-control)" = "max-age=60" ]; ok $? "304: stored headers updated (X-Count: 2, Cache-Control: max-age=60)"
get "$U" >/dev/null
[ "$(origin_count "$U")" = 2 ] && [ "$(hdr "$SL_TMP/h" x-count)" = 2 ] && [[ "$(hdr "$SL_TMP/h" cache-status)" == "sluice; hit"* ]]; ok $? "fresh again after the 304: hit with the updated header"
grep -q 'cache=REVALIDATED$' "$SL_TMP/access.log"; ok $? "access log: cache=REVALIDATED"

# revalidation with Last-Modified only
U='/c/rvlm?cc=max-age%3D1&lm=1700000000'
get "$U" >/dev/null
sleep 2.1
get "$U" >/dev/null
[ "$(origin_count "$U")" = 2 ] && last "$U" | grep -q '"If-Modified-Since"' && [ "$(cat "$SL_TMP/b")" = "v1 /c/rvlm" ]; ok $? "revalidated with If-Modified-Since, 304 served the stored body"

# a changed resource: the origin answers 200 and the entry is replaced
U='/c/rvc?cc=max-age%3D1&etag=%22a%22'
get "$U" >/dev/null
sleep 2.1
get "$U" -H 'If-None-Match: "zzz"' >/dev/null
last "$U" | grep -q '"If-None-Match": "\\"a\\""' && ! last "$U" | grep -q zzz; ok $? "our validators replace the client's when revalidating"

# no-cache and must-revalidate responses
U='/c/nc?cc=no-cache&etag=%22n%22'
get "$U" >/dev/null; get "$U" >/dev/null; get "$U" >/dev/null
[ "$(origin_count "$U")" = 3 ] && [ "$(cat "$SL_TMP/b")" = "v1 /c/nc" ]; ok $? "no-cache response: revalidated every time, stored body served"
U='/c/mr?cc=max-age%3D1%2C%20must-revalidate&etag=%22m%22'
get "$U" >/dev/null
sleep 2.1
get "$U" -H 'Cache-Control: max-stale=600' >/dev/null
[ "$(origin_count "$U")" = 2 ]; ok $? "must-revalidate: max-stale does not allow serving it stale"
U='/c/pr?cc=max-age%3D1%2C%20proxy-revalidate&etag=%22m%22'
get "$U" >/dev/null
sleep 2.1
get "$U" -H 'Cache-Control: max-stale=600' >/dev/null
[ "$(origin_count "$U")" = 2 ]; ok $? "proxy-revalidate: same for a shared cache"

# client conditionals answered from the cache
U='/c/cond?cc=max-age%3D60&etag=%22c1%22&lm=3600'
get "$U" >/dev/null
code=$(get "$U" -H 'If-None-Match: "c1"')
[ "$code" = 304 ] && [ "$(origin_count "$U")" = 1 ] && [ "$(hdr "$SL_TMP/h" etag)" = '"c1"' ]; ok $? "If-None-Match match: 304 from the cache with ETag"
code=$(get "$U" -H 'If-None-Match: W/"c1"')
[ "$code" = 304 ]; ok $? "weak comparison for If-None-Match"
code=$(get "$U" -H 'If-None-Match: "other"')
[ "$code" = 200 ] && [ "$(origin_count "$U")" = 1 ]; ok $? "If-None-Match mismatch: 200 from the cache"
code=$(get "$U" -H "If-Modified-Since: $(date -u -R -d '+1 hour' | sed 's/+0000/GMT/')")
[ "$code" = 304 ] && [ "$(origin_count "$U")" = 1 ]; ok $? "If-Modified-Since after Last-Modified: 304 from the cache"
code=$(get "$U" -H "If-Modified-Since: $(date -u -R -d '-2 hours' | sed 's/+0000/GMT/')")
[ "$code" = 200 ]; ok $? "If-Modified-Since before Last-Modified: 200"

# a conditional request that misses: the origin is asked for the whole response, the client gets its 304
U='/c/condmiss?cc=max-age%3D60&etag=%22cm%22'
code=$(get "$U" -H 'If-None-Match: "cm"')
[ "$code" = 304 ] && ! last "$U" | grep -q 'If-None-Match'; ok $? "conditional miss: sent without its conditional, answered 304 ($code)"
code=$(get "$U")
[ "$code" = 200 ] && [ "$(cat "$SL_TMP/b")" = "v1 /c/condmiss" ] && [ "$(origin_count "$U")" = 1 ]; ok $? "... and the whole response was stored"
code=$(get '/c/condmiss2?cc=max-age%3D60&etag=%22new%22' -H 'If-None-Match: "old"')
[ "$code" = 200 ] && [ "$(cat "$SL_TMP/b")" = "v1 /c/condmiss2" ]; ok $? "conditional miss that does not match: 200 with the body"

# Vary
U='/c/vary?cc=max-age%3D60&vary=Accept-Language'
get "$U" -H 'Accept-Language: en' >/dev/null; b1=$(cat "$SL_TMP/b")
get "$U" -H 'Accept-Language: fr' >/dev/null; b2=$(cat "$SL_TMP/b")
get "$U" -H 'Accept-Language: en' >/dev/null; b3=$(cat "$SL_TMP/b")
get "$U" -H 'Accept-Language: fr' >/dev/null; b4=$(cat "$SL_TMP/b")
[ "$(origin_count "$U")" = 2 ] && [ "$b1" = "$b3" ] && [ "$b2" = "$b4" ] && [ "$b1" = "v1 /c/vary en" ] && [ "$b2" = "v2 /c/vary fr" ]; ok $? "Vary: one entry per Accept-Language ($b1 / $b2)"
get "$U" >/dev/null
[ "$(origin_count "$U")" = 3 ] && [ "$(hdr "$SL_TMP/h" cache-status)" = "sluice; fwd=vary-miss; stored" ]; ok $? "Vary: no header is another variant (fwd=vary-miss)"
U='/c/varye?cc=max-age%3D60&vary=Accept-Encoding'
get "$U" -H 'Accept-Encoding: gzip, br' >/dev/null
get "$U" -H 'Accept-Encoding: GZIP,br' >/dev/null
[ "$(origin_count "$U")" = 1 ]; ok $? "Vary: selecting values normalised (spaces, case of accept-encoding)"
U='/c/varys?cc=max-age%3D60&vary=*'
get "$U" >/dev/null; get "$U" >/dev/null
[ "$(origin_count "$U")" = 2 ] && [[ "$(hdr "$SL_TMP/h" cache-status)" == *"detail=vary-star"* ]]; ok $? "Vary: * is never served from the cache"

# invalidation
get '/c/ttl/t1' >/dev/null; get '/c/ttl/t2' >/dev/null; get '/c/ttl/t4' >/dev/null
get '/c/ttl/t3' -H 'Host: other.example' >/dev/null
get "/c/form?loc=/c/ttl/t1&cloc=http://127.0.0.1:$P/c/ttl/t2" -X POST -d x=1 >/dev/null
get '/c/ttl/t1' >/dev/null; get '/c/ttl/t2' >/dev/null
[ "$(origin_count /c/ttl/t1)" = 2 ] && [ "$(origin_count /c/ttl/t2)" = 2 ]; ok $? "POST invalidates its Location and Content-Location"
get '/c/ttl/t4' -X DELETE >/dev/null
get '/c/ttl/t4' >/dev/null
[ "$(cat "$SL_TMP/b")" = "v3 /c/ttl/t4" ]; ok $? "DELETE invalidates the target URI"
get "/c/form2?loc=http://other.example/c/ttl/t3" -X POST -d x=1 >/dev/null
get '/c/ttl/t3' -H 'Host: other.example' >/dev/null
[ "$(origin_count /c/ttl/t3)" = 1 ]; ok $? "a Location on another host is not invalidated"
get '/c/ttl/t5' >/dev/null
get '/c/ttl/t5?status=500' -X PUT >/dev/null
get '/c/ttl/t5' -X PUT -H 'Host: x' >/dev/null
get '/c/ttl/t5' >/dev/null
[ "$(cat "$SL_TMP/b")" = "v1 /c/ttl/t5" ]; ok $? "PUT on another host or a failed PUT does not invalidate"
get '/c/ttl/t6' >/dev/null
get '/c/ttl/t6' -X PATCH -d x >/dev/null
get '/c/ttl/t6' >/dev/null
[ "$(origin_count /c/ttl/t6)" = 3 ]; ok $? "PATCH invalidates"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
