#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An origin server for the forward proxy tests: keep-alive HTTP/1.1 that records every request head it received.
"""Every request is appended to --log as one JSON line {"line":..., "headers":[[name, value], ...], "conn": N}.
Paths: /size/N  N bytes;  /cache/N  "cacheable N" with Cache-Control: max-age=60;
/flaky/ID  the first request for ID is read and the connection closed unanswered;  anything else: the request line.
With --port 0 the chosen port is printed on stdout."""
import argparse, json, socket, socketserver, sys, threading

lock = threading.Lock()
conns = [0]
flaky = set()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        with lock:
            conns[0] += 1
            serial = conns[0]
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = self.request.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                hdrs = [l.split(":", 1) for l in lines[1:]]
                hdrs = [[k, v.strip()] for k, v in hdrs]
                n = int(dict((k.lower(), v) for k, v in hdrs).get("content-length", "0"))
                while len(buf) < n:
                    buf += self.request.recv(65536)
                buf = buf[n:]
                if ARGS.log:
                    with lock, open(ARGS.log, "a") as f:
                        f.write(json.dumps({"line": lines[0], "headers": hdrs, "conn": serial}) + "\n")
                path = lines[0].split(" ")[1]
                extra = ""
                if path.startswith("/flaky/"):
                    with lock:
                        first = path not in flaky
                        flaky.add(path)
                    if first:
                        return
                if path.startswith("/size/"):
                    body = b"x" * int(path[6:])
                elif path.startswith("/cache/"):
                    body = ("cacheable %s\n" % path[7:]).encode()
                    extra = "Cache-Control: max-age=60\r\n"
                else:
                    body = (lines[0] + "\n").encode()
                self.request.sendall(("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Origin-Conn: %d\r\n%s\r\n"
                                      % (len(body), serial, extra)).encode() + body)
        except (ConnectionError, OSError):
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--log")
    ARGS = ap.parse_args()
    if ":" in ARGS.bind:
        Server.address_family = socket.AF_INET6
    s = Server((ARGS.bind, ARGS.port), Handler)
    print(s.server_address[1], flush=True)
    s.serve_forever()
