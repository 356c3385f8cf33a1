// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* forward_acl and forward_auth: target parsing, host patterns, CIDRs, SSRF classes, the users file and Basic credentials. */
#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward/forward_acl.h"
#include "forward/forward_auth.h"
#include "../tap.h"

static struct sockaddr_storage sa(const char *ip)
{
	struct sockaddr_storage s;

	memset(&s, 0, sizeof(s));
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&s)->sin_addr) == 1)
		s.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&s)->sin6_addr) == 1)
		s.ss_family = AF_INET6;
	return s;
}

static enum fwd_dest cls(const char *ip)
{
	struct sockaddr_storage s = sa(ip);

	return fwd_classify((struct sockaddr *)&s);
}

static const struct { const char *ip; enum fwd_dest want; } dests[] = {
	{ "127.0.0.1", FWD_DEST_LOOPBACK },       { "127.255.0.9", FWD_DEST_LOOPBACK },
	{ "10.0.0.1", FWD_DEST_PRIVATE },         { "172.16.0.1", FWD_DEST_PRIVATE },
	{ "172.31.255.255", FWD_DEST_PRIVATE },   { "172.32.0.1", FWD_DEST_PUBLIC },
	{ "192.168.1.1", FWD_DEST_PRIVATE },      { "100.64.0.1", FWD_DEST_PRIVATE },
	{ "169.254.169.254", FWD_DEST_LINK_LOCAL }, { "0.0.0.0", FWD_DEST_UNSPECIFIED },
	{ "224.0.0.1", FWD_DEST_MULTICAST },      { "255.255.255.255", FWD_DEST_MULTICAST },
	{ "198.18.0.1", FWD_DEST_PUBLIC },        { "8.8.8.8", FWD_DEST_PUBLIC },
	{ "::1", FWD_DEST_LOOPBACK },             { "::", FWD_DEST_UNSPECIFIED },
	{ "::ffff:127.0.0.1", FWD_DEST_LOOPBACK }, { "::ffff:10.1.1.1", FWD_DEST_PRIVATE },
	{ "64:ff9b::a9fe:a9fe", FWD_DEST_LINK_LOCAL }, { "2002:7f00:1::", FWD_DEST_LOOPBACK },
	{ "::127.0.0.1", FWD_DEST_UNSPECIFIED },  { "fc00::1", FWD_DEST_PRIVATE },
	{ "fd12:3456::1", FWD_DEST_PRIVATE },     { "fe80::1", FWD_DEST_LINK_LOCAL },
	{ "ff02::1", FWD_DEST_MULTICAST },        { "2001:2::1", FWD_DEST_PUBLIC },
};

static const struct { const char *pattern, *host; bool want; } hosts[] = {
	{ "*", "anything.example", true },
	{ "example.com", "example.com", true },   { "Example.COM", "example.com", true },
	{ "example.com.", "example.com", true },  { "example.com", "www.example.com", false },
	{ "*.example.com", "www.example.com", true }, { "*.example.com", "a.b.example.com", true },
	{ "*.example.com", "example.com", false }, { "*.example.com", "badexample.com", false },
	{ "*.example.com", "www.example.com.evil", false },
	{ "10.0.0.1", "10.0.0.1", true },
};

