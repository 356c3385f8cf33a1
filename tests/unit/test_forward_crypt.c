// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* forward_crypt: hashed proxy passwords checked on crypt threads, answers through a worker's inbox and eventfd. */
#include <crypt.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "forward/forward_auth.h"
#include "forward/forward_crypt.h"
#include "../tap.h"

/* hash() - a SHA-512 crypt hash of @pass with @rounds (1000 is the least: ~1 ms; 200000: ~0.15 s). */
static char *hash(const char *pass, unsigned int rounds)
{
	struct crypt_data cd;
	char setting[64];

	memset(&cd, 0, sizeof(cd));
	snprintf(setting, sizeof(setting), "$6$rounds=%u$unitsalt", rounds);
	return strdup(crypt_r(pass, setting, &cd));
}

/* collect() - wait (up to 10 s) until @want answers have come to @in, woken by @efd; returns how many came, in @out. */
static int collect(struct fwd_crypt_inbox *in, int efd, struct fwd_crypt_job **out, int want)
{
	int n = 0;

	for (int spins = 0; n < want && spins < 100; spins++) {
		struct pollfd p = { .fd = efd, .events = POLLIN };
		struct fwd_crypt_job *j;
		uint64_t v;

		if (poll(&p, 1, 100) == 1)
			(void)!read(efd, &v, sizeof(v));
		for (j = fwd_crypt_take(in); j; j = j->next)
			out[n < want ? n++ : n] = j;   /* keeps the list's order */
	}
	return n;
}

static void free_list(struct fwd_crypt_job **v, int n)
{
	for (int i = 0; i < n; i++)
		fwd_crypt_job_free(v[i]);
}

static void test_verify(void)
{
	char *h = hash("right", 1000);

	ok(h && fwd_crypt_verify(h, "right"), "the right password verifies");
	ok(!fwd_crypt_verify(h, "wrong"), "a wrong one does not");
	ok(!fwd_crypt_verify("$apr1$x$y", "right") && !fwd_crypt_verify("", "right"), "nor anything against a bad hash");
	free(h);
}

static void test_answers(void)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct fwd_crypt_inbox *in = fwd_crypt_inbox_new(efd);
	struct fwd_crypt_job *got[3] = { NULL };
	char *h = hash("s3cret", 1000);
	bool seen[3] = { false }, right = true;
	int n;

	ok(in && h, "an inbox");
	is_int(fwd_crypt_submit(in, 0x100000007ULL, 2, h, "s3cret", 6), 0, "a check queued");
	is_int(fwd_crypt_submit(in, 0x200000008ULL, 5, h, "s3creT", 6), 0, "another");
	is_int(fwd_crypt_submit(in, 0x300000009ULL, 9, h, "s3cretX", 6), 0, "a third (the length counts, not the NUL)");
	n = collect(in, efd, got, 3);
	is_int(n, 3, "three answers, each through the eventfd");
	for (int i = 0; i < n; i++) {
		int k = got[i]->cookie == 0x100000007ULL ? 0 : got[i]->cookie == 0x200000008ULL ? 1 :
			got[i]->cookie == 0x300000009ULL ? 2 : -1;

		if (k < 0 || seen[k]) {
			right = false;
			continue;
		}
		seen[k] = true;
		right &= got[i]->user == (size_t[]){ 2, 5, 9 }[k];
		right &= got[i]->ok == (k != 1);
		right &= got[i]->len == 6 && !memcmp(got[i]->pass, k == 1 ? "s3creT" : "s3cret", 6);
	}
	ok(right && seen[0] && seen[1] && seen[2], "each answer keeps its cookie, user and password; yes, no, yes");
	free_list(got, n);
	fwd_crypt_inbox_close(in);
	close(efd);
	free(h);
}

/* Two workers' inboxes share the threads: each answer reaches the inbox that asked. */
static void test_two_inboxes(void)
{
	int e1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), e2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct fwd_crypt_inbox *a = fwd_crypt_inbox_new(e1), *b = fwd_crypt_inbox_new(e2);
	struct fwd_crypt_job *ga[4] = { NULL }, *gb[4] = { NULL };
	char *h = hash("pw", 1000);
	bool right = true;
	int na, nb, rc = 0;

	for (uint64_t i = 0; i < 4 && !rc; i++) {
		rc |= fwd_crypt_submit(a, 100 + i, 0, h, "pw", 2);
		rc |= fwd_crypt_submit(b, 200 + i, 0, h, "px", 2);
	}
	is_int(rc, 0, "four checks from each of two inboxes");
	na = collect(a, e1, ga, 4);
	nb = collect(b, e2, gb, 4);
	for (int i = 0; i < na; i++)
		right &= ga[i]->cookie >= 100 && ga[i]->cookie < 104 && ga[i]->ok;
	for (int i = 0; i < nb; i++)
		right &= gb[i]->cookie >= 200 && gb[i]->cookie < 204 && !gb[i]->ok;
	ok(na == 4 && nb == 4 && right, "each inbox got its own four answers (%d, %d)", na, nb);
	free_list(ga, na);
	free_list(gb, nb);
	fwd_crypt_inbox_close(a);
	fwd_crypt_inbox_close(b);
	close(e1);
	close(e2);
	free(h);
}

