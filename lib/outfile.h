/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * outfile.h - output files that appear whole or not at all.  A regular
 * file (or a new one) is written to a temporary file beside it and renamed
 * over it on commit; a symbolic link is followed, so the link stays and its
 * target is replaced; anything else (/dev/null, a FIFO, a terminal) cannot
 * be renamed over and is written in place.  Shared by xlbc and xlb-replay.
 */
#ifndef XLB_OUTFILE_H
#define XLB_OUTFILE_H

#include <stdbool.h>

struct xlb_outfile {
	char *path;   /* as the user named it */
	char *target; /* the file that commit replaces */
	char *tmp;    /* temporary file beside target; NULL when in place */
	int fd;	      /* open for writing until commit or abort */
};

/* Open path for writing.  Returns 0, or a negative errno. */
int xlb_outfile_open(struct xlb_outfile *f, const char *path);
/* Write all of buf; 0 or a negative errno. */
int xlb_outfile_write(struct xlb_outfile *f, const void *buf,
		      unsigned long len);
/* Close (unless the caller already did and set fd to -1) and put the file
 * in place.  Returns 0, or a negative errno after removing the temporary. */
int xlb_outfile_commit(struct xlb_outfile *f);
/* Throw the output away; the target is left as it was. */
void xlb_outfile_abort(struct xlb_outfile *f);
/* Remove the temporary files of the outputs open now, leaving the targets
 * as they were: for a fatal signal's handler (async-signal-safe). */
void xlb_outfile_remove_temps(void);

/* Whether paths a and b name one file: the same device and inode when
 * both exist; when neither does, the same path once resolved as
 * xlb_outfile_open resolves it (symbolic links followed, a missing last
 * name kept), so that "./x.o" and "x.o" are one output yet to be written.
 * For refusing an output that is an input or another output. */
bool xlb_outfile_same_file(const char *a, const char *b);

#endif
