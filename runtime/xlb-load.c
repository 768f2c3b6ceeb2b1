// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-load - attach an xlbc object to an interface's XDP hook, detach it,
 * show what xlb has attached and clean up what it left.
 *
 * The XDP program is attached through a BPF link pinned in bpffs, which
 * netlink ('ip link set dev X xdp off', xdp-loader) cannot detach, and its
 * reply path (xlb_tc, when the object has one) through a pinned tcx link on
 * egress, which 'tc' cannot remove; where the kernel has no tcx, through a
 * clsact filter instead.  The program stays attached after xlb-load exits,
 * as long as its pins.  An xlb program already there is replaced
 * atomically (the link's program is swapped; a netlink attachment is
 * replaced through netlink); a program xlb did not load is left alone
 * unless --force.  The reply path goes on before the XDP program, so that
 * no request reaches a new backend whose replies would leave untranslated.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "log.h"
#include "meta.h"
#include "pins.h"
#include "status.h"
#include "xdp.h"

struct options {
	const char *object;
	const char *ifname;
	enum xlb_xdp_mode mode; /* XLB_MODE_NONE: native, else generic */
	int force;
	int detach;
	int pin;
	int reply; /* attach the reply path, if the object has one */
	int status;
	int prune;
	int json;
};

static void usage(FILE *out)
{
	fputs("Usage: xlb-load [OPTION]... OBJECT IFNAME\n"
	      "       xlb-load -d [--force] IFNAME\n"
	      "       xlb-load --status [-j] [IFNAME]\n"
	      "       xlb-load --prune\n"
	      "Attach an xlbc-compiled XDP object to a network interface, detach it,\n"
	      "show what xlb has attached, or remove what it left behind.\n"
	      "\n"
	      "  -m, --mode MODE   native or generic (default: native, falling back\n"
	      "                    to generic with a warning)\n"
	      "  -f, --force       replace or detach an XDP program xlb did not load\n"
	      "  -d, --detach      remove everything of xlb's from IFNAME\n"
	      "  -s, --status      every interface with something of xlb's, and the\n"
	      "                    pins under /sys/fs/bpf/xlb that are left over\n"
	      "  -j, --json        with --status: one JSON object\n"
	      "      --prune       remove the pins whose program is attached nowhere\n"
	      "      --no-pin      attach through netlink, pinning nothing\n"
	      "      --no-reply-path  do not attach the object's reply path (TC egress)\n"
	      "  -v, --verbose     more detail (repeat for libbpf debug output)\n"
	      "  -h, --help        show this help and exit\n"
	      "  -V, --version     show the version and exit\n"
	      "\n"
	      "See xlb-load(8).\n",
	      out);
}

/* EPERM is a missing privilege; EACCES from a load is the verifier. */
static int not_root_hint(int err)
{
	if (err == -EPERM) {
		pr_warn("permission denied: xlb-load needs root "
			"(CAP_BPF and CAP_NET_ADMIN to load and attach, CAP_SYS_ADMIN to "
			"find the attached program and to mount bpffs)\n");
		return 1;
	}
	return 0;
}

static void refuse_foreign(const struct xlb_attached *cur, const char *ifname,
			   const char *verb)
{
	pr_warn("%s already has an XDP program that xlb did not load: '%s' "
		"(id %u, %s mode); refusing to %s it. Use --force to %s it anyway, "
		"or remove it with 'ip link set dev %s xdp off'\n",
		ifname, cur->prog_name, cur->prog_id, xlb_mode_name(cur->mode),
		verb, verb, ifname);
}

/* What one run of xlb-load changes, to finish or to undo. */
struct attach_state {
	const struct options *o;
	int ifindex;
	struct xlb_iface cur; /* before */
	int pinning;	      /* pins are made in cur.pin_dir */
	int use_link;	      /* XDP (and reply path) through links */
	/* the reply path */
	enum xlb_reply_kind reply_kind; /* the new one's */
	int tcx_fd;			/* a new or updated tcx link */
	int tcx_new;			/* created by this run */
	__u32 reply_prog_id;
	/* the XDP program */
	int xdp_link_fd;
	__u32 xdp_link_id;
	enum xlb_xdp_mode mode;
};

