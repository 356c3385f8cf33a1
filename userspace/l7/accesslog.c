// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Access log line formatting: combined (with upstream fields appended) and JSON lines. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "l7/accesslog.h"
#include "lib/fmt.h"

/* A bounded writer that escapes what it copies from the request. */
struct w {
	char *p;
	size_t len, cap;
	int full;
};

static void w_put(struct w *w, const char *s, size_t n)
{
	if (w->len + n >= w->cap) {
		w->full = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void w_fmt(struct w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void w_fmt(struct w *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len)
		w->full = 1;
	else
		w->len += (size_t)n;
}

/* w_u64() - a decimal number without printf (a log line has several). */
static void w_u64(struct w *w, uint64_t v)
{
	char b[FMT_U64_MAX];

	w_put(w, b, fmt_u64(b, v));
}

/* w_secs() - milliseconds as seconds with three decimals ("1.234"), as nginx prints times. */
static void w_secs(struct w *w, int64_t ms)
{
	char frac[4] = { '.', 0, 0, 0 };

	if (ms < 0)
		ms = 0;
	w_u64(w, (uint64_t)ms / 1000);
	frac[1] = (char)('0' + ms / 100 % 10);
	frac[2] = (char)('0' + ms / 10 % 10);
	frac[3] = (char)('0' + ms % 10);
	w_put(w, frac, 4);
}

static void w_s(struct w *w, const char *s)
{
	w_put(w, s, strlen(s));
}

/* w_esc() - client-controlled text: quotes, backslashes and control bytes become \xHH (nginx style) or JSON escapes. */
static void w_esc(struct w *w, const char *s, size_t n, int json)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			w_put(w, e, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			if (json)
				w_fmt(w, "\\u%04x", c);
			else
				w_fmt(w, "\\x%02X", c);
		} else {
			w_put(w, (const char *)&c, 1);
		}
	}
}

static void w_str(struct w *w, const char *s, int json)
{
	if (!s || !*s)
		w_put(w, "-", 1);
	else
		w_esc(w, s, strlen(s), json);
}

/* log_time() - the timestamp text of @sec; formatted once per second per thread (strftime is not cheap). */
static const char *log_time(enum cfg_log_format fmt, time_t sec)
{
	static __thread time_t last[2] = { -1, -1 };
	static __thread char text[2][64];
	int i = fmt == CFG_LOG_JSON;
	struct tm tm;

	if (last[i] != sec) {
		if (i) {
			gmtime_r(&sec, &tm);
			strftime(text[i], sizeof(text[i]), "%Y-%m-%dT%H:%M:%S", &tm);
		} else {
			localtime_r(&sec, &tm);
			strftime(text[i], sizeof(text[i]), "%d/%b/%Y:%H:%M:%S %z", &tm);
		}
		last[i] = sec;
	}
	return text[i];
}

static bool redacted(const struct accesslog_rec *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->n_redact; i++)
		if (strlen(r->redact[i]) == len && !strncasecmp(r->redact[i], name, len))
			return true;
	return false;
}

/* w_capture() - the captured headers and bodies of a sampled request. */
static void w_capture(struct w *w, const struct accesslog_rec *r, int json)
{
	const struct http_msg *m = r->head;

	w_put(w, json ? ",\"request_headers\":{" : " req_headers=\"", json ? 20 : 14);
	for (int i = 0; m && i < m->n_hdr; i++) {
		bool red = redacted(r, http_name(m, i), m->hdr[i].name_len);

		if (json) {
			w_put(w, i ? ",\"" : "\"", i ? 2 : 1);
			w_esc(w, http_name(m, i), m->hdr[i].name_len, 1);
			w_put(w, "\":\"", 3);
		} else {
			if (i)
				w_put(w, "; ", 2);
			w_esc(w, http_name(m, i), m->hdr[i].name_len, 0);
			w_put(w, ": ", 2);
		}
		if (red)
			w_put(w, "[redacted]", 10);
		else
			w_esc(w, http_value(m, i), m->hdr[i].value_len, json);
		if (json)
			w_put(w, "\"", 1);
	}
	w_put(w, json ? "},\"request_body\":\"" : "\" req_body=\"", json ? 18 : 12);
	w_esc(w, r->req_body, r->req_body_len, json);
	w_put(w, json ? "\",\"response_body\":\"" : "\" resp_body=\"", json ? 19 : 13);
	w_esc(w, r->resp_body, r->resp_body_len, json);
	w_put(w, "\"", 1);
}

/*
 * w_tls() - a TLS connection's facts: JSON fields tls_protocol, tls_cipher,
 * tls_sni, tls_resumed, tls_handshake_ms (and tls_client_subject after a
 * verified client certificate); combined: tls=PROTOCOL/CIPHER sni= resumed=
 * hs= (and subject="...").
 */
