// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Reading and writing the XDP balancer's maps by fd; the only place that knows their value layouts. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "l4/l4_maps.h"
#include "sluice/consts.h"
#include "sluice/flow_hash.h"

const char *const l4_map_names[L4_N_MAPS] = {
	"sl_vips", "sl_rings", "sl_backends", "sl_conntrack", "sl_config",
	"sl_vip_stats", "sl_be_stats", "sl_drops", "sl_tx_ports", "sl_vip_addrs", "sl_vip_ids",
};

int *l4_maps_fd(struct l4_maps *m, int idx)
{
	int *fds[L4_N_MAPS] = { &m->vips, &m->rings, &m->backends, &m->conntrack, &m->config,
				&m->vip_stats, &m->be_stats, &m->drops, &m->tx_ports, &m->vip_addrs, &m->vip_ids };

	return fds[idx];
}

static int l4_maps_ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

int l4_maps_open_pinned(struct l4_maps *m, const char *dir)
{
	char path[256];
	int err = 0;

	m->ncpus = l4_maps_ncpus();
	for (int i = 0; i < L4_N_MAPS; i++)
		*l4_maps_fd(m, i) = -1;
	for (int i = 0; i < L4_N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, l4_map_names[i]);
		*l4_maps_fd(m, i) = bpf_obj_get(path);
		if (*l4_maps_fd(m, i) < 0) {
			err = -errno;
			l4_maps_close(m);
			return err;
		}
	}
	{
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(m->conntrack, &info, &len))
			m->ct_max = info.max_entries;
	}
	return 0;
}