static void test_targets(void)
{
	struct fwd_target t;

	is_int(fwd_parse_target("http://Example.COM./a/b?c=d", 27, false, &t), 0, "absolute-form parsed");
	is_str(t.host, "example.com", "host lower-cased, trailing dot dropped");
	is_int(t.port, 80, "default port 80");
	ok(t.path_len == 8 && !memcmp(t.path, "/a/b?c=d", 8), "path and query kept");
	ok(!t.literal, "a name is not a literal");
	is_int(fwd_parse_target("http://h:8080", 13, false, &t), 0, "no path");
	ok(t.port == 8080 && t.path_len == 0, "port 8080, empty path");
	is_int(fwd_parse_target("HTTP://10.1.2.3:81/x", 20, false, &t), 0, "scheme case-insensitive, v4 literal");
	ok(t.literal && t.addr.ss_family == AF_INET && ntohs(((struct sockaddr_in *)&t.addr)->sin_port) == 81,
	   "v4 literal address and port");
	is_int(fwd_parse_target("http://[::1]:8080/", 18, false, &t), 0, "v6 literal");
	ok(t.literal && t.addr.ss_family == AF_INET6 && !strcmp(t.host, "::1"), "v6 literal without brackets");
	is_int(fwd_parse_target("example.com:443", 15, true, &t), 0, "CONNECT authority-form");
	ok(t.port == 443 && !strcmp(t.host, "example.com"), "CONNECT host and port");
	is_int(fwd_parse_target("[2001:2::5]:8443", 16, true, &t), 0, "CONNECT to a v6 literal");
	is_int(fwd_parse_target("example.com", 11, true, &t), -EBADMSG, "CONNECT without a port");
	is_int(fwd_parse_target("example.com:0", 13, true, &t), -EBADMSG, "port 0");
	is_int(fwd_parse_target("example.com:65536", 17, true, &t), -EBADMSG, "port > 65535");
	is_int(fwd_parse_target("/path", 5, false, &t), -EBADMSG, "origin-form refused");
	is_int(fwd_parse_target("https://x/", 10, false, &t), -EPROTONOSUPPORT, "https absolute-form: use CONNECT");
	is_int(fwd_parse_target("ftp://x/", 8, false, &t), -EBADMSG, "other schemes refused");
	is_int(fwd_parse_target("http://user:pw@x/", 17, false, &t), -EBADMSG, "userinfo refused");
	is_int(fwd_parse_target("http:///x", 9, false, &t), -EBADMSG, "empty host");
	is_int(fwd_parse_target("http://a b/", 11, false, &t), -EBADMSG, "space in host");
	is_int(fwd_parse_target("http://[fe80::1%eth0]/", 22, false, &t), -EBADMSG, "zone id refused");
	is_int(fwd_parse_target("http://[::1/", 12, false, &t), -EBADMSG, "unclosed bracket");
	is_int(fwd_parse_target("http://x:80a/", 13, false, &t), -EBADMSG, "non-digit port");
}

static void test_rules(void)
{
	char *allow[] = { "*.ok.test", "exact.test" }, *deny[] = { "bad.ok.test" };
	struct cfg_forward f = { .allow_hosts = allow, .n_allow_hosts = 2, .deny_hosts = deny, .n_deny_hosts = 1 };
	struct cfg_cidr cidrs[2];
	struct sockaddr_storage s;
	char rule[96];

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		ok(fwd_host_match(hosts[i].pattern, hosts[i].host) == hosts[i].want, "'%s' %s '%s'",
		   hosts[i].pattern, hosts[i].want ? "matches" : "does not match", hosts[i].host);
	ok(!fwd_hosts_check(&f, "a.ok.test", rule, sizeof(rule)) && !strcmp(rule, "allow_hosts:*.ok.test"),
	   "allowed by wildcard, rule names it");
	ok(fwd_hosts_check(&f, "bad.ok.test", rule, sizeof(rule)) && !strcmp(rule, "deny_hosts:bad.ok.test"),
	   "deny wins over allow");
	ok(fwd_hosts_check(&f, "other.test", rule, sizeof(rule)) && !strcmp(rule, "allow_hosts"), "unlisted host refused");

	cidrs[0].ip.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.0", &cidrs[0].ip.v4);
	cidrs[0].prefix_len = 8;
	cidrs[1].ip.family = AF_INET6;
	inet_pton(AF_INET6, "2001:2::", &cidrs[1].ip.v6);
	cidrs[1].prefix_len = 48;
	f.allow_clients = cidrs;
	f.n_allow_clients = 2;
	s = sa("127.1.2.3");
	ok(fwd_client_allowed(&f, (struct sockaddr *)&s), "127.1.2.3 in 127.0.0.0/8");
	s = sa("::ffff:127.0.0.1");
	ok(fwd_client_allowed(&f, (struct sockaddr *)&s), "v4-mapped loopback in 127.0.0.0/8");
	s = sa("128.0.0.1");
	ok(!fwd_client_allowed(&f, (struct sockaddr *)&s), "128.0.0.1 not allowed");
	s = sa("2001:2:0:1::9");
	ok(fwd_client_allowed(&f, (struct sockaddr *)&s), "2001:2:0:1::9 in 2001:2::/48");
	s = sa("2001:2:1::9");
	ok(!fwd_client_allowed(&f, (struct sockaddr *)&s), "2001:2:1::9 outside 2001:2::/48");
	s = sa("::1");
	ok(!fwd_client_allowed(&f, (struct sockaddr *)&s), "::1 not listed");

	for (size_t i = 0; i < sizeof(dests) / sizeof(dests[0]); i++)
		is_int(cls(dests[i].ip), dests[i].want, "%s is %s", dests[i].ip, fwd_dest_name(dests[i].want));
	{
		struct sockaddr_storage a = sa("::ffff:10.0.0.1"), b = sa("10.0.0.1"), c = sa("10.0.0.2");

		ok(fwd_same_ip((struct sockaddr *)&a, (struct sockaddr *)&b), "v4-mapped equals v4");
		ok(!fwd_same_ip((struct sockaddr *)&b, (struct sockaddr *)&c), "different addresses differ");
	}
}

