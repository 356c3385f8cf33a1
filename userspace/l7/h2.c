// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * An HTTP/2 client connection (nghttp2, driven from the worker's loop): its
 * frames in and out, the limits and flood defences, and the graceful end.
 * Frames are written into private ring buffers and queued per flush; flushes
 * run after the loop's completions and timers, so the proxy is never
 * re-entered from under itself and a turn's responses share a send
 * (docs/http2.md).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7/h2_int.h"
#include "l7/proxy.h"
#include "lib/log.h"
#include "tls/tls.h"

#define H2_TICK_MS      1000
#define H2_LOG_PER_SEC  20
#define H2_CLOSE_MS     5000    /* a session that said GOAWAY for good gets this long to send it */
#define H2_PASSES       8       /* dirty stream passes per flush: the rest waits for the next turn */
/* nghttp2's error past its own CONTINUATION limit (CVE-2024-28182's fix; Debian 12's headers lack the name) */
#define H2_ERR_TOO_MANY_CONTINUATIONS (-905)
#define H2_BOMB         4       /* headers past this many times max_header_list_size: GOAWAY, not a 431 */

const char *const h2_goaway_names[H2_GA_MAX] = {
	[H2_GA_RAPID_RESET] = "rapid_reset", [H2_GA_CONTINUATION] = "continuation_flood",
	[H2_GA_SETTINGS] = "settings_flood", [H2_GA_PING] = "ping_flood", [H2_GA_CONTROL] = "control_flood",
	[H2_GA_HEADER_LIST] = "header_list", [H2_GA_STALLED] = "stalled", [H2_GA_PROTOCOL] = "protocol",
	[H2_GA_SHUTDOWN] = "shutdown", [H2_GA_IDLE] = "idle",
};

const char *const h2_reset_names[H2_RESET_CODES] = {
	"no_error", "protocol_error", "internal_error", "flow_control_error", "settings_timeout", "stream_closed",
	"frame_size_error", "refused_stream", "cancel", "compression_error", "connect_error", "enhance_your_calm",
	"inadequate_security", "http_1_1_required", "other",
};

/* the log line's reason for each GOAWAY a defence sends */
static const char *const goaway_say[H2_GA_MAX] = {
	[H2_GA_RAPID_RESET] = "rapid reset", [H2_GA_CONTINUATION] = "continuation flood",
	[H2_GA_SETTINGS] = "settings flood", [H2_GA_PING] = "ping flood", [H2_GA_CONTROL] = "control frame flood",
	[H2_GA_HEADER_LIST] = "header list too large", [H2_GA_STALLED] = "stalled", [H2_GA_PROTOCOL] = "protocol error",
	[H2_GA_SHUTDOWN] = "shutdown", [H2_GA_IDLE] = "idle",
};

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum { H2_TMR_TICK = 1 };

static void sess_flush(struct h2_sess *s);
static void sess_close(struct h2_sess *s);
static int ob_push(struct h2_sess *s);
static int ob_write(struct h2_sess *s, const void *p, size_t len, struct h2_stream *st);
static const struct conn_ops h2_conn_ops;

static struct h2_sess *sess_of(struct loop_conn *lc)
{
	return ((struct conn *)lc)->h2;
}

static struct h2_stream *stream_get(struct h2_sess *s, int32_t id)
{
	return nghttp2_session_get_stream_user_data(s->ng, id);
}

/* ---- the dirty lists ---- */

void h2_sess_dirty(struct h2_sess *s)
{
	if (s->dirty || s->released)
		return;
	s->dirty = true;
	s->next_dirty = s->w->h2_dirty;
	s->w->h2_dirty = s;
}

void h2_stream_dirty(struct h2_stream *st)
{
	struct h2_sess *s = st->s;

	if (!st->dirty) {
		st->dirty = true;
		st->next_dirty = NULL;
		*s->dirty_tail = st;
		s->dirty_tail = &st->next_dirty;
	}
	h2_sess_dirty(s);
}

