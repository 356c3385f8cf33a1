// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A worker's access logs: lines gathered in two buffers per log, one filling while the other is written by the ring. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l7/logbatch.h"
#include "l7/worker.h"

#define LOG_BUF (64 * 1024)

static void log_submit(struct worker *w, uint32_t li)
{
	struct wlog *lg = &w->logs[li];
	struct io_uring_sqe *sqe;

	if (lg->writing || !lg->len || lg->fd < 0)
		return;
	sqe = worker_sqe(w);
	/* O_APPEND: the offset is ignored; -1 would also mean "current position". */
	io_uring_prep_write(sqe, lg->fd, lg->buf[lg->cur], (unsigned int)lg->len, 0);
	io_uring_sqe_set_data64(sqe, ud_pack(UD_LOG, li, 0));
	lg->writing = true;
	lg->write_len = lg->len;
	lg->cur ^= 1;
	lg->len = 0;
}

void worker_log(struct worker *w, uint32_t li, const char *line, size_t len)
{
	struct wlog *lg = &w->logs[li];

	if (lg->fd < 0)
		return;
	if (lg->len + len > LOG_BUF) {
		log_submit(w, li);
		if (lg->len + len > LOG_BUF)
			return;   /* both halves busy: drop rather than block the loop */
	}
	memcpy(lg->buf[lg->cur] + lg->len, line, len);
	lg->len += len;
}

void logs_on_write(struct loop *lp, const struct io_uring_cqe *cqe)
{
	struct wlog *lg = &worker_of(lp)->logs[ud_index(cqe->user_data)];
	char *b = lg->buf[lg->cur ^ 1];

	lg->writing = false;
	if (cqe->res >= 0 && (size_t)cqe->res < lg->write_len) {
		/* short write: the rest goes out synchronously, keeping lines whole */
		size_t off = (size_t)cqe->res;

		while (off < lg->write_len) {
			ssize_t n = write(lg->fd, b + off, lg->write_len - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
}

static int log_open(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

void logs_tick(struct worker *w, bool sync)
{
	uint32_t seq = atomic_load(&w->l7->log_seq);

	for (size_t i = 0; i < w->n_ls; i++) {
		struct wlog *lg = &w->logs[i];

		if (!lg->path)
			continue;
		if (seq != w->log_seq && !lg->writing) {
			int fd = log_open(lg->path);

			if (fd >= 0) {
				if (lg->len)
					(void)!write(lg->fd, lg->buf[lg->cur], lg->len);
				lg->len = 0;
				close(lg->fd);
				lg->fd = fd;
			}
		}
		if (sync) {
			if (lg->len)
				(void)!write(lg->fd, lg->buf[lg->cur], lg->len);
			lg->len = 0;
		} else {
			log_submit(w, (uint32_t)i);
		}
	}
	w->log_seq = seq;
}

int wlog_set(struct wlog *lg, const char *path, enum cfg_log_format format)
{
	int fd = -1;

	lg->format = format;
	if ((!path && !lg->path) || (path && lg->path && !strcmp(path, lg->path)))
		return 0;
	if (path) {
		fd = log_open(path);
		if (fd < 0)
			return -errno;
		if (!lg->buf[0])
			lg->buf[0] = malloc(LOG_BUF);
		if (!lg->buf[1])
			lg->buf[1] = malloc(LOG_BUF);
		if (!lg->buf[0] || !lg->buf[1]) {
			close(fd);
			return -ENOMEM;
		}
	}
	if (lg->fd >= 0) {
		/* a write in flight holds its own reference to the old file */
		if (lg->len)
			(void)!write(lg->fd, lg->buf[lg->cur], lg->len);
		close(lg->fd);
	}
	lg->len = 0;
	lg->fd = fd;
	lg->path = (char *)path;
	return 0;
}

void logs_free(struct worker *w)
{
	if (w->logs) {
		for (size_t i = 0; i < w->n_ls; i++) {
			if (w->logs[i].fd >= 0)
				close(w->logs[i].fd);
			free(w->logs[i].buf[0]);
			free(w->logs[i].buf[1]);
		}
	}
	free(w->logs);
	w->logs = NULL;
}
