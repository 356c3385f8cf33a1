// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L4 control plane: config and health turned into sl_vips, sl_backends and Maglev rings, diff-applied on reload. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "l4/l4.h"
#include "l4/l4_loader.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/maglev.h"
#include "sluice/flow_hash.h"

struct l4 {
	struct l4_loader *ld;
	struct l4_maps maps;
	struct health *health;
	struct l4_vip **vips;
	size_t n_vips;
	int efd;
	uint32_t seed;
	bool be_used[SL_MAX_BACKENDS];
	bool vip_used[SL_MAX_VIPS];
	time_t last_warm;
	/* Only during l4_start: what a previous run left in the pinned maps. */
	bool recovering;
	struct sl_backend *pinned_be;   /* [SL_MAX_BACKENDS] */
};

/* Each VIP keeps a copy of its installed ring for trace and slot counts. */
struct l4_vip_ring {
	uint32_t *ids;
	uint32_t size;
};

static struct l4_vip_ring *vip_rings[SL_MAX_VIPS];

static void l4_ip_text(const struct cfg_ip *ip, char *buf, size_t len)
{
	inet_ntop(ip->family, ip->family == AF_INET ? (const void *)&ip->v4 : (const void *)&ip->v6, buf, len);
}

static bool l4_ip_eq(const struct cfg_ip *a, const struct cfg_ip *b)
{
	if (a->family != b->family)
		return false;
	return a->family == AF_INET ? a->v4.s_addr == b->v4.s_addr : !memcmp(&a->v6, &b->v6, 16);
}

static bool l4_health_eq(const struct cfg_health *a, const struct cfg_health *b)
{
	return a->type == b->type && a->port == b->port && a->expect_status == b->expect_status &&
	       a->interval_ms == b->interval_ms && a->timeout_ms == b->timeout_ms && a->rise == b->rise &&
	       a->fall == b->fall && !strcmp(a->path ? a->path : "", b->path ? b->path : "") &&
	       !strcmp(a->host ? a->host : "", b->host ? b->host : "");
}

/* Called on the health thread: record, mark the VIP, wake the main thread. */
static void l4_on_health(void *arg, bool up)
{
	struct l4_backend *be = arg;
	uint64_t one = 1;

	atomic_store(&be->up, up);
	atomic_store(&be->verdict, true);
	atomic_store(&be->vip->dirty, true);
	if (write(be->l4->efd, &one, sizeof(one)) < 0)
		(void)0;
}

/* ---- rings ---- */

