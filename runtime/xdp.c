// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xdp.c - finding and reading the xlb program on an interface. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "xdp.h"

const char *xlb_mode_name(enum xlb_xdp_mode mode)
{
	switch (mode) {
	case XLB_MODE_NATIVE:
		return "native";
	case XLB_MODE_GENERIC:
		return "generic";
	case XLB_MODE_OFFLOAD:
		return "offload";
	case XLB_MODE_NONE:
		break;
	}
	return "none";
}

__u32 xlb_mode_flag(enum xlb_xdp_mode mode)
{
	switch (mode) {
	case XLB_MODE_NATIVE:
		return XDP_FLAGS_DRV_MODE;
	case XLB_MODE_GENERIC:
		return XDP_FLAGS_SKB_MODE;
	case XLB_MODE_OFFLOAD:
		return XDP_FLAGS_HW_MODE;
	case XLB_MODE_NONE:
		break;
	}
	return 0;
}

/* Read the whole metadata value of a map id that may be xlb's. */
static int read_meta(int fd, const struct bpf_map_info *info,
		     struct xlb_meta *m)
{
	const char *why;
	__u32 key = 0;
	char *buf;
	int err;

	if (info->type != BPF_MAP_TYPE_ARRAY || info->key_size != 4 ||
	    info->max_entries != 1 || info->value_size == 0)
		return -EINVAL;
	buf = calloc(1, info->value_size + 1);
	if (!buf)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, &key, buf);
	if (!err)
		err = xlb_meta_parse(buf, info->value_size, m, &why);
	free(buf);
	return err;
}

int xlb_attached_open(int ifindex, struct xlb_attached *a)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info pinfo = {};
	__u32 len = sizeof(pinfo), *ids = NULL, nr, i;
	int err;

	memset(a, 0, sizeof(*a));
	a->prog_fd = a->stats_fd = a->meta_fd = -1;

	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		a->mode = XLB_MODE_NATIVE;
		a->prog_id = q.drv_prog_id;
		break;
	case XDP_ATTACHED_SKB:
		a->mode = XLB_MODE_GENERIC;
		a->prog_id = q.skb_prog_id;
		break;
	case XDP_ATTACHED_HW:
		a->mode = XLB_MODE_OFFLOAD;
		a->prog_id = q.hw_prog_id;
		break;
	case XDP_ATTACHED_MULTI:
		/* several modes at once: xlb never does this */
		a->mode = q.drv_prog_id ? XLB_MODE_NATIVE : XLB_MODE_GENERIC;
		a->prog_id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
		break;
	default:
		return 0;
	}
	if (!a->prog_id)
		return 0;

	a->prog_fd = bpf_prog_get_fd_by_id(a->prog_id);
	if (a->prog_fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(a->prog_fd, &pinfo, &len);
	if (err)
		return -errno;
	memcpy(a->prog_name, pinfo.name, sizeof(a->prog_name));
	a->prog_name[sizeof(a->prog_name) - 1] = '\0';

	nr = pinfo.nr_map_ids;
	if (!nr)
		return 0;
	ids = calloc(nr, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	memset(&pinfo, 0, sizeof(pinfo));
	pinfo.nr_map_ids = nr;
	pinfo.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(pinfo);
	if (bpf_obj_get_info_by_fd(a->prog_fd, &pinfo, &len)) {
		err = -errno;
		goto out;
	}
	if (pinfo.nr_map_ids < nr)
		nr = pinfo.nr_map_ids;

	for (i = 0; i < nr; i++) {
		struct bpf_map_info minfo = {};
		__u32 mlen = sizeof(minfo);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &minfo, &mlen)) {
			close(fd);
			continue;
		}
		if (a->stats_fd < 0 && !strcmp(minfo.name, XLB_STATS_MAP) &&
		    minfo.type == BPF_MAP_TYPE_PERCPU_ARRAY &&
		    minfo.value_size == sizeof(struct xlb_counter)) {
			a->stats_fd = fd;
		} else if (a->meta_fd < 0 &&
			   !strcmp(minfo.name, XLB_META_MAP) &&
			   read_meta(fd, &minfo, &a->meta) == 0) {
			a->meta_fd = fd;
		} else {
			close(fd);
		}
	}
	a->is_xlb = a->stats_fd >= 0 && a->meta_fd >= 0 &&
		    a->meta.abi == XLB_ABI_VERSION;
	err = 0;
out:
	free(ids);
	return err;
}

void xlb_attached_close(struct xlb_attached *a)
{
	if (a->prog_fd >= 0)
		close(a->prog_fd);
	if (a->stats_fd >= 0)
		close(a->stats_fd);
	if (a->meta_fd >= 0) {
		close(a->meta_fd);
		xlb_meta_free(&a->meta);
	}
	a->prog_fd = a->stats_fd = a->meta_fd = -1;
}

int xlb_read_counters(int stats_fd, unsigned int n, struct xlb_counter *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xlb_counter *percpu;
	unsigned int slot;
	int cpu, err = 0;

	if (ncpu < 0)
		return ncpu;
	percpu = calloc((size_t)ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (slot = 0; slot < n; slot++) {
		__u32 key = slot;

		out[slot].packets = out[slot].bytes = 0;
		if (bpf_map_lookup_elem(stats_fd, &key, percpu)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpu; cpu++) {
			out[slot].packets += percpu[cpu].packets;
			out[slot].bytes += percpu[cpu].bytes;
		}
	}
	free(percpu);
	return err;
}

int xlb_bpffs_ensure(void)
{
	struct statfs st;

	if (statfs(XLB_BPFFS, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
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

static void tc_hook_init(struct bpf_tc_hook *hook, int ifindex)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = BPF_TC_EGRESS;
}

int xlb_tc_query(int ifindex, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_TC_HANDLE,
		    .priority = XLB_TC_PRIORITY);
	struct bpf_tc_hook hook;
	int err;

	tc_hook_init(&hook, ifindex);
	*prog_id = 0;
	err = bpf_tc_query(&hook, &opts);
	/* no clsact qdisc, or no filter at our handle */
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	if (err)
		return err;
	*prog_id = opts.prog_id;
	return 0;
}

int xlb_tc_attach(int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_TC_HANDLE,
		    .priority = XLB_TC_PRIORITY, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	struct bpf_tc_hook hook;
	int err;

	tc_hook_init(&hook, ifindex);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

int xlb_tc_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_TC_HANDLE,
		    .priority = XLB_TC_PRIORITY);
	struct bpf_tc_hook hook;
	__u32 id;
	int err;

	err = xlb_tc_query(ifindex, &id);
	if (err || !id)
		return err;
	tc_hook_init(&hook, ifindex);
	return bpf_tc_detach(&hook, &opts);
}
