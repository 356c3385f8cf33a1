// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A recursive-descent JSON reader, enough for the admin API's answers (UTF-8 passes through). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct jp {
	const char *p;
	int depth;
};

static void jp_ws(struct jp *jp)
{
	while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r')
		jp->p++;
}

static struct json *jp_value(struct jp *jp);

static char *jp_string(struct jp *jp)
{
	size_t cap = 32, len = 0;
	char *s = malloc(cap);

	if (!s || *jp->p != '"') {
		free(s);
		return NULL;
	}
	jp->p++;
	while (*jp->p && *jp->p != '"') {
		char c = *jp->p++;

		if (c == '\\') {
			c = *jp->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				unsigned int u = 0;

				if (sscanf(jp->p, "%4x", &u) != 1) {
					free(s);
					return NULL;
				}
				jp->p += 4;
				c = u < 0x80 ? (char)u : '?';
				break;
			}
			case 0:
				free(s);
				return NULL;
			default:
				break;   /* \" \\ \/ */
			}
		}
		if (len + 2 > cap) {
			char *n = realloc(s, cap *= 2);

			if (!n) {
				free(s);
				return NULL;
			}
			s = n;
		}
		s[len++] = c;
	}
	if (*jp->p != '"') {
		free(s);
		return NULL;
	}
	jp->p++;
	s[len] = 0;
	return s;
}

static bool jp_push(struct json *j, struct json *item)
{
	struct json **n = realloc(j->items, sizeof(*n) * (j->n + 1));

	if (!n)
		return false;
	j->items = n;
	j->items[j->n++] = item;
	return true;
}

static struct json *jp_container(struct jp *jp, struct json *j, char close)
{
	jp->p++;
	jp_ws(jp);
	if (*jp->p == close) {
		jp->p++;
		return j;
	}
	for (;;) {
		char *key = NULL;
		struct json *item;

		jp_ws(jp);
		if (close == '}') {
			key = jp_string(jp);
			jp_ws(jp);
			if (!key || *jp->p != ':') {
				free(key);
				goto err;
			}
			jp->p++;
		}
		item = jp_value(jp);
		if (!item) {
			free(key);
			goto err;
		}
		item->key = key;
		if (!jp_push(j, item)) {
			json_free(item);
			goto err;
		}
		jp_ws(jp);
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p == close) {
			jp->p++;
			return j;
		}
		goto err;
	}
err:
	json_free(j);
	return NULL;
}

static struct json *jp_value(struct jp *jp)
{
	struct json *j;

	if (++jp->depth > 64)
		return NULL;
	jp_ws(jp);
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	switch (*jp->p) {
	case '{':
		j->type = JSON_OBJ;
		j = jp_container(jp, j, '}');
		break;
	case '[':
		j->type = JSON_ARR;
		j = jp_container(jp, j, ']');
		break;
	case '"':
		j->type = JSON_STR;
		j->str = jp_string(jp);
		if (!j->str) {
			free(j);
			j = NULL;
		}
		break;
	case 't':
	case 'f':
	case 'n':
		if (!strncmp(jp->p, "true", 4)) {
			j->type = JSON_BOOL;
			j->b = true;
			jp->p += 4;
		} else if (!strncmp(jp->p, "false", 5)) {
			j->type = JSON_BOOL;
			jp->p += 5;
		} else if (!strncmp(jp->p, "null", 4)) {
			jp->p += 4;
		} else {
			free(j);
			j = NULL;
		}
		break;
	default: {
		char *end;

		j->type = JSON_NUM;
		j->num = strtod(jp->p, &end);
		if (end == jp->p) {
			free(j);
			j = NULL;
			break;
		}
		j->str = strndup(jp->p, end - jp->p);
		jp->p = end;
	}
	}
	jp->depth--;
	return j;
}

struct json *json_parse(const char *text)
{
	struct jp jp = { .p = text };
	struct json *j = jp_value(&jp);

	if (!j)
		return NULL;
	jp_ws(&jp);
	if (*jp.p) {
		json_free(j);
		return NULL;
	}
	return j;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++)
		json_free(j->items[i]);
	free(j->items);
	free(j->key);
	free(j->str);
	free(j);
}

const struct json *json_get(const struct json *j, const char *key)
{
	if (!j || j->type != JSON_OBJ)
		return NULL;
	for (size_t i = 0; i < j->n; i++)
		if (!strcmp(j->items[i]->key, key))
			return j->items[i];
	return NULL;
}

const char *json_str(const struct json *j, const char *key)
{
	const struct json *v = json_get(j, key);

	if (!v)
		return "";
	switch (v->type) {
	case JSON_STR:
	case JSON_NUM:
		return v->str;
	case JSON_BOOL:
		return v->b ? "true" : "false";
	default:
		return "";
	}
}

double json_num(const struct json *j, const char *key)
{
	const struct json *v = json_get(j, key);

	return v && v->type == JSON_NUM ? v->num : 0;
}