static void test_auth(void)
{
	static const char users[] = "# users\nalice:pa:ss\r\n\n  \nbob hunter2";
	struct fwd_auth *a = fwd_auth_parse(users, sizeof(users) - 1, "users", NULL);
	char user[48] = "", dec[16];
	FILE *errs = tmpfile();

	ok(a == NULL, "a line without ':' makes the file invalid");
	a = fwd_auth_parse(users, 25, "users", NULL);   /* up to the bad line */
	ok(a && fwd_auth_users(a) == 1, "comment and blank lines skipped, CRLF ok, one user");
	fwd_auth_free(a);
	a = fwd_auth_parse("alice:pa:ss\n\nbob:hunter2\n", 25, "users", errs);
	ok(a && fwd_auth_users(a) == 2, "two users");
	ok(fwd_auth_check(a, "Basic YWxpY2U6cGE6c3M=", 22, user, sizeof(user)), "alice:pa:ss accepted");
	is_str(user, "alice", "user name returned");
	ok(fwd_auth_check(a, "basic   Ym9iOmh1bnRlcjI=  ", 26, NULL, 0), "scheme case-insensitive, spaces ok");
	ok(!fwd_auth_check(a, "Basic Ym9iOmh1bnRlcjM=", 22, NULL, 0), "wrong password refused");
	ok(!fwd_auth_check(a, "Basic Ym9iOmh1bnRlcg==", 22, NULL, 0), "password prefix refused");
	ok(!fwd_auth_check(a, "Basic Y2Fyb2w6aHVudGVyMg==", 26, NULL, 0), "unknown user refused");
	ok(!fwd_auth_check(a, "Bearer Ym9iOmh1bnRlcjI=", 23, NULL, 0), "other schemes refused");
	ok(!fwd_auth_check(a, "Basic !!!!", 10, NULL, 0), "bad base64 refused");
	ok(!fwd_auth_check(a, "Basic Ym9i", 10, NULL, 0), "no colon refused");
	fwd_auth_free(a);
	a = fwd_auth_parse("ok:1\n:nouser\n", 13, "f", errs);
	ok(!a && errno == EINVAL, "empty user name is an error");
	if (errs) {
		char line[128] = "";

		rewind(errs);
		ok(fgets(line, sizeof(line), errs) && strstr(line, "f:2:"), "error names file and line: %s", line);
		fclose(errs);
	}
	is_int(fwd_base64_decode("aGk=", 4, dec, sizeof(dec)), 2, "base64 with padding");
	is_int(fwd_base64_decode("aGk", 3, dec, sizeof(dec)), 2, "base64 without padding");
	is_int(fwd_base64_decode("aGVsbG8gd29ybGQhISE=", 20, dec, 4), -1, "output bound respected");
	a = fwd_auth_load("/nonexistent/users", NULL);
	ok(!a && errno == ENOENT, "missing file: ENOENT");
}

/* basic() - "Basic base64(user:pass)" into @out, for the credentials a client would send. */
static const char *basic(const char *user, const char *pass, char *out, size_t cap)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char plain[256];
	size_t n = (size_t)snprintf(plain, sizeof(plain), "%s:%s", user, pass), o = 6;

	memcpy(out, "Basic ", 6);
	for (size_t i = 0; i < n && o + 5 < cap; i += 3) {
		uint32_t w = (uint32_t)(unsigned char)plain[i] << 16;

		w |= i + 1 < n ? (uint32_t)(unsigned char)plain[i + 1] << 8 : 0;
		w |= i + 2 < n ? (uint32_t)(unsigned char)plain[i + 2] : 0;
		out[o++] = b64[w >> 18 & 63];
		out[o++] = b64[w >> 12 & 63];
		out[o++] = i + 1 < n ? b64[w >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[w & 63] : '=';
	}
	out[o] = 0;
	return out;
}

