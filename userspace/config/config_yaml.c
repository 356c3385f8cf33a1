// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The config loader's libyaml node walk: mappings, lists, typed scalars, and "file:line: message" reporting. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_yaml.h"

static void cy_vreport(struct cy *cy, int line, const char *kind, const char *fmt, va_list ap)
{
	if (!cy->errs)
		return;
	fprintf(cy->errs, "%s:%d: %s", cy->name, line, kind);
	vfprintf(cy->errs, fmt, ap);
	fputc('\n', cy->errs);
}

void cy_err(struct cy *cy, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;

	cy->errors++;
	va_start(ap, fmt);
	cy_vreport(cy, cy_line(at), "", fmt, ap);
	va_end(ap);
}

void cy_err_line(struct cy *cy, int line, const char *fmt, ...)
{
	va_list ap;

	cy->errors++;
	va_start(ap, fmt);
	cy_vreport(cy, line, "", fmt, ap);
	va_end(ap);
}

void cy_warn(struct cy *cy, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cy_vreport(cy, cy_line(at), "warning: ", fmt, ap);
	va_end(ap);
}

const char *cy_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool cy_is_null(const yaml_node_t *n)
{
	const char *s = cy_scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && (!*s || !strcmp(s, "~") || !strcmp(s, "null"));
}

yaml_node_t *cy_node(struct cy *cy, yaml_node_item_t item)
{
	return yaml_document_get_node(&cy->doc, item);
}

int cy_map(struct cy *cy, yaml_node_t *n, const char *what, cy_key_fn fn, void *obj)
{
	yaml_node_pair_t *p, *q;

	if (cy_is_null(n))       /* "admin:" with nothing under it: an empty section */
		return 0;
	if (!n || n->type != YAML_MAPPING_NODE) {
		cy_err(cy, n, "%s must be a mapping", what);
		return -1;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&cy->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&cy->doc, p->value);
		const char *key = cy_scalar(k);
		bool dup = false;

		if (!key) {
			cy_err(cy, k, "keys in %s must be scalars", what);
			continue;
		}
		for (q = n->data.mapping.pairs.start; q < p && !dup; q++) {
			const char *prev = cy_scalar(yaml_document_get_node(&cy->doc, q->key));

			dup = prev && !strcmp(prev, key);
		}
		if (dup) {
			cy_err(cy, k, "duplicate key '%s' in %s", key, what);
			continue;
		}
		if (!fn(cy, key, v, obj))
			cy_err(cy, k, "unknown key '%s' in %s", key, what);
	}
	return 0;
}

void cy_require(struct cy *cy, yaml_node_t *n, const char *what, ...)
{
	const char *want;
	va_list ap;

	if (!n || (n->type != YAML_MAPPING_NODE && !cy_is_null(n)))
		return;
	va_start(ap, what);
	while ((want = va_arg(ap, const char *))) {
		yaml_node_pair_t *p;
		bool found = false;

		for (p = n->type == YAML_MAPPING_NODE ? n->data.mapping.pairs.start : NULL;
		     p && p < n->data.mapping.pairs.top && !found; p++) {
			const char *key = cy_scalar(yaml_document_get_node(&cy->doc, p->key));

			found = key && !strcmp(key, want);
		}
		if (!found)
			cy_err(cy, n, "%s: missing required key '%s'", what, want);
	}
	va_end(ap);
}

yaml_node_item_t *cy_seq(struct cy *cy, yaml_node_t *v, const char *key, size_t *n_out)
{
	*n_out = 0;
	if (!v || v->type != YAML_SEQUENCE_NODE) {
		cy_err(cy, v, "'%s' must be a list", key);
		return NULL;
	}
	*n_out = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	return v->data.sequence.items.start;
}

int cy_str(struct cy *cy, yaml_node_t *v, const char *key, char **out)
{
	const char *s = cy_scalar(v);

	if (!s) {
		cy_err(cy, v, "'%s' must be a string", key);
		return -1;
	}
	if (!*s) {
		cy_err(cy, v, "'%s' must not be empty", key);
		return -1;
	}
	free(*out);
	*out = strdup(s);
	if (!*out) {
		cy_err(cy, v, "out of memory");
		return -1;
	}
	return 0;
}

