// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Basic proxy authentication: a users file of "user:password" or "user:crypt-hash" lines, checked against Proxy-Authorization. */
#include <crypt.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "forward/forward_auth.h"
#include "forward/forward_crypt.h"
#include "forward/htpasswd.h"

/* A password a hashed entry accepted once: later requests compare against it instead of running crypt(3) again. */
struct fwd_verified {
	size_t len;
	char pass[];
};

struct fwd_user {
	char *name;
	char *pass;          /* the password, or its crypt(3) hash when hashed */
	bool hashed;
	/*
	 * Set once, by whichever worker verifies first, never replaced: readers on
	 * other workers need no lock, and nothing is freed before the table is.
	 */
	_Atomic(struct fwd_verified *) verified;
};

struct fwd_auth {
	struct fwd_user *u;
	size_t n;
};

void fwd_auth_free(struct fwd_auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		struct fwd_verified *v = atomic_load(&a->u[i].verified);

		free(a->u[i].name);
		if (a->u[i].pass)
			explicit_bzero(a->u[i].pass, strlen(a->u[i].pass));
		free(a->u[i].pass);
		if (v)
			explicit_bzero(v->pass, v->len);
		free(v);
	}
	free(a->u);
	free(a);
}

size_t fwd_auth_users(const struct fwd_auth *a)
{
	return a ? a->n : 0;
}

/*
 * pass_kind() - how a password field is read: 0 plain text, 1 a hash this
 * build verifies (a crypt(3) hash the system's libcrypt knows, or one of
 * htpasswd's own formats, htpasswd.h), or -1 with *why set for a hash it
 * cannot.
 */
static int pass_kind(const char *pass, const char **why)
{
	switch (htpasswd_kind(pass)) {
	case HTPASSWD_APR1:
	case HTPASSWD_SHA:
	case HTPASSWD_SSHA:
		return 1;
	case HTPASSWD_BAD:
		*why = "a $apr1$, {SHA} or {SSHA} hash that is not well formed";
		return -1;
	case HTPASSWD_NONE:
		break;
	}
	if (pass[0] != '$')
		return 0;
	switch (crypt_checksalt(pass)) {
	case CRYPT_SALT_OK:
	case CRYPT_SALT_METHOD_LEGACY:
	case CRYPT_SALT_TOO_CHEAP:
		return 1;
	case CRYPT_SALT_METHOD_DISABLED:
		*why = "this hash method is disabled in the system's libcrypt";
		return -1;
	default:
		return 0;   /* not a hash: a plain password that starts with '$' */
	}
}

/* blank() - only spaces and tabs in [p, end): the text need not be NUL-terminated. */
static bool blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p == end;
}

struct fwd_auth *fwd_auth_parse(const char *text, size_t len, const char *name, FILE *errs)
{
	struct fwd_auth *a = calloc(1, sizeof(*a));
	const char *p = text, *end = text + len;
	size_t cap = 0;
	int line = 0, bad = 0;

	if (!a)
		return NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *colon;

		line++;
		if (le > p && le[-1] == '\r')
			le--;
		colon = memchr(p, ':', (size_t)(le - p));
		if (le == p || *p == '#' || blank(p, le)) {
			/* blank or comment */
		} else if (!colon || colon == p || memchr(p, '\0', (size_t)(le - p))) {
			if (errs)
				fprintf(errs, "%s:%d: expected user:password\n", name, line);
			bad++;
		} else {
			if (a->n == cap) {
				size_t nc = cap ? cap * 2 : 8;
				struct fwd_user *u = realloc(a->u, nc * sizeof(*u));

				if (!u)
					goto err_free;
				a->u = u;
				cap = nc;
			}
			struct fwd_user *u = &a->u[a->n];
			const char *why = NULL;
			int kind;

			memset(u, 0, sizeof(*u));
			u->name = strndup(p, (size_t)(colon - p));
			u->pass = strndup(colon + 1, (size_t)(le - colon - 1));
			a->n++;
			if (!u->name || !u->pass)
				goto err_free;
			kind = pass_kind(u->pass, &why);
			if (kind == 0 && !strncmp(u->pass, "{PLAIN}", 7))   /* nginx's marker for plain text */
				memmove(u->pass, u->pass + 7, strlen(u->pass + 7) + 1);
			if (kind < 0) {
				if (errs)
					fprintf(errs, "%s:%d: %s\n", name, line, why);
				bad++;
			}
			u->hashed = kind > 0;
		}
		p = nl ? nl + 1 : end;
	}
	if (bad) {
		fwd_auth_free(a);
		errno = EINVAL;
		return NULL;
	}
	return a;

err_free:
	fwd_auth_free(a);
	errno = ENOMEM;
	return NULL;
}

struct fwd_auth *fwd_auth_load(const char *path, FILE *errs)
{
	struct fwd_auth *a;
	size_t len;
	char *text = cfg_read_file(path, &len, errs);
	int err;