/* hash_of() - a crypt(3) hash of @pass with a fresh salt of method @prefix ("$2b$", "$6$", "$y$"). */
static char *hash_of(const char *prefix, unsigned long cost, const char *pass)
{
	static struct crypt_data cd;
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];

	if (!crypt_gensalt_rn(prefix, cost, NULL, 0, salt, sizeof(salt)))
		return NULL;
	return crypt_r(pass, salt, &cd) ? strdup(cd.output) : NULL;
}

struct check_arg {
	struct fwd_auth *a;
	const char *cred;
	int ok;
};

static void *check_many(void *p)
{
	struct check_arg *c = p;

	for (int i = 0; i < 50; i++)
		c->ok += fwd_auth_check(c->a, c->cred, strlen(c->cred), NULL, 0);
	return NULL;
}

static void test_auth_hashed(void)
{
	static const char *const methods[] = { "$2b$", "$6$", "$5$", "$y$" };
	static const unsigned long costs[] = { 4, 1000, 1000, 0 };
	static const char apache[] = "ok:1\nweb:$apr1$abcdefgh$0123456789abcdefghijkl\nsha:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n";
	static const char bad_apache[] = "ok:1\nweb:$apr1$abcdefgh$0123456789abcdefghijk\nsha:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9=\n";
	char text[2048] = "", cred[256], user[48] = "";
	size_t len = 0;
	struct fwd_auth *a;
	FILE *errs;

	for (size_t i = 0; i < 4; i++) {
		char *h = hash_of(methods[i], costs[i], "open sesame");

		ok(h != NULL, "libcrypt makes a %s hash", methods[i]);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "u%zu:%s\n", i, h ? h : "x");
		free(h);
	}
	len += (size_t)snprintf(text + len, sizeof(text) - len, "dollar:$not a hash\n");
	a = fwd_auth_parse(text, len, "users", NULL);
	ok(a && fwd_auth_users(a) == 5, "hashed entries parse beside a plain one");
	for (size_t i = 0; a && i < 4; i++) {
		char u[8];

		snprintf(u, sizeof(u), "u%zu", i);
		basic(u, "open sesame", cred, sizeof(cred));
		ok(fwd_auth_check(a, cred, strlen(cred), user, sizeof(user)) &&
		   !strcmp(user, u), "%s hash: the right password accepted", methods[i]);
		ok(fwd_auth_check(a, cred, strlen(cred), NULL, 0), "%s hash: accepted again (remembered)", methods[i]);
		basic(u, "open sesamE", cred, sizeof(cred));
		ok(!fwd_auth_check(a, cred, strlen(cred), NULL, 0),
		   "%s hash: a wrong password refused, also after a right one", methods[i]);
		basic(u, "", cred, sizeof(cred));
		ok(!fwd_auth_check(a, cred, strlen(cred), NULL, 0),
		   "%s hash: an empty password refused", methods[i]);
	}
	basic("dollar", "$not a hash", cred, sizeof(cred));
	ok(a && fwd_auth_check(a, cred, strlen(cred), NULL, 0),
	   "a password that starts with '$' but is no hash is plain text");
	basic("u1", "$6$", cred, sizeof(cred));
	ok(a && !fwd_auth_check(a, cred, strlen(cred), NULL, 0),
	   "the hash's prefix is not a password");
	fwd_auth_free(a);

	/* several workers verify the same user at once: each gets the right answer, nothing leaks */
	a = fwd_auth_parse(text, len, "users", NULL);
	if (a) {
		struct check_arg args[4];
		pthread_t t[4];

		for (int i = 0; i < 4; i++) {
			args[i] = (struct check_arg){ .a = a, .cred = strdup(basic(i & 1 ? "u2" : "u3", "open sesame",
										  cred, sizeof(cred))) };
			pthread_create(&t[i], NULL, check_many, &args[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], NULL);
			ok(args[i].ok == 50, "thread %d: 50 of 50 checks accepted", i);
			free((void *)args[i].cred);
		}
		fwd_auth_free(a);
	}

	a = fwd_auth_parse(apache, strlen(apache), "htpasswd", NULL);
	ok(a && fwd_auth_users(a) == 3, "apr1 and {SHA} entries load (htpasswd.h)");
	ok(fwd_auth_check(a, "Basic c2hhOnRlc3Q=", 18, NULL, 0), "and the {SHA} one checks (sha:test)");
	fwd_auth_free(a);
	errs = tmpfile();
	a = fwd_auth_parse(bad_apache, strlen(bad_apache), "htpasswd", errs);
	ok(!a && errno == EINVAL, "malformed apr1 and {SHA} entries make the file invalid");
	if (errs) {
		char line[256] = "";

		rewind(errs);
		ok(fgets(line, sizeof(line), errs) && strstr(line, "htpasswd:2:") && strstr(line, "not well formed"),
		   "the error names the line and why: %s", line);
		ok(fgets(line, sizeof(line), errs) && strstr(line, "htpasswd:3:"), "and the {SHA} line: %s", line);
		fclose(errs);
	}
}