static int l4_ring_install(struct l4 *l4, struct l4_vip *v)
{
	uint32_t m = v->ring_size, *table = NULL, *ids;
	struct maglev_backend *mb = calloc(v->n_backends ? v->n_backends : 1, sizeof(*mb));
	struct l4_backend **in = calloc(v->n_backends ? v->n_backends : 1, sizeof(*in));
	struct l4_vip_ring *r = vip_rings[v->id];
	__be32 keys[v->n_backends ? v->n_backends : 1][4];
	size_t n = 0;
	int err;

	ids = calloc(m, sizeof(*ids));
	table = malloc(sizeof(*table) * m);
	if (!mb || !in || !ids || !table) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < v->n_backends; i++) {
		struct l4_backend *be = v->backends[i];

		be->slots = 0;
		if (!atomic_load(&be->up) || be->drain || !be->weight)
			continue;
		memset(keys[n], 0, 16);
		mb[n].key = keys[n];
		if (be->addr.family == AF_INET) {
			memcpy(keys[n], &be->addr.v4, 4);
			mb[n].key_len = 4;
		} else {
			memcpy(keys[n], &be->addr.v6, 16);
			mb[n].key_len = 16;
		}
		mb[n].weight = be->weight;
		in[n++] = be;
	}
	/* No healthy backend: an all-zero ring (XDP drops or passes as configured), never a stale one. */
	if (n) {
		err = maglev_build(mb, n, l4->seed, table, m);
		if (err && err != -ENOENT) {
			log_err("vip %s: maglev: %s", v->name, strerror(-err));
			goto out;
		}
		if (!err)
			for (uint32_t i = 0; i < m; i++) {
				ids[i] = in[table[i]]->id;
				in[table[i]]->slots++;
			}
	}
	/* A health flap that ends where it began (or a restart) needs no new table. */
	if (r && r->size == m && !memcmp(r->ids, ids, sizeof(*ids) * m)) {
		err = 0;
		goto out;
	}
	/* Flows tracked on one CPU only must not meet the new table on another (see l4_maps_ct_spread). */
	if (r) {
		int n_ct = l4_maps_ct_spread(&l4->maps, v->id, 300);

		if (n_ct > 0)
			log_debug("vip %s: conntrack: %d flows copied to every CPU before the ring change", v->name, n_ct);
	}
	err = l4_maps_set_ring(&l4->maps, v->id, ids, m);
	if (err) {
		log_err("vip %s: installing ring: %s", v->name, strerror(-err));
		goto out;
	}
	v->ring_updates++;
	if (!r) {
		r = vip_rings[v->id] = calloc(1, sizeof(*r));
		if (!r) {
			err = -ENOMEM;
			goto out;
		}
	}
	free(r->ids);
	r->ids = ids;
	r->size = m;
	ids = NULL;
	{
		char line[512];
		int off = snprintf(line, sizeof(line), "vip %s: ring: %zu of %zu backends in", v->name, n, v->n_backends);

		for (size_t i = 0; i < n && off < (int)sizeof(line) - 40; i++)
			off += snprintf(line + off, sizeof(line) - off, "%s %s=%u", i ? "," : "", in[i]->addr_text, in[i]->slots);
		if (!n)
			snprintf(line + off, sizeof(line) - off, " (empty: %s)", (v->flags & SL_VIP_F_EMPTY_PASS) ? "passing" : "dropping");
		log_info("%s", line);
	}
out:
	free(ids);
	free(table);
	free(mb);
	free(in);
	return err;
}

/* ---- ids ---- */

static int l4_vip_id_alloc(struct l4 *l4, const struct sl_vip_key *key)
{
	struct sl_vip_meta meta;

	/* The id a previous run gave this VIP: its ring and counters are under it. */
	if (l4->recovering && !bpf_map_lookup_elem(l4->maps.vips, key, &meta) && meta.id < SL_MAX_VIPS &&
	    !l4->vip_used[meta.id]) {
		l4->vip_used[meta.id] = true;
		return meta.id;
	}
	for (uint32_t i = 0; i < SL_MAX_VIPS; i++) {
		if (!l4->vip_used[i]) {
			bool pinned_elsewhere = false;

			/* While recovering, keep ids other pinned VIPs may still claim. */
			if (l4->recovering) {
				struct sl_vip_key k, *prev = NULL;

				while (!bpf_map_get_next_key(l4->maps.vips, prev, &k)) {
					if (!bpf_map_lookup_elem(l4->maps.vips, &k, &meta) && meta.id == i &&
					    (k.proto == IPPROTO_TCP || k.proto == IPPROTO_UDP))
						pinned_elsewhere = true;
					prev = &k;
				}
			}
			if (pinned_elsewhere)
				continue;
			l4->vip_used[i] = true;
			l4_maps_zero_vip_stats(&l4->maps, i);
			return i;
		}
	}
	return -ENOSPC;
}

static bool l4_id_in_ring(uint32_t vip_id, uint32_t id)
{
	struct l4_vip_ring *r = vip_rings[vip_id];

	if (!r)
		return false;
	for (uint32_t i = 0; i < r->size; i++)
		if (r->ids[i] == id)
			return true;
	return false;
}

/*
 * A backend's id must survive restarts: conntrack entries name it. Recover
 * it from the pinned sl_backends by address, preferring an id already in
 * this VIP's pinned ring (two VIPs may share an address).
 */
