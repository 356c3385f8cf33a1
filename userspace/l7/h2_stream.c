// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * An HTTP/2 stream as an HTTP/1.1 client of the proxy: its request is written
 * as an HTTP/1.1 message into the stream connection's input, and the
 * HTTP/1.1 response the proxy queues on that connection is parsed back into
 * a HEADERS frame and DATA. The proxy never knows: routing, balancing,
 * retries, the cache, limits and the access log are the ones every request
 * gets (docs/http2.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "l7/h2_int.h"
#include "l7/proxy.h"
#include "lib/log.h"

#define H2_RESP_HEAD_LIMIT (64 * 1024)

static struct h2_stream *stream_of(const struct loop_conn *c)
{
	return (struct h2_stream *)c->xf;
}

/*
 * A session keeps up to H2_STREAMS_KEPT ended streams to reuse, with their
 * head buffer, span array and response parser (and its buffers): a stream
 * costs no allocation of ours once a connection is warm.
 */
#define H2_STREAMS_KEPT 16

struct h2_stream *h2_stream_new(struct h2_sess *s, int32_t id)
{
	struct h2_stream *st = s->st_free;

	if (st) {
		char *head = st->head;
		uint32_t head_cap = st->head_cap, sp_cap = st->sp_cap;
		struct h2_span *sp = st->sp;
		struct http_msg *rm = st->rm;

		s->st_free = st->next_dirty;
		s->n_st_free--;
		memset(st, 0, sizeof(*st));
		st->head = head;
		st->head_cap = head_cap;
		st->sp = sp;
		st->sp_cap = sp_cap;
		st->rm = rm;
		st->rm_kept = rm != NULL;
	} else if (!(st = calloc(1, sizeof(*st)))) {
		return NULL;
	}
	st->xf.ops = &h2_stream_xops;
	st->s = s;
	st->id = id;
	return st;
}

void h2_stream_free(struct h2_stream *st)
{
	struct h2_sess *s = st->s;

	if (!s->released && s->n_st_free < H2_STREAMS_KEPT) {
		st->next_dirty = s->st_free;
		s->st_free = st;
		s->n_st_free++;
		return;
	}
	h2_stream_destroy(st);
}

void h2_stream_destroy(struct h2_stream *st)
{
	if (st->rm) {
		http_msg_free_head(st->rm);
		free(st->rm);
	}
	free(st->head);
	free(st->sp);
	free(st);
}

/* ---- the request: headers into an HTTP/1.1 head ---- */

static int head_put(struct h2_stream *st, const char *p, size_t len)
{
	if (st->head_len + len > st->head_cap) {
		uint32_t cap = st->head_cap ? st->head_cap : 512;
		char *n;

		while (cap < st->head_len + len)
			cap *= 2;
		n = realloc(st->head, cap);
		if (!n)
			return -ENOMEM;
		st->head = n;
		st->head_cap = cap;
	}
	memcpy(st->head + st->head_len, p, len);
	st->head_len += (uint32_t)len;
	return 0;
}

/* A request line's pieces and Host go on one line: bytes a parser would split on are refused. */
static bool plain(const uint8_t *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] <= 0x20 || v[i] == 0x7f)
			return false;
	return len > 0;
}

static bool named(const uint8_t *name, size_t nlen, const char *lit)
{
	return nlen == strlen(lit) && !memcmp(name, lit, nlen);
}

/*
 * The head is kept in three parts until it is complete: the pseudo-headers
 * (method, path, authority, each "\0"-ended at the start of head, in the
 * order nghttp2 guarantees they come: before any regular header), then the
 * regular header lines. Cookie crumbs are joined at the end.
 */