/* Digits only: no sign, no spaces, no hex; fails on overflow. */
static int cy_parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t x = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*end = s;
	*out = x;
	return 0;
}

int cy_u32(struct cy *cy, yaml_node_t *v, const char *key, uint32_t min, uint32_t max, uint32_t *out)
{
	const char *s = cy_scalar(v), *end;
	uint64_t x;

	if (!s) {
		cy_err(cy, v, "'%s' must be an integer", key);
		return -1;
	}
	if (cy_parse_u64(s, &end, &x) || *end) {
		cy_err(cy, v, "'%s' must be an integer, got '%s'", key, s);
		return -1;
	}
	if (x < min || x > max) {
		cy_err(cy, v, "'%s' must be %u..%u, got %s", key, min, max, s);
		return -1;
	}
	*out = (uint32_t)x;
	return 0;
}

int cy_bool(struct cy *cy, yaml_node_t *v, const char *key, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "True", "TRUE", "Yes", "On" };
	static const char *const no[] = { "false", "no", "off", "False", "FALSE", "No", "Off" };
	const char *s = cy_scalar(v);

	for (size_t i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	cy_err(cy, v, "'%s' must be true or false, got '%s'", key, s ? s : "(not a scalar)");
	return -1;
}

int cy_ms(struct cy *cy, yaml_node_t *v, const char *key, uint32_t *out)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	const char *s = cy_scalar(v), *end;
	uint64_t x;

	if (s && !cy_parse_u64(s, &end, &x)) {
		if (!*end && x == 0) {   /* a bare 0 needs no unit */
			*out = 0;
			return 0;
		}
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(end, units[i].unit))
				continue;
			if (x > UINT32_MAX / units[i].ms) {
				cy_err(cy, v, "'%s' is too long: %s", key, s);
				return -1;
			}
			*out = (uint32_t)(x * units[i].ms);
			return 0;
		}
	}
	cy_err(cy, v, "'%s' must be a duration like 500ms, 1s, 2m, got '%s'", key, s ? s : "(not a scalar)");
	return -1;
}

int cy_size(struct cy *cy, yaml_node_t *v, const char *key, uint64_t *out)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "", 1 }, { "B", 1 },
		{ "KiB", 1ULL << 10 }, { "MiB", 1ULL << 20 }, { "GiB", 1ULL << 30 }, { "TiB", 1ULL << 40 },
		{ "k", 1ULL << 10 }, { "K", 1ULL << 10 }, { "m", 1ULL << 20 }, { "M", 1ULL << 20 },
		{ "g", 1ULL << 30 }, { "G", 1ULL << 30 },
		{ "KB", 1000ULL }, { "MB", 1000000ULL }, { "GB", 1000000000ULL }, { "TB", 1000000000000ULL },
	};
	const char *s = cy_scalar(v), *end;
	uint64_t x;

	if (s && !cy_parse_u64(s, &end, &x)) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(end, units[i].unit))
				continue;
			if (x > UINT64_MAX / units[i].mult)
				break;
			*out = x * units[i].mult;
			return 0;
		}
	}
	cy_err(cy, v, "'%s' must be a size like 512KiB, 256MiB, 1GiB, got '%s'", key, s ? s : "(not a scalar)");
	return -1;
}

int cy_size_u32(struct cy *cy, yaml_node_t *v, const char *key, uint64_t min, uint64_t max, const char *range,
		uint32_t *out)
{
	uint64_t sz;

	if (cy_size(cy, v, key, &sz))
		return -1;
	if (sz < min || sz > max) {
		cy_err(cy, v, "'%s' must be %s", key, range);
		return -1;
	}
	*out = (uint32_t)sz;
	return 0;
}

