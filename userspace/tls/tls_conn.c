// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TLS on a loop connection: a transform (loop/conn.h) between the socket and
 * the connection's handlers. io_uring still does every read and write: a
 * received buffer is handed to OpenSSL through a BIO that reads it in place,
 * its records decrypt into private buffers of the loop's buffer ring (so the
 * parser, input queue and zero-copy forwarding see them as received bytes),
 * and what the handlers queue in c->out is encrypted into a heap buffer that
 * one send takes out. The handshake runs the same way and never blocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "loop/loop.h"
#include "tls/tls_int.h"

#define TLS_STAGE      16384          /* small segments are gathered into records of up to this */
#define TLS_FILL_MAX   (256 * 1024)   /* ciphertext made ahead of the send that takes it */
#define TLS_LOG_PER_S  20             /* handshake failure lines a thread writes per second, at most */
#define TLS_FILL_FIRST (16384 + 512)  /* a record and its overhead: one response of up to 16 KiB fits */
#define TLS_BUF_IDLE_MS 200           /* a connection unused this long gives OpenSSL's record buffers back */

struct tls_conn {
	struct conn_xform xf;
	SSL *ssl;
	struct tls_server *srv;       /* accepted: the listener's (a reference) */
	struct tls_client *cli;       /* connected: the upstream's */
	uint32_t server;              /* connected: the server's index in the upstream */
	const char *rd;               /* the received bytes the BIO hands OpenSSL next */
	uint32_t rd_len;
	char *fill;                   /* ciphertext made, waiting for the send */
	uint32_t fill_len, fill_cap;
	char *flight;                 /* ciphertext a send has out */
	uint32_t flight_len, flight_off, flight_cap;
	uint64_t hs_start_ms;
	uint32_t hs_ms;
	uint32_t request_ms;          /* accepted: the timer the handshake's end sets */
	bool hs_done, in_progress, failed;
	bool closing;                 /* failed: the alert OpenSSL wrote goes out before the handlers hear of it */
	char *subject;                /* the verified client certificate's subject */
	/* this thread's connections that may hold OpenSSL's record buffers, least recently used first */
	struct tls_conn *lru_prev, *lru_next;
	uint64_t used_ms;
	bool lru_in;
	char alpn[32];
};

struct tls_stats tls_stats;
const char *const tls_fail_names[TLS_FAIL_MAX] = {
	[TLS_FAIL_TIMEOUT] = "timeout", [TLS_FAIL_CLOSED] = "closed", [TLS_FAIL_PROTOCOL] = "protocol", [TLS_FAIL_GARBAGE] = "garbage",
	[TLS_FAIL_LIMIT] = "limit", [TLS_FAIL_CERT] = "cert", [TLS_FAIL_OTHER] = "other",
};

static __thread uint32_t hs_in_progress;     /* this worker's handshakes under way (max_handshakes) */
static __thread char stage[TLS_STAGE];
static __thread uint64_t log_sec, log_n;
static __thread char *spare;                 /* one TLS_FILL_FIRST buffer kept: most responses need one, malloc'ed no more */
static __thread struct tls_conn *lru_first, *lru_last;
static __thread struct loop *ticking;        /* the loop whose tick gives idle connections' buffers back */
static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

void tls_fail_count(enum tls_fail reason)
{
	atomic_fetch_add_explicit(&tls_stats.failures[reason], 1, memory_order_relaxed);
}

static const struct conn_xform_ops tls_xform_ops;

/* tls_of() - @c's TLS state, NULL when it has none (cleartext, or another transform: an HTTP/2 stream). */
static struct tls_conn *tls_of(const struct loop_conn *c)
{
	return c->xf && c->xf->ops == &tls_xform_ops ? (struct tls_conn *)c->xf : NULL;
}

uint32_t tls_conn_server(SSL *ssl)
{
	const struct tls_conn *tc = SSL_get_app_data(ssl);

	return tc ? tc->server : UINT32_MAX;
}

/*
 * ---- OpenSSL's record buffers: kept while a connection is busy, given back once it idles ----
 *
 * With SSL_MODE_RELEASE_BUFFERS (nginx's and HAProxy's choice) OpenSSL frees
 * its 16 KiB read and write buffers whenever they empty, and allocates them
 * again for the next record: two malloc/free pairs per keep-alive request. We
 * keep them while the connection is in use and free them (SSL_free_buffers())
 * from the loop's tick once it has been idle TLS_BUF_IDLE_MS, so an idle
 * client still costs none of them.
 */
