// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The l4 section of the config: XDP settings, VIPs and their backends, and the checks Maglev needs. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_yaml.h"
#include "lib/maglev.h"
#include "sluice/consts.h"

static const char *const fwd_names[] = { "ipip", "dsr", NULL };

void cy_l4_defaults(struct cfg_l4 *l4)
{
	l4->xdp_mode = CFG_XDP_NATIVE;
	l4->forwarding = CFG_FWD_IPIP;
	l4->conntrack_entries = SL_CT_DEFAULT;
	l4->conntrack_insert_rate = SL_CT_INSERT_RATE;
	l4->ring_size = SL_RING_DEFAULT;
	l4->hash_seed = 0;
	l4->udp_timeout_ms = 30000;
	cfg_parse_ip("198.19.0.0", &l4->tunnel_src4);
	l4->tunnel_src4_bits = 16;
	cfg_parse_ip("2001:2:0:ffff::", &l4->tunnel_src6);
	l4->icmp_echo = true;
	l4->detach_on_exit = false;
}

static bool cy_backend_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	struct cfg_backend *be = obj;

	if (!strcmp(key, "address"))
		cy_ip(cy, v, key, &be->addr);
	else if (!strcmp(key, "weight"))
		cy_u32(cy, v, key, 0, 1000, &be->weight);
	else
		return false;
	return true;
}

static void cy_backends(struct cy *cy, yaml_node_t *v, struct cfg_vip *vip)
{
	yaml_node_item_t *items;
	size_t n;

	if (!(items = cy_seq(cy, v, "backends", &n)))
		return;
	vip->backends = calloc(n ? n : 1, sizeof(*vip->backends));
	if (!vip->backends) {
		cy_err(cy, v, "out of memory");
		return;
	}
	vip->n_backends = n;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = cy_node(cy, items[i]);
		struct cfg_backend *be = &vip->backends[i];

		be->weight = 100;
		be->line = cy_line(it);
		if (cy_scalar(it)) {          /* "- 198.18.20.1": address only */
			cy_ip(cy, it, "address", &be->addr);
			continue;
		}
		cy_require(cy, it, "backend", "address", NULL);
		cy_map(cy, it, "backend", cy_backend_key, be);
	}
}

struct vip_walk {
	struct cfg_vip *vip;
	yaml_node_t *ring_node;
};

static bool cy_vip_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	static const char *const protos[] = { "tcp", "udp", NULL };
	static const char *const hashes[] = { "flow", "source", NULL };
	static const char *const empties[] = { "drop", "pass", NULL };
	struct vip_walk *w = obj;
	struct cfg_vip *vip = w->vip;
	uint32_t x;
	int e;

	if (!strcmp(key, "name")) {
		cy_str(cy, v, key, &vip->name);
	} else if (!strcmp(key, "address")) {
		cy_ip(cy, v, key, &vip->addr);
	} else if (!strcmp(key, "port")) {
		if (!cy_u32(cy, v, key, 0, 65535, &x))
			vip->port = (uint16_t)x;
	} else if (!strcmp(key, "protocol") || !strcmp(key, "proto")) {
		if (!cy_enum(cy, v, key, protos, &e))
			vip->proto = e ? IPPROTO_UDP : IPPROTO_TCP;
	} else if (!strcmp(key, "forwarding")) {
		if (!cy_enum(cy, v, key, fwd_names, &e))
			vip->forwarding = (enum cfg_forwarding)e;
	} else if (!strcmp(key, "hash")) {
		if (!cy_enum(cy, v, key, hashes, &e))
			vip->hash_src = e == 1;
	} else if (!strcmp(key, "on_no_backend")) {
		if (!cy_enum(cy, v, key, empties, &e))
			vip->on_empty = (enum cfg_empty)e;
	} else if (!strcmp(key, "ring_size")) {
		cy_u32(cy, v, key, 2, SL_RING_MAX, &vip->ring_size);
		w->ring_node = v;
	} else if (!strcmp(key, "backends")) {
		cy_backends(cy, v, vip);
	} else if (!strcmp(key, "health")) {
		cy_health(cy, v, &vip->health);
	} else {
		return false;
	}
	return true;
}