static int l4_be_id_alloc(struct l4 *l4, struct l4_vip *v, const struct cfg_ip *addr, bool *was_in_ring)
{
	__be32 a[4];
	uint8_t fam;
	int fallback = -1;

	*was_in_ring = false;
	if (l4->recovering && l4->pinned_be) {
		l4_ip_to_sl(addr, a, &fam);
		for (uint32_t id = 1; id < SL_MAX_BACKENDS; id++) {
			const struct sl_backend *p = &l4->pinned_be[id];

			if (l4->be_used[id] || p->family != fam || memcmp(p->addr, a, 16))
				continue;
			if (l4_id_in_ring(v->id, id)) {
				l4->be_used[id] = true;
				*was_in_ring = true;
				return id;
			}
			if (fallback < 0)
				fallback = id;
		}
		if (fallback > 0) {
			l4->be_used[fallback] = true;
			return fallback;
		}
	}
	for (uint32_t id = 1; id < SL_MAX_BACKENDS; id++) {
		if (l4->be_used[id] || (l4->recovering && l4->pinned_be && l4->pinned_be[id].family))
			continue;
		l4->be_used[id] = true;
		l4_maps_zero_be_stats(&l4->maps, id);
		return id;
	}
	return -ENOSPC;
}

/* ---- backends ---- */

static int l4_be_write(struct l4 *l4, struct l4_backend *be)
{
	struct sl_backend b = { 0 };

	l4_ip_to_sl(&be->addr, b.addr, &b.family);
	b.flags = (be->drain || !be->weight) ? SL_BACKEND_F_DRAIN : 0;
	return l4_maps_set_backend(&l4->maps, be->id, &b);
}

static void l4_be_health_register(struct l4 *l4, struct l4_backend *be)
{
	struct l4_vip *v = be->vip;
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	char name[128];
	uint16_t port = v->port ? v->port : 80;

	if (be->addr.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = be->addr.v4;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = be->addr.v6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	}
	be->has_health = v->health.type != CFG_HEALTH_NONE;
	snprintf(name, sizeof(name), "backend %s", be->name);
	be->health_id = health_add(l4->health, (struct sockaddr *)&ss, len, &v->health, name, l4_on_health, be);
	if (be->health_id < 0) {
		log_err("backend %s: health: %s; treating it as up", be->name, strerror(-be->health_id));
		atomic_store(&be->up, true);
		be->has_health = false;
	}
}

static void l4_be_health_unregister(struct l4 *l4, struct l4_backend *be)
{
	if (be->health_id >= 0)
		health_remove(l4->health, be->health_id);
	be->health_id = -1;
}

static struct l4_backend *l4_be_new(struct l4 *l4, struct l4_vip *v, const struct cfg_backend *cb)
{
	struct l4_backend *be = calloc(1, sizeof(*be));
	bool in_ring;
	int id;

	if (!be)
		return NULL;
	id = l4_be_id_alloc(l4, v, &cb->addr, &in_ring);
	if (id < 0) {
		free(be);
		errno = -id;
		return NULL;
	}
	be->vip = v;
	be->l4 = l4;
	be->id = id;
	be->addr = cb->addr;
	be->health_id = -1;
	l4_ip_text(&cb->addr, be->addr_text, sizeof(be->addr_text));
	snprintf(be->name, sizeof(be->name), "%s/%s", v->name, be->addr_text);
	be->cfg_weight = be->weight = cb->weight;
	/* After a restart a backend that was in the live ring stays in until health says otherwise. */
	atomic_store(&be->up, in_ring);
	return be;
}

static void l4_be_free(struct l4 *l4, struct l4_backend *be, bool clear_slot)
{
	l4_be_health_unregister(l4, be);
	if (clear_slot) {
		struct sl_backend zero = { 0 };

		l4_maps_set_backend(&l4->maps, be->id, &zero);
		l4->be_used[be->id] = false;
	}
	free(be);
}

/* ---- VIPs ---- */

static void l4_vip_key(const struct cfg_vip *cv, struct sl_vip_key *k)
{
	memset(k, 0, sizeof(*k));
	l4_ip_to_sl(&cv->addr, k->addr, &k->family);
	k->port = htons(cv->port);
	k->proto = cv->proto;
}

static uint32_t l4_vip_flags(const struct cfg_vip *cv)
{
	return (cv->forwarding == CFG_FWD_DSR ? SL_VIP_F_DSR : 0) | (cv->hash_src ? SL_VIP_F_HASH_SRC : 0) |
	       (cv->on_empty == CFG_EMPTY_PASS ? SL_VIP_F_EMPTY_PASS : 0);
}