static void lru_unlink(struct tls_conn *tc)
{
	if (!tc->lru_in)
		return;
	if (tc->lru_prev)
		tc->lru_prev->lru_next = tc->lru_next;
	else
		lru_first = tc->lru_next;
	if (tc->lru_next)
		tc->lru_next->lru_prev = tc->lru_prev;
	else
		lru_last = tc->lru_prev;
	tc->lru_prev = tc->lru_next = NULL;
	tc->lru_in = false;
}

/* lru_touch() - @tc was used now: last in the list. */
static void lru_touch(struct loop *lp, struct tls_conn *tc)
{
	tc->used_ms = lp->now_ms;
	if (tc->lru_in && !tc->lru_next)
		return;
	lru_unlink(tc);
	tc->lru_prev = lru_last;
	if (lru_last)
		lru_last->lru_next = tc;
	else
		lru_first = tc;
	lru_last = tc;
	tc->lru_in = true;
}

/* tls_tick() - LOOP_ON_TICK: connections idle TLS_BUF_IDLE_MS give their record buffers back. */
static void tls_tick(struct loop *lp)
{
	while (lru_first && lp->now_ms - lru_first->used_ms >= TLS_BUF_IDLE_MS) {
		struct tls_conn *tc = lru_first;

		lru_unlink(tc);
		SSL_free_buffers(tc->ssl);   /* 0 while it holds an unread record: it is busy again soon */
	}
}

/* ---- the BIO: reads the received buffer in place, writes into the fill buffer ---- */

static int bio_read(BIO *b, char *out, int len)
{
	struct tls_conn *tc = BIO_get_data(b);
	uint32_t n;

	BIO_clear_retry_flags(b);
	if (!tc->rd_len) {
		BIO_set_retry_read(b);
		return -1;
	}
	n = tc->rd_len < (uint32_t)len ? tc->rd_len : (uint32_t)len;
	memcpy(out, tc->rd, n);
	tc->rd += n;
	tc->rd_len -= n;
	return (int)n;
}

static int bio_write(BIO *b, const char *in, int len)
{
	struct tls_conn *tc = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (tc->fill_len + (uint32_t)len > tc->fill_cap) {
		uint32_t cap = tc->fill_cap ? tc->fill_cap : TLS_FILL_FIRST;
		char *p;

		while (cap < tc->fill_len + (uint32_t)len)
			cap *= 2;
		if (!tc->fill && cap == TLS_FILL_FIRST && spare) {
			p = spare;
			spare = NULL;
		} else {
			p = realloc(tc->fill, cap);
		}
		if (!p)
			return -1;
		tc->fill = p;
		tc->fill_cap = cap;
	}
	memcpy(tc->fill + tc->fill_len, in, (size_t)len);
	tc->fill_len += (uint32_t)len;
	return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH;   /* written is as good as flushed: the send follows */
}

static void bio_method_init(void)
{
	bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sluice loop");
	if (!bio_method)
		return;
	BIO_meth_set_read(bio_method, bio_read);
	BIO_meth_set_write(bio_method, bio_write);
	BIO_meth_set_ctrl(bio_method, bio_ctrl);
}

/* ---- sending: plaintext from c->out into records, records out in one send ---- */

/* start_send() - send what was encrypted, unless a send is out. */
static void start_send(struct loop *lp, struct loop_conn *c, struct tls_conn *tc)
{
	struct iovec iov;

	if (tc->flight || !tc->fill_len || c->dead || c->connecting)
		return;
	tc->flight = tc->fill;
	tc->flight_len = tc->fill_len;
	tc->flight_cap = tc->fill_cap;
	tc->flight_off = 0;
	tc->fill = NULL;
	tc->fill_len = tc->fill_cap = 0;
	iov.iov_base = tc->flight;
	iov.iov_len = tc->flight_len;
	loop_conn_send_iov(lp, c, &iov, 1);
	c->out.inflight = true;   /* the handlers see their output pending until the wire took it */
	/*
	 * A handshake's flight goes now, not at the end of the turn: a turn that
	 * computes a burst of handshakes (0.5 ms of CPU each) would otherwise
	 * hold the first one's answer until the last is done. One submit per
	 * handshake message is nothing beside its crypto.
	 */
	if (!tc->hs_done)
		loop_submit(lp);
}

/* seal() - write @len plaintext bytes as records. 0, or -EPROTO (the connection is done). */
static int seal(struct tls_conn *tc, const char *p, size_t len)
{
	size_t n;

	return len && SSL_write_ex(tc->ssl, p, len, &n) != 1 ? -EPROTO : 0;
}

