// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The l7.forward section of the config: who may use the forward proxy, and where it may go. */
#include <stdlib.h>
#include <string.h>

#include "config/config_yaml.h"

int cy_forward_defaults(struct cfg_forward *f)
{
	f->allow_clients = calloc(2, sizeof(*f->allow_clients));
	f->allow_hosts = calloc(1, sizeof(*f->allow_hosts));
	f->connect_ports = calloc(1, sizeof(*f->connect_ports));
	if (!f->allow_clients || !f->allow_hosts || !f->connect_ports)
		return -1;
	cfg_parse_ip("127.0.0.0", &f->allow_clients[0].ip);
	f->allow_clients[0].prefix_len = 8;
	cfg_parse_ip("::1", &f->allow_clients[1].ip);
	f->allow_clients[1].prefix_len = 128;
	f->n_allow_clients = 2;
	f->allow_hosts[0] = strdup("*");
	f->n_allow_hosts = 1;
	if (!f->allow_hosts[0])
		return -1;
	f->connect_ports[0] = 443;
	f->n_connect_ports = 1;
	return 0;
}

void cy_forward_free(struct cfg_forward *f)
{
	free(f->allow_clients);
	cfg_strv_free(f->allow_hosts, f->n_allow_hosts);
	cfg_strv_free(f->deny_hosts, f->n_deny_hosts);
	free(f->connect_ports);
	free(f->auth_file);
	cfg_strv_free(f->identifying_headers, f->n_identifying_headers);
}

static void cy_clients(struct cy *cy, yaml_node_t *v, struct cfg_forward *f)
{
	yaml_node_item_t *items;
	struct cfg_cidr *c;
	size_t n;

	if (!(items = cy_seq(cy, v, "allow_clients", &n)))
		return;
	c = calloc(n ? n : 1, sizeof(*c));
	if (!c) {
		cy_err(cy, v, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		cy_cidr(cy, cy_node(cy, items[i]), "allow_clients", &c[i]);
	free(f->allow_clients);
	f->allow_clients = c;
	f->n_allow_clients = n;
}

static void cy_ports(struct cy *cy, yaml_node_t *v, struct cfg_forward *f)
{
	yaml_node_item_t *items;
	uint16_t *p;
	size_t n;

	if (!(items = cy_seq(cy, v, "connect_ports", &n)))
		return;
	p = calloc(n ? n : 1, sizeof(*p));
	if (!p) {
		cy_err(cy, v, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t x = 0;

		if (!cy_u32(cy, cy_node(cy, items[i]), "connect_ports", 1, 65535, &x))
			p[i] = (uint16_t)x;
	}
	free(f->connect_ports);
	f->connect_ports = p;
	f->n_connect_ports = n;
}

/* Host patterns: exact names, "*" or "*.suffix"; a * anywhere else is a typo. */
static void cy_hosts(struct cy *cy, yaml_node_t *v, const char *key, char ***out, size_t *n)
{
	if (cy_strlist(cy, v, key, out, n))
		return;
	for (size_t i = 0; i < *n; i++) {
		const char *h = (*out)[i], *star = strchr(h, '*');

		if (star && !(star == h && (!h[1] || (h[1] == '.' && h[2] && !strchr(h + 1, '*')))))
			cy_err(cy, v, "'%s': bad host pattern '%s' (exact name, * or *.suffix)", key, h);
	}
}

static bool cy_forward_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg_forward *f = obj;

	if (!strcmp(key, "allow_clients"))
		cy_clients(cy, v, f);
	else if (!strcmp(key, "allow_hosts"))
		cy_hosts(cy, v, key, &f->allow_hosts, &f->n_allow_hosts);
	else if (!strcmp(key, "deny_hosts"))
		cy_hosts(cy, v, key, &f->deny_hosts, &f->n_deny_hosts);
	else if (!strcmp(key, "connect_ports"))
		cy_ports(cy, v, f);
	else if (!strcmp(key, "allow_private_destinations"))
		cy_bool(cy, v, key, &f->allow_private_destinations);
	else if (!strcmp(key, "auth_file"))
		cy_str(cy, v, key, &f->auth_file);
	else if (!strcmp(key, "anonymize"))
		cy_bool(cy, v, key, &f->anonymize);
	else if (!strcmp(key, "identifying_headers"))
		cy_strlist(cy, v, key, &f->identifying_headers, &f->n_identifying_headers);
	else
		return false;
	return true;
}

void cy_forward(struct cy *cy, yaml_node_t *v, struct cfg_forward *f)
{
	cy_map(cy, v, "forward", cy_forward_key, f);
}
