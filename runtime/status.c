// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * status.c - what xlb has on an interface and what it left in bpffs.
 *
 * An xlb attachment has up to three parts: the XDP program, its reply path
 * on egress, and the pins.  Other tools can take away a part xlb does not
 * hold through a pinned link (a netlink XDP program, a clsact filter), and
 * an interface or namespace can disappear under all three; what is left is
 * found here and named, with the command that clears it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "json.h"
#include "log.h"
#include "status.h"

/* nsfs's device: only a file of its has a namespace's inode number. */
static int nsfs_dev(dev_t *dev)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -1;
	*dev = st.st_dev;
	return 0;
}

/* A path to enter the network namespace with nsfs inode ino by: its name
 * in /run/netns, or a process in it; "" when there is none. */
static void netns_by_ino(unsigned long ino, char *buf, size_t len)
{
	const char *const dirs[] = { "/run/netns", "/proc" };
	struct dirent *de;
	struct stat st;
	unsigned int i;
	dev_t dev;
	DIR *d;

	buf[0] = '\0';
	if (nsfs_dev(&dev) < 0)
		return;
	for (i = 0; i < 2; i++) {
		d = opendir(dirs[i]);
		while (d && (de = readdir(d))) {
			if (i ? !isdigit((unsigned char)de->d_name[0])
			      : de->d_name[0] == '.')
				continue;
			snprintf(buf, len,
				 i ? "/proc/%s/ns/net" : "/run/netns/%s",
				 de->d_name);
			if (stat(buf, &st) == 0 && st.st_ino == ino &&
			    st.st_dev == dev) {
				closedir(d);
				return;
			}
		}
		if (d)
			closedir(d);
	}
	buf[0] = '\0';
}

/* Whether link l's program is on its interface's hook in this network
 * namespace: an interface index means nothing across namespaces. */
static int on_hook_here(const struct xlb_link *l)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, x);
	__u32 ids[64], i;
	LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids,
		    .prog_cnt = sizeof(ids) / sizeof(ids[0]));

	if (l->type == BPF_LINK_TYPE_XDP)
		return !bpf_xdp_query((int)l->ifindex, 0, &x) &&
		       (x.drv_prog_id == l->prog_id ||
			x.skb_prog_id == l->prog_id ||
			x.hw_prog_id == l->prog_id);
	if (bpf_prog_query_opts((int)l->ifindex, XLB_TCX_EGRESS, &q))
		return 0;
	for (i = 0; i < q.prog_cnt; i++)
		if (ids[i] == l->prog_id)
			return 1;
	return 0;
}

/* Whose attached link l is: an interface of this namespace (renamed
 * since it was pinned), or of another one, by the record xlb-load bound
 * to its program and by asking the hooks here. */
static void find_owner(const struct xlb_link *l, struct xlb_owner *o)
{
	struct xlb_attach_rec rec;
	__u64 cookie, ino;
	int here = -1; /* unknown: an older xlb-load's record */

	memset(o, 0, sizeof(*o));
	o->link = *l;
	xlb_netns_self(&cookie, &ino);
	if (xlb_prog_rec(l->prog_id, &rec) > 0) {
		if (rec.netns_cookie && cookie)
			here = rec.netns_cookie == cookie;
		else if (rec.netns_ino)
			here = rec.netns_ino == ino;
	}
	if (here != 0 && if_indextoname(l->ifindex, o->name) && on_hook_here(l))
		return;
	o->name[0] = '\0';
	if (here == 0 && rec.netns_ino) {
		o->netns_ino = rec.netns_ino;
		netns_by_ino((unsigned long)rec.netns_ino, o->netns_path,
			     sizeof(o->netns_path));
	}
}

/* Tell the pin directory's links from the interface's own, and find where
 * the interface's own are pinned when not there. */
