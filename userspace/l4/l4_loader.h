/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Loading the XDP balancer, reusing its pinned maps, and attaching it through libxdp. */
#ifndef SLUICE_L4_LOADER_H
#define SLUICE_L4_LOADER_H

#include <stdbool.h>

#include "config/config.h"
#include "l4/l4_maps.h"

struct l4_loader;

/*
 * l4_loader_start() - open the balancer, point every map at its pin in
 * @pin_dir (an existing pin is reused, so conntrack survives restarts and
 * program upgrades; a pin whose layout no longer matches is replaced),
 * size sl_conntrack from @l4 (a pinned table keeps its size), load, attach
 * to every interface of @l4 in its XDP mode, then detach any older sl_lb left
 * on those interfaces by a previous run. Fills @maps with the map fds (owned
 * by the loader). Returns the loader, or NULL with errno set (reason logged).
 */
struct l4_loader *l4_loader_start(const struct cfg_l4 *l4, const char *pin_dir, struct l4_maps *maps);

/* l4_loader_ifaces() - how many interfaces are attached; names and ifindexes by index. */
int l4_loader_n_ifaces(const struct l4_loader *ld);
const char *l4_loader_iface(const struct l4_loader *ld, int i, int *ifindex);
const char *l4_loader_mode(const struct l4_loader *ld);

/* l4_loader_stop() - close everything; with @detach also take the program off the interfaces. */
void l4_loader_stop(struct l4_loader *ld, bool detach);

#endif
