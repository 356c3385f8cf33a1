// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Basic proxy authentication: a users file of "user:password" lines, checked against Proxy-Authorization. */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "forward_auth.h"

struct fwd_user {
	char *name;
	char *pass;
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
		free(a->u[i].name);
		if (a->u[i].pass)
			explicit_bzero(a->u[i].pass, strlen(a->u[i].pass));
		free(a->u[i].pass);
	}
	free(a->u);
	free(a);
}

size_t fwd_auth_users(const struct fwd_auth *a)
{
	return a ? a->n : 0;
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
			a->u[a->n].name = strndup(p, (size_t)(colon - p));
			a->u[a->n].pass = strndup(colon + 1, (size_t)(le - colon - 1));
			a->n++;
			if (!a->u[a->n - 1].name || !a->u[a->n - 1].pass)
				goto err_free;
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
	FILE *f = fopen(path, "re");
	struct fwd_auth *a;
	char *text = NULL;
	size_t len = 0, cap = 0;
	int err;

	if (!f) {
		err = errno;
		if (errs)
			fprintf(errs, "%s: %s\n", path, strerror(err));
		errno = err;
		return NULL;
	}
	for (;;) {
		size_t n;

		if (len + 4096 > cap) {
			char *t = realloc(text, cap + 65536);

			if (!t) {
				free(text);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			text = t;
			cap += 65536;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (!n)
			break;
	}
	fclose(f);
	a = fwd_auth_parse(text ? text : "", len, path, errs);
	err = errno;
	if (text)
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

/* same_secret() - compare without an early exit, so timing does not tell how much of a password matched. */
static bool same_secret(const char *a, size_t al, const char *b, size_t bl)
{
	unsigned char d = al != bl;

	for (size_t i = 0; i < al && i < bl; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

bool fwd_auth_check(const struct fwd_auth *a, const char *v, size_t len, char *user, size_t ucap)
{
	char dec[512];
	const char *colon;
	long n;
	bool ok = false;

	if (!a || len < 6 || strncasecmp(v, "basic ", 6))
		return false;
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
		return false;
	colon = memchr(dec, ':', (size_t)n);
	if (!colon)
		goto out;
	for (size_t i = 0; i < a->n; i++) {
		size_t ul = strlen(a->u[i].name);

		if (ul != (size_t)(colon - dec) || memcmp(a->u[i].name, dec, ul))
			continue;
		ok = same_secret(a->u[i].pass, strlen(a->u[i].pass), colon + 1, (size_t)(dec + n - colon - 1));
		if (ok && user && ucap) {
			snprintf(user, ucap, "%.*s", (int)ul, dec);
		}
		break;
	}
out:
	explicit_bzero(dec, sizeof(dec));
	return ok;
}
