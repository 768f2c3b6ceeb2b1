// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pins.c - xlb's pins in bpffs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>

#include "log.h"
#include "pins.h"

static const char *const pin_names[XLB_NPINS] = {
	[XLB_PIN_XDP_LINK] = "xdp_link", [XLB_PIN_TCX_LINK] = "tcx_link",
	[XLB_PIN_PROG] = "prog",	 [XLB_PIN_STATS] = "stats",
	[XLB_PIN_META] = "meta",	 [XLB_PIN_TC] = "tc",
};

const char *xlb_pin_name(enum xlb_pin pin)
{
	return pin_names[pin];
}

/* Whether this process is in the mount namespace of process 1: 1, 0, or
 * -1 when that cannot be read. */
static int in_initial_mntns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self) < 0 ||
	    stat("/proc/1/ns/mnt", &init) < 0)
		return -1;
	return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

int xlb_bpffs_mounted(void)
{
	struct statfs st;

	return statfs(XLB_BPFFS, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int xlb_bpffs_ensure(void)
{
	if (xlb_bpffs_mounted())
		return 0;
	if (in_initial_mntns() != 1)
		return -EXDEV;
	if (mkdir(XLB_BPFFS, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mount("bpf", XLB_BPFFS, "bpf", 0, "mode=0700") < 0)
		return -errno;
	pr_debug("mounted bpffs at " XLB_BPFFS "\n");
	return 0;
}

/* Interface names are per network namespace, but bpffs is shared by all:
 * pins of a namespace that 'ip netns' named go under its name, those of
 * another namespace that is not the initial one under its inode number. */
void xlb_pin_dir(const char *ifname, char *buf, size_t len)
{
	struct stat self, other;
	struct dirent *de;
	DIR *d;

	if (stat("/proc/self/ns/net", &self) < 0)
		goto initial;
	d = opendir("/run/netns");
	while (d && (de = readdir(d))) {
		char path[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (stat(path, &other) == 0 && other.st_ino == self.st_ino &&
		    other.st_dev == self.st_dev) {
			snprintf(buf, len, XLB_PIN_NETNS "/%s/%s", de->d_name,
				 ifname);
			closedir(d);
			return;
		}
	}
	if (d)
		closedir(d);
	/* PID 1's namespace may be unreadable (containers): then this one
	 * counts as the initial namespace */
	if (stat("/proc/1/ns/net", &other) == 0 &&
	    other.st_ino != self.st_ino) {
		snprintf(buf, len, XLB_PIN_NETNS "/%lu/%s",
			 (unsigned long)self.st_ino, ifname);
		return;
	}
initial:
	snprintf(buf, len, XLB_PIN_ROOT "/%s", ifname);
}


/* mkdir, counting in *made the directories it made. */
static int mkdir_counted(const char *path, int *made)
{
	if (mkdir(path, 0700) == 0) {
		(*made)++;
		return 0;
	}
	return errno == EEXIST ? 0 : -errno;
}

int xlb_pins_mkdir(const char *dir, int *made)
{
	char buf[256], *p;
	int n = 0, err = 0;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		err = mkdir_counted(buf, &n);
		if (err)
			break;
		*p = '/';
	}
	if (!err)
		err = mkdir_counted(buf, &n);
	if (err) {
		/* what was made is above the one that failed */
		p = strrchr(buf, '/');
		if (p && p != buf) {
			*p = '\0';
			xlb_pins_rmdir(buf, n);
		}
		n = 0;
	}
	if (made)
		*made = n;
	return err;
}

void xlb_pins_rmdir(const char *dir, int made)
{
	char buf[256], *slash;

	snprintf(buf, sizeof(buf), "%s", dir);
	while (made-- > 0 && rmdir(buf) == 0) {
		slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			break;
		*slash = '\0';
	}
}

int xlb_pins_lock(void)
{
	int fd, err = xlb_pins_mkdir(XLB_PIN_ROOT, NULL);

	if (err)
		return err;
	fd = open(XLB_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

void xlb_pins_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void pin_path(const char *dir, enum xlb_pin pin, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, pin_names[pin]);
}

static int is_link_pin(enum xlb_pin pin)
{
	return pin == XLB_PIN_XDP_LINK || pin == XLB_PIN_TCX_LINK;
}

/* The link pinned at path: 0 and *l, or -errno (not there, not a link). */
static int pinned_link(const char *path, struct xlb_link *l)
{
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return -errno;
	err = xlb_link_info(fd, l);
	close(fd);
	return err;
}

/* Whether the pin at path may go: anything but a link still attached to
 * an interface, unless it is link mine. */
static int may_unpin(const char *path, enum xlb_pin pin, __u32 mine)
{
	struct xlb_link l;

	return !is_link_pin(pin) || pinned_link(path, &l) || !l.ifindex ||
	       (mine && l.id == mine);
}

int xlb_pin(int fd, const char *dir, enum xlb_pin pin)
{
	struct xlb_link l = { 0 };
	char path[300];

	pin_path(dir, pin, path, sizeof(path));
	if (is_link_pin(pin) && xlb_link_info(fd, &l) == 0 &&
	    !may_unpin(path, pin, l.id))
		return -EBUSY;
	unlink(path);
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

int xlb_unpin(const char *dir, enum xlb_pin pin, __u32 mine)
{
	char path[300];

	pin_path(dir, pin, path, sizeof(path));
	return may_unpin(path, pin, mine) && unlink(path) == 0;
}

/* The id of a pinned program, or the link behind a pin. */
static int read_pin(const char *dir, enum xlb_pin pin, struct xlb_pins *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char path[300];
	int fd, err = 0;

	pin_path(dir, pin, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	p->have |= 1u << pin;
	switch (pin) {
	case XLB_PIN_XDP_LINK:
		err = xlb_link_info(fd, &p->xdp_link);
		break;
	case XLB_PIN_TCX_LINK:
		err = xlb_link_info(fd, &p->tcx_link);
		break;
	case XLB_PIN_PROG:
	case XLB_PIN_TC:
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			err = -errno;
		else if (pin == XLB_PIN_PROG)
			p->prog_id = info.id;
		else
			p->tc_id = info.id;
		break;
	default:
		break;
	}
	close(fd);
	return err;
}

void xlb_pins_read(const char *dir, struct xlb_pins *p)
{
	struct dirent *de;
	unsigned int i;
	DIR *d;

	memset(p, 0, sizeof(*p));
	d = opendir(dir);
	if (!d)
		return;
	p->present = 1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (i = 0; i < XLB_NPINS; i++)
			if (!strcmp(de->d_name, pin_names[i]))
				break;
		if (i == XLB_NPINS)
			p->other++;
		else
			read_pin(dir, i, p);
	}
	closedir(d);
}

int xlb_pins_remove(const char *dir, __u32 xdp_link, __u32 tcx_link)
{
	char buf[256], *slash;
	unsigned int i;
	int n = 0;

	for (i = 0; i < XLB_NPINS; i++)
		n += xlb_unpin(dir, i,
			       i == XLB_PIN_XDP_LINK   ? xdp_link
			       : i == XLB_PIN_TCX_LINK ? tcx_link
						       : 0);
	n += rmdir(dir) == 0;
	/* and a namespace's directories, if this was their last interface */
	if (strncmp(dir, XLB_PIN_NETNS "/", sizeof(XLB_PIN_NETNS)) == 0) {
		snprintf(buf, sizeof(buf), "%s", dir);
		slash = strrchr(buf, '/');
		*slash = '\0';
		if (rmdir(buf) == 0)
			rmdir(XLB_PIN_NETNS);
	}
	return n;
}

/* Every interface directory under dir (ns: its namespace directory's
 * name, NULL for the initial namespace's), then dir itself when it is a
 * namespace directory with none. */
static void walk_dir(const char *dir, const char *ns, xlb_pindir_fn fn,
		     void *ctx)
{
	struct dirent *de;
	struct stat st;
	char path[300];
	DIR *d = opendir(dir);
	int n = 0;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    (!ns && !strcmp(de->d_name, "netns")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		n++;
		fn(path, ns ? ns : "", de->d_name, ctx);
	}
	if (d)
		closedir(d);
	if (ns && !n)
		fn(dir, ns, NULL, ctx);
}

void xlb_pins_walk(xlb_pindir_fn fn, void *ctx)
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

struct find_ctx {
	const __u32 *ids; /* [XLB_PIN_XDP_LINK], [XLB_PIN_TCX_LINK] */
	const char *skip;
	char *dir;
	size_t len;
	unsigned int found;
};

static void find_one(const char *path, const char *ns, const char *ifname,
		     void *ctx)
{
	struct find_ctx *c = ctx;
	unsigned int found = 0;
	enum xlb_pin pin;
	struct xlb_link l;
	char buf[300];

	(void)ns;
	if (!ifname || c->found || !strcmp(path, c->skip))
		return;
	for (pin = XLB_PIN_XDP_LINK; pin <= XLB_PIN_TCX_LINK; pin++) {
		pin_path(path, pin, buf, sizeof(buf));
		if (c->ids[pin] && !pinned_link(buf, &l) && l.id == c->ids[pin])
			found |= 1u << pin;
	}
	if (found) {
		c->found = found;
		snprintf(c->dir, c->len, "%s", path);
	}
}

unsigned int xlb_pins_find_links(__u32 xdp_link, __u32 tcx_link,
				 const char *skip, char *dir, size_t len)
{
	__u32 ids[XLB_NPINS] = {
		[XLB_PIN_XDP_LINK] = xdp_link, [XLB_PIN_TCX_LINK] = tcx_link
	};
	struct find_ctx c = { ids, skip, dir, len, 0 };

	dir[0] = '\0';
	if (xdp_link || tcx_link)
		xlb_pins_walk(find_one, &c);
	return c.found;
}