int cy_enum(struct cy *cy, yaml_node_t *v, const char *key, const char *const *names, int *out)
{
	const char *s = cy_scalar(v);
	char list[256] = "";

	for (int i = 0; names[i]; i++) {
		if (s && !strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
		if (i)
			strncat(list, " | ", sizeof(list) - strlen(list) - 1);
		strncat(list, names[i], sizeof(list) - strlen(list) - 1);
	}
	cy_err(cy, v, "'%s' must be one of %s, got '%s'", key, list, s ? s : "(not a scalar)");
	return -1;
}

void cfg_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A list of strings; a single scalar is taken as a one-item list (interfaces: eth0). */
int cy_strlist(struct cy *cy, yaml_node_t *v, const char *key, char ***out, size_t *n_out)
{
	yaml_node_item_t *items;
	size_t n;
	char **list;
	int rc = 0;

	if (cy_scalar(v) && *cy_scalar(v)) {
		items = NULL;
		n = 1;
	} else if (!(items = cy_seq(cy, v, key, &n))) {
		return -1;
	}
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		cy_err(cy, v, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (cy_str(cy, items ? cy_node(cy, items[i]) : v, key, &list[i]))
			rc = -1;
	cfg_strv_free(*out, *n_out);
	*out = list;
	*n_out = n;
	return rc;
}

void cy_health_defaults(struct cfg_health *h)
{
	h->interval_ms = 1000;
	h->timeout_ms = 500;
	h->rise = 2;
	h->fall = 3;
}

static bool cy_health_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	static const char *const types[] = { "none", "tcp", "http", NULL };
	struct cfg_health *h = obj;
	uint32_t x;
	int e;

	if (!strcmp(key, "type")) {
		if (!cy_enum(cy, v, key, types, &e))
			h->type = (enum cfg_health_type)e;
	} else if (!strcmp(key, "port")) {
		if (!cy_u32(cy, v, key, 0, 65535, &x))
			h->port = (uint16_t)x;
	} else if (!strcmp(key, "path")) {
		if (!cy_str(cy, v, key, &h->path) && h->path[0] != '/')
			cy_err(cy, v, "health path must start with '/', got '%s'", h->path);
	} else if (!strcmp(key, "host")) {
		cy_str(cy, v, key, &h->host);
	} else if (!strcmp(key, "expect_status")) {
		if (!cy_u32(cy, v, key, 100, 599, &x))
			h->expect_status = (uint16_t)x;
	} else if (!strcmp(key, "interval") || !strcmp(key, "interval_ms")) {
		if (!cy_ms(cy, v, key, &h->interval_ms) && !h->interval_ms)
			cy_err(cy, v, "health interval must be positive");
	} else if (!strcmp(key, "timeout") || !strcmp(key, "timeout_ms")) {
		if (!cy_ms(cy, v, key, &h->timeout_ms) && !h->timeout_ms)
			cy_err(cy, v, "health timeout must be positive");
	} else if (!strcmp(key, "rise")) {
		cy_u32(cy, v, key, 1, 1000, &h->rise);
	} else if (!strcmp(key, "fall")) {
		cy_u32(cy, v, key, 1, 1000, &h->fall);
	} else {
		return false;
	}
	return true;
}

/* A health block; fills defaults first so a partial block keeps sane values. */
int cy_health(struct cy *cy, yaml_node_t *v, struct cfg_health *h)
{
	int before = cy->errors;

	cy_health_defaults(h);
	h->type = CFG_HEALTH_TCP;     /* a health block without a type means "check it": tcp */
	if (cy_map(cy, v, "health", cy_health_key, h))
		return -1;
	if (h->type == CFG_HEALTH_HTTP && !h->path) {
		h->path = strdup("/");
		if (!h->path)
			cy_err(cy, v, "out of memory");
	}
	if (cy->errors == before && h->timeout_ms > h->interval_ms)
		cy_err(cy, v, "health timeout (%ums) must not exceed interval (%ums)", h->timeout_ms, h->interval_ms);
	return cy->errors == before ? 0 : -1;
}
