// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TLS on the loop's connections, both ends ours: a tls_connect()'ed client
 * and a tls_accept()'ed server on a socketpair, in one loop. An echo of a
 * megabyte (records across receive buffers, private buffers forwarded as
 * SEG_BUF), ALPN and the facts the access log reads, a resumed session, and
 * the refusals: garbage instead of a ClientHello, TLS 1.1, an untrusted
 * server, max_handshakes. Runs under ASan/UBSan with the other unit tests.
 */
#include <errno.h>
#include <ftw.h>
#include <malloc.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/clock.h"
#include "loop/loop.h"
#include "tls/tls.h"
#include "../tap.h"
#include "tls_util.h"

#define ECHO_BYTES (1024 * 1024 + 333)

/* A test connection: the loop's, and what this test keeps per side. */
struct tconn {
	struct loop_conn lc;
	char *got;                    /* what arrived (client: the echo) */
	size_t n_got;
	int eof_err;                  /* on_eof's @err, 1: not yet */
	int connect_res;              /* client: on_connect's @res, 1: not yet */
	bool released;
};

static char dir[] = "/tmp/sluice-tls-conn.XXXXXX";
static char cert_path[256], key_path[256], other_ca[256];
static struct loop lp;
static char *payload;

/* take() - the plaintext queued on @c->in, appended to got (server: echoed back without a copy). */
static void on_recv(struct loop *l, struct loop_conn *lc)
{
	struct tconn *t = (struct tconn *)lc;

	while (lc->in.head < lc->in.tail) {
		struct inbuf *e = &lc->in.v[lc->in.head++];
		const char *p = bufring_ptr(&l->br, e->bid) + e->off;
		uint32_t n = e->len - e->off;

		if (lc->kind == CONN_CLIENT) {
			/* the server side: echo the decrypted buffer itself, by reference */
			if (outq_push(&lc->out, SEG_BUF, p, n, e->bid))
				bufring_unref(&l->br, e->bid);
			continue;
		}
		t->got = realloc(t->got, t->n_got + n);
		memcpy(t->got + t->n_got, p, n);
		t->n_got += n;
		bufring_unref(&l->br, e->bid);
	}
	lc->in.head = lc->in.tail = 0;
	if (lc->kind == CONN_CLIENT)
		loop_conn_send(l, lc);
}

static void on_sent(struct loop *l, struct loop_conn *lc)
{
	(void)l;
	(void)lc;
}

static void on_connect(struct loop *l, struct loop_conn *lc, int res)
{
	struct tconn *t = (struct tconn *)lc;

	t->connect_res = res;
	if (res)
		return;
	outq_push(&lc->out, SEG_STATIC, payload, ECHO_BYTES, 0);
	loop_conn_send(l, lc);
}

static void on_eof(struct loop *l, struct loop_conn *lc, int err)
{
	((struct tconn *)lc)->eof_err = err;
	loop_conn_close(l, lc);
}

static void on_timer(struct loop *l, struct loop_conn *lc, uint8_t kind)
{
	(void)kind;
	loop_conn_close(l, lc);
}

static void on_released(struct loop *l, struct loop_conn *lc)
{
	struct tconn *t = (struct tconn *)lc;

	(void)l;
	t->released = true;
}

static const struct conn_ops ops = { on_recv, on_sent, on_connect, on_eof, on_timer, on_released };

/* run() - turn the loop until @done(@arg) or 10 s. */
static bool run(bool (*done)(void *), void *arg)
{
	uint64_t until = clock_mono_ms() + 10000;

	while (!done(arg) && clock_mono_ms() < until) {
		struct __kernel_timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

		loop_wait(&lp, &ts);
		loop_turn(&lp, clock_mono_ms());
	}
	return done(arg);
}

static struct tconn *tnew(uint8_t kind, int fd)
{
	struct tconn *t = (struct tconn *)loop_conn_new(&lp, kind, fd, &ops);

	t->eof_err = 1;
	t->connect_res = 1;
	return t;
}

static struct cfg_tls server_cfg(void)
{
	static struct cfg_tls_cert cc;

	cc = (struct cfg_tls_cert){ .cert = cert_path, .key = key_path, .line = 1 };
	return (struct cfg_tls){
		.present = true, .certs = &cc, .n_certs = 1, .protocols = CFG_TLS12 | CFG_TLS13,
		.session_tickets = true, .ticket_rotate_ms = 3600000, .session_timeout_ms = 7200000,
		.handshake_timeout_ms = 10000, .max_handshakes = 3,
	};
}

