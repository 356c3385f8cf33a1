/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sluiced's operational log: one line per event, naming the object it is about. */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* log_set_level() - lines above @lvl are dropped (default LOG_LVL_INFO). */
void log_set_level(enum log_level lvl);

/* log_level_parse() - "err", "warn", "info" or "debug"; returns the level or -EINVAL. */
int log_level_parse(const char *s);

/*
 * log_msg() - write one line to stderr: "TIME sluiced[PID]: LEVEL: MESSAGE".
 * Safe from any thread: the line goes out in a single write(). Message text
 * should start with the object, e.g. "backend web/198.18.20.1: health: down".
 */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* log_vmsg() - log_msg() for a va_list (a library's print callback); a trailing newline is dropped. */
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
