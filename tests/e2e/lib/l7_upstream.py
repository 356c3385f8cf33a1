#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A controllable HTTP/1.1 upstream for the L7 tests: echo, sizes, delays, chunked, status codes, kill mid-response, WebSocket-style byte echo, connection counting.
"""Paths (any method):
  /size/N      N bytes, Content-Length          /chunked/N   N bytes, chunked
  /close/N     N bytes, close-delimited         /echo        the request body back
  /delay/MS    answer after MS ms               /status/C    status C
  /kill/N      announce 2N bytes, send N, close /headers     the request head as received
  /ws          101 then echo bytes              /stats       {"connections":..,"requests":..}
  /noreply     read the request and close       /healthz     200, or 503 after /sick (until /well)
  anything else: "NAME PATH\\n"
Every response carries X-Upstream: NAME and X-Conn: <connection serial>."""
import argparse, json, socket, socketserver, sys, threading, time
from http_wire import RequestReader

lock = threading.Lock()
stats = {"connections": 0, "requests": 0}
SICK = [False]   # /sick and /well flip what /healthz answers


class Handler(RequestReader):
    def setup(self):
        with lock:
            stats["connections"] += 1
            self.serial = stats["connections"]
        super().setup()

    def send(self, status, body=b"", extra=None, length=True):
        h = "HTTP/1.1 %d X\r\nX-Upstream: %s\r\nX-Conn: %d\r\n" % (status, NAME, self.serial)
        for k, v in (extra or {}).items():
            h += "%s: %s\r\n" % (k, v)
        if length:
            h += "Content-Length: %d\r\n" % len(body)
        self.request.sendall(h.encode() + b"\r\n" + body)

    def handle(self):
        try:
            while self.one():
                pass
        except (EOFError, ConnectionError, OSError):
            pass

    def one(self):
        start = self.line()
        head = start + b"\r\n"
        hdrs = {}
        while True:
            l = self.line()
            head += l + b"\r\n"
            if not l:
                break
            k, v = l.decode("latin1").split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        method, path, _ = start.decode("latin1").split(" ", 2)
        with lock:
            stats["requests"] += 1
        parts = path.split("?")[0].strip("/").split("/")
        known = ("size", "chunked", "close", "echo", "delay", "status", "kill", "headers", "stats", "ws", "noreply", "healthz", "sick", "well")
        while parts and parts[0] not in known and len(parts) > 1:
            parts = parts[1:]   # a route prefix such as /api/size/10
        arg = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if hdrs.get("expect", "").lower() == "100-continue":
            self.request.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if parts[0] == "noreply":
            return False
        body = self.read_body(hdrs)
        p = parts[0]
        if p == "size":
            self.send(200, b"x" * arg if method != "HEAD" else b"", {"Content-Length": arg} if method == "HEAD" else None, length=method != "HEAD")
        elif p == "chunked":
            h = "HTTP/1.1 200 OK\r\nX-Upstream: %s\r\nTransfer-Encoding: chunked\r\n\r\n" % NAME
            self.request.sendall(h.encode())
            left = arg
            while left:
                n = min(left, 1000)
                self.request.sendall(b"%x\r\n%s\r\n" % (n, b"y" * n))
                left -= n
            self.request.sendall(b"0\r\n\r\n")
        elif p == "close":
            self.request.sendall(("HTTP/1.1 200 OK\r\nX-Upstream: %s\r\nConnection: close\r\n\r\n" % NAME).encode() + b"z" * arg)
            return False
        elif p == "echo":
            self.send(200, body)
        elif p == "delay":
            time.sleep(arg / 1000.0)
            self.send(200, b"late\n")
        elif p == "status":
            self.send(arg, b"status %d\n" % arg)
        elif p == "kill":
            self.request.sendall(("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (2 * arg)).encode() + b"k" * arg)
            time.sleep(0.05)
            self.request.shutdown(socket.SHUT_RDWR)
            return False
        elif p == "headers":
            self.send(200, head + b"BODY:" + body)
        elif p == "healthz":
            self.send(503 if SICK[0] else 200, b"health\n")
        elif p in ("sick", "well"):
            SICK[0] = p == "sick"
            self.send(200, p.encode() + b"\n")
        elif p == "stats":
            with lock:
                self.send(200, json.dumps(stats).encode())
        elif p == "ws":
            self.request.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            if self.buf:
                self.request.sendall(self.buf)
            while True:
                d = self.request.recv(65536)
                if not d:
                    return False
                self.request.sendall(d)
        else:
            self.send(200, ("%s %s\n" % (NAME, path)).encode())
        return hdrs.get("connection", "").lower() != "close"


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", default="up")
    a = ap.parse_args()
    NAME = a.name
    srv = Server(("127.0.0.1", a.port), Handler)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    srv.serve_forever()
