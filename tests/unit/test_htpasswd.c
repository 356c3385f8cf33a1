// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* htpasswd: $apr1$ against `openssl passwd -apr1`, MD5-crypt against libcrypt's $1$, {SHA} and {SSHA}, shapes. */
#include <crypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward/forward_auth.h"
#include "forward/htpasswd.h"
#include "../tap.h"

/* made with `openssl passwd -apr1 -salt SALT PASSWORD` (OpenSSL 3.0) */
static const struct {
	const char *pass, *hash;
} apr1[] = {
	{ "hunter2", "$apr1$sLu1ce$KSYG7BcISxAqOCJAwRpZA1" },
	{ "pa:ss w0rd", "$apr1$sLu1ce$2Xx/1yqL1BItpB2eWmElX." },
	{ "", "$apr1$sLu1ce$k2mxfgA1bsHc0Zx//xvW20" },
	{ "a-password-longer-than-sixteen-bytes!", "$apr1$sLu1ce$sZEo9O9pGKYZS/Hb1Okin0" },
	{ "x", "$apr1$abcdefgh$82JubPF2dQkt1tVfvLnXS." },
};

static void test_apr1(void)
{
	for (size_t i = 0; i < sizeof(apr1) / sizeof(apr1[0]); i++) {
		char out[MD5CRYPT_MAX];

		ok(!md5crypt(apr1[i].pass, strlen(apr1[i].pass), apr1[i].hash + 6, "$apr1$", out) &&
		   !strcmp(out, apr1[i].hash), "md5crypt(\"%s\") = openssl's %s (%s)", apr1[i].pass, apr1[i].hash, out);
		ok(htpasswd_verify(apr1[i].hash, apr1[i].pass, strlen(apr1[i].pass)), "and it verifies");
	}
	ok(!htpasswd_verify(apr1[0].hash, "hunter3", 7), "a wrong password does not");
	ok(!htpasswd_verify(apr1[0].hash, "hunter", 6), "nor a prefix of the right one");
	ok(!htpasswd_verify(apr1[0].hash, "hunter2x", 8), "nor the right one and more");
}