static void find_pins(struct xlb_iface *f)
{
	const struct xlb_pins *p = &f->pins;
	const unsigned int x = 1u << XLB_PIN_XDP_LINK,
			   t = 1u << XLB_PIN_TCX_LINK;
	__u32 want_x = 0, want_t = 0;

	if (p->xdp_link.ifindex && p->xdp_link.id != f->xdp.link_id)
		f->others |= x;
	if (p->tcx_link.ifindex && p->tcx_link.id != f->reply.link_id)
		f->others |= t;
	if (f->others)
		find_owner(f->others & x ? &p->xdp_link : &p->tcx_link,
			   &f->owner);
	if (f->xdp.link_id && p->xdp_link.id == f->xdp.link_id)
		f->pinned |= x;
	else
		want_x = f->xdp.link_id;
	if (f->reply.link_id && p->tcx_link.id == f->reply.link_id)
		f->pinned |= t;
	else
		want_t = f->reply.link_id;
	f->pinned |= xlb_pins_find_links(want_x, want_t, f->pin_dir,
					 f->links_dir, sizeof(f->links_dir));
}

int xlb_iface_open(const char *ifname, int ifindex, struct xlb_iface *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->xdp.prog_fd = f->xdp.stats_fd = f->xdp.meta_fd = -1;
	f->ifindex = ifindex;
	snprintf(f->name, sizeof(f->name), "%s", ifname);
	err = xlb_attached_open(ifindex, &f->xdp);
	if (!err)
		err = xlb_reply_find(ifindex, &f->reply);
	if (err) {
		xlb_iface_close(f);
		return err;
	}
	xlb_pin_dir(ifname, f->pin_dir, sizeof(f->pin_dir));
	f->pins_seen = xlb_bpffs_mounted();
	xlb_pins_read(f->pin_dir, &f->pins);
	if (f->pins_seen)
		find_pins(f);
	return 0;
}

void xlb_iface_close(struct xlb_iface *f)
{
	xlb_attached_close(&f->xdp);
}

static int has_xlb_xdp(const struct xlb_iface *f)
{
	return f->xdp.prog_id && f->xdp.is_xlb;
}

unsigned int xlb_iface_problems(const struct xlb_iface *f)
{
	const struct xlb_pins *p = &f->pins;
	unsigned int n = 0;

	if (f->others)
		n |= XLB_HALF_OTHERS_PINS;
	if (!has_xlb_xdp(f)) {
		if (f->reply.kind != XLB_REPLY_NONE)
			n |= XLB_HALF_REPLY_ONLY;
		if (p->present && !f->others)
			n |= XLB_HALF_PINS_ONLY;
		return n;
	}
	/* an xlb-load older than the attach record: nothing to compare */
	if (f->xdp.has_rec) {
		if (f->xdp.rec.reply_prog_id &&
		    f->reply.kind == XLB_REPLY_NONE)
			n |= XLB_HALF_NO_REPLY;
		else if (f->reply.kind != XLB_REPLY_NONE &&
			 f->reply.prog_id != f->xdp.rec.reply_prog_id)
			n |= XLB_HALF_STRAY_REPLY;
	}
	if (f->pins_seen && (((f->xdp.link_id ? 1u << XLB_PIN_XDP_LINK : 0) |
			      (f->reply.link_id ? 1u << XLB_PIN_TCX_LINK : 0)) &
			     ~f->pinned))
		n |= XLB_HALF_UNPINNED;
	if (f->links_dir[0])
		n |= XLB_HALF_PINNED_ELSEWHERE;
	return n;
}

/* "program 12 (tcx link 13)" */
static void reply_desc(const struct xlb_reply *r, char *buf, size_t len)
{
	if (r->kind == XLB_REPLY_TCX && r->link_id)
		snprintf(buf, len, "program %u, tcx link %u", r->prog_id,
			 r->link_id);
	else
		snprintf(buf, len, "program %u, %s", r->prog_id,
			 r->kind == XLB_REPLY_TCX ? "tcx" : "clsact filter");
}

/* Room for the sentence of any problem, paths and all. */
#define EXPLAIN_LEN 2048

/* "XDP link 12 and tcx link 13": the links of which (1 << enum xlb_pin)
 * in p. */