/*
 * encrypt() - turn c->out's segments into records, at most TLS_FILL_MAX of
 * ciphertext ahead of the send. Small segments (a head, chunk framing) are
 * gathered into one record instead of a record each. 0 or -EPROTO.
 */
static int encrypt(struct loop *lp, struct loop_conn *c, struct tls_conn *tc)
{
	struct outq *q = &c->out;
	size_t staged = 0;

	while (q->head < q->tail && tc->fill_len < TLS_FILL_MAX) {
		const struct seg *s = &q->s[q->head];
		const char *p = (s->kind == SEG_INLINE ? s->inl : s->ptr) + q->off;
		uint32_t len = s->len - q->off;

		if (!len) {
			outq_consume(lp, q, 0);
			continue;
		}
		if (!staged && len >= TLS_STAGE) {
			uint32_t n = len < 4 * TLS_STAGE ? len : 4 * TLS_STAGE;

			if (seal(tc, p, n))
				return -EPROTO;
			outq_consume(lp, q, n);
			continue;
		}
		if (len > TLS_STAGE - staged)
			len = (uint32_t)(TLS_STAGE - staged);
		memcpy(stage + staged, p, len);
		staged += len;
		outq_consume(lp, q, len);
		if (staged == TLS_STAGE) {
			if (seal(tc, stage, staged))
				return -EPROTO;
			staged = 0;
		}
	}
	return seal(tc, stage, staged);
}

static void x_send(struct loop *lp, struct loop_conn *c)
{
	struct tls_conn *tc = tls_of(c);

	lru_touch(lp, tc);
	if (!tc->hs_done || tc->flight)
		return;   /* the handshake's end, or the send's, encrypts what waits */
	if (encrypt(lp, c, tc)) {
		tc->failed = true;
		c->ops->on_eof(lp, c, -EPROTO);
		return;
	}
	start_send(lp, c, tc);
}

static void x_on_eof(struct loop *lp, struct loop_conn *c, int err);

/* flight_free() - the send took the flight: keep its buffer as this thread's spare when it is the usual size. */
static void flight_free(struct tls_conn *tc)
{
	if (tc->flight_cap == TLS_FILL_FIRST && !spare)
		spare = tc->flight;
	else
		free(tc->flight);
	tc->flight = NULL;
}

static void x_on_sent(struct loop *lp, struct loop_conn *c, int res)
{
	struct tls_conn *tc = tls_of(c);

	if (res < 0) {
		c->out.inflight = false;
		x_on_eof(lp, c, res);
		return;
	}
	tc->flight_off += (uint32_t)res;
	if (tc->flight_off < tc->flight_len) {
		struct iovec iov = { tc->flight + tc->flight_off, tc->flight_len - tc->flight_off };

		loop_conn_send_iov(lp, c, &iov, 1);
		return;
	}
	flight_free(tc);
	c->out.inflight = false;
	if (tc->closing) {
		if (tc->fill_len)
			start_send(lp, c, tc);
		else
			c->ops->on_eof(lp, c, -EPROTO);
		return;
	}
	if (!tc->hs_done) {
		start_send(lp, c, tc);
		return;
	}
	x_send(lp, c);
	if (!c->dead)
		c->ops->on_sent(lp, c);
}

/* ---- the handshake ---- */

/* log_limited() - at most TLS_LOG_PER_S lines a second per thread: a flood of bad handshakes is not a flood of logs. */
static bool log_limited(void)
{
	uint64_t sec = clock_coarse_ms() / 1000;

	if (sec != log_sec) {
		if (log_n > TLS_LOG_PER_S)
			log_warn("tls: %llu more handshake failures in the last second not logged",
				 (unsigned long long)(log_n - TLS_LOG_PER_S));
		log_sec = sec;
		log_n = 0;
	}
	return ++log_n > TLS_LOG_PER_S;
}

static void hs_end(struct tls_conn *tc)
{
	if (tc->in_progress) {
		tc->in_progress = false;
		hs_in_progress--;
	}
}

