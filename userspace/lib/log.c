// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The operational log: timestamped single lines on stderr, safe from every thread. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

static volatile int log_max = LOG_LVL_INFO;
static const char *const log_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level lvl)
{
	log_max = lvl;
}

int log_level_parse(const char *s)
{
	if (!strcmp(s, "err") || !strcmp(s, "error"))
		return LOG_LVL_ERR;
	if (!strcmp(s, "warn") || !strcmp(s, "warning"))
		return LOG_LVL_WARN;
	if (!strcmp(s, "info"))
		return LOG_LVL_INFO;
	if (!strcmp(s, "debug"))
		return LOG_LVL_DEBUG;
	return -EINVAL;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	int n, m;

	if ((int)lvl > log_max)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ sluiced[%d]: %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(), log_names[lvl]);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* A library's message (libbpf's, libxdp's) brings its own newline: one is enough. */
	if (n > 0 && line[n - 1] == '\n')
		n--;
	line[n++] = '\n';
	/* One write() per line: lines from different threads never interleave. */
	if (write(STDERR_FILENO, line, n) < 0)
		(void)0;
}
