/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Helpers for the config unit tests: a config loaded from a string, and the table of configs that must be refused. */
#ifndef SLUICE_TESTS_CONFIG_UTIL_H
#define SLUICE_TESTS_CONFIG_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "../tap.h"

/* load() - @text parsed as file "t.yaml"; what the parser printed in @out (NUL-ended). NULL when refused. */
static inline struct cfg *load(const char *text, char *out, size_t out_len)
{
	FILE *f;
	struct cfg *cfg;

	memset(out, 0, out_len);
	f = fmemopen(out, out_len, "w");
	cfg = cfg_load_string("t.yaml", text, strlen(text), f);
	fclose(f);
	return cfg;
}

/* A config that must be refused, with exactly these messages. */
struct bad_case {
	const char *what, *yaml, *msgs;
};

/* check_bad() - every one of @n cases is refused (EINVAL) with its messages. */
static inline void check_bad(const struct bad_case *bad, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char out[4096];
		struct cfg *cfg;

		errno = 0;
		cfg = load(bad[i].yaml, out, sizeof(out));
		ok(!cfg && errno == EINVAL, "rejected: %s", bad[i].what);
		is_str(out, bad[i].msgs, "... with: %s", bad[i].what);
		cfg_free(cfg);
	}
}

#endif
