// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-stats - per-rule counters of the xlb program on an interface.  Found
 * from the interface alone (the attached program and the maps bound to
 * it), so it needs neither the object file nor bpffs.  It also says when
 * xlb is half attached there (see status.h) and what repairs that.
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
#include "status.h"
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

/* ,"NAME":{"action":...,"line":...,"packets":...,"bytes":...} for the
 * default and the policies */
static void print_json_policy(const char *name, const char *action,
			      unsigned int line, const struct xlb_counter *c)
{
	printf(",\"%s\":{\"action\":", name);
	xlb_json_string(stdout, action);
	printf(",\"line\":%u,\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
	       line, (uint64_t)c->packets, (uint64_t)c->bytes);
}

/* "FILE:LINE: non-ip drop" when the file says it, else
 * "non-ip pass (what it counts)" */
static void print_text_policy(const char *src, const char *name,
			      const char *action, unsigned int line,
			      const char *what, const struct xlb_counter *c)
{
	printf("%14" PRIu64 " %16" PRIu64 "  ", (uint64_t)c->packets,
	       (uint64_t)c->bytes);
	if (line)
		printf("%s:%u: %s %s\n", src, line, name, action);
	else
		printf("%s %s (%s)\n", name, action, what);
}

static void print_json(const char *ifname, const struct xlb_attached *a,
		       __u32 reply_id, unsigned int half,
		       const struct xlb_counter *c)
{
	const struct xlb_meta *m = &a->meta;
	unsigned int i, n = m->nrules;

	printf("{\"interface\":");
	xlb_json_string(stdout, ifname);
	printf(",\"program_id\":%u,\"mode\":\"%s\",\"link_id\":%u,"
	       "\"reply_path_id\":%u,\"half_attached\":%s,\"source\":",
	       a->prog_id, xlb_mode_name(a->mode), a->link_id, reply_id,
	       half ? "true" : "false");
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
	putchar(']');
	print_json_policy("default", m->default_action, m->default_line,
			  &c[XLB_CTR_DEFAULT(n)]);
	print_json_policy("non_ip", m->nonip_action, m->nonip_line,
			  &c[XLB_CTR_NONIP(n)]);
	print_json_policy("malformed", m->malformed_action, m->malformed_line,
			  &c[XLB_CTR_MALFORMED(n)]);
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
	print_text_policy(src, "default", m->default_action, m->default_line,
			  "no rule matched", &c[XLB_CTR_DEFAULT(n)]);
	print_text_policy(src, "non-ip", m->nonip_action, m->nonip_line,
			  "neither IPv4 nor IPv6", &c[XLB_CTR_NONIP(n)]);
	print_text_policy(src, "malformed", m->malformed_action,
			  m->malformed_line, "a header that could not be read",
			  &c[XLB_CTR_MALFORMED(n)]);
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
	struct xlb_iface f;
	const struct xlb_attached *a = &f.xdp;
	struct xlb_counter *c = NULL;
	const char *ifname;
	unsigned int half;
	int opt, json = 0, ifindex, err, ret = 1, opened = 0;

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
	err = xlb_iface_open(ifname, ifindex, &f);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			pr_warn("permission denied reading the XDP program of %s: "
				"xlb-stats needs root (CAP_SYS_ADMIN, to open the program by id)\n",
				ifname);
		else
			pr_warn("cannot query the XDP program of %s: %s\n",
				ifname, xlb_errstr(err));
		return 1;
	}
	opened = 1;
	half = xlb_iface_problems(&f);
	if (!a->prog_id) {
		pr_warn("%s has no XDP program; attach one with "
			"'xlb-load OBJECT %s'\n",
			ifname, ifname);
		xlb_iface_warn(&f, half);
		goto out;
	}
	if (!a->is_xlb) {
		pr_warn("the XDP program on %s ('%s', id %u) was not loaded by "
			"xlb-load: it has no xlb counters\n",
			ifname, a->prog_name, a->prog_id);
		xlb_iface_warn(&f, half);
		goto out;
	}
	/* counters all the same: the program is there and counting */
	xlb_iface_warn(&f, half);
	c = calloc(XLB_NCOUNTERS(a->meta.nrules), sizeof(*c));
	if (!c) {
		pr_warn("out of memory\n");
		goto out;
	}
	err = xlb_read_counters(a->stats_fd, XLB_NCOUNTERS(a->meta.nrules),
				c);
	if (err) {
		pr_warn("cannot read the counters of program %u on %s: %s\n",
			a->prog_id, ifname, xlb_errstr(err));
		goto out;
	}
	if (json)
		print_json(ifname, a, f.reply.prog_id, half, c);
	else
		print_text(ifname, a, f.reply.prog_id, c);
	ret = 0;
out:
	free(c);
	if (opened)
		xlb_iface_close(&f);
	return ret;
}
