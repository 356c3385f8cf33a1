#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A raw HTTP/2 client for the h2 e2e tests (tests/e2e/h2/): well-behaved requests and the floods a server must refuse.
"""h2_client.py [--tls] [--sni NAME] --port PORT MODE [OPTION...]

Speaks HTTP/2 over TCP (h2c by prior knowledge) or TLS (--tls: ALPN h2, no
verification), with only the Python standard library: its own framing, an
HPACK encoder (literals, no Huffman) and decoder (static + dynamic table +
Huffman, RFC 7541), flow control both ways.

Modes (each bounded by --count frames and --time seconds):
  get                 -n N streams at once (--path, --method, -H, --body-size ...)
  rapid-reset         open a stream (HEADERS) and RST_STREAM(CANCEL) it, again and again
  continuation-flood  HEADERS without END_HEADERS, then endless small CONTINUATIONs
  settings-flood      SETTINGS frames, one after another
  ping-flood          PING frames, one after another
  priority-flood      PRIORITY frames, one after another
  empty-data-flood    a POST stream, then endless empty DATA frames
  hpack-bomb          a 4000-byte header put into the server's HPACK table, then a block
                      that refers to it thousands of times (~60 MB of decoded headers)
  zero-window         SETTINGS_INITIAL_WINDOW_SIZE=0, a GET of a large body, no WINDOW_UPDATE ever
  bad-header          a GET carrying `connection: keep-alive` (malformed in HTTP/2)

Prints one line on stdout, the same keys for every mode:
  MODE: status=200*50 rst=0x1*1 goaway=0xb/ENHANCE_YOUR_CALM closed=yes sent=N data=BYTES sha256=HEX time=S
  status: final statuses, CODE*COUNT comma separated ("-" for none); rst: RST_STREAM codes the server
  sent, the same way ("-" for none); goaway: the GOAWAY code and name, "none" when none came; closed:
  whether the server closed the connection; sent: flood frames sent; data: response body bytes (all
  streams); sha256: of the first stream's body ("-" without one). With --verbose a trace goes to stderr.
Exit status: 0 when the mode ran (whatever the server answered), 2 when it could not connect or
negotiate h2."""
import argparse, hashlib, select, socket, ssl, struct, sys, time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIO = 0x1, 0x1, 0x4, 0x8, 0x20
S_HEADER_TABLE_SIZE, S_ENABLE_PUSH, S_MAX_CONCURRENT, S_INITIAL_WINDOW, S_MAX_FRAME, S_MAX_HEADER_LIST = range(1, 7)
ERRORS = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
          "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
          "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]


def err_name(code):
    return "0x%x/%s" % (code, ERRORS[code] if code < len(ERRORS) else "UNKNOWN")


# ---- HPACK (RFC 7541) --------------------------------------------------------------------------

STATIC = [None] + [tuple(e.split(" ", 1)) if " " in e else (e, "") for e in (
    ":authority", ":method GET", ":method POST", ":path /", ":path /index.html", ":scheme http",
    ":scheme https", ":status 200", ":status 204", ":status 206", ":status 304", ":status 400",
    ":status 404", ":status 500", "accept-charset", "accept-encoding gzip, deflate", "accept-language",
    "accept-ranges", "accept", "access-control-allow-origin", "age", "allow", "authorization",
    "cache-control", "content-disposition", "content-encoding", "content-language", "content-length",
    "content-location", "content-range", "content-type", "cookie", "date", "etag", "expect", "expires",
    "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
    "last-modified", "link", "location", "max-forwards", "proxy-authenticate", "proxy-authorization",
    "range", "referer", "refresh", "retry-after", "server", "set-cookie", "strict-transport-security",
    "transfer-encoding", "user-agent", "vary", "via", "www-authenticate")]
assert len(STATIC) == 62

