// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* forward_acl and forward_auth: target parsing, host patterns, CIDRs, SSRF classes, the users file and Basic credentials. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "forward_acl.h"
#include "forward_auth.h"
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

int main(void)
{
	test_targets();
	test_rules();
	test_auth();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
