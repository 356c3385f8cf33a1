/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Internal to the config loader: the libyaml node walk, typed scalar readers and error reporting. */
#ifndef SLUICE_CONFIG_YAML_H
#define SLUICE_CONFIG_YAML_H

#include <yaml.h>

#include "config/config.h"

/* One load: the parsed document and where its problems go. */
struct cy {
	const char *name;        /* file name used in messages */
	FILE *errs;
	yaml_document_t doc;
	int errors;
};

/* cy_key_fn() - handle one key of a mapping; return false when @key is not known here. */
typedef bool (*cy_key_fn)(struct cy *cy, const char *key, yaml_node_t *v, void *obj);

static inline int cy_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

void cy_err(struct cy *cy, const yaml_node_t *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cy_err_line(struct cy *cy, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cy_warn(struct cy *cy, const yaml_node_t *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The node's text when it is a scalar, else NULL. */
const char *cy_scalar(const yaml_node_t *n);
/* True for an empty value, ~ or null: "admin:" with nothing under it. */
bool cy_is_null(const yaml_node_t *n);

/*
 * cy_map() - call @fn for every key of the mapping @n (what names it in messages).
 * Reports a non-mapping, non-scalar keys, duplicate keys and keys @fn does not know.
 * Returns 0, or -1 when @n is not a mapping.
 */
int cy_map(struct cy *cy, yaml_node_t *n, const char *what, cy_key_fn fn, void *obj);

/* cy_require() - report every key of the NULL-terminated list missing from mapping @n. */
void cy_require(struct cy *cy, yaml_node_t *n, const char *what, ...) __attribute__((sentinel));

/* cy_seq() - items of a sequence (@n_out set), or NULL with an error when @v is not one. */
yaml_node_item_t *cy_seq(struct cy *cy, yaml_node_t *v, const char *key, size_t *n_out);
yaml_node_t *cy_node(struct cy *cy, yaml_node_item_t item);

/* Typed readers: 0 and *out set, or -1 with the problem reported at @v. */
int cy_str(struct cy *cy, yaml_node_t *v, const char *key, char **out);
int cy_u32(struct cy *cy, yaml_node_t *v, const char *key, uint32_t min, uint32_t max, uint32_t *out);
int cy_bool(struct cy *cy, yaml_node_t *v, const char *key, bool *out);
int cy_ms(struct cy *cy, yaml_node_t *v, const char *key, uint32_t *out);
int cy_size(struct cy *cy, yaml_node_t *v, const char *key, uint64_t *out);
/* cy_size_u32() - a size within @min..@max (at most UINT32_MAX); outside, "'KEY' must be @range" (as the docs write it). */
int cy_size_u32(struct cy *cy, yaml_node_t *v, const char *key, uint64_t min, uint64_t max, const char *range,
		uint32_t *out);
int cy_enum(struct cy *cy, yaml_node_t *v, const char *key, const char *const *names, int *out);
int cy_strlist(struct cy *cy, yaml_node_t *v, const char *key, char ***out, size_t *n_out);
void cfg_strv_free(char **v, size_t n);
int cy_health(struct cy *cy, yaml_node_t *v, struct cfg_health *h);
void cy_health_defaults(struct cfg_health *h);

/* Addresses (config_addr.c). */
int cy_ip(struct cy *cy, yaml_node_t *v, const char *key, struct cfg_ip *out);
int cy_sockaddr(struct cy *cy, yaml_node_t *v, const char *key, struct cfg_sockaddr *out);
int cy_cidr(struct cy *cy, yaml_node_t *v, const char *key, struct cfg_cidr *out);
int cfg_parse_ip(const char *s, struct cfg_ip *out);
void cfg_ip_str(const struct cfg_ip *ip, char *buf, size_t len);

/*
 * tls: of a listener and of an upstream (config_tls.c); the files they name are read by tls_check().
 * cy_listener_tls() sets *@alpn to the alpn key's value when it is written (else leaves it); the
 * default alpn waits for the whole listener: cy_listener_tls_alpn_default() gives a listener
 * without one ["h2", "http/1.1"] when @h2, else ["http/1.1"].
 */
void cy_listener_tls(struct cy *cy, yaml_node_t *v, struct cfg_tls *t, yaml_node_t **alpn);
void cy_listener_tls_alpn_default(struct cy *cy, struct cfg_tls *t, bool h2);
void cfg_tls_free(struct cfg_tls *t);
void cy_upstream_tls(struct cy *cy, yaml_node_t *v, struct cfg_upstream_tls *t);
void cfg_upstream_tls_free(struct cfg_upstream_tls *t);

/*
 * http2: of a listener (config_http2.c). cy_http2_defaults() before the listener's keys are
 * read; cy_listener_http2() reads the key; cy_listener_http2_resolve() after the whole
 * listener: the defaults that depend on other keys (enabled by tls, max_header_list_size by
 * max_header_bytes, the tls alpn default) and the check of an explicit @alpn (NULL when not
 * written) against http2. @http2 is the key's value, NULL when not written.
 */
void cy_http2_defaults(struct cfg_http2 *h);
void cy_listener_http2(struct cy *cy, yaml_node_t *v, struct cfg_http2 *h);
void cy_listener_http2_resolve(struct cy *cy, struct cfg_listener *l, yaml_node_t *http2, yaml_node_t *alpn);

/* Sections (config_l4.c, config_l7.c, config_forward.c). */
void cy_l4(struct cy *cy, yaml_node_t *v, struct cfg_l4 *l4);
void cy_l4_defaults(struct cfg_l4 *l4);
void cy_l7(struct cy *cy, yaml_node_t *v, struct cfg_l7 *l7);
int cy_l7_defaults(struct cfg_l7 *l7);
void cy_forward(struct cy *cy, yaml_node_t *v, struct cfg_forward *f);
int cy_forward_defaults(struct cfg_forward *f);
void cy_forward_free(struct cfg_forward *f);

#endif
