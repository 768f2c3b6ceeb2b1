/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* source.h - a rules file held in memory, with line lookup for diagnostics. */
#ifndef XLB_SOURCE_H
#define XLB_SOURCE_H

#include <stddef.h>

/* A position in a source file; lines and columns count from 1, columns in
 * bytes.  Offsets delimit the text [first_off, last_off). */
struct xlb_loc {
	unsigned int first_line;
	unsigned int first_column;
	unsigned int last_line;
	unsigned int last_column;
	size_t first_off;
	size_t last_off;
};

struct xlb_source {
	char *path; /* as named by the user */
	char *text; /* contents, NUL-terminated (may contain NULs) */
	size_t len;
	size_t *lines; /* offset of the start of each line */
	size_t nlines;
};

/* Read path into src.  Returns 0, or a negative errno with src empty. */
int xlb_source_load(struct xlb_source *src, const char *path);
/* Take text (copied) as the contents of a source named path. */
void xlb_source_init_text(struct xlb_source *src, const char *path,
			  const char *text, size_t len);
void xlb_source_free(struct xlb_source *src);
/* The bytes of line (1-based) without its newline; NULL if out of range. */
const char *xlb_source_line(const struct xlb_source *src, unsigned int line,
			    size_t *len);

#endif
