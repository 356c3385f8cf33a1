# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers for the L7 proxy e2e tests (test_l7_*.sh): free ports, test upstreams, a sluiced on loopback.
# Source after lib.sh.

# free_port: a TCP port nobody listens on right now (the kernel picks it).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# l7_upstream NAME: starts tests/e2e/l7_upstream.py on a free port; the port is left in $UP_PORT.
l7_upstream() {
	UP_PORT=$(free_port)
	bg python3 "$SL_ROOT/tests/e2e/l7_upstream.py" --port "$UP_PORT" --name "$1"
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$UP_PORT" || { diag "upstream $1 did not start"; return 1; }
}

# l7_sluiced CONFIG PORT: runs sluiced with CONFIG and waits until PORT accepts; PID in $SLUICED_PID.
l7_sluiced() {
	bg "$SL_BUILD/sluiced" -c "$1"
	SLUICED_PID=$BG_PID
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$2" || { diag "sluiced did not listen on $2"; return 1; }
}

# l7_admin: a unix admin socket path private to this test (keeps tests from colliding on 9900).
l7_admin() { echo "unix:$SL_TMP/admin.sock"; }

# up_stats PORT FIELD: a counter from an upstream's /stats (asked directly, not through the proxy).
up_stats() {
	curl -s "http://127.0.0.1:$1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
