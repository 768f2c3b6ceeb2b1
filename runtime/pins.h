/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pins.h - xlb's pins in bpffs: where they go, what each is, reading them
 * back, and removing them.
 *
 * An interface's pin directory holds
 *   xdp_link   the XDP link (absent when attached through netlink)
 *   tcx_link   the reply path's tcx link (absent without one, or when the
 *              reply path is a clsact filter)
 *   prog, stats, meta, tc
 *              the XDP program, its counters and metadata, the reply path's
 *              program: for bpftool and the like
 * A link lives as long as its pin (or an open descriptor): removing the
 * pin of a link detaches its program.
 */
#ifndef XLB_PINS_H
#define XLB_PINS_H

#include <stddef.h>
#include <linux/types.h>

#include "xdp.h"

#define XLB_BPFFS "/sys/fs/bpf"
#define XLB_PIN_ROOT XLB_BPFFS "/xlb"
#define XLB_PIN_NETNS XLB_PIN_ROOT "/netns"

enum xlb_pin {
	XLB_PIN_XDP_LINK,
	XLB_PIN_TCX_LINK,
	XLB_PIN_PROG,
	XLB_PIN_STATS,
	XLB_PIN_META,
	XLB_PIN_TC,
	XLB_NPINS,
};

/* The file name of a pin ("xdp_link", ...). */
const char *xlb_pin_name(enum xlb_pin pin);

/* Make sure pins made now outlive this process.  0 when bpffs is mounted at
 * /sys/fs/bpf, or was not and has now been mounted there in the mount
 * namespace of process 1.  -EXDEV, mounting nothing, when this is another
 * mount namespace, or it cannot be told ('ip netns exec' makes one, without
 * bpffs): a bpffs mounted here would go with the namespace, and the links
 * pinned in it with it.  Else -errno. */
int xlb_bpffs_ensure(void);

/* Whether bpffs is mounted at /sys/fs/bpf in this mount namespace. */
int xlb_bpffs_mounted(void);

/* The interface's pin directory: /sys/fs/bpf/xlb/IFNAME, or in a named
 * network namespace /sys/fs/bpf/xlb/netns/NAME/IFNAME. */
void xlb_pin_dir(const char *ifname, char *buf, size_t len);

/* Serialise xlb-load runs that change pins: an exclusive lock on
 * XLB_PIN_ROOT (created if missing).  The descriptor, or -errno. */
int xlb_pins_lock(void);
void xlb_pins_unlock(int fd);

/* Create dir and its parents.  0 or -errno; *made, unless made is NULL,
 * is how many of them this call made (the last ones of the path). */
int xlb_pins_mkdir(const char *dir, int *made);
/* Remove the directories that xlb_pins_mkdir(dir, &made) made, as far as
 * they are empty. */
void xlb_pins_rmdir(const char *dir, int made);
/*
 * A pin directory is found by its interface's name, which can have gone
 * to another interface since (a renamed interface, a namespace name given
 * again): a link pin there may hold another attachment.  So the pin of a
 * link that is attached (its ifindex is not 0) is never replaced or
 * removed here but by the caller that says it is its own.
 */

/* Pin fd as dir/name, replacing what was there, unless that is another
 * attached link: 0, -EBUSY, or -errno. */
int xlb_pin(int fd, const char *dir, enum xlb_pin pin);
/* Remove one pin, but not that of an attached link other than link id
 * mine (0: none); 1 if it was there and removed, else 0. */
int xlb_unpin(const char *dir, enum xlb_pin pin, __u32 mine);

/* What a pin directory holds. */
struct xlb_pins {
	int present;	       /* the directory exists */
	unsigned int have;     /* 1 << enum xlb_pin for each pin there */
	struct xlb_link xdp_link; /* read from the link pins */
	struct xlb_link tcx_link;
	__u32 prog_id;	       /* the programs pinned as prog and tc */
	__u32 tc_id;
	int other;	       /* entries that are not xlb's */
};

void xlb_pins_read(const char *dir, struct xlb_pins *p);

/* Remove every pin of xlb's in dir, but those of attached links other
 * than xdp_link and tcx_link (ids, 0 for none), then dir and its
 * namespace's directory if they became empty.  The number of entries
 * removed. */
int xlb_pins_remove(const char *dir, __u32 xdp_link, __u32 tcx_link);

/* Call fn for every interface directory under XLB_PIN_ROOT, with its
 * path, its namespace directory's name ("" for the initial namespace) and
 * its name; and for a namespace directory with no interface, with ifname
 * NULL. */
typedef void (*xlb_pindir_fn)(const char *path, const char *ns,
			      const char *ifname, void *ctx);
void xlb_pins_walk(xlb_pindir_fn fn, void *ctx);

/* The first interface directory but skip that holds the pin of link
 * xdp_link (as xdp_link) or tcx_link (as tcx_link), in dir: which of
 * them it holds (1 << enum xlb_pin), or 0 and "" when none does. */
unsigned int xlb_pins_find_links(__u32 xdp_link, __u32 tcx_link,
				 const char *skip, char *dir, size_t len);

#endif
