// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Aligned text tables: rows are kept until printing so every column gets its width. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct table {
	int ncols;
	char **cells;          /* rows * ncols, row 0 = heads */
	int rows;
};

struct table *table_new(int ncols, const char *const *heads)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	if (table_add(t, heads)) {
		free(t);
		return NULL;
	}
	return t;
}

int table_add(struct table *t, const char *const *cells)
{
	char **n = realloc(t->cells, sizeof(*n) * (t->rows + 1) * t->ncols);

	if (!n)
		return -ENOMEM;
	t->cells = n;
	for (int c = 0; c < t->ncols; c++)
		t->cells[t->rows * t->ncols + c] = strdup(cells[c] ? cells[c] : "");
	t->rows++;
	return 0;
}

static bool table_numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	return true;
}

void table_print(struct table *t, FILE *f)
{
	size_t w[t->ncols];

	for (int c = 0; c < t->ncols; c++) {
		w[c] = 0;
		for (int r = 0; r < t->rows; r++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t l = s ? strlen(s) : 0;

			if (l > w[c])
				w[c] = l;
		}
	}
	for (int r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c] ? t->cells[r * t->ncols + c] : "";
			bool last = c == t->ncols - 1;

			if (r > 0 && table_numeric(s))
				fprintf(f, "%*s%s", (int)w[c], s, last ? "" : "  ");
			else if (last)
				fprintf(f, "%s", s);
			else
				fprintf(f, "%-*s  ", (int)w[c], s);
		}
		fputc('\n', f);
	}
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
