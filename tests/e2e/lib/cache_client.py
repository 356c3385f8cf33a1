# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The Python parts of the cache e2e tests share these: a request through sluiced, what the test origin
# (cache_origin.py) recorded, and the one result line per case that cache_lib.sh's case_ok reads.
import http.client
import urllib.parse


def request(c, method, path, headers=None):
    """One request on connection c: (status, headers with lower-case names, body)."""
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def connect(url):
    """A new connection to the host and port of url."""
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=10)


def origin(port, what, path):
    """The origin's /_WHAT?u=PATH answer (count, last, aborted), as text."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/_%s?u=%s" % (what, urllib.parse.quote(path, safe="")))
    return c.getresponse().read().decode()


def seq(size):
    """The body the origin sends for seq=1: every 9 bytes say where they start."""
    return b"".join(b"%08d\n" % i for i in range(0, size, 9))[:size]


def say(name, good, *info):
    """The result line of case name: "NAME ok|BAD INFO...", read by case_ok."""
    print(name, "ok" if good else "BAD", *info)
