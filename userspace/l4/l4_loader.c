// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Loads bpf/lb.bpf.c from its skeleton with pinned maps and attaches it with libxdp (the only user of lb.skel.h). */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "l4/l4_loader.h"
#include "lib/log.h"
#include "bpf/lb.skel.h"

#define L4_MAX_IFACES 16

struct l4_loader {
	struct lb *skel;
	struct xdp_program *prog;
	enum xdp_attach_mode mode;
	int n_ifaces;
	int ifindex[L4_MAX_IFACES];
	char ifname[L4_MAX_IFACES][IF_NAMESIZE];
	bool attached[L4_MAX_IFACES];
	bool raw[L4_MAX_IFACES];      /* attached with bpf_xdp_attach (replacing a legacy sl_lb), not libxdp */
	char pin_dir[200];
};

/* While libxdp probes for its dispatcher, libbpf's warnings about that probe are noise. */
static bool l4_in_libxdp;

/* libbpf and libxdp chatter goes to our log at debug level, warnings at warn. */
static int l4_libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl != LIBBPF_DEBUG)
		log_vmsg(lvl == LIBBPF_WARN && !l4_in_libxdp ? LOG_LVL_WARN : LOG_LVL_DEBUG, fmt, ap);
	return 0;
}

static int l4_libxdp_print(enum libxdp_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl != LIBXDP_DEBUG)
		log_vmsg(LOG_LVL_DEBUG, fmt, ap);
	return 0;
}

/*
 * A pin made by an older build may not fit this program (a changed value
 * layout, say). libbpf would refuse to load; we replace that one map and say
 * so. sl_conntrack is special: a different size is kept, as flows live there.
 */
static int l4_check_pin(struct bpf_map *map, const char *dir, bool is_ct)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
	/* The devmap is refilled at every start, and the kernel adds flags to it that libbpf would not reuse. */
	if (!strcmp(bpf_map__name(map), "sl_tx_ports")) {
		unlink(path);
		return 0;
	}
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return 0;
	}
	close(fd);
	if (is_ct && info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
	    info.value_size == bpf_map__value_size(map) && info.max_entries != bpf_map__max_entries(map)) {
		log_warn("l4: %s: pinned table has %u entries, config asks %u: keeping the pinned one "
			 "(established flows live there; remove %s to resize)", path, info.max_entries,
			 bpf_map__max_entries(map), path);
		bpf_map__set_max_entries(map, info.max_entries);
		return 0;
	}
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) || info.max_entries != bpf_map__max_entries(map) ||
	    info.map_flags != bpf_map__map_flags(map)) {
		log_warn("l4: %s: pinned map does not match this program's layout (type %u, key %u, value %u, "
			 "flags 0x%x; want %u, %u, %u, 0x%x): replacing it%s", path, info.type, info.key_size,
			 info.value_size, info.map_flags, bpf_map__type(map), bpf_map__key_size(map),
			 bpf_map__value_size(map), bpf_map__map_flags(map),
			 is_ct ? " (its flows are picked by Maglev again, once)" : "");
		if (unlink(path))
			return -errno;
	}
	return 0;
}

/* Pins and libxdp's dispatcher both need bpffs; mount it where bpftool and libbpf expect it. */
static int l4_ensure_bpffs(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	log_info("l4: mounted bpffs on /sys/fs/bpf");
	return 0;
}

static __u32 l4_prog_id(const struct l4_loader *ld)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(ld->skel->progs.sl_lb), &info, &len))
		return 0;
	return info.id;
}

static enum xdp_attach_mode l4_mode(enum cfg_xdp_mode m)
{
	return m == CFG_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

/* After ours is in, older copies of sl_lb (a previous run or version) leave the dispatcher. */
static void l4_detach_old(struct l4_loader *ld, int i)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ld->ifindex[i]);
	__u32 ours = xdp_program__id(ld->prog);
	struct xdp_program *p = NULL, *old[8];
	int n = 0;

	if (!mp || libxdp_get_error(mp))
		return;
	if (xdp_multiprog__is_legacy(mp)) {
		xdp_multiprog__close(mp);
		return;
	}
	while ((p = xdp_multiprog__next_prog(p, mp)) && n < 8)
		if (!strcmp(xdp_program__name(p), "sl_lb") && xdp_program__id(p) != ours)
			old[n++] = p;
	for (int k = 0; k < n; k++) {
		int err = xdp_program__detach(old[k], ld->ifindex[i], xdp_multiprog__attach_mode(mp), 0);

		if (err)
			log_warn("l4: %s: detaching older sl_lb (id %u): %s", ld->ifname[i],
				 xdp_program__id(old[k]), strerror(-err));
		else
			log_info("l4: %s: replaced older sl_lb (id %u)", ld->ifname[i], xdp_program__id(old[k]));
	}
	xdp_multiprog__close(mp);
}

