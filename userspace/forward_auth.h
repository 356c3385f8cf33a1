/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Basic proxy authentication for the forward proxy: the users file and Proxy-Authorization checks. */
#ifndef SLUICE_FORWARD_AUTH_H
#define SLUICE_FORWARD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct fwd_auth;

/*
 * fwd_auth_parse() - users from @text: one "user:password" per line; blank lines
 * (spaces and tabs only) and lines starting with '#' are skipped; the password is everything after the
 * first ':' (it may contain ':'); a trailing CR is ignored. A password that is
 * a crypt(3) hash the system's libcrypt knows ($2y$ bcrypt from htpasswd -B,
 * $6$ / $5$ SHA-crypt, $y$ yescrypt, ...) is the hash of the password;
 * htpasswd's own $apr1$ and {SHA} formats are bad lines. Bad lines are
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
 * Safe from several threads at once. A hashed entry runs crypt(3) until its
 * password has matched once; then a plain comparison.
 */
bool fwd_auth_check(const struct fwd_auth *a, const char *v, size_t len, char *user, size_t ucap);

/* fwd_base64_decode() - standard alphabet, padding optional. Returns bytes written, or -1 (bad input or @cap too small). */
long fwd_base64_decode(const char *in, size_t len, char *out, size_t cap);

#endif
