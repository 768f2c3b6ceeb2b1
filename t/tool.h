/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tool.h - what the test tools that build and send frames (t/craft,
 * t/frames) share: big-endian stores and their arguments' numbers.
 */
#ifndef XLB_T_TOOL_H
#define XLB_T_TOOL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static inline void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A decimal number from 0 to max, the whole of s: 0, or -1. */
static inline int parse_num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return !*s || *end || errno || *v > max ? -1 : 0;
}

#endif