/* The same algorithm with "$1$" is libcrypt's MD5-crypt: random passwords and salts must agree. */
static void test_md5crypt_vs_libcrypt(void)
{
	static const char chars[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	uint32_t seed = 12345;
	int same = 0, n = 200;

	for (int i = 0; i < n; i++) {
		char pass[80], salt[9], setting[16], out[MD5CRYPT_MAX];
		size_t pl, sl;
		struct crypt_data cd;
		const char *want;

		seed = seed * 1103515245 + 12345;
		pl = (seed >> 8) % 70;
		for (size_t k = 0; k < pl; k++) {
			seed = seed * 1103515245 + 12345;
			pass[k] = (char)(' ' + (seed >> 16) % 95);
		}
		pass[pl] = '\0';
		seed = seed * 1103515245 + 12345;
		sl = 1 + (seed >> 8) % 8;
		for (size_t k = 0; k < sl; k++) {
			seed = seed * 1103515245 + 12345;
			salt[k] = chars[(seed >> 16) % 64];
		}
		salt[sl] = '\0';
		snprintf(setting, sizeof(setting), "$1$%s$", salt);
		memset(&cd, 0, sizeof(cd));
		want = crypt_r(pass, setting, &cd);
		same += want && !md5crypt(pass, pl, salt, "$1$", out) && !strcmp(out, want);
	}
	is_int(same, n, "md5crypt with $1$ equals libcrypt's for %d random passwords (0-69 bytes) and salts", n);
}

static void test_sha(void)
{
	/* printf hunter2 | openssl sha1 -binary | base64 */
	const char *sha = "{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=";
	/* {SSHA}: base64(SHA-1("hunter2" + salt) + salt), salt "\x01\x02saltY" (python hashlib) */
	const char *ssha = "{SSHA}qxOmfauge8wxsgLgW230irLcpm8BAnNhbHRZ";

	is_int(htpasswd_kind(sha), HTPASSWD_SHA, "{SHA} recognised");
	ok(htpasswd_verify(sha, "hunter2", 7), "{SHA}: the right password");
	ok(!htpasswd_verify(sha, "hunter3", 7) && !htpasswd_verify(sha, "hunter2", 6), "{SHA}: wrong ones refused");
	is_int(htpasswd_kind(ssha), HTPASSWD_SSHA, "{SSHA} recognised");
	ok(htpasswd_verify(ssha, "hunter2", 7), "{SSHA}: the right password");
	ok(!htpasswd_verify(ssha, "Hunter2", 7), "{SSHA}: a wrong one refused");
}

static void test_shapes(void)
{
	is_int(htpasswd_kind("$apr1$sLu1ce$KSYG7BcISxAqOCJAwRpZA1"), HTPASSWD_APR1, "apr1 well formed");
	is_int(htpasswd_kind("$apr1$sLu1ce$KSYG7BcISxAqOCJAwRpZA"), HTPASSWD_BAD, "apr1 with 21 characters");
	is_int(htpasswd_kind("$apr1$$KSYG7BcISxAqOCJAwRpZA1"), HTPASSWD_BAD, "apr1 without a salt");
	is_int(htpasswd_kind("$apr1$123456789$KSYG7BcISxAqOCJAwRpZA1"), HTPASSWD_BAD, "apr1 with a 9-character salt");
	is_int(htpasswd_kind("$apr1$sLu1ce$KSYG7BcISxAqOCJAwRpZ!1"), HTPASSWD_BAD, "apr1 with a character out of its alphabet");
	is_int(htpasswd_kind("{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h=="), HTPASSWD_BAD, "{SHA} of 19 bytes");
	is_int(htpasswd_kind("{SHA}!!!!"), HTPASSWD_BAD, "{SHA} not base64");
	is_int(htpasswd_kind("{SSHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0="), HTPASSWD_BAD, "{SSHA} without a salt");
	is_int(htpasswd_kind("$6$salt$abc"), HTPASSWD_NONE, "crypt(3) hashes are not ours");
	is_int(htpasswd_kind("hunter2"), HTPASSWD_NONE, "nor plain text");
	ok(!htpasswd_verify("$6$salt$abc", "x", 1), "htpasswd_verify() refuses what is not its own");
}

/* The users file takes them, and fwd_auth_check() checks them. */
static void test_users_file(void)
{
	char users[512], b[64];
	struct fwd_auth *a;
	FILE *errs = tmpfile();

	snprintf(users, sizeof(users), "web:%s\nsha:%s\nssha:%s\nplain:{PLAIN}hunter2\n", apr1[0].hash,
		 "{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=", "{SSHA}qxOmfauge8wxsgLgW230irLcpm8BAnNhbHRZ");
	a = fwd_auth_parse(users, strlen(users), "users", NULL);
	ok(a && fwd_auth_users(a) == 4, "a users file of apr1, {SHA}, {SSHA} and {PLAIN} entries loads");
	/* plain:hunter2, then plain:{PLAIN}hunter2 */
	ok(fwd_auth_check(a, "Basic cGxhaW46aHVudGVyMg==", 26, NULL, 0), "{PLAIN}: the password after the marker");
	ok(!fwd_auth_check(a, "Basic cGxhaW46e1BMQUlOfWh1bnRlcjI=", 34, NULL, 0), "not the marker with it");
	/* "Basic " + base64 of web:hunter2, sha:hunter2, ssha:hunter2, web:hunter3 */
	ok(fwd_auth_check(a, "Basic d2ViOmh1bnRlcjI=", 22, NULL, 0), "apr1 user, right password");
	ok(fwd_auth_check(a, "Basic c2hhOmh1bnRlcjI=", 22, NULL, 0), "{SHA} user, right password");
	ok(fwd_auth_check(a, "Basic c3NoYTpodW50ZXIy", 22, NULL, 0), "{SSHA} user, right password");
	ok(!fwd_auth_check(a, "Basic d2ViOmh1bnRlcjM=", 22, NULL, 0), "apr1 user, wrong password");
	fwd_auth_free(a);
	snprintf(b, sizeof(b), "ok:x\nweb:$apr1$sLu1ce$short\n");
	a = fwd_auth_parse(b, strlen(b), "users", errs);
	ok(!a, "a malformed apr1 entry makes the file invalid");
	if (errs) {
		char line[160] = "";

		rewind(errs);
		ok(fgets(line, sizeof(line), errs) && strstr(line, "users:2:") && strstr(line, "not well formed"),
		   "and says where and why: %s", line);
		fclose(errs);
	}
}

int main(void)
{
	test_apr1();
	test_md5crypt_vs_libcrypt();
	test_sha();
	test_shapes();
	test_users_file();
	return done_testing();
}
