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

	if (!has_xlb_xdp(f)) {
		if (f->reply.kind != XLB_REPLY_NONE)
			n |= XLB_HALF_REPLY_ONLY;
		if (p->present)
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
	if (f->pins_seen &&
	    ((f->xdp.link_id && (!(p->have & 1u << XLB_PIN_XDP_LINK) ||
				 p->xdp_link.id != f->xdp.link_id)) ||
	     (f->reply.link_id && (!(p->have & 1u << XLB_PIN_TCX_LINK) ||
				   p->tcx_link.id != f->reply.link_id))))
		n |= XLB_HALF_UNPINNED;
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
			 "a link attaching xlb on %s is not pinned in %s: it "
			 "goes when the process holding it exits. 'xlb-load "
			 "OBJECT %s' attaches and pins anew",
			 n, f->pin_dir, n);
		break;
	default:
		buf[0] = '\0';
	}
}

void xlb_iface_warn(const struct xlb_iface *f, unsigned int problems)
{
	unsigned int bit;
	char buf[512];

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
	struct dirent *de;
	unsigned long ino;
	char *end;
	DIR *d;

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
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(buf, len, "/proc/%s/ns/net", de->d_name);
		if (stat(buf, &st) == 0 && st.st_ino == ino)
			break;
		buf[0] = '\0';
	}
	if (d)
		closedir(d);
}

/* Whether the pinned programs of a netlink attachment are attached to
 * ifname in the namespace at path: 1, 0, or -1 when that cannot be told. */
static int attached_in(const char *path, const char *ifname,
		       const struct xlb_pins *p)
{
	int self = -1, other = -1, ifindex, ret = -1;
	__u32 tc = 0;
	struct xlb_attached a;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	other = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || other < 0 || setns(other, CLONE_NEWNET) < 0)
		goto out;
	ifindex = (int)if_nametoindex(ifname);
	ret = 0;
	if (ifindex && xlb_attached_open(ifindex, &a) == 0) {
		ret = a.prog_id && a.prog_id == p->prog_id;
		xlb_attached_close(&a);
	}
	if (ifindex && p->tc_id && !xlb_tc_query(ifindex, &tc) &&
	    tc == p->tc_id)
		ret = 1;
	if (setns(self, CLONE_NEWNET) < 0) {
		/* cannot happen with the privileges that got us there */
		pr_warn("cannot return to the network namespace: %s\n",
			strerror(errno));
		exit(1);
	}
out:
	if (self >= 0)
		close(self);
	if (other >= 0)
		close(other);
	return ret;
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

static void judge(struct pindir *d)
{
	const struct xlb_pins *p = &d->pins;
	int x, t, xdead, tdead, on;
	char path[300];

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
			ns_path(d->ns, path, sizeof(path));
			d->verdict = ORPHAN;
			snprintf(d->why, sizeof(d->why),
				 "detached link%s (%s%s%s): %s",
				 x && t ? "s" : "", x ? "XDP" : "",
				 x && t ? ", " : "", t ? "tcx" : "",
				 *d->ns && !path[0]
					 ? "its namespace no longer exists"
					 : "the interface or its namespace "
					   "is gone");
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
		if (in_own_ns(d->path))
			snprintf(path, sizeof(path), "/proc/self/ns/net");
		else
			ns_path(d->ns, path, sizeof(path));
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

/* Every interface directory under dir (ns: its namespace name), then dir
 * itself when it is a namespace directory with none. */
static void walk_dir(const char *dir, const char *ns, pindir_fn fn, void *ctx)
{
	struct pindir d;
	struct dirent *de;
	struct stat st;
	DIR *dd = opendir(dir);
	int n = 0;

	while (dd && (de = readdir(dd))) {
		if (de->d_name[0] == '.' || (!ns && !strcmp(de->d_name, "netns")))
			continue;
		memset(&d, 0, sizeof(d));
		snprintf(d.path, sizeof(d.path), "%s/%s", dir, de->d_name);
		if (stat(d.path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		n++;
		snprintf(d.ns, sizeof(d.ns), "%s", ns ? ns : "");
		snprintf(d.ifname, sizeof(d.ifname), "%s", de->d_name);
		judge(&d);
		fn(&d, ctx);
	}
	if (dd)
		closedir(dd);
	if (ns && !n) {
		/* a namespace directory with no interface left */
		memset(&d, 0, sizeof(d));
		snprintf(d.path, sizeof(d.path), "%s", dir);
		snprintf(d.ns, sizeof(d.ns), "%s", ns);
		d.verdict = just_made(dir) ? UNKNOWN : ORPHAN;
		snprintf(d.why, sizeof(d.why), "an empty namespace directory");
		fn(&d, ctx);
	}
}

static void walk(pindir_fn fn, void *ctx)
{
	struct dirent *de;
	char path[300];
	DIR *d;

	walk_dir(XLB_PIN_ROOT, NULL, fn, ctx);
	d = opendir(XLB_PIN_NETNS);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), XLB_PIN_NETNS "/%s", de->d_name);
		walk_dir(path, de->d_name, fn, ctx);
	}
	if (d)
		closedir(d);
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
	"reply-path-only", "pins-only", "no-reply-path", "stray-reply-path",
	"unpinned-link",
};

static void print_iface_json(const struct xlb_iface *f, unsigned int probs,
			     int comma)
{
	const struct xlb_attached *a = &f->xdp;
	unsigned int i, bit;
	char buf[512];

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
	if (f->pins.present)
		xlb_json_string(stdout, f->pin_dir);
	else
		printf("null");
	printf(",\"problems\":[");
	for (i = 0, bit = 1; bit <= probs && i < 5; i++, bit <<= 1) {
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
	char buf[512];

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
	if (f->pins.present)
		printf("; pinned in %s", f->pin_dir);
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
	if (xlb_pins_remove(d->path) > 0 || access(d->path, F_OK) < 0) {
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
