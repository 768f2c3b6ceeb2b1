/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xlb_csum.h - incremental Internet checksum updates (RFC 1624, eqn. 3):
 *   HC' = ~(~HC + ~m + m')
 * summed over every 16-bit word m that changes to m', in one update.
 * All values stay in network byte order; the one's complement sum does not
 * depend on byte order as long as every operand uses the same one.
 */
#ifndef XLB_CSUM_H
#define XLB_CSUM_H

#include <linux/types.h>

/* The sum that changing the 32-bit word from into to adds: ~m + m' for
 * both of its 16-bit halves. */
static __always_inline __u32 xlb_csum_diff4(__be32 from, __be32 to)
{
	return (__u32)(__u16)~(__u16)from + (__u16)~(__u16)(from >> 16) +
	       (__u16)to + (__u16)(to >> 16);
}

/* The checksum after the changes whose sum is diff: HC' = ~(~HC + diff).
 * A diff of up to 64 words fits the 32-bit accumulator. */
static __always_inline __u16 xlb_csum_apply(__u16 check, __u32 diff)
{
	__u32 sum = (__u16)~check;

	sum += diff;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

#endif /* XLB_CSUM_H */
