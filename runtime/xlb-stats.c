// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-stats - per-rule counters of the xlb program on an interface.  Found
 * from the interface alone (the attached program and the maps bound to
 * it), so it needs neither the object file nor bpffs.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "config.h"
#include "json.h"
#include "log.h"
#include "xdp.h"

static void usage(FILE *out)
{
	fputs("Usage: xlb-stats [-j] IFNAME\n"
	      "Show the per-rule packet and byte counters of the xlb program on IFNAME.\n"
	      "\n"
	      "  -j, --json      print one JSON object\n"
	      "  -v, --verbose   more detail\n"
	      "  -h, --help      show this help and exit\n"
	      "  -V, --version   show the version and exit\n"
	      "\n"
	      "See xlb-stats(8).\n",
	      out);
}

static void print_json_counter(const char *name, const struct xlb_counter *c,
			       int comma)
{
	printf("%s\"%s\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
	       comma ? "," : "", name, (uint64_t)c->packets,
	       (uint64_t)c->bytes);
}

static void print_json(const char *ifname, const struct xlb_attached *a,
		       __u32 reply_id, const struct xlb_counter *c)
{
	const struct xlb_meta *m = &a->meta;
	unsigned int i, n = m->nrules;

	printf("{\"interface\":");
	xlb_json_string(stdout, ifname);
	printf(",\"program_id\":%u,\"mode\":\"%s\",\"reply_path_id\":%u,"
	       "\"source\":",
	       a->prog_id, xlb_mode_name(a->mode), reply_id);
	xlb_json_string(stdout, m->source);
	printf(",\"rules\":[");
	for (i = 0; i < n; i++) {
		printf("%s{\"index\":%u,\"rule\":", i ? "," : "", i);
		xlb_json_string(stdout, m->rules[i].text);
		printf(",\"line\":%u,\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		       "}",
		       m->rules[i].line, (uint64_t)c[i].packets,
		       (uint64_t)c[i].bytes);
	}
	printf("],\"default\":{\"action\":");
	xlb_json_string(stdout, m->default_action);
	printf(",\"line\":%u,\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
	       m->default_line, (uint64_t)c[XLB_CTR_DEFAULT(n)].packets,
	       (uint64_t)c[XLB_CTR_DEFAULT(n)].bytes);
	print_json_counter("non_ip", &c[XLB_CTR_NONIP(n)], 1);
	print_json_counter("malformed", &c[XLB_CTR_MALFORMED(n)], 1);
	printf("}\n");
}

static void print_text(const char *ifname, const struct xlb_attached *a,
		       __u32 reply_id, const struct xlb_counter *c)
{
	const struct xlb_meta *m = &a->meta;
	const char *src = m->source ? m->source : "?";
	unsigned int i, n = m->nrules;

	printf("%s: xlb program %u (%s mode), %u rule%s from %s", ifname,
	       a->prog_id, xlb_mode_name(a->mode), n, n == 1 ? "" : "s", src);
	if (reply_id)
		printf("; reply path %u on egress", reply_id);
	putchar('\n');
	printf("%14s %16s  %s\n", "packets", "bytes", "rule");
	for (i = 0; i < n; i++)
		printf("%14" PRIu64 " %16" PRIu64 "  %s:%u: %s\n",
		       (uint64_t)c[i].packets, (uint64_t)c[i].bytes, src,
		       m->rules[i].line, m->rules[i].text);
	if (m->default_line)
		printf("%14" PRIu64 " %16" PRIu64 "  %s:%u: default %s\n",
		       (uint64_t)c[XLB_CTR_DEFAULT(n)].packets,
		       (uint64_t)c[XLB_CTR_DEFAULT(n)].bytes, src,
		       m->default_line, m->default_action);
	else
		printf("%14" PRIu64 " %16" PRIu64
		       "  default %s (no rule matched)\n",
		       (uint64_t)c[XLB_CTR_DEFAULT(n)].packets,
		       (uint64_t)c[XLB_CTR_DEFAULT(n)].bytes,
		       m->default_action);
	printf("%14" PRIu64 " %16" PRIu64 "  non-ip (neither IPv4 nor IPv6: passed)\n",
	       (uint64_t)c[XLB_CTR_NONIP(n)].packets,
	       (uint64_t)c[XLB_CTR_NONIP(n)].bytes);
	printf("%14" PRIu64 " %16" PRIu64
	       "  malformed (truncated or invalid: passed)\n",
	       (uint64_t)c[XLB_CTR_MALFORMED(n)].packets,
	       (uint64_t)c[XLB_CTR_MALFORMED(n)].bytes);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct xlb_attached a;
	struct xlb_counter *c = NULL;
	__u32 reply_id;
	const char *ifname;
	int opt, json = 0, ifindex, err, ret = 1;

	xlb_tool_name = "xlb-stats";
	while ((opt = getopt_long(argc, argv, "jvhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'v':
			xlb_verbosity++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("xlb-stats (xlb) %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fputs("Try 'xlb-stats --help' for more information.\n",
			      stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fputs("xlb-stats: one interface name is needed\n"
		      "Try 'xlb-stats --help' for more information.\n",
		      stderr);
		return 2;
	}
	ifname = argv[optind];
	xlb_log_setup_libbpf();

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		pr_warn("no such interface '%s' in this network namespace; "
			"see 'ip link'\n",
			ifname);
		return 1;
	}
	err = xlb_attached_open(ifindex, &a);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			pr_warn("permission denied reading the XDP program of %s: "
				"xlb-stats needs root (CAP_SYS_ADMIN, to open the program by id)\n",
				ifname);
		else
			pr_warn("cannot query the XDP program of %s: %s\n",
				ifname, strerror(-err));
		goto out;
	}
	if (!a.prog_id) {
		pr_warn("%s has no XDP program; attach one with "
			"'xlb-load OBJECT %s'\n",
			ifname, ifname);
		goto out;
	}
	if (!a.is_xlb) {
		pr_warn("the XDP program on %s ('%s', id %u) was not loaded by "
			"xlb-load: it has no xlb counters\n",
			ifname, a.prog_name, a.prog_id);
		goto out;
	}
	c = calloc(XLB_NCOUNTERS(a.meta.nrules), sizeof(*c));
	if (!c) {
		pr_warn("out of memory\n");
		goto out;
	}
	err = xlb_read_counters(a.stats_fd, XLB_NCOUNTERS(a.meta.nrules), c);
	if (err) {
		pr_warn("cannot read the counters of program %u on %s: %s\n",
			a.prog_id, ifname, strerror(-err));
		goto out;
	}
	/* the reply path is a convenience to show: no error if unreadable */
	if (xlb_tc_query(ifindex, &reply_id))
		reply_id = 0;
	if (json)
		print_json(ifname, &a, reply_id, c);
	else
		print_text(ifname, &a, reply_id, c);
	ret = 0;
out:
	free(c);
	xlb_attached_close(&a);
	return ret;
}