int h2_stream_header(struct h2_stream *st, const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen)
{
	if (st->bad || st->too_big)
		return 0;
	if (nlen && name[0] == ':') {
		if (named(name, nlen, ":method")) {
			st->is_head = vlen == 4 && !memcmp(value, "HEAD", 4);
			st->is_connect = vlen == 7 && !memcmp(value, "CONNECT", 7);
			if (!plain(value, vlen))
				st->bad = true;
			return head_put(st, "M", 1) || head_put(st, (const char *)value, vlen) || head_put(st, "", 1);
		}
		if (named(name, nlen, ":path")) {
			if (!plain(value, vlen))
				st->bad = true;
			return head_put(st, "P", 1) || head_put(st, (const char *)value, vlen) || head_put(st, "", 1);
		}
		if (named(name, nlen, ":authority")) {
			if (!plain(value, vlen))
				st->bad = true;
			st->have_authority = true;
			return head_put(st, "A", 1) || head_put(st, (const char *)value, vlen) || head_put(st, "", 1);
		}
		return 0;   /* :scheme (nghttp2 checked it), :protocol (not enabled: refused by nghttp2) */
	}
	/* the Host an :authority gives wins (RFC 9113 8.3.1); te can only be "trailers" here: hop-by-hop anyway */
	if ((st->have_authority && named(name, nlen, "host")) || named(name, nlen, "te"))
		return 0;
	if (named(name, nlen, "content-length"))
		st->have_cl = true;
	if (named(name, nlen, "expect")) {
		/* answered here, at once: the proxy would not pass an upstream's 100 on */
		st->expect_100 = vlen == 12 && !strncasecmp((const char *)value, "100-continue", 12);
		return 0;
	}
	if (named(name, nlen, "cookie"))
		return head_put(st, "C", 1) || head_put(st, (const char *)value, vlen) || head_put(st, "", 1);
	return head_put(st, "H", 1) || head_put(st, (const char *)name, nlen) || head_put(st, ": ", 2) ||
	       head_put(st, (const char *)value, vlen) || head_put(st, "", 1);
}

/* answer() - a response made here, without the proxy (a request the translation refuses). */
static void answer(struct h2_stream *st, int status)
{
	char code[4];
	nghttp2_nv nv[2] = {
		{ (uint8_t *)":status", (uint8_t *)code, 7, 3, NGHTTP2_NV_FLAG_NONE },
		{ (uint8_t *)"content-length", (uint8_t *)"0", 14, 1, NGHTTP2_NV_FLAG_NONE },
	};

	snprintf(code, sizeof(code), "%03d", status);
	st->resp_submitted = st->resp_done = true;
	nghttp2_submit_response(st->s->ng, st->id, nv, 2, NULL);
	h2_sess_dirty(st->s);
}

static int put(struct h2_stream *st, const char *p, size_t len)
{
	return h2_scratch_write(st->s, st->c, p, len);
}

static int puts_(struct h2_stream *st, const char *p)
{
	return put(st, p, strlen(p));
}

/* write_head() - the request line, Host, the headers and the framing, into the stream connection's input. */
static int write_head(struct h2_stream *st, bool end_stream)
{
	const char *method = NULL, *path = NULL, *authority = NULL;
	bool cookie = false;
	int err = 0;

	for (uint32_t i = 0; i < st->head_len; i += (uint32_t)strlen(st->head + i) + 1) {
		const char *v = st->head + i + 1;

		if (st->head[i] == 'M')
			method = v;
		else if (st->head[i] == 'P')
			path = v;
		else if (st->head[i] == 'A')
			authority = v;
	}
	if (!method || !path)
		return -EINVAL;
	err = puts_(st, method) || put(st, " ", 1) || puts_(st, path) || put(st, " HTTP/1.1\r\n", 11);
	if (!err && authority)
		err = put(st, "Host: ", 6) || puts_(st, authority) || put(st, "\r\n", 2);
	for (uint32_t i = 0; !err && i < st->head_len; i += (uint32_t)strlen(st->head + i) + 1)
		if (st->head[i] == 'H')
			err = puts_(st, st->head + i + 1) || put(st, "\r\n", 2);
	/* the crumbs of one Cookie (RFC 9113 8.2.3), wherever they came: joined again for HTTP/1.1 */
	for (uint32_t i = 0; !err && i < st->head_len; i += (uint32_t)strlen(st->head + i) + 1)
		if (st->head[i] == 'C') {
			err = put(st, cookie ? "; " : "Cookie: ", cookie ? 2 : 8) || puts_(st, st->head + i + 1);
			cookie = true;
		}
	if (!err && cookie)
		err = put(st, "\r\n", 2);
	/* a body of unknown length: chunked for HTTP/1.1 (END_STREAM marks its end) */
	st->chunked = !end_stream && !st->have_cl;
	if (!err && st->chunked)
		err = put(st, "Transfer-Encoding: chunked\r\n", 28);
	if (!err)
		err = put(st, "\r\n", 2);
	return err ? -ENOMEM : 0;
}