static void l4_vip_free(struct l4 *l4, struct l4_vip *v)
{
	for (size_t i = 0; i < v->n_backends; i++)
		l4_be_free(l4, v->backends[i], true);
	l4_maps_del_ring(&l4->maps, v->id);
	if (vip_rings[v->id]) {
		free(vip_rings[v->id]->ids);
		free(vip_rings[v->id]);
		vip_rings[v->id] = NULL;
	}
	l4->vip_used[v->id] = false;
	free(v->backends);
	free(v->name);
	free(v);
}

/* Load what a previous run left: its ring (for the ids in it) and the whole backend table. */
static void l4_recover_ring(struct l4 *l4, struct l4_vip *v)
{
	struct l4_vip_ring *r;
	uint32_t *ids, size;

	if (l4_maps_get_ring(&l4->maps, v->id, &ids, &size))
		return;
	r = calloc(1, sizeof(*r));
	if (!r) {
		free(ids);
		return;
	}
	r->ids = ids;
	r->size = size;
	vip_rings[v->id] = r;
}

/* Bring VIP @v's backends in line with @cv. Returns true when its ring must be recomputed. */
static bool l4_vip_sync_backends(struct l4 *l4, struct l4_vip *v, const struct cfg_vip *cv, bool health_changed)
{
	struct l4_backend **nb = calloc(cv->n_backends ? cv->n_backends : 1, sizeof(*nb));
	bool changed = false;

	if (!nb)
		return false;
	for (size_t i = 0; i < v->n_backends; i++)
		v->backends[i]->mark = false;
	for (size_t j = 0; j < cv->n_backends; j++) {
		const struct cfg_backend *cb = &cv->backends[j];
		struct l4_backend *be = NULL;

		for (size_t i = 0; i < v->n_backends; i++)
			if (!v->backends[i]->mark && l4_ip_eq(&v->backends[i]->addr, &cb->addr))
				be = v->backends[i];
		if (be) {
			be->mark = true;
			if (be->cfg_weight != cb->weight) {
				log_info("backend %s: weight %u -> %u (config)", be->name, be->weight, cb->weight);
				be->cfg_weight = be->weight = cb->weight;
				l4_be_write(l4, be);
				changed = true;
			}
			if (health_changed) {
				l4_be_health_unregister(l4, be);
				l4_be_health_register(l4, be);
			}
		} else {
			be = l4_be_new(l4, v, cb);
			if (!be) {
				log_err("vip %s: backend: %s", v->name, strerror(errno));
				continue;
			}
			be->mark = true;
			l4_be_write(l4, be);
			if (!l4->recovering)
				log_info("backend %s: added (id %u, weight %u)", be->name, be->id, be->weight);
			l4_be_health_register(l4, be);
			changed = true;
		}
		nb[j] = be;
	}
	for (size_t i = 0; i < v->n_backends; i++) {
		if (!v->backends[i]->mark) {
			log_info("backend %s: removed", v->backends[i]->name);
			l4_be_free(l4, v->backends[i], true);
			changed = true;
		}
	}
	/* Keep config order (some may have failed to allocate). */
	{
		size_t n = 0;

		for (size_t j = 0; j < cv->n_backends; j++)
			if (nb[j])
				nb[n++] = nb[j];
		free(v->backends);
		v->backends = nb;
		v->n_backends = n;
	}
	return changed;
}

