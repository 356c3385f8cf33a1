#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The idle_mem bench's client: opens N keep-alive connections to 127.0.0.1:PORT, makes one request on each, then holds them all idle.
"""Usage: idle_client.py --port P --count N [--requests R] [--path /size/100] [--hold S] [--deadline S]

Prints "ready N" once every connection has had its R responses (or "failed: why"),
then keeps them open until stdin reaches end of file or --hold seconds pass;
all in at most --deadline seconds for the opening phase. Raises its descriptor
limit to the hard limit first (N + a few descriptors are needed)."""
import argparse
import resource
import select
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--path", default="/size/100")
    ap.add_argument("--hold", type=float, default=120)
    ap.add_argument("--deadline", type=float, default=120)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--requests", type=int, default=1, help="requests per connection, one after another")
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < a.count + 32:
        print(f"failed: descriptor hard limit {hard} < {a.count + 32}", flush=True)
        return 1
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    req = f"GET {a.path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    end = time.monotonic() + a.deadline
    conns = []
    # In batches: connect a batch, send on each, then read each response whole (headers plus
    # Content-Length bytes), so the proxy sees many connections at once but never 10,000 in its backlog.
    while len(conns) < a.count:
        batch = []
        for _ in range(min(a.batch, a.count - len(conns))):
            batch.append(socket.create_connection(("127.0.0.1", a.port), timeout=10))
        for _ in range(a.requests):
            for s in batch:
                s.sendall(req)
            for s in batch:
                err = read_response(s, end)
                if err:
                    print(f"failed: {err} on connection {len(conns)}", flush=True)
                    return 1
        conns += batch
    print(f"ready {len(conns)}", flush=True)
    # Idle until told to stop (stdin closed) or the hold time is over.
    select.select([sys.stdin], [], [], a.hold)
    return 0


def read_response(s, end):
    """Reads one response (head plus Content-Length bytes); None, or what went wrong."""
    buf = b""
    while True:
        if time.monotonic() > end:
            return "deadline"
        d = s.recv(65536)
        if not d:
            return "closed before the response"
        buf += d
        head, sep, body = buf.partition(b"\r\n\r\n")
        if not sep:
            continue
        if not head.startswith(b"HTTP/1.1 200"):
            return repr(head.splitlines()[0])
        clen = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                clen = int(v)
        if len(body) >= clen:
            return None


if __name__ == "__main__":
    sys.exit(main())
