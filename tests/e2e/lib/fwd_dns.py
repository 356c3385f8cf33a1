#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A tiny DNS stub on 127.0.0.1 for the forward proxy tests: fixed answers for test names, every query logged.
"""Usage: fwd_dns.py --log FILE NAME=ADDRESS[/TTL[/DELAY_S]] ...
A and AAAA queries for a configured name get its address (when the family
matches; otherwise an empty NOERROR answer), DELAY_S seconds late when given;
any other name gets NXDOMAIN.
Each query is appended to --log as "TYPE NAME". Prints the UDP port it bound."""
import argparse, ipaddress, socket, struct, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("names", nargs="*")
args = ap.parse_args()
table = {}
for n in args.names:
    name, rest = n.split("=", 1)
    addr, _, ttl = rest.partition("/")
    ttl, _, delay = ttl.partition("/")
    table[name.lower().rstrip(".")] = (ipaddress.ip_address(addr), int(ttl or 60), float(delay or 0))

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
TYPES = {1: "A", 28: "AAAA"}

while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12:
        continue
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    qtype, qclass = struct.unpack("!HH", q[i + 1:i + 5])
    question = q[12:i + 5]
    name = ".".join(labels).lower()
    with open(args.log, "a") as f:
        f.write("%s %s\n" % (TYPES.get(qtype, qtype), name))
    answers, rcode = b"", 0
    if name in table:
        addr, ttl, delay = table[name]
        time.sleep(delay)   # one slow name at a time: the stub answers in order
        want = 4 if qtype == 1 else 6 if qtype == 28 else 0
        if addr.version == want:
            answers = struct.pack("!HHHIH", 0xC00C, qtype, 1, ttl, len(addr.packed)) + addr.packed
    else:
        rcode = 3
    resp = struct.pack("!HHHHHH", qid, 0x8180 | rcode | (flags & 0x0100), 1, 1 if answers else 0, 0, 0)
    s.sendto(resp + question + answers, peer)