static void links_desc(const struct xlb_pins *p, unsigned int which, char *buf,
		       size_t len)
{
	const unsigned int x = 1u << XLB_PIN_XDP_LINK,
			   t = 1u << XLB_PIN_TCX_LINK;

	if ((which & (x | t)) == (x | t))
		snprintf(buf, len, "XDP link %u and tcx link %u",
			 p->xdp_link.id, p->tcx_link.id);
	else if (which & x)
		snprintf(buf, len, "XDP link %u", p->xdp_link.id);
	else
		snprintf(buf, len, "tcx link %u", p->tcx_link.id);
}

/* XLB_HALF_OTHERS_PINS: whose the links are and what removes them. */
static void explain_others(const struct xlb_iface *f, char *buf, size_t len)
{
	const struct xlb_owner *o = &f->owner;
	char links[64], ns[48] = "", fix[200];

	links_desc(&f->pins, f->others, links, sizeof(links));
	if (o->name[0]) {
		snprintf(buf, len,
			 "%s holds the %s of xlb on %s (ifindex %u) in this "
			 "namespace, pinned when that interface was named %s: "
			 "they are not this %s's, and xlb-load leaves them "
			 "alone. 'xlb-load -d %s' removes that attachment, "
			 "'xlb-load OBJECT %s' pins it under its own name",
			 f->pin_dir, links, o->name, o->link.ifindex, f->name,
			 f->name, o->name, o->name);
		return;
	}
	if (o->netns_ino)
		snprintf(ns, sizeof(ns), " (inode %llu)",
			 (unsigned long long)o->netns_ino);
	if (o->netns_path[0])
		snprintf(fix, sizeof(fix),
			 "'nsenter --net=%s xlb-load -d %s' removes that "
			 "attachment, and its pins",
			 o->netns_path, f->name);
	else
		snprintf(fix, sizeof(fix),
			 "They go when that namespace does, and 'xlb-load "
			 "--prune' then removes them");
	snprintf(buf, len,
		 "%s holds the %s of xlb on ifindex %u of another network "
		 "namespace%s: the interface was moved there, or the "
		 "namespace that had this one's name was deleted while a "
		 "process kept it, and the name given again. They are not "
		 "%s's, and xlb-load leaves them alone. %s",
		 f->pin_dir, links, o->link.ifindex, ns, f->name, fix);
}

/* The sentences of xlb_iface_warn(), one per problem, each in buf. */
static void explain(const struct xlb_iface *f, unsigned int problem,
		    char *buf, size_t len)
{
	const char *n = f->name;
	char r[64];

	reply_desc(&f->reply, r, sizeof(r));
	switch (problem) {
	case XLB_HALF_REPLY_ONLY:
		snprintf(buf, len,
			 "half attached: xlb's reply path (%s) is on %s's "
			 "egress without xlb's XDP program: answers are "
			 "rewritten, requests are not. 'xlb-load -d %s' "
			 "removes it",
			 r, n, n);
		break;
	case XLB_HALF_PINS_ONLY:
		snprintf(buf, len,
			 "xlb's pins are left in %s without its XDP program on "
			 "%s; 'xlb-load -d %s' removes them",
			 f->pin_dir, n, n);
		break;
	case XLB_HALF_NO_REPLY:
		snprintf(buf, len,
			 "half attached: the reply path of XDP program %u "
			 "(program %u) is not on %s's egress: requests are "
			 "rewritten, answers are not. 'xlb-load OBJECT %s' "
			 "attaches both again, 'xlb-load -d %s' removes the "
			 "rest",
			 f->xdp.prog_id, f->xdp.rec.reply_prog_id, n, n, n);
		break;
	case XLB_HALF_STRAY_REPLY:
		snprintf(buf, len,
			 "the reply path on %s's egress (%s) is not the one XDP "
			 "program %u goes with (%s); 'xlb-load OBJECT %s' "
			 "attaches both again, 'xlb-load -d %s' removes both",
			 n, r, f->xdp.prog_id,
			 f->xdp.rec.reply_prog_id ? "another" : "none", n, n);
		break;
	case XLB_HALF_UNPINNED:
		snprintf(buf, len,
			 "a link attaching xlb on %s is not pinned in %s, nor "
			 "anywhere else under " XLB_PIN_ROOT ": it goes when "
			 "the process holding it exits. 'xlb-load OBJECT %s' "
			 "attaches and pins anew",
			 n, f->pin_dir, n);
		break;
	case XLB_HALF_PINNED_ELSEWHERE:
		snprintf(buf, len,
			 "the links attaching xlb on %s are pinned in %s, not "
			 "in %s: the interface or its namespace had another "
			 "name when xlb-load pinned them. 'xlb-load OBJECT %s' "
			 "attaches anew and pins them in %s; 'xlb-load -d %s' "
			 "removes it, pins and all",
			 n, f->links_dir, f->pin_dir, n, f->pin_dir, n);
		break;
	case XLB_HALF_OTHERS_PINS:
		explain_others(f, buf, len);
		break;
	default:
		buf[0] = '\0';
	}
}

