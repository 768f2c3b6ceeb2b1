/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xdp.h - what is attached to an interface, found from the kernel alone:
 * the XDP program, and for an xlb program its counters and metadata (the
 * maps bound to it).  Used by xlb-load and xlb-stats.
 */
#ifndef XLB_XDP_H
#define XLB_XDP_H

#include <linux/bpf.h>
#include <linux/types.h>

#include "meta.h"

enum xlb_xdp_mode {
	XLB_MODE_NONE = 0,
	XLB_MODE_NATIVE,
	XLB_MODE_GENERIC,
	XLB_MODE_OFFLOAD,
};

/* A small map that xlb-load binds to the XDP program it attaches and to
 * its reply path's program, saying which reply path goes with it, so that
 * every tool can tell when the reply path is missing, and where xlb-load
 * attached them, so that pins can be told from another attachment's.  An
 * older xlb-load's record has reply_prog_id only (the rest reads 0). */
#define XLB_ATTACH_MAP "xlb_attach"
struct xlb_attach_rec {
	__u32 reply_prog_id; /* 0: attached without a reply path */
	__u32 ifindex;	     /* the interface, in ... */
	__u64 netns_cookie;  /* ... this network namespace (0: unknown) */
	__u64 netns_ino;     /* its inode number in nsfs (0: unknown) */
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
	__u32 link_id; /* the XDP link attaching it; 0: through netlink */
	int has_rec; /* it has an xlb_attach map, read into rec */
	struct xlb_attach_rec rec;
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
 * BPF links.  An XDP program attached through a link, and pinned, cannot be
 * removed by netlink ('ip link set dev X xdp off' fails with EBUSY); the
 * link lives as long as its pin, and when its interface goes away it stays
 * with ifindex 0, keeping the program and its maps loaded.
 *
 * tcx (Linux 6.6) is the link-based TC hook.  Debian 12's kernel headers
 * (6.1) do not have its constants: these are the kernel's values.
 */
#define XLB_TCX_EGRESS ((enum bpf_attach_type)47)  /* BPF_TCX_EGRESS */
#define XLB_LINK_TYPE_TCX ((enum bpf_link_type)11) /* BPF_LINK_TYPE_TCX */

struct xlb_link {
	__u32 id;
	__u32 type; /* BPF_LINK_TYPE_XDP or XLB_LINK_TYPE_TCX */
	__u32 prog_id;
	__u32 ifindex; /* 0: detached (its interface is gone) */
};

/* What the link fd is: 0 or -errno. */
int xlb_link_info(int fd, struct xlb_link *l);
/* The link of that type attaching prog_id to ifindex: 0 with l->id set, or
 * 0 with l->id 0 when there is none, or -errno. */
int xlb_link_find(__u32 type, int ifindex, __u32 prog_id, struct xlb_link *l);

/*
 * The reply path: either a tcx link on the interface's egress, or (where
 * the kernel has no tcx, and for programs attached through netlink) one
 * cls_bpf filter on the clsact egress hook, at a handle and priority of
 * xlb's own ("xlb" in ASCII), so that it is found, replaced and removed
 * without touching anyone else's filters.  Either way its program is
 * named XLB_TC_PROG_NAME.
 */
#define XLB_TC_HANDLE 0x786c62u
#define XLB_TC_PRIORITY 0x786cu

/* The program id of xlb's egress filter on ifindex (0: none); 0 or -errno. */
int xlb_tc_query(int ifindex, __u32 *prog_id);
/* Attach prog_fd as xlb's egress filter, replacing the one there. */
int xlb_tc_attach(int ifindex, int prog_fd);
/* Remove xlb's egress filter; 0 if there was none. */
int xlb_tc_detach(int ifindex);

enum xlb_reply_kind {
	XLB_REPLY_NONE = 0,
	XLB_REPLY_TCX,
	XLB_REPLY_CLSACT,
};

struct xlb_reply {
	enum xlb_reply_kind kind;
	__u32 prog_id;
	__u32 link_id; /* tcx */
};

const char *xlb_reply_kind_name(enum xlb_reply_kind kind);

/* xlb's reply path on ifindex's egress (a tcx program named xlb_tc, or
 * xlb's clsact filter); r->kind XLB_REPLY_NONE when there is none.  0 or
 * -errno. */
int xlb_reply_find(int ifindex, struct xlb_reply *r);
/* Take it off: detach the tcx link or delete the filter. */
int xlb_reply_remove(int ifindex, const struct xlb_reply *r);

/* Create the map holding rec and bind it to prog_fd and, unless it is -1,
 * tc_fd.  0 or -errno. */
int xlb_attach_rec_bind(int prog_fd, int tc_fd,
			const struct xlb_attach_rec *rec);
/* The record bound to program id: 1, or 0 when it has none, or -errno. */
int xlb_prog_rec(__u32 prog_id, struct xlb_attach_rec *rec);
/* This process's network namespace: its cookie (SO_NETNS_COOKIE, 0 before
 * Linux 5.14) and inode number. */
void xlb_netns_self(__u64 *cookie, __u64 *ino);

#endif
