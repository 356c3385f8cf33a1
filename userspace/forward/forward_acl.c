// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Forward proxy rules: target parsing, host patterns, client CIDRs and destination classes (no I/O, unit-tested). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "forward/forward_acl.h"

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* parse_authority() - "host[:port]" or "[v6][:port]" in [p, end). 0 or -EBADMSG. */
static int parse_authority(const char *p, const char *end, bool need_port, struct fwd_target *out)
{
	const char *h, *he, *colon = NULL;
	size_t n;

	if (p == end)
		return -EBADMSG;
	if (*p == '[') {
		h = p + 1;
		he = memchr(h, ']', (size_t)(end - h));
		if (!he)
			return -EBADMSG;
		if (he + 1 < end) {
			if (he[1] != ':')
				return -EBADMSG;
			colon = he + 1;
		}
	} else {
		h = p;
		colon = memchr(p, ':', (size_t)(end - p));
		he = colon ? colon : end;
		for (const char *q = h; q < he; q++)
			if (!host_char(*q))
				return -EBADMSG;
	}
	n = (size_t)(he - h);
	if (!n || n >= sizeof(out->host))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		out->host[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] | 0x20 : h[i]);
	out->host[n] = 0;
	if (*p != '[' && n > 1 && out->host[n - 1] == '.')
		out->host[--n] = 0;   /* "example.com." is example.com */
	if (colon) {
		unsigned long port = 0;
		const char *q = colon + 1;

		if (q == end || end - q > 5)
			return -EBADMSG;
		for (; q < end; q++) {
			if (*q < '0' || *q > '9')
				return -EBADMSG;
			port = port * 10 + (unsigned long)(*q - '0');
		}
		if (!port || port > 65535)
			return -EBADMSG;
		out->port = (uint16_t)port;
	} else if (need_port) {
		return -EBADMSG;
	}
	memset(&out->addr, 0, sizeof(out->addr));
	if (*p == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->addr;

		if (strchr(out->host, '%') || inet_pton(AF_INET6, out->host, &s6->sin6_addr) != 1)
			return -EBADMSG;   /* brackets hold only an IPv6 address (no zone ids) */
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(out->port);
		out->literal = true;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->addr;

		if (inet_pton(AF_INET, out->host, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons(out->port);
			out->literal = true;
		}
	}
	return 0;
}

int fwd_parse_target(const char *t, size_t len, bool connect, struct fwd_target *out)
{
	const char *end = t + len, *p, *ae;

	memset(out, 0, sizeof(*out));
	if (connect)
		return parse_authority(t, end, true, out);
	if (len >= 8 && !strncasecmp(t, "https://", 8))
		return -EPROTONOSUPPORT;
	if (len < 7 || strncasecmp(t, "http://", 7))
		return -EBADMSG;
	p = t + 7;
	for (ae = p; ae < end && *ae != '/' && *ae != '?' && *ae != '#'; ae++)
		if (*ae == '@')
			return -EBADMSG;   /* userinfo: credentials in the URL are not forwarded */
	out->port = 80;
	if (parse_authority(p, ae, false, out))
		return -EBADMSG;
	out->path = ae;
	out->path_len = (size_t)(end - ae);
	return 0;
}

bool fwd_host_match(const char *pattern, const char *host)
{
	size_t pl = strlen(pattern), hl = strlen(host);

	if (pl == 1 && pattern[0] == '*')
		return true;
	if (pl > 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* "*.example.com": one or more labels in front of ".example.com" */
		if (pattern[pl - 1] == '.')
			pl--;
		return hl > pl - 1 && !strncasecmp(host + hl - (pl - 1), pattern + 1, pl - 1);
	}
	if (pl && pattern[pl - 1] == '.')
		pl--;
	return pl == hl && !strncasecmp(pattern, host, hl);
}

const char *fwd_hosts_check(const struct cfg_forward *f, const char *host, char *rule, size_t cap)
{
	for (size_t i = 0; i < f->n_deny_hosts; i++) {
		if (fwd_host_match(f->deny_hosts[i], host)) {
			snprintf(rule, cap, "deny_hosts:%s", f->deny_hosts[i]);
			return "deny_hosts";
		}
	}
	for (size_t i = 0; i < f->n_allow_hosts; i++) {
		if (fwd_host_match(f->allow_hosts[i], host)) {
			snprintf(rule, cap, "allow_hosts:%s", f->allow_hosts[i]);
			return NULL;
		}
	}
	snprintf(rule, cap, "allow_hosts");
	return "allow_hosts";
}

