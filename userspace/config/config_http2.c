// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The http2: of listeners (on or off, and the limits of HTTP/2), and how it agrees with the listener's tls: alpn. */
#include <stdlib.h>
#include <string.h>

#include "config/config_yaml.h"

/*
 * RFC 9113 6.9: a flow-control window starts at 65535 bytes and never exceeds
 * 2^31-1. We only ever grow ours from 65535, so that is the least we accept.
 */
#define H2_WINDOW_MIN 65535U
#define H2_31_MAX 0x7fffffffU         /* 2^31-1: the largest window; also bounds max_concurrent_streams (31-bit stream ids) */

static bool cy_http2_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg_http2 *h = obj;

	if (!strcmp(key, "enabled")) {
		if (!cy_bool(cy, v, key, &h->enabled))
			h->enabled_set = true;
	} else if (!strcmp(key, "max_concurrent_streams")) {
		cy_u32(cy, v, key, 1, H2_31_MAX, &h->max_concurrent_streams);
	} else if (!strcmp(key, "max_header_list_size")) {
		/* the same bounds as max_header_bytes, the HTTP/1.1 limit it stands for */
		cy_size_u32(cy, v, key, 1024, 1U << 20, "1KiB..1MiB", &h->max_header_list_size);
	} else if (!strcmp(key, "header_table_size")) {
		cy_size_u32(cy, v, key, 0, 65536, "0..64KiB", &h->header_table_size);
	} else if (!strcmp(key, "stream_window")) {
		cy_size_u32(cy, v, key, H2_WINDOW_MIN, H2_31_MAX, "65535..2147483647 bytes (HTTP/2's window limits)",
			   &h->stream_window);
	} else if (!strcmp(key, "connection_window")) {
		cy_size_u32(cy, v, key, H2_WINDOW_MIN, H2_31_MAX, "65535..2147483647 bytes (HTTP/2's window limits)",
			   &h->connection_window);
	} else if (!strcmp(key, "max_resets")) {
		cy_u32(cy, v, key, 1, 1000000, &h->max_resets);
	} else if (!strcmp(key, "max_control_frames")) {
		cy_u32(cy, v, key, 1, 1000000, &h->max_control_frames);
	} else if (!strcmp(key, "max_continuations")) {
		cy_u32(cy, v, key, 1, 1000000, &h->max_continuations);
	} else {
		return false;
	}
	return true;
}

void cy_http2_defaults(struct cfg_http2 *h)
{
	h->max_concurrent_streams = 128;
	h->max_header_list_size = 0;          /* not said: the listener's max_header_bytes, once it is read */
	h->header_table_size = 4096;
	h->stream_window = 256 * 1024;
	h->connection_window = 1024 * 1024;
	h->max_resets = 200;
	h->max_control_frames = 200;
	h->max_continuations = 8;
}

/*
 * http2: true | false, or a mapping. Unlike an upstream's tls, a mapping
 * without `enabled` only sets limits: whether HTTP/2 is on still follows the
 * listener's tls (cy_listener_http2_resolve()). A bare "http2:" is refused
 * rather than guessed.
 */
void cy_listener_http2(struct cy *cy, yaml_node_t *v, struct cfg_http2 *h)
{
	h->line = cy_line(v);
	if (cy_is_null(v)) {
		cy_err(cy, v, "'http2' must be true, false or a mapping");
		return;
	}
	if (cy_scalar(v)) {
		if (!cy_bool(cy, v, "http2", &h->enabled))
			h->enabled_set = true;
		return;
	}
	cy_map(cy, v, "http2", cy_http2_key, h);
}

/* True when the mapping @v has a key other than enabled: limits that would be set for nothing when http2 is off. */
static bool http2_has_limits(struct cy *cy, const yaml_node_t *v)
{
	if (!v || v->type != YAML_MAPPING_NODE)
		return false;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const char *key = cy_scalar(yaml_document_get_node(&cy->doc, p->key));

		if (key && strcmp(key, "enabled"))
			return true;
	}
	return false;
}

static bool alpn_has_h2(const struct cfg_tls *t)
{
	for (size_t i = 0; i < t->n_alpn; i++)
		if (!strcmp(t->alpn[i], "h2"))
			return true;
	return false;
}

void cy_listener_http2_resolve(struct cy *cy, struct cfg_listener *l, yaml_node_t *http2, yaml_node_t *alpn)
{
	struct cfg_http2 *h = &l->http2;

	if (!h->enabled_set)
		h->enabled = l->tls.present;
	if (!h->max_header_list_size)
		h->max_header_list_size = l->max_header_bytes;
	if (!h->enabled && http2_has_limits(cy, http2))
		cy_warn(cy, http2, "http2 limits are set but http2 is off (%s)",
			h->enabled_set ? "enabled: false" : "a cleartext listener: h2c needs enabled: true");
	if (!l->tls.present)
		return;
	/* An explicit alpn is taken as written: with http2 on but no h2 in it, h2 is simply not offered. */
	if (alpn && !h->enabled && alpn_has_h2(&l->tls))
		cy_err(cy, alpn, "alpn offers h2 but http2 is off");
	cy_listener_tls_alpn_default(cy, &l->tls, h->enabled);
}