static int pin_or_say(struct attach_state *s, int fd, enum xlb_pin pin)
{
	int err = xlb_pin(fd, s->cur.pin_dir, pin);

	if (err)
		pr_warn("cannot pin %s/%s: %s; a link that is not pinned goes "
			"when xlb-load exits. --no-pin attaches through netlink "
			"instead\n",
			s->cur.pin_dir, xlb_pin_name(pin), xlb_errstr(err));
	return err;
}

static int prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : (int)info.id;
}

/* Attach the new reply path: update xlb's tcx link, or make one, or (no
 * links, or no tcx in the kernel) replace xlb's clsact filter. */
static int attach_reply(struct attach_state *s, int tc_fd)
{
	const struct xlb_reply *old = &s->cur.reply;
	const char *no_tcx = getenv("XLB_NO_TCX");
	LIBBPF_OPTS(bpf_link_update_opts, uopts, .flags = BPF_F_REPLACE);
	int err, old_fd;

	s->reply_prog_id = (__u32)prog_id_of(tc_fd);
	if (s->use_link && !(no_tcx && *no_tcx && strcmp(no_tcx, "0"))) {
		if (old->kind == XLB_REPLY_TCX && old->link_id) {
			s->tcx_fd = bpf_link_get_fd_by_id(old->link_id);
			old_fd = bpf_prog_get_fd_by_id(old->prog_id);
			uopts.old_prog_fd = old_fd < 0 ? 0 : (__u32)old_fd;
			err = s->tcx_fd < 0 || old_fd < 0 ||
					      bpf_link_update(s->tcx_fd, tc_fd,
							      &uopts)
				      ? -errno
				      : 0;
			if (old_fd >= 0)
				close(old_fd);
			if (!err) {
				s->reply_kind = XLB_REPLY_TCX;
				/* a link no pin holds: pin it now */
				if (s->pinning &&
				    s->cur.pins.tcx_link.id != old->link_id)
					return pin_or_say(s, s->tcx_fd,
							  XLB_PIN_TCX_LINK);
				return 0;
			}
			pr_warn("cannot replace the reply path in tcx link %u on "
				"%s: %s\n",
				old->link_id, s->o->ifname, xlb_errstr(err));
			return err;
		}
		/* a new link needs a pin to outlive xlb-load */
		if (!s->pinning)
			goto clsact;
		s->tcx_fd = bpf_link_create(tc_fd, s->ifindex, XLB_TCX_EGRESS,
					    NULL);
		if (s->tcx_fd >= 0) {
			s->tcx_new = 1;
			s->reply_kind = XLB_REPLY_TCX;
			if (s->pinning &&
			    pin_or_say(s, s->tcx_fd, XLB_PIN_TCX_LINK))
				return -1;
			return 0;
		}
		err = -errno;
		if (err != -EINVAL && err != -EOPNOTSUPP) {
			if (!not_root_hint(err))
				pr_warn("cannot attach the reply path to %s "
					"egress through tcx: %s\n",
					s->o->ifname, xlb_errstr(err));
			return err;
		}
		pr_debug("no tcx in this kernel (%s): the reply path goes on "
			 "as a clsact filter\n",
			 xlb_errstr(err));
	}
clsact:
	s->reply_kind = XLB_REPLY_CLSACT;
	err = xlb_tc_attach(s->ifindex, tc_fd);
	if (err && !not_root_hint(err))
		pr_warn("cannot attach the reply path to %s egress: %s; "
			"--no-reply-path loads the program without it\n",
			s->o->ifname, xlb_errstr(err));
	return err;
}

/* Undo attach_reply(): the reply path as it was before. */
static void restore_reply(struct attach_state *s)
{
	const struct xlb_reply *old = &s->cur.reply;
	int fd, err = 0;

	if (s->tcx_fd >= 0 && s->tcx_new) {
		bpf_link_detach(s->tcx_fd);
		if (s->pinning) /* its pin, now that of a detached link */
			xlb_unpin(s->cur.pin_dir, XLB_PIN_TCX_LINK, 0);
		return;
	}
	if (s->reply_kind == XLB_REPLY_NONE)
		return;
	if (s->reply_kind == XLB_REPLY_CLSACT && old->kind != XLB_REPLY_CLSACT) {
		err = xlb_tc_detach(s->ifindex);
	} else if (old->prog_id) {
		fd = bpf_prog_get_fd_by_id(old->prog_id);
		if (fd < 0)
			err = -errno;
		else if (s->reply_kind == XLB_REPLY_TCX)
			err = bpf_link_update(s->tcx_fd, fd, NULL) ? -errno : 0;
		else
			err = xlb_tc_attach(s->ifindex, fd);
		if (fd >= 0)
			close(fd);
	}
	if (err)
		pr_warn("warning: cannot put back the reply path %u on %s "
			"egress: %s\n",
			old->prog_id, s->o->ifname, xlb_errstr(err));
}