/* ip_bytes() - the address bytes of @sa; a v4-mapped v6 address gives its 4 IPv4 bytes. */
static const uint8_t *ip_bytes(const struct sockaddr *sa, int *family)
{
	if (sa->sa_family == AF_INET) {
		*family = AF_INET;
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			*family = AF_INET;
			return a->s6_addr + 12;
		}
		*family = AF_INET6;
		return a->s6_addr;
	}
	*family = AF_UNSPEC;
	return NULL;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return false;
	return !rest || ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool fwd_cidr_match(const struct cfg_cidr *c, const struct sockaddr *sa)
{
	int fam;
	const uint8_t *b = ip_bytes(sa, &fam);

	if (!b || fam != c->ip.family)
		return false;
	if (fam == AF_INET)
		return prefix_eq(b, (const uint8_t *)&c->ip.v4, c->prefix_len > 32 ? 32 : c->prefix_len);
	return prefix_eq(b, c->ip.v6.s6_addr, c->prefix_len > 128 ? 128 : c->prefix_len);
}

bool fwd_client_allowed(const struct cfg_forward *f, const struct sockaddr *sa)
{
	for (size_t i = 0; i < f->n_allow_clients; i++)
		if (fwd_cidr_match(&f->allow_clients[i], sa))
			return true;
	return false;
}

static enum fwd_dest classify4(const uint8_t *b)
{
	uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];

	if (b[0] == 0)
		return FWD_DEST_UNSPECIFIED;
	if (b[0] == 127)
		return FWD_DEST_LOOPBACK;
	if (b[0] == 10 || (a & 0xfff00000u) == 0xac100000u || (a & 0xffff0000u) == 0xc0a80000u ||
	    (a & 0xffc00000u) == 0x64400000u)
		return FWD_DEST_PRIVATE;
	if ((a & 0xffff0000u) == 0xa9fe0000u)
		return FWD_DEST_LINK_LOCAL;
	if (b[0] >= 224)
		return FWD_DEST_MULTICAST;   /* multicast, reserved 240/4 and broadcast */
	return FWD_DEST_PUBLIC;
}

enum fwd_dest fwd_classify(const struct sockaddr *sa)
{
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	int fam;
	const uint8_t *b = ip_bytes(sa, &fam);

	if (!b)
		return FWD_DEST_UNSPECIFIED;
	if (fam == AF_INET)
		return classify4(b);
	if (!memcmp(b, nat64, 12))
		return classify4(b + 12);
	if (b[0] == 0x20 && b[1] == 0x02)
		return classify4(b + 2);     /* 6to4 carries an IPv4 address */
	if (IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)b))
		return FWD_DEST_LOOPBACK;
	{
		static const uint8_t zero[12];

		if (!memcmp(b, zero, 12))
			return FWD_DEST_UNSPECIFIED;   /* :: and the deprecated ::a.b.c.d */
	}
	if ((b[0] & 0xfe) == 0xfc)
		return FWD_DEST_PRIVATE;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return FWD_DEST_LINK_LOCAL;
	if (b[0] == 0xff)
		return FWD_DEST_MULTICAST;
	return FWD_DEST_PUBLIC;
}

const char *fwd_dest_name(enum fwd_dest d)
{
	static const char *const names[] = {
		[FWD_DEST_PUBLIC] = "public", [FWD_DEST_LOOPBACK] = "loopback", [FWD_DEST_PRIVATE] = "private",
		[FWD_DEST_LINK_LOCAL] = "link-local", [FWD_DEST_UNSPECIFIED] = "unspecified",
		[FWD_DEST_MULTICAST] = "multicast", [FWD_DEST_OWN] = "own-address",
	};

	return (unsigned int)d < sizeof(names) / sizeof(names[0]) ? names[d] : "?";
}

bool fwd_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	int fa, fb;
	const uint8_t *pa = ip_bytes(a, &fa), *pb = ip_bytes(b, &fb);

	return pa && pb && fa == fb && !memcmp(pa, pb, fa == AF_INET ? 4 : 16);
}