void xlb_iface_warn(const struct xlb_iface *f, unsigned int problems)
{
	unsigned int bit;
	char buf[EXPLAIN_LEN];

	for (bit = 1; bit && bit <= problems; bit <<= 1) {
		if (!(problems & bit))
			continue;
		explain(f, bit, buf, sizeof(buf));
		pr_warn("%s: %s\n", f->name, buf);
	}
}

/* --- orphans -------------------------------------------------------------- */

enum verdict {
	LIVE,	 /* attached somewhere, or not xlb's to judge */
	ORPHAN,	 /* provably attached nowhere: prune removes it */
	HALF,	 /* one link detached, the other not */
	UNKNOWN, /* cannot be told from here */
};

/* A pin directory found under XLB_PIN_ROOT. */
struct pindir {
	char path[300];
	char ns[256]; /* namespace directory name; "" for the initial one */
	char ifname[256];
	struct xlb_pins pins;
	enum verdict verdict;
	char why[400];
};

/* The path of a network namespace that a pin directory's namespace name
 * stands for, or "" if there is none to enter: /run/netns/NAME, a
 * /proc/PID/ns/net with that inode number, /proc/1/ns/net. */
static void ns_path(const char *ns, char *buf, size_t len)
{
	struct stat st;
	unsigned long ino;
	char *end;

	buf[0] = '\0';
	if (!*ns) {
		snprintf(buf, len, "/proc/1/ns/net");
		return;
	}
	ino = strtoul(ns, &end, 10);
	if (*end || !ino) {
		snprintf(buf, len, "/run/netns/%s", ns);
		if (stat(buf, &st) < 0)
			buf[0] = '\0';
		return;
	}
	netns_by_ino(ino, buf, len);
}

/* What to look at in another network namespace, and where to say it. */
struct look {
	const char *ifname;		  /* a pin directory's name */
	const struct xlb_pins *p;	  /* and what it holds */
	const struct xlb_attach_rec *rec; /* its program's record, or NULL */
	char *buf;
	size_t len;
};

/* Run fn(l) in the network namespace at path, and come back: what fn
 * returns, or -1 when the namespace cannot be entered. */
static int in_netns(const char *path, int (*fn)(struct look *l), struct look *l)
{
	int self, other, ret = -1;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	other = open(path, O_RDONLY | O_CLOEXEC);
	if (self >= 0 && other >= 0 && setns(other, CLONE_NEWNET) == 0) {
		ret = fn(l);
		if (setns(self, CLONE_NEWNET) < 0) {
			/* cannot happen with the privileges that got us
			 * there */
			pr_warn("cannot return to the network namespace: %s\n",
				strerror(errno));
			exit(1);
		}
	}
	if (self >= 0)
		close(self);
	if (other >= 0)
		close(other);
	return ret;
}

static int attached_here(struct look *l)
{
	int ifindex = (int)if_nametoindex(l->ifname), ret = 0;
	struct xlb_attached a;
	__u32 tc = 0;

	if (ifindex && xlb_attached_open(ifindex, &a) == 0) {
		ret = a.prog_id && a.prog_id == l->p->prog_id;
		xlb_attached_close(&a);
	}
	if (ifindex && l->p->tc_id && !xlb_tc_query(ifindex, &tc) &&
	    tc == l->p->tc_id)
		ret = 1;
	return ret;
}