/* A worker that goes while its checks run: they finish, are dropped, and its eventfd is never written again. */
static void test_close_pending(void)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct fwd_crypt_inbox *in = fwd_crypt_inbox_new(efd);
	struct timespec pause = { .tv_sec = 0, .tv_nsec = 400 * 1000000 };
	char *h = hash("slow", 200000);
	uint64_t v = 0;
	int rc = 0;

	for (int i = 0; i < 3 && !rc; i++)
		rc = fwd_crypt_submit(in, (uint64_t)i, 0, h, "slow", 4);
	is_int(rc, 0, "three slow checks queued");
	fwd_crypt_inbox_close(in);   /* freed by the last answer: ASan sees any use after */
	for (int i = 0; i < 3; i++)
		nanosleep(&pause, NULL);
	ok(read(efd, &v, sizeof(v)) < 0 && errno == EAGAIN, "no answer woke the closed inbox's eventfd");
	close(efd);
	free(h);
}

/* The shared queue is bounded: a flood of checks is refused with -EAGAIN, not queued without end. */
static void test_bound(void)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct fwd_crypt_inbox *in = fwd_crypt_inbox_new(efd);
	char *slow = hash("x", 200000), *fast = hash("x", 1000);
	int rc = 0, queued = 0;

	/* keep every thread busy for a while, then fill the queue behind them */
	for (int i = 0; i < FWD_CRYPT_THREADS_MAX; i++)
		queued += fwd_crypt_submit(in, 1, 0, slow, "x", 1) == 0;
	while (queued < FWD_CRYPT_QUEUE_MAX + FWD_CRYPT_THREADS_MAX + 1 &&
	       (rc = fwd_crypt_submit(in, 1, 0, fast, "x", 1)) == 0)
		queued++;
	is_int(rc, -EAGAIN, "a full queue refuses with -EAGAIN");
	ok(queued >= FWD_CRYPT_QUEUE_MAX && queued <= FWD_CRYPT_QUEUE_MAX + FWD_CRYPT_THREADS_MAX,
	   "after about FWD_CRYPT_QUEUE_MAX checks (%d)", queued);
	fwd_crypt_inbox_close(in);
	close(efd);
	free(slow);
	free(fast);
}

/* fwd_auth_start(): a hashed entry is queued until its password has matched once; plain entries never are. */
static void test_auth_start(void)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct fwd_crypt_inbox *in = fwd_crypt_inbox_new(efd);
	char *h = hash("n0t plain", 1000), users[256], user[48] = "";
	struct fwd_crypt_job *got[1] = { NULL };
	struct fwd_auth *a;
	int n;

	snprintf(users, sizeof(users), "bob:hunter2\ncarl:%s\n", h);
	a = fwd_auth_parse(users, strlen(users), "users", NULL);
	ok(a != NULL, "a table with a plain and a hashed user");
	/* "Basic " + base64 of bob:hunter2, carl:n0t plain, carl:wrong, carl:n0t\0plain */
	is_int(fwd_auth_start(a, "Basic Ym9iOmh1bnRlcjI=", 22, user, sizeof(user), in, 1), FWD_AUTH_OK,
	       "a plain entry is answered at once");
	is_int(fwd_auth_start(a, "Basic Y2FybDpuMHQgcGxhaW4=", 26, user, sizeof(user), in, 42), FWD_AUTH_QUEUED,
	       "a hashed one is queued");
	is_str(user, "carl", "its user named while it waits");
	n = collect(in, efd, got, 1);
	ok(n == 1 && got[0]->ok && got[0]->cookie == 42 && got[0]->user == 1, "the answer: yes, for user 1, cookie 42");
	if (n == 1)
		fwd_auth_remember(a, got[0]->user, got[0]->pass, got[0]->len);
	free_list(got, n);
	is_int(fwd_auth_start(a, "Basic Y2FybDpuMHQgcGxhaW4=", 26, NULL, 0, in, 43), FWD_AUTH_OK,
	       "once remembered, answered at once");
	is_int(fwd_auth_start(a, "Basic Y2FybDp3cm9uZw==", 22, NULL, 0, in, 44), FWD_AUTH_QUEUED,
	       "another password for it is queued again");
	n = collect(in, efd, got, 1);
	ok(n == 1 && !got[0]->ok, "and answered no");
	free_list(got, n);
	is_int(fwd_auth_start(a, "Basic Y2FybDpuMHQAcGxhaW4=", 26, NULL, 0, in, 45), FWD_AUTH_BAD,
	       "a NUL in the password: refused without a check");
	ok(!fwd_auth_check(a, "Basic Y2FybDp3cm9uZw==", 22, NULL, 0) &&
	   fwd_auth_check(a, "Basic Y2FybDpuMHQgcGxhaW4=", 26, NULL, 0), "fwd_auth_check() still answers on its own thread");
	fwd_auth_free(a);
	fwd_crypt_inbox_close(in);
	close(efd);
	free(h);
}

int main(void)
{
	test_verify();
	test_answers();
	test_two_inboxes();
	test_close_pending();
	test_auth_start();
	test_bound();
	return done_testing();
}
