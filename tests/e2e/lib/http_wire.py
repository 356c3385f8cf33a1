# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# What the e2e tests' HTTP/1.1 upstreams (l7_upstream.py, evil_upstream.py) share: reading a request off the socket.
import socket, socketserver


class RequestReader(socketserver.BaseRequestHandler):
    """A connection's bytes read as lines, counted bytes and message bodies; EOFError when the peer closes."""

    def setup(self):
        self.buf = b""
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def fill(self):
        d = self.request.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def read_body(self, hdrs):
        """The request body (chunked or Content-Length; hdrs: lower-case names), trailers skipped."""
        if hdrs.get("transfer-encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.line().split(b";")[0], 16)
                if n == 0:
                    while self.line():
                        pass
                    return out
                out += self.take(n)
                self.take(2)
        return self.take(int(hdrs.get("content-length", "0")))
