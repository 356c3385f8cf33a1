/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Aligned text tables for sluicectl's human output. */
#ifndef SLUICECTL_TABLE_H
#define SLUICECTL_TABLE_H

#include <stdio.h>

struct table;

/* table_new() - a table with @ncols columns named by @heads; NULL on ENOMEM. */
struct table *table_new(int ncols, const char *const *heads);

/* table_add() - append a row of @ncols cells (copied). 0 or -ENOMEM. */
int table_add(struct table *t, const char *const *cells);

/* table_print() - columns padded to their widest cell; numeric-looking cells right-aligned. */
void table_print(struct table *t, FILE *f);

void table_free(struct table *t);

#endif