/* fail() - the handshake or a record failed: count it, say why once, and end the connection through its handlers. */
static void fail(struct loop *lp, struct loop_conn *c, struct tls_conn *tc, enum tls_fail why, const char *detail)
{
	char addr[INET6_ADDRSTRLEN + 8], eb[256];

	if (!detail)
		detail = tls_openssl_error(eb, sizeof(eb));
	ERR_clear_error();
	tc->failed = true;
	if (!tc->hs_done) {
		hs_end(tc);
		if (tc->cli)
			atomic_fetch_add_explicit(&tls_stats.up_failures, 1, memory_order_relaxed);
		else
			tls_fail_count(why);
		if (tc->cli)
			log_warn("upstream %s/%s: tls handshake failed: %s", tc->cli->upstream,
				 tc->server < tc->cli->n_servers ? tc->cli->addr[tc->server] : "?", detail);
		else if (!log_limited())
			log_warn("listener %s: tls: client %s: handshake failed (%s): %s", tc->srv->name,
				 loop_conn_peer(c, addr, sizeof(addr)), tls_fail_names[why], detail);
	} else if (!tc->cli && !log_limited()) {
		log_info("listener %s: tls: client %s: %s", tc->srv->name, loop_conn_peer(c, addr, sizeof(addr)), detail);
	}
	if (tc->cli && !tc->hs_done) {
		c->ops->on_connect(lp, c, why == TLS_FAIL_CERT ? -EKEYREJECTED : -EPROTO);
		return;
	}
	if (tc->fill_len || tc->flight) {
		/* a client is told why (protocol_version, certificate_required...): the alert first, then the close */
		tc->closing = true;
		start_send(lp, c, tc);
		return;
	}
	c->ops->on_eof(lp, c, -EPROTO);
}

static enum tls_fail fail_reason(const struct tls_conn *tc)
{
	unsigned long e = ERR_peek_last_error();
	int r = ERR_GET_REASON(e);

	if (tc->cli ? SSL_get_verify_result(tc->ssl) != X509_V_OK : r == SSL_R_CERTIFICATE_VERIFY_FAILED ||
	    r == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		return TLS_FAIL_CERT;
	if (r == SSL_R_HTTP_REQUEST || r == SSL_R_HTTPS_PROXY_REQUEST || r == SSL_R_WRONG_VERSION_NUMBER ||
	    r == SSL_R_PACKET_LENGTH_TOO_LONG || r == SSL_R_RECORD_LENGTH_MISMATCH)
		return TLS_FAIL_GARBAGE;
	return e ? TLS_FAIL_PROTOCOL : TLS_FAIL_OTHER;
}

/* subject_of() - the verified client certificate's subject, RFC 2253, control characters escaped (it goes into a header). */
static char *subject_of(SSL *ssl)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);
	BIO *m;
	char *p, *out = NULL;
	long n;

	if (!peer || SSL_get_verify_result(ssl) != X509_V_OK || !(m = BIO_new(BIO_s_mem())))
		return NULL;
	if (X509_NAME_print_ex(m, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(m, &p)) > 0)
		out = strndup(p, (size_t)n);
	BIO_free(m);
	return out;
}

/* done() - the handshake completed: count it, and let the handlers in. */
static void done(struct loop *lp, struct loop_conn *c, struct tls_conn *tc)
{
	const unsigned char *alpn;
	unsigned int alpn_len;

	tc->hs_done = true;
	tc->hs_ms = (uint32_t)(clock_mono_ms() - tc->hs_start_ms);
	hs_end(tc);
	SSL_get0_alpn_selected(tc->ssl, &alpn, &alpn_len);
	if (alpn_len && alpn_len < sizeof(tc->alpn)) {
		memcpy(tc->alpn, alpn, alpn_len);
		tc->alpn[alpn_len] = 0;
	}
	if (tc->cli) {
		atomic_fetch_add_explicit(&tls_stats.up_handshakes, 1, memory_order_relaxed);
		if (SSL_session_reused(tc->ssl))
			atomic_fetch_add_explicit(&tls_stats.up_resumed, 1, memory_order_relaxed);
		c->ops->on_connect(lp, c, 0);
		return;
	}
	atomic_fetch_add_explicit(&tls_stats.handshakes, 1, memory_order_relaxed);
	if (SSL_session_reused(tc->ssl))
		atomic_fetch_add_explicit(&tls_stats.resumed, 1, memory_order_relaxed);
	if (tc->srv->verify_client)
		tc->subject = subject_of(tc->ssl);
	/* the handshake ran under handshake_timeout; the request gets its own */
	if (c->t_kind != LOOP_TIMER_NONE)
		loop_timer(lp, c, c->t_kind, tc->request_ms);
}