/* Rewrite sl_vips to exactly the running VIPs (and their echo entries), dropping anything else. */
static void l4_vips_write(struct l4 *l4, const struct cfg_l4 *c)
{
	struct sl_vip_key *want = calloc(l4->n_vips * 2 + 1, sizeof(*want));
	struct sl_vip_key k, prev;
	size_t n = 0;
	bool first = true;

	if (!want)
		return;
	for (size_t i = 0; i < l4->n_vips; i++) {
		struct l4_vip *v = l4->vips[i];
		struct sl_vip_meta meta = { .id = v->id, .flags = v->flags };
		struct sl_vip_key ek = v->key;
		bool dup = false;

		if (l4_maps_set_vip(&l4->maps, &v->key, &meta))
			log_err("vip %s: writing sl_vips: %s", v->name, strerror(errno));
		want[n++] = v->key;
		if (!c->icmp_echo)
			continue;
		ek.port = 0;
		ek.proto = v->family == SL_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		for (size_t j = 0; j < n; j++)
			if (!memcmp(&want[j], &ek, sizeof(ek)))
				dup = true;
		if (dup)
			continue;
		l4_maps_set_vip(&l4->maps, &ek, &meta);
		want[n++] = ek;
	}
	/* Deleting while walking restarts the walk from a key we keep, so scan then delete. */
	for (;;) {
		bool deleted = false;

		first = true;
		while (!bpf_map_get_next_key(l4->maps.vips, first ? NULL : &prev, &k)) {
			bool keep = false;

			first = false;
			prev = k;
			for (size_t j = 0; j < n && !keep; j++)
				keep = !memcmp(&want[j], &k, sizeof(k));
			if (!keep) {
				l4_maps_del_vip(&l4->maps, &k);
				deleted = true;
				break;
			}
		}
		if (!deleted)
			break;
	}
	free(want);
}

/* Shared by start and reload: make the running state match @cfg, touching only what differs. */
static int l4_sync(struct l4 *l4, const struct cfg *cfg)
{
	const struct cfg_l4 *c = &cfg->l4;
	struct l4_vip **nv = calloc(c->n_vips ? c->n_vips : 1, sizeof(*nv));
	bool seed_changed = l4->seed != c->hash_seed;
	size_t n = 0;
	int err;

	if (!nv)
		return -ENOMEM;
	l4->seed = c->hash_seed;
	err = l4_maps_set_config(&l4->maps, c);
	if (err)
		log_err("l4: writing sl_config: %s", strerror(-err));
	for (size_t i = 0; i < l4->n_vips; i++)
		l4->vips[i]->mark = false;

	for (size_t j = 0; j < c->n_vips; j++) {
		const struct cfg_vip *cv = &c->vips[j];
		struct l4_vip *v = NULL;
		bool ring = seed_changed, health_changed = false;
		struct sl_vip_key key;

		l4_vip_key(cv, &key);
		for (size_t i = 0; i < l4->n_vips; i++)
			if (!l4->vips[i]->mark && !strcmp(l4->vips[i]->name, cv->name))
				v = l4->vips[i];
		if (!v) {
			int id = l4_vip_id_alloc(l4, &key);

			v = calloc(1, sizeof(*v));
			if (!v || id < 0 || !(v->name = strdup(cv->name))) {
				log_err("vip %s: %s", cv->name, strerror(id < 0 ? -id : ENOMEM));
				if (id >= 0)
					l4->vip_used[id] = false;
				free(v);
				continue;
			}
			v->id = id;
			if (l4->recovering)
				l4_recover_ring(l4, v);
			else
				log_info("vip %s: added (id %u)", v->name, v->id);
			/* No table to carry over (a new VIP, or a first start): wait for the verdicts. */
			if (!vip_rings[v->id] && cv->health.type != CFG_HEALTH_NONE)
				v->settle_until_ms = clock_mono_ms() + (uint64_t)cv->health.rise * cv->health.interval_ms +
						     cv->health.timeout_ms + cv->health.interval_ms / 10 + 100;
			ring = true;
			health_changed = false;
			v->health = cv->health;
		} else {
			health_changed = !l4_health_eq(&v->health, &cv->health) || v->port != cv->port;
			if (v->ring_size != cv->ring_size)
				ring = true;
			v->health = cv->health;   /* the old config stays alive, but follow the new one */
		}
		v->mark = true;
		v->key = key;
		v->flags = l4_vip_flags(cv);
		v->port = cv->port;
		v->proto = cv->proto;
		v->family = key.family;
		v->ring_size = cv->ring_size ? cv->ring_size : (c->ring_size ? c->ring_size : SL_RING_DEFAULT);
		l4_ip_text(&cv->addr, v->addr_text, sizeof(v->addr_text));
		if (l4_vip_sync_backends(l4, v, cv, health_changed))
			ring = true;
		if (ring)
			atomic_store(&v->dirty, true);
		nv[n++] = v;
	}
	for (size_t i = 0; i < l4->n_vips; i++) {
		if (!l4->vips[i]->mark) {
			log_info("vip %s: removed", l4->vips[i]->name);
			l4_vip_free(l4, l4->vips[i]);
		}
	}
	free(l4->vips);
	l4->vips = nv;
	l4->n_vips = n;

	/* Rings before keys: a new VIP is only matched once its table is in place. */
	l4_on_event(l4);
	l4_vips_write(l4, c);

	/* Tables a previous run left for VIPs that are gone. */
	if (l4->recovering)
		for (uint32_t id = 0; id < SL_MAX_VIPS; id++)
			if (!l4->vip_used[id])
				l4_maps_del_ring(&l4->maps, id);

	/* Slots a previous run left that no configured backend claimed. */
	for (uint32_t id = 1; id < SL_MAX_BACKENDS; id++) {
		struct sl_backend b;

		if (!l4->be_used[id] && !l4_maps_get_backend(&l4->maps, id, &b) && b.family) {
			struct sl_backend zero = { 0 };

			l4_maps_set_backend(&l4->maps, id, &zero);
		}
	}
	return 0;
}