/* flush_all() - the loop's hook: every session with work made its frames. */
static void flush_all(struct loop *lp)
{
	struct worker *w = worker_of(lp);

	for (int pass = 0; w->h2_dirty && pass < H2_PASSES; pass++) {
		struct h2_sess *s = w->h2_dirty;

		w->h2_dirty = NULL;
		while (s) {
			struct h2_sess *next = s->next_dirty;

			s->dirty = false;
			sess_flush(s);
			s = next;
		}
	}
}

/* ---- log lines, rate limited per worker ---- */

static __thread uint64_t log_sec;
static __thread unsigned int log_n;

static void sess_log(struct h2_sess *s, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	uint64_t sec = s->w->now_ms / 1000;

	if (sec != log_sec) {
		log_sec = sec;
		log_n = 0;
	}
	if (++log_n > H2_LOG_PER_SEC)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("listener %s: h2: client %s: %s", s->w->l7->ls[s->c->listener].cfg->name, s->peer, msg);
}

/* ---- private ring buffers: the synthesized request bytes, and the frames going out ---- */

/*
 * priv_room() - where @want more bytes go in private buffer *@bid, filled to
 * *@used: a fresh buffer when there is none, or this one is full (our
 * reference on the full one is dropped; whoever holds the bytes keeps its
 * own). *@n: the room there, at most @want. NULL when no buffer is left.
 */
static char *priv_room(struct bufring *br, int *bid, uint32_t *used, size_t want, size_t *n)
{
	if (*bid >= 0 && *used == br->size) {
		bufring_unref(br, (uint16_t)*bid);
		*bid = -1;
	}
	if (*bid < 0) {
		*bid = bufring_priv_get(br);
		if (*bid < 0)
			return NULL;
		*used = 0;
	}
	*n = br->size - *used < want ? br->size - *used : want;
	return bufring_ptr(br, (uint16_t)*bid) + *used;
}

