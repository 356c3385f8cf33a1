#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Writes fuzz_proxy's seed corpus (tests/fuzz/proxy_corpus) and reproducers
(tests/fuzz/proxy_repro) from readable scripts. The format is fuzz_proxy.c's:
byte 0 config (| 0x80 manual mode), then ops (low nibble what, high nibble which)."""
import os
import sys

(CLIENT_NEW, CLIENT_DATA, UP_DATA, CLIENT_FIN, CLIENT_RST, UP_FIN, UP_RST, CONNECT_OK, CONNECT_FAIL,
 SEND_ALL, SEND_PART, SEND_ERR, TIME, SETTLE) = range(14)
PLAIN, CACHE, NO_BUFFERING, ONE_SERVER = range(4)
MANUAL = 0x80


def op(kind, which=0):
    return bytes([kind | which << 4])


def data(kind, text, which=0):
    """Bytes from a client (kind CLIENT_DATA) or an upstream (UP_DATA), in ops of at most 255."""
    b = text.encode() if isinstance(text, str) else text
    out = b''
    for i in range(0, len(b), 255):
        piece = b[i:i + 255]
        out += op(kind, which) + bytes([len(piece)]) + piece
    return out


def c(text, which=0):
    return data(CLIENT_DATA, text, which)


def u(text, which=0):
    return data(UP_DATA, text, which)


def time(ms):
    return op(TIME) + bytes([min(255, ms // 64)])


GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
OK5 = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'

CORPUS = {
    'get_keepalive': bytes([PLAIN]) + c(GET) + u(OK5) + c(GET) + u(OK5) + op(CLIENT_FIN),
    'get_chunked_resp': bytes([PLAIN]) + c(GET) + u('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'
                                                    '5\r\nhello\r\n0\r\n\r\n'),
    'post_chunked': bytes([NO_BUFFERING]) + c('POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
                                              '3\r\nabc\r\n') + c('0\r\n\r\n') + u(OK5),
    'post_length_buffered': bytes([PLAIN]) + c('POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 300\r\n\r\n' +
                                               'x' * 300) + u(OK5),
    'close_delimited': bytes([PLAIN]) + c('GET / HTTP/1.0\r\nHost: a\r\n\r\n') +
                       u('HTTP/1.0 200 OK\r\n\r\n' + 'y' * 400) + op(UP_FIN),
    'pipelined': bytes([PLAIN]) + c(GET + GET + GET) + u(OK5) + u(OK5) + u(OK5),
    'upgrade_tunnel': bytes([PLAIN]) + c('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n'
                                         'Connection: upgrade\r\n\r\n') +
                      u('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n') +
                      c('ping') + u('pong') + op(UP_FIN),
    # a server advertising an upgrade it is not doing (as Apache's h2c does)
    'upgrade_advertised': bytes([PLAIN]) + c(GET) + u('HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n'
                                                      'Content-Length: 5\r\n\r\nhello') + c(GET) + u(OK5),
    # ... and with an interim response: the header fields belong to the 100, which says nothing of upgrading
    'upgrade_advertised_100': bytes([PLAIN]) + c(GET) + u('HTTP/1.1 100 Continue\r\nUpgrade: h2c\r\n'
                                                          'Connection: Upgrade\r\n\r\n' + OK5),
    'interim_100': bytes([PLAIN]) + c(GET) + u('HTTP/1.1 100 Continue\r\n\r\n' + OK5),
    'cache_hit': bytes([CACHE]) + c(GET) + u('HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n'
                                             'Content-Length: 5\r\n\r\nhello') + c(GET),
    'manual_retry': bytes([PLAIN | MANUAL]) + c(GET) + op(CONNECT_FAIL) + op(CONNECT_OK) + op(SEND_PART, 1) +
                    b'\x03' + op(SEND_ALL, 1) + u(OK5) + op(SEND_PART) + b'\x10' + op(SEND_ALL) +
                    op(SEND_ERR),
    'two_clients': bytes([PLAIN]) + op(CLIENT_NEW) + c(GET, 1) + c(GET, 0) + u(OK5, 1) + u(OK5, 0) +
                   op(CLIENT_RST, 1),
    'timeouts': bytes([PLAIN]) + c('GET / HT') + time(2500) + op(CLIENT_NEW) + c(GET, 1) + time(3000) +
                time(3000),
    'bad_response': bytes([ONE_SERVER]) + c(GET) + u('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n'),
    'big_body': bytes([PLAIN]) + c(GET) + u('HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n' + 'z' * 3000),
}

# proxy_repro also holds what the fuzzer found as it is (todo-unsolicited-101-fuzzed: from upgrade_advertised_100,
# 100 became 101): this script writes only the files named here.
REPRO = {
    # issue 17, failure 1: a 101 with Upgrade to a request that asked for none spun the worker in pump_upstream.
    # Fixed by eae3b3b on h17-proxy; until it is merged here, fuzz_proxy_replay reports it as a TAP TODO.
    'todo-unsolicited-101': bytes([PLAIN]) + c(GET) +
                            u('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n'
                              'Connection: upgrade\r\n\r\nprotocol bytes'),
}


def main():
    here = os.path.dirname(os.path.abspath(sys.argv[0]))
    for sub, files in (('proxy_corpus', CORPUS), ('proxy_repro', REPRO)):
        os.makedirs(os.path.join(here, sub), exist_ok=True)
        for name, b in files.items():
            with open(os.path.join(here, sub, name), 'wb') as f:
                f.write(b)


if __name__ == '__main__':
    main()
