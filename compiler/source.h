/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* source.h - a rules file held in memory, with line lookup for diagnostics. */
#ifndef XLB_SOURCE_H
#define XLB_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The largest rules file read, in bytes.  A million IPv6 prefixes, the
 * most a ruleset is expected to hold, are about 45 MB of text; 256 MiB
 * leaves five times that, bounds what a wrong file (/dev/zero, a capture,
 * a FIFO that never ends) costs before it is refused, and keeps lengths
 * within the int that the flex scanner takes.
 */
#define XLB_MAX_SOURCE_SIZE (256u << 20)
/* The name of standard input ("-" on the command line) in diagnostics,
 * the generated C and the object's metadata, as compilers name it. */
#define XLB_STDIN_NAME "<stdin>"

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
	char *path; /* as named by the user, or XLB_STDIN_NAME */
	char *text; /* contents, NUL-terminated (may contain NULs) */
	size_t len;
	size_t *lines; /* offset of the start of each line */
	size_t nlines;
	bool yaml; /* in the YAML syntax: named *.yaml or *.yml */
};

/* Read path, or standard input if it is "-", into src: at most
 * XLB_MAX_SOURCE_SIZE bytes.  Returns 0, or a negative errno with src
 * empty (-EFBIG for a larger file). */
int xlb_source_load(struct xlb_source *src, const char *path);
/* Take text (copied) as the contents of a source named path. */
void xlb_source_init_text(struct xlb_source *src, const char *path,
			  const char *text, size_t len);
/* Line and column (1-based, bytes) of a byte offset. */
void xlb_source_pos(const struct xlb_source *src, size_t off,
		    unsigned int *line, unsigned int *col);
void xlb_source_free(struct xlb_source *src);
/* The bytes of line (1-based) without its newline; NULL if out of range. */
const char *xlb_source_line(const struct xlb_source *src, unsigned int line,
			    size_t *len);

#endif