int h2_stream_head_done(struct h2_stream *st, bool end_stream)
{
	struct h2_sess *s = st->s;
	struct worker *w = s->w;
	struct conn *c;

	if (st->bad || st->too_big) {
		answer(st, st->too_big ? 431 : 400);
		return 0;
	}
	if (st->is_connect) {
		/* a CONNECT tunnel inside a stream is not supported: the forward proxy's CONNECT needs HTTP/1.1 */
		answer(st, 501);
		return 0;
	}
	c = conn_new(w, CONN_CLIENT, -1);
	if (!c) {
		nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	c->listener = s->c->listener;
	memcpy(c->ip, s->c->ip, sizeof(c->ip));
	c->proto_known = true;
	c->xf = &st->xf;
	st->c = c;
	s->n_streams++;
	s->last_active_ms = w->now_ms;
	if (write_head(st, end_stream)) {
		/* out of buffers: refused, which a client may retry */
		nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_REFUSED_STREAM);
		st->aborted = true;
	}
	st->head_len = 0;   /* the buffer is kept for the request's trailers, and the next stream */
	st->req_end = end_stream;
	st->deliver = true;
	if (st->expect_100 && !end_stream) {
		nghttp2_nv nv = { (uint8_t *)":status", (uint8_t *)"100", 7, 3, NGHTTP2_NV_FLAG_NONE };

		nghttp2_submit_headers(s->ng, NGHTTP2_FLAG_NONE, st->id, NULL, &nv, 1, NULL);
	}
	h2_stream_dirty(st);
	return 0;
}

int h2_stream_data(struct h2_stream *st, const uint8_t *data, size_t len)
{
	char line[20];
	int err;

	if (st->chunked) {
		int n = snprintf(line, sizeof(line), "%zx\r\n", len);

		err = put(st, line, (size_t)n) || put(st, (const char *)data, len) || put(st, "\r\n", 2);
	} else {
		err = put(st, (const char *)data, len);
	}
	if (err)
		return -ENOBUFS;
	st->owed += len;
	st->deliver = true;
	h2_stream_dirty(st);
	return 0;
}

/* Trailers wait in head (the request's head has gone by then) for the last chunk. */
int h2_stream_trailer(struct h2_stream *st, const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen)
{
	if (!st->chunked || !http_trailer_ok((const char *)name, nlen))
		return 0;   /* a body with a content-length has no HTTP/1.1 trailers to carry them */
	return head_put(st, (const char *)name, nlen) || head_put(st, ": ", 2) ||
	       head_put(st, (const char *)value, vlen) || head_put(st, "\r\n", 2);
}

void h2_stream_end(struct h2_stream *st)
{
	if (st->req_end)
		return;
	st->req_end = true;
	if (st->chunked && st->c &&
	    (put(st, "0\r\n", 3) || (st->head_len && put(st, st->head, st->head_len)) || put(st, "\r\n", 2)))
		st->aborted = true;
	st->deliver = true;
	h2_stream_dirty(st);
}

void h2_stream_closed(struct h2_stream *st, uint32_t code)
{
	(void)code;
	st->h2_closed = true;
	/* a stream that ends before its response did (a reset, either side): the proxy drops the request */
	if (st->c && !(st->resp_done && !st->sp_bytes))
		st->aborted = true;
	h2_stream_dirty(st);
}

/* ---- the response: the proxy's HTTP/1.1 output into HEADERS and DATA ---- */

struct feed {
	const char *data;
	uint64_t raw;            /* where data starts in the stream's output */
	bool inl;
};
static __thread struct feed cur_feed;

/*
 * hop_by_hop() - a field HTTP/2 does not carry (RFC 9113 8.2.2). Not
 * http_is_hop(): Content-Length stays, and so do Proxy-* fields the proxy
 * itself answers with (a forward listener's 407 Proxy-Authenticate).
 */
static bool hop_by_hop(const char *n, size_t len)
{
	static const char *const hop[] = { "connection", "keep-alive", "proxy-connection", "transfer-encoding",
					   "upgrade", "te" };

	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (len == strlen(hop[i]) && !strncasecmp(n, hop[i], len))
			return true;
	return false;
}

/* field() - @m's header @i as an HTTP/2 field, its name lowercased in place (RFC 9113 8.2.1). */
static nghttp2_nv field(struct http_msg *m, int i)
{
	char *name = m->buf + m->hdr[i].name;

	for (uint32_t k = 0; k < m->hdr[i].name_len; k++)
		if (name[k] >= 'A' && name[k] <= 'Z')
			name[k] = (char)(name[k] + 32);
	return (nghttp2_nv){ (uint8_t *)name, (uint8_t *)m->buf + m->hdr[i].value, m->hdr[i].name_len,
			     m->hdr[i].value_len, NGHTTP2_NV_FLAG_NONE };
}