int h2_scratch_write(struct h2_sess *s, struct conn *c, const char *p, size_t len)
{
	struct bufring *br = &s->w->br;

	while (len) {
		struct inbuf *last;
		size_t n;
		char *d = priv_room(br, &s->scratch_bid, &s->scratch_used, len, &n);

		if (!d)
			return -ENOBUFS;
		memcpy(d, p, n);
		last = c->in.tail > c->in.head ? &c->in.v[c->in.tail - 1] : NULL;
		if (last && last->bid == s->scratch_bid && last->len == s->scratch_used) {
			last->len += (uint32_t)n;   /* the same buffer, right after: one piece */
		} else {
			if (inq_push(&c->in, (uint16_t)s->scratch_bid, s->scratch_used + (uint32_t)n))
				return -ENOMEM;
			c->in.v[c->in.tail - 1].off = s->scratch_used;
			bufring_ref(br, (uint16_t)s->scratch_bid);
		}
		s->scratch_used += (uint32_t)n;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- ending ---- */

/*
 * streams_abort() - the session ends: every stream's request is dropped (its
 * connection gets an error EOF), @now or at the next flush (from inside
 * nghttp2's callbacks, where the proxy is not called).
 */
static void streams_abort(struct h2_sess *s, bool now)
{
	struct loop *lp = &s->w->lp;

	for (struct h2_stream *st = s->all; st; st = st->all_next)
		if (st->c && !st->c->dead) {
			st->aborted = true;
			h2_stream_dirty(st);
		}
	if (!now)
		return;
	for (struct h2_stream *st = s->all; st; st = st->all_next)
		if (st->c && !st->c->dead && st->aborted) {
			st->aborted = false;
			st->c->ops->on_eof(lp, &st->c->lc, -ECONNRESET);
		}
}

/*
 * goaway_note() - what every GOAWAY of ours starts with: its count, its log
 * line (not for an idle close), the closing state and H2_CLOSE_MS to get it
 * out. false: the session said one already.
 */
static bool goaway_note(struct h2_sess *s, enum h2_goaway_reason why, uint32_t code, const char *detail)
{
	if (s->closing)
		return false;
	stat_add(s->w->st_h2_goaway[why], 1);
	if (why != H2_GA_IDLE)
		sess_log(s, "%s%s%s: GOAWAY %s", goaway_say[why], detail[0] ? ": " : "", detail,
			 nghttp2_http2_strerror(code));
	s->closing = true;
	loop_timer(&s->w->lp, &s->c->lc, H2_TMR_TICK, H2_CLOSE_MS);
	return true;
}

/*
 * goaway() - a defence tripped (or the protocol broke): GOAWAY with @code,
 * one log line, and the connection closes once that is sent. Streams in
 * flight are dropped: the connection is not one to keep serving.
 */
static void goaway(struct h2_sess *s, enum h2_goaway_reason why, uint32_t code, const char *fmt, ...)
{
	char detail[160] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	if (!goaway_note(s, why, code, detail))
		return;
	nghttp2_session_terminate_session(s->ng, code);
	streams_abort(s, false);
	h2_sess_dirty(s);
}

/*
 * goaway_raw() - GOAWAY ENHANCE_YOUR_CALM written by hand, for when nghttp2
 * has ended the session itself (one of its own limits) and sends nothing
 * more: the client still learns why, and the connection closes once it is out.
 */
static void goaway_raw(struct h2_sess *s, enum h2_goaway_reason why, const char *detail)
{
	int32_t last = nghttp2_session_get_last_proc_stream_id(s->ng);
	uint8_t f[17] = { 0, 0, 8, NGHTTP2_GOAWAY, 0, 0, 0, 0, 0,
			  (uint8_t)(last >> 24 & 0x7f), (uint8_t)(last >> 16), (uint8_t)(last >> 8), (uint8_t)last,
			  0, 0, 0, NGHTTP2_ENHANCE_YOUR_CALM };

	if (!goaway_note(s, why, NGHTTP2_ENHANCE_YOUR_CALM, detail))
		return;
	s->raw_end = true;
	streams_abort(s, true);
	if (s->c->dead || ob_write(s, f, sizeof(f), NULL) || ob_push(s)) {
		sess_close(s);
		return;
	}
	conn_send(s->w, s->c);
}

/* flood() - one more frame of a kind limited per second: past @limit, GOAWAY. */
static int flood(struct h2_sess *s, uint32_t *count, uint32_t limit, enum h2_goaway_reason why)
{
	if (s->w->now_ms - s->win_ms >= 1000) {
		s->win_ms = s->w->now_ms;
		s->n_resets = s->n_settings = s->n_pings = s->n_control = 0;
	}
	if (++*count <= limit)
		return 0;
	goaway(s, why, NGHTTP2_ENHANCE_YOUR_CALM, "more than %u in a second", limit);
	return -1;
}

/* ---- nghttp2's callbacks ---- */

/*
 * Frames are written into private buffers of the loop's buffer ring, which go
 * to the connection's queue as they fill (and at the end of a flush): no
 * allocation per flush, and a send's completion gives them back.
 */

/* ob_push() - the output buffer being written goes to the connection's queue, its reference with it. 0 or -1. */
static int ob_push(struct h2_sess *s)
{
	struct bufring *br = &s->w->br;
	uint16_t bid = (uint16_t)s->ob_bid;

	if (s->ob_bid < 0 || !s->ob_len)
		return 0;   /* an empty one is kept for the next flush */
	s->ob_bid = -1;
	if (outq_push(&s->c->out, SEG_BUF, bufring_ptr(br, bid), s->ob_len, bid)) {
		bufring_unref(br, bid);
		s->ob_len = 0;
		return -1;
	}
	s->ob_len = 0;
	return 0;
}

/* ob_write() - @len bytes of frames: from @p, or (@p NULL) @st's response spans, or zeros (padding). 0 or -1. */
static int ob_write(struct h2_sess *s, const void *p, size_t len, struct h2_stream *st)
{
	struct bufring *br = &s->w->br;

	while (len) {
		size_t n;
		char *d = priv_room(br, &s->ob_bid, &s->ob_len, len, &n);

		if (!d)
			return -1;
		if (p) {
			memcpy(d, p, n);
			p = (const char *)p + n;
		} else if (st) {
			if (h2_stream_copy(st, d, n))
				return -1;
		} else {
			memset(d, 0, n);
		}
		s->ob_len += (uint32_t)n;
		len -= n;
		if (s->ob_len == br->size && ob_push(s))
			return -1;
	}
	return 0;
}

/* ob_room() - false when the connection has enough queued for now (nghttp2 tries again after a send). */
static bool ob_room(const struct h2_sess *s)
{
	return s->c->out.bytes + s->ob_len < OUT_HIGH;
}

static ssize_t cb_send(nghttp2_session *ng, const uint8_t *data, size_t len, int flags, void *user)
{
	struct h2_sess *s = user;

	(void)ng;
	(void)flags;
	if (!ob_room(s))
		return NGHTTP2_ERR_WOULDBLOCK;
	return ob_write(s, data, len, NULL) ? NGHTTP2_ERR_CALLBACK_FAILURE : (ssize_t)len;
}

static int cb_send_data(nghttp2_session *ng, nghttp2_frame *frame, const uint8_t *hd, size_t len,
			nghttp2_data_source *src, void *user)
{
	struct h2_sess *s = user;
	uint8_t padlen;

	(void)ng;
	if (!ob_room(s))
		return NGHTTP2_ERR_WOULDBLOCK;
	padlen = (uint8_t)(frame->data.padlen ? frame->data.padlen - 1 : 0);
	if (ob_write(s, hd, 9, NULL) || (frame->data.padlen && ob_write(s, &padlen, 1, NULL)) ||
	    ob_write(s, NULL, len, src->ptr) || ob_write(s, NULL, padlen, NULL))
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	s->data_ms = s->w->now_ms;
	return 0;
}

static int cb_begin_frame(nghttp2_session *ng, const nghttp2_frame_hd *hd, void *user)
{
	struct h2_sess *s = user;

	(void)ng;
	if (hd->type == NGHTTP2_HEADERS)
		s->n_cont = 0;
	else if (hd->type == NGHTTP2_PRIORITY)   /* counted here: without RFC 7540 priorities nghttp2 hands none on */
		flood(s, &s->n_control, s->cfg->max_control_frames, H2_GA_CONTROL);
	else if (hd->type == NGHTTP2_CONTINUATION && ++s->n_cont > s->cfg->max_continuations)
		goaway(s, H2_GA_CONTINUATION, NGHTTP2_ENHANCE_YOUR_CALM, "more than %u CONTINUATION frames in a header block",
		       s->cfg->max_continuations);
	return 0;
}

static int cb_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct h2_sess *s = user;
	struct h2_stream *st;

	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST || s->closing)
		return 0;
	st = h2_stream_new(s, frame->hd.stream_id);
	if (!st)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;   /* the stream is reset */
	st->all_next = s->all;
	if (s->all)
		s->all->all_pprev = &st->all_next;
	st->all_pprev = &s->all;
	s->all = st;
	nghttp2_session_set_stream_user_data(ng, frame->hd.stream_id, st);
	stat_add(s->w->st_h2_streams, 1);
	return 0;
}

