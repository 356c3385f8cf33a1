// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The cheapest XDP program (r0 = XDP_PASS; exit): the baseline bpf_ns subtracts from per-call timings. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
