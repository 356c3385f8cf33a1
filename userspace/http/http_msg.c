// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* llhttp glue: head collection, body streaming hooks, and head rewriting for both directions. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_msg.h"
#include "lib/fmt.h"

enum { LAST_NONE = 0, LAST_TARGET, LAST_FIELD, LAST_VALUE };

static struct http_msg *msg_of(llhttp_t *p)
{
	return (struct http_msg *)p;   /* llhttp_t is the first member */
}

/* msg_reserve() - room for @len more head bytes (and a NUL) within the head limit. 0 or -1 (too big). */
static int msg_reserve(struct http_msg *m, size_t len)
{
	if (m->len + len + 1 > m->cap) {
		m->too_big = true;
		return -1;
	}
	if (m->len + len + 1 > m->buf_cap) {
		/* elements are kept as offsets, so the buffer may move */
		uint32_t n = m->buf_cap ? m->buf_cap : HTTP_HEAD_BUF_MIN;
		char *b;

		while (n < m->len + len + 1)
			n *= 2;
		if (n > m->cap)
			n = m->cap;
		b = realloc(m->buf, n);
		if (!b) {
			m->too_big = true;
			return -1;
		}
		m->buf = b;
		m->buf_cap = n;
	}
	return 0;
}

/* msg_append() - copy a span into the head buffer; fragments of one element stay contiguous. */
static int msg_append(struct http_msg *m, const char *at, size_t len)
{
	if (msg_reserve(m, len))
		return -1;
	memcpy(m->buf + m->len, at, len);
	m->len += len;
	return 0;
}

/* msg_terminate() - NUL-terminate the element just finished so values can be used as C strings. */
static int msg_terminate(struct http_msg *m)
{
	if (msg_append(m, "", 1))
		return -1;
	return 0;
}

static int on_message_begin(llhttp_t *p)
{
	struct http_msg *m = msg_of(p);

	m->len = 0;
	m->n_hdr = 0;
	m->n_head_hdr = 0;
	m->last = LAST_NONE;
	m->target = m->target_len = 0;
	m->head_done = false;
	return 0;
}

static int on_target(llhttp_t *p, const char *at, size_t len)
{
	struct http_msg *m = msg_of(p);

	if (m->last != LAST_TARGET) {
		m->last = LAST_TARGET;
		m->target = m->len;
	}
	m->target_len += len;
	return msg_append(m, at, len);
}

static int on_target_complete(llhttp_t *p)
{
	struct http_msg *m = msg_of(p);

	if (m->last != LAST_TARGET) {   /* empty reason phrase */
		m->target = m->len;
		m->target_len = 0;
	}
	return msg_terminate(m);
}

/* msg_slot() - room for one more header. 0 or -1 (too many). */
static int msg_slot(struct http_msg *m)
{
	uint16_t n = m->hdr_cap ? m->hdr_cap * 2 : HTTP_HDR_MIN;
	struct http_hdr *h;

	if (m->n_hdr < m->hdr_cap)
		return 0;
	if (m->hdr_cap >= HTTP_MAX_HEADERS) {
		m->too_big = true;
		return -1;
	}
	if (n > HTTP_MAX_HEADERS)
		n = HTTP_MAX_HEADERS;
	h = realloc(m->hdr, n * sizeof(*h));
	if (!h) {
		m->too_big = true;
		return -1;
	}
	m->hdr = h;
	m->hdr_cap = n;
	return 0;
}

static int on_field(llhttp_t *p, const char *at, size_t len)
{
	struct http_msg *m = msg_of(p);

	if (m->last != LAST_FIELD) {
		if (msg_slot(m))
			return -1;
		m->last = LAST_FIELD;
		m->hdr[m->n_hdr].name = m->len;
		m->hdr[m->n_hdr].name_len = 0;
		m->hdr[m->n_hdr].value = 0;
		m->hdr[m->n_hdr].value_len = 0;
		m->n_hdr++;
	}
	m->hdr[m->n_hdr - 1].name_len += len;
	return msg_append(m, at, len);
}

static int on_field_complete(llhttp_t *p)
{
	struct http_msg *m = msg_of(p);

	if (msg_terminate(m))
		return -1;
	/* An empty value gets no on_header_value call: point it at an empty string now. */
	m->hdr[m->n_hdr - 1].value = m->len - 1;
	return 0;
}