void l4_maps_close(struct l4_maps *m)
{
	for (int i = 0; i < L4_N_MAPS; i++) {
		int *fd = l4_maps_fd(m, i);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

void l4_ip_to_sl(const struct cfg_ip *ip, __be32 addr[4], uint8_t *family)
{
	memset(addr, 0, 16);
	if (ip->family == AF_INET) {
		addr[0] = ip->v4.s_addr;
		*family = SL_AF_INET;
	} else {
		memcpy(addr, &ip->v6, 16);
		*family = SL_AF_INET6;
	}
}

static int l4_update(int fd, const void *k, const void *v)
{
	return bpf_map_update_elem(fd, k, v, BPF_ANY) ? -errno : 0;
}

/* by_id() - does @k have an sl_vip_ids slot: TCP/UDP on one port (port-0 VIPs are matched the full way)? */
static bool by_id(const struct sl_vip_key *k)
{
	return k->port && (k->proto == 6 || k->proto == 17);   /* IPPROTO_TCP, IPPROTO_UDP */
}

static int l4_fill_array(int fd, const void *vals, size_t vsize, uint32_t n);

/*
 * Rebuild the tables derived from sl_vips, in one walk of it: after a restart
 * the pinned copies may come from a build that kept none, or be missing.
 * sl_vip_addrs: slots whose count does not change are not written, so a
 * consistent table stays untouched. sl_vip_ids (when it exists): every slot,
 * in one batch (the table is small and read-only to the balancer).
 * Returns the counts' 0 or -errno; *ids_err the same for sl_vip_ids.
 */
static int l4_vips_derived_rebuild(struct l4_maps *m, int *ids_err)
{
	const __u32 n = 1U << SL_VIP_ADDR_BITS;
	struct sl_vip_addr_count *want = calloc(n, sizeof(*want));
	struct sl_vip_id_entry *ids = m->vip_ids >= 0 ? calloc(SL_MAX_VIPS, sizeof(*ids)) : NULL;
	struct sl_vip_key k, prev;
	struct sl_vip_meta v;
	bool first = true;
	int err = 0;

	*ids_err = m->vip_ids >= 0 && !ids ? -ENOMEM : 0;
	if (!want) {
		free(ids);
		return -ENOMEM;
	}
	while (!bpf_map_get_next_key(m->vips, first ? NULL : &prev, &k)) {
		__u32 slot = sl_vip_addr_slot(k.addr);

		first = false;
		prev = k;
		want[slot].all++;
		want[slot].port0 += sl_vip_counts_port0(&k);
		if (ids && by_id(&k) && !bpf_map_lookup_elem(m->vips, &k, &v) && v.id < SL_MAX_VIPS)
			ids[v.id] = (struct sl_vip_id_entry){ .key = k, .meta = v };
	}
	for (__u32 slot = 0; slot < n && !err; slot++) {
		struct sl_vip_addr_count have;

		if (bpf_map_lookup_elem(m->vip_addrs, &slot, &have))
			err = -errno;
		else if (memcmp(&have, &want[slot], sizeof(have)))
			err = l4_update(m->vip_addrs, &slot, &want[slot]);
	}
	if (ids)
		*ids_err = l4_fill_array(m->vip_ids, ids, sizeof(*ids), SL_MAX_VIPS);
	free(ids);
	free(want);
	return err;
}

/* Add @delta to the sl_vip_addrs counts of @k's slot. */
static int l4_vip_addr_count(struct l4_maps *m, const struct sl_vip_key *k, int delta)
{
	__u32 slot = sl_vip_addr_slot(k->addr);
	struct sl_vip_addr_count c;

	if (bpf_map_lookup_elem(m->vip_addrs, &slot, &c))
		return -errno;
	c.all += delta;
	if (sl_vip_counts_port0(k))
		c.port0 += delta;
	return l4_update(m->vip_addrs, &slot, &c);
}

int l4_maps_set_config(struct l4_maps *m, const struct cfg_l4 *l4)
{
	struct sl_config c = { 0 };
	__u32 key = 0;
	int err, ids_err;

	c.tunnel_src4 = l4->tunnel_src4.v4.s_addr;
	c.tunnel_src4_mask = htonl(l4->tunnel_src4_bits >= 32 ? 0xffffffffU : ((1U << l4->tunnel_src4_bits) - 1));
	memcpy(c.tunnel_src6, &l4->tunnel_src6.v6, 16);
	c.udp_timeout_ns = (uint64_t)l4->udp_timeout_ms * 1000000ULL;
	c.hash_seed = l4->hash_seed;
	c.ct_insert_rate = l4->conntrack_insert_rate;
	c.flags = l4->icmp_echo ? SL_CFG_F_ICMP_ECHO : 0;
	/* Written before the VIPs: a new port-0 VIP finds the flag already clear. */
	c.flags |= SL_CFG_F_NO_PORT0;
	for (size_t i = 0; i < l4->n_vips; i++)
		if (!l4->vips[i].port)
			c.flags &= ~SL_CFG_F_NO_PORT0;
	err = l4_vips_derived_rebuild(m, &ids_err);
	if (!err)
		c.flags |= SL_CFG_F_VIP_ADDRS;
	if (ids_err)
		return -EIO;
	return l4_update(m->config, &key, &c);
}

int l4_maps_set_vip(struct l4_maps *m, const struct sl_vip_key *k, const struct sl_vip_meta *v)
{
	struct sl_vip_meta old;
	bool fresh = bpf_map_lookup_elem(m->vips, k, &old) != 0;
	int err;

	if (fresh) {
		err = l4_vip_addr_count(m, k, 1);
		if (err)
			return err;
	}
	err = l4_update(m->vips, k, v);
	if (err && fresh)
		l4_vip_addr_count(m, k, -1);
	if (!err && m->vip_ids >= 0 && by_id(k) && v->id < SL_MAX_VIPS) {
		struct sl_vip_id_entry e = { .key = *k, .meta = *v };

		err = l4_update(m->vip_ids, &v->id, &e);
		/* renumbered: the old id's slot must not vouch for this address any more */
		if (!err && !fresh && old.id != v->id && old.id < SL_MAX_VIPS &&
		    !bpf_map_lookup_elem(m->vip_ids, &old.id, &e) && !memcmp(&e.key, k, sizeof(*k))) {
			memset(&e, 0, sizeof(e));
			err = l4_update(m->vip_ids, &old.id, &e);
		}
	}
	return err;
}

int l4_maps_del_vip(struct l4_maps *m, const struct sl_vip_key *k)
{
	struct sl_vip_meta v;
	struct sl_vip_id_entry e;

	/* the fast path's slot goes first: a packet then finds no VIP by id and matches the full way */
	if (m->vip_ids >= 0 && by_id(k) && !bpf_map_lookup_elem(m->vips, k, &v) && v.id < SL_MAX_VIPS &&
	    !bpf_map_lookup_elem(m->vip_ids, &v.id, &e) && !memcmp(&e.key, k, sizeof(*k))) {
		memset(&e, 0, sizeof(e));
		l4_update(m->vip_ids, &v.id, &e);
	}
	if (bpf_map_delete_elem(m->vips, k))
		return errno == ENOENT ? 0 : -errno;
	return l4_vip_addr_count(m, k, -1);
}

int l4_maps_set_backend(struct l4_maps *m, uint32_t id, const struct sl_backend *b)
{
	return l4_update(m->backends, &id, b);
}

int l4_maps_get_backend(struct l4_maps *m, uint32_t id, struct sl_backend *b)
{
	return bpf_map_lookup_elem(m->backends, &id, b) ? -errno : 0;
}

/* Fill an array map: one batch syscall when the kernel has it, else slot by slot. */
static int l4_fill_array(int fd, const void *vals, size_t vsize, uint32_t n)
{
	uint32_t *keys = calloc(n ? n : 1, sizeof(*keys));
	__u32 count = n;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		keys[i] = i;
	if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
		for (uint32_t i = 0; i < n && !err; i++)
			if (bpf_map_update_elem(fd, &keys[i], (const char *)vals + i * vsize, BPF_ANY))
				err = -errno;
	}
	free(keys);
	return err;
}

int l4_maps_set_ring(struct l4_maps *m, uint32_t vip_id, const uint32_t *ids, uint32_t size)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	uint32_t *vals = malloc(sizeof(*vals) * (size + 1));
	int fd, err;

	if (!vals)
		return -ENOMEM;
	vals[0] = size;
	memcpy(vals + 1, ids, sizeof(*ids) * size);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sl_ring", sizeof(__u32), sizeof(__u32), size + 1, &opts);
	if (fd < 0) {
		err = -errno;
		goto err_free;
	}
	err = l4_fill_array(fd, vals, sizeof(*vals), size + 1);
	if (!err)
		err = l4_update(m->rings, &vip_id, &fd);
	/* The outer map holds its own reference to the inner one. */
	close(fd);
err_free:
	free(vals);
	return err;
}

