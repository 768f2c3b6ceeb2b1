// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* diag.c - the diagnostics queue and its printer. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void xlb_diags_init(struct xlb_diags *d, const struct xlb_source *src)
{
	memset(d, 0, sizeof(*d));
	d->src = src;
}

void xlb_diags_free(struct xlb_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

void xlb_vdiag(struct xlb_diags *d, enum xlb_severity sev,
	       const struct xlb_loc *loc, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	struct xlb_diag *g;

	/* past the caps, diagnostics are counted, and their notes dropped */
	if (sev == XLB_ERROR)
		d->dropping = ++d->nerrors > XLB_MAX_ERRORS;
	else if (sev == XLB_WARNING)
		d->dropping = ++d->nwarnings > XLB_MAX_WARNINGS;
	if (d->dropping)
		return;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 8;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	g = &d->v[d->n++];
	g->severity = sev;
	g->has_loc = loc != NULL;
	if (loc)
		g->loc = *loc;
	else
		memset(&g->loc, 0, sizeof(g->loc));
	strbuf_vprintf(&sb, fmt, ap);
	g->msg = strbuf_detach(&sb);
}

void xlb_diag(struct xlb_diags *d, enum xlb_severity sev,
	      const struct xlb_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xlb_vdiag(d, sev, loc, fmt, ap);
	va_end(ap);
}

static const char *severity_name(enum xlb_severity sev)
{
	switch (sev) {
	case XLB_ERROR:
		return "error";
	case XLB_WARNING:
		return "warning";
	case XLB_NOTE:
		return "note";
	}
	return "error";
}

/* The source line, with bytes that would upset a terminal shown as '?',
 * then a caret line that keeps the line's tabs so that it lines up. */
static void print_excerpt(const struct xlb_source *src,
			  const struct xlb_loc *loc, FILE *out)
{
	size_t len, i, start, end;
	const char *line;

	line = xlb_source_line(src, loc->first_line, &len);
	if (!line)
		return;
	start = loc->first_column ? loc->first_column - 1 : 0;
	if (start > len)
		start = len;
	/* a long line is shown as a window around the column */
	if (len > XLB_EXCERPT_MAX) {
		size_t from = start > XLB_EXCERPT_MAX / 3
				      ? start - XLB_EXCERPT_MAX / 3
				      : 0;
		size_t to = from + XLB_EXCERPT_MAX < len ? from + XLB_EXCERPT_MAX
							 : len;

		if (from)
			fputs("...", out);
		for (i = from; i < to; i++) {
			unsigned char c = (unsigned char)line[i];

			fputc(isprint(c) && c < 0x80 ? c : ' ', out);
		}
		fputs(to < len ? "...\n" : "\n", out);
		end = loc->last_line == loc->first_line &&
				      loc->last_column > start
			      ? loc->last_column
			      : start + 1;
		if (end > to)
			end = to;
		for (i = from ? from - 3 : 0; i < start; i++)
			fputc(' ', out);
		fputc('^', out);
		for (i = start + 1; i < end; i++)
			fputc('~', out);
		fputc('\n', out);
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		fputc(c == '\t' || (isprint(c) && c < 0x80) ? c : '?', out);
	}
	fputc('\n', out);

	if (loc->last_line == loc->first_line && loc->last_column > start)
		end = loc->last_column;
	else
		end = start + 1;
	for (i = 0; i < start; i++)
		fputc(line[i] == '\t' ? '\t' : ' ', out);
	fputc('^', out);
	for (i = start + 1; i < end && i < len; i++)
		fputc('~', out);
	fputc('\n', out);
}

/* Diagnostics are printed in source order; a note stays behind the
 * diagnostic it belongs to, and equal positions keep recording order. */
struct order {
	size_t idx;
	const struct xlb_diag *head;
	size_t head_idx;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	const struct xlb_loc *lx = &x->head->loc, *ly = &y->head->loc;

	if (x->head->has_loc != y->head->has_loc)
		return x->head->has_loc ? 1 : -1; /* file-wide ones first */
	if (lx->first_line != ly->first_line)
		return lx->first_line < ly->first_line ? -1 : 1;
	if (lx->first_column != ly->first_column)
		return lx->first_column < ly->first_column ? -1 : 1;
	if (x->head_idx != y->head_idx)
		return x->head_idx < y->head_idx ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void xlb_diags_print(const struct xlb_diags *d, FILE *out)
{
	const char *path = d->src && d->src->path ? d->src->path : "xlbc";
	struct order *ord = xcalloc(d->n, sizeof(*ord));
	size_t i, head = 0;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].severity != XLB_NOTE || i == 0)
			head = i;
		ord[i].idx = i;
		ord[i].head = &d->v[head];
		ord[i].head_idx = head;
	}
	qsort(ord, d->n, sizeof(*ord), cmp_order);

	for (i = 0; i < d->n; i++) {
		const struct xlb_diag *g = &d->v[ord[i].idx];

		if (g->has_loc)
			fprintf(out, "%s:%u:%u: %s: %s\n", path,
				g->loc.first_line, g->loc.first_column,
				severity_name(g->severity), g->msg);
		else
			fprintf(out, "%s: %s: %s\n", path,
				severity_name(g->severity), g->msg);
		if (g->has_loc && d->src)
			print_excerpt(d->src, &g->loc, out);
	}
	free(ord);
	if (d->nerrors > XLB_MAX_ERRORS)
		fprintf(out, "%s: too many errors (%u), stopped listing them\n",
			path, d->nerrors);
	if (d->nwarnings > XLB_MAX_WARNINGS)
		fprintf(out, "%s: %u warnings, the first %d shown\n", path,
			d->nwarnings, XLB_MAX_WARNINGS);
}