static ssize_t prd_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
			nghttp2_data_source *src, void *user)
{
	(void)ng;
	(void)id;
	(void)buf;
	(void)user;
	return h2_stream_read(src->ptr, length, flags);
}

static int resp_on_head(void *arg, struct http_msg *m)
{
	struct h2_stream *st = arg;
	nghttp2_nv nv[HTTP_MAX_HEADERS + 1];
	nghttp2_data_provider prd = { .source.ptr = st, .read_callback = prd_read };
	unsigned int status = m->p.status_code;
	char code[4];
	size_t n = 0;
	bool body;

	if (status < 200)
		return 0;   /* an interim response (the proxy sends none upstream asked for): dropped, see resp_on_done */
	snprintf(code, sizeof(code), "%03u", status % 1000);
	nv[n++] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)code, 7, 3, NGHTTP2_NV_FLAG_NONE };
	for (int i = 0; i < m->n_hdr; i++)
		if (!hop_by_hop(http_name(m, i), m->hdr[i].name_len))
			nv[n++] = field(m, i);
	body = !st->is_head && status != 204 && status != 304;
	if (nghttp2_submit_response(st->s->ng, st->id, nv, n, body ? &prd : NULL))
		return -1;
	st->resp_submitted = true;
	if (!body)
		st->resp_done = true;
	return body ? 0 : 1;
}

static int resp_on_body(void *arg, const char *at, size_t len)
{
	struct h2_stream *st = arg;
	struct h2_span *sp;

	if (!len)
		return 0;
	if (st->sp_tail == st->sp_cap) {
		if (st->sp_head) {
			memmove(st->sp, st->sp + st->sp_head, (st->sp_tail - st->sp_head) * sizeof(*st->sp));
			st->sp_tail -= st->sp_head;
			st->sp_head = 0;
		} else {
			uint32_t cap = st->sp_cap ? st->sp_cap * 2 : 8;
			struct h2_span *n = realloc(st->sp, cap * sizeof(*n));

			if (!n)
				return -1;
			st->sp = n;
			st->sp_cap = cap;
		}
	}
	sp = &st->sp[st->sp_tail++];
	memset(sp, 0, sizeof(*sp));
	sp->p = at;
	sp->len = (uint32_t)len;
	sp->raw = cur_feed.raw + (uint64_t)(at - cur_feed.data);
	if (cur_feed.inl) {
		/* bytes inside a segment, whose array may move as the proxy queues more: copied */
		memcpy(sp->inl, at, len);
		sp->inl_len = (uint8_t)len;
	}
	if (!st->s->pending_bytes)
		st->s->data_ms = st->s->w->now_ms;
	st->sp_bytes += len;
	st->s->pending_bytes += len;
	return 0;
}

static int resp_on_done(void *arg, struct http_msg *m)
{
	struct h2_stream *st = arg;

	if (m->p.status_code < 200 && m->p.status_code != 101) {
		st->interim = true;   /* parse on with a fresh parser: the final response follows */
		return HPE_PAUSED;
	}
	st->resp_done = true;
	st->resp_trailers = m->n_hdr > m->n_head_hdr;
	return 0;
}

static const struct http_msg_hooks resp_hooks = {
	.on_head = resp_on_head,
	.on_body = resp_on_body,
	.on_done = resp_on_done,
};

/* rm_start() - a response parser for @st: the one it kept, with its buffers, or a new one. 0 or -1. */
static int rm_start(struct h2_stream *st)
{
	struct http_msg *m = st->rm;
	char *buf = NULL;
	struct http_hdr *hdr = NULL;
	uint32_t buf_cap = 0;
	uint16_t hdr_cap = 0;

	if (!m) {
		m = malloc(sizeof(*m));
		if (!m)
			return -1;
		st->rm = m;
	} else {
		buf = m->buf;
		buf_cap = m->buf_cap;
		hdr = m->hdr;
		hdr_cap = m->hdr_cap;
	}
	http_msg_init(m, HTTP_RESPONSE, H2_RESP_HEAD_LIMIT, &resp_hooks, st);
	m->buf = buf;
	m->buf_cap = buf_cap;
	m->hdr = hdr;
	m->hdr_cap = hdr_cap;
	st->rm_kept = false;
	return 0;
}