# The Huffman code of RFC 7541 Appendix B is canonical: within one length, codes rise with the symbol.
# So the length of each symbol's code (0..255, then EOS) is all it takes to rebuild every code.
HUFF_LENGTHS = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,   # 0x00
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,   # 0x10
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,           # ' ' .. '/'
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,                # '0' .. '?'
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,                  # '@' .. 'O'
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,               # 'P' .. '_'
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,                  # '`' .. 'o'
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,              # 'p' .. 0x7f
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,   # 0x80
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,   # 0x90
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,   # 0xa0
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,   # 0xb0
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,   # 0xc0
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,   # 0xd0
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,   # 0xe0
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,   # 0xf0
    30]                                                               # EOS
assert len(HUFF_LENGTHS) == 257


def huff_table():
    """{(length, code): symbol} for every symbol, codes assigned canonically."""
    table, code, prev = {}, 0, 0
    for sym in sorted(range(257), key=lambda s: (HUFF_LENGTHS[s], s)):
        code <<= HUFF_LENGTHS[sym] - prev
        prev = HUFF_LENGTHS[sym]
        table[(prev, code)] = sym
        code += 1
    assert code == 1 << 30   # a complete code: the last (EOS) is thirty 1 bits
    return table


HUFF = huff_table()


def huff_decode(data):
    """The bytes Huffman-coded in data; ValueError on a bad code, an EOS or bad padding."""
    out, code, n = bytearray(), 0, 0
    for byte in data:
        for i in range(7, -1, -1):
            code, n = code << 1 | (byte >> i) & 1, n + 1
            sym = HUFF.get((n, code)) if n >= 5 else None
            if sym is not None:
                if sym == 256:
                    raise ValueError("EOS in a Huffman string")
                out.append(sym)
                code, n = 0, 0
    if n > 7 or code != (1 << n) - 1:
        raise ValueError("bad Huffman padding")
    return bytes(out)