static void w_tls(struct w *w, const struct tls_info *t, int json)
{
	if (json) {
		w_s(w, ",\"tls_protocol\":\"");
		w_str(w, t->protocol, 1);
		w_s(w, "\",\"tls_cipher\":\"");
		w_str(w, t->cipher, 1);
		w_s(w, "\",\"tls_sni\":\"");
		w_str(w, t->sni, 1);
		w_s(w, t->resumed ? "\",\"tls_resumed\":true" : "\",\"tls_resumed\":false");
		w_s(w, ",\"tls_handshake_ms\":");
		w_u64(w, t->handshake_ms);
		if (t->subject) {
			w_s(w, ",\"tls_client_subject\":\"");
			w_str(w, t->subject, 1);
			w_put(w, "\"", 1);
		}
		return;
	}
	w_s(w, " tls=");
	w_str(w, t->protocol, 0);
	w_put(w, "/", 1);
	w_str(w, t->cipher, 0);
	w_s(w, " sni=");
	w_str(w, t->sni, 0);
	w_s(w, t->resumed ? " resumed=1 hs=" : " resumed=0 hs=");
	w_u64(w, t->handshake_ms);
	if (t->subject) {
		w_s(w, " subject=\"");
		w_str(w, t->subject, 0);
		w_put(w, "\"", 1);
	}
}

size_t accesslog_format(enum cfg_log_format fmt, const struct accesslog_rec *r, char *out, size_t cap)
{
	struct w w = { .p = out, .cap = cap };
	time_t sec = (time_t)(r->start_ms / 1000);
	const char *ts = log_time(fmt, sec);

	if (fmt == CFG_LOG_JSON) {
		w_s(&w, "{\"time\":\"");
		w_s(&w, ts);
		{   /* milliseconds, then the zone */
			char f[5] = { '.', (char)('0' + r->start_ms % 1000 / 100),
				      (char)('0' + r->start_ms % 100 / 10), (char)('0' + r->start_ms % 10), 'Z' };
			w_put(&w, f, 5);
		}
		w_s(&w, "\",\"client\":\"");
		w_str(&w, r->client_ip, 1);
		w_s(&w, "\",\"method\":\"");
		w_s(&w, r->method);
		w_s(&w, "\",\"uri\":\"");
		w_esc(&w, r->target, r->target_len, 1);
		w_s(&w, r->http2 ? "\",\"protocol\":\"HTTP/2.0" : "\",\"protocol\":\"HTTP/1.");
		if (!r->http2)
			w_u64(&w, (uint64_t)r->http_minor);
		w_s(&w, "\",\"status\":");
		w_u64(&w, (uint64_t)r->status);
		w_s(&w, ",\"bytes_in\":");
		w_u64(&w, r->bytes_in);
		w_s(&w, ",\"bytes_out\":");
		w_u64(&w, r->bytes_out);
		w_s(&w, ",\"referer\":\"");
		w_str(&w, r->referer, 1);
		w_put(&w, "\",\"user_agent\":\"", 16);
		w_str(&w, r->user_agent, 1);
		w_put(&w, "\",\"upstream\":\"", 14);
		w_str(&w, r->upstream, 1);
		if (r->upstream_ms >= 0) {
			w_s(&w, "\",\"upstream_time\":");
			w_secs(&w, r->upstream_ms);
		} else {
			w_put(&w, "\",\"upstream_time\":null", 22);
		}
		w_s(&w, ",\"request_time\":");
		w_secs(&w, r->total_ms);
		w_s(&w, ",\"request_id\":\"");
		w_str(&w, r->request_id, 1);
		w_put(&w, "\",\"cache\":\"", 11);
		w_str(&w, r->cache ? r->cache : "-", 1);
		w_put(&w, "\"", 1);
		if (r->rule) {
			w_put(&w, ",\"rule\":\"", 9);
			w_str(&w, r->rule, 1);
			w_put(&w, "\"", 1);
		}
		if (r->user) {
			w_put(&w, ",\"user\":\"", 9);
			w_str(&w, r->user, 1);
			w_put(&w, "\"", 1);
		}
		if (r->tls)
			w_tls(&w, r->tls, 1);
		if (r->req_body)
			w_capture(&w, r, 1);
		w_put(&w, "}\n", 2);
	} else {
		w_str(&w, r->client_ip, 0);
		w_s(&w, " - ");
		w_str(&w, r->user, 0);
		w_s(&w, " [");
		w_s(&w, ts);
		w_s(&w, "] \"");
		w_s(&w, r->method);
		w_put(&w, " ", 1);
		w_esc(&w, r->target, r->target_len, 0);
		w_s(&w, r->http2 ? " HTTP/2.0" : " HTTP/1.");
		if (!r->http2)
			w_u64(&w, (uint64_t)r->http_minor);
		w_s(&w, "\" ");
		w_u64(&w, (uint64_t)r->status);
		w_put(&w, " ", 1);
		w_u64(&w, r->bytes_out);
		w_s(&w, " \"");
		w_str(&w, r->referer, 0);
		w_put(&w, "\" \"", 3);
		w_str(&w, r->user_agent, 0);
		w_put(&w, "\" upstream=", 11);
		w_str(&w, r->upstream, 0);
		if (r->upstream_ms >= 0) {
			w_s(&w, " urt=");
			w_secs(&w, r->upstream_ms);
		} else {
			w_put(&w, " urt=-", 6);
		}
		w_s(&w, " rt=");
		w_secs(&w, r->total_ms);
		w_s(&w, " in=");
		w_u64(&w, r->bytes_in);
		w_s(&w, " rid=");
		w_str(&w, r->request_id, 0);
		w_put(&w, " cache=", 7);
		w_str(&w, r->cache ? r->cache : "-", 0);
		if (r->rule) {
			w_put(&w, " rule=", 6);
			w_str(&w, r->rule, 0);
		}
		if (r->tls)
			w_tls(&w, r->tls, 0);
		if (r->req_body)
			w_capture(&w, r, 0);
		w_put(&w, "\n", 1);
	}
	return w.full ? 0 : w.len;
}
