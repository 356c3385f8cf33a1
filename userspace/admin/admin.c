// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The admin API's HTTP/1.1 server: an epoll loop of its own, nested in the control thread's, one request per connection. */
#include <arpa/inet.h>
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

#include "admin/admin_int.h"
#include "http/http_msg.h"
#include "lib/log.h"

#define ADMIN_REQ_MAX   (64 * 1024)
#define ADMIN_MAX_CONNS 64
#define ADMIN_IDLE_S    5           /* a request must be complete within this */

struct admin_conn {
	int fd;
	time_t opened;
	bool tcp;                     /* came over TCP: Host, Origin and token are checked */
	bool reserve;                 /* took the reserved descriptor (the process was at its fd limit) */
	struct sockaddr_storage local;   /* the address it came in on, a valid Host */
	char buf[ADMIN_REQ_MAX + 1];
	size_t len;
};

struct admin {
	int lfd;
	int epfd;
	bool tcp;                     /* lfd is a TCP socket */
	bool lfd_paused;              /* out of descriptors even with the reserve: polled again by admin_tick() */
	bool starved;                 /* the fd limit was hit: said once per episode */
	int spare_fd;                 /* held so the API still answers at the fd limit; -1 while lent out */
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

/*
 * The socket file's mode and group are set between bind() and listen(): no
 * client can connect before listen(), so there is no moment when the umask's
 * mode (0777 under umask 000) lets another user in.
 */
static int admin_unix_access(const char *path, const struct cfg_admin_access *acc)
{
	int err;

	if (chmod(path, acc->mode)) {
		err = errno;
		log_err("admin: unix:%s: chmod %04o: %s", path, acc->mode, strerror(err));
		return -err;
	}
	if (acc->group && chown(path, (uid_t)-1, (gid_t)acc->gid)) {
		err = errno;
		log_err("admin: unix:%s: chown to group %s: %s", path, acc->group, strerror(err));
		return -err;
	}
	return 0;
}

static int admin_listen(const struct cfg_sockaddr *addr, const struct cfg_admin_access *acc, char *unix_path,
			ino_t *unix_ino)
{
	int one = 1, fd, err;

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
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (unix_path[0] && (err = admin_unix_access(unix_path, acc))) {
		close(fd);
		unlink(unix_path);
		return err;
	}
	if (listen(fd, 64)) {
		err = -errno;
		close(fd);
		if (unix_path[0])
			unlink(unix_path);
		return err;
	}
	if (unix_path[0]) {
		struct stat st;

		*unix_ino = stat(unix_path, &st) ? 0 : st.st_ino;
	}
	return fd;
}

/* What an operator must know about who may use the API on @addr. */
static void admin_say_access(const struct cfg_sockaddr *addr, const struct cfg_admin_access *acc)
{
	if (addr->ss.ss_family == AF_UNIX)
		log_info("admin: listening on %s (mode %04o%s%s)", addr->text, acc->mode, acc->group ? ", group " : "",
			 acc->group ? acc->group : "");
	else if (!acc->token)
		log_warn("admin: listening on %s without admin.token_file: over TCP it answers reads only, "
			 "changes are refused (403); set admin.token_file or use a unix socket", addr->text);
	else
		log_info("admin: listening on %s (changes need the token of %s)", addr->text, acc->token_file);
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
	a->lfd = admin_listen(addr, &ctx->cfg->admin_access, a->unix_path, &a->unix_ino);
	if (a->lfd < 0) {
		err = -a->lfd;
		log_err("admin: listen on %s: %s", addr->text, strerror(err));
		free(a);
		errno = err;
		return NULL;
	}
	a->tcp = addr->ss.ss_family != AF_UNIX;
	a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.u32 = UINT32_MAX;
	if (a->epfd < 0 || epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->lfd, &ev)) {
		err = errno;
		close(a->lfd);
		if (a->epfd >= 0)
			close(a->epfd);
		if (a->spare_fd >= 0)
			close(a->spare_fd);
		free(a);
		errno = err;
		return NULL;
	}
	ctx->listen = a->addr;
	admin_say_access(addr, &ctx->cfg->admin_access);
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

int admin_relisten(struct admin *a, const struct cfg *cfg)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	const struct cfg_sockaddr *addr = &cfg->admin;
	char path[sizeof(a->unix_path)] = "";
	ino_t ino = 0;
	int fd, err;

