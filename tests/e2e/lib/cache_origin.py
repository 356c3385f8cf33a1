#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A test origin for the cache e2e tests: headers set by query parameters, requests counted per URL.
#
# GET /c/ANY?cc=max-age%3D60&status=200&etag=x&lm=SECS_AGO|EPOCH&expires=SECS&date=SECS_OFFSET&age=N
#         &vary=Accept-Language&size=N&delay=MS&cookie=1&chunked=1&loc=URI&cloc=URI&hdr=Name:Value&seq=1
#   answers "v<count> <path> <vary header value>" (padded to size; seq=1: size bytes of "%08d\n"
#   offsets instead), ignoring Range (always the whole body), honouring If-None-Match and
#   If-Modified-Since with a 304 carrying the same headers.
# /c/ttl/ANY: Cache-Control: max-age=60 unless cc= says otherwise; cc2= replaces cc= from the 2nd request on. Every answer has X-Count: N (its sequence).
# GET /_count?u=/c/...  how many requests reached that URL (path and query as sent)
# GET /_fail?code=503   every /c/ request then answers 503 (code=0: back to normal, code=close: reset)
# GET /_last?u=...      the headers of the last request for that URL, as JSON ("_method": its method)
# GET /_aborted         how many response bodies the peer closed on before they were all written
import argparse, json, socketserver, sys, threading, time, urllib.parse
import cache_client
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, HTTPServer

counts, last, lock = {}, {}, threading.Lock()
state = {"fail": "0"}


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, headers, body=b""):
        self.send_response_only(status)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if body and self.command != "HEAD":
            try:
                self.wfile.write(body)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                with lock:
                    state["aborted"] = state.get("aborted", 0) + 1
                self.close_connection = True

    def control(self, u, q):
        if u.path == "/_count":
            with lock:
                n = counts.get(q.get("u", [""])[0], 0)
            b = str(n).encode()
        elif u.path == "/_fail":
            state["fail"] = q.get("code", ["0"])[0]
            b = b"ok"
        elif u.path == "/_aborted":
            with lock:
                b = str(state.get("aborted", 0)).encode()
        elif u.path == "/_last":
            with lock:
                b = json.dumps(last.get(q.get("u", [""])[0], {})).encode()
        else:
            b = b"?"
        self.send(200, [("Content-Length", str(len(b)))], b)

    def handle_any(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        g = lambda k, d=None: q.get(k, [d])[0]
        if u.path.startswith("/_"):
            return self.control(u, q)
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with lock:
            counts[self.path] = counts.get(self.path, 0) + 1
            cnt = counts[self.path]
            last[self.path] = dict(self.headers.items(), **{"_method": self.command})
        if g("delay"):
            time.sleep(int(g("delay")) / 1000.0)
        if state["fail"] == "close":
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        if state["fail"] != "0":
            b = b"origin down\n"
            self.send(int(state["fail"]), [("Content-Length", str(len(b)))], b)
            return
        now = time.time()
        h = [("Date", formatdate(now + int(g("date", "0")), usegmt=True)), ("X-Count", str(cnt))]
        if u.path.startswith("/c/ttl/") and not g("cc"):
            h.append(("Cache-Control", "max-age=60"))
        if g("cc2") and cnt >= 2:
            h.append(("Cache-Control", g("cc2")))   # from the second request on (e.g. in a 304)
        elif g("cc"):
            h.append(("Cache-Control", g("cc")))
        if g("etag"):
            h.append(("ETag", g("etag")))
        lm = None
        if g("lm"):
            lm = int(g("lm")) if int(g("lm")) > 1000000000 else int(now) - int(g("lm"))
            h.append(("Last-Modified", formatdate(lm, usegmt=True)))
        if g("expires"):
            e = g("expires")
            h.append(("Expires", formatdate(now + int(e), usegmt=True) if e.lstrip("-").isdigit() else e))
        if g("age"):
            h.append(("Age", g("age")))
        if g("vary"):
            h.append(("Vary", g("vary")))
        if g("cookie"):
            h.append(("Set-Cookie", "s=1"))
        if g("loc"):
            h.append(("Location", g("loc")))
        if g("cloc"):
            h.append(("Content-Location", g("cloc")))
        if g("hdr"):
            k, v = g("hdr").split(":", 1)
            h.append((k, v))
        if self.command in ("GET", "HEAD"):
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            etag = g("etag")
            nm = False
            if inm is not None:
                nm = etag is not None and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")])
            elif ims and lm is not None:
                from email.utils import parsedate_to_datetime
                try:
                    nm = lm <= parsedate_to_datetime(ims).timestamp()
                except Exception:
                    nm = False
            if nm:
                self.send(304, h)
                return
        status = int(g("status", "200"))
        vv = self.headers.get(g("vary"), "-") if g("vary") else ""
        body = ("v%d %s %s" % (cnt, u.path, vv)).strip().encode()
        size = int(g("size", "0"))
        if size > len(body):
            body = body + b"." * (size - len(body))
        if g("seq"):
            body = cache_client.seq(size)   # a wrong byte range cannot look right
        if status in (204, 304):
            self.send(status, h)
        elif g("chunked"):
            self.send(status, h + [("Transfer-Encoding", "chunked")])
            if self.command != "HEAD":
                for i in range(0, len(body), 1000):
                    part = body[i:i + 1000]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
        else:
            self.send(status, h + [("Content-Length", str(len(body)))], body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    Server(("127.0.0.1", a.port), H).serve_forever()


if __name__ == "__main__":
    sys.exit(main())