/* Links that are all detached: what became of their interface, seen from
 * the namespace they were pinned for. */
static int why_detached(struct look *l)
{
	const struct xlb_attach_rec *r = l->rec;
	char name[IF_NAMESIZE] = "";
	__u64 cookie, ino;

	xlb_netns_self(&cookie, &ino);
	if (r && r->netns_cookie && cookie && r->netns_cookie != cookie) {
		snprintf(l->buf, l->len,
			 "the network namespace they were attached in is "
			 "gone, and another one has its name");
		return 0;
	}
	if (r && r->ifindex) {
		if (!if_indextoname(r->ifindex, name))
			name[0] = '\0';
	} else if (if_nametoindex(l->ifname)) {
		snprintf(name, sizeof(name), "%s", l->ifname);
	}
	if (!name[0])
		snprintf(l->buf, l->len, "the interface is gone");
	else
		snprintf(l->buf, l->len,
			 "%s is still there: the links were detached from it "
			 "(by 'bpftool link detach', or by 'xlb-load -d' where "
			 "these pins were out of reach, as under 'ip netns "
			 "exec')",
			 name);
	return 0;
}

/* Whether the pinned programs of a netlink attachment are attached to
 * ifname in the namespace at path: 1, 0, or -1 when that cannot be told. */
static int attached_in(const char *path, const char *ifname,
		       const struct xlb_pins *p)
{
	struct look l = { ifname, p, NULL, NULL, 0 };

	return in_netns(path, attached_here, &l);
}

/* This namespace's pin directories: OWN/IFNAME. */
static const char *own_prefix(void)
{
	static char own[256];

	if (!own[0]) {
		xlb_pin_dir("", own, sizeof(own));
		own[strlen(own) - 1] = '\0'; /* the trailing slash */
	}
	return own;
}

static int in_own_ns(const char *path)
{
	size_t n = strlen(own_prefix());

	return !strncmp(path, own_prefix(), n) && path[n] == '/' &&
	       !strchr(path + n + 1, '/');
}

/* Made in the last few seconds: an older xlb-load, which takes no lock,
 * may be about to pin into it. */
static int just_made(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && time(NULL) - st.st_mtime < 10;
}

/* The namespace a pin directory is for, to enter it by; "" when it no
 * longer exists. */
static void dir_ns_path(const struct pindir *d, char *path, size_t len)
{
	if (in_own_ns(d->path))
		snprintf(path, len, "/proc/self/ns/net");
	else
		ns_path(d->ns, path, len);
}

/* Why all the links pinned in d are detached. */
static void links_gone(const struct pindir *d, char *buf, size_t len)
{
	const struct xlb_pins *p = &d->pins;
	struct xlb_attach_rec rec;
	struct look l = { d->ifname, p, NULL, buf, len };
	char path[300];

	dir_ns_path(d, path, sizeof(path));
	if (*d->ns && !path[0]) {
		snprintf(buf, len, "its namespace no longer exists");
		return;
	}
	if (xlb_prog_rec(p->xdp_link.id ? p->xdp_link.prog_id
					: p->tcx_link.prog_id,
			 &rec) > 0)
		l.rec = &rec;
	if (!path[0] || in_netns(path, why_detached, &l) < 0)
		snprintf(buf, len,
			 "the interface or its namespace is gone, or the "
			 "links were detached");
}

