#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Cache: what is stored (no-store, private, Authorization, Set-Cookie, statuses, size), freshness and Age,
# request directives (max-age, max-stale, min-fresh, no-cache, no-store, only-if-cached), HEAD from a GET, a HEAD miss
# sent as a GET and stored, Cache-Status.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/cache_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

cache_origin || exit 1
cache_sluiced 16MiB 100KiB || exit 1

# twice URL [CURL ARGS]: two GETs; prints how many reached the origin
twice() { get "$@" >/dev/null; get "$@" >/dev/null; origin_count "$1"; }

U='/c/fresh?cc=max-age%3D60'
get "$U" >/dev/null
cs1=$(hdr "$SL_TMP/h" cache-status)
get "$U" >/dev/null
cs2=$(hdr "$SL_TMP/h" cache-status)
[ "$(origin_count "$U")" = 1 ] && [ "$(cat "$SL_TMP/b")" = "v1 /c/fresh" ]; ok $? "max-age=60: second GET served from the cache"
[ "$cs1" = "sluice; fwd=miss; stored" ]; ok $? "Cache-Status on the miss: $cs1"
[[ "$cs2" == "sluice; hit; ttl="* ]]; ok $? "Cache-Status on the hit: $cs2"
code=$(get "$U" -I)
[ "$code" = 200 ] && [ "$(hdr "$SL_TMP/h" content-length)" = 11 ] && [ "$(origin_count "$U")" = 1 ]; ok $? "HEAD answered from the stored GET"

# A HEAD miss goes upstream as a GET: the client gets the head (the GET's length, no body), the
# body fills the cache, and the same connection's next GET and HEAD are hits.
cache_py "$SL_TMP/head.out" "$B" "$OR_PORT" <<'EOP'
import json, sys
import cache_client
from cache_client import connect, request as req, say
orp = int(sys.argv[2])
def origin(what, path): return cache_client.origin(orp, what, path)
for name, p in (("head_len", "/c/hm1?cc=max-age%3D60&size=5000"), ("head_chunked", "/c/hm2?cc=max-age%3D60&size=5000&chunked=1")):
    c = connect(sys.argv[1])
    st, h, b = req(c, "HEAD", p)
    m = json.loads(origin("last", p)).get("_method")
    st2, h2, b2 = req(c, "GET", p)
    st3, h3, b3 = req(c, "HEAD", p)
    good = (st == 200 and b == b"" and m == "GET" and "stored" in h.get("cache-status", "")
            and (h.get("content-length") == "5000" or name == "head_chunked")
            and st2 == 200 and len(b2) == 5000 and "hit" in h2.get("cache-status", "")
            and st3 == 200 and b3 == b"" and h3.get("content-length") == "5000" and "hit" in h3.get("cache-status", "")
            and origin("count", p) == "1")
    say(name, good, st, m, h.get("content-length"), h.get("cache-status"), st2, len(b2), origin("count", p))
p = "/c/hm3?cc=max-age%3D60"
c = connect(sys.argv[1])
st, h, b = req(c, "HEAD", p, {"Cache-Control": "no-store"})
m = json.loads(origin("last", p)).get("_method")
say("head_nostore", st == 200 and m == "HEAD", st, m)
EOP
case_ok "$SL_TMP/head.out" head_len "a HEAD miss: sent as a GET, head with its length, stored; GET and HEAD then hit"
case_ok "$SL_TMP/head.out" head_chunked "a HEAD miss of a chunked response: the same"
case_ok "$SL_TMP/head.out" head_nostore "a no-store HEAD goes upstream as HEAD"

[ "$(twice '/c/ns?cc=no-store%2C%20max-age%3D60')" = 2 ]; ok $? "no-store: not stored"
[ "$(twice '/c/pv?cc=private%2C%20max-age%3D60')" = 2 ]; ok $? "private: not stored by a shared cache"
[ "$(twice '/c/au?cc=max-age%3D60' -H 'Authorization: Basic eDp5')" = 2 ]; ok $? "Authorization: not stored without public"
[ "$(twice '/c/aup?cc=public%2C%20max-age%3D60' -H 'Authorization: Basic eDp5')" = 1 ]; ok $? "Authorization with public: stored"
get '/c/aup2?cc=max-age%3D60' >/dev/null
get '/c/aup2?cc=max-age%3D60' -H 'Authorization: Basic eDp5' >/dev/null
[ "$(origin_count '/c/aup2?cc=max-age%3D60')" = 2 ]; ok $? "a response stored without public does not answer an authorised request"
[ "$(twice '/c/ck?cc=max-age%3D60&cookie=1')" = 2 ]; ok $? "Set-Cookie: not stored"
[ "$(twice '/c/302?status=302&loc=/x')" = 2 ]; ok $? "302 without freshness: not stored"
[ "$(twice '/c/302m?status=302&loc=/x&cc=max-age%3D60')" = 1 ]; ok $? "302 with max-age: stored"
[ "$(twice '/c/404?status=404&lm=100000')" = 1 ]; ok $? "404 with Last-Modified: heuristic freshness"
[ "$(twice '/c/none')" = 2 ]; ok $? "no freshness information: not reused"
[ "$(twice '/c/exp?expires=60')" = 1 ]; ok $? "Expires in the future: stored and fresh"
[ "$(twice '/c/exp0?expires=0')" = 2 ]; ok $? "Expires: 0 (invalid): stale at once"
[ "$(twice '/c/ch?cc=max-age%3D60&chunked=1&size=5000')" = 1 ] && [ "$(wc -c <"$SL_TMP/b")" = 5000 ]; ok $? "chunked response stored, served whole"
[ "$(twice '/c/big?cc=max-age%3D60&size=200000')" = 2 ] && [ "$(wc -c <"$SL_TMP/b")" = 200000 ]; ok $? "larger than max_object_bytes: streamed, not stored"
[ "$(twice '/c/bigc?cc=max-age%3D60&size=200000&chunked=1')" = 2 ] && [ "$(wc -c <"$SL_TMP/b")" = 200000 ]; ok $? "chunked past max_object_bytes: fill abandoned, client gets it all"

