// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* source.c - loading rules files and finding their lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "util.h"

static void index_lines(struct xlb_source *src)
{
	size_t cap = 64, i;

	src->lines = xmalloc(cap * sizeof(*src->lines));
	src->nlines = 0;
	src->lines[src->nlines++] = 0;
	for (i = 0; i < src->len; i++) {
		if (src->text[i] != '\n')
			continue;
		if (src->nlines == cap) {
			cap *= 2;
			src->lines =
				xrealloc(src->lines, cap * sizeof(*src->lines));
		}
		src->lines[src->nlines++] = i + 1;
	}
}

void xlb_source_init_text(struct xlb_source *src, const char *path,
			  const char *text, size_t len)
{
	src->path = xstrdup(path);
	src->text = xmalloc(len + 1);
	memcpy(src->text, text, len);
	src->text[len] = '\0';
	src->len = len;
	index_lines(src);
}

int xlb_source_load(struct xlb_source *src, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;
	FILE *f;
	int err = 0;

	memset(src, 0, sizeof(*src));
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	if (ferror(f))
		err = errno ? -errno : -EIO;
	fclose(f);
	if (err) {
		strbuf_release(&sb);
		return err;
	}
	xlb_source_init_text(src, path, sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	return 0;
}

void xlb_source_free(struct xlb_source *src)
{
	free(src->path);
	free(src->text);
	free(src->lines);
	memset(src, 0, sizeof(*src));
}

const char *xlb_source_line(const struct xlb_source *src, unsigned int line,
			    size_t *len)
{
	size_t start, end;

	if (line == 0 || line > src->nlines)
		return NULL;
	start = src->lines[line - 1];
	end = line < src->nlines ? src->lines[line] - 1 : src->len;
	if (end > start && src->text[end - 1] == '\r')
		end--;
	*len = end - start;
	return src->text + start;
}