/* Checks within one VIP: backends present, unique, of a usable family; a ring Maglev can fill well. */
static void cy_vip_check(struct cy *cy, yaml_node_t *n, struct cfg_vip *vip, yaml_node_t *ring_node,
			 yaml_node_t *l4_ring_node)
{
	const char *name = vip->name ? vip->name : "?";
	char a[INET6_ADDRSTRLEN];

	if (!vip->backends)
		return;                       /* missing or not a list: already reported */
	if (!vip->n_backends) {
		cy_err(cy, n, "vip '%s' has no backends", name);
		return;
	}
	for (size_t i = 0; i < vip->n_backends; i++) {
		struct cfg_backend *be = &vip->backends[i];

		if (!be->addr.family)
			continue;
		cfg_ip_str(&be->addr, a, sizeof(a));
		for (size_t j = 0; j < i; j++) {
			if (vip->backends[j].addr.family == be->addr.family &&
			    !memcmp(&vip->backends[j].addr.v6, &be->addr.v6,
				    be->addr.family == AF_INET ? 4 : 16)) {
				cy_err_line(cy, be->line,
					    "vip '%s': duplicate backend %s (first at line %d)", name, a, vip->backends[j].line);
				break;
			}
		}
		/* IPIP can carry either family in either (4in6, 6in4); L2 DSR leaves the header as it is. */
		if (vip->forwarding == CFG_FWD_DSR && vip->addr.family && be->addr.family != vip->addr.family)
			cy_err_line(cy, be->line,
				    "vip '%s': dsr backend %s must be %s like the vip", name, a,
			       vip->addr.family == AF_INET ? "IPv4" : "IPv6");
	}
	if (!maglev_is_prime(vip->ring_size)) {
		/* Inherited from l4.ring_size: that one is reported once, at l4. */
		if (ring_node)
			cy_err(cy, ring_node, "vip '%s': ring_size %u is not prime", name, vip->ring_size);
		else if (!l4_ring_node)
			cy_err(cy, n, "vip '%s': ring_size %u is not prime", name, vip->ring_size);
		return;
	}
	if (vip->ring_size < vip->n_backends)
		cy_err(cy, ring_node ? ring_node : n, "vip '%s': ring_size %u is smaller than its %zu backends",
		       name, vip->ring_size, vip->n_backends);
	else if ((uint64_t)vip->ring_size < 100ULL * vip->n_backends)
		cy_warn(cy, ring_node ? ring_node : n,
			"vip '%s': ring_size %u is smaller than 100 x %zu backends; shares will be uneven",
			name, vip->ring_size, vip->n_backends);
}

static void cy_vips(struct cy *cy, yaml_node_t *v, struct cfg_l4 *l4, yaml_node_t *l4_ring_node)
{
	yaml_node_item_t *items;
	size_t n, total = 0;

	if (!(items = cy_seq(cy, v, "vips", &n)))
		return;
	l4->vips = calloc(n ? n : 1, sizeof(*l4->vips));
	if (!l4->vips) {
		cy_err(cy, v, "out of memory");
		return;
	}
	l4->n_vips = n;
	if (n > SL_MAX_VIPS)
		cy_err(cy, v, "too many vips: %zu (at most %d)", n, SL_MAX_VIPS);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = cy_node(cy, items[i]);
		struct cfg_vip *vip = &l4->vips[i];
		struct vip_walk w = { .vip = vip };

		vip->line = cy_line(it);
		vip->proto = IPPROTO_TCP;
		vip->forwarding = l4->forwarding;
		vip->ring_size = l4->ring_size;
		cy_health_defaults(&vip->health);
		cy_require(cy, it, "vip", "name", "address", "port", "backends", NULL);
		if (cy_map(cy, it, "vip", cy_vip_key, &w))
			continue;
		cy_vip_check(cy, it, vip, w.ring_node, l4_ring_node);
		total += vip->n_backends;
		for (size_t j = 0; j < i; j++) {
			struct cfg_vip *o = &l4->vips[j];
			char a[INET6_ADDRSTRLEN];

			if (vip->name && o->name && !strcmp(vip->name, o->name))
				cy_err(cy, it, "duplicate vip name '%s' (first at line %d)", vip->name, o->line);
			if (vip->addr.family && vip->addr.family == o->addr.family && vip->port == o->port &&
			    vip->proto == o->proto &&
			    !memcmp(&vip->addr.v6, &o->addr.v6, vip->addr.family == AF_INET ? 4 : 16)) {
				cfg_ip_str(&vip->addr, a, sizeof(a));
				cy_err(cy, it, vip->addr.family == AF_INET ? "duplicate vip %s:%u/%s (first at line %d)"
					       : "duplicate vip [%s]:%u/%s (first at line %d)",
				       a, vip->port, vip->proto == IPPROTO_UDP ? "udp" : "tcp", o->line);
			}
		}
	}
	if (total >= SL_MAX_BACKENDS)
		cy_err(cy, v, "too many backends: %zu in all (at most %d)", total, SL_MAX_BACKENDS - 1);
}