	if (!strcmp(a->addr, addr->text)) {
		/* the same socket: its mode or group may have changed; errors are logged and it keeps serving */
		if (a->unix_path[0])
			admin_unix_access(a->unix_path, &cfg->admin_access);
		if (a->tcp && !cfg->admin_access.token)
			admin_say_access(addr, &cfg->admin_access);
		return 0;
	}
	/* the new socket first: on failure the old one keeps serving */
	fd = admin_listen(addr, &cfg->admin_access, path, &ino);
	if (fd < 0)
		return fd;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		close(fd);
		if (path[0])
			unlink(path);
		return err;
	}
	if (!a->lfd_paused)
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, a->lfd, NULL);
	a->lfd_paused = false;
	close(a->lfd);
	unlink_own(a);
	a->lfd = fd;
	a->tcp = addr->ss.ss_family != AF_UNIX;
	memcpy(a->unix_path, path, sizeof(path));
	a->unix_ino = ino;
	snprintf(a->addr, sizeof(a->addr), "%s", addr->text);
	admin_say_access(addr, &cfg->admin_access);
	return 0;
}

/*
 * admin_reserve_back() - closes a connection that was accepted on the
 * reserve, and its descriptor number becomes the reserve again. dup2()
 * replaces the socket in place: a close() then open() would leave the number
 * free for an instant, and a worker's accept (retried every 100 ms at the
 * limit) could take it for good. What the reserve refers to does not matter,
 * it is only ever closed; the epoll descriptor lives as long as the admin.
 */
static void admin_reserve_back(struct admin *a, int fd)
{
	if (a->spare_fd < 0 && dup2(a->epfd, fd) == fd) {
		a->spare_fd = fd;
		return;
	}
	close(fd);
}