/* Take xlb's reply path r off ifname's egress, or say why it cannot be
 * ("cannot remove WHAT ..."): 0 or -errno. */
static int remove_reply(const char *ifname, int ifindex,
			const struct xlb_reply *r, const char *what)
{
	int err = xlb_reply_remove(ifindex, r);

	if (!err || not_root_hint(err))
		return err;
	if (r->kind == XLB_REPLY_TCX && !r->link_id)
		pr_warn("cannot remove %s (program %u) from %s egress: it is "
			"on tcx without a link, which xlb-load never does; "
			"remove it with the tool that attached it\n",
			what, r->prog_id, ifname);
	else
		pr_warn("cannot remove %s (program %u) from %s egress: %s\n",
			what, r->prog_id, ifname, xlb_errstr(err));
	return err;
}

/* Take the old reply path off once the new XDP program is on, when the
 * new one is not in its place (another kind, another link, or none). */
static int drop_old_reply(struct attach_state *s)
{
	const struct xlb_reply *old = &s->cur.reply;

	if (old->kind == XLB_REPLY_NONE)
		return 0;
	if (old->kind == s->reply_kind &&
	    (old->kind == XLB_REPLY_CLSACT || !s->tcx_new))
		return 0;
	if (remove_reply(s->o->ifname, s->ifindex, old, "the old reply path")) {
		pr_warn("%s: the new XDP program is attached, beside "
			"the old reply path (program %u), which translates the "
			"answers of the old rules\n",
			s->o->ifname, old->prog_id);
		return 1;
	}
	return 0;
}

static int attach_new_link(struct attach_state *s, int prog_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts);

	lopts.flags = xlb_mode_flag(s->mode);
	s->xdp_link_fd = bpf_link_create(prog_fd, s->ifindex, BPF_XDP, &lopts);
	return s->xdp_link_fd < 0 ? -errno : 0;
}

static int attach_new_netlink(struct attach_state *s, int prog_fd)
{
	return bpf_xdp_attach(s->ifindex, prog_fd,
			      xlb_mode_flag(s->mode) |
				      XDP_FLAGS_UPDATE_IF_NOEXIST,
			      NULL);
}

/* Attach the XDP program where nothing is: native mode, else generic. */
static int attach_new(struct attach_state *s, int prog_fd)
{
	const struct options *o = s->o;
	int (*how)(struct attach_state *, int) =
		s->use_link ? attach_new_link : attach_new_netlink;
	int err;

	s->mode = o->mode != XLB_MODE_NONE ? o->mode : XLB_MODE_NATIVE;
	err = how(s, prog_fd);
	if (err && o->mode == XLB_MODE_NONE && err != -EPERM &&
	    err != -EEXIST && err != -EBUSY) {
		pr_warn("warning: native XDP is not available on %s (%s); "
			"attaching in generic mode, which is slower. Use --mode "
			"native to insist\n",
			o->ifname, xlb_errstr(err));
		s->mode = XLB_MODE_GENERIC;
		err = how(s, prog_fd);
	}
	if (err && !not_root_hint(err)) {
		if (err == -EEXIST || err == -EBUSY)
			pr_warn("%s got an XDP program while xlb-load was working; "
				"run xlb-load again\n",
				o->ifname);
		else if (o->mode == XLB_MODE_NATIVE)
			pr_warn("cannot attach in native mode to %s: %s; the driver "
				"may not support XDP, try --mode generic\n",
				o->ifname, xlb_errstr(err));
		else
			pr_warn("cannot attach the XDP program to %s: %s\n",
				o->ifname, xlb_errstr(err));
		return err;
	}
	if (s->use_link) {
		struct xlb_link l;

		xlb_link_info(s->xdp_link_fd, &l);
		s->xdp_link_id = l.id;
		if (s->pinning &&
		    pin_or_say(s, s->xdp_link_fd, XLB_PIN_XDP_LINK)) {
			bpf_link_detach(s->xdp_link_fd);
			return -1;
		}
	}
	return 0;
}

