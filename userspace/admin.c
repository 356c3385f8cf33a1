// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The admin API's HTTP/1.1 server: an epoll loop of its own, nested in the control thread's, one request per connection. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "admin_int.h"
#include "http_msg.h"
#include "log.h"

#define ADMIN_REQ_MAX   (64 * 1024)
#define ADMIN_MAX_CONNS 64
#define ADMIN_IDLE_S    5           /* a request must be complete within this */

struct admin_conn {
	int fd;
	time_t opened;
	char buf[ADMIN_REQ_MAX + 1];
	size_t len;
};

struct admin {
	int lfd;
	int epfd;
	struct admin_ctx *ctx;
	struct admin_conn *conns[ADMIN_MAX_CONNS];
	char unix_path[108];
	ino_t unix_ino;               /* the socket file we bound: unlinked at stop only if still ours */
	char addr[128];               /* the address listened on, as the config wrote it */
};

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap * 2 : 4096;
			char *p;

			while (cap < b->len + n + 1)
				cap *= 2;
			p = realloc(b->p, cap);
			if (!p) {
				b->oom = true;
				return;
			}
			b->p = p;
			b->cap = cap;
		}
	}
}

void sbuf_json_str(struct sbuf *b, const char *s)
{
	sbuf_printf(b, "\"");
	for (; s && *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			sbuf_printf(b, "\\%c", c);
		else if (c == '\n')
			sbuf_printf(b, "\\n");
		else if (c < 0x20)
			sbuf_printf(b, "\\u%04x", c);
		else
			sbuf_printf(b, "%c", c);
	}
	sbuf_printf(b, "\"");
}

void sbuf_html(struct sbuf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': sbuf_printf(b, "&amp;"); break;
		case '<': sbuf_printf(b, "&lt;"); break;
		case '>': sbuf_printf(b, "&gt;"); break;
		case '"': sbuf_printf(b, "&quot;"); break;
		default: sbuf_printf(b, "%c", *s);
		}
	}
}

static int admin_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decoding in place ("%2F" in an id like web%2F198.18.20.1). */
static void admin_url_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%' && admin_hex(s[1]) >= 0 && admin_hex(s[2]) >= 0) {
			*o++ = (char)(admin_hex(s[1]) * 16 + admin_hex(s[2]));
			s += 2;
		} else if (*s == '+') {
			*o++ = ' ';
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

bool admin_query_get(const char *query, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);

	for (const char *p = query; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			size_t vlen = len - klen - 1;

			if (vlen >= outlen)
				vlen = outlen - 1;
			memcpy(out, p + klen + 1, vlen);
			out[vlen] = 0;
			admin_url_decode(out);
			return true;
		}
		p = amp ? amp + 1 : NULL;
	}
	return false;
}

static int admin_listen(const struct cfg_sockaddr *addr, char *unix_path, ino_t *unix_ino)
{
	int one = 1, fd;

	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (addr->ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)&addr->ss;

		/* A stale socket file from a previous run would make bind fail. */
		unlink(sun->sun_path);
		snprintf(unix_path, 108, "%s", sun->sun_path);
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* A new binary starts beside the old one (upgrade) and must bind the same port. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) || listen(fd, 64)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (unix_path[0]) {
		struct stat st;

		*unix_ino = stat(unix_path, &st) ? 0 : st.st_ino;
	}
	return fd;
}

struct admin *admin_start(const struct cfg_sockaddr *addr, struct admin_ctx *ctx)
{
	struct admin *a = calloc(1, sizeof(*a));
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	if (!a)
		return NULL;
	a->ctx = ctx;
	snprintf(a->addr, sizeof(a->addr), "%s", addr->text);
	a->lfd = admin_listen(addr, a->unix_path, &a->unix_ino);
	if (a->lfd < 0) {
		err = -a->lfd;
		log_err("admin: listen on %s: %s", addr->text, strerror(err));
		free(a);
		errno = err;
		return NULL;
	}
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.u32 = UINT32_MAX;
	if (a->epfd < 0 || epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->lfd, &ev)) {
		err = errno;
		close(a->lfd);
		if (a->epfd >= 0)
			close(a->epfd);
		free(a);
		errno = err;
		return NULL;
	}
	ctx->listen = a->addr;
	log_info("admin: listening on %s", addr->text);
	return a;
}

int admin_fd(const struct admin *a)
{
	return a->epfd;
}

/* unlink_own() - remove our unix socket file, unless it is no longer ours (an upgrade's new process bound it). */
static void unlink_own(const struct admin *a)
{
	struct stat st;

	if (a->unix_path[0] && !stat(a->unix_path, &st) && st.st_ino == a->unix_ino)
		unlink(a->unix_path);
}

const char *admin_address(const struct admin *a)
{
	return a->addr;
}

int admin_relisten(struct admin *a, const struct cfg_sockaddr *addr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	char path[sizeof(a->unix_path)] = "";
	ino_t ino = 0;
	int fd, err;

	/* the new socket first: on failure the old one keeps serving */
	fd = admin_listen(addr, path, &ino);
	if (fd < 0)
		return fd;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		close(fd);
		if (path[0])
			unlink(path);
		return err;
	}
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, a->lfd, NULL);
	close(a->lfd);
	unlink_own(a);
	a->lfd = fd;
	memcpy(a->unix_path, path, sizeof(path));
	a->unix_ino = ino;
	snprintf(a->addr, sizeof(a->addr), "%s", addr->text);
	log_info("admin: listening on %s", addr->text);
	return 0;
}

