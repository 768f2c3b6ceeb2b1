// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* source.c - loading rules files and finding their lines. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Files ending in .yaml or .yml are in the YAML syntax. */
static bool is_yaml(const char *path)
{
	size_t n = strlen(path);

	return (n > 5 && !strcasecmp(path + n - 5, ".yaml")) ||
	       (n > 4 && !strcasecmp(path + n - 4, ".yml"));
}

/* Take text, NUL-terminated at len, as the contents of src. */
static void take_text(struct xlb_source *src, const char *path, char *text,
		      size_t len)
{
	src->path = xstrdup(path);
	src->yaml = is_yaml(path);
	src->text = text;
	src->len = len;
	index_lines(src);
}

void xlb_source_init_text(struct xlb_source *src, const char *path,
			  const char *text, size_t len)
{
	char *copy = xmalloc(len + 1);

	memcpy(copy, text, len);
	copy[len] = '\0';
	memset(src, 0, sizeof(*src));
	take_text(src, path, copy, len);
}

/* Read all of fd, up to XLB_MAX_SOURCE_SIZE bytes, into *text (with a NUL
 * after them); size is a first guess of the length.  0 or a negative
 * errno. */
static int read_bounded(int fd, size_t size, char **text, size_t *len)
{
	size_t cap = size + 1, n = 0; /* one more byte: did it grow? */
	char *buf = xmalloc(cap + 1);
	ssize_t r;

	for (;;) {
		if (n == cap) {
			if (cap > XLB_MAX_SOURCE_SIZE) {
				free(buf);
				return -EFBIG;
			}
			cap = cap < XLB_MAX_SOURCE_SIZE / 2 ? cap * 2
							   : XLB_MAX_SOURCE_SIZE + 1;
			buf = xrealloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int xlb_source_load(struct xlb_source *src, const char *path)
{
	bool std = !strcmp(path, "-");
	size_t size = 65536, len = 0;
	struct stat st;
	char *text = NULL;
	int fd, err;

	memset(src, 0, sizeof(*src));
	fd = std ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		/* refused unread: a sparse file can be any size */
		if ((uintmax_t)st.st_size > XLB_MAX_SOURCE_SIZE) {
			err = -EFBIG;
			goto out;
		}
		size = (size_t)st.st_size;
	}
	err = read_bounded(fd, size, &text, &len);
	if (!err)
		take_text(src, std ? XLB_STDIN_NAME : path, text, len);
out:
	if (!std)
		close(fd);
	return err;
}

void xlb_source_pos(const struct xlb_source *src, size_t off,
		    unsigned int *line, unsigned int *col)
{
	size_t lo = 0, hi = src->nlines;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (src->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = (unsigned int)lo + 1;
	*col = (unsigned int)(off - src->lines[lo]) + 1;
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