def enc_int(value, prefix, first=0):
    """value as an HPACK integer with an N-bit prefix, the byte's high bits from first."""
    top = (1 << prefix) - 1
    if value < top:
        return bytes([first | value])
    out, value = bytearray([first | top]), value - top
    while value >= 128:
        out.append(value & 0x7f | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def enc_str(s):
    b = s if isinstance(s, bytes) else s.encode("latin1")
    return enc_int(len(b), 7) + b   # H=0: no Huffman


def enc_literal(name, value, index=False):
    """A literal field with a new name: without indexing (0x00), or with incremental indexing (0x40)."""
    return (b"\x40" if index else b"\x00") + enc_str(name) + enc_str(value)


def enc_block(fields):
    return b"".join(enc_literal(k, v) for k, v in fields)


class Decoder:
    """An HPACK decoder: the static table, a dynamic table of max_size bytes (SETTINGS_HEADER_TABLE_SIZE)."""

    def __init__(self, max_size=4096):
        self.dyn, self.size, self.max = [], 0, max_size

    def _int(self, d, i, prefix):
        top = (1 << prefix) - 1
        v, i = d[i] & top, i + 1
        if v < top:
            return v, i
        shift = 0
        while True:
            b, i = d[i], i + 1
            v += (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return v, i

    def _str(self, d, i):
        huff = d[i] & 0x80
        n, i = self._int(d, i, 7)
        s = d[i:i + n]
        if len(s) != n:
            raise ValueError("string past the block")
        return (huff_decode(s) if huff else bytes(s)).decode("latin1"), i + n

    def _get(self, idx):
        if 0 < idx < len(STATIC):
            return STATIC[idx]
        if 0 <= idx - len(STATIC) < len(self.dyn):
            return self.dyn[idx - len(STATIC)]
        raise ValueError("HPACK index %d out of range" % idx)

    def _evict(self):
        while self.size > self.max and self.dyn:
            k, v = self.dyn.pop()
            self.size -= len(k) + len(v) + 32

    def decode(self, d):
        out, i = [], 0
        while i < len(d):
            b = d[i]
            if b & 0x80:                        # indexed field
                idx, i = self._int(d, i, 7)
                out.append(self._get(idx))
                continue
            if b & 0xe0 == 0x20:                # dynamic table size update
                self.max, i = self._int(d, i, 5)
                self._evict()
                continue
            prefix = 6 if b & 0x40 else 4       # with incremental indexing, or without / never
            idx, i = self._int(d, i, prefix)
            if idx:
                name = self._get(idx)[0]
            else:
                name, i = self._str(d, i)
            value, i = self._str(d, i)
            out.append((name, value))
            if prefix == 6:
                self.dyn.insert(0, (name, value))
                self.size += len(name) + len(value) + 32
                self._evict()
        return out


# ---- the connection ----------------------------------------------------------------------------

class Stream:
    def __init__(self, sid, window):
        self.sid, self.send_window = sid, window
        self.status, self.headers, self.rst, self.ended = None, [], None, False
        self.data, self.sha, self.body = 0, hashlib.sha256(), bytearray()
        self.to_send, self.sent_end = b"", True


class Conn:
    def __init__(self, a):
        self.a, self.buf, self.dec = a, bytearray(), Decoder()
        self.streams, self.next_sid = {}, 1
        self.goaway, self.closed, self.t0 = None, False, time.time()
        self.peer = {S_INITIAL_WINDOW: 65535, S_MAX_FRAME: 16384, S_MAX_CONCURRENT: 1 << 31}
        self.conn_window, self.frames_in, self.write_failed = 65535, 0, False
        self.table_size, self.table_update = 4096, None   # the server's HPACK decoder table, as we use it
        raw = socket.create_connection((a.host, a.port), timeout=5)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if a.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            raw = ctx.wrap_socket(raw, server_hostname=a.sni or a.host)
            if raw.selected_alpn_protocol() != "h2":
                raise ConnectionError("ALPN: server chose %r, not h2" % raw.selected_alpn_protocol())
        self.sock = raw

    def trace(self, *what):
        if self.a.verbose:
            sys.stderr.write("%.3f %s\n" % (time.time() - self.t0, " ".join(str(w) for w in what)))

    # -- writing: one frame at a time; a write that cannot go within 2 s ends the writing
    def frame(self, ftype, flags, sid, payload=b""):
        if self.write_failed or self.closed:
            return False
        try:
            self.sock.settimeout(2)
            self.sock.sendall(struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) +
                              struct.pack(">I", sid & 0x7fffffff) + payload)
            return True
        except (OSError, ssl.SSLError) as e:
            self.trace("write failed:", e)
            self.write_failed = True
            return False

    def preface(self, settings):
        self.sock.sendall(PREFACE)
        self.frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in settings))

    def headers(self, sid, block, end_stream, end_headers=True):
        if self.table_update is not None:   # RFC 7541 4.2: the first block after the change says so
            block, self.table_update = enc_int(self.table_update, 5, 0x20) + block, None
        # a block larger than a frame (or than --split) goes on in CONTINUATIONs, the last with END_HEADERS
        size = min(self.peer[S_MAX_FRAME], self.a.split or 1 << 24)
        parts = [block[i:i + size] for i in range(0, len(block), size)] or [b""]
        flags = END_STREAM if end_stream else 0
        for i, part in enumerate(parts):
            last = END_HEADERS if end_headers and i == len(parts) - 1 else 0
            if not self.frame(HEADERS if i == 0 else CONTINUATION, (flags if i == 0 else 0) | last, sid, part):
                return False
        return True

    def request_fields(self, method, path, extra=()):
        scheme = "https" if self.a.tls else "http"
        fields = [(":method", method), (":scheme", scheme), (":path", path), (":authority", self.a.authority)]
        return [f for f in fields if f[0] not in self.a.omit] + list(extra)

    def open_stream(self, fields, body=None, end_stream=True):
        """Opens a stream with fields; body (bytes) then goes out as flow control lets it."""
        sid, self.next_sid = self.next_sid, self.next_sid + 2
        st = Stream(sid, self.peer[S_INITIAL_WINDOW])
        self.streams[sid] = st
        st.sent_end = end_stream and body is None
        self.headers(sid, enc_block(fields), st.sent_end)
        if body is not None:
            st.to_send, st.sent_end = body, False
            self.push_data()
        return st

    def push_data(self):
        """Sends what request bodies the windows allow; the last DATA of a body carries END_STREAM."""
        for st in self.streams.values():
            while not st.sent_end and st.rst is None and not self.write_failed:
                n = min(len(st.to_send), st.send_window, self.conn_window, self.peer[S_MAX_FRAME])
                if n == 0 and st.to_send:
                    break
                chunk, st.to_send = st.to_send[:n], st.to_send[n:]
                st.send_window -= n
                self.conn_window -= n
                st.sent_end = not st.to_send
                self.frame(DATA, END_STREAM if st.sent_end else 0, st.sid, chunk)
                if st.sent_end:
                    self.trace("DATA", st.sid, "END_STREAM")

    # -- reading
    def pump(self, timeout):
        """Reads and handles what the server sends for up to timeout seconds (0: only what is there)."""
        end = time.time() + timeout
        while not self.closed:
            pending = self.sock.pending() if isinstance(self.sock, ssl.SSLSocket) else 0
            left = max(0.0, end - time.time())
            if not pending:
                r, _, _ = select.select([self.sock], [], [], left)
                if not r:
                    return
            try:
                self.sock.settimeout(2)
                d = self.sock.recv(262144)
            except ssl.SSLWantReadError:
                continue
            except (OSError, ssl.SSLError) as e:
                self.trace("read failed:", e)
                d = b""
            if not d:
                self.closed = True
                self.trace("closed by the server")
                return
            self.buf += d
            self.parse()
            end = 0   # something came: take what else is there already, then return

    def parse(self):
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + n:
                return
            ftype, flags, sid = self.buf[3], self.buf[4], int.from_bytes(self.buf[5:9], "big") & 0x7fffffff
            payload = bytes(self.buf[9:9 + n])
            del self.buf[:9 + n]
            self.frames_in += 1
            self.on_frame(ftype, flags, sid, payload)

    def on_frame(self, ftype, flags, sid, p):
        flow = len(p)   # what flow control counts: padding too
        if ftype in (DATA, HEADERS) and flags & PADDED:
            p = p[1:len(p) - p[0]]
        st = self.streams.get(sid)
        if ftype == SETTINGS and not flags & ACK:
            for i in range(0, len(p) - 5, 6):
                k, v = struct.unpack(">HI", p[i:i + 6])
                if k == S_INITIAL_WINDOW:
                    for s in self.streams.values():
                        s.send_window += v - self.peer[S_INITIAL_WINDOW]
                if k == S_HEADER_TABLE_SIZE and v < self.table_size:
                    self.table_size = self.table_update = v
                self.peer[k] = v
            self.trace("SETTINGS", self.peer)
            self.frame(SETTINGS, ACK, 0)
            self.push_data()
        elif ftype == PING and not flags & ACK:
            self.frame(PING, ACK, 0, p)
        elif ftype == GOAWAY:
            last, code = struct.unpack(">II", p[:8])
            self.goaway = (code, last & 0x7fffffff, p[8:])
            self.trace("GOAWAY", err_name(code), "last stream", last, p[8:])
        elif ftype == RST_STREAM and st:
            st.rst = struct.unpack(">I", p[:4])[0]
            self.trace("RST_STREAM", sid, err_name(st.rst))
        elif ftype == WINDOW_UPDATE:
            inc = struct.unpack(">I", p[:4])[0] & 0x7fffffff
            if sid == 0:
                self.conn_window += inc
            elif st:
                st.send_window += inc
            self.trace("WINDOW_UPDATE", sid, inc, "windows: connection", self.conn_window,
                       "stream", st.send_window if st else "-")
            self.push_data()
        elif ftype == HEADERS:
            if flags & PRIO:
                p = p[5:]
            block, end_stream = p, flags & END_STREAM   # END_STREAM rides on HEADERS, not CONTINUATION
            while not flags & END_HEADERS:   # the CONTINUATIONs follow at once (RFC 9113 6.10)
                while len(self.buf) < 9 or len(self.buf) < 9 + int.from_bytes(self.buf[:3], "big"):
                    if self.closed or self.over():
                        return
                    self.pump_raw()
                n = int.from_bytes(self.buf[:3], "big")
                flags = self.buf[4]
                block += bytes(self.buf[9:9 + n])
                del self.buf[:9 + n]
            fields = self.dec.decode(block)
            if st:
                status = dict(fields).get(":status")
                if status and not status.startswith("1") and st.status is None:
                    st.status, st.headers = status, fields
                if end_stream:
                    st.ended = True
            self.trace("HEADERS", sid, fields)
        elif ftype == DATA:
            if st:
                st.data += len(p)
                st.sha.update(p)
                if self.a.body_out and sid == 1:
                    st.body += p
                st.ended = st.ended or bool(flags & END_STREAM)
            if flow and not self.a.no_window_update:
                self.frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", flow))
                if st and not st.ended:
                    self.frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", flow))

    def pump_raw(self):
        """One read into the buffer (for a header block's CONTINUATIONs), bounded to 2 s."""
        pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
        d = b""
        if pending or select.select([self.sock], [], [], 2)[0]:
            try:
                d = self.sock.recv(262144)
            except ssl.SSLWantReadError:
                return   # a TLS record not whole yet: the caller reads again
            except OSError:
                pass
        if not d:
            self.closed = True
        self.buf += d

    def done(self, sids=None):
        ss = [self.streams[s] for s in sids] if sids else self.streams.values()
        return all(s.ended or s.rst is not None for s in ss)

    def wait(self, sids=None):
        """Pumps until the streams finished, the server went away or --time ran out."""
        while not self.done(sids) and not self.closed and not self.over():
            self.pump(0.2)
            if self.goaway and all(s.sid > self.goaway[1] or s.ended or s.rst is not None for s in self.streams.values()):
                break

    def over(self):
        return time.time() - self.t0 > self.a.time

    def drain(self, seconds=1.0):
        """After a flood: reads for up to seconds more, or until the server closed."""
        end = time.time() + seconds
        while not self.closed and time.time() < end:
            self.pump(0.1)


