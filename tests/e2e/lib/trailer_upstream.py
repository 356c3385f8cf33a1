#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""An HTTP/1.1 upstream that speaks trailers: it reads a request (chunked bodies with their trailers, or a
Content-Length), answers "got N trailers=T1,T2" chunked, and ends the response with the trailers
grpc-status: 0 and x-checksum: abc. Usage: trailer_upstream.py PORT"""
import socket
import sys
import threading


def serve(c):
    f = c.makefile("rb")
    while True:
        if not f.readline():
            return
        hdrs = []
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            hdrs.append(line.lower())
        body, trailers = b"", []
        if any(h.startswith(b"transfer-encoding: chunked") for h in hdrs):
            while True:
                n = int(f.readline().split(b";")[0], 16)
                if n == 0:
                    while True:
                        line = f.readline()
                        if line in (b"\r\n", b""):
                            break
                        trailers.append(line.strip())
                    break
                body += f.read(n)
                f.readline()
        else:
            for h in hdrs:
                if h.startswith(b"content-length:"):
                    body = f.read(int(h.split(b":")[1]))
        text = b"got %d trailers=%s\n" % (len(body), b",".join(trailers))
        c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n"
                  b"0\r\ngrpc-status: 0\r\nx-checksum: abc\r\n\r\n" % (len(text), text))


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
