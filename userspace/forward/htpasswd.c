// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* htpasswd's own password formats, which crypt(3) does not know: $apr1$ (Apache MD5), {SHA}, {SSHA}. */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "forward/forward_auth.h"
#include "forward/htpasswd.h"

#define SHA1_LEN 20
#define SSHA_MAX 128   /* digest + salt, decoded: salts are 4-16 bytes in practice */

static const char itoa64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static char *to64(char *s, unsigned long v, int n)
{
	while (--n >= 0) {
		*s++ = itoa64[v & 0x3f];
		v >>= 6;
	}
	return s;
}

/* md5() - the MD5 of up to three pieces (NULL ends the list early). */
static int md5(EVP_MD_CTX *ctx, unsigned char out[16], const void *a, size_t al, const void *b, size_t bl,
	       const void *c, size_t cl)
{
	if (!EVP_DigestInit_ex(ctx, EVP_md5(), NULL) || !EVP_DigestUpdate(ctx, a, al) ||
	    (b && !EVP_DigestUpdate(ctx, b, bl)) || (c && !EVP_DigestUpdate(ctx, c, cl)) ||
	    !EVP_DigestFinal_ex(ctx, out, NULL))
		return -EIO;
	return 0;
}

int md5crypt(const char *pass, size_t len, const char *salt, const char *magic, char out[MD5CRYPT_MAX])
{
	size_t ml = strlen(magic), sl = 0;
	unsigned char fin[16], alt[16];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *p;
	int err = -EIO;

	if (!ctx)
		return -ENOMEM;
	while (sl < 8 && salt[sl] && salt[sl] != '$')
		sl++;
	/* the alternate sum, then the first: password, magic, salt, then alternate bytes and a bit pattern */
	if (md5(ctx, alt, pass, len, salt, sl, pass, len) || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL) ||
	    !EVP_DigestUpdate(ctx, pass, len) || !EVP_DigestUpdate(ctx, magic, ml) ||
	    !EVP_DigestUpdate(ctx, salt, sl))
		goto out;
	for (size_t i = len; i > 0; i -= i > 16 ? 16 : i)
		if (!EVP_DigestUpdate(ctx, alt, i > 16 ? 16 : i))
			goto out;
	for (size_t i = len; i; i >>= 1)
		if (!EVP_DigestUpdate(ctx, i & 1 ? (const void *)"" : (const void *)pass, 1))
			goto out;
	if (!EVP_DigestFinal_ex(ctx, fin, NULL))
		goto out;
	/* a thousand rounds, to make it slow */
	for (int i = 0; i < 1000; i++) {
		const void *first = i & 1 ? (const void *)pass : fin, *last = i & 1 ? (const void *)fin : pass;
		size_t fl = i & 1 ? len : 16, ll = i & 1 ? 16 : len;

		if (!EVP_DigestInit_ex(ctx, EVP_md5(), NULL) || !EVP_DigestUpdate(ctx, first, fl) ||
		    (i % 3 && !EVP_DigestUpdate(ctx, salt, sl)) || (i % 7 && !EVP_DigestUpdate(ctx, pass, len)) ||
		    !EVP_DigestUpdate(ctx, last, ll) || !EVP_DigestFinal_ex(ctx, fin, NULL))
			goto out;
	}
	memcpy(out, magic, ml);
	memcpy(out + ml, salt, sl);
	p = out + ml + sl;
	*p++ = '$';
	p = to64(p, (unsigned long)fin[0] << 16 | (unsigned long)fin[6] << 8 | fin[12], 4);
	p = to64(p, (unsigned long)fin[1] << 16 | (unsigned long)fin[7] << 8 | fin[13], 4);
	p = to64(p, (unsigned long)fin[2] << 16 | (unsigned long)fin[8] << 8 | fin[14], 4);
	p = to64(p, (unsigned long)fin[3] << 16 | (unsigned long)fin[9] << 8 | fin[15], 4);
	p = to64(p, (unsigned long)fin[4] << 16 | (unsigned long)fin[10] << 8 | fin[5], 4);
	p = to64(p, fin[11], 2);
	*p = '\0';
	err = 0;
out:
	explicit_bzero(fin, sizeof(fin));
	explicit_bzero(alt, sizeof(alt));
	EVP_MD_CTX_free(ctx);
	return err;
}

/* apr1_shape() - "$apr1$" SALT(1-8, no '$') "$" 22 characters of itoa64. */
static bool apr1_shape(const char *h)
{
	const char *s = h + 6, *d = strchr(s, '$');

	if (!d || d == s || d - s > 8)
		return false;
	return strlen(d + 1) == 22 && strspn(d + 1, itoa64) == 22;
}

enum htpasswd_kind htpasswd_kind(const char *hash)
{
	unsigned char dec[SSHA_MAX];
	long n;

	if (!strncmp(hash, "$apr1$", 6))
		return apr1_shape(hash) ? HTPASSWD_APR1 : HTPASSWD_BAD;
	if (!strncmp(hash, "{SHA}", 5)) {
		n = fwd_base64_decode(hash + 5, strlen(hash + 5), (char *)dec, sizeof(dec));
		return n == SHA1_LEN ? HTPASSWD_SHA : HTPASSWD_BAD;
	}
	if (!strncmp(hash, "{SSHA}", 6)) {
		n = fwd_base64_decode(hash + 6, strlen(hash + 6), (char *)dec, sizeof(dec));
		return n > SHA1_LEN ? HTPASSWD_SSHA : HTPASSWD_BAD;
	}
	return HTPASSWD_NONE;
}

/* sha1_ok() - {SHA} (@skip 5, no salt) or {SSHA} (@skip 6, salt after the digest). */
static bool sha1_ok(const char *hash, size_t skip, const char *pass, size_t len)
{
	unsigned char dec[SSHA_MAX], md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx;
	long n = fwd_base64_decode(hash + skip, strlen(hash + skip), (char *)dec, sizeof(dec));
	bool ok = false;

	if (n < SHA1_LEN || (skip == 5 && n != SHA1_LEN))
		return false;
	ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) && EVP_DigestUpdate(ctx, pass, len) &&
	    EVP_DigestUpdate(ctx, dec + SHA1_LEN, (size_t)n - SHA1_LEN) && EVP_DigestFinal_ex(ctx, md, NULL))
		ok = fwd_same_secret(md, SHA1_LEN, dec, SHA1_LEN);
	EVP_MD_CTX_free(ctx);
	explicit_bzero(md, sizeof(md));
	return ok;
}

bool htpasswd_verify(const char *hash, const char *pass, size_t len)
{
	char out[MD5CRYPT_MAX];
	bool ok;

	switch (htpasswd_kind(hash)) {
	case HTPASSWD_APR1:
		if (md5crypt(pass, len, hash + 6, "$apr1$", out))
			return false;
		ok = fwd_same_secret(out, strlen(out), hash, strlen(hash));
		explicit_bzero(out, sizeof(out));
		return ok;
	case HTPASSWD_SHA:
		return sha1_ok(hash, 5, pass, len);
	case HTPASSWD_SSHA:
		return sha1_ok(hash, 6, pass, len);
	default:
		return false;
	}
}
