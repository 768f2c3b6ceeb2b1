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

int xlb_pin(int fd, const char *dir, enum xlb_pin pin)
{
	char path[300];

	pin_path(dir, pin, path, sizeof(path));
	unlink(path);
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

int xlb_unpin(const char *dir, enum xlb_pin pin)
{
	char path[300];

	pin_path(dir, pin, path, sizeof(path));
	return unlink(path) == 0;
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

int xlb_pins_remove(const char *dir)
{
	char buf[256], *slash;
	unsigned int i;
	int n = 0;

	for (i = 0; i < XLB_NPINS; i++)
		n += xlb_unpin(dir, i);
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
