/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Internet checksum helpers: fold, a fresh IPv4 header sum, RFC 1624 incremental update. */
#ifndef SL_BPF_CSUM_H
#define SL_BPF_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* csum_fold(): folds a 32-bit one's complement sum to 16 bits and complements it. */
static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* csum_ipv4_hdr(): checksum of a 20-byte IPv4 header whose check field is 0. */
static __always_inline __u16 csum_ipv4_hdr(const void *hdr)
{
	const __u16 *w = hdr;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	return csum_fold(sum);
}

/*
 * csum_ipv4_words(): checksum of a 20-byte IPv4 header held as five words as
 * they lie in memory, check field 0 (a one's complement sum does not care
 * about byte order, so 32-bit words folded equal the 16-bit word sum).
 */
static __always_inline __u16 csum_ipv4_words(const __u32 w[5])
{
	__u64 sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];

	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return csum_fold((__u32)sum);
}

/* csum_replace2(): new checksum after a 16-bit word changes from old to new (RFC 1624 eqn. 3). */
static __always_inline __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u32)(__u16)~old + new;

	return csum_fold(sum);
}

#endif
