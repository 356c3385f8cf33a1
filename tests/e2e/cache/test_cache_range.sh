#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Byte ranges from the cache: a stored 200 answers Range with 206 (one range, bytes checked against the
# whole body, across chunk boundaries), 416 when unsatisfiable, the whole response for several ranges
# or a changed If-Range; keep-alive goes on after each. A Range miss goes upstream without its
# Range, is stored, and the client gets its range cut from the whole response on the way (206 or
# 416); concurrent range misses make one upstream request; a response that is not stored is cut
# too; a length-less one, or a changed If-Range, is passed on whole; a no-store request keeps its Range.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/cache_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

cache_origin || exit 1
cache_sluiced || exit 1
U='/c/r?cc=max-age%3D60&size=70000&seq=1&etag=%22e1%22&lm=1700000000'

cache_py "$SL_TMP/range.out" "$B" "$U" <<'EOP'
import sys
from cache_client import connect, request
path = sys.argv[2]
c = connect(sys.argv[1])
def get(hdrs): return request(c, "GET", path, hdrs)
# the miss goes upstream whole: the client gets its 100 bytes, the cache all of them
st, h, first = get({"Range": "bytes=0-99"})
st2, h2, whole = get({})
print("miss", st, len(first), h.get("content-range", "-"), h.get("cache-status", "-").replace(" ", ""),
      "ok" if first == whole[:100] and st2 == 200 and "hit" in h2.get("cache-status", "") else "BAD")
def check(name, hdrs, want_status, want_range=None, want_cr=None):
    st, h, b = get(hdrs)
    good = st == want_status
    if want_range is not None:
        a, z = want_range
        good = good and b == whole[a:z + 1] and h.get("content-range") == want_cr and int(h["content-length"]) == len(b)
    elif want_cr is not None:
        good = good and h.get("content-range") == want_cr and b == b""
    else:
        good = good and b == whole
    good = good and "hit" in h.get("cache-status", "")
    print(name, "ok" if good else "BAD", st, h.get("content-range", "-"), len(b))
n = len(whole)
check("first100", {"Range": "bytes=0-99"}, 206, (0, 99), "bytes 0-99/%d" % n)
check("middle", {"Range": "bytes=10000-50000"}, 206, (10000, 50000), "bytes 10000-50000/%d" % n)
check("open", {"Range": "bytes=69990-"}, 206, (69990, n - 1), "bytes 69990-%d/%d" % (n - 1, n))
check("suffix", {"Range": "bytes=-25"}, 206, (n - 25, n - 1), "bytes %d-%d/%d" % (n - 25, n - 1, n))
check("pastend", {"Range": "bytes=69000-99999"}, 206, (69000, n - 1), "bytes 69000-%d/%d" % (n - 1, n))
check("unsat", {"Range": "bytes=70000-"}, 416, None, "bytes */%d" % n)
check("several", {"Range": "bytes=0-9,20-29"}, 200)
check("ifrange_same", {"Range": "bytes=5-14", "If-Range": '"e1"'}, 206, (5, 14), "bytes 5-14/%d" % n)
check("ifrange_other", {"Range": "bytes=5-14", "If-Range": '"e0"'}, 200)
check("after", {}, 200)
# a body stored in 16 KiB chunks (the origin sent it chunked): ranges across chunk boundaries
path = path.replace("size=70000", "size=70001&chunked=1")
st, h, whole = get({})
n = len(whole)
check("chunks", {"Range": "bytes=16000-49999"}, 206, (16000, 49999), "bytes 16000-49999/%d" % n)
check("chunks_tail", {"Range": "bytes=-17000"}, 206, (n - 17000, n - 1), "bytes %d-%d/%d" % (n - 17000, n - 1, n))
EOP
res() { case_line "$SL_TMP/range.out" "$1"; }
res miss | grep -q "^miss 206 100 bytes 0-99/70000 sluice;fwd=miss;stored ok"; ok $? "a Range miss: 206 cut from the whole response, which is stored ($(res miss))"
for t in first100 middle open suffix pastend; do
	res $t | grep -q " ok 206 "; ok $? "206 from the cache, bytes equal to the whole body's: $(res $t)"
