/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Numbers as text without printf: heads and log lines are built on every request. */
#ifndef SLUICE_FMT_H
#define SLUICE_FMT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_U64_MAX 20   /* digits of UINT64_MAX */

/* fmt_u64() - @v in decimal at @out (room for FMT_U64_MAX bytes, not terminated). Returns its length. */
static inline size_t fmt_u64(char *out, uint64_t v)
{
	char b[FMT_U64_MAX];
	size_t i = sizeof(b), n;

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	n = sizeof(b) - i;
	for (size_t k = 0; k < n; k++)
		out[k] = b[i + k];
	return n;
}

#endif
