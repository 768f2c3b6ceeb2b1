// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* unit-diag.c - the diagnostics printer and source line lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "tap.h"

/* Print d into a string. */
static char *render(const struct xlb_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	xlb_diags_print(d, f);
	fclose(f);
	return buf;
}

static struct xlb_loc loc(unsigned int line, unsigned int col,
			  unsigned int last_col)
{
	struct xlb_loc l = { line, col, line, last_col, 0, 0 };

	return l;
}

int main(void)
{
	struct xlb_source src;
	struct xlb_diags d;
	struct xlb_loc l;
	const char *line;
	size_t len;
	char *out;
	int i;

	plan(11);

	xlb_source_init_text(&src, "r.conf", "a b\r\n\tudpp x\nlast", 17);
	is_int((long long)src.nlines, 3, "three lines");
	line = xlb_source_line(&src, 1, &len);
	ok(line && len == 3 && !memcmp(line, "a b", 3),
	   "CR before LF is not part of the line");
	line = xlb_source_line(&src, 3, &len);
	ok(line && len == 4 && !memcmp(line, "last", 4),
	   "last line without newline");
	ok(xlb_source_line(&src, 4, &len) == NULL &&
		   xlb_source_line(&src, 0, &len) == NULL,
	   "lines out of range are NULL");

	xlb_diags_init(&d, &src);
	l = loc(2, 2, 5);
	xlb_error(&d, &l, "unknown word '%s'", "udpp");
	out = render(&d);
	is_string(out,
		  "r.conf:2:2: error: unknown word 'udpp'\n\tudpp x\n\t^~~~\n",
		  "error with caret and tilde, tab kept for alignment");
	free(out);
	is_int(d.nerrors, 1, "one error counted");

	l = loc(3, 5, 5);
	xlb_warning(&d, &l, "at end");
	xlb_note(&d, NULL, "no location");
	out = render(&d);
	ok(strstr(out, "r.conf:3:5: warning: at end\nlast\n    ^\n") != NULL,
	   "caret one past the end of the line");
	ok(strstr(out, "r.conf: note: no location\n") != NULL,
	   "diagnostic without location names the file");
	free(out);
	is_int(d.nwarnings, 1, "warnings counted apart from errors");
	xlb_diags_free(&d);

	xlb_diags_init(&d, &src);
	for (i = 0; i < XLB_MAX_ERRORS + 10; i++)
		xlb_error(&d, NULL, "e%d", i);
	is_int((long long)d.n, XLB_MAX_ERRORS,
	       "errors past the cap are not kept");
	out = render(&d);
	ok(strstr(out, "too many errors (60)") != NULL, "the cap is reported");
	free(out);
	xlb_diags_free(&d);
	xlb_source_free(&src);
	return tap_done();
}