done
res unsat | grep -q " ok 416 bytes \*/70000 0"; ok $? "past the end: 416 with Content-Range */length ($(res unsat))"
res several | grep -q " ok 200 "; ok $? "several ranges: the whole 200 ($(res several))"
res ifrange_same | grep -q " ok 206 "; ok $? "If-Range with the stored ETag: 206 ($(res ifrange_same))"
res ifrange_other | grep -q " ok 200 "; ok $? "If-Range with another ETag: the whole 200 ($(res ifrange_other))"
res after | grep -q " ok 200 "; ok $? "the keep-alive connection carries on after 206 and 416 ($(res after))"
for t in chunks chunks_tail; do
	res $t | grep -q " ok 206 "; ok $? "a body stored in several chunks: $(res $t)"
done
[ "$(origin_count "$U")" = 1 ]; ok $? "one request reached the origin ($(origin_count "$U"))"
last_range=$(curl -s -G "http://127.0.0.1:$OR_PORT/_last" --data-urlencode "u=$U")
echo "$last_range" | grep -qiv '"range"'; ok $? "the Range miss went upstream without Range ($last_range)"
grep -q '"GET /c/r?[^"]*" 206 ' "$SL_TMP/access.log" && grep -q '"GET /c/r?[^"]*" 416 ' "$SL_TMP/access.log"
ok $? "206 and 416 in the access log"

# Range misses of their own, each on a fresh URL (python: one line per case, "NAME ok|BAD ...")
cache_py "$SL_TMP/miss.out" "$B" "$OR_PORT" <<'EOP'
import json, sys, threading
import cache_client
from cache_client import connect, request, say, seq
B = sys.argv[1]; orp = int(sys.argv[2])
def get(path, hdrs, c=None): return request(c or connect(B), "GET", path, hdrs)
def origin(what, path): return cache_client.origin(orp, what, path)
def seen_range(path): return any(k.lower() == "range" for k in json.loads(origin("last", path)))
body = seq(70000)
base = "/c/rm%d?cc=max-age%%3D60&size=70000&seq=1&etag=%%22m%d%%22"

# a middle range, then the same connection again: a hit
p = base % (1, 1); c = connect(B)
st, h, b = get(p, {"Range": "bytes=30000-30999"}, c)
st2, h2, b2 = get(p, {"Range": "bytes=69000-"}, c)
say("mid", st == 206 and b == body[30000:31000] and h.get("content-range") == "bytes 30000-30999/70000"
    and "stored" in h.get("cache-status", "") and not seen_range(p)
    and st2 == 206 and b2 == body[69000:] and "hit" in h2.get("cache-status", "") and origin("count", p) == "1",
    st, h.get("content-range"), st2, h2.get("cache-status"), origin("count", p))

# past the end on a miss: 416 at once, and the response still stored
p = base % (2, 2)
st, h, b = get(p, {"Range": "bytes=80000-"})
st2, h2, b2 = get(p, {})
say("unsat", st == 416 and b == b"" and h.get("content-range") == "bytes */70000"
    and st2 == 200 and b2 == body and "hit" in h2.get("cache-status", ""), st, h.get("content-range"), st2)

# not storable (Set-Cookie): still cut for the client, Set-Cookie kept, each request goes upstream
p = base % (3, 3) + "&cookie=1"
r = [get(p, {"Range": "bytes=100-199"}) for _ in range(2)]
say("nostore_resp", all(st == 206 and b == body[100:200] and "set-cookie" in h for st, h, b in r)
    and "set-cookie" in r[0][1].get("cache-status", "") and origin("count", p) == "2",
    [x[0] for x in r], r[0][1].get("cache-status"), origin("count", p))

# no length known (chunked): the whole 200 goes, stored; the next range is a hit
p = base % (4, 4) + "&chunked=1"
st, h, b = get(p, {"Range": "bytes=0-9"})
st2, h2, b2 = get(p, {"Range": "bytes=0-9"})
say("chunked", st == 200 and b == body and st2 == 206 and b2 == body[:10] and "hit" in h2.get("cache-status", ""),
    st, len(b), st2, h2.get("cache-status"))

# If-Range naming another version: the whole 200
p = base % (5, 5)
st, h, b = get(p, {"Range": "bytes=0-9", "If-Range": '"other"'})
say("ifrange", st == 200 and b == body, st, len(b))

# a no-store request keeps its Range upstream (nothing would be stored)
p = base % (6, 6)
st, h, b = get(p, {"Range": "bytes=0-9", "Cache-Control": "no-store"})
say("nostore_req", seen_range(p), st)

# four concurrent range misses, the origin slow: one upstream request, every range right
p = base % (7, 7) + "&delay=300"
res = {}
def one(i):
    a = 1000 * i + 7
    res[i] = (a, get(p, {"Range": "bytes=%d-%d" % (a, a + 4999)}))
