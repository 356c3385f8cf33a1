#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Hostile clients and Host: absolute-form targets route on their authority and go upstream in
# origin-form (RFC 9112 3.2.2); a missing (HTTP/1.1), repeated or invalid Host is a 400 (3.2).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/adv_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

l7_upstream internal || exit 1; IN=$UP_PORT
l7_upstream public || exit 1; PUB=$UP_PORT
ADV_EXTRA_UPSTREAMS="    - { name: internal, servers: [ { address: 127.0.0.1:$IN } ] }
    - { name: public, servers: [ { address: 127.0.0.1:$PUB } ] }"
adv_start '[ { match: { host: internal.example }, upstream: internal }, { match: { path_prefix: / }, upstream: public } ]' || exit 1

cat >"$SL_TMP/cases.py" <<'EOP'
import socket, sys
port = int(sys.argv[1])
def ask(raw):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(raw)
    d = b""
    try:
        while True:
            x = s.recv(65536)
            if not x:
                break
            d += x
            if b"\r\n\r\n" in d:
                h, b = d.split(b"\r\n\r\n", 1)
                cl = [l for l in h.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(b) >= int(cl[0].split(b":")[1]):
                    break
    except socket.timeout:
        pass
    return d
def line(d, prefix):
    for l in d.split(b"\r\n"):
        if l.startswith(prefix):
            return l.decode()
    return "-"
# name | request | what to report
cases = [
    ("absolute-form routes on its authority", b"GET http://internal.example/headers HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n"),
    ("absolute-form, scheme and host in capitals, a port", b"GET HTTP://Internal.Example:8080/headers HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n"),
    ("absolute-form without a path", b"GET http://internal.example?q=1 HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n"),
    ("absolute-form to the other host", b"GET http://public.example/headers HTTP/1.1\r\nHost: internal.example\r\nConnection: close\r\n\r\n"),
]
for name, raw in cases:
    d = ask(raw)
    print("%s|%s|%s|%s|%s" % (name, d.split(b"\r\n")[0].decode(), line(d, b"X-Upstream:"), line(d, b"GET "), line(d, b"Host:")))
bad = [
    ("an ftp:// target", b"GET ftp://internal.example/x HTTP/1.1\r\nHost: h\r\n\r\n"),
    ("userinfo in the target", b"GET http://user@internal.example/x HTTP/1.1\r\nHost: h\r\n\r\n"),
    ("an empty authority", b"GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n"),
    ("HTTP/1.1 without Host", b"GET /x HTTP/1.1\r\n\r\n"),
    ("two Host headers", b"GET /x HTTP/1.1\r\nHost: public.example\r\nHost: internal.example\r\n\r\n"),
    ("two equal Host headers", b"GET /x HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n"),
    ("an empty Host", b"GET /x HTTP/1.1\r\nHost: \r\n\r\n"),
    ("a Host with a space", b"GET /x HTTP/1.1\r\nHost: a b\r\n\r\n"),
    ("a Host with a slash", b"GET /x HTTP/1.1\r\nHost: a/b\r\n\r\n"),
    ("a Host with userinfo", b"GET /x HTTP/1.1\r\nHost: u@internal.example\r\n\r\n"),
    ("an unclosed IPv6 Host", b"GET /x HTTP/1.1\r\nHost: [::1\r\n\r\n"),
    ("a Host with a bad port", b"GET /x HTTP/1.1\r\nHost: h:80x\r\n\r\n"),
    ("a Host that is only a port", b"GET /x HTTP/1.1\r\nHost: :80\r\n\r\n"),
]
for name, raw in bad:
    print("bad|%s|%s" % (name, ask(raw).split(b"\r\n")[0].decode()))
good = [
    ("HTTP/1.0 without Host", b"GET /x HTTP/1.0\r\n\r\n"),
    ("an IPv6 Host with a port", b"GET /x HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n"),
    ("an IPv4 Host", b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    ("a Host with a trailing dot and port", b"GET /x HTTP/1.1\r\nHost: Example.COM.:80\r\nConnection: close\r\n\r\n"),
]
for name, raw in good:
    print("good|%s|%s" % (name, ask(raw).split(b"\r\n")[0].decode()))
EOP
python3 "$SL_TMP/cases.py" "$P" >"$SL_TMP/out" 2>&1
diag "$(head -4 "$SL_TMP/out")"
r=$(sed -n 1p "$SL_TMP/out")
[ "$r" = "absolute-form routes on its authority|HTTP/1.1 200 X|X-Upstream: internal|GET /headers HTTP/1.1|Host: internal.example" ]; ok $? "absolute-form routes on its authority, origin-form and Host upstream ($r)"
r=$(sed -n 2p "$SL_TMP/out")
[ "$r" = "absolute-form, scheme and host in capitals, a port|HTTP/1.1 200 X|X-Upstream: internal|GET /headers HTTP/1.1|Host: Internal.Example:8080" ]; ok $? "($r)"
r=$(sed -n 3p "$SL_TMP/out")
[ "$(echo "$r" | cut -d'|' -f2,3)" = "HTTP/1.1 200 X|X-Upstream: internal" ]; ok $? "absolute-form without a path goes to / on internal ($r)"
r=$(sed -n 4p "$SL_TMP/out")
[ "$r" = "absolute-form to the other host|HTTP/1.1 200 X|X-Upstream: public|GET /headers HTTP/1.1|Host: public.example" ]; ok $? "($r)"
while IFS='|' read -r kind name st; do
	case $kind in
	bad) [ "$st" = "HTTP/1.1 400 Bad Request" ]; ok $? "$name: 400 ($st)" ;;
	good) [ "$st" = "HTTP/1.1 200 X" ]; ok $? "$name: 200 ($st)" ;;
	esac
done < <(grep -E '^(bad|good)\|' "$SL_TMP/out")
adv_good "after the Host cases"
adv_sigterm
done_testing
