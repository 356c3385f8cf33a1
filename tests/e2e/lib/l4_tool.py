#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""TCP helpers for the L4 end-to-end tests: a backend that answers with its name, a client that tallies who answered, long-lived connections.

  l4_tool.py server NAME [--port P] [--lifetime S]
      Listens on [::]:P (IPv4 too). Each connection gets "NAME\\n" at once,
      then every line it sends comes back as "NAME LINE". Exits after S seconds.
  l4_tool.py tally HOST [--port P] [-n N] [--concurrency C] [--timeout S]
      Opens N connections (at most C at a time, all within S seconds) and prints
      JSON {"NAME": count, ..., "fail": count}.
  l4_tool.py hold HOST [--port P] [-n N] [--seconds S] [--interval I] [--ready FILE]
      Opens N connections, then exchanges a line on each every I seconds for S
      seconds; touches FILE once all are open. Every reply must come from the
      backend that answered first. Prints JSON {"open": n, "intact": n,
      "broken": n, "backends": {...}, "errors": [...]}; exit 0 when all intact.
"""
import argparse
import json
import os
import socket
import socketserver
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def cmd_server(a):
    name = a.name.encode()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self.connection.settimeout(30)
            try:
                self.wfile.write(name + b"\n")
                for line in self.rfile:
                    self.wfile.write(name + b" " + line)
            except OSError:
                pass

    class Server(socketserver.ThreadingTCPServer):
        address_family = socket.AF_INET6
        allow_reuse_address = True
        daemon_threads = True
        request_queue_size = 512

        def server_bind(self):
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            super().server_bind()

    srv = Server(("::", a.port), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    time.sleep(a.lifetime)   # bounded: a forgotten server goes away on its own
    srv.shutdown()


def connect(host, port, timeout):
    s = socket.create_connection((host, port), timeout=timeout)
    s.settimeout(timeout)
    return s, s.makefile("rb")


def cmd_tally(a):
    deadline = time.monotonic() + a.timeout
    counts = {}
    lock = threading.Lock()

    def one(_):
        left = deadline - time.monotonic()
        if left <= 0:
            return "fail"
        try:
            s, f = connect(a.host, a.port, min(2.0, left))
            with s:
                who = f.readline().decode().strip()
            return who or "fail"
        except OSError:
            return "fail"

    with ThreadPoolExecutor(max_workers=a.concurrency) as ex:
        for who in ex.map(one, range(a.n)):
            with lock:
                counts[who] = counts.get(who, 0) + 1
    counts.setdefault("fail", 0)
    print(json.dumps(counts, sort_keys=True))


def cmd_hold(a):
    conns, errors, backends = [], [], {}
    open_by = time.monotonic() + 10
    for i in range(a.n):
        if time.monotonic() > open_by:
            errors.append(f"conn {i}: not opened within 10 s")
            break
        try:
            s, f = connect(a.host, a.port, 2.0)
            who = f.readline().decode().strip()
            if not who:
                raise OSError("no greeting")
            conns.append([s, f, who, True])
            backends[who] = backends.get(who, 0) + 1
        except OSError as e:
            errors.append(f"conn {i}: open: {e}")
    if a.ready:
        open(a.ready, "w").close()
    end = time.monotonic() + a.seconds
    r = 0
    while time.monotonic() < end:
        for i, c in enumerate(conns):
            s, f, who, alive = c
            if not alive:
                continue
            try:
                s.sendall(f"ping {r}\n".encode())
                reply = f.readline().decode().strip()
                if reply != f"{who} ping {r}":
                    raise OSError(f"round {r}: got {reply!r}, want {who!r}")
            except OSError as e:
                c[3] = False
                errors.append(f"conn {i} ({who}): {e}")
        r += 1
        time.sleep(a.interval)
    intact = sum(1 for c in conns if c[3])
    for c in conns:
        c[0].close()
    print(json.dumps({"open": len(conns), "intact": intact, "broken": len(conns) - intact,
                      "rounds": r, "backends": backends, "errors": errors[:10]}, sort_keys=True))
    return 0 if conns and intact == len(conns) == a.n else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("server")
    s.add_argument("name")
    s.add_argument("--port", type=int, default=80)
    s.add_argument("--lifetime", type=float, default=120)
    t = sub.add_parser("tally")
    t.add_argument("host")
    t.add_argument("--port", type=int, default=80)
    t.add_argument("-n", type=int, default=100)
    t.add_argument("--concurrency", type=int, default=16)
    t.add_argument("--timeout", type=float, default=20)
    h = sub.add_parser("hold")
    h.add_argument("host")
    h.add_argument("--port", type=int, default=80)
    h.add_argument("-n", type=int, default=20)
    h.add_argument("--seconds", type=float, default=5)
    h.add_argument("--interval", type=float, default=0.2)
    h.add_argument("--ready")
    a = p.parse_args()
    if hasattr(a, "n"):
        a.n = min(a.n, 5000)       # bounded, whatever the caller asks
    if a.cmd == "server":
        a.lifetime = min(a.lifetime, 600)
        cmd_server(a)
        return 0
    if a.cmd == "tally":
        a.timeout = min(a.timeout, 120)
        cmd_tally(a)
        return 0
    a.seconds = min(a.seconds, 120)
    return cmd_hold(a)


if __name__ == "__main__":
    sys.exit(main())
