// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: the HTTP/2 glue (l7/h2.c, l7/h2_stream.c) inside the
 * whole worker, on fuzz_worker.h's fake kernel. One client of a cleartext
 * listener with `http2: true` sends the h2c preface, then the fuzzer's
 * frames; each stream becomes a connection of the HTTP/1.1 proxy, and every
 * upstream that serves one answers with the fuzzer's response bytes.
 *
 * Input:
 *   byte 0     bits 0-1: how the client's bytes are cut (whole, 256, 32 or 7
 *              bytes at a time: frames straddle receives);
 *              bits 2-3: the listener (http2: true; tight limits: 2 streams,
 *              small windows and flood budgets; a cache; no request buffering);
 *              bit 4: each upstream closes after its response (close-delimited);
 *              bit 5: a second of time passes after each piece (ticks, stalls,
 *              timeouts);
 *              bit 6: the client's sends complete only in 100-byte parts;
 *              bit 7: the harness does not send the preface (the input's
 *              first bytes are tested for it: h2c detection and HTTP/1.1).
 *   bytes 1-2  big-endian: bit 15: the config is reloaded (the same text, a new
 *              generation: sessions end gracefully) once half of the client's
 *              bytes are in; bits 0-14: L, the client's bytes are the next L
 *              (or what is left).
 *   the rest   the response every upstream sends when it serves a stream
 *              (a pooled one again for each new stream).
 *
 * tests/fuzz/h2_seeds.py writes the seeds (tests/fuzz/h2_corpus); `make
 * test` replays them and tests/fuzz/h2_repro.
 */
#include "fuzz_worker.h"

#define H2_CUT_DIV    4
#define H2_ROUNDS     16        /* answer rounds a piece may start: an answer lets a queued stream go upstream */
#define H2_PART_BYTES 100

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
static const size_t h2_cuts[H2_CUT_DIV] = { SIZE_MAX, 256, 32, 7 };

static const char *const h2_listener[4] = {
	"      http2: true\n",
	"      http2:\n"
	"        enabled: true\n"
	"        max_concurrent_streams: 2\n"
	"        max_header_list_size: 1KiB\n"
	"        header_table_size: 1KiB\n"
	"        stream_window: 65535\n"
	"        connection_window: 65535\n"
	"        max_resets: 3\n"
	"        max_control_frames: 5\n"
	"        max_continuations: 2\n",
	"      http2: true\n      cache: c\n",
	"      http2: true\n      request_buffering: off\n",
};
static const char h2_upstream[] = "      retries: 1\n      servers: [ 127.0.0.1:9001, 127.0.0.1:9002 ]\n";

/* Which stream each upstream socket last answered: a pooled upstream answers again for a new one. */
struct answered {
	bool set;
	uint32_t idx, gen;            /* the upstream's connection */
	uint32_t peer_idx, peer_gen;  /* the stream connection it served */
};

struct h2_run {
	uint8_t flags;
	const uint8_t *resp;
	size_t resp_len;
	struct answered ans[FZ_MAX_SOCKS];
};

/* answer() - every upstream serving a stream it has not answered sends the response. Returns how many did. */
static int answer(struct fz *f, struct h2_run *r)
{
	int n = 0;

	for (int i = 0; i < FZ_MAX_SOCKS; i++) {
		struct fsock *s = &f->socks[i];
		struct conn *c = s->used && !s->client && !s->connecting ? sock_conn(f, s) : NULL;
		struct answered *a = &r->ans[i];

		if (!c || !c->peer)
			continue;
		if (a->set && a->idx == s->idx && a->gen == s->gen && a->peer_idx == c->peer->idx &&
		    a->peer_gen == c->peer->gen)
			continue;
		*a = (struct answered){ true, s->idx, s->gen, c->peer->idx, c->peer->gen };
		sock_peer_data(s, r->resp, r->resp_len);
		if (r->flags & 0x10)
			s->fin = 1;
		n++;
	}
	return n;
}

/* client_sends_part() - the client's send in flight, if any, completes with at most H2_PART_BYTES. */
static void client_sends_part(struct fz *f)
{
	struct fsock *s = pick(f, true, 0, NULL);

	if (s)
		send_done(f, s, H2_PART_BYTES, 0);
}

/* piece() - the client sends @len bytes at @d (none: the step only lets things run), then upstreams answer. */
static void piece(struct fz *f, struct h2_run *r, const uint8_t *d, size_t len)
{
	bool parts = r->flags & 0x40;
	enum settle_mode mode = parts ? SETTLE_UPSTREAMS : SETTLE_ALL;
	struct fsock *s;

	fz_step(f, "client frames");
	s = pick(f, true, 0, NULL);
	if (s)
		sock_peer_data(s, d, len);
	if (parts)
		client_sends_part(f);
	fz_step_end(f, mode);
	for (int round = 0; round < H2_ROUNDS; round++) {
		fz_step(f, "upstreams answer");
		if (!answer(f, r)) {
			fz_step_end(f, mode);
			break;
		}
		if (parts)
			client_sends_part(f);
		fz_step_end(f, mode);
	}
	if (r->flags & 0x20) {
		fz_step(f, "a second passes");
		f->now += 1000;
		fz_step_end(f, mode);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct fz f;
	static struct h2_run r;
	size_t len, cut;
	const uint8_t *c;
	bool reload;

	if (n < 3)
		return 0;
	memset(&r, 0, sizeof(r));
	r.flags = d[0];
	cut = h2_cuts[r.flags & 3];
	reload = d[1] & 0x80;
	len = (size_t)(d[1] & 0x7f) << 8 | d[2];
	if (len > n - 3)
		len = n - 3;
	c = d + 3;
	r.resp = c + len;
	r.resp_len = n - 3 - len;
	fz_begin(&f, h2_listener[(r.flags >> 2) & 3], h2_upstream);
	if (!(r.flags & 0x80))
		piece(&f, &r, (const uint8_t *)h2_preface, sizeof(h2_preface) - 1);
	for (size_t off = 0, k; off < len; off += k) {
		k = cut < len - off ? cut : len - off;
		piece(&f, &r, c + off, k);
		if (reload && off + k >= len / 2) {
			/* what l7_reload() does that a worker sees (it would start threads here: no workers run) */
			atomic_fetch_add(&f.l7->gen_seq, 1);
			reload = false;
		}
	}
	/* what the last piece left waiting: windows, sends in parts, timers */
	for (int i = 0; i < 4; i++)
		piece(&f, &r, NULL, 0);
	fz_finish(&f);
	return 0;
}
