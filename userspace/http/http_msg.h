/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* llhttp glue: collect a request or response head, stream its body, and rebuild the head for the other side. */
#ifndef SLUICE_HTTP_MSG_H
#define SLUICE_HTTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llhttp.h"

#define HTTP_MAX_HEADERS 128
#define HTTP_HDR_MIN     16     /* header slots at first; doubled up to HTTP_MAX_HEADERS */
#define HTTP_HEAD_BUF_MIN 1024  /* head bytes at first; doubled up to the head limit */
#define HTTP_LENGTH_MAX  INT64_MAX  /* larger Content-Length or chunk sizes are malformed (nginx: off_t) */

/* One header: offsets into http_msg.buf (the head is copied out of the receive buffers). */
struct http_hdr {
	uint32_t name, name_len;
	uint32_t value, value_len;
};

struct http_msg;

/*
 * What the owner of a parser hears. Each is called from inside llhttp_execute().
 * on_head: the head is complete; return 0, 1 (no body follows, e.g. a response
 * to HEAD), -1 (error) or HPE_PAUSED. on_chunk: a chunk of @size > 0 starts;
 * on_chunk_end: it ended. on_body: decoded body bytes (pointing into the input).
 * on_done: the message ended; return 0, -1 or HPE_PAUSED.
 */
struct http_msg_hooks {
	int (*on_head)(void *arg, struct http_msg *m);
	int (*on_chunk)(void *arg, uint64_t size);
	int (*on_chunk_end)(void *arg);
	int (*on_body)(void *arg, const char *at, size_t len);
	int (*on_done)(void *arg, struct http_msg *m);
};

struct http_msg {
	llhttp_t p;
	const struct http_msg_hooks *hooks;
	void *arg;
	char *buf;               /* head text: target or reason, then names and values */
	uint32_t len;
	uint32_t cap;            /* the head size limit; exceeding it is a 431 */
	uint32_t buf_cap;        /* bytes allocated at buf: grows by doubling up to cap */
	uint32_t target, target_len;  /* request target, or response reason phrase */
	/*
	 * buf and hdr exist only while a head is parsed or used, and start small:
	 * an idle keep-alive connection holds neither (memory per idle client).
	 */
	struct http_hdr *hdr;
	uint16_t hdr_cap;
	uint16_t n_hdr;
	uint16_t n_head_hdr;     /* headers of the head; those after it are a chunked body's trailers */
	uint8_t last;            /* previous span callback: lets split fragments concatenate */
	bool too_big;            /* head exceeded cap or HTTP_MAX_HEADERS */
	bool head_done;
	bool in_chunk;
	/* Strictness llhttp 8.1 has only in its strict build (which the Makefile uses), checked here too: the glue must not depend on how llhttp was built. */
	bool scan_done;          /* the head's line endings were checked */
	bool seen_line;          /* a non-empty head line went by */
	char prev;               /* last head byte scanned */
	uint32_t line_len;
	uint64_t chunk_left;     /* data bytes left in the current chunk */
	uint8_t crlf_left;       /* bytes of the CRLF after chunk data still to check (0..2) */
	const char *feed_end;
};

/* http_msg_init() - a parser of @type (HTTP_REQUEST or HTTP_RESPONSE), strict (no lenient flags). */
void http_msg_init(struct http_msg *m, llhttp_type_t type, uint32_t head_limit,
		   const struct http_msg_hooks *hooks, void *arg);

/* http_msg_free_head() - release the head copy (an idle connection keeps none). */
void http_msg_free_head(struct http_msg *m);

/*
 * http_msg_feed() - parse @len bytes.
 * Returns bytes consumed (== @len unless paused), or -EBADMSG on malformed
 * input (-E2BIG when the head is too large: a 431). Pauses (an owner hook
 * returned HPE_PAUSED, or an upgrade) return the bytes consumed so far; the
 * caller checks http_msg_paused() and calls http_msg_resume() before feeding more.
 * -EBUSY: @m is still paused (nothing can be consumed: the caller's state is
 * wrong, and looping on it would never end).
 */
long http_msg_feed(struct http_msg *m, const char *data, size_t len);

static inline bool http_msg_paused(const struct http_msg *m)
{
	return m->p.error == HPE_PAUSED || m->p.error == HPE_PAUSED_UPGRADE;
}

void http_msg_resume(struct http_msg *m);

/* http_msg_eof() - the peer closed: completes a close-delimited body. 0 or -EBADMSG (truncated). */
int http_msg_eof(struct http_msg *m);

/* http_find() - index of the first header named @name (case-insensitive), or -1. */
int http_find(const struct http_msg *m, const char *name);

static inline const char *http_name(const struct http_msg *m, int i) { return m->buf + m->hdr[i].name; }
static inline const char *http_value(const struct http_msg *m, int i) { return m->buf + m->hdr[i].value; }
static inline const char *http_target(const struct http_msg *m) { return m->buf + m->target; }