/*
 * Where libxdp cannot load its dispatcher it attaches in legacy mode, one
 * program per interface, which it then refuses to replace. A restarted or
 * upgraded sluiced swaps its older sl_lb for the new one in one atomic
 * netlink update instead, so forwarding never pauses.
 */
static __u32 l4_legacy_sl_lb(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), id;
	int fd;

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	if (!id || q.attach_mode == XDP_ATTACHED_MULTI)
		return 0;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || strcmp(info.name, "sl_lb"))
		id = 0;
	close(fd);
	return id;
}

static int l4_replace_legacy(struct l4_loader *ld, int i, __u32 old_id)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	__u32 flags = XDP_FLAGS_REPLACE | (ld->mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	int err, old_fd;

	if (bpf_program__fd(ld->skel->progs.sl_lb) < 0 && bpf_object__load(ld->skel->obj)) {
		err = -errno;
		log_err("l4: loading sl_lb: %s", strerror(-err));
		return err;
	}
	if (old_id) {
		old_fd = bpf_prog_get_fd_by_id(old_id);
		if (old_fd < 0)
			return -errno;
		opts.old_prog_fd = old_fd;
	} else {
		old_fd = -1;
		flags = (flags & ~XDP_FLAGS_REPLACE) | XDP_FLAGS_UPDATE_IF_NOEXIST;
	}
	err = bpf_xdp_attach(ld->ifindex[i], bpf_program__fd(ld->skel->progs.sl_lb), flags, &opts);
	if (old_fd >= 0)
		close(old_fd);
	if (err) {
		log_err("l4: %s: replacing older sl_lb (id %u): %s", ld->ifname[i], old_id, strerror(-err));
		return err;
	}
	ld->attached[i] = ld->raw[i] = true;
	if (old_id)
		log_info("l4: %s: sl_lb replaced older sl_lb (id %u) in place (%s mode, prog id %u)", ld->ifname[i],
			 old_id, ld->mode == XDP_MODE_SKB ? "generic" : "native", l4_prog_id(ld));
	else
		log_info("l4: %s: sl_lb attached (%s mode, prog id %u)", ld->ifname[i],
			 ld->mode == XDP_MODE_SKB ? "generic" : "native", l4_prog_id(ld));
	return 0;
}

static void l4_log_legacy(struct l4_loader *ld, int i)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (!bpf_xdp_query(ld->ifindex[i], 0, &q) && q.attach_mode != XDP_ATTACHED_MULTI)
		log_info("l4: %s: libxdp's dispatcher is unavailable here: sl_lb is attached on its own "
			 "(no other XDP program can share the interface)", ld->ifname[i]);
}

static int l4_detach_one(struct l4_loader *ld, int i)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	__u32 flags = ld->mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;

	if (!ld->raw[i])
		return xdp_program__detach(ld->prog, ld->ifindex[i], ld->mode, 0);
	/* Only ours: a program someone attached since stays. */
	opts.old_prog_fd = bpf_program__fd(ld->skel->progs.sl_lb);
	return bpf_xdp_detach(ld->ifindex[i], flags | XDP_FLAGS_REPLACE, &opts);
}