# Age: the origin says 10, time in the cache adds
get '/c/age?cc=max-age%3D60&age=10' >/dev/null
sleep 1.1
get '/c/age?cc=max-age%3D60&age=10' >/dev/null
a=$(hdr "$SL_TMP/h" age)
[ "$a" -ge 11 ] && [ "$a" -le 13 ]; ok $? "Age = origin Age + resident time ($a)"
get '/c/exp2?cc=max-age%3D1' >/dev/null
sleep 2.1
get '/c/exp2?cc=max-age%3D1' >/dev/null
[ "$(origin_count '/c/exp2?cc=max-age%3D1')" = 2 ] && [ "$(cat "$SL_TMP/b")" = "v2 /c/exp2" ]; ok $? "expired after max-age: fetched again"

# request directives
U='/c/rq?cc=max-age%3D1'
get "$U" >/dev/null
sleep 2.1
get "$U" -H 'Cache-Control: max-stale=60' >/dev/null
[ "$(origin_count "$U")" = 1 ] && [[ "$(hdr "$SL_TMP/h" cache-status)" == *"hit; ttl=-"* ]]; ok $? "max-stale=60: stale response served (negative ttl)"
get "$U" -H 'Cache-Control: max-stale=0' >/dev/null
[ "$(origin_count "$U")" = 2 ]; ok $? "max-stale=0: refetched"
U='/c/rq2?cc=max-age%3D60'
get "$U" >/dev/null
sleep 1.1
get "$U" -H 'Cache-Control: max-age=0' >/dev/null
[ "$(origin_count "$U")" = 2 ]; ok $? "request max-age=0: not served from the cache"
get "$U" -H 'Cache-Control: min-fresh=3600' >/dev/null
[ "$(origin_count "$U")" = 3 ]; ok $? "request min-fresh=3600: not served from the cache"
get "$U" -H 'Cache-Control: no-cache' >/dev/null
[ "$(origin_count "$U")" = 4 ] && [ "$(hdr "$SL_TMP/h" cache-status)" = "sluice; fwd=stale; fwd-status=200; stored" ]; ok $? "request no-cache: forwarded ($(hdr "$SL_TMP/h" cache-status))"
get "$U" -H 'Pragma: no-cache' >/dev/null
[ "$(origin_count "$U")" = 5 ]; ok $? "Pragma: no-cache: forwarded"
get "$U" >/dev/null
[ "$(origin_count "$U")" = 5 ] && [ "$(cat "$SL_TMP/b")" = "v5 /c/rq2" ]; ok $? "a plain request then gets the refreshed copy"
[ "$(twice '/c/rns?cc=max-age%3D60' -H 'Cache-Control: no-store')" = 2 ]; ok $? "request no-store: the response is not stored"
code=$(get '/c/oic-miss?cc=max-age%3D60' -H 'Cache-Control: only-if-cached')
[ "$code" = 504 ] && [ "$(origin_count '/c/oic-miss?cc=max-age%3D60')" = 0 ]; ok $? "only-if-cached on a miss: 504, origin not asked"
get '/c/oic?cc=max-age%3D60' >/dev/null
code=$(get '/c/oic?cc=max-age%3D60' -H 'Cache-Control: only-if-cached')
[ "$code" = 200 ]; ok $? "only-if-cached on a hit: 200"
get '/c/post?cc=max-age%3D60' -X POST >/dev/null
[ "$(hdr "$SL_TMP/h" cache-status)" = "sluice; fwd=method" ]; ok $? "POST: Cache-Status fwd=method"
# pipelined hits after a miss, and an HTTP/1.0 client
out=$(python3 - "$P" <<'EOP'
import socket, sys
def talk(data):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(data); out = b""
    while True:
        d = s.recv(65536)
        if not d: return out.decode()
        out += d
r = b"GET /c/ttl/pipe HTTP/1.1\r\nHost: h\r\n\r\n"
a = talk(r * 3 + b"GET /c/ttl/pipe HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
b = talk(b"GET /c/ttl/pipe HTTP/1.0\r\nHost: h\r\n\r\n")
print(a.count("HTTP/1.1 200"), a.count("sluice; hit"), a.count("v1 /c/ttl/pipe"), "Connection: close" in b, b.endswith("v1 /c/ttl/pipe"))
EOP
)
[ "$out" = "4 3 4 True True" ] && [ "$(origin_count /c/ttl/pipe)" = 1 ]; ok $? "pipelined: miss then 3 hits in order; HTTP/1.0 hit closes ($out)"
grep -q 'cache=HIT$' "$SL_TMP/access.log" && grep -q 'cache=MISS$' "$SL_TMP/access.log"; ok $? "access log: cache=HIT / cache=MISS"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
