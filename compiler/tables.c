// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tables.c - the compile-time tables behind backend selection: the
 * weighted list that round robin and the hashes index, and the Maglev
 * lookup table.  xlb-rules(5) defines both; the reference interpreter
 * builds them again on its own, which is how the differential test checks
 * these.
 */
#include <stdlib.h>
#include <string.h>

#include "xlbc.h"

/* MurmurHash3, x86_32 variant, over bytes. */
uint32_t xlb_murmur3(const void *data, size_t len, uint32_t seed)
{
	const uint8_t *p = data;
	uint32_t h = seed, k;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		k = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
		    (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
		k *= 0xcc9e2d51;
		k = k << 15 | k >> 17;
		k *= 0x1b873593;
		h ^= k;
		h = h << 13 | h >> 19;
		h = h * 5 + 0xe6546b64;
	}
	k = 0;
	switch (len & 3) {
	case 3:
		k ^= (uint32_t)p[i + 2] << 16;
		/* fall through */
	case 2:
		k ^= (uint32_t)p[i + 1] << 8;
		/* fall through */
	case 1:
		k ^= p[i];
		k *= 0xcc9e2d51;
		k = k << 15 | k >> 17;
		k *= 0x1b873593;
		h ^= k;
	}
	h ^= (uint32_t)len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

size_t xlb_weighted_list(const struct xlb_rule *r, uint8_t **out)
{
	unsigned int maxw = 0, k;
	size_t i, n = 0, total = 0;
	uint8_t *list;

	for (i = 0; i < r->nbackends; i++) {
		total += r->backends[i].w;
		if (r->backends[i].w > maxw)
			maxw = r->backends[i].w;
	}
	list = xmalloc(total ? total : 1);
	/* round k takes every backend whose weight is above k, in order */
	for (k = 0; k < maxw; k++)
		for (i = 0; i < r->nbackends; i++)
			if (r->backends[i].w > k)
				list[n++] = (uint8_t)i;
	*out = list;
	return n;
}

uint8_t *xlb_maglev_table(const struct xlb_rule *r)
{
	size_t n = r->nbackends, i, filled = 0;
	uint64_t *offset, *skip, *next;
	uint8_t *table = xmalloc(XLB_MAGLEV_SIZE);
	bool *taken = xcalloc(XLB_MAGLEV_SIZE, sizeof(*taken));
	char name[80];

	offset = xcalloc(n, sizeof(*offset));
	skip = xcalloc(n, sizeof(*skip));
	next = xcalloc(n, sizeof(*next));
	for (i = 0; i < n; i++) {
		xlb_backend_format(&r->backends[i], name, sizeof(name));
		offset[i] = xlb_murmur3(name, strlen(name), 0) % XLB_MAGLEV_SIZE;
		skip[i] = xlb_murmur3(name, strlen(name), 1) %
				  (XLB_MAGLEV_SIZE - 1) +
			  1;
	}
	while (filled < XLB_MAGLEV_SIZE) {
		for (i = 0; i < n && filled < XLB_MAGLEV_SIZE; i++) {
			unsigned int turn;

			/* a backend of weight w takes w entries a round */
			for (turn = 0;
			     turn < r->backends[i].w && filled < XLB_MAGLEV_SIZE;
			     turn++) {
				uint64_t c;

				do {
					c = (offset[i] + next[i] * skip[i]) %
					    XLB_MAGLEV_SIZE;
					next[i]++;
				} while (taken[c]);
				taken[c] = true;
				table[c] = (uint8_t)i;
				filled++;
			}
		}
	}
	free(offset);
	free(skip);
	free(next);
	free(taken);
	return table;
}
