/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xlb_csum.h - incremental Internet checksum updates (RFC 1624, eqn. 3):
 *   HC' = ~(~HC + ~m + m')
 * All values stay in network byte order; the one's complement sum does not
 * depend on byte order as long as every operand uses the same one.
 */
#ifndef XLB_CSUM_H
#define XLB_CSUM_H

#include <linux/types.h>

static __always_inline __u16 xlb_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The checksum after one 16-bit word of the covered data changes. */
static __always_inline __sum16 xlb_csum_replace2(__sum16 check, __be16 from,
						 __be16 to)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~from;
	sum += (__u16)to;
	return (__sum16)~xlb_csum_fold(sum);
}

/* UDP over IPv4: a checksum of 0 means "none" and stays 0; a computed 0 is
 * sent as 0xffff (RFC 768). */
static __always_inline __sum16 xlb_udp_csum_replace2(__sum16 check, __be16 from,
						     __be16 to)
{
	__sum16 c;

	if (!check)
		return 0;
	c = xlb_csum_replace2(check, from, to);
	return c ? c : (__sum16)0xffff;
}

#endif /* XLB_CSUM_H */