/* handshake() - advance the handshake with what arrived. 1: done, 0: more to come, -1: failed (handled). */
static int handshake(struct loop *lp, struct loop_conn *c, struct tls_conn *tc)
{
	int r = SSL_do_handshake(tc->ssl);

	if (r == 1) {
		done(lp, c, tc);
		return c->dead ? -1 : 1;
	}
	r = SSL_get_error(tc->ssl, r);
	if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
		start_send(lp, c, tc);
		return 0;
	}
	fail(lp, c, tc, fail_reason(tc), NULL);
	return -1;
}

/* ---- receiving: records into plaintext buffers ---- */

/*
 * decrypt() - read every record OpenSSL can complete into private buffers
 * queued on c->in. Returns the buffers queued, or -1 after a failure (handled).
 * *@closed is set when the peer sent close_notify.
 */
static int decrypt(struct loop *lp, struct loop_conn *c, struct tls_conn *tc, bool *closed)
{
	int queued = 0;

	for (;;) {
		int bid = bufring_priv_get(&lp->br);
		size_t got = 0, n;
		char *p;
		int r = 1;

		if (bid < 0) {
			fail(lp, c, tc, TLS_FAIL_OTHER, "no buffer left for decrypted data");
			return -1;
		}
		p = bufring_ptr(&lp->br, (uint16_t)bid);
		while (got < lp->br.size && (r = SSL_read_ex(tc->ssl, p + got, lp->br.size - got, &n)) == 1)
			got += n;
		if (got && inq_push(&c->in, (uint16_t)bid, (uint32_t)got)) {
			bufring_unref(&lp->br, (uint16_t)bid);
			fail(lp, c, tc, TLS_FAIL_OTHER, "out of memory");
			return -1;
		}
		if (got)
			queued++;
		else
			bufring_unref(&lp->br, (uint16_t)bid);
		if (r == 1)
			continue;   /* the buffer filled: there may be more */
		r = SSL_get_error(tc->ssl, r);
		if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE)
			return queued;
		if (r == SSL_ERROR_ZERO_RETURN) {
			*closed = true;
			return queued;
		}
		fail(lp, c, tc, fail_reason(tc), NULL);
		return -1;
	}
}

static void x_on_recv(struct loop *lp, struct loop_conn *c)
{
	struct tls_conn *tc = tls_of(c);
	struct inbuf e = c->in.v[--c->in.tail];   /* the buffer the loop just queued: ciphertext */
	bool closed = false;
	int n = 0;

	lru_touch(lp, tc);
	if (c->in.tail == c->in.head)
		c->in.head = c->in.tail = 0;
	tc->rd = bufring_ptr(&lp->br, e.bid) + e.off;
	tc->rd_len = e.len - e.off;
	if (tc->failed) {
		n = -1;   /* done with: what still arrives (while an alert goes out) is dropped, not decrypted */
		tc->rd_len = 0;
	} else if (!tc->cli && SSL_in_before(tc->ssl) && tc->rd[0] != 0x16) {
		/* a first byte that is no handshake record: not TLS (a cleartext request, a scanner) */
		n = -1;
		tc->rd_len = 0;
		fail(lp, c, tc, TLS_FAIL_GARBAGE, "not a TLS handshake");
	} else if (!tc->hs_done) {
		n = handshake(lp, c, tc);
	}
	if (n >= 0 && tc->hs_done && !c->dead)
		n = decrypt(lp, c, tc, &closed);
	tc->rd_len = 0;
	bufring_unref(&lp->br, e.bid);
	if (n < 0 || c->dead)
		return;
	start_send(lp, c, tc);   /* handshake messages, tickets, a key update's answer */
	if (n > 0)
		c->ops->on_recv(lp, c);
	if (closed && !c->dead) {
		c->eof = true;
		c->ops->on_eof(lp, c, 0);
	}
}

static void x_on_connect(struct loop *lp, struct loop_conn *c, int res)
{
	struct tls_conn *tc = tls_of(c);

	if (res < 0) {
		c->ops->on_connect(lp, c, res);
		return;
	}
	tc->hs_start_ms = clock_mono_ms();
	loop_conn_recv(lp, c);
	handshake(lp, c, tc);
}

static void x_on_eof(struct loop *lp, struct loop_conn *c, int err)
{
	struct tls_conn *tc = tls_of(c);

	if (tc->cli && !tc->hs_done && !tc->failed) {
		/* the server left in the middle of the handshake: the connect failed */
		fail(lp, c, tc, TLS_FAIL_PROTOCOL, err ? strerror(-err) : "connection closed during the handshake");
		return;
	}
	if (!tc->cli && !tc->hs_done && !tc->failed) {
		/* a client that left mid-handshake (a port probe, a health check): counted, not logged */
		tc->failed = true;
		hs_end(tc);
		tls_fail_count(TLS_FAIL_CLOSED);
	}
	tc->closing = false;
	c->ops->on_eof(lp, c, err);
}

