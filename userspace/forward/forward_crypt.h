/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* crypt(3) off the workers' event loops: a few shared threads check hashed proxy passwords and wake the worker that asked. */
#ifndef SLUICE_FORWARD_CRYPT_H
#define SLUICE_FORWARD_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A hashed password costs crypt(3) milliseconds by design (bcrypt cost 5:
 * ~2 ms, SHA-crypt 5000 rounds: 1-3 ms). Run on a worker, that stalls every
 * connection the worker holds; a client guessing passwords from many
 * addresses (the per-address guard in forward_auth.h only slows one) could
 * keep a worker there. So workers queue the check here and carry on; an
 * answer comes back through the worker's inbox and its wake eventfd.
 */
#define FWD_CRYPT_QUEUE_MAX 1024   /* checks waiting for a thread, all workers together; beyond: -EAGAIN */
#define FWD_CRYPT_THREADS_MAX 4

struct fwd_crypt_inbox;

/* One check: the question while queued, the answer once taken from an inbox. */
struct fwd_crypt_job {
	struct fwd_crypt_job *next;
	struct fwd_crypt_inbox *inbox;
	uint64_t cookie;       /* the caller's: names the waiting request */
	size_t user;           /* the caller's: the user's index in its table */
	bool ok;               /* answer: the password matches the hash */
	char *hash;
	char *pass;            /* NUL-terminated; len bytes */
	size_t len;
};

/*
 * fwd_crypt_inbox_new() - where one worker's answers wait. Each answer
 * writes 1 to @wake_fd (an eventfd; -1: none, the worker polls). NULL with
 * errno on failure.
 */
struct fwd_crypt_inbox *fwd_crypt_inbox_new(int wake_fd);

/*
 * fwd_crypt_inbox_close() - the worker is going: answers still to come are
 * dropped and @wake_fd is never written again. The inbox is freed once no
 * queued check names it.
 */
void fwd_crypt_inbox_close(struct fwd_crypt_inbox *in);

/*
 * fwd_crypt_submit() - check @pass (@len bytes, no NUL) against crypt(3)
 * hash @hash on a crypt thread (the first call starts them). Both are
 * copied. Returns 0 (the answer comes through @in), -EAGAIN when
 * FWD_CRYPT_QUEUE_MAX checks are already waiting, -ENOMEM, or -EAGAIN /
 * the error of pthread_create when no thread could start.
 */
int fwd_crypt_submit(struct fwd_crypt_inbox *in, uint64_t cookie, size_t user, const char *hash,
		     const char *pass, size_t len);

/* fwd_crypt_take() - every answer in @in so far, oldest first, as a list; NULL for none. */
struct fwd_crypt_job *fwd_crypt_take(struct fwd_crypt_inbox *in);

/* fwd_crypt_job_free() - one job (not the list after it); its password copy is wiped first. */
void fwd_crypt_job_free(struct fwd_crypt_job *j);

/* fwd_crypt_verify() - the check itself, on the calling thread: does @pass hash to @hash (crypt(3) or htpasswd.h)? */
bool fwd_crypt_verify(const char *hash, const char *pass);

#endif