struct l4_loader *l4_loader_start(const struct cfg_l4 *l4, const char *pin_dir, struct l4_maps *maps)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .pin_root_path = pin_dir);
	struct l4_loader *ld;
	struct bpf_map *map;
	char path[256];
	int err;

	libbpf_set_print(l4_libbpf_print);
	libxdp_set_print(l4_libxdp_print);
	ld = calloc(1, sizeof(*ld));
	if (!ld)
		return NULL;
	snprintf(ld->pin_dir, sizeof(ld->pin_dir), "%s", pin_dir);
	ld->mode = l4_mode(l4->xdp_mode);
	if (l4->n_interfaces > L4_MAX_IFACES) {
		log_err("l4: at most %d interfaces", L4_MAX_IFACES);
		err = -E2BIG;
		goto err_free;
	}
	for (size_t i = 0; i < l4->n_interfaces; i++) {
		ld->ifindex[i] = if_nametoindex(l4->interfaces[i]);
		snprintf(ld->ifname[i], IF_NAMESIZE, "%s", l4->interfaces[i]);
		if (!ld->ifindex[i]) {
			err = -errno;
			log_err("l4: interface %s: %s", l4->interfaces[i], strerror(errno));
			goto err_free;
		}
		ld->n_ifaces++;
	}
	err = l4_ensure_bpffs();
	if (err)
		log_warn("l4: /sys/fs/bpf is not bpffs and mounting it failed: %s", strerror(-err));
	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		err = -errno;
		log_err("l4: %s: %s (is bpffs mounted?)", pin_dir, strerror(errno));
		goto err_free;
	}

	ld->skel = lb__open_opts(&oopts);
	if (!ld->skel) {
		err = -errno;
		log_err("l4: opening the balancer object: %s", strerror(errno));
		goto err_free;
	}
	bpf_map__set_max_entries(ld->skel->maps.sl_conntrack, l4->conntrack_entries ? l4->conntrack_entries : SL_CT_DEFAULT);
	bpf_object__for_each_map(map, ld->skel->obj) {
		err = l4_check_pin(map, pin_dir, map == ld->skel->maps.sl_conntrack);
		if (err) {
			log_err("l4: %s/%s: %s", pin_dir, bpf_map__name(map), strerror(-err));
			goto err_destroy;
		}
	}

	/* libxdp loads the object itself (as an extension of its dispatcher), then attaches it. */
	ld->prog = xdp_program__from_bpf_obj(ld->skel->obj, "xdp");
	err = libxdp_get_error(ld->prog);
	if (err) {
		ld->prog = NULL;
		log_err("l4: xdp program: %s", strerror(-err));
		goto err_destroy;
	}
	for (int i = 0; i < ld->n_ifaces; i++) {
		__u32 old_id = l4_legacy_sl_lb(ld->ifindex[i]);

		/* Once loaded outside libxdp (see l4_replace_legacy), libxdp cannot attach it any more. */
		if (old_id || bpf_program__fd(ld->skel->progs.sl_lb) >= 0) {
			err = l4_replace_legacy(ld, i, old_id);
			if (err)
				goto err_detach;
			continue;
		}
		l4_in_libxdp = true;
		err = xdp_program__attach(ld->prog, ld->ifindex[i], ld->mode, 0);
		l4_in_libxdp = false;
		if (err) {
			char msg[128];

			libxdp_strerror(err, msg, sizeof(msg));
			log_err("l4: %s: attaching sl_lb in %s mode: %s", ld->ifname[i],
				ld->mode == XDP_MODE_SKB ? "generic" : "native", msg);
			goto err_detach;
		}
		ld->attached[i] = true;
		l4_detach_old(ld, i);
		l4_log_legacy(ld, i);
		log_info("l4: %s: sl_lb attached (%s mode, prog id %u)", ld->ifname[i],
			 ld->mode == XDP_MODE_SKB ? "generic" : "native", l4_prog_id(ld));
	}

	/* The program pin is for bpftool and operators; the dispatcher holds the live reference. */
	snprintf(path, sizeof(path), "%s/sl_lb", pin_dir);
	unlink(path);
	if (bpf_obj_pin(bpf_program__fd(ld->skel->progs.sl_lb), path))
		log_warn("l4: pinning %s: %s", path, strerror(errno));

	maps->ncpus = libbpf_num_possible_cpus();
	if (maps->ncpus < 1)
		maps->ncpus = 1;
	for (int i = 0; i < L4_N_MAPS; i++) {
		struct bpf_map *mm = bpf_object__find_map_by_name(ld->skel->obj, l4_map_names[i]);

		*l4_maps_fd(maps, i) = mm ? bpf_map__fd(mm) : -1;
		if (*l4_maps_fd(maps, i) < 0) {
			log_err("l4: map %s missing from the balancer object", l4_map_names[i]);
			err = -ENOENT;
			goto err_detach;
		}
	}
	maps->ct_max = bpf_map__max_entries(ld->skel->maps.sl_conntrack);
	return ld;

err_detach:
	for (int i = 0; i < ld->n_ifaces; i++)
		if (ld->attached[i])
			l4_detach_one(ld, i);
	xdp_program__close(ld->prog);
err_destroy:
	lb__destroy(ld->skel);
err_free:
	free(ld);
	errno = -err;
	return NULL;
}

int l4_loader_n_ifaces(const struct l4_loader *ld)
{
	return ld->n_ifaces;
}

const char *l4_loader_iface(const struct l4_loader *ld, int i, int *ifindex)
{
	if (ifindex)
		*ifindex = ld->ifindex[i];
	return ld->ifname[i];
}

const char *l4_loader_mode(const struct l4_loader *ld)
{
	return ld->mode == XDP_MODE_SKB ? "generic" : "native";
}

void l4_loader_stop(struct l4_loader *ld, bool detach)
{
	char path[256];

	if (!ld)
		return;
	if (detach) {
		for (int i = 0; i < ld->n_ifaces; i++) {
			int err = l4_detach_one(ld, i);

			if (err)
				log_warn("l4: %s: detach: %s", ld->ifname[i], strerror(-err));
			else
				log_info("l4: %s: sl_lb detached", ld->ifname[i]);
		}
		snprintf(path, sizeof(path), "%s/sl_lb", ld->pin_dir);
		unlink(path);
	}
	/* Without detach the dispatcher keeps the program (and its maps) alive and forwarding. */
	xdp_program__close(ld->prog);
	lb__destroy(ld->skel);
	free(ld);
}