	if (!text)
		return NULL;
	a = fwd_auth_parse(text, len, path, errs);
	err = errno;
	explicit_bzero(text, len);
	free(text);
	errno = err;
	return a;
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long fwd_base64_decode(const char *in, size_t len, char *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	while (len && in[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++) {
		int v = b64_val(in[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (char)(acc >> bits & 0xff);
		}
	}
	return (long)n;
}

bool fwd_same_secret(const void *a, size_t al, const void *b, size_t bl)
{
	const unsigned char *x = a, *y = b;
	unsigned char d = al != bl;

	for (size_t i = 0; i < al && i < bl; i++)
		d |= x[i] ^ y[i];
	return !d;
}

/* remembered() - has @pass matched the user's hash before (see struct fwd_user)? */
static bool remembered(struct fwd_user *u, const char *pass, size_t len)
{
	struct fwd_verified *v = atomic_load_explicit(&u->verified, memory_order_acquire);

	return v && fwd_same_secret(v->pass, v->len, pass, len);
}

void fwd_auth_remember(const struct fwd_auth *a, size_t user, const char *pass, size_t len)
{
	struct fwd_verified *nv, *none = NULL;
	struct fwd_user *u;

	if (!a || user >= a->n || !a->u[user].hashed)
		return;
	u = &a->u[user];
	if (atomic_load_explicit(&u->verified, memory_order_acquire) || !(nv = malloc(sizeof(*nv) + len)))
		return;
	nv->len = len;
	memcpy(nv->pass, pass, len);
	if (!atomic_compare_exchange_strong_explicit(&u->verified, &none, nv, memory_order_release,
						     memory_order_relaxed)) {
		explicit_bzero(nv->pass, len);
		free(nv);
	}
}

/*
 * hashed_ok() - does @pass match the user's hash, checked on this thread? A
 * match is remembered, so crypt(3), slow by design (bcrypt cost 5: ~2 ms),
 * runs once per user and table, not per request.
 */
static bool hashed_ok(const struct fwd_auth *a, size_t user, const char *pass, size_t len)
{
	char *plain;
	bool ok;

	plain = strndup(pass, len);
	if (!plain)
		return false;
	ok = fwd_crypt_verify(a->u[user].pass, plain);
	explicit_bzero(plain, len);
	free(plain);
	if (ok)
		fwd_auth_remember(a, user, pass, len);
	return ok;
}

enum fwd_auth_verdict fwd_auth_start(const struct fwd_auth *a, const char *v, size_t len, char *user, size_t ucap,
				     struct fwd_crypt_inbox *in, uint64_t cookie)
{
	enum fwd_auth_verdict r = FWD_AUTH_BAD;
	char dec[512];
	const char *colon, *pass;
	size_t plen;
	long n;
	int err;

	if (!a || len < 6 || strncasecmp(v, "basic ", 6))
		return FWD_AUTH_BAD;
	v += 6;
	len -= 6;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	n = fwd_base64_decode(v, len, dec, sizeof(dec));
	if (n <= 0)
		return FWD_AUTH_BAD;
	colon = memchr(dec, ':', (size_t)n);
	if (!colon)
		goto out;
	pass = colon + 1;
	plen = (size_t)(dec + n - pass);
	for (size_t i = 0; i < a->n; i++) {
		size_t ul = strlen(a->u[i].name);

		if (ul != (size_t)(colon - dec) || memcmp(a->u[i].name, dec, ul))
			continue;
		if (!a->u[i].hashed) {
			if (fwd_same_secret(a->u[i].pass, strlen(a->u[i].pass), pass, plen))
				r = FWD_AUTH_OK;
		} else if (memchr(pass, '\0', plen)) {
			r = FWD_AUTH_BAD;   /* crypt(3) would stop at the NUL */
		} else if (remembered(&a->u[i], pass, plen)) {
			r = FWD_AUTH_OK;
		} else if (in && !(err = fwd_crypt_submit(in, cookie, i, a->u[i].pass, pass, plen))) {
			r = FWD_AUTH_QUEUED;
		} else if (in && err == -EAGAIN) {
			r = FWD_AUTH_BUSY;
		} else {   /* no inbox, or no memory to queue: check here rather than refuse a right password */
			r = hashed_ok(a, i, pass, plen) ? FWD_AUTH_OK : FWD_AUTH_BAD;
		}
		/* named when queued too: the caller clears it if the answer is no */
		if ((r == FWD_AUTH_OK || r == FWD_AUTH_QUEUED) && user && ucap)
			snprintf(user, ucap, "%.*s", (int)ul, dec);
		break;
	}
out:
	explicit_bzero(dec, sizeof(dec));
	return r;
}

bool fwd_auth_check(const struct fwd_auth *a, const char *v, size_t len, char *user, size_t ucap)
{
	return fwd_auth_start(a, v, len, user, ucap, NULL, 0) == FWD_AUTH_OK;
}

uint64_t fwd_auth_guard_key(const char *ip)
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */

	for (; *ip; ip++)
		h = (h ^ (unsigned char)*ip) * 0x100000001b3ULL;
	return h | 1;
}

/* the slot from high bits: the key's low bit is always set */
static size_t fwd_auth_guard_slot(uint64_t key)
{
	return (size_t)(key >> 32) % FWD_AUTH_GUARD_SLOTS;
}

uint64_t fwd_auth_guard_wait(const struct fwd_auth_guard *g, uint64_t key, uint64_t now_ms)
{
	const __typeof__(g->slot[0]) *s = &g->slot[fwd_auth_guard_slot(key)];
	uint64_t end;

	if (s->key != key || s->fails < FWD_AUTH_FAILS_MAX)
		return 0;
	end = s->since_ms + FWD_AUTH_WINDOW_MS;
	return now_ms < end ? end - now_ms : 0;
}

bool fwd_auth_guard_fail(struct fwd_auth_guard *g, uint64_t key, uint64_t now_ms)
{
	__typeof__(g->slot[0]) *s = &g->slot[fwd_auth_guard_slot(key)];

	if (s->key != key || now_ms >= s->since_ms + FWD_AUTH_WINDOW_MS) {
		s->key = key;
		s->since_ms = now_ms;
		s->fails = 0;
	}
	return ++s->fails == FWD_AUTH_FAILS_MAX;
}