static struct tls_client *client_new(const char *ca, const char *name)
{
	static struct cfg_server srv;
	struct cfg_upstream up = { .name = "t", .servers = &srv, .n_servers = 1 };

	strcpy(srv.addr.text, "127.0.0.1:1");
	up.tls = (struct cfg_upstream_tls){ .enabled = true, .ca = (char *)ca, .server_name = (char *)name,
					    .verify = true };
	return tls_client_new(&up);
}

struct pair {
	struct tconn *cli, *srv;
};

static bool echoed(void *arg)
{
	struct pair *p = arg;

	return p->cli->n_got >= ECHO_BYTES || p->cli->connect_res < 0 || p->cli->eof_err != 1;
}

/* pair_new() - a connected socketpair: the server side accepted on @s, the client side connecting through @c. */
static int pair_new(struct pair *p, struct tls_server *s, struct tls_client *c)
{
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	p->srv = tnew(CONN_CLIENT, sv[0]);
	p->cli = tnew(CONN_UPSTREAM, sv[1]);
	err = tls_accept(&lp, &p->srv->lc, s, 5000);
	if (err) {
		loop_conn_close(&lp, &p->srv->lc);
		loop_conn_close(&lp, &p->cli->lc);
		return err;
	}
	loop_conn_recv(&lp, &p->srv->lc);
	tls_connect(&lp, &p->cli->lc, c, 0);
	p->cli->lc.xf->ops->on_connect(&lp, &p->cli->lc, 0);   /* a socketpair is connected already */
	return 0;
}

static void pair_close(struct pair *p)
{
	free(p->cli->got);
	p->cli->got = NULL;
	loop_conn_close(&lp, &p->cli->lc);
	loop_conn_close(&lp, &p->srv->lc);
}

static void test_echo_and_resume(struct tls_server *s, struct tls_client *c)
{
	struct tls_info ti;
	struct pair p;
	uint64_t resumed0 = atomic_load(&tls_stats.resumed);

	ok(pair_new(&p, s, c) == 0, "a server and a client connection on a socketpair");
	ok(run(echoed, &p) && p.cli->connect_res == 0, "the handshake completes on both sides");
	ok(p.cli->n_got == ECHO_BYTES && !memcmp(p.cli->got, payload, ECHO_BYTES),
	   "1 MiB echoed through records and decrypted buffers, byte for byte");
	ok(tls_info(&p.srv->lc, &ti), "the server side has TLS facts after the handshake");
	is_str(ti.protocol, "TLSv1.3", "TLS 1.3 by default");
	is_str(ti.sni, "www.example.test", "the SNI the client sent");
	ok(ti.alpn == NULL, "no ALPN when the client offers none");
	ok(!ti.resumed, "the first handshake is a full one");
	{
		/* idle past TLS_BUF_IDLE_MS (200 ms): both ends give OpenSSL's record buffers back on a tick */
		size_t before = mallinfo2().uordblks, after;
		uint64_t until = clock_mono_ms() + 400;

		while (clock_mono_ms() < until) {
			struct __kernel_timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

			loop_wait(&lp, &ts);
			loop_turn(&lp, clock_mono_ms());
		}
		after = mallinfo2().uordblks;
		if (!before)
			ok(1, "idle connections' record buffers # SKIP mallinfo2() counts nothing under ASan");
		else
			ok(before > after + 3 * 16384, "idle connections gave their record buffers back (%zu -> %zu bytes in use)",
			   before, after);
	}
	pair_close(&p);

	/* the client side kept the server's ticket: the next connection resumes it */
	ok(pair_new(&p, s, c) == 0, "a second connection");
	ok(run(echoed, &p) && p.cli->n_got == ECHO_BYTES, "... echoes too");
	ok(tls_info(&p.srv->lc, &ti) && ti.resumed, "... on a resumed session (a ticket the server issued)");
	ok(atomic_load(&tls_stats.resumed) == resumed0 + 1, "... counted as a resumption");
	pair_close(&p);
}

static bool srv_ended(void *arg)
{
	return ((struct tconn *)arg)->eof_err != 1;
}

