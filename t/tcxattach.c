// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcxattach - put a program of an object on an interface's tcx egress hook
 * the way a tool other than xlb-load might: without a link, so that it
 * stays there, held by the hook, after this process exits.
 *
 *   tcxattach OBJECT PROGRAM IFNAME
 *
 * loads the program named PROGRAM (only that one) from OBJECT, attaches it
 * to IFNAME's tcx egress (in this network namespace) with BPF_PROG_ATTACH,
 * and prints its program id.  'ip link del' takes it away with the
 * interface.  Exit status: 0 attached, 1 error, 2 usage.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp.h"

int main(int argc, char **argv)
{
	struct bpf_program *p, *want = NULL;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_object *obj;
	int ifindex, fd, ret = 1;

	if (argc != 4) {
		fputs("usage: tcxattach OBJECT PROGRAM IFNAME\n", stderr);
		return 2;
	}
	ifindex = (int)if_nametoindex(argv[3]);
	if (!ifindex) {
		fprintf(stderr, "tcxattach: no interface '%s'\n", argv[3]);
		return 1;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "tcxattach: cannot open %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, obj) {
		if (!strcmp(bpf_program__name(p), argv[2]))
			want = p;
		else
			bpf_program__set_autoload(p, false);
	}
	if (!want) {
		fprintf(stderr, "tcxattach: %s has no program '%s'\n", argv[1],
			argv[2]);
		goto out;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "tcxattach: cannot load %s: %s\n", argv[1],
			strerror(errno));
		goto out;
	}
	fd = bpf_program__fd(want);
	if (bpf_prog_attach(fd, ifindex, XLB_TCX_EGRESS, 0) ||
	    bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr,
			"tcxattach: cannot attach '%s' to %s egress: %s\n",
			argv[2], argv[3], strerror(errno));
		goto out;
	}
	printf("%u\n", info.id);
	ret = 0;
out:
	bpf_object__close(obj);
	return ret;
}
