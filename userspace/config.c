// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Loading the config: read the file, load the YAML document, walk the top level, free it all. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_yaml.h"

struct top_walk {
	struct cfg *cfg;
	yaml_node_t *l4, *l7, *admin;
};

static bool cy_admin_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg *cfg = obj;

	if (strcmp(key, "listen"))
		return false;
	cy_sockaddr(cy, v, key, &cfg->admin);
	return true;
}

static bool cy_top_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct top_walk *w = obj;
	struct cfg *cfg = w->cfg;

	if (!strcmp(key, "workers")) {
		const char *s = cy_scalar(v);

		if (s && !strcmp(s, "auto"))
			cfg->workers = 0;
		else if (s && (s[0] < '0' || s[0] > '9'))
			cy_err(cy, v, "'workers' must be auto or a number, got '%s'", s);
		else
			cy_u32(cy, v, key, 1, 256, &cfg->workers);
	} else if (!strcmp(key, "admin")) {
		w->admin = v;
		if (cy_scalar(v) && !cy_is_null(v))      /* admin: 127.0.0.1:9900 */
			cy_sockaddr(cy, v, "admin", &cfg->admin);
		else
			cy_map(cy, v, "admin", cy_admin_key, cfg);
	} else if (!strcmp(key, "l4")) {
		w->l4 = v;
	} else if (!strcmp(key, "l7")) {
		w->l7 = v;
	} else {
		return false;
	}
	return true;
}

static int cfg_defaults(struct cy *cy, struct cfg *cfg)
{
	yaml_node_t fake = { .type = YAML_SCALAR_NODE };

	/* The admin default goes through the same parser as a written one, so the two agree. */
	fake.data.scalar.value = (yaml_char_t *)"127.0.0.1:9900";
	if (cy_sockaddr(cy, &fake, "admin", &cfg->admin))
		return -1;
	cy_l4_defaults(&cfg->l4);
	return cy_l7_defaults(&cfg->l7);
}

/* Loopback or a unix socket: the admin API has no authentication of its own. */
static bool cfg_admin_is_local(const struct cfg_sockaddr *a)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;

	switch (a->ss.ss_family) {
	case AF_INET:
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	case AF_INET6:
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	default:
		return true;
	}
}

static void cfg_walk(struct cy *cy, struct cfg *cfg)
{
	yaml_node_t *root = yaml_document_get_root_node(&cy->doc);
	struct top_walk w = { .cfg = cfg };

	if (!root || cy_is_null(root))     /* an empty file: every default, no tier configured */
		return;
	if (cy_map(cy, root, "the top level", cy_top_key, &w))
		return;
	if (w.admin && !cfg_admin_is_local(&cfg->admin))
		cy_warn(cy, w.admin, "admin API on %s is reachable from other hosts and has no authentication",
			cfg->admin.text);
	if (w.l4)
		cy_l4(cy, w.l4, &cfg->l4);
	if (w.l7)
		cy_l7(cy, w.l7, &cfg->l7);
}

struct cfg *cfg_load_string(const char *name, const char *text, size_t len, FILE *errs)
{
	struct cy cy = { .name = name, .errs = errs };
	yaml_parser_t parser;
	yaml_document_t extra;
	struct cfg *cfg;

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return NULL;
	cfg->path = strdup(name);
	if (!cfg->path || cfg_defaults(&cy, cfg)) {
		cfg_free(cfg);
		errno = ENOMEM;
		return NULL;
	}
	if (!yaml_parser_initialize(&parser)) {
		cfg_free(cfg);
		errno = ENOMEM;
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &cy.doc)) {
		cy_err_line(&cy, (int)parser.problem_mark.line + 1, "YAML: %s%s%s",
			    parser.problem ? parser.problem : "syntax error",
			    parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		goto out_invalid;
	}
	cfg_walk(&cy, cfg);
	/* A second document would be silently ignored: say so instead. */
	if (yaml_parser_load(&parser, &extra)) {
		if (yaml_document_get_root_node(&extra))
			cy_err_line(&cy, (int)extra.start_mark.line + 1, "only one YAML document is allowed");
		yaml_document_delete(&extra);
	}
	yaml_document_delete(&cy.doc);
	yaml_parser_delete(&parser);
	if (!cy.errors)
		return cfg;
out_invalid:
	cfg_free(cfg);
	errno = EINVAL;
	return NULL;
}

char *cfg_read_file(const char *path, size_t *len, FILE *errs)
{
	char *text = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "re");
	int err;

	*len = 0;
	if (!f)
		goto err_report;
	for (;;) {
		size_t got;

		if (*len + 1 >= cap) {   /* room for the NUL too */
			char *bigger = realloc(text, cap = cap ? cap * 2 : 16384);

			if (!bigger) {
				errno = ENOMEM;
				goto err_close;
			}
			text = bigger;
		}
		got = fread(text + *len, 1, cap - *len - 1, f);
		*len += got;
		if (got == 0) {
			if (ferror(f)) {
				errno = EIO;
				goto err_close;
			}
			break;
		}
	}
	fclose(f);
	text[*len] = 0;
	return text;
err_close:
	err = errno;
	fclose(f);
	free(text);
	errno = err;
err_report:
	err = errno;
	if (errs)
		fprintf(errs, "%s: %s\n", path, strerror(err));
	errno = err;
	return NULL;
}

struct cfg *cfg_load(const char *path, FILE *errs)
{
	struct cfg *cfg;
	size_t len;
	char *text = cfg_read_file(path, &len, errs);
	int err;

	if (!text)
		return NULL;
	cfg = cfg_load_string(path, text, len, errs);
	err = errno;
	free(text);
	errno = err;
	return cfg;
}

static void cfg_health_free(struct cfg_health *h)
{
	free(h->path);
	free(h->host);
}

static void cfg_l7_free(struct cfg_l7 *l7)
{
	for (size_t i = 0; i < l7->n_listeners; i++) {
		struct cfg_listener *l = &l7->listeners[i];

		free(l->name);
		free(l->cache);
		free(l->access_log.path);
		cfg_strv_free(l->access_log.redact, l->access_log.n_redact);
		for (size_t r = 0; r < l->n_routes; r++) {
			struct cfg_route *rt = &l->routes[r];

			free(rt->match.host);
			free(rt->match.path_prefix);
			free(rt->match.header_name);
			free(rt->match.header_value);
			for (size_t s = 0; s < rt->n_splits; s++)
				free(rt->splits[s].upstream);
			free(rt->splits);
		}
		free(l->routes);
	}
	free(l7->listeners);
	for (size_t i = 0; i < l7->n_upstreams; i++) {
		struct cfg_upstream *up = &l7->upstreams[i];

		free(up->name);
		free(up->hash_name);
		free(up->host);
		free(up->servers);
		cfg_health_free(&up->health);
	}
	free(l7->upstreams);
	for (size_t i = 0; i < l7->n_caches; i++)
		free(l7->caches[i].name);
	free(l7->caches);
	cy_forward_free(&l7->forward);
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	cfg_strv_free(cfg->l4.interfaces, cfg->l4.n_interfaces);
	for (size_t i = 0; i < cfg->l4.n_vips; i++) {
		free(cfg->l4.vips[i].name);
		free(cfg->l4.vips[i].backends);
		cfg_health_free(&cfg->l4.vips[i].health);
	}
	free(cfg->l4.vips);
	cfg_l7_free(&cfg->l7);
	free(cfg->path);
	free(cfg);
}