/* After a replacement in an XDP link that then could not be pinned: the
 * old program back in the link, so that a failure changes nothing (the
 * caller puts the old reply path back).  -EEXIST when the old program is
 * back; 0 when it cannot be, and the new one stays. */
static int put_back(struct attach_state *s, int prog_fd)
{
	const struct xlb_attached *cur = &s->cur.xdp;
	LIBBPF_OPTS(bpf_link_update_opts, uopts, .flags = BPF_F_REPLACE,
		    .old_prog_fd = (__u32)prog_fd);

	if (!bpf_link_update(s->xdp_link_fd, cur->prog_fd, &uopts)) {
		pr_warn("%s: program %u is back in XDP link %u; nothing was "
			"replaced\n",
			s->o->ifname, cur->prog_id, cur->link_id);
		return -EEXIST;
	}
	pr_warn("warning: cannot put program %u back in XDP link %u on %s "
		"(%s): the new program stays, in a link that no pin of xlb's "
		"holds\n",
		cur->prog_id, cur->link_id, s->o->ifname, xlb_errstr(-errno));
	return 0;
}

/* Put prog_fd where the current program is, in one step: in its link, or
 * through netlink with XDP_FLAGS_REPLACE. */
static int replace(struct attach_state *s, int prog_fd)
{
	const struct xlb_attached *cur = &s->cur.xdp;
	const struct options *o = s->o;
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts, .old_prog_fd = cur->prog_fd);
	LIBBPF_OPTS(bpf_link_update_opts, uopts, .flags = BPF_F_REPLACE,
		    .old_prog_fd = (__u32)cur->prog_fd);
	int err;

	if (o->mode != XLB_MODE_NONE && o->mode != cur->mode) {
		pr_warn("%s runs its XDP program in %s mode; a replacement in "
			"%s mode cannot be atomic. Detach first "
			"(xlb-load -d %s), or leave out --mode\n",
			o->ifname, xlb_mode_name(cur->mode),
			xlb_mode_name(o->mode), o->ifname);
		return -EINVAL;
	}
	s->mode = cur->mode;
	if (cur->link_id) {
		s->xdp_link_id = cur->link_id;
		s->xdp_link_fd = bpf_link_get_fd_by_id(cur->link_id);
		err = s->xdp_link_fd < 0 ||
				      bpf_link_update(s->xdp_link_fd, prog_fd,
						      &uopts)
			      ? -errno
			      : 0;
		/* a link no pin holds (its holder would take it along) */
		if (!err && s->pinning &&
		    (s->cur.pins.xdp_link.id != cur->link_id) &&
		    pin_or_say(s, s->xdp_link_fd, XLB_PIN_XDP_LINK))
			return put_back(s, prog_fd);
	} else {
		err = bpf_xdp_attach(s->ifindex, prog_fd,
				     xlb_mode_flag(s->mode) | XDP_FLAGS_REPLACE,
				     &aopts);
	}
	if (err && !not_root_hint(err))
		pr_warn("cannot replace the XDP program on %s: %s\n", o->ifname,
			xlb_errstr(err));
	return err;
}

/* The program's pins in dir, its maps' and its reply path's. */
static void unpin_program(const char *dir)
{
	xlb_unpin(dir, XLB_PIN_PROG, 0);
	xlb_unpin(dir, XLB_PIN_STATS, 0);
	xlb_unpin(dir, XLB_PIN_META, 0);
	xlb_unpin(dir, XLB_PIN_TC, 0);
}

