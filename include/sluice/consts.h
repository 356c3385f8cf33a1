/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Sizes, flags and pin paths shared by the BPF programs and sluiced. */
#ifndef SLUICE_CONSTS_H
#define SLUICE_CONSTS_H

#define SL_MAX_VIPS         512
#define SL_MAX_BACKENDS     4096       /* ids 1..4095; 0 = none */
#define SL_RING_DEFAULT     65537      /* Maglev table size: prime, >= 100 x backends */
#define SL_RING_MAX         1048573    /* largest prime below 2^20 */
#define SL_CT_DEFAULT       1000000
#define SL_CT_INSERT_RATE   125000     /* l4.conntrack_insert_rate default: Katran's MAX_CONN_RATE */
#define SL_UDP_TIMEOUT_NS   (30ULL * 1000000000ULL)
#define SL_VIP_ADDR_BITS    12         /* sl_vip_addrs has 1 << SL_VIP_ADDR_BITS slots */
#define SL_DECAP_DSTS_MAX   16         /* sl_decap_dsts: addresses a backend accepts tunnels for */

/* Families as stored in maps: fixed values, independent of the libc's AF_*. */
#define SL_AF_INET          4
#define SL_AF_INET6         6

/* sl_vip_meta.flags */
#define SL_VIP_F_DSR        (1U << 0)  /* L2 direct server return instead of IPIP */
#define SL_VIP_F_HASH_SRC   (1U << 1)  /* hash on source address only (stickiness, fragments) */
#define SL_VIP_F_EMPTY_PASS (1U << 2)  /* no healthy backend: XDP_PASS instead of XDP_DROP */

/* sl_backend.flags */
#define SL_BACKEND_F_DRAIN  (1U << 0)  /* informational: draining backends are not in the ring */

/* sl_config.flags */
#define SL_CFG_F_ICMP_ECHO  (1U << 0)  /* answer echo requests to VIP addresses */
/*
 * No VIP has port 0: the balancer skips the second (port 0) sl_vips lookup,
 * which halves the cost of traffic that is not for a VIP. Set it only while
 * no port-0 VIP exists; clear it before adding one.
 */
#define SL_CFG_F_NO_PORT0   (1U << 1)
/*
 * sl_vip_addrs holds the count of every sl_vips entry: a packet whose
 * destination's slot counts none is no VIP's, and one whose slot counts no
 * port-0 entry skips the port-0 lookup. Set only after the counts were
 * rebuilt from sl_vips (l4_maps_set_config does both); without it the
 * balancer ignores sl_vip_addrs, so a pinned sl_vips from a build without the
 * counts keeps working until then.
 */
#define SL_CFG_F_VIP_ADDRS  (1U << 2)

#define SL_PIN_DIR          "/sys/fs/bpf/sluice"

#endif
