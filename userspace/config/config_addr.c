// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Config address syntax: bare IPs (v4/v6), host:port, [v6]:port, unix:/path, and CIDR prefixes. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "config/config_yaml.h"

/* 0, or -1 when @s is neither a dotted IPv4 nor an IPv6 address. */
int cfg_parse_ip(const char *s, struct cfg_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -1;
}

void cfg_ip_str(const struct cfg_ip *ip, char *buf, size_t len)
{
	if (!inet_ntop(ip->family, ip->family == AF_INET ? (const void *)&ip->v4 : (const void *)&ip->v6,
		       buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

int cy_ip(struct cy *cy, yaml_node_t *v, const char *key, struct cfg_ip *out)
{
	const char *s = cy_scalar(v);

	if (!s || cfg_parse_ip(s, out)) {
		cy_err(cy, v, "'%s': bad IP address '%s'", key, s ? s : "(not a scalar)");
		return -1;
	}
	return 0;
}

static int cy_port(const char *s, uint16_t *port)
{
	unsigned long x = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		x = x * 10 + (unsigned long)(*p - '0');
	}
	if (x < 1 || x > 65535)
		return -1;
	*port = (uint16_t)x;
	return 0;
}

int cy_sockaddr(struct cy *cy, yaml_node_t *v, const char *key, struct cfg_sockaddr *out)
{
	const char *s = cy_scalar(v), *colon, *host_start, *host_end;
	char host[INET6_ADDRSTRLEN + 1];
	struct cfg_ip ip;
	uint16_t port;

	memset(out, 0, sizeof(*out));
	if (!s || !*s || strlen(s) >= sizeof(out->text))
		goto bad;
	strcpy(out->text, s);
	if (!strncmp(s, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&out->ss;
		const char *path = s + 5;

		if (path[0] != '/' || strlen(path) >= sizeof(un->sun_path)) {
			cy_err(cy, v, "'%s': unix socket path must be absolute and under %zu bytes, got '%s'",
			       key, sizeof(un->sun_path), s);
			return -1;
		}
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
		return 0;
	}
	if (s[0] == '[') {
		host_start = s + 1;
		host_end = strchr(s, ']');
		if (!host_end || host_end[1] != ':')
			goto bad;
		colon = host_end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))   /* a bare v6 needs brackets */
			goto bad;
		host_start = s;
		host_end = colon;
	}
	if ((size_t)(host_end - host_start) >= sizeof(host))
		goto bad;
	memcpy(host, host_start, (size_t)(host_end - host_start));
	host[host_end - host_start] = '\0';
	if (cy_port(colon + 1, &port)) {
		cy_err(cy, v, "'%s': bad port in '%s' (1..65535)", key, s);
		return -1;
	}
	if (!strcmp(host, "") || !strcmp(host, "*"))
		strcpy(host, "0.0.0.0");
	else if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (cfg_parse_ip(host, &ip) || (s[0] == '[') != (ip.family == AF_INET6))
		goto bad;
	if (ip.family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&out->ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr = ip.v4;
		out->len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr = ip.v6;
		out->len = sizeof(*in6);
	}
	return 0;
bad:
	cy_err(cy, v, "'%s': bad address '%s' (expected IP:port, [IPv6]:port or unix:/path)",
	       key, s ? s : "(not a scalar)");
	return -1;
}

int cy_cidr(struct cy *cy, yaml_node_t *v, const char *key, struct cfg_cidr *out)
{
	const char *s = cy_scalar(v), *slash;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned int max, len = 0;
	unsigned char *bytes;
	bool host_bits = false;

	if (!s)
		goto bad;
	slash = strchr(s, '/');
	if ((slash ? (size_t)(slash - s) : strlen(s)) >= sizeof(host))
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)(slash ? slash - s : (int)strlen(s)), s);
	if (cfg_parse_ip(host, &out->ip))
		goto bad;
	max = out->ip.family == AF_INET ? 32 : 128;
	if (slash) {
		const char *p = slash + 1;

		if (!*p || strlen(p) > 3)
			goto bad;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				goto bad;
			len = len * 10 + (unsigned int)(*p - '0');
		}
		if (len > max)
			goto bad;
	} else {
		len = max;
	}
	out->prefix_len = (uint8_t)len;
	/* Mask host bits so matching can compare prefixes bytewise; say so, it is usually a typo. */
	bytes = out->ip.family == AF_INET ? (unsigned char *)&out->ip.v4 : (unsigned char *)&out->ip.v6;
	for (unsigned int bit = len; bit < max; bit++) {
		unsigned char m = (unsigned char)(0x80 >> (bit % 8));

		host_bits |= bytes[bit / 8] & m;
		bytes[bit / 8] &= (unsigned char)~m;
	}
	if (host_bits)
		cy_warn(cy, v, "'%s': CIDR '%s' has host bits set; using /%u of its network", key, s, len);
	return 0;
bad:
	cy_err(cy, v, "'%s': bad CIDR '%s'", key, s ? s : "(not a scalar)");
	return -1;
}
