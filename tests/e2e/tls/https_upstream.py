#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# l7_upstream.py's HTTP/1.1 test upstream over TLS, for test_tls_upstream.sh: same paths, and /stats also counts handshakes.
"""https_upstream.py --port P --cert PEM --key PEM [--name N] [--client-ca PEM]
Every path of l7_upstream.py. /stats adds "handshakes" (completed), "resumed"
(of those, resumed sessions), "handshake_failures" and "sni" (the last name a
client sent; a client without SNI leaves it). With --client-ca a client
certificate signed by it is required."""
import argparse, os, ssl, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import l7_upstream  # noqa: E402
from l7_upstream import lock, stats  # noqa: E402

stats.update(handshakes=0, resumed=0, handshake_failures=0, sni="")


class Handler(l7_upstream.Handler):
    def handle(self):
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError) as e:
            with lock:
                stats["handshake_failures"] += 1
            sys.stderr.write("handshake failed: %s\n" % e)
            return
        with lock:
            stats["handshakes"] += 1
            stats["resumed"] += bool(self.request.session_reused)
        super().handle()


class Server(l7_upstream.Server):
    def get_request(self):
        sock, addr = super().get_request()
        # the handshake runs in the connection's thread (Handler.handle), not the accept loop
        return CTX.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", default="up")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca")
    a = ap.parse_args()
    l7_upstream.NAME = a.name
    CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    CTX.load_cert_chain(a.cert, a.key)
    CTX.sni_callback = lambda sslobj, name, ctx: name and stats.update(sni=name)
    if a.client_ca:
        CTX.load_verify_locations(a.client_ca)
        CTX.verify_mode = ssl.CERT_REQUIRED
    srv = Server(("127.0.0.1", a.port), Handler)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    srv.serve_forever()
