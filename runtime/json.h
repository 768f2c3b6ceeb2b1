/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* json.h - writing JSON strings. */
#ifndef XLB_JSON_H
#define XLB_JSON_H

#include <stdio.h>

/* s as a JSON string literal, quotes included. */
static inline void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

#endif