static int on_value(llhttp_t *p, const char *at, size_t len)
{
	struct http_msg *m = msg_of(p);

	if (m->last != LAST_VALUE) {
		m->last = LAST_VALUE;
		m->hdr[m->n_hdr - 1].value = m->len;
	}
	m->hdr[m->n_hdr - 1].value_len += len;
	return msg_append(m, at, len);
}

static int on_value_complete(llhttp_t *p)
{
	struct http_msg *m = msg_of(p);

	if (m->last != LAST_VALUE)
		return 0;   /* empty value: already terminated */
	m->last = LAST_NONE;
	return msg_terminate(m);
}

static int on_headers_complete(llhttp_t *p)
{
	struct http_msg *m = msg_of(p);

	/* llhttp takes any 64-bit length; like nginx, one that overflows an off_t is malformed, not a wait */
	if (p->flags & F_CONTENT_LENGTH && p->content_length > HTTP_LENGTH_MAX)
		return -1;
	m->head_done = true;
	m->n_head_hdr = m->n_hdr;
	return m->hooks->on_head ? m->hooks->on_head(m->arg, m) : 0;
}

static int on_chunk_header(llhttp_t *p)
{
	struct http_msg *m = msg_of(p);

	if (p->content_length > HTTP_LENGTH_MAX)
		return -1;   /* FFFFFFFFFFFFFFFF would otherwise wait for 16 EiB, i.e. for a timeout */
	if (!p->content_length || !m->hooks->on_chunk)
		return 0;   /* the last chunk: its framing is written at on_done */
	m->in_chunk = true;
	m->chunk_left = p->content_length;
	return m->hooks->on_chunk(m->arg, p->content_length);
}

static int on_chunk_complete(llhttp_t *p)
{
	struct http_msg *m = msg_of(p);

	/* The last chunk (size 0) has no framing of its own here; its trailers are dropped. */
	if (!m->in_chunk || !m->hooks->on_chunk_end)
		return 0;
	m->in_chunk = false;
	return m->hooks->on_chunk_end(m->arg);
}

/* chunk_crlf() - check up to the CRLF bytes owed after a chunk's data that lie in [at, end). */
static int chunk_crlf(struct http_msg *m, const char *at, const char *end)
{
	while (m->crlf_left && at < end) {
		if (*at++ != (m->crlf_left == 2 ? '\r' : '\n'))
			return -1;
		m->crlf_left--;
	}
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct http_msg *m = msg_of(p);

	/* llhttp's default build skips the two bytes after chunk data unread: insist they are CRLF. */
	if (m->in_chunk) {
		m->chunk_left -= len < m->chunk_left ? len : m->chunk_left;
		if (!m->chunk_left) {
			m->crlf_left = 2;
			if (chunk_crlf(m, at + len, m->feed_end))
				return -1;
		}
	}

	return m->hooks->on_body ? m->hooks->on_body(m->arg, at, len) : 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct http_msg *m = msg_of(p);

	m->scan_done = m->seen_line = false;   /* the next head is scanned by the next feed */
	m->line_len = 0;
	m->prev = 0;

	return m->hooks->on_done ? m->hooks->on_done(m->arg, m) : 0;
}

static llhttp_settings_t settings_req, settings_resp;
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

static void settings_init(void)
{
	llhttp_settings_t *s[2] = { &settings_req, &settings_resp };

	for (int i = 0; i < 2; i++) {
		llhttp_settings_init(s[i]);
		s[i]->on_message_begin = on_message_begin;
		s[i]->on_header_field = on_field;
		s[i]->on_header_field_complete = on_field_complete;
		s[i]->on_header_value = on_value;
		s[i]->on_header_value_complete = on_value_complete;
		s[i]->on_headers_complete = on_headers_complete;
		s[i]->on_chunk_header = on_chunk_header;
		s[i]->on_chunk_complete = on_chunk_complete;
		s[i]->on_body = on_body;
		s[i]->on_message_complete = on_message_complete;
	}
	settings_req.on_url = on_target;
	settings_req.on_url_complete = on_target_complete;
	settings_resp.on_status = on_target;
	settings_resp.on_status_complete = on_target_complete;
}

