/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A header-only TAP producer for the C tests: prove reads what it prints. */
#ifndef SLUICE_TESTS_TAP_H
#define SLUICE_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n;
static int tap_failed;

/* ok(): one test point; returns the condition so callers can bail out early. */
static inline int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}
#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* is_int(): compares two integers and shows both when they differ. */
#define is_int(got, want, ...) ({                                              \
	long long _g = (long long)(got), _w = (long long)(want);               \
	int _r = ok(_g == _w, __VA_ARGS__);                                    \
	if (!_r)                                                               \
		printf("#   got %lld, want %lld\n", _g, _w);                   \
	_r; })

#define is_str(got, want, ...) ({                                              \
	const char *_g = (got), *_w = (want);                                  \
	int _r = ok(_g && _w && !strcmp(_g, _w), __VA_ARGS__);                 \
	if (!_r)                                                               \
		printf("#   got \"%s\", want \"%s\"\n", _g ? _g : "(null)",    \
		       _w ? _w : "(null)");                                    \
	_r; })

static inline void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* skip_all(): the whole file cannot run here (no root, no kernel feature). */
static inline void skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

/* done_testing(): prints the plan and returns the process exit code. */
static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