/* The failed-login guard: FWD_AUTH_FAILS_MAX failures close an address's door until the window ends. */
static void test_auth_guard(void)
{
	struct fwd_auth_guard *g = calloc(1, sizeof(*g));
	uint64_t a = fwd_auth_guard_key("198.18.0.1"), b = fwd_auth_guard_key("198.18.0.2"), t0 = 1000000;
	bool closed = false;
	int i;

	if (!g)
		return;
	ok(a && b && a != b && fwd_auth_guard_key("") != 0, "keys differ by address and are never 0");
	for (i = 1; i < FWD_AUTH_FAILS_MAX; i++)
		closed |= fwd_auth_guard_fail(g, a, t0 + (uint64_t)i);
	ok(!closed && fwd_auth_guard_wait(g, a, t0 + 100) == 0, "%d failures: still checked", FWD_AUTH_FAILS_MAX - 1);
	ok(fwd_auth_guard_fail(g, a, t0 + 200), "failure %d closes the door", FWD_AUTH_FAILS_MAX);
	is_int((long long)fwd_auth_guard_wait(g, a, t0 + 1000), FWD_AUTH_WINDOW_MS - 999,
	       "for the rest of the window from the first failure (ms)");
	ok(fwd_auth_guard_wait(g, b, t0 + 1000) == 0, "another address is still checked");
	ok(!fwd_auth_guard_fail(g, a, t0 + 2000) && fwd_auth_guard_wait(g, a, t0 + 2000) > 0,
	   "more failures while closed: still closed, not closed again");
	ok(fwd_auth_guard_wait(g, a, t0 + 1 + FWD_AUTH_WINDOW_MS) == 0, "the window over: checked again");
	ok(!fwd_auth_guard_fail(g, a, t0 + 2 + FWD_AUTH_WINDOW_MS) &&
	   fwd_auth_guard_wait(g, a, t0 + 3 + FWD_AUTH_WINDOW_MS) == 0, "a failure after it starts a new count");
	/* an address on the same slot takes it over */
	for (i = 0; i < FWD_AUTH_FAILS_MAX; i++)
		fwd_auth_guard_fail(g, a, t0 + 10 * (uint64_t)FWD_AUTH_WINDOW_MS);
	{
		uint64_t c = a + ((uint64_t)FWD_AUTH_GUARD_SLOTS << 32);   /* same slot (high bits), another key */

		fwd_auth_guard_fail(g, c, t0 + 10 * (uint64_t)FWD_AUTH_WINDOW_MS + 1);
		ok(fwd_auth_guard_wait(g, a, t0 + 10 * (uint64_t)FWD_AUTH_WINDOW_MS + 2) == 0 &&
		   fwd_auth_guard_wait(g, c, t0 + 10 * (uint64_t)FWD_AUTH_WINDOW_MS + 2) == 0,
		   "a colliding address restarts the slot (no address is locked out by another's failures)");
	}
	free(g);
}

int main(void)
{
	test_targets();
	test_rules();
	test_auth();
	test_auth_hashed();
	test_auth_guard();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