int l4_maps_del_ring(struct l4_maps *m, uint32_t vip_id)
{
	if (bpf_map_delete_elem(m->rings, &vip_id) && errno != ENOENT)
		return -errno;
	return 0;
}

int l4_maps_get_ring(struct l4_maps *m, uint32_t vip_id, uint32_t **ids, uint32_t *size)
{
	__u32 inner_id, key = 0, msize;
	uint32_t *out;
	int fd, err = 0;

	if (bpf_map_lookup_elem(m->rings, &vip_id, &inner_id))
		return -errno;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &key, &msize)) {
		err = -errno;
		goto err_close;
	}
	out = calloc(msize ? msize : 1, sizeof(*out));
	if (!out) {
		err = -ENOMEM;
		goto err_close;
	}
	{
		/* Batch lookup when available: 65537 single lookups cost ~50 ms. */
		__u32 *keys = malloc(sizeof(*keys) * (msize + 1)), *vals = malloc(sizeof(*vals) * (msize + 1));
		__u32 count = msize + 1, out_batch;
		bool done = false;

		if (keys && vals && !bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count, NULL) &&
		    count == msize + 1) {
			memcpy(out, vals + 1, sizeof(*out) * msize);
			done = true;
		} else if (keys && vals && errno == ENOENT && count == msize + 1) {
			memcpy(out, vals + 1, sizeof(*out) * msize);
			done = true;
		}
		free(keys);
		free(vals);
		for (__u32 i = 1; !done && i <= msize; i++) {
			if (bpf_map_lookup_elem(fd, &i, &out[i - 1])) {
				err = -errno;
				free(out);
				goto err_close;
			}
		}
	}
	*ids = out;
	*size = msize;
err_close:
	close(fd);
	return err;
}

/* Per-CPU values come back as ncpus copies, each padded to 8 bytes. */
static int l4_percpu_sum(struct l4_maps *m, int fd, uint32_t key, uint64_t *out, size_t nwords)
{
	size_t stride = (nwords * 8 + 7) / 8 * 8;
	uint64_t *buf = calloc(m->ncpus, stride);

	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, buf)) {
		int err = -errno;

		free(buf);
		return err;
	}
	memset(out, 0, nwords * 8);
	for (int c = 0; c < m->ncpus; c++)
		for (size_t w = 0; w < nwords; w++)
			out[w] += buf[c * (stride / 8) + w];
	free(buf);
	return 0;
}

int l4_maps_vip_stats(struct l4_maps *m, uint32_t vip_id, struct sl_vip_stats *out)
{
	return l4_percpu_sum(m, m->vip_stats, vip_id, (uint64_t *)out, sizeof(*out) / 8);
}

int l4_maps_be_stats(struct l4_maps *m, uint32_t be_id, struct sl_backend_stats *out)
{
	return l4_percpu_sum(m, m->be_stats, be_id, (uint64_t *)out, sizeof(*out) / 8);
}

int l4_maps_drops(struct l4_maps *m, uint64_t out[SL_DROP_MAX])
{
	for (uint32_t r = 0; r < SL_DROP_MAX; r++) {
		int err = l4_percpu_sum(m, m->drops, r, &out[r], 1);

		if (err)
			return err;
	}
	return 0;
}

static int l4_percpu_zero(struct l4_maps *m, int fd, uint32_t key, size_t size)
{
	void *buf = calloc(m->ncpus, (size + 7) / 8 * 8);
	int err;

	if (!buf)
		return -ENOMEM;
	err = l4_update(fd, &key, buf);
	free(buf);
	return err;
}

int l4_maps_zero_vip_stats(struct l4_maps *m, uint32_t vip_id)
{
	return l4_percpu_zero(m, m->vip_stats, vip_id, sizeof(struct sl_vip_stats));
}

int l4_maps_zero_be_stats(struct l4_maps *m, uint32_t be_id)
{
	return l4_percpu_zero(m, m->be_stats, be_id, sizeof(struct sl_backend_stats));
}

int l4_maps_ct_lookup(struct l4_maps *m, const struct sl_flow_key *k, struct sl_ct_value *out)
{
	if (bpf_map_lookup_elem(m->conntrack, k, out))
		return -errno;
	return out->backend_id ? 0 : -ENOENT;
}

int l4_maps_add_tx_port(struct l4_maps *m, uint32_t ifindex)
{
	return l4_update(m->tx_ports, &ifindex, &ifindex);
}

int l4_maps_ct_spread(struct l4_maps *m, uint32_t vip_id, unsigned int budget_ms)
{
	/* One table for every CPU: each flow is already visible to all. */
	(void)m;
	(void)vip_id;
	(void)budget_ms;
	return 0;
}