static void admin_close(struct admin *a, int slot)
{
	struct admin_conn *c = a->conns[slot];

	epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
	a->conns[slot] = NULL;
}

/* admin_reason() - the phrases are the proxy's own (http_msg.c), so both speak the same HTTP. */
static const char *admin_reason(int status)
{
	const char *r = status == 200 ? "OK" : http_reason(status);

	return r ? r : "Status";
}

/* The answer goes out with a short blocking timeout: responses are small and the peer is local. */
static void admin_send(int fd, struct admin_resp *r, bool head_only)
{
	struct timeval tv = { .tv_sec = 2 };
	char head[256];
	int n;

	if (r->body.oom) {
		r->status = 500;
		r->body.len = 0;
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
		     r->status, admin_reason(r->status), r->type ? r->type : "application/json", r->body.len);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (size_t off = 0, total = n + (head_only ? 0 : r->body.len); off < total;) {
		const char *p = off < (size_t)n ? head + off : r->body.p + (off - n);
		size_t len = off < (size_t)n ? n - off : total - off;
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		off += w;
	}
}

/* Returns true when a full request was answered (or refused) and the connection can close. */
static bool admin_try_request(struct admin *a, struct admin_conn *c)
{
	struct admin_resp resp = { .status = 200 };
	struct admin_req req = { 0 };
	char *hend, *sp1, *sp2, *line_end, *q;
	size_t hlen, clen = 0;

	c->buf[c->len] = 0;
	hend = strstr(c->buf, "\r\n\r\n");
	if (!hend) {
		if (c->len >= ADMIN_REQ_MAX) {
			resp.status = 413;
			sbuf_printf(&resp.body, "{\"error\":\"request too large\"}");
			goto send;
		}
		return false;
	}
	hlen = hend + 4 - c->buf;
	for (char *h = strstr(c->buf, "\r\n"); h && h < hend; h = strstr(h + 2, "\r\n"))
		if (!strncasecmp(h + 2, "Content-Length:", 15))
			clen = strtoul(h + 17, NULL, 10);
	if (clen > ADMIN_REQ_MAX - hlen) {
		resp.status = 413;
		sbuf_printf(&resp.body, "{\"error\":\"request too large\"}");
		goto send;
	}
	if (c->len < hlen + clen)
		return false;

	line_end = strstr(c->buf, "\r\n");
	*line_end = 0;
	sp1 = strchr(c->buf, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7)) {
		resp.status = 400;
		sbuf_printf(&resp.body, "{\"error\":\"bad request line\"}");
		goto send;
	}
	*sp1 = 0;
	*sp2 = 0;
	req.method = c->buf;
	req.path = sp1 + 1;
	q = strchr(req.path, '?');
	if (q) {
		*q = 0;
		req.query = q + 1;
	}
	admin_url_decode(req.path);
	req.body = c->buf + hlen;
	req.body_len = clen;
	c->buf[hlen + clen] = 0;
	admin_route(a->ctx, &req, &resp);
send:
	admin_send(c->fd, &resp, req.method && !strcmp(req.method, "HEAD"));
	free(resp.body.p);
	return true;
}

void admin_on_event(struct admin *a)
{
	struct epoll_event evs[16];
	int n = epoll_wait(a->epfd, evs, 16, 0);

	for (int i = 0; i < n; i++) {
		uint32_t slot = evs[i].data.u32;

		if (slot == UINT32_MAX) {
			for (;;) {
				int fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
				int s;

				if (fd < 0)
					break;
				for (s = 0; s < ADMIN_MAX_CONNS && a->conns[s]; s++)
					;
				if (s == ADMIN_MAX_CONNS || !(a->conns[s] = calloc(1, sizeof(struct admin_conn)))) {
					close(fd);   /* a local operator tool does not need more */
					continue;
				}
				a->conns[s]->fd = fd;
				a->conns[s]->opened = time(NULL);
				ev.data.u32 = s;
				epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev);
			}
			continue;
		}
		{
			struct admin_conn *c = a->conns[slot];
			ssize_t r;

			if (!c)
				continue;
			r = read(c->fd, c->buf + c->len, ADMIN_REQ_MAX - c->len);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0 && c->len == 0) {
				admin_close(a, slot);
				continue;
			}
			if (r > 0)
				c->len += r;
			if (admin_try_request(a, c) || r <= 0)
				admin_close(a, slot);
		}
	}
}

void admin_tick(struct admin *a)
{
	time_t now = time(NULL);

	/* A client that connects and never finishes its request must not hold a slot. */
	for (int s = 0; s < ADMIN_MAX_CONNS; s++)
		if (a->conns[s] && now - a->conns[s]->opened > ADMIN_IDLE_S)
			admin_close(a, s);
}

void admin_stop(struct admin *a)
{
	if (!a)
		return;
	for (int s = 0; s < ADMIN_MAX_CONNS; s++)
		if (a->conns[s])
			admin_close(a, s);
	close(a->lfd);
	close(a->epfd);
	unlink_own(a);
	a->ctx->listen = NULL;
	free(a);
}