/* feed() - parse @len bytes of the output at @p (raw offset @raw). 0, or -1: the output is not HTTP we can frame. */
static int feed(struct h2_stream *st, const char *p, size_t len, uint64_t raw, bool inl)
{
	while (len && !st->resp_done) {
		long n;

		if (!st->rm || st->rm_kept) {
			if (rm_start(st))
				return -1;
		}
		cur_feed = (struct feed){ .data = p, .raw = raw, .inl = inl };
		n = http_msg_feed(st->rm, p, len);
		if (n < 0)
			return -1;
		st->raw_parsed += (uint64_t)n;
		p += n;
		raw += (uint64_t)n;
		len -= (size_t)n;
		if (st->interim) {
			st->interim = false;
			st->rm_kept = true;   /* a fresh parse for the final response */
		} else if (http_msg_paused(st->rm)) {
			return -1;
		}
	}
	if (st->resp_done)
		st->raw_parsed += len;   /* nothing follows a response on a stream */
	return 0;
}

/* parse_out() - parse what the proxy queued on the stream connection since the last look. */
static int parse_out(struct h2_stream *st)
{
	struct outq *q = &st->c->out;
	uint64_t pos = st->raw_consumed;

	for (uint32_t i = q->head; i < q->tail; i++) {
		const struct seg *sg = &q->s[i];
		uint32_t off = i == q->head ? q->off : 0;
		const char *d = (sg->kind == SEG_INLINE ? sg->inl : sg->ptr) + off;
		uint32_t len = sg->len - off;
		uint64_t skip;

		if (pos + len <= st->raw_parsed) {
			pos += len;
			continue;
		}
		skip = st->raw_parsed - pos;
		if (feed(st, d + skip, len - skip, st->raw_parsed, sg->kind == SEG_INLINE))
			return -1;
		pos += len;
	}
	if ((st->sp_bytes || st->resp_done) && st->deferred) {
		st->deferred = false;
		nghttp2_session_resume_data(st->s->ng, st->id);
		h2_sess_dirty(st->s);
	}
	return 0;
}

/* trailers() - the response's trailers after its DATA: a HEADERS frame that ends the stream. */
static void trailers(struct h2_stream *st, uint32_t *flags)
{
	struct http_msg *m = st->rm;
	nghttp2_nv nv[HTTP_MAX_HEADERS];
	size_t n = 0;

	for (int i = m->n_head_hdr; i < m->n_hdr; i++)
		if (http_trailer_ok(http_name(m, i), m->hdr[i].name_len))
			nv[n++] = field(m, i);
	if (n && !nghttp2_submit_trailer(st->s->ng, st->id, nv, n))
		*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
}

ssize_t h2_stream_read(struct h2_stream *st, size_t length, uint32_t *flags)
{
	size_t n;

	if (!st->sp_bytes) {
		if (st->resp_done) {
			*flags |= NGHTTP2_DATA_FLAG_EOF;
			if (st->resp_trailers && st->rm)
				trailers(st, flags);
			return 0;
		}
		if (!st->c)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;   /* the proxy gave up on it: a reset */
		st->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	n = st->sp_bytes < length ? (size_t)st->sp_bytes : length;
	*flags |= NGHTTP2_DATA_FLAG_NO_COPY;
	if (st->resp_done && n == st->sp_bytes) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		if (st->resp_trailers && st->rm)
			trailers(st, flags);
	}
	return (ssize_t)n;
}

int h2_stream_copy(struct h2_stream *st, char *out, size_t len)
{
	while (len) {
		struct h2_span *sp;
		size_t n;

		if (st->sp_head == st->sp_tail)
			return -1;
		sp = &st->sp[st->sp_head];
		n = sp->len < len ? sp->len : len;
		memcpy(out, sp->inl_len ? sp->inl + (sp->inl_len - sp->len) : sp->p, n);
		out += n;
		len -= n;
		sp->len -= (uint32_t)n;
		sp->p += n;
		sp->raw += n;
		st->sp_bytes -= n;
		st->s->pending_bytes -= n;
		if (!sp->len)
			st->sp_head++;
	}
	if (st->sp_head == st->sp_tail)
		st->sp_head = st->sp_tail = 0;
	h2_stream_dirty(st);   /* what was copied can be consumed */
	return 0;
}

