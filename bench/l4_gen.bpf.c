// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The L4 bench's packet generator: run by BPF_PROG_RUN in live-frame mode, it gives each frame its own flow and sends it out. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "l4_gen_frame.h"

const volatile __u32 out_ifindex;    /* the client's veth: frames leave through it toward the lb */

__u64 sent;                          /* frames handed to the redirect (one generator thread) */

SEC("xdp")
int l4_gen(struct xdp_md *ctx)
{
	if (l4_gen_rewrite((void *)(long)ctx->data, (void *)(long)ctx->data_end, sent))
		return XDP_ABORTED;
	sent++;
	return bpf_redirect(out_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