static void admin_close(struct admin *a, int slot)
{
	struct admin_conn *c = a->conns[slot];

	epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->reserve)
		admin_reserve_back(a, c->fd);
	else
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
	char head[512];
	int n;

	if (r->body.oom) {
		r->status = 500;
		r->body.len = 0;
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n%sConnection: close\r\n\r\n",
		     r->status, admin_reason(r->status), r->type ? r->type : "application/json", r->body.len,
		     r->headers ? r->headers : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
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

bool admin_host_ok(const char *host, size_t len, const struct sockaddr_storage *local)
{
	char name[INET6_ADDRSTRLEN + 1];
	const char *end = host + len, *colon;
	struct in6_addr a6;
	struct in_addr a4;

	if (len && host[0] == '[') {          /* [v6] or [v6]:port */
		const char *rb = memchr(host, ']', len);

		if (!rb || (rb + 1 != end && rb[1] != ':') || (size_t)(rb - host - 1) >= sizeof(name))
			return false;
		memcpy(name, host + 1, rb - host - 1);
		name[rb - host - 1] = 0;
		if (inet_pton(AF_INET6, name, &a6) != 1)
			return false;
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return true;
		return local->ss_family == AF_INET6 &&
		       !memcmp(&a6, &((const struct sockaddr_in6 *)local)->sin6_addr, sizeof(a6));
	}
	colon = memchr(host, ':', len);
	if (colon)
		end = colon;
	if ((size_t)(end - host) >= sizeof(name))
		return false;
	memcpy(name, host, end - host);
	name[end - host] = 0;
	if (!strcasecmp(name, "localhost"))
		return true;
	if (inet_pton(AF_INET, name, &a4) != 1)
		return false;                 /* a DNS name: what DNS rebinding would send */
	if ((ntohl(a4.s_addr) >> 24) == 127)
		return true;
	if (local->ss_family == AF_INET)
		return a4.s_addr == ((const struct sockaddr_in *)local)->sin_addr.s_addr;
	if (local->ss_family == AF_INET6) {   /* a v4 client on a dual-stack socket */
		const struct in6_addr *l6 = &((const struct sockaddr_in6 *)local)->sin6_addr;

		return IN6_IS_ADDR_V4MAPPED(l6) && !memcmp(&l6->s6_addr[12], &a4, 4);
	}
	return false;
}

bool admin_bearer_ok(const char *v, size_t len, const char *token)
{
	size_t tlen = strlen(token);
	volatile unsigned char diff = 0;

	if (len < 7 || strncasecmp(v, "Bearer ", 7))
		return false;
	v += 7;
	len -= 7;
	while (len && *v == ' ') {
		v++;
		len--;
	}
	/* The time taken depends on the configured token's length only, never on where a guess goes wrong. */
	diff |= len != tlen;
	for (size_t i = 0; i < tlen; i++)
		diff |= (unsigned char)token[i] ^ (unsigned char)(i < len ? v[i] : 0);
	return diff == 0;
}

/*
 * admin_header() - the value of header @name in the header lines from
 * @start (the first one) to @end (the \r\n\r\n after the last), whitespace
 * trimmed, in *@v, *@vlen. Returns how many times it appears.
 */
static int admin_header(const char *start, const char *end, const char *name, const char **v, size_t *vlen)
{
	size_t nlen = strlen(name);
	int n = 0;

	for (const char *p = start, *e; p < end && (e = strstr(p, "\r\n")) && e <= end; p = e + 2) {
		if ((size_t)(e - p) <= nlen || strncasecmp(p, name, nlen) || p[nlen] != ':')
			continue;
		if (n++)
			continue;
		for (p += nlen + 1; p < e && (*p == ' ' || *p == '\t'); p++)
			;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*v = p;
		*vlen = (size_t)(e - p);
	}
	return n;
}

/*
 * admin_allowed() - may this request go on to the routes? Browsers are kept
 * out (an Origin header, a Host that is not this address: a page in an
 * operator's browser, or DNS rebinding); over TCP, a change (anything but GET
 * and HEAD) needs "Authorization: Bearer TOKEN" with admin.token_file's
 * token. The unix socket needs no token: its file mode is the control.
 * Returns true, or false with @resp filled in.
 */
static bool admin_allowed(struct admin *a, const struct admin_conn *c, const char *method, const char *hstart,
			  const char *hend, struct admin_resp *resp)
{
	const char *token = a->ctx->cfg ? a->ctx->cfg->admin_access.token : NULL;
	const char *host = NULL, *auth = NULL, *origin;
	size_t host_len = 0, auth_len = 0, origin_len;
	int n_host, n_auth, status;
	const char *why;

	n_host = admin_header(hstart, hend, "Host", &host, &host_len);
	n_auth = admin_header(hstart, hend, "Authorization", &auth, &auth_len);
	if (admin_header(hstart, hend, "Origin", &origin, &origin_len)) {
		status = 403;
		why = "requests from web pages (an Origin header) are refused: use sluicectl or curl";
	} else if (n_host > 1) {
		status = 400;
		why = "more than one Host header";
	} else if (c->tcp && host_len && !admin_host_ok(host, host_len, &c->local)) {
		status = 403;
		why = "Host is not this admin address: use localhost, a loopback address or the listen address";
	} else if (!c->tcp || !strcmp(method, "GET") || !strcmp(method, "HEAD")) {
		return true;
	} else if (!token) {
		status = 403;
		why = "changes over TCP are refused: admin.token_file is not set (use the unix socket, or set a token)";
	} else if (!n_auth) {
		status = 401;
		why = "changes over TCP need Authorization: Bearer TOKEN (sluicectl --token-file FILE, or -c CONFIG)";
	} else if (n_auth > 1 || !admin_bearer_ok(auth, auth_len, token)) {
		status = 401;
		why = "wrong token";
	} else {
		return true;
	}
	resp->status = status;
	if (status == 401)
		resp->headers = "WWW-Authenticate: Bearer realm=\"sluiced admin\"\r\n";
	sbuf_printf(&resp->body, "{\"error\":");
	sbuf_json_str(&resp->body, why);
	sbuf_printf(&resp->body, "}\n");
	/* the method is the client's bytes: bounded in the log */
	log_warn("admin: %s: %.16s refused (%d): %s", a->addr, method, status, why);
	return false;
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
	if (!admin_allowed(a, c, c->buf, line_end + 2, hend, &resp))
		goto send;
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

/*
 * accept4() that still works at the process's fd limit: the reserved
 * descriptor is closed to make room for one connection, which is then served
 * as any other (reads need no new descriptor) and gives the room back when
 * it closes. Workers may take the freed number first; then the listener is
 * left out of epoll until the next admin_tick(), so a full accept queue does
 * not spin the control thread.
 */
static int admin_accept_fd(struct admin *a, bool *reserve)
{
	int fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	*reserve = false;
	if (fd >= 0 && a->starved) {
		a->starved = false;
		log_info("admin: %s: accepting without the reserve again", a->addr);
	}
	if (fd >= 0 || (errno != EMFILE && errno != ENFILE))
		return fd;
	if (!a->starved)
		log_warn("admin: %s: accept: %s: answering on the reserved descriptor", a->addr, strerror(errno));
	a->starved = true;
	if (a->spare_fd >= 0) {
		close(a->spare_fd);
		a->spare_fd = -1;
		fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			*reserve = true;
			return fd;
		}
		a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (!a->lfd_paused && !epoll_ctl(a->epfd, EPOLL_CTL_DEL, a->lfd, NULL))
		a->lfd_paused = true;
	errno = EMFILE;
	return -1;
}

static void admin_accept(struct admin *a)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		socklen_t sl = sizeof(struct sockaddr_storage);
		bool reserve;
		int fd = admin_accept_fd(a, &reserve);
		int s;

		if (fd < 0)
			return;
		for (s = 0; s < ADMIN_MAX_CONNS && a->conns[s]; s++)
			;
		if (s == ADMIN_MAX_CONNS || !(a->conns[s] = calloc(1, sizeof(struct admin_conn)))) {
			/* a local operator tool does not need more */
			if (reserve)
				admin_reserve_back(a, fd);
			else
				close(fd);
			continue;
		}
		a->conns[s]->fd = fd;
		a->conns[s]->opened = time(NULL);
		a->conns[s]->tcp = a->tcp;
		a->conns[s]->reserve = reserve;
		if (a->tcp && getsockname(fd, (struct sockaddr *)&a->conns[s]->local, &sl))
			a->conns[s]->local.ss_family = AF_UNSPEC;
		ev.data.u32 = s;
		epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev);
		if (reserve)
			return;   /* one at a time on the reserve */
	}
}

void admin_on_event(struct admin *a)
{
	struct epoll_event evs[16];
	int n = epoll_wait(a->epfd, evs, 16, 0);

	for (int i = 0; i < n; i++) {
		uint32_t slot = evs[i].data.u32;

		if (slot == UINT32_MAX) {
			admin_accept(a);
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
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	time_t now = time(NULL);

	if (a->spare_fd < 0) {
		bool lent = false;

		for (int s = 0; s < ADMIN_MAX_CONNS; s++)
			lent |= a->conns[s] && a->conns[s]->reserve;
		if (!lent)
			a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (a->lfd_paused && !epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->lfd, &ev))
		a->lfd_paused = false;

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
	if (a->spare_fd >= 0)
		close(a->spare_fd);
	unlink_own(a);
	a->ctx->listen = NULL;
	free(a);
}
