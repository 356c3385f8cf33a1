# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers for the cache e2e tests (test_cache_*.sh): a counting origin and a sluiced with a cache. Source after l7_lib.sh.

# cache_origin: starts tests/e2e/lib/cache_origin.py on a free port, left in $OR_PORT.
cache_origin() {
	OR_PORT=$(free_port)
	bg bash -c "exec python3 '$SL_ROOT/tests/e2e/lib/cache_origin.py' --port $OR_PORT >>'$SL_TMP/origin.log' 2>&1"
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$OR_PORT" || { diag "origin did not start"; return 1; }
}

# cache_sluiced [MEMORY] [MAX_OBJECT] [WORKERS]: sluiced with one cache in front of the origin; base URL in $B.
cache_sluiced() {
	P=$(free_port)
	sl_config_l7_proxy "$SL_TMP/c.yaml" "$(l7_admin)" "127.0.0.1:$P" "127.0.0.1:$OR_PORT" workers="${3:-1}" \
		upstream=origin upstream_keys="retries: 0, max_fails: 1000" listener_key="cache: main" \
		listener_key="access_log: { path: $SL_TMP/access.log, format: combined }" \
		l7_key="caches: [ { name: main, memory: ${1:-64MiB}, max_object_bytes: ${2:-1MiB} } ]" || return 1
	l7_sluiced "$SL_TMP/c.yaml" "$P" || return 1
	B=http://127.0.0.1:$P
}

# origin_count URL_PATH: how many requests for it reached the origin.
origin_count() {
	curl -s -G "http://127.0.0.1:$OR_PORT/_count" --data-urlencode "u=$1"
}

# hdr FILE NAME: a header's value from a curl -D dump (last response in the file).
hdr() { tr -d '\r' <"$1" | awk -v n="$(echo "$2" | tr A-Z a-z)" 'BEGIN{FS=": "} {k=tolower($1)} k==n {v=substr($0, length($1)+3)} END {print v}'; }

# get URL [CURL ARGS...]: GET through the proxy; headers in $SL_TMP/h, body in $SL_TMP/b; prints the status.
get() {
	local u=$1; shift
	curl -s -m 10 -D "$SL_TMP/h" -o "$SL_TMP/b" -w '%{http_code}' "$@" "$B$u"
}

# cache_py OUT ARGS...: runs the Python on stdin with ARGS (cache_client.py importable), its output in
# OUT; lines that are no case's result ("NAME ok|BAD ...", cache_client.say) are shown as TAP comments.
cache_py() {
	local out=$1; shift
	PYTHONPATH="$SL_ROOT/tests/e2e/lib" python3 - "$@" >"$out" 2>&1
	grep -Ev '^[a-z0-9_]+ (ok|BAD)( |$)' "$out" | sed 's/^/# /'
}

# case_line OUT NAME: case NAME's result line in OUT.
case_line() { awk -v n="$2" '$1 == n' "$1"; }

# case_ok OUT NAME DESCRIPTION: a TAP line, ok when case NAME said ok; its line follows the description.
case_ok() {
	local l
	l=$(case_line "$1" "$2")
	[[ $l == "$2 ok"* ]]
	ok $? "$3 ($l)"
}

# concurrent URL N: N GETs at once (each then a second one on its connection); "STATUS BODY CACHE-STATUS" lines in $SL_TMP/conc
concurrent() {
	python3 - "$B$1" "$2" >"$SL_TMP/conc" <<'EOP'
import http.client, sys, threading, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1]); n = int(sys.argv[2]); out = []; lock = threading.Lock()
path = u.path + ("?" + u.query if u.query else "")
def one():
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
        c.request("GET", path)
        r = c.getresponse(); b = r.read().decode()
        res = "%d %s %s" % (r.status, b, r.getheader("Cache-Status", "-"))
        c.request("GET", path)   # the same connection serves the next request at once
        r2 = c.getresponse(); r2.read()
        if r2.status != 200: res = "second request: %d" % r2.status
    except Exception as e:
        res = "ERR " + type(e).__name__
    with lock:
        out.append(res)
ts = [threading.Thread(target=one) for _ in range(n)]
[t.start() for t in ts]; [t.join() for t in ts]
print("\n".join(out))
EOP
}
