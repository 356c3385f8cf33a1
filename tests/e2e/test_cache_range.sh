#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Byte ranges from the cache: a stored 200 answers Range with 206 (one range, bytes checked against the
# whole body, across chunk boundaries), 416 when unsatisfiable, the whole response for several ranges
# or a changed If-Range; keep-alive goes on after each; a Range miss is forwarded as it is.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/l7_lib.sh"
. "$(dirname "$0")/cache_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

cache_origin || exit 1
cache_sluiced || exit 1
U='/c/r?cc=max-age%3D60&size=70000&seq=1&etag=%22e1%22&lm=1700000000'

python3 - "$B" "$U" >"$SL_TMP/range.out" 2>&1 <<'EOP'
import http.client, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1]); path = sys.argv[2]
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
def get(hdrs):
    c.request("GET", path, headers=hdrs)
    r = c.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
# the origin ignores Range: the miss answers 200 with everything, and stores it
st, h, whole = get({"Range": "bytes=0-99"})
print("miss", st, len(whole), h.get("cache-status", "-").split(";")[1].strip())
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
res() { awk -v n="$1" '$1 == n' "$SL_TMP/range.out"; }
grep -v "^[a-z0-9_]* " "$SL_TMP/range.out" | sed "s/^/# /"
res miss | grep -q "^miss 200 70000 "; ok $? "a Range miss: the origin's whole 200 passed on, and stored ($(res miss))"
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
grep -q '"GET /c/r?[^"]*" 206 ' "$SL_TMP/access.log" && grep -q '"GET /c/r?[^"]*" 416 ' "$SL_TMP/access.log"
ok $? "206 and 416 in the access log"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -I -r 0-9 "$B$U")
[ "$code" = 200 ]; ok $? "HEAD with Range: 200, Range ignored ($code)"
done_testing