struct l4_walk {
	struct cfg_l4 *l4;
	yaml_node_t *vips;
	yaml_node_t *ring_node;
};

static bool cy_l4_key(struct cy *cy, const char *key, yaml_node_t *v, void *obj)
{
	static const char *const modes[] = { "native", "generic", NULL };
	struct l4_walk *w = obj;
	struct cfg_l4 *l4 = w->l4;
	uint32_t x;
	int e;

	if (!strcmp(key, "interfaces")) {
		cy_strlist(cy, v, key, &l4->interfaces, &l4->n_interfaces);
	} else if (!strcmp(key, "xdp_mode")) {
		if (!cy_enum(cy, v, key, modes, &e))
			l4->xdp_mode = (enum cfg_xdp_mode)e;
	} else if (!strcmp(key, "forwarding")) {
		if (!cy_enum(cy, v, key, fwd_names, &e))
			l4->forwarding = (enum cfg_forwarding)e;
	} else if (!strcmp(key, "conntrack_entries")) {
		cy_u32(cy, v, key, 1024, 100000000, &l4->conntrack_entries);
	} else if (!strcmp(key, "conntrack_insert_rate")) {
		cy_u32(cy, v, key, 0, 100000000, &l4->conntrack_insert_rate);
	} else if (!strcmp(key, "ring_size")) {
		w->ring_node = v;
		if (!cy_u32(cy, v, key, 2, SL_RING_MAX, &l4->ring_size) && !maglev_is_prime(l4->ring_size))
			cy_err(cy, v, "ring_size %u is not prime (try 65537)", l4->ring_size);
	} else if (!strcmp(key, "hash_seed")) {
		cy_u32(cy, v, key, 0, UINT32_MAX, &l4->hash_seed);
	} else if (!strcmp(key, "udp_timeout") || !strcmp(key, "udp_timeout_ms")) {
		if (!cy_ms(cy, v, key, &l4->udp_timeout_ms) && l4->udp_timeout_ms < 1000)
			cy_err(cy, v, "'%s' must be at least 1s", key);
	} else if (!strcmp(key, "tunnel_src4")) {
		if (!cy_ip(cy, v, key, &l4->tunnel_src4) && l4->tunnel_src4.family != AF_INET)
			cy_err(cy, v, "'%s' must be an IPv4 address", key);
	} else if (!strcmp(key, "tunnel_src4_bits")) {
		if (!cy_u32(cy, v, key, 0, 24, &x))
			l4->tunnel_src4_bits = (uint8_t)x;
	} else if (!strcmp(key, "tunnel_src6")) {
		if (!cy_ip(cy, v, key, &l4->tunnel_src6) && l4->tunnel_src6.family != AF_INET6)
			cy_err(cy, v, "'%s' must be an IPv6 address", key);
	} else if (!strcmp(key, "icmp_echo")) {
		cy_bool(cy, v, key, &l4->icmp_echo);
	} else if (!strcmp(key, "detach_on_exit")) {
		cy_bool(cy, v, key, &l4->detach_on_exit);
	} else if (!strcmp(key, "vips")) {
		w->vips = v;     /* after the rest: VIPs inherit forwarding and ring_size whatever the key order */
	} else {
		return false;
	}
	return true;
}

void cy_l4(struct cy *cy, yaml_node_t *v, struct cfg_l4 *l4)
{
	struct l4_walk w = { .l4 = l4 };

	l4->present = true;
	if (cy_map(cy, v, "l4", cy_l4_key, &w))
		return;
	if (w.vips)
		cy_vips(cy, w.vips, l4, w.ring_node);
}
