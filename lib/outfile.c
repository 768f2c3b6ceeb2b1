// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* outfile.c - see outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

static void reset(struct xlb_outfile *f)
{
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
	f->fd = mkstemp(f->tmp);
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