static int cb_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name, size_t nlen,
		     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
	struct h2_sess *s = user;
	struct h2_stream *st = stream_get(s, frame->hd.stream_id);

	(void)ng;
	(void)flags;
	if (!st || s->closing)
		return 0;
	/*
	 * RFC 9113 6.5.2's size. Past the limit the request gets a 431, as over
	 * HTTP/1.1, and nothing more is kept; far past it (H2_BOMB times), a
	 * small block decoding to that much is an HPACK bomb: GOAWAY.
	 */
	if (st->hdr_bytes + nlen + vlen + 32 > (uint64_t)s->cfg->max_header_list_size * H2_BOMB) {
		goaway(s, H2_GA_HEADER_LIST, NGHTTP2_ENHANCE_YOUR_CALM, "stream %d: more than %u bytes of headers",
		       frame->hd.stream_id, s->cfg->max_header_list_size * H2_BOMB);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	st->hdr_bytes += (uint32_t)(nlen + vlen + 32);
	if (st->hdr_bytes > s->cfg->max_header_list_size)
		st->too_big = true;
	if (frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return h2_stream_trailer(st, name, nlen, value, vlen) ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
	return h2_stream_header(st, name, nlen, value, vlen) ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
}

static int cb_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct h2_sess *s = user;
	struct h2_stream *st = frame->hd.stream_id ? stream_get(s, frame->hd.stream_id) : NULL;

	(void)ng;
	switch (frame->hd.type) {
	case NGHTTP2_HEADERS:
		if (!st || s->closing)
			break;
		if (frame->headers.cat == NGHTTP2_HCAT_REQUEST)
			h2_stream_head_done(st, frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
		else if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
			h2_stream_end(st);
		break;
	case NGHTTP2_DATA:
		if (!frame->hd.length && !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
		    flood(s, &s->n_control, s->cfg->max_control_frames, H2_GA_CONTROL))
			break;
		if (st && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
			h2_stream_end(st);
		break;
	case NGHTTP2_RST_STREAM:
		stat_add(s->w->st_h2_resets[0][frame->rst_stream.error_code < H2_RESET_CODES - 1 ?
					       frame->rst_stream.error_code : H2_RESET_CODES - 1], 1);
		flood(s, &s->n_resets, s->cfg->max_resets, H2_GA_RAPID_RESET);
		break;
	case NGHTTP2_SETTINGS:
		if (!(frame->hd.flags & NGHTTP2_FLAG_ACK))
			flood(s, &s->n_settings, s->cfg->max_control_frames, H2_GA_SETTINGS);
		break;
	case NGHTTP2_PING:
		if (!(frame->hd.flags & NGHTTP2_FLAG_ACK))
			flood(s, &s->n_pings, s->cfg->max_control_frames, H2_GA_PING);
		break;
	case NGHTTP2_WINDOW_UPDATE:
		s->data_ms = s->w->now_ms;   /* room again: the stall clock restarts */
		break;
	default:
		break;
	}
	return 0;
}

static int cb_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
			 void *user)
{
	struct h2_sess *s = user;
	struct h2_stream *st = stream_get(s, id);

	(void)flags;
	if (!st || !st->c || st->c->dead || s->closing) {
		nghttp2_session_consume(ng, id, len);   /* nobody wants it: the window is given back at once */
		if (st && st->discarding && (st->discarded += len) > s->cfg->stream_window) {
			st->discarding = false;
			nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
		}
		return 0;
	}
	if (h2_stream_data(st, data, len)) {
		nghttp2_session_consume(ng, id, len);
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
		st->aborted = true;
	}
	return 0;
}

static int cb_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *user)
{
	struct h2_stream *st = stream_get(user, id);

	(void)ng;
	if (st)
		h2_stream_closed(st, code);
	return 0;
}

