#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Writes fuzz_h2's seed corpus (tests/fuzz/h2_corpus): valid HTTP/2 frame
sequences a client sends after the h2c preface, each with the HTTP/1.1
response the upstreams give. The format is fuzz_h2.c's: byte 0 flags, a
big-endian 16-bit length of the client bytes (bit 15: a reload halfway),
those bytes, then the response."""
import os
import struct
import sys

# byte 0 (see fuzz_h2.c)
WHOLE, CUT256, CUT32, CUT7 = range(4)
PLAIN, TIGHT, CACHE, NO_BUFFERING = (0 << 2, 1 << 2, 2 << 2, 3 << 2)
UP_FIN, TICKS, PARTS, NO_PREFACE = 0x10, 0x20, 0x40, 0x80

PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'

# frame types and flags (RFC 9113 6)
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIO = 0x1, 0x1, 0x4, 0x8, 0x20
CANCEL = 0x8


def frame(kind, flags, stream, payload=b''):
    return struct.pack('>I', len(payload))[1:] + bytes([kind, flags]) + struct.pack('>I', stream) + payload


def settings(**kv):
    ids = {'header_table_size': 1, 'enable_push': 2, 'max_concurrent_streams': 3, 'initial_window_size': 4,
           'max_frame_size': 5, 'max_header_list_size': 6}
    return frame(SETTINGS, 0, 0, b''.join(struct.pack('>HI', ids[k], v) for k, v in kv.items()))


def hint(n, prefix=7, first=0):
    """An HPACK integer (RFC 7541 5.1) in a @prefix-bit prefix, the byte's other bits @first."""
    top = (1 << prefix) - 1
    if n < top:
        return bytes([first | n])
    out, n = [first | top], n - top
    while n >= 128:
        out.append(n % 128 | 128)
        n //= 128
    return bytes(out + [n])


def literal(name, value, indexing=False):
    """A literal with a new name (RFC 7541 6.2.1, 6.2.2): without indexing, or entered in the dynamic table."""
    return (b'\x40' if indexing else b'\x00') + hint(len(name)) + name.encode() + hint(len(value)) + value.encode()


def hpack(headers):
    """A header block of literals without indexing, new names."""
    return b''.join(literal(name, value) for name, value in headers)


def req(method='GET', path='/', extra=()):
    return hpack([(':method', method), (':scheme', 'http'), (':authority', 'a'), (':path', path)] + list(extra))


def headers(stream, block, end_stream=True, end_headers=True):
    return frame(HEADERS, (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0), stream, block)


def data(stream, body, end_stream=True):
    return frame(DATA, END_STREAM if end_stream else 0, stream, body)


def window(stream, inc):
    return frame(WINDOW_UPDATE, 0, stream, struct.pack('>I', inc))


def seed(flags, client, response=b'', reload=False):
    response = response.encode() if isinstance(response, str) else response
    return bytes([flags]) + struct.pack('>H', len(client) | (0x8000 if reload else 0)) + client + response


OK5 = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n'
GET1 = headers(1, req())
# the indexed forms h2load and browsers send: :method GET, :scheme http, :path / from the static table
GET_INDEXED = headers(1, b'\x82\x86\x84\x01\x01a')

