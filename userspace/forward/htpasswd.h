/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* htpasswd's own password formats, which crypt(3) does not know: $apr1$ (Apache MD5), {SHA}, {SSHA}. */
#ifndef SLUICE_HTPASSWD_H
#define SLUICE_HTPASSWD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * These are what `htpasswd` writes by default (-m: apr1 on Debian) or with
 * -s ({SHA}); LDAP exports add {SSHA}. nginx's auth_basic reads them all,
 * so an existing users file carries over as it is.
 */
enum htpasswd_kind {
	HTPASSWD_NONE = 0,   /* not one of these: crypt(3) or plain text */
	HTPASSWD_APR1,       /* $apr1$SALT$22 characters: MD5-crypt with Apache's magic */
	HTPASSWD_SHA,        /* {SHA}base64(SHA-1(password)) */
	HTPASSWD_SSHA,       /* {SSHA}base64(SHA-1(password salt) salt) */
	HTPASSWD_BAD,        /* one of these prefixes, but not well formed */
};

/* htpasswd_kind() - which format the password field @hash is in, checked for shape (not for the password). */
enum htpasswd_kind htpasswd_kind(const char *hash);

/* htpasswd_verify() - does @pass (@len bytes) match @hash, one of the formats above? false for any other. */
bool htpasswd_verify(const char *hash, const char *pass, size_t len);

#define MD5CRYPT_MAX 64   /* "$apr1$" + 8 salt + "$" + 22 + NUL fits */

/*
 * md5crypt() - Poul-Henning Kamp's MD5-crypt of @pass with @salt (up to 8
 * characters, to its first '$') and @magic ("$apr1$" for Apache, "$1$" for
 * crypt(3)'s own), written to @out as MAGIC SALT $ HASH. Returns 0, or
 * -ENOMEM / -EIO when the digest cannot be computed.
 */
int md5crypt(const char *pass, size_t len, const char *salt, const char *magic, char out[MD5CRYPT_MAX]);

#endif