static int cb_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct h2_sess *s = user;

	(void)ng;
	if (frame->hd.type == NGHTTP2_RST_STREAM)
		stat_add(s->w->st_h2_resets[1][frame->rst_stream.error_code < H2_RESET_CODES - 1 ?
					       frame->rst_stream.error_code : H2_RESET_CODES - 1], 1);
	/* a GOAWAY nghttp2 sent of itself (ours set closing first): it refused a frame */
	if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR)
		goaway_note(s, H2_GA_PROTOCOL, frame->goaway.error_code, "a frame HTTP/2 does not allow");
	return 0;
}

static nghttp2_session_callbacks *callbacks;

static void callbacks_make(void)
{
	nghttp2_session_callbacks *cb;

	if (nghttp2_session_callbacks_new(&cb))
		return;
	nghttp2_session_callbacks_set_send_callback(cb, cb_send);
	nghttp2_session_callbacks_set_send_data_callback(cb, cb_send_data);
	nghttp2_session_callbacks_set_on_begin_frame_callback(cb, cb_begin_frame);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, cb_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, cb_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, cb_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, cb_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, cb_stream_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, cb_frame_send);
	callbacks = cb;
}

/* ---- the session's flush: stream work, frames, the send ---- */

static void streams_work(struct h2_sess *s)
{
	for (int pass = 0; s->dirty_streams && pass < H2_PASSES; pass++) {
		struct h2_stream *st = s->dirty_streams;

		s->dirty_streams = NULL;
		s->dirty_tail = &s->dirty_streams;
		while (st) {
			struct h2_stream *next = st->next_dirty;

			st->dirty = false;
			if (!s->released)
				h2_stream_work(st);
			if (st->h2_closed && !st->c && !st->dirty) {
				*st->all_pprev = st->all_next;
				if (st->all_next)
					st->all_next->all_pprev = st->all_pprev;
				h2_stream_free(st);
			}
			st = next;
		}
	}
	if (s->dirty_streams)
		h2_sess_dirty(s);   /* more than H2_PASSES rounds: the next turn goes on */
}

