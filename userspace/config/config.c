// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Loading the config: read the file, load the YAML document, walk the top level, free it all. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config_yaml.h"

struct top_walk {
	struct cfg *cfg;
	yaml_node_t *l4, *l7, *admin;
};

/*
 * The token is read with the config, so `sluiced -t` and a reload check it
 * too and a reload picks up a rotated one. It must be one word of visible
 * ASCII (it travels in an HTTP header); the trailing newline editors add is
 * dropped. Messages never quote it.
 */
static void cy_admin_token(struct cy *cy, yaml_node_t *v, struct cfg_admin_access *acc)
{
	struct stat st;
	size_t len;
	char *text;

	if (cy_str(cy, v, "token_file", &acc->token_file))
		return;
	text = cfg_read_file(acc->token_file, &len, NULL);
	if (!text) {
		cy_err(cy, v, "admin.token_file %s: %s", acc->token_file, strerror(errno));
		return;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = 0;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)text[i] < 0x21 || (unsigned char)text[i] > 0x7e) {
			cy_err(cy, v, "admin.token_file %s: the token must be one line of printable ASCII without "
			       "spaces (byte %zu is not)", acc->token_file, i + 1);
			free(text);
			return;
		}
	}
	if (len < CFG_ADMIN_TOKEN_MIN || len > CFG_ADMIN_TOKEN_MAX) {
		cy_err(cy, v, "admin.token_file %s: the token must be %d..%d characters, it has %zu "
		       "(e.g. openssl rand -hex 32 > %s)", acc->token_file, CFG_ADMIN_TOKEN_MIN, CFG_ADMIN_TOKEN_MAX,
		       len, acc->token_file);
		free(text);
		return;
	}
	if (!stat(acc->token_file, &st) && (st.st_mode & S_IROTH))
		cy_warn(cy, v, "admin.token_file %s is readable by every user (chmod 0600 or 0640)", acc->token_file);
	free(acc->token);
	acc->token = text;
}

/* mode: octal permissions of the unix socket, as chmod(1) writes them ("0660"). */
static void cy_admin_mode(struct cy *cy, yaml_node_t *v, struct cfg_admin_access *acc)
{
	const char *s = cy_scalar(v);
	uint32_t m = 0;
	size_t n = 0;

	for (; s && s[n] >= '0' && s[n] <= '7' && n < 4; n++)
		m = m * 8 + (uint32_t)(s[n] - '0');
	if (!s || n < 3 || s[n] || m > 0777) {
		cy_err(cy, v, "admin.mode must be octal permissions like 0660, got '%s'", s ? s : "(not a scalar)");
		return;
	}
	if (!(m & 0600))
		cy_warn(cy, v, "admin.mode %04o: sluiced's own user cannot use the socket", m);
	if (m & 0006)
		cy_warn(cy, v, "admin.mode %04o lets every local user drive the admin API", m);
	acc->mode = m;
}

static void cy_admin_group(struct cy *cy, yaml_node_t *v, struct cfg_admin_access *acc)
{
	struct group gr, *res = NULL;
	char buf[4096], *end;
	unsigned long id;

	if (cy_str(cy, v, "group", &acc->group))
		return;
	id = strtoul(acc->group, &end, 10);
	if (acc->group[0] >= '0' && acc->group[0] <= '9' && !*end && id < UINT32_MAX) {
		acc->gid = (uint32_t)id;
		return;
	}
	if (getgrnam_r(acc->group, &gr, buf, sizeof(buf), &res) || !res) {
		cy_err(cy, v, "admin.group: no group named '%s'", acc->group);
		return;
	}
	acc->gid = (uint32_t)res->gr_gid;
}

static bool cy_admin_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg *cfg = obj;

	if (!strcmp(key, "listen"))
		cy_sockaddr(cy, v, key, &cfg->admin);
	else if (!strcmp(key, "token_file"))
		cy_admin_token(cy, v, &cfg->admin_access);
	else if (!strcmp(key, "mode"))
		cy_admin_mode(cy, v, &cfg->admin_access);
	else if (!strcmp(key, "group"))
		cy_admin_group(cy, v, &cfg->admin_access);
	else
		return false;
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
		cfg->l4_line = cy_line(v);
	} else if (!strcmp(key, "l7")) {
		w->l7 = v;
		cfg->l7_line = cy_line(v);
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
	cfg->admin_access.mode = 0660;
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
		cy_warn(cy, w.admin, "admin API on %s is reachable from other hosts%s", cfg->admin.text,
			cfg->admin_access.token ? "" : " and has no admin.token_file: it can only be read there");
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
		cfg_tls_free(&l->tls);
	}
	free(l7->listeners);
	for (size_t i = 0; i < l7->n_upstreams; i++) {
		struct cfg_upstream *up = &l7->upstreams[i];

		free(up->name);
		free(up->hash_name);
		free(up->host);
		free(up->servers);
		cfg_health_free(&up->health);
		cfg_upstream_tls_free(&up->tls);
	}
	free(l7->upstreams);
	for (size_t i = 0; i < l7->n_caches; i++)
		free(l7->caches[i].name);
	free(l7->caches);
	cy_forward_free(&l7->forward);
}

int cfg_check_serves(const struct cfg *cfg, FILE *errs)
{
	int line = cfg->l7_line ? cfg->l7_line : cfg->l4_line ? cfg->l4_line : 1;

	if (cfg->l7.n_listeners || cfg->l4.n_vips)
		return 0;
	if (errs)
		fprintf(errs, "%s:%d: nothing to serve: no l7 listener and no l4 vip%s\n", cfg->path, line,
			cfg->l7_line || cfg->l4_line ? "" : " (an empty or truncated file?)");
	return -EINVAL;
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	free(cfg->admin_access.token_file);
	free(cfg->admin_access.token);
	free(cfg->admin_access.group);
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