/* Every non-loopback interface may be an egress for redirect: the route to a backend decides. */
static void l4_tx_ports(struct l4 *l4)
{
	struct if_nameindex *ifs = if_nameindex();

	if (!ifs)
		return;
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		if (!strcmp(i->if_name, "lo"))
			continue;
		if (l4_maps_add_tx_port(&l4->maps, i->if_index))
			log_debug("l4: %s: not usable for XDP redirect: %s", i->if_name, strerror(errno));
	}
	if_freenameindex(ifs);
}

/*
 * bpf_fib_lookup only finds a neighbour the kernel already resolved. Health
 * checks keep entries fresh for checked backends; unchecked ones get a
 * datagram to the discard port now and then so their entry exists too.
 */
static void l4_warm_neighbours(struct l4 *l4)
{
	for (size_t i = 0; i < l4->n_vips; i++) {
		for (size_t j = 0; j < l4->vips[i]->n_backends; j++) {
			struct l4_backend *be = l4->vips[i]->backends[j];
			struct sockaddr_storage ss = { 0 };
			socklen_t len;
			int fd;

			if (be->has_health)
				continue;
			if (be->addr.family == AF_INET) {
				struct sockaddr_in *s = (struct sockaddr_in *)&ss;

				s->sin_family = AF_INET;
				s->sin_addr = be->addr.v4;
				s->sin_port = htons(9);
				len = sizeof(*s);
			} else {
				struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

				s->sin6_family = AF_INET6;
				s->sin6_addr = be->addr.v6;
				s->sin6_port = htons(9);
				len = sizeof(*s);
			}
			fd = socket(be->addr.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0)
				continue;
			if (sendto(fd, "", 0, 0, (struct sockaddr *)&ss, len) < 0)
				log_debug("backend %s: neighbour warm-up: %s", be->name, strerror(errno));
			close(fd);
		}
	}
}

struct l4 *l4_start(const struct cfg *cfg, struct health *h, const char *pin_dir)
{
	struct l4 *l4 = calloc(1, sizeof(*l4));
	int err;

	if (!l4)
		return NULL;
	l4->health = h;
	l4->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l4->efd < 0) {
		err = -errno;
		goto err_free;
	}
	for (int i = 0; i < 9; i++)
		*l4_maps_fd(&l4->maps, i) = -1;
	l4->ld = l4_loader_start(&cfg->l4, pin_dir, &l4->maps);
	if (!l4->ld) {
		err = -errno;
		goto err_close;
	}
	l4_tx_ports(l4);

	l4->recovering = true;
	l4->seed = cfg->l4.hash_seed;
	l4->pinned_be = calloc(SL_MAX_BACKENDS, sizeof(*l4->pinned_be));
	if (l4->pinned_be)
		for (uint32_t id = 1; id < SL_MAX_BACKENDS; id++)
			l4_maps_get_backend(&l4->maps, id, &l4->pinned_be[id]);
	err = l4_sync(l4, cfg);
	l4->recovering = false;
	free(l4->pinned_be);
	l4->pinned_be = NULL;
	if (err)
		goto err_stop;
	l4_warm_neighbours(l4);
	l4->last_warm = time(NULL);
	{
		size_t nb = 0;

		for (size_t i = 0; i < l4->n_vips; i++)
			nb += l4->vips[i]->n_backends;
		log_info("l4: %zu VIPs, %zu backends, conntrack %u entries", l4->n_vips, nb, l4->maps.ct_max);
	}
	return l4;

