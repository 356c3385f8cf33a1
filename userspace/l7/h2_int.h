/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* HTTP/2 inside l7: the session (h2.c) and its streams (h2_stream.c). */
#ifndef SLUICE_L7_H2_INT_H
#define SLUICE_L7_H2_INT_H

#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "http/http_msg.h"
#include "l7/conn.h"
#include "l7/h2.h"
#include "l7/worker.h"

/* A response body piece waiting for its DATA frame: bytes in the stream's output queue, or copied here. */
struct h2_span {
	const char *p;
	uint32_t len;
	uint8_t inl_len;
	char inl[20];            /* bytes of a SEG_INLINE segment (whose array may move): copied */
	uint64_t raw;            /* where p starts, counted in bytes ever queued on the stream's output */
};

struct h2_stream {
	struct conn_xform xf;    /* first: the stream connection's transform */
	struct h2_sess *s;
	int32_t id;
	struct conn *c;          /* its connection, NULL before the head is complete or once released */
	struct h2_stream *next_dirty;
	struct h2_stream *all_next, **all_pprev;   /* every stream of the session */
	bool dirty;              /* on the session's list: output to parse, input to hand on, a window to give back */
	bool h2_closed;          /* nghttp2 closed the stream */
	bool deliver;            /* input for c->in arrived */
	bool aborted;            /* reset before the response ended: c gets an error EOF */
	/* request */
	char *head;              /* the HTTP/1.1 head being written, then handed to c */
	uint32_t head_len, head_cap;
	uint32_t hdr_bytes;      /* decoded header list (RFC 9113 6.5.2's count) */
	const char *method_end;
	bool chunked;            /* the body goes upstream chunked (no content-length) */
	bool req_end;            /* END_STREAM came */
	bool is_head, is_connect;
	bool bad;                /* a header the translation refuses: answered 400 */
	bool discarding;         /* answered: the rest of the request body is dropped (h2.c cb_data_chunk) */
	uint64_t discarded;
	bool too_big;            /* past max_header_list_size: answered 431 */
	bool expect_100;         /* expect: 100-continue: answered here with a 100 */
	bool interim;            /* the response parsed was a 1xx: the final one follows */
	bool have_authority, have_cl;
	uint32_t cookie_at;      /* where the Cookie line's value is in head (0: none yet) */
	uint64_t owed;           /* DATA bytes taken in but not yet given back to the client's windows */
	/* response */
	struct http_msg *rm;
	uint64_t raw_parsed;     /* bytes of c->out the parser has seen, counted since the stream began */
	uint64_t raw_consumed;   /* ... and consumed (sent on, as frames) */
	struct h2_span *sp;
	uint32_t sp_head, sp_tail, sp_cap;
	uint64_t sp_bytes;
	bool resp_submitted, resp_done, deferred;
	bool rm_kept;            /* rm is a parser kept from an earlier stream: started afresh before use */
	bool resp_trailers;      /* the response's chunked body ended with trailers: a HEADERS after the DATA */
};

struct h2_sess {
	nghttp2_session *ng;
	struct worker *w;
	struct conn *c;
	const struct cfg_http2 *cfg;   /* &cfg_copy: the settings it began with outlive a reload */
	struct cfg_http2 cfg_copy;
	char peer[64];           /* ip:port, for log lines */
	struct h2_sess *next_dirty;
	bool dirty;
	bool closing;            /* GOAWAY was sent for good: close once the output is out */
	bool notice_sent;        /* the first GOAWAY of a graceful shutdown went out */
	bool released;
	struct h2_stream *dirty_streams, **dirty_tail;
	struct h2_stream *all;
	struct h2_stream *st_free;   /* ended streams kept for reuse (h2_stream.c), linked through next_dirty */
	uint32_t n_st_free;
	uint32_t n_streams;      /* with a connection */
	uint64_t gen_seq;        /* the worker's generation when the session began (a reload ends it gracefully) */
	uint64_t notice_ms;
	uint64_t last_active_ms; /* a stream opened or closed */
	uint64_t pending_bytes;  /* response bytes parsed, not yet framed (the streams' sp_bytes) */
	uint64_t data_ms;        /* DATA last went out, or response data began to wait: the stall clock */
	bool final_sent;
	bool raw_end;            /* nghttp2 ended the session itself: it is not called again (goaway_raw) */         /* the last GOAWAY of a graceful shutdown */
	/* flood counts over the current second */
	uint64_t win_ms;
	uint32_t n_resets, n_settings, n_pings, n_control;
	uint32_t n_cont;         /* CONTINUATION frames of the header block under way */
	/* output being made: frames go into a private buffer of the loop's ring, then to c->out */
	int ob_bid;
	uint32_t ob_len;
	/* scratch: synthesized request bytes go into a private receive buffer, shared by the streams */
	int scratch_bid;
	uint32_t scratch_used;
};

/* h2_stream.c */
extern const struct conn_xform_ops h2_stream_xops;
struct h2_stream *h2_stream_new(struct h2_sess *s, int32_t id);
int h2_stream_header(struct h2_stream *st, const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen);
int h2_stream_head_done(struct h2_stream *st, bool end_stream);
int h2_stream_trailer(struct h2_stream *st, const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen);
int h2_stream_data(struct h2_stream *st, const uint8_t *data, size_t len);
void h2_stream_end(struct h2_stream *st);
void h2_stream_closed(struct h2_stream *st, uint32_t code);
void h2_stream_work(struct h2_stream *st);
void h2_stream_window(struct h2_stream *st);
ssize_t h2_stream_read(struct h2_stream *st, size_t length, uint32_t *flags);
int h2_stream_copy(struct h2_stream *st, char *out, size_t len);
void h2_stream_free(struct h2_stream *st);
void h2_stream_destroy(struct h2_stream *st);

/* h2.c, for h2_stream.c */
void h2_sess_dirty(struct h2_sess *s);
void h2_stream_dirty(struct h2_stream *st);
int h2_scratch_write(struct h2_sess *s, struct conn *c, const char *p, size_t len);

#endif
