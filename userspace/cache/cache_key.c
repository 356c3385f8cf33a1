// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Cache keys (scheme, host, path and query) and Vary selecting-header normalisation. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache/cache.h"

static uint64_t key_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

int cache_key_make(struct cache_key *k, const char *scheme, const char *host, size_t host_len,
		   const char *target, size_t target_len)
{
	size_t sl = strlen(scheme), n = 0;
	char *b;

	memset(k, 0, sizeof(*k));
	/* an absolute-form target: keep its path; its authority wins over Host (RFC 9112 3.2.2) */
	if (target_len && target[0] != '/') {
		const char *p = memmem(target, target_len, "://", 3), *end = target + target_len, *slash;

		if (!p)
			return -EINVAL;
		p += 3;
		slash = memchr(p, '/', (size_t)(end - p));
		if (!slash)
			slash = memchr(p, '?', (size_t)(end - p));
		host = p;
		host_len = (size_t)((slash ? slash : end) - p);
		target = slash ? slash : "/";
		target_len = slash ? (size_t)(end - slash) : 1;
	}
	if (!host || !host_len)
		return -EINVAL;
	/* drop a trailing dot and the scheme's default port: the same origin, one key */
	if (host_len > 3 && !strcmp(scheme, "http") && !memcmp(host + host_len - 3, ":80", 3))
		host_len -= 3;
	if (host_len > 1 && host[host_len - 1] == '.')
		host_len--;
	b = malloc(sl + 3 + host_len + (target_len ? target_len : 1) + 1);
	if (!b)
		return -ENOMEM;
	memcpy(b, scheme, sl);
	n = sl;
	memcpy(b + n, "://", 3);
	n += 3;
	for (size_t i = 0; i < host_len; i++)
		b[n++] = (char)tolower((unsigned char)host[i]);
	if (target_len && target[0] == '?')
		b[n++] = '/';
	if (target_len) {
		memcpy(b + n, target, target_len);
		n += target_len;
	} else {
		b[n++] = '/';
	}
	b[n] = 0;
	k->buf = b;
	k->len = (uint32_t)n;
	k->hash = key_hash(b, n);
	return 0;
}

int cache_key_from_url(struct cache_key *k, const char *url)
{
	const char *scheme = "http", *p = strstr(url, "://"), *slash;

	if (p) {
		if ((size_t)(p - url) == 5 && !strncasecmp(url, "https", 5))
			scheme = "https";
		url = p + 3;
	}
	slash = strchr(url, '/');
	if (!slash)
		return cache_key_make(k, scheme, url, strlen(url), "/", 1);
	return cache_key_make(k, scheme, url, (size_t)(slash - url), slash, strlen(slash));
}

void cache_key_free(struct cache_key *k)
{
	free(k->buf);
	k->buf = NULL;
	k->len = 0;
}

/* ---- Vary ---- */

struct span {
	const char *p;
	size_t n;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int r = strncasecmp(x->p, y->p, n);

	return r ? r : (x->n > y->n) - (x->n < y->n);
}

long cache_vary_names(const struct http_msg *resp, char *out, size_t cap)
{
	struct span names[32];
	size_t nn = 0, len = 0;

	for (int i = 0; i < resp->n_hdr; i++) {
		const char *v, *end;

		if (resp->hdr[i].name_len != 4 || strncasecmp(http_name(resp, i), "vary", 4))
			continue;
		v = http_value(resp, i);
		end = v + resp->hdr[i].value_len;
		while (v < end) {
			const char *t;
			bool dup = false;

			while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
				v++;
			t = v;
			while (v < end && *v != ',' && *v != ' ' && *v != '\t')
				v++;
			if (v == t)
				continue;
			if (v - t == 1 && *t == '*')
				return -1;
			for (size_t j = 0; j < nn && !dup; j++)
				dup = names[j].n == (size_t)(v - t) && !strncasecmp(names[j].p, t, names[j].n);
			if (dup)
				continue;
			if (nn == 32)
				return -ENOSPC;
			names[nn++] = (struct span){ t, (size_t)(v - t) };
		}
	}
	qsort(names, nn, sizeof(names[0]), span_cmp);
	for (size_t j = 0; j < nn; j++) {
		if (len + names[j].n + 2 > cap)
			return -ENOSPC;
		if (j)
			out[len++] = ',';
		for (size_t i = 0; i < names[j].n; i++)
			out[len++] = (char)tolower((unsigned char)names[j].p[i]);
	}
	if (len >= cap)
		return -ENOSPC;
	out[len] = 0;
	return (long)len;
}

/* put_value() - one header value, whitespace around commas and at the ends dropped, inner runs folded. */
static int put_value(char *out, size_t cap, size_t *len, const char *v, size_t n, bool lower)
{
	size_t o = *len;
	bool space = false;

	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < n; i++) {
		char ch = v[i];

		if (ch == ' ' || ch == '\t') {
			space = true;
			continue;
		}
		if (o + 3 > cap)
			return -ENOSPC;
		if (ch == ',') {
			space = false;
			while (i + 1 < n && (v[i + 1] == ' ' || v[i + 1] == '\t'))
				i++;
		} else if (space && o > *len && out[o - 1] != ',') {
			out[o++] = ' ';
		}
		space = false;
		out[o++] = lower ? (char)tolower((unsigned char)ch) : ch;
	}
	*len = o;
	return 0;
}

long cache_vary_values(const struct http_msg *req, const char *names, char *out, size_t cap)
{
	size_t len = 0;

	while (*names) {
		size_t nl = strcspn(names, ",");
		bool found = false, lower = nl == 15 && !strncasecmp(names, "accept-encoding", 15);

		for (int i = 0; i < req->n_hdr; i++) {
			if (req->hdr[i].name_len != nl || strncasecmp(http_name(req, i), names, nl))
				continue;
			if (found) {
				if (len + 2 > cap)
					return -ENOSPC;
				out[len++] = ',';
			}
			found = true;
			if (put_value(out, cap, &len, http_value(req, i), req->hdr[i].value_len, lower))
				return -ENOSPC;
		}
		if (len + 3 > cap)
			return -ENOSPC;
		if (!found)
			out[len++] = '\x01';
		out[len++] = '\n';
		names += nl;
		if (*names == ',')
			names++;
	}
	out[len] = 0;
	return (long)len;
}
