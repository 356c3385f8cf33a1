#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A hostile HTTP/1.1 upstream for the test_adv_*.sh tests: each path answers with one protocol violation.
"""Reads a request head (and a Content-Length or chunked body), then by path:
  /ok          200 "ok\\n" (keep-alive)
  /u101        101 + Upgrade: x + Connection: upgrade (whatever was asked) and protocol bytes in
               the same write, then silence
  /bare101     the same without Upgrade or Connection
  /ws          a proper 101 (when asked or not), then echoes bytes until the peer closes
  /304body     304 with Content-Length: 10 and 10 body bytes, then keep-alive
  /badchunk    a valid chunked 200 head and a bad chunk size in the same write, then silence
  /latechunk   a valid chunked 200 head and one chunk; 0.5 s later a bad chunk size, then silence
  /garbage/N   N bytes of seeded noise, then silence: N a multiple of 3, as the body after a chunked head
               in the same write; else odd N: instead of a status line; even N: after one
  /noread      reads the head only, never the body, and never answers
  /expect      100 Continue at once, then waits for the body forever
A request carrying Expect: 100-continue is answered 100 Continue first (any path).
Every answer is logged to stdout as "PATH".  Connections: one thread each."""
import argparse, random, socket, socketserver, sys, threading, time
from http_wire import RequestReader

HOLD = 60   # seconds a "then silence" connection stays open (the tests end well before)


class Handler(RequestReader):
    def hold(self):
        end = time.time() + HOLD
        self.request.settimeout(1)
        while time.time() < end:
            try:
                if not self.request.recv(65536):
                    return False
            except socket.timeout:
                pass
        return False

    def handle(self):
        try:
            while self.one():
                pass
        except (EOFError, ConnectionError, OSError, ValueError):
            pass

    def one(self):
        start = self.line().decode("latin1")
        hdrs = {}
        while True:
            l = self.line()
            if not l:
                break
            k, v = l.decode("latin1").split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        path = start.split(" ")[1]
        print(path, flush=True)
        s = self.request
        if hdrs.get("expect", "").lower() == "100-continue":
            s.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if path == "/expect":
            return self.hold()
        if path == "/noread":
            time.sleep(HOLD)   # reads nothing more: the request body fills the socket buffers
            return False
        self.read_body(hdrs)
        if path == "/u101":
            s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nx-protocol hello")
            return self.hold()
        if path == "/ws":
            s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n" + self.buf)
            while True:
                d = s.recv(65536)
                if not d:
                    return False
                s.sendall(d)
        if path.startswith("/garbage/"):
            # /garbage/N: N bytes of seeded noise after a status line, or instead of one (odd N)
            n = int(path.split("/")[2])
            rnd = random.Random(n)
            noise = bytes(rnd.randrange(256) for _ in range(n))
            if n % 3 == 0:
                s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + noise)
            else:
                s.sendall(noise if n % 2 else b"HTTP/1.1 200 OK\r\n" + noise)
            return self.hold()
        if path == "/bare101":
            s.sendall(b"HTTP/1.1 101 Switching Protocols\r\n\r\nx-protocol hello")
            return self.hold()
        if path == "/304body":
            s.sendall(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n0123456789")
            return True
        if path == "/badchunk":
            s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n")
            return self.hold()
        if path == "/latechunk":
            s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
            time.sleep(0.5)
            s.sendall(b"zz\r\nhello\r\n")
            return self.hold()
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
        return True


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.serve_forever()