void http_msg_init(struct http_msg *m, llhttp_type_t type, uint32_t head_limit,
		   const struct http_msg_hooks *hooks, void *arg)
{
	pthread_once(&settings_once, settings_init);
	memset(m, 0, sizeof(*m));   /* the caller freed any head it had (http_msg_free_head) */
	llhttp_init(&m->p, type, type == HTTP_REQUEST ? &settings_req : &settings_resp);
	m->hooks = hooks;
	m->arg = arg;
	m->cap = head_limit;
}

void http_msg_free_head(struct http_msg *m)
{
	free(m->buf);
	free(m->hdr);
	m->buf = NULL;
	m->hdr = NULL;
	m->buf_cap = 0;
	m->hdr_cap = 0;
	m->len = 0;
	m->n_hdr = 0;
}

/*
 * head_scan() - reject what llhttp's default (non-strict) build would let through in a
 * head: a bare LF as line end and obs-fold continuation lines. Runs over head
 * bytes only, once each, before llhttp sees them. 0 or -1.
 */
static int head_scan(struct http_msg *m, const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	/* memchr jumps line to line: only the bytes around each LF are looked at */
	while (p < end && !m->scan_done) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (!lf) {
			if (!m->line_len && m->seen_line && (*p == ' ' || *p == '\t'))
				return -1;   /* obs-fold */
			m->line_len += (uint32_t)(end - p);
			m->prev = end[-1];
			return 0;
		}
		if (lf == p ? m->prev != '\r' : lf[-1] != '\r')
			return -1;   /* bare LF */
		n = (size_t)(lf - p) + m->line_len;   /* this line, CR included, 0 for an empty one */
		if (n && !m->line_len && m->seen_line && (*p == ' ' || *p == '\t'))
			return -1;   /* obs-fold */
		if (n <= 1 && m->seen_line)
			m->scan_done = true;   /* the empty line ending the head */
		m->seen_line |= n > 1;
		m->line_len = 0;
		m->prev = '\n';
		p = lf + 1;
	}
	return 0;
}

long http_msg_feed(struct http_msg *m, const char *data, size_t len)
{
	llhttp_errno_t e;

	/*
	 * llhttp returns a paused parser's error at once, with the error position
	 * of an earlier call: feeding it would consume nothing (a caller looping
	 * until its input is used would spin) or a stale count.
	 */
	if (http_msg_paused(m))
		return -EBUSY;
	if (!m->scan_done && head_scan(m, data, len))
		return -EBADMSG;
	m->feed_end = data + len;
	if (m->crlf_left && chunk_crlf(m, data, data + len))
		return -EBADMSG;
	e = llhttp_execute(&m->p, data, len);

	if (e == HPE_OK)
		return (long)len;
	if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE)
		return (long)(llhttp_get_error_pos(&m->p) - data);
	if (m->too_big)
		return -E2BIG;
	return -EBADMSG;
}

void http_msg_resume(struct http_msg *m)
{
	if (m->p.error == HPE_PAUSED)
		llhttp_resume(&m->p);
	else if (m->p.error == HPE_PAUSED_UPGRADE)
		llhttp_resume_after_upgrade(&m->p);
}

int http_msg_eof(struct http_msg *m)
{
	llhttp_errno_t e = llhttp_finish(&m->p);

	return e == HPE_OK || e == HPE_PAUSED ? 0 : -EBADMSG;
}

int http_find(const struct http_msg *m, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < m->n_hdr; i++)
		if (m->hdr[i].name_len == n && !strncasecmp(http_name(m, i), name, n))
			return i;
	return -1;
}

/* reg_char() - may @ch appear in a reg-name or IPv4address (RFC 3986 3.2.2: unreserved, sub-delims, '%')? */
static bool reg_char(unsigned char ch)
{
	static const char ok[] = "-._~!$&'()*+,;=%";

	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr(ok, ch));
}

