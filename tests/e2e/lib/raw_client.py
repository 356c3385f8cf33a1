#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A raw-socket HTTP client for the test_adv_*.sh tests: sends bytes exactly as given, reports what came back.
"""raw_client.py PORT DATA [TIMEOUT_S] [PAUSE_AFTER_S]
DATA is a Python bytes literal body (escapes such as \\r\\n work). Reads until the
server closes or TIMEOUT_S (default 10) passes. Prints one line:
  STATUSES|SECONDS|closed-or-open|BYTES
STATUSES: every "HTTP/1.x NNN" status line seen, comma separated ("-" for none).
The raw reply goes to stderr."""
import ast, re, socket, sys, time

port, data = int(sys.argv[1]), ast.literal_eval("b'''" + sys.argv[2] + "'''")
limit = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
t0 = time.time()
s = socket.create_connection(("127.0.0.1", port), timeout=limit)
s.sendall(data)
got, closed = b"", False
while time.time() - t0 < limit:
    s.settimeout(max(0.05, limit - (time.time() - t0)))
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    except ConnectionError:
        closed = True
        break
    if not d:
        closed = True
        break
    got += d
st = [m.decode() for m in re.findall(rb"HTTP/1\.[01] \d\d\d", got)]
sys.stderr.buffer.write(got + b"\n")
print("%s|%.2f|%s|%d" % (",".join(st) or "-", time.time() - t0, "closed" if closed else "open", len(got)))
