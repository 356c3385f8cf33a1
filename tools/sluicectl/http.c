// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A blocking HTTP/1.1 client for the admin API: connect, send, read to EOF, split status and body. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "http.h"

static int http_connect(const char *addr, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = 10 };
	int fd;

	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (strlen(addr + 5) >= sizeof(sun.sun_path)) {
			snprintf(err, errlen, "unix socket path too long");
			return -ENAMETOOLONG;
		}
		strcpy(sun.sun_path, addr + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			snprintf(err, errlen, "%s", strerror(e));
			return -e;
		}
	} else {
		char host[128];
		const char *port, *colon;
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
		int rc, e = ECONNREFUSED;

		if (addr[0] == '[') {
			const char *rb = strchr(addr, ']');

			if (!rb || rb[1] != ':' || (size_t)(rb - addr) > sizeof(host)) {
				snprintf(err, errlen, "bad address (want HOST:PORT, [V6]:PORT or unix:/PATH)");
				return -EINVAL;
			}
			snprintf(host, sizeof(host), "%.*s", (int)(rb - addr - 1), addr + 1);
			port = rb + 2;
		} else {
			colon = strrchr(addr, ':');
			if (!colon || (size_t)(colon - addr) >= sizeof(host)) {
				snprintf(err, errlen, "bad address (want HOST:PORT, [V6]:PORT or unix:/PATH)");
				return -EINVAL;
			}
			snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
			port = colon + 1;
		}
		rc = getaddrinfo(host, port, &hints, &res);
		if (rc) {
			snprintf(err, errlen, "%s", gai_strerror(rc));
			return -EINVAL;
		}
		fd = -1;
		for (ai = res; ai; ai = ai->ai_next) {
			fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd >= 0 && !connect(fd, ai->ai_addr, ai->ai_addrlen))
				break;
			e = errno;
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		if (fd < 0) {
			snprintf(err, errlen, "%s", strerror(e));
			return -e;
		}
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* http_host() - the Host header for @fd: the peer's numeric address, or localhost on a unix socket. */
static void http_host(int fd, char *host, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];

	snprintf(host, len, "localhost");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET && inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip)))
		snprintf(host, len, "%s:%u", ip, ntohs(((struct sockaddr_in *)&ss)->sin_port));
	else if (ss.ss_family == AF_INET6 && inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip)))
		snprintf(host, len, "[%s]:%u", ip, ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
}

int http_request(const char *addr, const char *method, const char *path, const char *body, const char *token,
		 struct http_resp *resp, char *err, size_t errlen)
{
	size_t blen = body ? strlen(body) : 0, cap = 8192, len = 0;
	char *req = NULL, *buf, *hend, host[INET6_ADDRSTRLEN + 16];
	int fd, n, rc = 0;

	memset(resp, 0, sizeof(*resp));
	fd = http_connect(addr, err, errlen);
	if (fd < 0)
		return fd;
	http_host(fd, host, sizeof(host));
	n = asprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sluicectl\r\nAccept: application/json\r\n"
			   "%s%s%sConnection: close\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     method, path, host, token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "",
		     blen, body ? body : "");
	if (n < 0) {
		close(fd);
		return -ENOMEM;
	}
	for (int off = 0; off < n;) {
		ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);

		if (w <= 0) {
			rc = -errno;
			snprintf(err, errlen, "send: %s", strerror(errno));
			goto out;
		}
		off += w;
	}
	buf = malloc(cap);
	for (;;) {
		ssize_t r;

		if (!buf) {
			rc = -ENOMEM;
			goto out;
		}
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			rc = -errno;
			snprintf(err, errlen, "read: %s", strerror(errno));
			free(buf);
			goto out;
		}
		if (r == 0)
			break;
		len += r;
	}
	buf[len] = 0;
	hend = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) || !hend || sscanf(buf + 8, " %d", &resp->status) != 1) {
		snprintf(err, errlen, "not an HTTP answer (is that the admin address?)");
		free(buf);
		rc = -EPROTO;
		goto out;
	}
	resp->body_len = len - (hend + 4 - buf);
	memmove(buf, hend + 4, resp->body_len + 1);
	resp->body = buf;
out:
	free(req);
	close(fd);
	return rc;
}