static void sess_flush(struct h2_sess *s)
{
	struct conn *c = s->c;

	if (s->released || c->dead || s->raw_end)
		return;
	for (int pass = 0; pass < 2; pass++) {
		streams_work(s);
		if (s->released || c->dead)
			return;
		if (nghttp2_session_send(s->ng)) {
			sess_close(s);
			return;
		}
		if (ob_push(s)) {
			sess_close(s);
			return;
		}
		if (!s->dirty_streams)
			break;   /* what was framed is consumed on the streams next pass */
	}
	conn_send(s->w, c);
	if (!nghttp2_session_want_read(s->ng) && !nghttp2_session_want_write(s->ng)) {
		s->closing = true;
		if (c->out.head == c->out.tail && !c->out.inflight)
			sess_close(s);
	}
}

/* ---- the connection's handlers ---- */

static void sess_close(struct h2_sess *s)
{
	struct conn *c = s->c;

	if (c->dead)
		return;
	s->closing = true;
	streams_abort(s, true);
	conn_close(s->w, c);
}

static void h2_on_recv(struct loop *lp, struct loop_conn *lc)
{
	struct conn *c = conn_of(lc);
	struct h2_sess *s = sess_of(lc);

	while (c->in.head < c->in.tail && !c->dead) {
		struct inbuf *e = &c->in.v[c->in.head++];
		ssize_t n = 0;

		if (!s->closing)
			n = nghttp2_session_mem_recv(s->ng, (const uint8_t *)bufring_ptr(&lp->br, e->bid) + e->off,
						     e->len - e->off);
		bufring_unref(&lp->br, e->bid);
		if (n < 0) {
			/* nghttp2 is done with the session: a defence of its own says GOAWAY in our words */
			if (n == H2_ERR_TOO_MANY_CONTINUATIONS) {
				goaway_raw(s, H2_GA_CONTINUATION, "more CONTINUATION frames in a header block than nghttp2 takes");
				break;
			}
			if (n == NGHTTP2_ERR_FLOODED) {
				goaway_raw(s, H2_GA_CONTROL, "it does not read our answers");
				break;
			}
			if (n == NGHTTP2_ERR_BAD_CLIENT_MAGIC)
				sess_log(s, "protocol error: not the HTTP/2 connection preface");
			else
				sess_log(s, "protocol error: %s", nghttp2_strerror((int)n));
			stat_add(s->w->st_h2_goaway[H2_GA_PROTOCOL], 1);
			sess_close(s);
			return;
		}
	}
	if (c->in.head == c->in.tail)
		c->in.head = c->in.tail = 0;
	if (!c->dead && !s->raw_end)
		sess_flush(s);
}

static void h2_on_sent(struct loop *lp, struct loop_conn *lc)
{
	struct conn *c = conn_of(lc);
	struct h2_sess *s = sess_of(lc);

	(void)lp;
	if (s->closing && c->out.head == c->out.tail && !c->out.inflight) {
		sess_close(s);
		return;
	}
	if (s->raw_end)
		return;   /* nghttp2 ended the session: nothing more to make */
	if (c->out.bytes < OUT_LOW)
		sess_flush(s);   /* room again: frames that waited */
}

static void h2_on_connect(struct loop *lp, struct loop_conn *lc, int res)
{
	(void)lp;
	(void)lc;
	(void)res;
}

static void h2_on_eof(struct loop *lp, struct loop_conn *lc, int err)
{
	(void)lp;
	(void)err;
	sess_close(sess_of(lc));
}

static bool same_settings(const struct cfg_http2 *a, const struct cfg_http2 *b)
{
	return a->enabled == b->enabled && a->max_concurrent_streams == b->max_concurrent_streams &&
	       a->max_header_list_size == b->max_header_list_size && a->header_table_size == b->header_table_size &&
	       a->stream_window == b->stream_window && a->connection_window == b->connection_window &&
	       a->max_resets == b->max_resets && a->max_control_frames == b->max_control_frames &&
	       a->max_continuations == b->max_continuations;
}

