// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xdp.c - finding and reading the xlb program on an interface. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_link.h>
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

/* An older xlb-load's record is shorter: what it lacks reads 0. */
static int read_attach_rec(int fd, const struct bpf_map_info *info,
			   struct xlb_attach_rec *rec)
{
	__u32 key = 0;

	memset(rec, 0, sizeof(*rec));
	if (info->type != BPF_MAP_TYPE_ARRAY || info->key_size != 4 ||
	    info->value_size < sizeof(rec->reply_prog_id) ||
	    info->value_size > sizeof(*rec) || info->max_entries != 1)
		return -EINVAL;
	return bpf_map_lookup_elem(fd, &key, rec) ? -errno : 0;
}

/* The ids of the maps bound to prog_fd, in *ids (free() it), *nr of
 * them: 0, or -errno. */
static int prog_map_ids(int prog_fd, __u32 **ids, __u32 *nr)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	*ids = NULL;
	*nr = 0;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	if (!info.nr_map_ids)
		return 0;
	*nr = info.nr_map_ids;
	*ids = calloc(*nr, sizeof(**ids));
	if (!*ids)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = *nr;
	info.map_ids = (__u64)(unsigned long)*ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		free(*ids);
		*ids = NULL;
		*nr = 0;
		return -errno;
	}
	if (info.nr_map_ids < *nr)
		*nr = info.nr_map_ids;
	return 0;
}

/* A map's descriptor and info by id: the descriptor, or -1. */
static int map_open(__u32 id, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	int fd = bpf_map_get_fd_by_id(id);

	memset(info, 0, sizeof(*info));
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, info, &len)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int xlb_attached_open(int ifindex, struct xlb_attached *a)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct xlb_link link;
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
	err = xlb_link_find(BPF_LINK_TYPE_XDP, ifindex, a->prog_id, &link);
	if (err)
		return err;
	a->link_id = link.id;

	err = prog_map_ids(a->prog_fd, &ids, &nr);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		struct bpf_map_info minfo;
		int fd = map_open(ids[i], &minfo);

		if (fd < 0)
			continue;
		if (!a->has_rec && !strcmp(minfo.name, XLB_ATTACH_MAP) &&
		    read_attach_rec(fd, &minfo, &a->rec) == 0) {
			a->has_rec = 1;
			close(fd);
		} else if (a->stats_fd < 0 &&
			   !strcmp(minfo.name, XLB_STATS_MAP) &&
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
	free(ids);
	return 0;
}

int xlb_prog_rec(__u32 prog_id, struct xlb_attach_rec *rec)
{
	struct bpf_map_info minfo;
	__u32 *ids, nr, i;
	int fd, mfd, err, found = 0;

	memset(rec, 0, sizeof(*rec));
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	err = prog_map_ids(fd, &ids, &nr);
	close(fd);
	for (i = 0; !err && !found && i < nr; i++) {
		mfd = map_open(ids[i], &minfo);
		if (mfd < 0)
			continue;
		found = !strcmp(minfo.name, XLB_ATTACH_MAP) &&
			read_attach_rec(mfd, &minfo, rec) == 0;
		close(mfd);
	}
	free(ids);
	return err ? err : found;
}

void xlb_netns_self(__u64 *cookie, __u64 *ino)
{
	socklen_t len = sizeof(*cookie);
	struct stat st;
	int fd;

	*cookie = *ino = 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len))
			*cookie = 0;
		close(fd);
	}
	if (stat("/proc/self/ns/net", &st) == 0)
		*ino = st.st_ino;
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

int xlb_link_info(int fd, struct xlb_link *l)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	memset(l, 0, sizeof(*l));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	l->id = info.id;
	l->type = info.type;
	l->prog_id = info.prog_id;
	/* tcx's link info (ifindex, attach_type) starts where XDP's
	 * (ifindex) does: the 6.1 headers know only the latter */
	if (info.type == BPF_LINK_TYPE_XDP || info.type == XLB_LINK_TYPE_TCX)
		l->ifindex = info.xdp.ifindex;
	return 0;
}

int xlb_link_find(__u32 type, int ifindex, __u32 prog_id, struct xlb_link *l)
{
	__u32 id = 0;
	int fd, err;

	memset(l, 0, sizeof(*l));
	if (!prog_id)
		return 0;
	while (!bpf_link_get_next_id(id, &id)) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* gone meanwhile */
			return -errno;
		}
		err = xlb_link_info(fd, l);
		close(fd);
		if (!err && l->type == type && l->prog_id == prog_id &&
		    l->ifindex == (__u32)ifindex)
			return 0;
	}
	memset(l, 0, sizeof(*l));
	return errno == ENOENT ? 0 : -errno;
}

const char *xlb_reply_kind_name(enum xlb_reply_kind kind)
{
	switch (kind) {
	case XLB_REPLY_TCX:
		return "tcx";
	case XLB_REPLY_CLSACT:
		return "clsact";
	case XLB_REPLY_NONE:
		break;
	}
	return "none";
}

/* The name of program id (NUL-terminated, at most 15 characters). */
static int prog_name(__u32 id, char name[16])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), err = 0;

	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	memcpy(name, info.name, 16);
	name[15] = '\0';
	return err;
}

int xlb_reply_find(int ifindex, struct xlb_reply *r)
{
	__u32 ids[64], i;
	LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids,
		    .prog_cnt = sizeof(ids) / sizeof(ids[0]));
	struct xlb_link link;
	char name[16];
	int err;

	memset(r, 0, sizeof(*r));
	/* EINVAL: a kernel without tcx */
	err = bpf_prog_query_opts(ifindex, XLB_TCX_EGRESS, &q);
	if (err && err != -EINVAL && err != -EOPNOTSUPP)
		return err;
	for (i = 0; !err && i < q.prog_cnt; i++) {
		if (prog_name(ids[i], name) || strcmp(name, XLB_TC_PROG_NAME))
			continue;
		r->kind = XLB_REPLY_TCX;
		r->prog_id = ids[i];
		err = xlb_link_find(XLB_LINK_TYPE_TCX, ifindex, ids[i], &link);
		r->link_id = link.id;
		return err;
	}
	err = xlb_tc_query(ifindex, &r->prog_id);
	if (!err && r->prog_id)
		r->kind = XLB_REPLY_CLSACT;
	return err;
}

int xlb_reply_remove(int ifindex, const struct xlb_reply *r)
{
	int fd, err;

	switch (r->kind) {
	case XLB_REPLY_TCX:
		if (!r->link_id)
			return -ENOENT; /* attached without a link: not ours */
		fd = bpf_link_get_fd_by_id(r->link_id);
		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		err = bpf_link_detach(fd) ? -errno : 0;
		close(fd);
		return err;
	case XLB_REPLY_CLSACT:
		return xlb_tc_detach(ifindex);
	case XLB_REPLY_NONE:
		break;
	}
	return 0;
}

int xlb_attach_rec_bind(int prog_fd, int tc_fd,
			const struct xlb_attach_rec *rec)
{
	__u32 key = 0;
	int fd, err = 0;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, XLB_ATTACH_MAP, sizeof(key),
			    sizeof(*rec), 1, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(fd, &key, rec, 0) ||
	    bpf_prog_bind_map(prog_fd, fd, NULL) ||
	    (tc_fd >= 0 && bpf_prog_bind_map(tc_fd, fd, NULL)))
		err = -errno;
	close(fd);
	return err;
}
