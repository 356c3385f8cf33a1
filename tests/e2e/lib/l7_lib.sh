# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers for the L7 proxy e2e tests (test_l7_*.sh): free ports, test upstreams, a sluiced on loopback.
# Source after lib.sh. The configs themselves are configs.sh's (the benches write them too).

. "$SL_ROOT/tests/e2e/lib/configs.sh"

# free_port: a TCP port nobody listens on right now (the kernel picks it).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# l7_upstream NAME: starts tests/e2e/lib/l7_upstream.py on a free port; the port is left in $UP_PORT.
l7_upstream() {
	UP_PORT=$(free_port)
	bg bash -c "exec python3 '$SL_ROOT/tests/e2e/lib/l7_upstream.py' --port $UP_PORT --name $1 >>'$SL_TMP/up-$1.log' 2>&1"
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$UP_PORT" || { diag "upstream $1 did not start"; return 1; }
}

# l7_sluiced CONFIG PORT: runs sluiced with CONFIG and waits until PORT accepts; PID in $SLUICED_PID.
l7_sluiced() {
	bg bash -c "exec '$SL_BUILD/sluiced' -c '$1' >>'$SL_TMP/sluiced.log' 2>&1"
	SLUICED_PID=$BG_PID
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$2" || { diag "sluiced did not listen on $2"; return 1; }
}

# l7_proxy_one_upstream [OPTION...]: the start most L7 tests share: upstream "a" (its port in $A), then
# sluiced on a free port ($P) with sl_config_l7_proxy's config, written to $SL_TMP/c.yaml: every path
# to upstream app (one server, a), admin on l7_admin; each OPTION is one of sl_config_l7_proxy's.
# Returns 1 when the upstream or sluiced does not start.
l7_proxy_one_upstream() {
	l7_upstream a || return 1
	A=$UP_PORT
	P=$(free_port)
	sl_config_l7_proxy "$SL_TMP/c.yaml" "$(l7_admin)" "127.0.0.1:$P" "127.0.0.1:$A" "$@" || return 1
	l7_sluiced "$SL_TMP/c.yaml" "$P"
}

# l7_proxy_start [workers=N] [name=NAME] <REST: sluiced on a free port ($P) with $SL_TMP/c.yaml: the head
# of sl_config_l7_head (N workers, default 1; admin on l7_admin; reverse listener NAME, default pub, on
# 127.0.0.1:$P), then REST, read from stdin: the listener's other keys, its routes, the upstreams.
# Returns 1 when sluiced does not start.
l7_proxy_start() {
	local workers=1 name=pub opt
	for opt; do
		case $opt in
		workers=*) workers=${opt#*=} ;;
		name=*)    name=${opt#*=} ;;
		*) diag "l7_proxy_start: unknown option '$opt'"; return 1 ;;
		esac
	done
	P=$(free_port)
	{ sl_config_l7_head "$(l7_admin)" "127.0.0.1:$P" "$workers" "$name"; cat; } >"$SL_TMP/c.yaml"
	l7_sluiced "$SL_TMP/c.yaml" "$P"
}

# l7_admin: a unix admin socket path private to this test (keeps tests from colliding on 9900).
l7_admin() { echo "unix:$SL_TMP/admin.sock"; }

# l7_metric NAME: the value of sample NAME in /metrics, asked on l7_admin's socket (empty when absent).
l7_metric() {
	curl -s -m 5 --unix-socket "$SL_TMP/admin.sock" http://sluiced/metrics | awk -v k="$1" '$1 == k { print $2 }'
}

# up_stats PORT FIELD: a counter from an upstream's /stats (asked directly, not through the proxy).
up_stats() {
	curl -s "http://127.0.0.1:$1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

# l7_load URL COUNT [CONCURRENCY] [HEADER]: COUNT keep-alive GETs over CONCURRENCY connections
# (bounded: 30 s at most). Prints "STATUS UPSTREAM" per response, sorted and counted ("uniq -c").
l7_load() {
	python3 - "$@" <<'EOP' | sort | uniq -c
import http.client, sys, threading, time, urllib.parse
url, count = sys.argv[1], int(sys.argv[2])
conc = int(sys.argv[3]) if len(sys.argv) > 3 else 4
hdr = dict([sys.argv[4].split(": ", 1)]) if len(sys.argv) > 4 and sys.argv[4] else {}
u = urllib.parse.urlsplit(url)
out, lock, deadline = [], threading.Lock(), time.time() + 30
def run(n):
    c = None
    for _ in range(n):
        if time.time() > deadline:
            break
        try:
            if c is None:
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            c.request("GET", u.path or "/", headers=hdr)
            r = c.getresponse()
            r.read()
            res = "%d %s" % (r.status, r.getheader("X-Upstream", "-"))
            if r.getheader("Connection", "").lower() == "close":
                c.close(); c = None
        except Exception as e:
            res = "ERR " + type(e).__name__
            c = None
        with lock:
            out.append(res)
ts = [threading.Thread(target=run, args=(count // conc + (i < count % conc),)) for i in range(conc)]
[t.start() for t in ts]
[t.join() for t in ts]
print("\n".join(out))
EOP
}

# count_of TEXT FILE: the count uniq -c printed for TEXT (0 when absent).
count_of() { awk -v k="$1" '{c=$1; $1=""; sub(/^ /,""); if ($0==k) n=c} END {print n+0}' "$2"; }