/* ---- flow control of the request body ---- */

void h2_stream_window(struct h2_stream *st)
{
	uint64_t queued = 0, give;

	if (st->c && !st->c->dead)
		for (uint32_t i = st->c->in.head; i < st->c->in.tail; i++)
			queued += st->c->in.v[i].len - st->c->in.v[i].off;
	/* framing counts in queued too: a little less is given back until the queue is empty */
	give = st->owed > queued ? st->owed - queued : 0;
	if (!give)
		return;
	st->owed -= give;
	if (!st->h2_closed)
		nghttp2_session_consume(st->s->ng, st->id, (size_t)give);
	else
		nghttp2_session_consume_connection(st->s->ng, (size_t)give);
	h2_sess_dirty(st->s);
}

/*
 * h2_stream_work() - everything a stream has pending, at a point where the
 * proxy may be called (no caller of its own on the stack): input handed on,
 * windows given back, new output parsed and submitted, framed output consumed.
 */
void h2_stream_work(struct h2_stream *st)
{
	struct loop *lp = &st->s->w->lp;
	struct conn *c = st->c;
	uint64_t upto;

	if (!c || c->dead)
		return;
	if (st->aborted) {
		st->aborted = false;
		c->ops->on_eof(lp, &c->lc, -ECONNRESET);
		return;
	}
	if (st->deliver) {
		st->deliver = false;
		if (st->req_end)
			c->eof = true;
		c->ops->on_recv(lp, &c->lc);
		if (!st->c || c->dead)
			return;
	}
	h2_stream_window(st);
	if (parse_out(st)) {
		log_debug("h2: stream %d: the response could not be framed: reset", st->id);
		nghttp2_submit_rst_stream(st->s->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
		h2_sess_dirty(st->s);
		c->ops->on_eof(lp, &c->lc, -ECONNRESET);
		return;
	}
	upto = st->sp_head < st->sp_tail ? st->sp[st->sp_head].raw : st->raw_parsed;
	if (upto > st->raw_consumed) {
		outq_consume(lp, &c->out, (uint32_t)(upto - st->raw_consumed));
		st->raw_consumed = upto;
		c->ops->on_sent(lp, &c->lc);
	}
}

/* ---- the stream connection's transform ---- */

static void x_send(struct loop *lp, struct loop_conn *lc)
{
	(void)lp;
	h2_stream_dirty(stream_of(lc));
}

static void x_recv(struct loop *lp, struct loop_conn *lc)
{
	(void)lp;
	h2_stream_dirty(stream_of(lc));   /* the proxy reads again: give the window back */
}

static void x_on_released(struct loop *lp, struct loop_conn *lc)
{
	struct h2_stream *st = stream_of(lc);
	struct h2_sess *s = st->s;

	(void)lp;
	h2_stream_window(st);   /* before c goes: what it held is given back */
	st->c = NULL;
	s->n_streams--;
	s->last_active_ms = s->w->now_ms;
	s->pending_bytes -= st->sp_bytes;
	st->sp_bytes = 0;
	st->sp_head = st->sp_tail = 0;   /* the bytes were in the connection's queue, which goes now */
	if (!st->h2_closed && !s->released) {
		if (!st->resp_done) {
			nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
		} else if (!st->req_end) {
			/*
			 * Answered before the request ended (a 413): the rest of it is
			 * read and dropped, up to a window more, then RST_STREAM
			 * NO_ERROR (RFC 9113 8.1). A reset at once loses the answer for
			 * clients that fail the stream on it while still sending (curl).
			 */
			st->discarding = true;
		} else if (st->deferred) {
			st->deferred = false;
			nghttp2_session_resume_data(s->ng, st->id);
		}
		h2_sess_dirty(s);
	}
	h2_stream_dirty(st);   /* freed there, once nghttp2 is done with it too */
}

static void x_unused(struct loop *lp, struct loop_conn *lc)
{
	(void)lp;
	(void)lc;
}

static void x_unused_res(struct loop *lp, struct loop_conn *lc, int res)
{
	(void)lp;
	(void)lc;
	(void)res;
}

const struct conn_xform_ops h2_stream_xops = {
	.on_recv = x_unused,
	.send = x_send,
	.on_sent = x_unused_res,
	.on_connect = x_unused_res,
	.on_eof = x_unused_res,
	.on_released = x_on_released,
	.recv = x_recv,
};