static void judge(struct pindir *d)
{
	const struct xlb_pins *p = &d->pins;
	int x, t, xdead, tdead, on;
	char path[300], gone[300];

	xlb_pins_read(d->path, &d->pins);
	x = !!(p->have & 1u << XLB_PIN_XDP_LINK);
	t = !!(p->have & 1u << XLB_PIN_TCX_LINK);
	xdead = x && !p->xdp_link.ifindex;
	tdead = t && !p->tcx_link.ifindex;
	d->verdict = LIVE;
	d->why[0] = '\0';
	if (!p->present)
		return;
	if (x || t) {
		if ((!x || xdead) && (!t || tdead)) {
			links_gone(d, gone, sizeof(gone));
			d->verdict = ORPHAN;
			snprintf(d->why, sizeof(d->why),
				 "detached link%s (%s%s%s): %s",
				 x && t ? "s" : "", x ? "XDP" : "",
				 x && t ? ", " : "", t ? "tcx" : "", gone);
		} else if (xdead || tdead) {
			d->verdict = HALF;
			snprintf(d->why, sizeof(d->why),
				 "half attached: the %s link is detached, the "
				 "%s link %u is not; 'xlb-load -d %s' in its "
				 "namespace removes it",
				 xdead ? "XDP" : "tcx", xdead ? "tcx" : "XDP",
				 xdead ? p->tcx_link.id : p->xdp_link.id,
				 d->ifname);
		}
		return;
	}
	if (p->have & (1u << XLB_PIN_PROG | 1u << XLB_PIN_TC)) {
		dir_ns_path(d, path, sizeof(path));
		if (!path[0]) {
			d->verdict = ORPHAN;
			snprintf(d->why, sizeof(d->why),
				 "namespace %s no longer exists", d->ns);
			return;
		}
		on = attached_in(path, d->ifname, p);
		if (on < 0) {
			d->verdict = UNKNOWN;
			snprintf(d->why, sizeof(d->why),
				 "cannot enter its network namespace (%s) to "
				 "see whether program %u is attached",
				 path, p->prog_id);
		} else if (!on) {
			d->verdict = ORPHAN;
			snprintf(d->why, sizeof(d->why),
				 "program %u is not attached to %s (netlink "
				 "pins of an interface that is gone or was "
				 "detached by another tool)",
				 p->prog_id, d->ifname);
		}
		return;
	}
	if (!p->other) {
		d->verdict = just_made(d->path) ? UNKNOWN : ORPHAN;
		snprintf(d->why, sizeof(d->why), "no program pinned%s",
			 d->verdict == UNKNOWN ? " yet" : "");
	}
}

typedef void (*pindir_fn)(struct pindir *d, void *ctx);

struct walk_ctx {
	pindir_fn fn;
	void *ctx;
};

/* A directory of xlb_pins_walk(), judged. */
static void walk_one(const char *path, const char *ns, const char *ifname,
		     void *ctx)
{
	struct walk_ctx *w = ctx;
	struct pindir d;

	memset(&d, 0, sizeof(d));
	snprintf(d.path, sizeof(d.path), "%s", path);
	snprintf(d.ns, sizeof(d.ns), "%s", ns);
	if (ifname) {
		snprintf(d.ifname, sizeof(d.ifname), "%s", ifname);
		judge(&d);
	} else {
		/* a namespace directory with no interface left */
		d.verdict = just_made(path) ? UNKNOWN : ORPHAN;
		snprintf(d.why, sizeof(d.why), "an empty namespace directory");
	}
	w->fn(&d, w->ctx);
}

static void walk(pindir_fn fn, void *ctx)
{
	struct walk_ctx w = { fn, ctx };

	xlb_pins_walk(walk_one, &w);
}

/* --- --status --------------------------------------------------------------- */

struct status_ctx {
	int json;
	int n;
};

static const char *verdict_name(enum verdict v)
{
	switch (v) {
	case ORPHAN:
		return "orphan";
	case HALF:
		return "half";
	case UNKNOWN:
		return "unknown";
	case LIVE:
		break;
	}
	return "live";
}

static const char *const problem_names[] = {
	"reply-path-only",  "pins-only",     "no-reply-path",
	"stray-reply-path", "unpinned-link", "pinned-elsewhere",
	"pins-of-another",
};

int xlb_iface_own_pins(const struct xlb_iface *f)
{
	return f->pins.present && !f->others;
}

static void print_iface_json(const struct xlb_iface *f, unsigned int probs,
			     int comma)
{
	const struct xlb_attached *a = &f->xdp;
	unsigned int i, bit;
	char buf[EXPLAIN_LEN];

	printf("%s{\"interface\":", comma ? "," : "");
	xlb_json_string(stdout, f->name);
	printf(",\"ifindex\":%d,\"xlb\":%s,\"program_id\":%u,\"mode\":\"%s\","
	       "\"attach\":\"%s\",\"link_id\":%u,\"source\":",
	       f->ifindex, has_xlb_xdp(f) ? "true" : "false", a->prog_id,
	       xlb_mode_name(a->mode),
	       !a->prog_id ? "none" : a->link_id ? "link" : "netlink",
	       a->link_id);
	if (has_xlb_xdp(f))
		xlb_json_string(stdout, a->meta.source);
	else
		printf("null");
	printf(",\"rules\":%u,\"reply_path\":{\"kind\":\"%s\",\"program_id\":%u,"
	       "\"link_id\":%u},\"pins\":",
	       has_xlb_xdp(f) ? a->meta.nrules : 0,
	       xlb_reply_kind_name(f->reply.kind), f->reply.prog_id,
	       f->reply.link_id);
	if (xlb_iface_own_pins(f))
		xlb_json_string(stdout, f->pin_dir);
	else
		printf("null");
	printf(",\"problems\":[");
	for (i = 0, bit = 1;
	     bit <= probs &&
	     i < sizeof(problem_names) / sizeof(problem_names[0]);
	     i++, bit <<= 1) {
		if (!(probs & bit))
			continue;
		explain(f, bit, buf, sizeof(buf));
		printf("%s{\"problem\":\"%s\",\"text\":", probs & (bit - 1) ? "," : "",
		       problem_names[i]);
		xlb_json_string(stdout, buf);
		printf("}");
	}
	printf("]}");
}

static void print_iface_text(const struct xlb_iface *f, unsigned int probs)
{
	const struct xlb_attached *a = &f->xdp;
	unsigned int bit;
	char buf[EXPLAIN_LEN];

	printf("%s: ", f->name);
	if (has_xlb_xdp(f)) {
		printf("xlb program %u (%s mode, ", a->prog_id,
		       xlb_mode_name(a->mode));
		if (a->link_id)
			printf("XDP link %u)", a->link_id);
		else
			printf("attached through netlink)");
		printf(", %u rule%s from %s", a->meta.nrules,
		       a->meta.nrules == 1 ? "" : "s",
		       a->meta.source ? a->meta.source : "?");
	} else if (a->prog_id) {
		printf("XDP program %u ('%s') is not xlb's", a->prog_id,
		       a->prog_name);
	} else {
		printf("no XDP program");
	}
	if (f->reply.kind != XLB_REPLY_NONE) {
		reply_desc(&f->reply, buf, sizeof(buf));
		printf("; reply path %s", buf);
	} else if (has_xlb_xdp(f)) {
		printf("; no reply path");
	}
	if (xlb_iface_own_pins(f))
		printf("; pinned in %s", f->pin_dir);
	if (f->links_dir[0])
		printf("; links pinned in %s", f->links_dir);
	putchar('\n');
	for (bit = 1; bit && bit <= probs; bit <<= 1) {
		if (!(probs & bit))
			continue;
		explain(f, bit, buf, sizeof(buf));
		printf("  %s\n", buf);
	}
}

/* Whether the status lists the interface: anything of xlb's on it. */
static int shows(const struct xlb_iface *f)
{
	return has_xlb_xdp(f) || f->reply.kind != XLB_REPLY_NONE ||
	       f->pins.present;
}

static int status_iface(const char *name, int ifindex, int json, int comma,
			int always)
{
	struct xlb_iface f;
	int err = xlb_iface_open(name, ifindex, &f);

	if (err) {
		pr_warn("cannot query %s: %s\n", name, xlb_errstr(err));
		return -1;
	}
	if (!always && !shows(&f)) {
		xlb_iface_close(&f);
		return 0;
	}
	if (json)
		print_iface_json(&f, xlb_iface_problems(&f), comma);
	else
		print_iface_text(&f, xlb_iface_problems(&f));
	xlb_iface_close(&f);
	return 1;
}

