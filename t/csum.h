/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * csum.h - the Internet checksum (RFC 1071) for the tests that build
 * packets, written apart from the compiler and the BPF templates so that
 * it checks them rather than repeats them.
 */
#ifndef XLB_T_CSUM_H
#define XLB_T_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* sum plus the len bytes at p, as big-endian 16-bit words (an odd last
 * byte is padded with zero). */
static inline uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* The checksum of a sum: its carries folded in, complemented. */
static inline uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif
