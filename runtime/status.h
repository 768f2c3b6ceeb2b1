/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * status.h - everything of xlb's on an interface, the half states other
 * tools can leave behind, and the orphans under /sys/fs/bpf/xlb.  Used by
 * xlb-load (attach, -d, --status, --prune) and xlb-stats.
 */
#ifndef XLB_STATUS_H
#define XLB_STATUS_H

#include <net/if.h>

#include "pins.h"
#include "xdp.h"

/* Whose are the attached links that an interface's pin directory holds,
 * when they are not the interface's own. */
struct xlb_owner {
	struct xlb_link link;	/* one of them (the XDP link if it is there) */
	char name[IF_NAMESIZE]; /* its interface in this namespace, or "" */
	__u64 netns_ino;     /* else its namespace, if xlb-load recorded it */
	char netns_path[64]; /* and a path to enter it by, or "" */
};

struct xlb_iface {
	int ifindex;
	char name[IF_NAMESIZE];
	struct xlb_attached xdp; /* what is on the XDP hook, xlb's or not */
	struct xlb_reply reply;	 /* xlb's reply path on egress */
	char pin_dir[256];
	int pins_seen; /* bpffs is mounted here: pins can be looked at */
	struct xlb_pins pins;
	/* pin_dir's attached links that are not this interface's
	 * (1 << XLB_PIN_XDP_LINK, XLB_PIN_TCX_LINK), and whose they are */
	unsigned int others;
	struct xlb_owner owner;
	/* this interface's links that a pin holds, in pin_dir or links_dir:
	 * another directory, named after another interface or namespace */
	unsigned int pinned;
	char links_dir[256];
};

/* Half states, and pins out of place: what xlb_iface_problems() finds. */
enum {
	/* xlb's reply path is on egress, xlb's XDP program is not */
	XLB_HALF_REPLY_ONLY = 1 << 0,
	/* pins are left, xlb's XDP program is not attached */
	XLB_HALF_PINS_ONLY = 1 << 1,
	/* the XDP program's reply path is not on egress */
	XLB_HALF_NO_REPLY = 1 << 2,
	/* a reply path the XDP program does not go with */
	XLB_HALF_STRAY_REPLY = 1 << 3,
	/* attached through a link that no pin holds */
	XLB_HALF_UNPINNED = 1 << 4,
	/* its links pinned in another interface's directory */
	XLB_HALF_PINNED_ELSEWHERE = 1 << 5,
	/* its pin directory holds another attachment's links */
	XLB_HALF_OTHERS_PINS = 1 << 6,
};

/* Look at everything on the interface; 0 or -errno (f is then closed). */
int xlb_iface_open(const char *ifname, int ifindex, struct xlb_iface *f);
void xlb_iface_close(struct xlb_iface *f);
unsigned int xlb_iface_problems(const struct xlb_iface *f);
/* Whether the interface's pin directory is there and holds no other
 * attachment's links. */
int xlb_iface_own_pins(const struct xlb_iface *f);
/* Each problem in a sentence that ends with the command that repairs it,
 * printed as pr_warn does. */
void xlb_iface_warn(const struct xlb_iface *f, unsigned int problems);

/* xlb-load --status [IFNAME] [-j], xlb-load --prune: exit statuses. */
int xlb_status(const char *ifname, int json);
int xlb_prune(void);

#endif
