/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * diag.h - queued diagnostics.  Passes record errors, warnings and notes
 * here and go on; the driver prints them all at the end, each as
 *   FILE:LINE:COL: error: MESSAGE
 *   <the source line>
 *   <caret under the location>
 */
#ifndef XLB_DIAG_H
#define XLB_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include "source.h"
#include "util.h"

enum xlb_severity {
	XLB_ERROR,
	XLB_WARNING,
	XLB_NOTE,
};

struct xlb_diag {
	enum xlb_severity severity;
	struct xlb_loc loc;
	int has_loc;
	char *msg;
};

struct xlb_diags {
	const struct xlb_source *src;
	struct xlb_diag *v;
	size_t n;
	size_t cap;
	unsigned int nerrors;
	unsigned int nwarnings;
	bool dropping; /* the last error or warning was over its cap */
};

/* Errors past this many are counted but not recorded. */
#define XLB_MAX_ERRORS 50
#define XLB_MAX_WARNINGS 50
/* Source lines longer than this are shown as a window around the column. */
#define XLB_EXCERPT_MAX 100

void xlb_diags_init(struct xlb_diags *d, const struct xlb_source *src);
void xlb_diags_free(struct xlb_diags *d);
void xlb_diag(struct xlb_diags *d, enum xlb_severity sev,
	      const struct xlb_loc *loc, const char *fmt, ...) XLB_PRINTF(4, 5);
void xlb_vdiag(struct xlb_diags *d, enum xlb_severity sev,
	       const struct xlb_loc *loc, const char *fmt, va_list ap);
#define xlb_error(d, loc, ...) xlb_diag(d, XLB_ERROR, loc, __VA_ARGS__)
#define xlb_warning(d, loc, ...) xlb_diag(d, XLB_WARNING, loc, __VA_ARGS__)
#define xlb_note(d, loc, ...) xlb_diag(d, XLB_NOTE, loc, __VA_ARGS__)
/* Print every queued diagnostic, in the order recorded. */
void xlb_diags_print(const struct xlb_diags *d, FILE *out);

#endif
