/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Basic proxy authentication for the forward proxy: the users file and Proxy-Authorization checks. */
#ifndef SLUICE_FORWARD_AUTH_H
#define SLUICE_FORWARD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fwd_auth;
struct fwd_crypt_inbox;

/*
 * fwd_auth_parse() - users from @text: one "user:password" per line; blank lines
 * (spaces and tabs only) and lines starting with '#' are skipped; the password is everything after the
 * first ':' (it may contain ':'); a trailing CR is ignored. A password that is
 * a crypt(3) hash the system's libcrypt knows ($2y$ bcrypt from htpasswd -B,
 * $6$ / $5$ SHA-crypt, $y$ yescrypt, ...) or one of htpasswd's own formats
 * ($apr1$, {SHA}, {SSHA}: htpasswd.h) is the hash of the password; one of
 * those prefixes on a malformed value is a bad line. Bad lines are
 * reported on @errs as "NAME:LINE: message".
 * Returns the user table, or NULL with errno (EINVAL: a bad line, ENOMEM).
 */
struct fwd_auth *fwd_auth_parse(const char *text, size_t len, const char *name, FILE *errs);

/* fwd_auth_load() - fwd_auth_parse() of the file @path. NULL with errno when it cannot be read or is invalid. */
struct fwd_auth *fwd_auth_load(const char *path, FILE *errs);

void fwd_auth_free(struct fwd_auth *a);

/* fwd_auth_users() - how many users the table holds. */
size_t fwd_auth_users(const struct fwd_auth *a);

/*
 * fwd_auth_check() - does the Proxy-Authorization value @v ("Basic base64(user:pass)")
 * name a user of @a with that password? The user name is copied to @user (for logs) when it is.
 * Safe from several threads at once. A hashed entry runs crypt(3) on this
 * thread until its password has matched once; then a plain comparison.
 */
bool fwd_auth_check(const struct fwd_auth *a, const char *v, size_t len, char *user, size_t ucap);

enum fwd_auth_verdict {
	FWD_AUTH_BAD = 0,    /* no such user, wrong password, malformed header */
	FWD_AUTH_OK,
	FWD_AUTH_QUEUED,     /* a hashed entry's check went to a crypt thread: its answer comes through @in */
	FWD_AUTH_BUSY,       /* the crypt threads' queue is full: try later */
};

/*
 * fwd_auth_start() - fwd_auth_check() that never runs crypt(3) on the
 * caller's thread when @in is given: a hashed entry whose password has not
 * matched before is queued (forward_crypt.h) with @cookie and the user's
 * index, and the caller waits for the answer, then calls
 * fwd_auth_remember() if it is yes. @user is filled for OK and QUEUED.
 * Without @in, crypt(3) runs here (fwd_auth_check()).
 */
enum fwd_auth_verdict fwd_auth_start(const struct fwd_auth *a, const char *v, size_t len, char *user, size_t ucap,
				     struct fwd_crypt_inbox *in, uint64_t cookie);

/* fwd_auth_remember() - a crypt thread said @pass matches user @user of @a: later requests skip crypt(3). */
void fwd_auth_remember(const struct fwd_auth *a, size_t user, const char *pass, size_t len);

/*
 * Failed logins by client address, one table per worker (no lock on the
 * request path). After FWD_AUTH_FAILS_MAX failures within FWD_AUTH_WINDOW_MS
 * of the first, the address's requests with credentials are answered 429
 * without being checked until that window ends: guessing passwords cannot
 * keep the crypt threads (forward_crypt.h) busy for milliseconds a try.
 * Direct-mapped by a hash of the address: an address that lands on
 * another's slot starts that slot over.
 */
#define FWD_AUTH_FAILS_MAX   10
#define FWD_AUTH_WINDOW_MS   60000
#define FWD_AUTH_GUARD_SLOTS 256

struct fwd_auth_guard {
	struct {
		uint64_t key;        /* fwd_auth_guard_key() of the address; 0 = free */
		uint64_t since_ms;   /* the window's first failure */
		uint32_t fails;
	} slot[FWD_AUTH_GUARD_SLOTS];
};

/* fwd_auth_guard_key() - the table key of client address text @ip (never 0). */
uint64_t fwd_auth_guard_key(const char *ip);

/* fwd_auth_guard_wait() - ms until @key's credentials are checked again; 0: now. */
uint64_t fwd_auth_guard_wait(const struct fwd_auth_guard *g, uint64_t key, uint64_t now_ms);

/* fwd_auth_guard_fail() - count a failed login of @key at @now_ms. True when this one closed the door. */
bool fwd_auth_guard_fail(struct fwd_auth_guard *g, uint64_t key, uint64_t now_ms);

/* fwd_same_secret() - equal bytes, compared without an early exit so timing does not tell how much of a secret matched. */
bool fwd_same_secret(const void *a, size_t al, const void *b, size_t bl);

/* fwd_base64_decode() - standard alphabet, padding optional. Returns bytes written, or -1 (bad input or @cap too small). */
long fwd_base64_decode(const char *in, size_t len, char *out, size_t cap);

#endif