/*
 * tick() - once a second: the graceful end (a drain or binary upgrade, or
 * a reload that changed or removed this listener's HTTP/2: a first GOAWAY
 * that new streams should go elsewhere, the final one a second later,
 * streams in flight finish), the idle close, and the stall check. Any other
 * reload needs no GOAWAY: the next stream is served by the new
 * configuration, as an HTTP/1.1 connection's next request is.
 */
static void h2_on_timer(struct loop *lp, struct loop_conn *lc, uint8_t kind)
{
	struct conn *c = conn_of(lc);
	struct h2_sess *s = sess_of(lc);
	struct worker *w = worker_of(lp);
	const struct cfg_listener *l = w->l7->ls[c->listener].cfg;
	uint64_t now = w->now_ms;

	(void)kind;
	if (s->closing) {
		sess_close(s);   /* the GOAWAY had H2_CLOSE_MS to go out */
		return;
	}
	if (!s->notice_sent && w->gen_seq != s->gen_seq && !w->l7->ls[c->listener].removed &&
	    same_settings(s->cfg, &l->http2))
		s->gen_seq = w->gen_seq;   /* a reload that leaves this listener's HTTP/2 as it was: the next stream has it */
	if (!s->notice_sent && (w->stopping || w->gen_seq != s->gen_seq || w->l7->ls[c->listener].removed)) {
		nghttp2_submit_shutdown_notice(s->ng);
		s->notice_sent = true;
		s->notice_ms = now;
		stat_add(w->st_h2_goaway[H2_GA_SHUTDOWN], 1);
	} else if (s->notice_sent && !s->final_sent && now - s->notice_ms >= H2_TICK_MS) {
		nghttp2_submit_goaway(s->ng, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(s->ng),
				      NGHTTP2_NO_ERROR, NULL, 0);
		s->final_sent = true;
	}
	if (!s->n_streams && !s->notice_sent && now - s->last_active_ms >= l->client_idle_ms) {
		goaway(s, H2_GA_IDLE, NGHTTP2_NO_ERROR, NULL);
	} else if (s->pending_bytes && now - s->data_ms >= l->client_idle_ms) {
		goaway(s, H2_GA_STALLED, NGHTTP2_ENHANCE_YOUR_CALM, "took no response data for %u ms",
		       l->client_idle_ms);
	}
	if (!s->closing)
		loop_timer(lp, lc, H2_TMR_TICK, H2_TICK_MS);
	sess_flush(s);
}

static void h2_on_released(struct loop *lp, struct loop_conn *lc)
{
	struct conn *c = conn_of(lc);
	struct h2_sess *s = sess_of(lc);
	struct worker *w = worker_of(lp);

	s->released = true;
	nghttp2_session_del(s->ng);
	while (s->all) {
		struct h2_stream *st = s->all;

		s->all = st->all_next;
		if (st->c) {
			/* its connection is closed already (sess_close): only the link is left */
			st->c->xf = NULL;
			st->c = NULL;
		}
		h2_stream_destroy(st);
	}
	while (s->st_free) {
		struct h2_stream *st = s->st_free;

		s->st_free = st->next_dirty;
		h2_stream_destroy(st);
	}
	if (s->scratch_bid >= 0)
		bufring_unref(&lp->br, (uint16_t)s->scratch_bid);
	if (s->ob_bid >= 0)
		bufring_unref(&lp->br, (uint16_t)s->ob_bid);
	/* remove it from the worker's dirty list */
	for (struct h2_sess **p = &w->h2_dirty; *p; p = &(*p)->next_dirty)
		if (*p == s) {
			*p = s->next_dirty;
			break;
		}
	free(s);
	c->h2 = NULL;
	proxy_conn_released(w, c);
}

static const struct conn_ops h2_conn_ops = {
	.on_recv = h2_on_recv,
	.on_sent = h2_on_sent,
	.on_connect = h2_on_connect,
	.on_eof = h2_on_eof,
	.on_timer = h2_on_timer,
	.on_released = h2_on_released,
};

/* ---- the start ---- */

static pthread_once_t callbacks_once = PTHREAD_ONCE_INIT;

static void hooks_add(struct worker *w)
{
	if (w->h2_hooked)
		return;
	if (!loop_hook_add(&w->lp, LOOP_AFTER_CQES, flush_all) && !loop_hook_add(&w->lp, LOOP_ON_TICK, flush_all))
		w->h2_hooked = true;
}