/* The pins of the new program, and none of the old one's. */
static void repin(struct attach_state *s, int prog_fd, int stats_fd,
		  int meta_fd, int tc_fd)
{
	const char *dir = s->cur.pin_dir;
	struct xlb_pins now;

	/* another attachment's (only --no-pin gets here): not ours to touch */
	if (s->cur.others)
		return;
	unpin_program(dir);
	/* the pins of links that were detached (the old reply path's), never
	 * of one still attached: ours stay, and a pin directory holding
	 * another interface's was refused before */
	xlb_unpin(dir, XLB_PIN_XDP_LINK, 0);
	xlb_unpin(dir, XLB_PIN_TCX_LINK, 0);
	if (!s->pinning) {
		xlb_pins_remove(dir, 0, 0);
		return;
	}
	/* the links are pinned here now, not under the name they had */
	if (s->cur.links_dir[0]) {
		xlb_pins_read(dir, &now);
		if (xlb_pins_remove(s->cur.links_dir, now.xdp_link.id,
				    now.tcx_link.id) > 0)
			pr_debug("moved the pins from %s\n", s->cur.links_dir);
	}
	/* all or none: never the new program beside old maps */
	if (xlb_pin(prog_fd, dir, XLB_PIN_PROG) ||
	    xlb_pin(stats_fd, dir, XLB_PIN_STATS) ||
	    xlb_pin(meta_fd, dir, XLB_PIN_META) ||
	    (tc_fd >= 0 && xlb_pin(tc_fd, dir, XLB_PIN_TC))) {
		pr_warn("warning: cannot pin the program and its maps in %s: "
			"%s\n",
			dir, strerror(errno));
		unpin_program(dir);
		return;
	}
	pr_debug("pinned in %s\n", dir);
}

/* Whether xlb's XDP program is attached through a link, and a pin holds
 * that link or the reply path's tcx link: a replacement goes into both, and
 * only their pins keep them attached once xlb-load exits. */
static int held_by_pins(const struct xlb_iface *f)
{
	return f->xdp.link_id && f->pinned;
}

/* Decide whether pins (and so links) can be used; take the lock. */
static int prepare_pins(const struct options *o, int *lock)
{
	int err;

	*lock = -1;
	if (!o->pin)
		return 0;
	err = xlb_bpffs_ensure();
	if (err == -EXDEV) {
		pr_warn("warning: no bpffs at " XLB_BPFFS " in this mount "
			"namespace ('ip netns exec' makes one without it), and "
			"pins made here would go with it: xlb-load pins nothing "
			"and makes no new link; what it attaches anew goes "
			"through netlink and a clsact filter, which other tools "
			"can remove from %s. 'nsenter --net=/run/netns/NAME' "
			"keeps the host's bpffs\n",
			o->ifname);
		return 0;
	}
	if (!err) {
		*lock = xlb_pins_lock();
		if (*lock >= 0)
			return 1;
		err = *lock;
	}
	pr_warn("warning: cannot use bpffs at " XLB_BPFFS " (%s): attaching "
		"through netlink, unpinned\n",
		xlb_errstr(err));
	return 0;
}