err_stop:
	l4_loader_stop(l4->ld, false);
err_close:
	close(l4->efd);
err_free:
	free(l4);
	errno = -err;
	return NULL;
}

int l4_reload(struct l4 *l4, const struct cfg *cfg)
{
	int err = l4_sync(l4, cfg);

	l4_tx_ports(l4);
	l4_warm_neighbours(l4);
	return err;
}

int l4_event_fd(const struct l4 *l4)
{
	return l4->efd;
}

/*
 * A new VIP's first table waits until every backend has its first health
 * verdict (or the time that takes has passed), so it does not start as a
 * table of whichever backend answered first.
 */
static bool l4_vip_settling(struct l4_vip *v)
{
	if (!v->settle_until_ms)
		return false;
	for (size_t i = 0; i < v->n_backends; i++)
		if (!atomic_load(&v->backends[i]->verdict) && clock_mono_ms() < v->settle_until_ms)
			return true;
	v->settle_until_ms = 0;
	return false;
}

void l4_on_event(struct l4 *l4)
{
	uint64_t v;

	if (read(l4->efd, &v, sizeof(v)) < 0)
		(void)0;
	/* Only the VIPs whose backends changed get a new table. */
	for (size_t i = 0; i < l4->n_vips; i++) {
		struct l4_vip *vip = l4->vips[i];

		if (vip->ring_updates && l4_vip_settling(vip))
			continue;
		if (atomic_exchange(&vip->dirty, false))
			l4_ring_install(l4, vip);
	}
}

void l4_tick(struct l4 *l4)
{
	time_t now = time(NULL);

	/* A VIP whose settling time ran out gets its table even if a verdict is missing. */
	for (size_t i = 0; i < l4->n_vips; i++)
		if (l4->vips[i]->settle_until_ms && atomic_load(&l4->vips[i]->dirty) && !l4_vip_settling(l4->vips[i]))
			l4_on_event(l4);

	if (now - l4->last_warm >= 30) {
		l4->last_warm = now;
		l4_warm_neighbours(l4);
	}
}

void l4_stop(struct l4 *l4, bool detach)
{
	if (!l4)
		return;
	/* Health first: after this no callback can touch a backend. */
	for (size_t i = 0; i < l4->n_vips; i++) {
		struct l4_vip *v = l4->vips[i];

		for (size_t j = 0; j < v->n_backends; j++)
			l4_be_free(l4, v->backends[j], false);
		if (vip_rings[v->id]) {
			free(vip_rings[v->id]->ids);
			free(vip_rings[v->id]);
			vip_rings[v->id] = NULL;
		}
		free(v->backends);
		free(v->name);
		free(v);
	}
	free(l4->vips);
	l4_loader_stop(l4->ld, detach);
	close(l4->efd);
	free(l4);
}

/* ---- admin accessors ---- */

size_t l4_n_vips(const struct l4 *l4)
{
	return l4->n_vips;
}

struct l4_vip *l4_vip_at(const struct l4 *l4, size_t i)
{
	return i < l4->n_vips ? l4->vips[i] : NULL;
}

struct l4_vip *l4_vip_find(const struct l4 *l4, const char *name)
{
	for (size_t i = 0; i < l4->n_vips; i++)
		if (!strcmp(l4->vips[i]->name, name))
			return l4->vips[i];
	return NULL;
}

struct l4_maps *l4_maps(struct l4 *l4)
{
	return &l4->maps;
}