static struct h2_sess *sess_new(struct worker *w, struct conn *c, const struct cfg_http2 *cfg)
{
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, cfg->max_concurrent_streams },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, cfg->stream_window },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, cfg->max_header_list_size },
		{ NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, cfg->header_table_size },
		/* no RFC 7540 priority tree: streams are served as they come, and closed ones are not kept for it */
		{ NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1 },
	};
	nghttp2_option *opt;
	struct h2_sess *s;
	int err;

	pthread_once(&callbacks_once, callbacks_make);
	if (!callbacks || nghttp2_option_new(&opt))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		nghttp2_option_del(opt);
		return NULL;
	}
	/* windows are given back as the proxy takes the bytes: a slow upstream slows its stream's sender */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
	nghttp2_option_set_no_closed_streams(opt, 1);
	/* nghttp2's own limits just past ours: ours trip first, with their GOAWAY and log line */
	nghttp2_option_set_max_continuations(opt, cfg->max_continuations + 1);
	nghttp2_option_set_stream_reset_rate_limit(opt, 2ull * cfg->max_resets, cfg->max_resets);
	err = nghttp2_session_server_new2(&s->ng, callbacks, s, opt);
	nghttp2_option_del(opt);
	if (err) {
		free(s);
		return NULL;
	}
	s->w = w;
	s->c = c;
	s->cfg_copy = *cfg;
	s->cfg = &s->cfg_copy;
	s->scratch_bid = -1;
	s->ob_bid = -1;
	s->dirty_tail = &s->dirty_streams;
	s->gen_seq = w->gen_seq;
	s->last_active_ms = s->data_ms = s->win_ms = w->now_ms;
	if (nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) ||
	    nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE, 0, (int32_t)cfg->connection_window)) {
		nghttp2_session_del(s->ng);
		free(s);
		return NULL;
	}
	return s;
}

/* preface() - 1: the input starts with HTTP/2's connection preface; 0: it does not; -1: too short to tell. */
static int preface(struct worker *w, const struct conn *c)
{
	size_t have = 0;

	for (uint32_t i = c->in.head; i < c->in.tail && have < sizeof(h2_preface) - 1; i++) {
		const struct inbuf *e = &c->in.v[i];
		size_t n = e->len - e->off;

		if (n > sizeof(h2_preface) - 1 - have)
			n = sizeof(h2_preface) - 1 - have;
		if (memcmp(bufring_ptr(&w->br, e->bid) + e->off, h2_preface + have, n))
			return 0;
		have += n;
	}
	return have == sizeof(h2_preface) - 1 ? 1 : -1;
}

int h2_detect(struct worker *w, struct conn *c)
{
	const struct cfg_listener *l = w->l7->ls[c->listener].cfg;
	struct tls_info ti;
	struct h2_sess *s;

	if (l->http2.enabled) {
		int v = 1;

		if (c->xf)
			v = tls_info(&c->lc, &ti) && ti.alpn && !strcmp(ti.alpn, "h2");
		else
			v = preface(w, c);
		if (v < 0)
			return -1;
		if (v)
			goto h2;
	}
	c->proto_known = true;
	stat_add(w->st_h1_conns, 1);
	return 0;
h2:
	c->proto_known = true;
	s = sess_new(w, c, &l->http2);
	if (!s) {
		conn_close(w, c);
		return 1;
	}
	hooks_add(w);
	loop_conn_peer(&c->lc, s->peer, sizeof(s->peer));
	c->h2 = s;
	c->lc.ops = &h2_conn_ops;
	stat_add(w->st_h2_conns, 1);
	loop_timer(&w->lp, &c->lc, H2_TMR_TICK, H2_TICK_MS);
	h2_on_recv(&w->lp, &c->lc);
	return 1;
}

bool h2_is_stream(const struct conn *c)
{
	return c->xf && c->xf->ops == &h2_stream_xops;
}

struct loop_conn *h2_wire(struct conn *c)
{
	return h2_is_stream(c) ? &((struct h2_stream *)c->xf)->s->c->lc : &c->lc;
}