static int do_load(const struct options *o, int ifindex)
{
	struct bpf_object *obj = NULL;
	struct bpf_program *prog, *tc_prog;
	struct xlb_meta meta = { 0 };
	struct xlb_attach_rec rec = { 0 };
	struct attach_state s = { .o = o,
				  .ifindex = ifindex,
				  .tcx_fd = -1,
				  .xdp_link_fd = -1 };
	const struct xlb_attached *cur = &s.cur.xdp;
	int err, ret = 1, prog_fd, stats_fd, meta_fd, tc_fd = -1, lock = -1;
	int have_cur = 0, made = 0, stray;
	unsigned int half;

	obj = xlb_object_open(o->object, &meta);
	if (!obj)
		return 1;
	prog = bpf_object__find_program_by_name(obj, XLB_PROG_NAME);
	tc_prog = bpf_object__find_program_by_name(obj, XLB_TC_PROG_NAME);
	if (tc_prog && !o->reply) {
		bpf_program__set_autoload(tc_prog, false);
		tc_prog = NULL;
	}
	err = xlb_object_load(obj, o->object);
	if (err) {
		not_root_hint(err);
		goto out;
	}
	prog_fd = bpf_program__fd(prog);
	stats_fd =
		bpf_map__fd(bpf_object__find_map_by_name(obj, XLB_STATS_MAP));
	meta_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, XLB_META_MAP));
	if (tc_prog) {
		tc_fd = bpf_program__fd(tc_prog);
		rec.reply_prog_id = (__u32)prog_id_of(tc_fd);
	}
	/* The program never reads its metadata: bind it, so that anyone can
	 * find it from the attached program; and the record of its reply
	 * path and of where both go, so that anyone can tell when the reply
	 * path is missing, and whose pins are whose. */
	rec.ifindex = (__u32)ifindex;
	xlb_netns_self(&rec.netns_cookie, &rec.netns_ino);
	err = bpf_prog_bind_map(prog_fd, meta_fd, NULL) ? -errno : 0;
	if (!err)
		err = xlb_attach_rec_bind(prog_fd, tc_fd, &rec);
	if (err) {
		pr_warn("cannot bind the metadata of '%s' to its program: %s\n",
			o->object, xlb_errstr(err));
		goto out;
	}

	s.pinning = prepare_pins(o, &lock);
	err = xlb_iface_open(o->ifname, ifindex, &s.cur);
	if (err) {
		if (!not_root_hint(err))
			pr_warn("cannot query the XDP program of %s: %s\n",
				o->ifname, xlb_errstr(err));
		goto out;
	}
	have_cur = 1;
	if (cur->prog_id && !cur->is_xlb && !o->force) {
		refuse_foreign(cur, o->ifname, "replace");
		goto out;
	}
	if (!o->pin && held_by_pins(&s.cur)) {
		pr_warn("%s's XDP program is attached through a BPF link, and "
			"pins in %s hold its links: replaced in its link with "
			"--no-pin, it would have no pin left to hold it and "
			"would be detached when xlb-load exits. Refusing. Leave "
			"out --no-pin to replace it in its link; or detach it "
			"first (xlb-load -d %s), then --no-pin attaches through "
			"netlink\n",
			o->ifname,
			s.cur.links_dir[0] ? s.cur.links_dir : s.cur.pin_dir,
			o->ifname);
		goto out;
	}
	/* pins go in the interface's directory, by name: never over
	 * another attachment's links */
	if (s.pinning && s.cur.others) {
		xlb_iface_warn(&s.cur, XLB_HALF_OTHERS_PINS);
		pr_warn("refusing to attach to %s: its pins would take the place "
			"of those. Load again once they are gone; --no-pin "
			"attaches without pins\n",
			o->ifname);
		goto out;
	}
	half = xlb_iface_problems(&s.cur) & ~XLB_HALF_OTHERS_PINS;
	if (half) {
		xlb_iface_warn(&s.cur, half);
		pr_info("%s: the new program replaces all of it\n", o->ifname);
	}
	/* A replacement keeps the kind of attachment it replaces: only
	 * then is it one step. */
	s.use_link = cur->prog_id ? cur->link_id != 0 : s.pinning;
	if (cur->prog_id && !cur->link_id && s.pinning)
		pr_warn("warning: the program on %s was attached through "
			"netlink (by an older xlb-load, --no-pin or --force); "
			"it is replaced the same way, atomically, and 'ip link "
			"set dev %s xdp off' can still detach it. To attach "
			"through a pinned link instead: xlb-load -d %s, then "
			"load again (a moment without a program)\n",
			o->ifname, o->ifname, o->ifname);
	if (s.pinning) {
		err = xlb_pins_mkdir(s.cur.pin_dir, &made);
		if (err) {
			pr_warn("cannot create %s: %s\n", s.cur.pin_dir,
				xlb_errstr(err));
			goto out;
		}
	}

	if (tc_prog && attach_reply(&s, tc_fd)) {
		restore_reply(&s);
		goto out;
	}
	err = cur->prog_id ? replace(&s, prog_fd) : attach_new(&s, prog_fd);
	if (err) {
		restore_reply(&s);
		goto out;
	}
	/* the old ruleset's reply path must not outlive it; if it does,
	 * the new program is on all the same, and pinned as such */
	stray = drop_old_reply(&s);
	repin(&s, prog_fd, stats_fd, meta_fd, tc_fd);

	if (cur->prog_id)
		pr_info("replaced program %u on %s with '%s' ", cur->prog_id,
			o->ifname, o->object);
	else
		pr_info("attached '%s' to %s ", o->object, o->ifname);
	fprintf(stderr, "(%s mode, %u rule%s from %s%s)\n",
		xlb_mode_name(s.mode), meta.nrules, meta.nrules == 1 ? "" : "s",
		meta.source ? meta.source : "?",
		tc_prog ? ", reply path on egress" : "");
	ret = stray;
