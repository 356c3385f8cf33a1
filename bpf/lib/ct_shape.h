/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The shape of sl_conntrack, also given to bench/ct_insert.bpf.c's map so its insert floor is timed on the same kind of map. */
#ifndef SL_BPF_CT_SHAPE_H
#define SL_BPF_CT_SHAPE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sluice/consts.h"
#include "sluice/maps.h"

/* members of a map definition: struct { SL_CT_MAP_SHAPE; ... } name SEC(".maps"); */
#define SL_CT_MAP_SHAPE                                 \
	__uint(type, BPF_MAP_TYPE_LRU_HASH);            \
	__uint(map_flags, BPF_F_NO_COMMON_LRU);         \
	__uint(max_entries, SL_CT_DEFAULT);             \
	__type(key, struct sl_flow_key);                \
	__type(value, struct sl_ct_value)

#endif
