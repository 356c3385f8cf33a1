// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: the whole proxy state machine, client side and upstream
 * side, through the real worker code (the loop's completion dispatch, queues,
 * buffer ring, timers; proxy.c; upstream.c's pools; cache_proxy.c), with no
 * socket traffic: fuzz_worker.h is the kernel, and the fuzzer's ops say what
 * it does.
 *
 * Input: byte 0 picks the config (bits 0-1: plain, cache, no request
 * buffering, one server without retries) and the mode (bit 7 clear: after
 * every op, connects succeed and sends complete whole; set: only the ops
 * do that). Then ops, one byte each (low nibble: what, high nibble: which
 * connection), some followed by a length byte and data. See enum op.
 *
 * Checked after every op and at the end: see fuzz_worker.h. `make test`
 * replays tests/fuzz/proxy_corpus and tests/fuzz/proxy_repro.
 */
#include "fuzz_worker.h"


/* What each op byte's low nibble does; the high nibble picks the connection. */
enum op {
	OP_CLIENT_NEW = 0,    /* a client connects (accept completion) */
	OP_CLIENT_DATA,       /* + length byte (0: 256) + bytes: the client sends them */
	OP_UP_DATA,           /* + length byte + bytes: an upstream server sends them */
	OP_CLIENT_FIN,
	OP_CLIENT_RST,
	OP_UP_FIN,
	OP_UP_RST,
	OP_CONNECT_OK,
	OP_CONNECT_FAIL,
	OP_SEND_ALL,          /* high nibble bit 0: upstream side, the rest: which one */
	OP_SEND_PART,         /* + byte: that many bytes plus one are taken */
	OP_SEND_ERR,
	OP_TIME,              /* + byte: the clock moves on by byte * 64 ms */
	OP_SETTLE,            /* every connect succeeds, every send completes whole */
	OP_MAX = 16,
};

static bool is_connecting(const struct fsock *s) { return s->connecting; }
static bool is_sending(const struct fsock *s) { return s->send_pending; }

static const char *const op_name[OP_MAX] = {
	"client connects", "client data", "upstream data", "client FIN", "client reset", "upstream FIN",
	"upstream reset", "connect ok", "connect fails", "send whole", "send part", "send error", "time",
	"settle", "nop", "nop",
};

/* run_op() - op @op (its argument and data follow at @d, @n bytes). Returns the bytes it used. */
static size_t run_op(struct fz *f, uint8_t op, const uint8_t *d, size_t n)
{
	unsigned int which = op >> 4;
	size_t used = 0, len;
	struct fsock *s;

	switch (op & 15) {
	case OP_CLIENT_NEW:
		client_new(f);
		break;
	case OP_CLIENT_DATA:
	case OP_UP_DATA:
		len = n ? (d[0] ? d[0] : 256) : 0;
		used = n ? 1 : 0;
		if (len > n - used)
			len = n - used;
		s = pick(f, (op & 15) == OP_CLIENT_DATA, which, NULL);
		if (s)
			sock_peer_data(s, d + used, len);
		used += len;
		break;
	case OP_CLIENT_FIN:
	case OP_CLIENT_RST:
	case OP_UP_FIN:
	case OP_UP_RST:
		s = pick(f, (op & 15) <= OP_CLIENT_RST, which, NULL);
		if (s && !s->fin)
			s->fin = (op & 15) == OP_CLIENT_FIN || (op & 15) == OP_UP_FIN ? 1 : -ECONNRESET;
		break;
	case OP_CONNECT_OK:
	case OP_CONNECT_FAIL:
		s = pick(f, false, which, is_connecting);
		if (s) {
			s->connecting = false;
			post(f, s->connect_ud, (op & 15) == OP_CONNECT_OK ? 0 : -ECONNREFUSED, 0);
		}
		break;
	case OP_SEND_ALL:
	case OP_SEND_PART:
	case OP_SEND_ERR:
		len = SIZE_MAX;
		if ((op & 15) == OP_SEND_PART) {
			len = n ? (size_t)d[0] + 1 : 1;
			used = n ? 1 : 0;
		}
		s = pick(f, !(which & 1), which >> 1, is_sending);
		if (s)
			send_done(f, s, len, (op & 15) == OP_SEND_ERR ? -ECONNRESET : 0);
		break;
	case OP_TIME:
		f->now += n ? (uint64_t)d[0] * 64 : 64;
		used = n ? 1 : 0;
		break;
	case OP_SETTLE:
		settle(f);
		break;
	default:
		break;
	}
	return used;
}

static const char *const cfg_listener[4] = {
	"", "      cache: c\n", "      request_buffering: off\n", "",
};
static const char *const cfg_upstream[4] = {
	"      retries: 1\n      servers: [ 127.0.0.1:9001, 127.0.0.1:9002 ]\n",
	"      servers: [ 127.0.0.1:9001, 127.0.0.1:9002 ]\n",
	"      retries: 1\n      servers: [ 127.0.0.1:9001 ]\n",
	"      retries: 0\n      servers: [ 127.0.0.1:9001 ]\n",
};

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct fz f;
	size_t off = 1;
	bool manual;

	if (!n)
		return 0;
	fz_begin(&f, cfg_listener[d[0] & 3], cfg_upstream[d[0] & 3]);
	manual = d[0] & 0x80;
	while (off < n) {
		uint8_t op = d[off++];

		fz_step(&f, op_name[op & 15]);
		off += run_op(&f, op, d + off, n - off);
		fz_step_end(&f, manual ? SETTLE_NONE : SETTLE_ALL);
	}
	fz_finish(&f);
	return 0;
}
