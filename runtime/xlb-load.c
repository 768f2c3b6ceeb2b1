// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-load - attach an xlbc object to an interface's XDP hook (or detach
 * it).  The program stays attached after xlb-load exits.  An xlb program
 * already on the interface is replaced atomically (XDP_FLAGS_REPLACE: there
 * is no moment without a program); a program xlb did not load is left alone
 * unless --force.  When the object has a reply path (xlb_tc), it goes on
 * the interface's TC egress hook too, before the XDP program, so that no
 * request reaches a new backend whose replies would leave untranslated.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "log.h"
#include "meta.h"
#include "xdp.h"

/* Room for the verifier's log: its last lines say why it refused. */
#define VERIFIER_LOG_SIZE (4u << 20)
#define VERIFIER_TAIL_LINES 20

struct options {
	const char *object;
	const char *ifname;
	enum xlb_xdp_mode mode; /* XLB_MODE_NONE: native, else generic */
	int force;
	int detach;
	int pin;
	int reply; /* attach the reply path, if the object has one */
};

static void usage(FILE *out)
{
	fputs("Usage: xlb-load [OPTION]... OBJECT IFNAME\n"
	      "       xlb-load -d [--force] IFNAME\n"
	      "Attach an xlbc-compiled XDP object to a network interface, or detach it.\n"
	      "\n"
	      "  -m, --mode MODE   native or generic (default: native, falling back\n"
	      "                    to generic with a warning)\n"
	      "  -f, --force       replace or detach an XDP program xlb did not load\n"
	      "  -d, --detach      detach the XDP program from IFNAME\n"
	      "      --no-pin      do not pin the program and maps under /sys/fs/bpf/xlb\n"
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

/* Print the last lines of the verifier's log. */
static void print_verifier_tail(const char *log)
{
	const char *end = log + strlen(log), *p = end;
	int lines = 0;

	while (p > log && (p[-1] == '\n' || p[-1] == '\0'))
		p--;
	end = p;
	while (p > log && lines < VERIFIER_TAIL_LINES) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	if (end > p)
		fprintf(stderr,
			"--- last lines of the verifier log ---\n%.*s\n"
			"--- end of verifier log ---\n",
			(int)(end - p), p);
}

static void unpin_all(const char *ifname)
{
	static const char *const names[] = { "prog", "stats", "meta", "tc" };
	char dir[256], path[300];
	size_t i;

	xlb_pin_dir(ifname, dir, sizeof(dir));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	/* and a namespace's directories, if this was their last interface */
	if (strncmp(dir, XLB_PIN_NETNS "/", sizeof(XLB_PIN_NETNS)) == 0) {
		*strrchr(dir, '/') = '\0';
		rmdir(dir);
		rmdir(XLB_PIN_NETNS);
	}
}

static int pin_one(int fd, const char *dir, const char *name)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if (bpf_obj_pin(fd, path)) {
		int err = -errno;

		pr_warn("warning: cannot pin %s: %s\n", path, strerror(-err));
		return err;
	}
	return 0;
}

/* mkdir -p, for paths under bpffs. */
static int mkdir_parents(const char *path)
{
	char buf[256], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static void pin_all(const char *ifname, int prog_fd, int stats_fd, int meta_fd,
		    int tc_fd)
{
	char dir[256];
	int err;

	err = xlb_bpffs_ensure();
	if (err) {
		pr_warn("warning: bpffs is not mounted at /sys/fs/bpf and mounting "
			"it failed (%s); the program is attached but not pinned\n",
			strerror(-err));
		return;
	}
	xlb_pin_dir(ifname, dir, sizeof(dir));
	if (mkdir_parents(dir) < 0) {
		pr_warn("warning: cannot create %s: %s; the program is attached "
			"but not pinned\n",
			dir, strerror(errno));
		return;
	}
	/* all three or none: never the new program beside old maps */
	if (pin_one(prog_fd, dir, "prog") || pin_one(stats_fd, dir, "stats") ||
	    pin_one(meta_fd, dir, "meta") ||
	    (tc_fd >= 0 && pin_one(tc_fd, dir, "tc"))) {
		unpin_all(ifname);
		return;
	}
	pr_debug("pinned under %s\n", dir);
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

/* What is attached to the interface now; a program xlb did not load is
 * only to be touched (verb: "replace", "detach") with --force.  Returns 0,
 * or -1 after saying why not. */
static int open_current(const struct options *o, int ifindex,
			struct xlb_attached *cur, const char *verb)
{
	int err = xlb_attached_open(ifindex, cur);

	if (err) {
		if (!not_root_hint(err))
			pr_warn("cannot query the XDP program of %s: %s\n",
				o->ifname, strerror(-err));
		return -1;
	}
	if (cur->prog_id && !cur->is_xlb && !o->force) {
		refuse_foreign(cur, o->ifname, verb);
		return -1;
	}
	return 0;
}

/* Remove the reply path from the interface's egress, if it is there. */
static int detach_reply(const struct options *o)
{
	int ifindex = (int)if_nametoindex(o->ifname);
	int err = xlb_tc_detach(ifindex);

	if (err) {
		pr_warn("cannot remove the reply path from %s egress: %s; "
			"'tc filter del dev %s egress handle 0x%x prio %u bpf' "
			"removes it\n",
			o->ifname, strerror(-err), o->ifname, XLB_TC_HANDLE,
			XLB_TC_PRIORITY);
		return 1;
	}
	return 0;
}

/* Put back the egress filter that was there before (prog_id 0: none). */
static void restore_reply(const struct options *o, int ifindex, __u32 prog_id)
{
	int fd, err;

	if (!prog_id) {
		detach_reply(o);
		return;
	}
	fd = bpf_prog_get_fd_by_id(prog_id);
	err = fd < 0 ? -errno : xlb_tc_attach(ifindex, fd);
	if (fd >= 0)
		close(fd);
	if (err)
		pr_warn("warning: cannot put back the reply path %u on %s "
			"egress: %s\n",
			prog_id, o->ifname, strerror(-err));
}

/* Attach the new reply path; *old is what it replaced. */
static int attach_reply(const struct options *o, int ifindex, int tc_fd,
			__u32 *old)
{
	int err = xlb_tc_query(ifindex, old);

	if (!err)
		err = xlb_tc_attach(ifindex, tc_fd);
	if (err && !not_root_hint(err))
		pr_warn("cannot attach the reply path to %s egress: %s; "
			"--no-reply-path loads the program without it\n",
			o->ifname, strerror(-err));
	return err;
}

static int do_detach(const struct options *o, int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	struct xlb_attached cur;
	int err, ret = 1;

	if (open_current(o, ifindex, &cur, "detach"))
		goto out;
	if (!cur.prog_id) {
		pr_warn("%s has no XDP program; nothing to detach\n",
			o->ifname);
		detach_reply(o);
		unpin_all(o->ifname);
		goto out;
	}
	aopts.old_prog_fd = cur.prog_fd;
	err = bpf_xdp_detach(
		ifindex, xlb_mode_flag(cur.mode) | XDP_FLAGS_REPLACE, &aopts);
	if (err) {
		if (!not_root_hint(err))
			pr_warn("cannot detach the XDP program from %s: %s\n",
				o->ifname, strerror(-err));
		goto out;
	}
	unpin_all(o->ifname);
	pr_info("detached program %u ('%s') from %s\n", cur.prog_id,
		cur.prog_name, o->ifname);
	ret = detach_reply(o);
out:
	xlb_attached_close(&cur);
	return ret;
}

static int attach(const struct options *o, int ifindex, int prog_fd,
		  const struct xlb_attached *cur, enum xlb_xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	int err;

	if (cur->prog_id) {
		/* Same mode as the program we replace: the kernel swaps the
		 * two in one step. */
		if (o->mode != XLB_MODE_NONE && o->mode != cur->mode) {
			pr_warn("%s runs its XDP program in %s mode; a replacement in "
				"%s mode cannot be atomic. Detach first "
				"(xlb-load -d %s), or leave out --mode\n",
				o->ifname, xlb_mode_name(cur->mode),
				xlb_mode_name(o->mode), o->ifname);
			return -EINVAL;
		}
		*mode = cur->mode;
		aopts.old_prog_fd = cur->prog_fd;
		err = bpf_xdp_attach(ifindex, prog_fd,
				     xlb_mode_flag(*mode) | XDP_FLAGS_REPLACE,
				     &aopts);
		if (err)
			pr_warn("cannot replace the XDP program on %s: %s\n",
				o->ifname, strerror(-err));
		return err;
	}

	*mode = o->mode != XLB_MODE_NONE ? o->mode : XLB_MODE_NATIVE;
	err = bpf_xdp_attach(ifindex, prog_fd,
			     xlb_mode_flag(*mode) | XDP_FLAGS_UPDATE_IF_NOEXIST,
			     NULL);
	if (err && o->mode == XLB_MODE_NONE && err != -EPERM &&
	    err != -EEXIST && err != -EBUSY) {
		pr_warn("warning: native XDP is not available on %s (%s); "
			"attaching in generic mode, which is slower. Use --mode "
			"native to insist\n",
			o->ifname, strerror(-err));
		*mode = XLB_MODE_GENERIC;
		err = bpf_xdp_attach(ifindex, prog_fd,
				     xlb_mode_flag(*mode) |
					     XDP_FLAGS_UPDATE_IF_NOEXIST,
				     NULL);
	}
	if (err && !not_root_hint(err)) {
		if (err == -EEXIST || err == -EBUSY)
			pr_warn("%s got an XDP program while xlb-load was working; "
				"run xlb-load again\n",
				o->ifname);
		else if (o->mode == XLB_MODE_NATIVE)
			pr_warn("cannot attach in native mode to %s: %s; the driver "
				"may not support XDP, try --mode generic\n",
				o->ifname, strerror(-err));
		else
			pr_warn("cannot attach the XDP program to %s: %s\n",
				o->ifname, strerror(-err));
	}
	return err;
}

static int do_load(const struct options *o, int ifindex)
{
	struct bpf_object *obj = NULL;
	struct bpf_program *prog, *tc_prog;
	__u32 old_tc = 0;
	int tc_fd = -1;
	struct xlb_attached cur = { .prog_fd = -1,
				    .stats_fd = -1,
				    .meta_fd = -1 };
	struct xlb_meta meta = { 0 };
	enum xlb_xdp_mode mode = XLB_MODE_NONE;
	char *log = NULL;
	int err, ret = 1, prog_fd, stats_fd, meta_fd;

	obj = xlb_object_open(o->object, &meta);
	if (!obj)
		return 1;
	prog = bpf_object__find_program_by_name(obj, XLB_PROG_NAME);
	tc_prog = bpf_object__find_program_by_name(obj, XLB_TC_PROG_NAME);
	if (tc_prog && !o->reply) {
		bpf_program__set_autoload(tc_prog, false);
		tc_prog = NULL;
	}
	log = calloc(1, VERIFIER_LOG_SIZE);
	/* loading stops at the first program refused: its log is the one */
	if (log) {
		bpf_program__set_log_buf(prog, log, VERIFIER_LOG_SIZE);
		if (tc_prog)
			bpf_program__set_log_buf(tc_prog, log,
						 VERIFIER_LOG_SIZE);
	}

	err = bpf_object__load(obj);
	if (err) {
		if (not_root_hint(err))
			goto out;
		pr_warn("the kernel refused to load '%s' (%s)\n", o->object,
			strerror(-err));
		if (log && *log)
			print_verifier_tail(log);
		else
			pr_warn("no verifier log; run with -v for libbpf's account\n");
		goto out;
	}
	prog_fd = bpf_program__fd(prog);
	stats_fd =
		bpf_map__fd(bpf_object__find_map_by_name(obj, XLB_STATS_MAP));
	meta_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, XLB_META_MAP));
	/* The program never reads its metadata: bind it, so that anyone can
	 * find it from the attached program. */
	err = bpf_prog_bind_map(prog_fd, meta_fd, NULL);
	if (err) {
		pr_warn("cannot bind the metadata of '%s' to its program: %s\n",
			o->object, strerror(errno));
		goto out;
	}

	if (open_current(o, ifindex, &cur, "replace"))
		goto out;

	if (tc_prog) {
		tc_fd = bpf_program__fd(tc_prog);
		if (attach_reply(o, ifindex, tc_fd, &old_tc))
			goto out;
	}
	if (attach(o, ifindex, prog_fd, &cur, &mode)) {
		if (tc_prog)
			restore_reply(o, ifindex, old_tc);
		goto out;
	}
	/* the old ruleset's reply path must not outlive it */
	if (!tc_prog && detach_reply(o))
		goto out;

	/* The old program's pins would keep it and its maps loaded. */
	unpin_all(o->ifname);
	if (o->pin)
		pin_all(o->ifname, prog_fd, stats_fd, meta_fd, tc_fd);
	if (cur.prog_id)
		pr_info("replaced program %u on %s with '%s' ", cur.prog_id,
			o->ifname, o->object);
	else
		pr_info("attached '%s' to %s ", o->object, o->ifname);
	fprintf(stderr, "(%s mode, %u rule%s from %s%s)\n",
		xlb_mode_name(mode), meta.nrules, meta.nrules == 1 ? "" : "s",
		meta.source ? meta.source : "?",
		tc_prog ? ", reply path on egress" : "");
	ret = 0;
out:
	xlb_attached_close(&cur);
	xlb_meta_free(&meta);
	bpf_object__close(obj);
	free(log);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'f' },
		{ "detach", no_argument, NULL, 'd' },
		{ "no-pin", no_argument, NULL, 'P' },
		{ "no-reply-path", no_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .pin = 1, .reply = 1 };
	int c, ifindex;

	xlb_tool_name = "xlb-load";
	while ((c = getopt_long(argc, argv, "m:fdvhV", longopts, NULL)) != -1) {
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
