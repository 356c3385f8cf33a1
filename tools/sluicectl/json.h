/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A small JSON reader for sluicectl: parses the admin API's documents into a tree. */
#ifndef SLUICECTL_JSON_H
#define SLUICECTL_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum json_type { JSON_NULL = 0, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
	enum json_type type;
	char *key;                /* member name inside an object */
	char *str;                /* JSON_STR; for JSON_NUM the number's text */
	double num;
	bool b;
	struct json **items;      /* JSON_ARR / JSON_OBJ */
	size_t n;
};

/* json_parse() - the document in @text, or NULL if it is not valid JSON. */
struct json *json_parse(const char *text);

void json_free(struct json *j);

/* json_get() - member @key of an object (NULL if absent or not an object). */
const struct json *json_get(const struct json *j, const char *key);

/* json_str() - member as text ("" if absent): strings as they are, numbers and bools printed. */
const char *json_str(const struct json *j, const char *key);

/* json_num() - member as a number (0 if absent). */
double json_num(const struct json *j, const char *key);

#endif
