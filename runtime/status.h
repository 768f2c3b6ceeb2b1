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

struct xlb_iface {
	int ifindex;
	char name[IF_NAMESIZE];
	struct xlb_attached xdp; /* what is on the XDP hook, xlb's or not */
	struct xlb_reply reply;	 /* xlb's reply path on egress */
	char pin_dir[256];
	int pins_seen; /* bpffs is mounted here: pins can be looked at */
	struct xlb_pins pins;
};

/* Half states: what xlb_iface_problems() finds. */
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
};

/* Look at everything on the interface; 0 or -errno (f is then closed). */
int xlb_iface_open(const char *ifname, int ifindex, struct xlb_iface *f);
void xlb_iface_close(struct xlb_iface *f);
unsigned int xlb_iface_problems(const struct xlb_iface *f);
/* Each problem in a sentence that ends with the command that repairs it,
 * printed as pr_warn does. */
void xlb_iface_warn(const struct xlb_iface *f, unsigned int problems);

/* xlb-load --status [IFNAME] [-j], xlb-load --prune: exit statuses. */
int xlb_status(const char *ifname, int json);
int xlb_prune(void);

#endif