def counted(values):
    seen = {}
    for v in values:
        seen[v] = seen.get(v, 0) + 1
    return ",".join("%s*%d" % (k, n) for k, n in sorted(seen.items())) or "-"


def report(mode, c, sent=0):
    ss = sorted(c.streams.values(), key=lambda s: s.sid)
    first = next((s for s in ss if s.status), None)
    print("%s: status=%s rst=%s goaway=%s closed=%s sent=%d data=%d sha256=%s time=%.2f" % (
        mode, counted(s.status for s in ss if s.status), counted("0x%x" % s.rst for s in ss if s.rst is not None),
        err_name(c.goaway[0]) if c.goaway else "none", "yes" if c.closed else "no", sent,
        sum(s.data for s in ss), first.sha.hexdigest() if first else "-", time.time() - c.t0))
    if c.a.headers_out and first:
        with open(c.a.headers_out, "w") as f:
            f.write("".join("%s: %s\n" % kv for kv in first.headers))
    if c.a.body_out and first:
        with open(c.a.body_out, "wb") as f:
            f.write(first.body)


def body_of(a):
    if a.body_file:
        with open(a.body_file, "rb") as f:
            return f.read()
    if a.body_size is not None:
        return bytes((i * 7 + i // 251) & 0xff for i in range(min(a.body_size, 65536))) * (a.body_size // 65536) + \
            bytes((i * 7 + i // 251) & 0xff for i in range(a.body_size % 65536))
    return None


# ---- the modes ---------------------------------------------------------------------------------

def mode_get(c, a):
    body = body_of(a)
    extra = [tuple(h.split(": ", 1)) for h in a.header]
    if body is not None and not a.no_content_length and a.content_length is None:
        extra.append(("content-length", str(len(body))))
    if a.content_length is not None:
        extra.append(("content-length", str(a.content_length)))
    left = a.n
    while (left or not c.done()) and not c.closed and not c.over():
        active = sum(1 for s in c.streams.values() if not s.ended and s.rst is None)
        while left and (active < c.peer[S_MAX_CONCURRENT] or a.past_max) and not c.goaway:
            c.open_stream(c.request_fields(a.method, a.path, extra), body)
            left, active = left - 1, active + 1
        c.pump(0.05 if left else 0.2)
        if c.goaway and c.done(s for s in c.streams if s <= c.goaway[1]):
            break
    return 0


def flood(c, a, one, batch=20):
    """Sends one() in batches, reading between them, until GOAWAY, a close, --count or --time."""
    sent = 0
    while sent < a.count and not c.goaway and not c.closed and not c.write_failed and not c.over():
        for _ in range(min(batch, a.count - sent)):
            if not one():
                break
            sent += 1
        c.pump(0)
    c.drain(2.0)
    return sent


def mode_rapid_reset(c, a):
    def one():
        st = c.open_stream(c.request_fields("GET", a.path))
        return c.frame(RST_STREAM, 0, st.sid, struct.pack(">I", 8))   # CANCEL
    return flood(c, a, one)


def mode_continuation_flood(c, a):
    c.headers(1, enc_block(c.request_fields("GET", a.path)), end_stream=True, end_headers=False)
    c.streams[1] = Stream(1, 0)
    n = [0]

    def one():
        n[0] += 1
        return c.frame(CONTINUATION, 0, 1, enc_literal("x-c%d" % n[0], "v"))
    return flood(c, a, one)


def mode_settings_flood(c, a):
    return flood(c, a, lambda: c.frame(SETTINGS, 0, 0, struct.pack(">HI", S_ENABLE_PUSH, 0)))


def mode_ping_flood(c, a):
    n = [0]

    def one():
        n[0] += 1
        return c.frame(PING, 0, 0, struct.pack(">Q", n[0]))
    return flood(c, a, one)


def mode_priority_flood(c, a):
    # on one idle stream, weight 16, depending on stream 0: changes nothing, costs the server a frame
    return flood(c, a, lambda: c.frame(PRIORITY, 0, 1001, struct.pack(">IB", 0, 15)))


def mode_empty_data_flood(c, a):
    st = c.open_stream(c.request_fields("POST", a.path), end_stream=False)
    st.sent_end = True   # its body is ours to send below, by hand
    return flood(c, a, lambda: c.frame(DATA, 0, st.sid, b""))


def mode_hpack_bomb(c, a):
    # the entry (6 + 4000 + 32 bytes) fits the default 4096-byte table of the server's decoder
    block = enc_block(c.request_fields("GET", a.path)) + enc_literal("x-bomb", "a" * 4000, index=True)
    c.next_sid = 3
    c.streams[1] = Stream(1, c.peer[S_INITIAL_WINDOW])
    c.headers(1, block, end_stream=True)
    c.wait([1])
    room = c.peer[S_MAX_FRAME] - 200
    refs = a.count if a.count < room else room      # index 62: the newest entry of the dynamic table
    st = Stream(3, c.peer[S_INITIAL_WINDOW])
    c.streams[3] = st
    c.headers(3, enc_block(c.request_fields("GET", a.path)) + b"\xbe" * refs, end_stream=True)
    c.next_sid = 5
    c.wait([3])
    c.drain(1.0)
    return refs


def mode_zero_window(c, a):
    st = c.open_stream(c.request_fields("GET", a.path))
    while not c.closed and not c.goaway and not c.over() and not st.ended and st.rst is None:
        c.pump(0.2)
    c.drain(0.5)
    return 0


def mode_bad_header(c, a):
    st = c.open_stream(c.request_fields("GET", a.path, [("connection", "keep-alive")]))
    c.wait([st.sid])
    return 0


MODES = {"get": mode_get, "rapid-reset": mode_rapid_reset, "continuation-flood": mode_continuation_flood,
         "settings-flood": mode_settings_flood, "ping-flood": mode_ping_flood,
         "priority-flood": mode_priority_flood, "empty-data-flood": mode_empty_data_flood,
         "hpack-bomb": mode_hpack_bomb, "zero-window": mode_zero_window, "bad-header": mode_bad_header}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=sorted(MODES))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls", action="store_true", help="TLS with ALPN h2 (no verification)")
    ap.add_argument("--sni", help="server name for SNI (default: --host)")
    ap.add_argument("--authority", help=":authority (default HOST:PORT)")
    ap.add_argument("--path", help="request path (default /, zero-window: /size/8388608)")
    ap.add_argument("--method", default="GET")
    ap.add_argument("-n", type=int, default=1, help="get: how many streams, opened at once")
    ap.add_argument("-H", "--header", action="append", default=[], help="get: one more field, 'name: value'")
    ap.add_argument("--omit", action="append", default=[], help="get: leave out this pseudo-header (':path')")
    ap.add_argument("--body-size", type=int, help="get: a request body of N bytes")
    ap.add_argument("--body-file", help="get: the request body from this file")
    ap.add_argument("--no-content-length", action="store_true", help="get: send the body without content-length")
    ap.add_argument("--content-length", type=int, help="get: this content-length, whatever the body")
    ap.add_argument("--past-max", action="store_true", help="get: open all -n streams at once, past the server's SETTINGS_MAX_CONCURRENT_STREAMS")
    ap.add_argument("--split", type=int, help="get: header blocks in fragments of at most N bytes (HEADERS, then CONTINUATIONs)")
    ap.add_argument("--body-out", help="the first stream's response body into this file")
    ap.add_argument("--headers-out", help="the first stream's response fields into this file, one a line")
    ap.add_argument("--count", type=int, default=20000, help="floods: at most this many frames (default 20000)")
    ap.add_argument("--time", type=float, default=10.0, help="give up after this many seconds (default 10)")
    ap.add_argument("--initial-window", type=int, help="SETTINGS_INITIAL_WINDOW_SIZE to announce")
    ap.add_argument("--verbose", action="store_true", help="a frame trace on stderr")
    a = ap.parse_args()
    a.authority = a.authority or "%s:%d" % (a.sni or a.host, a.port)
    a.path = a.path or ("/size/8388608" if a.mode == "zero-window" else "/")
    a.no_window_update = a.mode == "zero-window"
    settings = [(S_ENABLE_PUSH, 0)]
    if a.mode == "zero-window":
        settings.append((S_INITIAL_WINDOW, 0))
    elif a.initial_window is not None:
        settings.append((S_INITIAL_WINDOW, a.initial_window))
    try:
        c = Conn(a)
        c.preface(settings)
    except (OSError, ssl.SSLError, ConnectionError) as e:
        print("%s: error=%s" % (a.mode, str(e).replace(" ", "_")))
        return 2
    if a.mode != "zero-window":
        c.frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", (1 << 30) - 65535))   # our connection window: 1 GiB
    c.pump(0.1)   # the server's SETTINGS first: its limits shape the floods
    sent = MODES[a.mode](c, a)
    report(a.mode, c, sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