out:
	/* a failed attach leaves no directory of its own behind */
	if (ret && made)
		xlb_pins_rmdir(s.cur.pin_dir, made);
	if (s.xdp_link_fd >= 0)
		close(s.xdp_link_fd);
	if (s.tcx_fd >= 0)
		close(s.tcx_fd);
	if (have_cur)
		xlb_iface_close(&s.cur);
	xlb_pins_unlock(lock);
	xlb_meta_free(&meta);
	bpf_object__close(obj);
	return ret;
}

/* Detach the XDP program, through its link or netlink. */
static int detach_xdp(const struct options *o, const struct xlb_iface *f)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts,
		    .old_prog_fd = f->xdp.prog_fd);
	int fd, err;

	if (f->xdp.link_id) {
		fd = bpf_link_get_fd_by_id(f->xdp.link_id);
		err = fd < 0 || bpf_link_detach(fd) ? -errno : 0;
		if (fd >= 0)
			close(fd);
	} else {
		err = bpf_xdp_detach(f->ifindex,
				     xlb_mode_flag(f->xdp.mode) |
					     XDP_FLAGS_REPLACE,
				     &aopts);
	}
	if (err && !not_root_hint(err))
		pr_warn("cannot detach the XDP program from %s: %s\n",
			o->ifname, xlb_errstr(err));
	return err;
}

/* Remove the pins of f's attachment in dir, saying "removed WHAT dir":
 * 1 if some are left, else 0. */
static int remove_pins(const struct xlb_iface *f, const char *dir,
		       const char *what, int *removed)
{
	if (xlb_pins_remove(dir, f->xdp.link_id, f->reply.link_id) > 0) {
		pr_info("removed %s %s\n", what, dir);
		(*removed)++;
	}
	if (access(dir, F_OK))
		return 0;
	pr_warn("cannot remove %s: it still holds files that are not xlb's, "
		"or links attached elsewhere\n",
		dir);
	return 1;
}

/* Remove whatever xlb has on the interface: the XDP program (a foreign one
 * only with --force), the reply path, the pins.  0 when something was
 * removed and nothing failed. */
