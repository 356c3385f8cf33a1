/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A worker's access logs: lines appended to a buffer, written in batches through the worker's ring. */
#ifndef SLUICE_L7_LOGBATCH_H
#define SLUICE_L7_LOGBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct worker;
struct io_uring_cqe;
struct loop;

/* A per-worker access log: lines are appended here and written in batches. */
struct wlog {
	char *path;
	enum cfg_log_format format;
	int fd;
	char *buf[2];
	size_t len;              /* bytes in buf[cur] */
	int cur;
	bool writing;
	size_t write_len;
};

/* worker_log() - append @line to listener @listener's log; dropped when both halves are busy (never blocks). */
void worker_log(struct worker *w, uint32_t listener, const char *line, size_t len);

/* wlog_set() - point log @lg at @path (NULL: none), writing out what it holds for the old file first. 0 or -errno. */
int wlog_set(struct wlog *lg, const char *path, enum cfg_log_format format);

/* logs_tick() - write out what accumulated (@sync: now, with write(2)); reopen after SIGUSR1. */
void logs_tick(struct worker *w, bool sync);

/* logs_on_write() - the loop's handler of a UD_LOG completion (a batch written). */
void logs_on_write(struct loop *lp, const struct io_uring_cqe *cqe);

/* logs_free() - close the worker's logs and free their buffers. */
void logs_free(struct worker *w);

#endif
