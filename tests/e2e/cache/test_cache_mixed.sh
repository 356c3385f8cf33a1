#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Cache under a mixed keep-alive load (5 s, bounded): hits, misses, collapsing, stale-while-revalidate,
# revalidation, Vary, conditionals, HEAD, unsafe methods, evictions, a purge: every request answered.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/cache_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

cache_origin || exit 1
cache_sluiced 1MiB 64KiB 2 || exit 1

python3 - "$B" "$SL_BUILD/sluicectl" "unix:$SL_TMP/admin.sock" >"$SL_TMP/mixed" 2>"$SL_TMP/mixed.err" <<'EOP'
import http.client, random, subprocess, sys, threading, time, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
random.seed(7)
paths = ["/c/s%d?cc=max-age%%3D1%%2C%%20stale-while-revalidate%%3D1&etag=%%22x%%22" % i for i in range(5)] + \
        ["/c/t%d?cc=max-age%%3D2&size=%d" % (i, (100, 5000, 40000, 70000)[i % 4]) for i in range(30)] + \
        ["/c/v?cc=max-age%3D1&vary=Accept-Language", "/c/n?cc=no-cache&etag=%22n%22&lm=1700000000",
         "/c/e?cc=max-age%3D1%2C%20stale-if-error%3D5&chunked=1&size=3000", "/c/d?delay=50&cc=max-age%3D1"]
stop = time.time() + 5
n = {"ok": 0, "bad": 0}
lock = threading.Lock()
def run(seed):
    rnd = random.Random(seed)
    c = None
    while time.time() < stop:
        p = rnd.choice(paths)
        m = rnd.choice(["GET"] * 8 + ["HEAD", "POST"])
        h = {"Accept-Language": rnd.choice(["en", "fr", "de"])}
        if rnd.random() < 0.1: h["If-None-Match"] = '"x"'
        if rnd.random() < 0.05: h["Cache-Control"] = rnd.choice(["no-cache", "max-age=0", "max-stale", "only-if-cached"])
        res = None
        try:
            if c is None: c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            c.request(m, p, body=b"x" if m == "POST" else None, headers=h)
            r = c.getresponse(); r.read()
            res = r.status
            if rnd.random() < 0.1: c.close(); c = None
        except Exception as e:
            res = repr(e); c = None
        with lock:
            good = res in (200, 304, 504)
            n["ok" if good else "bad"] += 1
            if not good: print("bad:", m, p, h, res, file=sys.stderr)
ts = [threading.Thread(target=run, args=(i,)) for i in range(8)]
[t.start() for t in ts]
time.sleep(2.5)
subprocess.run([sys.argv[2], "-s", sys.argv[3], "cache", "purge", "--prefix", "/c/t"], stdout=subprocess.DEVNULL)
[t.join() for t in ts]
print(n["ok"], n["bad"])
EOP
read -r good bad <"$SL_TMP/mixed"
[ "${good:-0}" -gt 200 ] && [ "${bad:-1}" = 0 ]; ok $? "mixed load: $good answered, ${bad:-?} failed or hung" || head -5 "$SL_TMP/mixed.err" | sed 's/^/#   /'
m=$(curl -s --unix-socket "$SL_TMP/admin.sock" http://sluiced/metrics)
bytes=$(echo "$m" | awk '$1 == "sluice_cache_bytes{cache=\"main\"}" {print $2}')
hits=$(echo "$m" | awk '$1 == "sluice_cache_hits_total{cache=\"main\"}" {print $2}')
[ "$bytes" -le $((1024 * 1024)) ] && [ "$hits" -gt 0 ]; ok $? "within memory ($bytes bytes), $hits hits"
code=$(get /c/ttl/after)
[ "$code" = 200 ]; ok $? "still serving afterwards"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