static int do_detach(const struct options *o, int ifindex)
{
	struct xlb_iface f;
	const struct xlb_attached *a = &f.xdp;
	int err, removed = 0, failed = 0, lock = -1;
	int links = 0; /* links detached: pins hold them, or held them */

	if (xlb_bpffs_mounted())
		lock = xlb_pins_lock();
	err = xlb_iface_open(o->ifname, ifindex, &f);
	if (err) {
		if (!not_root_hint(err))
			pr_warn("cannot query %s: %s\n", o->ifname,
				xlb_errstr(err));
		xlb_pins_unlock(lock);
		return 1;
	}
	if (f.others)
		xlb_iface_warn(&f, XLB_HALF_OTHERS_PINS);
	if (a->prog_id && !a->is_xlb && !o->force) {
		if (f.reply.kind == XLB_REPLY_NONE && !xlb_iface_own_pins(&f) &&
		    !f.links_dir[0]) {
			refuse_foreign(a, o->ifname, "detach");
			failed = 1;
			goto out;
		}
		pr_warn("%s: leaving alone XDP program '%s' (id %u), which xlb "
			"did not load (--force detaches it too)\n",
			o->ifname, a->prog_name, a->prog_id);
	} else if (a->prog_id) {
		if (detach_xdp(o, &f)) {
			failed = 1;
		} else {
			pr_info("detached program %u ('%s') from %s\n",
				a->prog_id, a->prog_name, o->ifname);
			removed++;
			links += a->link_id != 0;
		}
	}
	if (f.reply.kind != XLB_REPLY_NONE) {
		if (remove_reply(o->ifname, ifindex, &f.reply,
				 "the reply path")) {
			failed = 1;
		} else {
			if (f.reply.kind == XLB_REPLY_TCX)
				pr_info("removed the reply path (program %u, tcx "
					"link %u) from %s egress\n",
					f.reply.prog_id, f.reply.link_id,
					o->ifname);
			else
				pr_info("removed the reply path (program %u, "
					"clsact filter) from %s egress\n",
					f.reply.prog_id, o->ifname);
			removed++;
			links += f.reply.link_id != 0;
		}
	}
	if (!f.pins_seen && links)
		pr_warn("warning: no bpffs at " XLB_BPFFS " in this mount "
			"namespace ('ip netns exec' makes one without it): the "
			"pins of %s's links, %s in the host's bpffs, are out of "
			"reach from here and stay, keeping the detached links and "
			"their programs loaded. 'xlb-load --prune' where bpffs is "
			"mounted removes them; 'nsenter --net=/run/netns/NAME' "
			"keeps the host's bpffs\n",
			o->ifname, f.pin_dir);
	if (xlb_iface_own_pins(&f))
		failed |= remove_pins(&f, f.pin_dir, "the pins in", &removed);
	if (f.links_dir[0])
		failed |= remove_pins(&f, f.links_dir,
				      "the pins of its links in", &removed);
	if (!removed && !failed) {
		pr_warn("%s has nothing of xlb's: no xlb XDP program, no reply "
			"path on egress, no pins%s in %s\n",
			o->ifname, f.others ? " of its own" : "", f.pin_dir);
		failed = 1;
	}
out:
	xlb_iface_close(&f);
	xlb_pins_unlock(lock);
	return failed;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'f' },
		{ "detach", no_argument, NULL, 'd' },
		{ "no-pin", no_argument, NULL, 'P' },
		{ "no-reply-path", no_argument, NULL, 'R' },
		{ "status", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "prune", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .pin = 1, .reply = 1 };
	int c, ifindex;

	xlb_tool_name = "xlb-load";
	while ((c = getopt_long(argc, argv, "m:fdsjvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "native") || !strcmp(optarg, "drv"))
				o.mode = XLB_MODE_NATIVE;
			else if (!strcmp(optarg, "generic") ||
				 !strcmp(optarg, "skb"))
				o.mode = XLB_MODE_GENERIC;
			else {
				pr_warn("unknown mode '%s': use native or generic\n",
					optarg);
				return 2;
			}
			break;
		case 'f':
			o.force = 1;
			break;
		case 'd':
			o.detach = 1;
			break;
		case 'P':
			o.pin = 0;
			break;
		case 'R':
			o.reply = 0;
			break;
		case 's':
			o.status = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'p':
			o.prune = 1;
			break;
		case 'v':
			xlb_verbosity++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("xlb-load (xlb) %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fputs("Try 'xlb-load --help' for more information.\n",
			      stderr);
			return 2;
		}
	}
	if (o.status + o.prune + o.detach > 1 || (o.json && !o.status)) {
		fputs("xlb-load: -d, --status and --prune go alone; -j only with "
		      "--status\nTry 'xlb-load --help' for more information.\n",
		      stderr);
		return 2;
	}
	if (o.status || o.prune) {
		if (argc - optind > o.status) {
			fprintf(stderr,
				"xlb-load: %s\nTry 'xlb-load --help' for more "
				"information.\n",
				o.prune ? "--prune takes no argument"
					: "--status takes at most one interface "
					  "name");
			return 2;
		}
		xlb_log_setup_libbpf();
		if (o.prune)
			return xlb_prune();
		return xlb_status(optind < argc ? argv[optind] : NULL, o.json);
	}
	if (argc - optind != (o.detach ? 1 : 2)) {
		fprintf(stderr,
			"xlb-load: %s\nTry 'xlb-load --help' for more information.\n",
			o.detach
				? "-d takes one interface name"
				: "an object and an interface name are needed");
		return 2;
	}
	if (!o.detach)
		o.object = argv[optind++];
	o.ifname = argv[optind];
	xlb_log_setup_libbpf();

	ifindex = (int)if_nametoindex(o.ifname);
	if (!ifindex) {
		pr_warn("no such interface '%s' in this network namespace; "
			"see 'ip link'\n",
			o.ifname);
		return 1;
	}
	return o.detach ? do_detach(&o, ifindex) : do_load(&o, ifindex);
}