int l4_n_ifaces(const struct l4 *l4)
{
	return l4_loader_n_ifaces(l4->ld);
}

const char *l4_iface(const struct l4 *l4, int i, int *ifindex)
{
	return l4_loader_iface(l4->ld, i, ifindex);
}

const char *l4_xdp_mode(const struct l4 *l4)
{
	return l4_loader_mode(l4->ld);
}

struct l4_backend *l4_backend_find(const struct l4 *l4, const char *ref)
{
	char *end;
	unsigned long id = strtoul(ref, &end, 10);
	bool numeric = *ref && !*end;

	for (size_t i = 0; i < l4->n_vips; i++)
		for (size_t j = 0; j < l4->vips[i]->n_backends; j++) {
			struct l4_backend *be = l4->vips[i]->backends[j];

			if (numeric ? be->id == id : !strcmp(be->name, ref))
				return be;
		}
	return NULL;
}

const char *l4_backend_state(const struct l4_backend *be)
{
	if (be->drain || !be->weight)
		return "drain";
	return atomic_load(&be->up) ? "up" : "down";
}

int l4_backend_set_weight(struct l4 *l4, struct l4_backend *be, uint32_t weight)
{
	if (weight > 1000)
		return -ERANGE;
	if (weight == be->weight)
		return 0;
	log_info("backend %s: weight %u -> %u (admin)", be->name, be->weight, weight);
	be->weight = weight;
	l4_be_write(l4, be);
	atomic_store(&be->vip->dirty, true);
	l4_on_event(l4);
	return 0;
}

int l4_backend_set_drain(struct l4 *l4, struct l4_backend *be, bool drain)
{
	if (drain == be->drain)
		return 0;
	log_info("backend %s: %s (admin)", be->name, drain ? "draining: no new flows" : "enabled");
	be->drain = drain;
	l4_be_write(l4, be);
	atomic_store(&be->vip->dirty, true);
	l4_on_event(l4);
	return 0;
}

static void l4_sa_to_sl(const struct sockaddr *sa, __be32 addr[4], __be16 *port)
{
	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;

		addr[0] = s->sin_addr.s_addr;
		*port = s->sin_port;
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;

		memcpy(addr, &s->sin6_addr, 16);
		*port = s->sin6_port;
	}
}

int l4_trace(struct l4 *l4, uint8_t proto, const struct sockaddr *src, const struct sockaddr *dst, struct l4_trace *out)
{
	struct sl_flow_key k = { 0 };
	struct sl_ct_value ct;
	struct l4_vip_ring *r;

	memset(out, 0, sizeof(*out));
	if (src->sa_family != dst->sa_family)
		return -EINVAL;
	l4_sa_to_sl(src, k.src, &k.sport);
	l4_sa_to_sl(dst, k.dst, &k.dport);
	k.proto = proto;
	k.family = src->sa_family == AF_INET ? SL_AF_INET : SL_AF_INET6;
	/* Exact port first, then the VIP's every-port entry: the order XDP matches in. */
	for (int pass = 0; pass < 2 && !out->vip; pass++)
		for (size_t i = 0; i < l4->n_vips; i++) {
			struct l4_vip *v = l4->vips[i];

			if (v->family == k.family && v->proto == proto && !memcmp(v->key.addr, k.dst, 16) &&
			    v->key.port == (pass ? 0 : k.dport)) {
				out->vip = v;
				break;
			}
		}
	if (!out->vip)
		return -ENOENT;
	out->hash = sl_vip_flow_hash(&k, out->vip->flags, l4->seed);
	if (!l4_maps_ct_lookup(&l4->maps, &k, &ct)) {
		out->tracked = true;
		out->backend_id = ct.backend_id;
	} else {
		r = vip_rings[out->vip->id];
		if (!r || !r->size)
			return -ENOENT;
		out->ring_size = r->size;
		out->slot = sl_ring_slot(out->hash, r->size);
		out->backend_id = r->ids[out->slot - 1];
	}
	for (size_t j = 0; j < out->vip->n_backends; j++)
		if (out->vip->backends[j]->id == out->backend_id)
			out->backend = out->vip->backends[j];
	return 0;
}
