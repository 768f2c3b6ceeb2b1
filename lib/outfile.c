// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* outfile.c - see outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

/* The temporary files of the outputs open now, for a signal handler
 * (xlb_outfile_remove_temps): a slot is set once its file exists and
 * cleared before the name is freed. */
static const char *volatile live_tmp[8];

/* Create f->tmp and note it in live_tmp, with every signal held so that no
 * handler runs between the two.  The file descriptor, or -1. */
static int create_tmp(struct xlb_outfile *f)
{
	sigset_t all, old;
	size_t i;
	int fd;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	fd = mkstemp(f->tmp);
	for (i = 0; fd >= 0 && i < sizeof(live_tmp) / sizeof(live_tmp[0]); i++) {
		if (!live_tmp[i]) {
			live_tmp[i] = f->tmp;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return fd;
}

void xlb_outfile_remove_temps(void)
{
	size_t i;

	for (i = 0; i < sizeof(live_tmp) / sizeof(live_tmp[0]); i++)
		if (live_tmp[i])
			unlink(live_tmp[i]);
}

static void reset(struct xlb_outfile *f)
{
	size_t i;

	for (i = 0; f->tmp && i < sizeof(live_tmp) / sizeof(live_tmp[0]); i++)
		if (live_tmp[i] == f->tmp)
			live_tmp[i] = NULL;
	free(f->path);
	free(f->target);
	free(f->tmp);
	f->path = f->target = f->tmp = NULL;
	f->fd = -1;
}

int xlb_outfile_open(struct xlb_outfile *f, const char *path)
{
	mode_t mask;
	struct stat st;
	int err;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;

	/* follow a symbolic link to what it names, even a missing file */
	f->target = realpath(path, NULL);
	if (!f->target && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		goto in_place;
	}
	if (!f->target)
		f->target = strdup(path);
	if (!f->target) {
		reset(f);
		return -ENOMEM;
	}

	if (stat(f->target, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			reset(f);
			return -EISDIR;
		}
		f->fd = open(f->target, O_WRONLY | O_TRUNC);
		goto in_place;
	}

	f->tmp = malloc(strlen(f->target) + 8);
	if (!f->tmp) {
		reset(f);
		return -ENOMEM;
	}
	sprintf(f->tmp, "%s.XXXXXX", f->target);
	f->fd = create_tmp(f);
	if (f->fd < 0) {
		err = -errno;
		reset(f);
		return err;
	}
	/* mkstemp makes it 0600: give it the mode a new file gets */
	mask = umask(0);
	umask(mask);
	if (fchmod(f->fd, 0666 & ~mask) < 0) {
		/* keep 0600 rather than fail */
	}
	return 0;

in_place:
	if (f->fd < 0) {
		err = -errno;
		reset(f);
		return err;
	}
	return 0;
}

int xlb_outfile_write(struct xlb_outfile *f, const void *buf, unsigned long len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(f->fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (unsigned long)n;
	}
	return 0;
}

int xlb_outfile_commit(struct xlb_outfile *f)
{
	int err = 0;

	if (f->fd >= 0 && close(f->fd) < 0)
		err = -errno;
	f->fd = -1;
	if (!err && f->tmp && rename(f->tmp, f->target) < 0)
		err = -errno;
	if (err && f->tmp)
		unlink(f->tmp);
	reset(f);
	return err;
}

void xlb_outfile_abort(struct xlb_outfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp)
		unlink(f->tmp);
	reset(f);
}

/* dir/name in a new string, or NULL. */
static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* path resolved for comparison: realpath() if it exists, else the target
 * of a dangling symbolic link (depth: how many more to follow), else its
 * resolved directory and its name, else path itself; NULL when out of
 * memory or links. */
static char *resolve(const char *path, int depth)
{
	char *r = realpath(path, NULL), *dir, *base, *d;
	char link[PATH_MAX];
	struct stat st;
	ssize_t n = -1;

	if (r || depth <= 0)
		return r;
	dir = strdup(path);
	base = strdup(path);
	if (!dir || !base)
		goto out;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		d = link[0] == '/' ? strdup(link) : join(dirname(dir), link);
		r = d ? resolve(d, depth - 1) : NULL;
	} else {
		d = realpath(dirname(dir), NULL);
		r = d ? join(d, basename(base)) : strdup(path);
	}
	free(d);
out:
	free(dir);
	free(base);
	return r;
}

bool xlb_outfile_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	bool has_a = stat(a, &sa) == 0, has_b = stat(b, &sb) == 0;
	char *ra, *rb;
	bool same;

	if (has_a || has_b)
		return has_a && has_b && sa.st_dev == sb.st_dev &&
		       sa.st_ino == sb.st_ino;
	ra = resolve(a, 8);
	rb = resolve(b, 8);
	same = ra && rb && !strcmp(ra, rb);
	free(ra);
	free(rb);
	return same;
}