/* test_garbage() - a cleartext request where a ClientHello belongs: the connection ends, counted as garbage. */
static void test_garbage(struct tls_server *s)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	uint64_t before = atomic_load(&tls_stats.failures[TLS_FAIL_GARBAGE]);
	struct tconn *t;
	int sv[2];

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	t = tnew(CONN_CLIENT, sv[0]);
	ok(tls_accept(&lp, &t->lc, s, 5000) == 0, "garbage: accepted");
	loop_conn_recv(&lp, &t->lc);
	ok(write(sv[1], req, sizeof(req) - 1) == sizeof(req) - 1, "garbage: a cleartext request sent");
	ok(run(srv_ended, t) && t->eof_err == -EPROTO, "garbage: the connection ends with a protocol error");
	ok(atomic_load(&tls_stats.failures[TLS_FAIL_GARBAGE]) == before + 1, "garbage: counted by its reason");
	close(sv[1]);
}

/* test_refusals() - a client that trusts another CA, then the handshake cap. */
static void test_refusals(struct tls_server *s)
{
	struct tls_client *wrong = client_new(other_ca, "www.example.test");
	struct tls_client *good = client_new(cert_path, "www.example.test");
	struct pair p, q[3];
	int n;

	ok(wrong != NULL, "a client context trusting another CA");
	ok(pair_new(&p, s, wrong) == 0 && run(echoed, &p), "untrusted: the handshake ends");
	ok(p.cli->connect_res == -EKEYREJECTED, "untrusted: on_connect says the certificate was refused");
	ok(p.cli->n_got == 0, "untrusted: no data went through");
	pair_close(&p);
	loop_poll(&lp, 50);   /* closed connections count as under way until their last completion */

	/* three accepted connections whose clients never speak fill max_handshakes (3) */
	for (n = 0; n < 3; n++) {
		int sv[2];

		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
		q[n].srv = tnew(CONN_CLIENT, sv[0]);
		q[n].cli = tnew(CONN_UPSTREAM, sv[1]);
		if (tls_accept(&lp, &q[n].srv->lc, s, 5000))
			break;
	}
	ok(n == 3, "three handshakes may be under way");
	ok(pair_new(&p, s, good) == -EBUSY, "a fourth is refused (max_handshakes)");
	for (int i = 0; i < n; i++)
		pair_close(&q[i]);
	loop_poll(&lp, 50);
	ok(pair_new(&p, s, good) == 0 && run(echoed, &p) && p.cli->n_got == ECHO_BYTES,
	   "once they closed, a new handshake is accepted and works");
	pair_close(&p);
	loop_poll(&lp, 50);
	tls_client_free(wrong);
	tls_client_free(good);
}

static void make_files(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	X509 *leaf = make_cert(key, "www.example.test", "DNS:www.example.test", true, NULL, NULL, -DAY, DAY);
	X509 *oca = make_cert(other, "Other CA", NULL, true, NULL, NULL, -DAY, DAY);

	write_pem(cert_path, sizeof(cert_path), "cert.pem", leaf, NULL, NULL, false);
	write_pem(key_path, sizeof(key_path), "key.pem", NULL, NULL, key, false);
	write_pem(other_ca, sizeof(other_ca), "other.pem", oca, NULL, NULL, false);
	X509_free(leaf);
	X509_free(oca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	struct cfg_tls tcfg;
	struct tls_server *s;
	struct tls_client *c;

	if (!mkdtemp(dir))
		return 1;
	tu_dir = dir;
	make_files();
	payload = malloc(ECHO_BYTES);
	for (size_t i = 0; i < ECHO_BYTES; i++)
		payload[i] = (char)(i * 7 + i / 4096);
	lp.conn_size = sizeof(struct tconn);
	lp.wake_fd = -1;
	if (loop_ring_init(&lp)) {
		printf("1..0 # SKIP io_uring unavailable\n");
		return 0;
	}
	tcfg = server_cfg();
	s = tls_server_new("t.yaml", "web", &tcfg, stderr);
	c = client_new(cert_path, "www.example.test");
	ok(s && c, "server and client contexts");
	test_echo_and_resume(s, c);
	test_garbage(s);
	test_refusals(s);
	loop_close_all(&lp);
	loop_poll(&lp, 50);
	loop_destroy(&lp);
	tls_thread_free();
	tls_server_put(s);
	tls_client_free(c);
	free(payload);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
