// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Reading the admin section of sluiced's config and the admin token file for sluicectl. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf.h"

static const char *conf_scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* conf_get() - the value of @key in mapping @map, or NULL. */
static yaml_node_t *conf_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = conf_scalar(yaml_document_get_node(doc, p->key));

		if (k && !strcmp(k, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static int conf_dup(const char *s, char **out)
{
	if (!s || !*s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int ctl_conf_read(const char *path, struct ctl_conf *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *admin;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%d: YAML: %s (sluiced -t -c %s says more)", path,
			 (int)parser.problem_mark.line + 1, parser.problem ? parser.problem : "syntax error", path);
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	admin = conf_get(&doc, yaml_document_get_root_node(&doc), "admin");
	if (conf_scalar(admin)) {
		rc = conf_dup(conf_scalar(admin), &out->listen);          /* admin: ADDRESS */
	} else {
		rc = conf_dup(conf_scalar(conf_get(&doc, admin, "listen")), &out->listen);
		if (!rc)
			rc = conf_dup(conf_scalar(conf_get(&doc, admin, "token_file")), &out->token_file);
	}
	if (rc)
		snprintf(err, errlen, "%s: out of memory", path);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

char *ctl_token_read(const char *path, char *err, size_t errlen)
{
	char buf[1024];
	FILE *f = fopen(path, "re");
	size_t len;

	if (!f) {
		snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
		return NULL;
	}
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = 0;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = 0;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] > 0x7e) {
			snprintf(err, errlen, "token file %s: not a token (one line of printable ASCII, no spaces)", path);
			return NULL;
		}
	}
	if (!len) {
		snprintf(err, errlen, "token file %s: empty", path);
		return NULL;
	}
	return strdup(buf);
}