static void x_on_released(struct loop *lp, struct loop_conn *c)
{
	struct tls_conn *tc = tls_of(c);

	(void)lp;
	if (!tc->hs_done && !tc->failed && !tc->cli)
		tls_fail_count(TLS_FAIL_TIMEOUT);   /* closed by us before the handshake ended: its timeout */
	hs_end(tc);
	lru_unlink(tc);
	/*
	 * We close without a close_notify (HTTP framing says where messages
	 * end): without this, SSL_free() would take the connection for a broken
	 * one and mark its session (an upstream's ticket) not resumable.
	 */
	if (tc->hs_done && !tc->failed)
		SSL_set_shutdown(tc->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(tc->ssl);
	tls_server_put(tc->srv);
	free(tc->fill);
	flight_free(tc);
	free(tc->subject);
	free(tc);
}

static const struct conn_xform_ops tls_xform_ops = {
	.on_recv = x_on_recv,
	.send = x_send,
	.on_sent = x_on_sent,
	.on_connect = x_on_connect,
	.on_eof = x_on_eof,
	.on_released = x_on_released,
};

/* conn_tls() - a TLS state for @c on @ctx, its BIO reading and writing through the loop. NULL without memory. */
static struct tls_conn *conn_tls(struct loop *lp, struct loop_conn *c, SSL_CTX *ctx)
{
	struct tls_conn *tc;
	BIO *bio;

	if (ticking != lp && !loop_hook_add(lp, LOOP_ON_TICK, tls_tick))
		ticking = lp;
	pthread_once(&bio_once, bio_method_init);
	if (!bio_method || !(tc = calloc(1, sizeof(*tc))))
		return NULL;
	tc->xf.ops = &tls_xform_ops;
	tc->ssl = SSL_new(ctx);
	bio = tc->ssl ? BIO_new(bio_method) : NULL;
	if (!bio) {
		SSL_free(tc->ssl);
		free(tc);
		return NULL;
	}
	BIO_set_data(bio, tc);
	BIO_set_init(bio, 1);
	SSL_set_bio(tc->ssl, bio, bio);
	SSL_set_app_data(tc->ssl, tc);
	if (ticking != lp)
		SSL_set_mode(tc->ssl, SSL_MODE_RELEASE_BUFFERS);   /* no tick to give them back: OpenSSL does it */
	c->xf = &tc->xf;
	return tc;
}

int tls_accept(struct loop *lp, struct loop_conn *c, struct tls_server *s, uint32_t request_ms)
{
	struct tls_conn *tc;

	if (hs_in_progress >= s->max_handshakes) {
		tls_fail_count(TLS_FAIL_LIMIT);
		return -EBUSY;
	}
	tc = conn_tls(lp, c, s->ctx[0]);
	if (!tc)
		return -ENOMEM;
	tls_server_get(s);
	tc->srv = s;
	tc->request_ms = request_ms;
	tc->hs_start_ms = clock_mono_ms();
	tc->in_progress = true;
	tc->server = UINT32_MAX;
	hs_in_progress++;
	SSL_set_accept_state(tc->ssl);
	return 0;
}

int tls_connect(struct loop *lp, struct loop_conn *c, struct tls_client *cli, uint32_t server)
{
	struct tls_conn *tc = conn_tls(lp, c, cli->ctx);

	if (!tc)
		return -ENOMEM;
	tc->cli = cli;
	tc->server = server;
	SSL_set_connect_state(tc->ssl);   /* not counted in max_handshakes: that is for clients */
	tls_client_session_set(cli, tc->ssl, server);
	return 0;
}

void tls_thread_free(void)
{
	free(spare);
	spare = NULL;
}

bool tls_info(const struct loop_conn *c, struct tls_info *out)
{
	const struct tls_conn *tc = tls_of(c);

	if (!tc || !tc->hs_done)
		return false;
	out->protocol = SSL_get_version(tc->ssl);
	out->cipher = SSL_get_cipher_name(tc->ssl);
	out->sni = SSL_get_servername(tc->ssl, TLSEXT_NAMETYPE_host_name);
	out->alpn = tc->alpn[0] ? tc->alpn : NULL;
	out->subject = tc->subject;
	out->resumed = SSL_session_reused(tc->ssl);
	out->handshake_ms = tc->hs_ms;
	return true;
}
