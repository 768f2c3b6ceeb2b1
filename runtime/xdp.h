/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xdp.h - what is attached to an interface, found from the kernel alone:
 * the XDP program, and for an xlb program its counters and metadata (the
 * maps bound to it).  Used by xlb-load and xlb-stats.
 */
#ifndef XLB_XDP_H
#define XLB_XDP_H

#include <linux/types.h>

#include "meta.h"

enum xlb_xdp_mode {
	XLB_MODE_NONE = 0,
	XLB_MODE_NATIVE,
	XLB_MODE_GENERIC,
	XLB_MODE_OFFLOAD,
};

struct xlb_attached {
	__u32 prog_id; /* 0: nothing attached */
	enum xlb_xdp_mode mode;
	char prog_name[16];
	int prog_fd; /* -1 unless opened */
	int is_xlb;  /* has xlb metadata and counters */
	int stats_fd;
	int meta_fd;
	struct xlb_meta meta;
};

const char *xlb_mode_name(enum xlb_xdp_mode mode);
/* The XDP flag for a mode (XDP_FLAGS_DRV_MODE, ...). */
__u32 xlb_mode_flag(enum xlb_xdp_mode mode);

/* Find what is attached to ifindex and, for an xlb program, open its maps
 * and read its metadata.  Returns 0 (a->prog_id is 0 when nothing is
 * attached) or a negative errno. */
int xlb_attached_open(int ifindex, struct xlb_attached *a);
void xlb_attached_close(struct xlb_attached *a);

/* Sum the per-CPU counters of every slot: out has n entries. */
int xlb_read_counters(int stats_fd, unsigned int n, struct xlb_counter *out);

/*
 * The reply path: one cls_bpf filter on the interface's clsact egress
 * hook, at a handle and priority of xlb's own ("xlb" in ASCII), so that it
 * is found, replaced and removed without touching anyone else's filters.
 */
#define XLB_TC_HANDLE 0x786c62u
#define XLB_TC_PRIORITY 0x786cu

/* The program id of xlb's egress filter on ifindex (0: none); 0 or -errno. */
int xlb_tc_query(int ifindex, __u32 *prog_id);
/* Attach prog_fd as xlb's egress filter, replacing the one there. */
int xlb_tc_attach(int ifindex, int prog_fd);
/* Remove xlb's egress filter; 0 if there was none. */
int xlb_tc_detach(int ifindex);

#define XLB_BPFFS "/sys/fs/bpf"
#define XLB_PIN_ROOT XLB_BPFFS "/xlb"
#define XLB_PIN_NETNS XLB_PIN_ROOT "/netns"

/* Make sure bpffs is mounted at /sys/fs/bpf (mount it if not). */
int xlb_bpffs_ensure(void);

/* The interface's pin directory: /sys/fs/bpf/xlb/IFNAME, or in a named
 * network namespace /sys/fs/bpf/xlb/netns/NAME/IFNAME. */
void xlb_pin_dir(const char *ifname, char *buf, size_t len);

#endif