static bool hex_char(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

bool http_host_valid(const char *v, size_t len)
{
	size_t i = 0, host_end;

	if (!len)
		return false;
	if (v[0] == '[') {
		/* IP-literal: hex digits, ':' and '.' (an embedded IPv4); IPvFuture is not an address we can reach */
		for (i = 1; i < len && v[i] != ']'; i++)
			if (!hex_char((unsigned char)v[i]) && v[i] != ':' && v[i] != '.')
				return false;
		if (i == len || i == 1)
			return false;
		host_end = ++i;
	} else {
		for (; i < len && v[i] != ':'; i++) {
			if (!reg_char((unsigned char)v[i]))
				return false;
			if (v[i] == '%' && (i + 2 >= len || !hex_char((unsigned char)v[i + 1]) ||
					    !hex_char((unsigned char)v[i + 2])))
				return false;
		}
		host_end = i;
	}
	if (!host_end)
		return false;   /* ":80": no host */
	if (host_end == len)
		return true;
	if (v[host_end] != ':' || len - host_end - 1 > 5)
		return false;
	for (i = host_end + 1; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

int http_check_host(const struct http_msg *m, bool required)
{
	int n = 0, hi = -1;

	/* by length first: most headers are rejected without a compare */
	for (int i = 0; i < m->n_hdr; i++)
		if (m->hdr[i].name_len == 4 && !strncasecmp(http_name(m, i), "host", 4)) {
			hi = i;
			n++;
		}
	if (n > 1)
		return -EBADMSG;
	if (!n)
		return required && (m->p.http_major > 1 || m->p.http_minor > 0) ? -EBADMSG : 0;
	return http_host_valid(http_value(m, hi), m->hdr[hi].value_len) ? 0 : -EBADMSG;
}

/* set_host() - point the Host header (added when absent) at @len bytes of the head buffer at @off. 0 or -1. */
static int set_host(struct http_msg *m, uint32_t off, uint32_t len)
{
	int hi = http_find(m, "host");

	if (hi < 0) {
		if (msg_slot(m) || msg_reserve(m, 5))
			return -1;
		hi = m->n_hdr++;
		m->hdr[hi].name = m->len;
		m->hdr[hi].name_len = 4;
		msg_append(m, "Host", 4);
		msg_terminate(m);
	}
	m->hdr[hi].value = off;
	m->hdr[hi].value_len = len;
	return 0;
}

int http_origin_form(struct http_msg *m)
{
	const char *t = http_target(m), *sch, *a, *e, *end = t + m->target_len;
	uint32_t host_off, target_off;
	size_t alen, rlen, a_off, e_off;
	bool slash;

	if (!m->target_len || t[0] == '/' || t[0] == '*')
		return 0;
	sch = memchr(t, ':', m->target_len);
	if (!sch || end - sch < 3 || sch[1] != '/' || sch[2] != '/')
		return 0;   /* not absolute-form (authority-form is CONNECT's, refused elsewhere) */
	if (!((sch - t == 4 && !strncasecmp(t, "http", 4)) || (sch - t == 5 && !strncasecmp(t, "https", 5))))
		return -EBADMSG;
	a = sch + 3;
	for (e = a; e < end && *e != '/' && *e != '?' && *e != '#'; e++)
		;
	alen = (size_t)(e - a);
	if (memchr(a, '@', alen) || !http_host_valid(a, alen))
		return -EBADMSG;   /* userinfo is not sent in http(s) URIs (RFC 9110 4.2.4) */
	rlen = (size_t)(end - e);
	slash = !rlen || *e != '/';
	a_off = (size_t)(a - m->buf);
	e_off = (size_t)(e - m->buf);
	/* room for both copies at once: the appends below cannot move the buffer */
	if (msg_reserve(m, alen + 1 + slash + rlen + 1))
		return -E2BIG;
	host_off = m->len;
	msg_append(m, m->buf + a_off, alen);
	msg_terminate(m);
	target_off = m->len;
	if (slash)
		msg_append(m, "/", 1);
	msg_append(m, m->buf + e_off, rlen);
	msg_terminate(m);
	m->target = target_off;
	m->target_len = (uint32_t)(slash + rlen);
	return set_host(m, host_off, (uint32_t)alen) ? -E2BIG : 0;
}

bool http_is_hop(const char *name, size_t len)
{
	if (len > 6 && (name[0] | 0x20) == 'p' && !strncasecmp(name, "proxy-", 6))
		return true;
	/* by length first: most headers are rejected without a compare */
	switch (len) {
	case 2:
		return !strncasecmp(name, "te", 2);
	case 7:
		return !strncasecmp(name, "trailer", 7) || !strncasecmp(name, "upgrade", 7);
	case 10:
		return !strncasecmp(name, "connection", 10) || !strncasecmp(name, "keep-alive", 10);
	case 14:   /* not hop-by-hop, but always re-written from the parsed framing */
		return !strncasecmp(name, "content-length", 14);
	case 17:
		return !strncasecmp(name, "transfer-encoding", 17);
	default:
		return false;
	}
}

bool http_trailer_ok(const char *name, size_t len)
{
	return !http_is_hop(name, len) && !(len == 4 && !strncasecmp(name, "host", 4));
}

long http_build_last_chunk(const struct http_msg *m, char *out, size_t cap)
{
	size_t n = 3;

	if (cap < 5)
		return -ENOSPC;
	memcpy(out, "0\r\n", 3);
	for (int i = m->n_head_hdr; i < m->n_hdr; i++) {
		const struct http_hdr *h = &m->hdr[i];

		if (!http_trailer_ok(http_name(m, i), h->name_len))
			continue;
		if (n + h->name_len + h->value_len + 4 + 2 > cap)
			return -ENOSPC;
		memcpy(out + n, http_name(m, i), h->name_len);
		n += h->name_len;
		memcpy(out + n, ": ", 2);
		memcpy(out + n + 2, http_value(m, i), h->value_len);
		n += 2 + h->value_len;
		memcpy(out + n, "\r\n", 2);
		n += 2;
	}
	memcpy(out + n, "\r\n", 2);
	return (long)(n + 2);
}

bool http_named_by_connection(const struct http_msg *m, const char *name, size_t nlen)
{
	for (int i = 0; i < m->n_hdr; i++) {
		const char *v, *end;

		if (m->hdr[i].name_len != 10 || strncasecmp(http_name(m, i), "connection", 10))
			continue;
		v = http_value(m, i);
		end = v + m->hdr[i].value_len;
		while (v < end) {
			const char *t;

			while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
				v++;
			t = v;
			while (v < end && *v != ',' && *v != ' ' && *v != '\t')
				v++;
			if ((size_t)(v - t) == nlen && !strncasecmp(t, name, nlen))
				return true;
		}
	}
	return false;
}

/* A bounded writer: overflow is remembered and reported once at the end. */
struct out {
	char *p;
	size_t len, cap;
	bool full;
};

static void out_put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->len + n > o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void out_u64(struct out *o, uint64_t v)
{
	char b[FMT_U64_MAX];

	out_put(o, b, fmt_u64(b, v));
}

/* out_line() - "Name: value\r\n" without printf: heads are built on every request. */
static void out_line(struct out *o, const char *name, const char *value)
{
	out_str(o, name);
	out_put(o, ": ", 2);
	out_str(o, value);
	out_put(o, "\r\n", 2);
}

static void out_header(struct out *o, const struct http_msg *m, int i)
{
	out_put(o, http_name(m, i), m->hdr[i].name_len);
	out_put(o, ": ", 2);
	out_put(o, http_value(m, i), m->hdr[i].value_len);
	out_put(o, "\r\n", 2);
}

/* out_joined() - one header combining every value of @name with ", ", then @extra. */
static void out_joined(struct out *o, const struct http_msg *m, const char *name, const char *extra)
{
	bool any = false;
	size_t n = strlen(name);

	out_str(o, name);
	out_put(o, ": ", 2);
	for (int i = 0; i < m->n_hdr; i++) {
		if (m->hdr[i].name_len != n || strncasecmp(http_name(m, i), name, n))
			continue;
		if (any)
			out_put(o, ", ", 2);
		out_put(o, http_value(m, i), m->hdr[i].value_len);
		any = true;
	}
	if (any)
		out_put(o, ", ", 2);
	out_str(o, extra);
	out_put(o, "\r\n", 2);
}

static bool name_is(const struct http_msg *m, int i, const char *name)
{
	size_t n = strlen(name);

	return m->hdr[i].name_len == n && !strncasecmp(http_name(m, i), name, n);
}

/* keep_header() - should header @i travel to the next hop? @has_conn: the message has a Connection header. */
static bool keep_header(const struct http_msg *m, int i, bool upgrade, bool has_conn)
{
	const char *name = http_name(m, i);
	size_t n = m->hdr[i].name_len;

	if (upgrade && name_is(m, i, "upgrade"))
		return true;
	if (http_is_hop(name, n))
		return false;
	return !has_conn || !http_named_by_connection(m, name, n);
}

static void out_framing(struct out *o, const struct http_msg *m, enum http_framing f)
{
	if (f == HTTP_FRAME_CHUNKED)
		out_str(o, "Transfer-Encoding: chunked\r\n");
	else if (f == HTTP_FRAME_LENGTH) {
		out_str(o, "Content-Length: ");
		out_u64(o, m->p.content_length);
		out_put(o, "\r\n", 2);
	}
}

static void fwd_add(char *buf, size_t *len, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n >= cap)
		n = cap - *len - 1;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = 0;
}

/* stripped() - is header @i one an anonymizing forward proxy must not pass on? */
static bool stripped(const struct http_msg *m, int i, const struct http_fwd *f)
{
	if (name_is(m, i, "via") || name_is(m, i, "x-forwarded-for") || name_is(m, i, "forwarded"))
		return true;
	for (size_t k = 0; k < f->n_strip; k++)
		if (name_is(m, i, f->strip[k]))
			return true;
	return false;
}

/*
 * build_forward_rest() - the headers of a forward proxy's request after Host: the
 * client's (less hop-by-hop, Proxy-Authorization and Proxy-Connection included),
 * then X-Forwarded-For and Via, or with anonymize nothing that names the client.
 */
static long build_forward_rest(const struct http_msg *m, const struct http_fwd *f, struct out *o, bool has_conn)
{
	for (int i = 0; i < m->n_hdr; i++) {
		if (name_is(m, i, "host"))
			continue;
		if (f->anonymize ? stripped(m, i, f) :
		    name_is(m, i, "x-forwarded-for") || (f->via && name_is(m, i, "via")))
			continue;
		if (keep_header(m, i, f->upgrade, has_conn))
			out_header(o, m, i);
	}
	if (!f->anonymize) {
		out_joined(o, m, "X-Forwarded-For", f->client_ip);
		if (f->via)
			out_joined(o, m, "Via", "1.1 sluice");
	}
	if (f->upgrade)
		out_str(o, "Connection: upgrade\r\n");
	out_framing(o, m, f->framing);
	out_put(o, "\r\n", 2);
	return o->full ? -ENOSPC : (long)o->len;
}

long http_build_request(const struct http_msg *m, const struct http_fwd *f, char *out, size_t cap)
{
	struct out o = { .p = out, .cap = cap };
	const char *host = NULL;
	int hi = http_find(m, "host");
	bool v6 = f->client_ip && strchr(f->client_ip, ':');
	bool has_conn = http_find(m, "connection") >= 0;
	char fwd[192];
	size_t fl = 0;

	out_str(&o, llhttp_method_name(m->p.method));
	out_put(&o, " ", 1);
	if (f->target)
		out_put(&o, f->target, f->target_len);
	else
		out_put(&o, http_target(m), m->target_len);
	out_str(&o, " HTTP/1.1\r\n");
	if (f->host)
		host = f->host;
	else if (hi >= 0)
		host = http_value(m, hi);
	else
		host = f->default_host;
	if (host)
		out_line(&o, "Host", host);
	if (f->forward || f->anonymize)
		return build_forward_rest(m, f, &o, has_conn);
	for (int i = 0; i < m->n_hdr; i++) {
		if (name_is(m, i, "host") || name_is(m, i, "x-forwarded-for") ||
		    name_is(m, i, "x-forwarded-proto") || name_is(m, i, "forwarded") ||
		    (f->via && name_is(m, i, "via")) || (f->cert_header && name_is(m, i, f->cert_header)))
			continue;
		if (keep_header(m, i, f->upgrade, has_conn))
			out_header(&o, m, i);
	}
	out_joined(&o, m, "X-Forwarded-For", f->client_ip);
	out_line(&o, "X-Forwarded-Proto", f->proto);
	if (f->cert_header && f->cert_subject)
		out_line(&o, f->cert_header, f->cert_subject);
	/* for=IP;proto=P[;host=H]: pieces bounded so the buffer cannot overflow */
	fwd_add(fwd, &fl, sizeof(fwd), "for=");
	fwd_add(fwd, &fl, sizeof(fwd), v6 ? "\"[" : "");
	fwd_add(fwd, &fl, sizeof(fwd), f->client_ip);
	fwd_add(fwd, &fl, sizeof(fwd), v6 ? "]\"" : "");
	fwd_add(fwd, &fl, sizeof(fwd), ";proto=");
	fwd_add(fwd, &fl, sizeof(fwd), f->proto);
	if (hi >= 0 && !strpbrk(http_value(m, hi), "\";, ") && m->hdr[hi].value_len < 100) {
		fwd_add(fwd, &fl, sizeof(fwd), ";host=");
		fwd_add(fwd, &fl, sizeof(fwd), http_value(m, hi));
	}
	out_joined(&o, m, "Forwarded", fwd);
	if (f->request_id && http_find(m, "x-request-id") < 0)
		out_line(&o, "X-Request-Id", f->request_id);
	if (f->via)
		out_joined(&o, m, "Via", "1.1 sluice");
	if (f->upgrade)
		out_str(&o, "Connection: upgrade\r\n");
	out_framing(&o, m, f->framing);
	out_put(&o, "\r\n", 2);
	return o.full ? -ENOSPC : (long)o.len;
}

long http_build_response(const struct http_msg *m, const struct http_back *b, char *out, size_t cap)
{
	struct out o = { .p = out, .cap = cap };
	bool has_conn = http_find(m, "connection") >= 0;

	{
		char st[13] = "HTTP/1.1 000 ";
		unsigned int code = m->p.status_code % 1000;

		st[9] = (char)('0' + code / 100);
		st[10] = (char)('0' + code / 10 % 10);
		st[11] = (char)('0' + code % 10);
		out_put(&o, st, 13);
	}
	out_put(&o, http_target(m), m->target_len);
	out_put(&o, "\r\n", 2);
	for (int i = 0; i < m->n_hdr; i++) {
		if (b->via && name_is(m, i, "via"))
			continue;
		if (keep_header(m, i, b->upgrade, has_conn))
			out_header(&o, m, i);
	}
	if (b->via)
		out_joined(&o, m, "Via", "1.1 sluice");
	if (b->extra_len)
		out_put(&o, b->extra, b->extra_len);
	if (b->upgrade)
		out_str(&o, "Connection: upgrade\r\n");
	else if (b->close)
		out_str(&o, "Connection: close\r\n");
	else if (b->client_http10)
		out_str(&o, "Connection: keep-alive\r\n");
	/* A body-less response (HEAD, 304) keeps the Content-Length the origin announced. */
	if (b->framing == HTTP_FRAME_NONE && m->p.flags & F_CONTENT_LENGTH)
		out_framing(&o, m, HTTP_FRAME_LENGTH);
	else
		out_framing(&o, m, b->framing);
	out_put(&o, "\r\n", 2);
	return o.full ? -ENOSPC : (long)o.len;
}

static const struct {
	int status;
	const char *reason;
} err_table[] = {
	{ 400, "Bad Request" }, { 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" }, { 413, "Content Too Large" },
	{ 422, "Unprocessable Content" }, { 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" }, { 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
};
#define N_ERR (sizeof(err_table) / sizeof(err_table[0]))
static char err_text[N_ERR][256];
static size_t err_len[N_ERR];
static pthread_once_t err_once = PTHREAD_ONCE_INIT;

/* err_build() - every error response is formatted once, then sent from static memory. */
static void err_build(void)
{
	for (size_t i = 0; i < N_ERR; i++) {
		char body[64];
		int bl = snprintf(body, sizeof(body), "%d %s\n", err_table[i].status, err_table[i].reason);

		err_len[i] = (size_t)snprintf(err_text[i], sizeof(err_text[i]),
			"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
			"Connection: close\r\n\r\n%s", err_table[i].status, err_table[i].reason, bl, body);
	}
}

/* err_index() - @status's row in err_table; anything unknown is the 500's. */
static size_t err_index(int status)
{
	size_t i, internal = 0;

	for (i = 0; i < N_ERR; i++) {
		if (err_table[i].status == status)
			return i;
		if (err_table[i].status == 500)
			internal = i;
	}
	return internal;
}

const char *http_error_response(int status, size_t *len)
{
	size_t i = err_index(status);

	pthread_once(&err_once, err_build);
	*len = err_len[i];
	return err_text[i];
}

const char *http_reason(int status)
{
	size_t i = err_index(status);

	return err_table[i].status == status ? err_table[i].reason : NULL;
}

bool http_idempotent(uint8_t method)
{
	switch (method) {
	case HTTP_GET: case HTTP_HEAD: case HTTP_PUT: case HTTP_DELETE: case HTTP_OPTIONS:
		return true;
	default:
		return false;
	}
}