CORPUS = {
    'get': seed(WHOLE, settings() + GET1, OK5),
    'get_indexed': seed(WHOLE, settings() + GET_INDEXED + frame(SETTINGS, ACK, 0), OK5),
    'get_cut7': seed(CUT7, settings() + GET1, OK5),
    'get_chunked_resp': seed(CUT32, settings() + GET1, CHUNKED),
    'get_close_delimited': seed(UP_FIN, settings() + GET1, 'HTTP/1.0 200 OK\r\n\r\n' + 'y' * 300),
    'head': seed(WHOLE, settings() + headers(1, req('HEAD')), OK5),
    'post_length': seed(WHOLE, settings() + headers(1, req('POST', '/p', [('content-length', '5')]), False) +
                        data(1, b'hello'), OK5),
    'post_chunked': seed(CUT32 | NO_BUFFERING, settings() + headers(1, req('POST', '/p'), False) +
                         data(1, b'abc', False) + data(1, b'defgh'), OK5),
    'post_padded': seed(WHOLE, settings() + headers(1, req('POST', '/p'), False) +
                        frame(DATA, END_STREAM | PADDED, 1, b'\x03abc\0\0\0'), OK5),
    'expect_100': seed(CUT256, settings() + headers(1, req('POST', '/p', [('expect', '100-continue'),
                                                                          ('content-length', '3')]), False) +
                       data(1, b'abc'), 'HTTP/1.1 100 Continue\r\n\r\n' + OK5),
    'continuation': seed(WHOLE, settings() + headers(1, req()[:20], True, False) +
                         frame(CONTINUATION, 0, 1, req()[20:30]) + frame(CONTINUATION, END_HEADERS, 1, req()[30:]),
                         OK5),
    'rst_stream': seed(CUT256, settings() + headers(1, req('POST', '/p'), False) + data(1, b'abc', False) +
                       frame(RST_STREAM, 0, 1, struct.pack('>I', CANCEL)), OK5),
    'rst_after_get': seed(WHOLE | TICKS, settings() + GET1 + frame(RST_STREAM, 0, 1, struct.pack('>I', CANCEL)),
                          CHUNKED),
    'window_ping': seed(CUT256, settings(initial_window_size=16) + GET1 + frame(PING, 0, 0, b'12345678') +
                        window(1, 100) + window(0, 100) + frame(PING, ACK, 0, b'87654321'),
                        'HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n' + 'z' * 200),
    'three_streams': seed(CUT32, settings(max_concurrent_streams=100) + GET1 + headers(3, req('GET', '/b')) +
                          headers(5, req('GET', '/c')), OK5),
    'tight_streams': seed(TIGHT, settings() + GET1 + headers(3, req('GET', '/b')) + headers(5, req('GET', '/c')) +
                          headers(7, req('GET', '/d')), OK5),
    'rapid_reset': seed(TIGHT, settings() + b''.join(headers(i, req(), False) +
                                                   frame(RST_STREAM, 0, i, struct.pack('>I', CANCEL))
                                                   for i in range(1, 12, 2)), OK5),
    'ping_flood': seed(TIGHT | PARTS, settings() + frame(PING, 0, 0, b'12345678') * 8, ''),
    'priority_goaway': seed(WHOLE, settings() + frame(PRIORITY, 0, 1, struct.pack('>IB', 0, 15)) +
                            frame(HEADERS, END_STREAM | END_HEADERS | PRIO, 3, struct.pack('>IB', 0, 20) + req()) +
                            frame(GOAWAY, 0, 0, struct.pack('>II', 3, 0)), OK5),
    'push_promise_bad': seed(WHOLE, settings() + frame(PUSH_PROMISE, END_HEADERS, 1, struct.pack('>I', 2) + req()),
                             OK5),
    'cache_twice': seed(CACHE, settings() + GET1 + headers(3, req()),
                        'HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n\r\nhello'),
    'big_response_parts': seed(PARTS | CUT256, settings(initial_window_size=1000) + GET1 + window(1, 5000),
                               'HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n' + 'w' * 3000),
    'bad_response': seed(WHOLE, settings() + GET1, 'HTTP/1.1 2OO OK\r\n\r\n'),
    'connect': seed(WHOLE, settings() + headers(1, hpack([(':method', 'CONNECT'), (':authority', 'a:443')]), False) +
                    data(1, b'tunnel'), 'HTTP/1.1 200 OK\r\n\r\n'),
    'reload_midway': seed(CUT32, settings() + GET1 + headers(3, req('POST', '/p'), False) + data(3, b'abc', False) +
                          data(3, b'def') + headers(5, req()), OK5, reload=True),
    'reload_stalled': seed(CUT256 | PARTS | TICKS, settings(initial_window_size=100) + GET1 + headers(3, req()),
                           'HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n' + 'v' * 2000, reload=True),
    # past max_header_list_size (1 KiB): a 431; far past it (4 KiB from a dynamic table entry): GOAWAY
    'header_list_431': seed(TIGHT, settings() + headers(1, req() + literal('x-big', 'b' * 900, True) + b'\xbe'), OK5),
    'hpack_bomb': seed(TIGHT, settings() + headers(1, req() + literal('x-big', 'b' * 900, True) + b'\xbe' * 5), OK5),
    'continuation_flood': seed(TIGHT, settings() + headers(1, req()[:10], True, False) +
                               frame(CONTINUATION, 0, 1, req()[10:20]) + frame(CONTINUATION, 0, 1, req()[20:30]) +
                               frame(CONTINUATION, END_HEADERS, 1, req()[30:]), OK5),
    'trailers': seed(CUT32, settings() + headers(1, req('POST', '/p'), False) + data(1, b'abc', False) +
                     headers(1, hpack([('x-trailer', 'v')])), OK5),
    'bad_path': seed(WHOLE, settings() + headers(1, req('GET', '/a b')) + headers(3, req('G T')), OK5),
    'cookies': seed(WHOLE, settings() + headers(1, req('GET', '/', [('cookie', 'a=1'), ('cookie', 'b=2'),
                                                                  ('host', 'h'), ('te', 'trailers')])), OK5),
    'early_answer': seed(CUT32 | NO_BUFFERING, settings() + headers(1, req('POST', '/p'), False) +
                         b''.join(data(1, b'q' * 100, False) for _ in range(3)) + data(1, b'end'), OK5),
    'stalled': seed(TICKS, settings(initial_window_size=10) + GET1,
                    'HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n' + 'v' * 2000),
    'h2c_own_preface': seed(NO_PREFACE | CUT7, PREFACE + settings() + GET1, OK5),
    'http11_on_h2_listener': seed(NO_PREFACE, b'GET / HTTP/1.1\r\nHost: a\r\n\r\n', OK5),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'h2_corpus')
    os.makedirs(out, exist_ok=True)
    for name, b in CORPUS.items():
        assert len(b) <= 4096, name   # make fuzz's -max_len
        with open(os.path.join(out, name), 'wb') as fp:
            fp.write(b)


if __name__ == '__main__':
    main()