static void status_orphan(struct pindir *d, void *ctx)
{
	struct status_ctx *c = ctx;

	if (d->verdict == LIVE)
		return;
	/* this namespace's interfaces were shown with their problems */
	if (d->verdict != ORPHAN && in_own_ns(d->path) &&
	    if_nametoindex(d->ifname))
		return;
	if (c->json) {
		printf("%s{\"path\":", c->n ? "," : "");
		xlb_json_string(stdout, d->path);
		printf(",\"state\":\"%s\",\"why\":", verdict_name(d->verdict));
		xlb_json_string(stdout, d->why);
		printf(",\"xdp_link_id\":%u,\"tcx_link_id\":%u,\"program_id\":%u}",
		       d->pins.xdp_link.id, d->pins.tcx_link.id,
		       d->pins.prog_id ? d->pins.prog_id : d->pins.xdp_link.prog_id);
	} else {
		if (!c->n)
			printf("\nLeft in %s:\n", XLB_PIN_ROOT);
		printf("%s: %s: %s\n", d->path, verdict_name(d->verdict),
		       d->why);
	}
	c->n++;
}

int xlb_status(const char *ifname, int json)
{
	struct if_nameindex *ifs, *i;
	struct status_ctx c = { .json = json };
	int n = 0, r, ret = 0;

	if (json)
		printf("{\"interfaces\":[");
	if (ifname) {
		int ifindex = (int)if_nametoindex(ifname);

		if (!ifindex) {
			if (json)
				printf("]}\n");
			pr_warn("no such interface '%s' in this network "
				"namespace; see 'ip link'\n",
				ifname);
			return 1;
		}
		if (status_iface(ifname, ifindex, json, 0, 1) < 0)
			ret = 1;
	} else {
		ifs = if_nameindex();
		if (!ifs) {
			pr_warn("cannot list the interfaces: %s\n",
				strerror(errno));
			return 1;
		}
		for (i = ifs; i->if_index; i++) {
			r = status_iface(i->if_name, (int)i->if_index, json, n,
					 0);
			if (r < 0)
				ret = 1;
			n += r > 0;
		}
		if_freenameindex(ifs);
		if (!n && !json)
			printf("no interface in this network namespace has "
			       "anything of xlb's\n");
	}
	if (json)
		printf("],\"left\":[");
	if (!ifname)
		walk(status_orphan, &c);
	if (json)
		printf("]}\n");
	else if (c.n)
		printf("'xlb-load --prune' removes what is marked orphan\n");
	return ret;
}

/* --- --prune ---------------------------------------------------------------- */

struct prune_ctx {
	int removed;
	int failed;
};

static void prune_one(struct pindir *d, void *ctx)
{
	struct prune_ctx *c = ctx;

	if (d->verdict != ORPHAN) {
		if (d->verdict != LIVE)
			pr_info("left %s: %s\n", d->path, d->why);
		return;
	}
	if (xlb_pins_remove(d->path, 0, 0) > 0 || access(d->path, F_OK) < 0) {
		printf("removed %s: %s\n", d->path, d->why);
		c->removed++;
	} else {
		pr_warn("cannot remove %s: %s\n", d->path, strerror(errno));
		c->failed++;
	}
}

int xlb_prune(void)
{
	struct prune_ctx c = { 0 };
	struct stat st;
	int lock;

	if (stat(XLB_PIN_ROOT, &st) < 0) {
		printf("nothing to prune: %s does not exist\n", XLB_PIN_ROOT);
		return 0;
	}
	lock = xlb_pins_lock();
	if (lock < 0) {
		pr_warn("cannot lock %s: %s\n", XLB_PIN_ROOT, xlb_errstr(lock));
		return 1;
	}
	walk(prune_one, &c);
	xlb_pins_unlock(lock);
	if (!c.removed && !c.failed)
		printf("nothing to prune in %s\n", XLB_PIN_ROOT);
	return c.failed ? 1 : 0;
}