ts = [threading.Thread(target=one, args=(i,)) for i in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
say("collapse", all(st == 206 and b == body[a:a + 5000] for a, (st, h, b) in res.values())
    and origin("count", p) == "1", [r[1][0] for r in res.values()], origin("count", p))

# Past max_object_bytes (1 MiB here) nothing is stored: once the client has its range (or its
# head), the rest (over 256 KiB) is not read and the upstream connection is closed, so the
# origin's write of a 32 MB body fails; a short rest is read to its end.
import time
def aborted(before):
    for _ in range(40):   # the origin's write fails a moment after the close
        n = int(origin("aborted", "-"))
        if n != before:
            return n - before
        time.sleep(0.05)
    return 0
def then_small(first_method, p, hdrs):
    c = connect(B)
    a0 = int(origin("aborted", "-"))
    st, h, b = request(c, first_method, p, hdrs)
    st2, _, _ = get("/c/small?cc=no-store&n=%s" % p[-8:], {}, c)
    return st, h, b, st2, aborted(a0)
st, h, b, st2, ab = then_small("GET", "/c/rbig1?size=32000000&cc=max-age%3D60", {"Range": "bytes=100-199"})
say("cut_range", st == 206 and len(b) == 100 and h.get("content-range") == "bytes 100-199/32000000"
    and "too-large" in h.get("cache-status", "") and st2 == 200 and ab == 1,
    st, h.get("cache-status"), st2, "origin writes cut", ab)
st, h, b, st2, ab = then_small("GET", "/c/rbig3?size=32000000&cc=max-age%3D60", {"Range": "bytes=40000000-"})
say("cut_unsat", st == 416 and b == b"" and h.get("content-range") == "bytes */32000000" and st2 == 200 and ab == 1,
    st, h.get("content-range"), st2, "origin writes cut", ab)
st, h, b, st2, ab = then_small("HEAD", "/c/rbig2?size=32000000&cc=max-age%3D60", {})
say("cut_head", st == 200 and b == b"" and h.get("content-length") == "32000000" and st2 == 200 and ab == 1,
    st, h.get("content-length"), st2, "origin writes cut", ab)
st, h, b, st2, ab = then_small("GET", "/c/rsmall?size=200000&seq=1&cookie=1", {"Range": "bytes=0-9"})
say("short_rest", st == 206 and b == seq(200000)[:10] and st2 == 200 and ab == 0,
    st, st2, "origin writes cut", ab)
EOP
case_ok "$SL_TMP/miss.out" mid "a middle range missed: its bytes, the whole stored, the next range a hit on the same connection"
case_ok "$SL_TMP/miss.out" unsat "past the end on a miss: 416, and the whole response stored"
case_ok "$SL_TMP/miss.out" nostore_resp "a response not stored (Set-Cookie): still cut to the range, Set-Cookie kept"
case_ok "$SL_TMP/miss.out" chunked "a miss without Content-Length: the whole 200, stored"
case_ok "$SL_TMP/miss.out" ifrange "a miss whose If-Range names another version: the whole 200"
case_ok "$SL_TMP/miss.out" nostore_req "a no-store request keeps its Range upstream"
case_ok "$SL_TMP/miss.out" collapse "four concurrent range misses: one upstream request, each range right"
case_ok "$SL_TMP/miss.out" cut_range "a range of an object too large to store: the long rest is not read, the upstream connection closed"
case_ok "$SL_TMP/miss.out" cut_unsat "a 416 for an object too large to store: the same"
case_ok "$SL_TMP/miss.out" cut_head "a HEAD of an object too large to store: the same"
case_ok "$SL_TMP/miss.out" short_rest "a short rest is read to its end"

code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -I -r 0-9 "$B$U")
[ "$code" = 200 ]; ok $? "HEAD with Range: 200, Range ignored ($code)"
UH='/c/rhead?cc=max-age%3D60&size=5000'
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -I -r 0-9 "$B$UH")
seen=$(curl -s -G "http://127.0.0.1:$OR_PORT/_last" --data-urlencode "u=$UH")
[ "$code" = 200 ] && echo "$seen" | grep -q '"_method": "GET"' && ! echo "$seen" | grep -qi '"range"'
ok $? "a HEAD miss with Range: sent as a GET without Range, the head of the 200 ($code, $seen)"
done_testing