/* How a body is framed on the wire we write. */
enum http_framing { HTTP_FRAME_NONE = 0, HTTP_FRAME_LENGTH, HTTP_FRAME_CHUNKED, HTTP_FRAME_CLOSE };

/* What the proxy adds to a request it forwards upstream. */
struct http_fwd {
	const char *client_ip;   /* textual, no port */
	const char *proto;       /* "http" */
	const char *host;        /* rewrite Host to this; NULL keeps the client's */
	const char *default_host;   /* sent when there is no Host at all (HTTP/1.0 may omit it; HTTP/1.1 upstreams need one) */
	const char *request_id;  /* sent as X-Request-Id when the client sent none */
	const char *cert_header; /* a client's header of this name is dropped (TLS listeners: client_header) */
	const char *cert_subject;   /* ... and sent with this value: a verified client certificate's subject */
	bool via;
	bool upgrade;            /* keep Upgrade and send Connection: upgrade */
	enum http_framing framing;
	/* forward proxy */
	const char *target;      /* sent instead of the client's target (absolute-form made origin-form); NULL: keep */
	size_t target_len;
	bool forward;            /* add only X-Forwarded-For and Via (when via); keep the client's Forwarded */
	bool anonymize;          /* add nothing; drop Via, X-Forwarded-For, Forwarded and every header in strip */
	char *const *strip;
	size_t n_strip;
};

/*
 * http_build_request() - write the request head to send upstream into @out:
 * hop-by-hop headers (Connection and what it names, Keep-Alive, TE, Trailer,
 * Transfer-Encoding, Upgrade, Proxy-*) removed, the body re-framed,
 * X-Forwarded-For/-Proto, Forwarded, X-Request-Id and Via added (forward
 * proxy: see struct http_fwd's forward and anonymize).
 * Returns the head length, or -ENOSPC when @cap is too small.
 */
long http_build_request(const struct http_msg *m, const struct http_fwd *f, char *out, size_t cap);

/* What the proxy does to a response it sends back to the client. */
struct http_back {
	enum http_framing framing;  /* NONE: no body (HEAD, 204, 304, 1xx) */
	bool close;                 /* the client connection closes after this response */
	bool client_http10;         /* an HTTP/1.0 client: say keep-alive explicitly */
	bool via;
	bool upgrade;               /* 101: keep Upgrade, send Connection: upgrade */
	const char *extra;          /* whole header lines added as is (Cache-Status), or NULL */
	size_t extra_len;
};

/* http_build_response() - the response head for the client. Returns its length or -ENOSPC. */
long http_build_response(const struct http_msg *m, const struct http_back *b, char *out, size_t cap);

/*
 * http_build_last_chunk() - the end of a chunked body for the other side:
 * "0" CRLF, @m's trailers (RFC 9112 7.1.2; without the fields a trailer may
 * not carry: framing, hop-by-hop, Host), CRLF. Returns its length or -ENOSPC.
 */
long http_build_last_chunk(const struct http_msg *m, char *out, size_t cap);

/* http_trailer_ok() - may a trailer field named @name be passed on (RFC 9110 6.5.1: no framing, routing or hop-by-hop)? */
bool http_trailer_ok(const char *name, size_t len);

/* http_host_valid() - is @v (@len bytes) a Host value: uri-host [":" port] (RFC 9112 3.2, RFC 3986 3.2.2)? */
bool http_host_valid(const char *v, size_t len);

/*
 * http_check_host() - RFC 9112 3.2: at most one Host, and a valid one; with
 * @required, an HTTP/1.1 request must have it (HTTP/1.0 may omit it, as nginx
 * accepts). 0, or -EBADMSG (a 400).
 */
int http_check_host(const struct http_msg *m, bool required);

/*
 * http_origin_form() - RFC 9112 3.2.2: an absolute-form target's authority
 * replaces Host (which is added when absent) and the target becomes
 * origin-form (its path and query; "/" when it has no path). Both are new
 * copies in the head buffer. 0 (also when the target was not absolute-form),
 * -EBADMSG (a scheme other than http(s), userinfo, a bad authority) or -E2BIG
 * (the head limit).
 */
int http_origin_form(struct http_msg *m);

/* http_is_hop() - is @name a hop-by-hop header by itself (not counting Connection's list)? */
bool http_is_hop(const char *name, size_t len);

/* http_named_by_connection() - does some Connection header of @m list @name (case-insensitive) as a token? */
bool http_named_by_connection(const struct http_msg *m, const char *name, size_t nlen);

/*
 * http_error_response() - a complete short response for @status with Connection: close.
 * Returns a pointer to static text and its length in @len.
 */
const char *http_error_response(int status, size_t *len);

/* http_reason() - the reason phrase of an error @status the proxy answers itself (400, 403, 407, 5xx...), or NULL. */
const char *http_reason(int status);

/* http_idempotent() - may a request with this method be retried on another server? */
bool http_idempotent(uint8_t method);

#endif
