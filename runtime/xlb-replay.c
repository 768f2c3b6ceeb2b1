// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-replay - run an xlbc object over a capture with BPF_PROG_TEST_RUN,
 * one packet at a time, in the kernel, and say what the program did with
 * each packet and which rule decided.
 *
 * The deciding rule is read from the program's own counters: before and
 * after each run the per-rule counters are summed, and the one slot that
 * moved is the rule (or default, non-ip, malformed) that decided.  The
 * process is pinned to one CPU and loads a fresh copy of the object, so
 * per-CPU state such as round-robin cursors starts at zero and advances
 * exactly as the packets dictate.
 *
 * With --reply it runs the object's reply path (the TC egress program
 * xlb_tc) instead, which has no counters: it says whether each packet
 * left rewritten.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pcap/dlt.h>

#include "config.h"
#include "flow.h"
#include "log.h"
#include "meta.h"
#include "pcapout.h"
#include "report.h"
#include "xdp.h"

/* Larger than any frame the kernel will test-run without multi-buffer. */
#define MAX_FRAME 65536

enum {
	COUNT_OTHER = XDP_REDIRECT + 1, /* a return code XDP does not define */
	COUNT_SKIPPED,
	COUNT_SLOTS,
};

struct replay {
	const char *object;
	const char *input;
	const char *output;
	int json;
	FILE *out; /* the report: stdout, or stderr when -w - takes stdout */
	int reply; /* run xlb_tc, the reply path */
	struct xlb_meta meta;
	int prog_fd;
	int stats_fd;
	unsigned int nslots;
	struct xlb_counter *before;
	struct xlb_counter *after;
	unsigned long counts[COUNT_SLOTS]; /* by XDP action, then these: */
	unsigned long rewritten;	   /* --reply */
};

static const char *action_name(__u32 ret)
{
	switch (ret) {
	case XDP_ABORTED:
		return "aborted";
	case XDP_DROP:
		return "drop";
	case XDP_PASS:
		return "pass";
	case XDP_TX:
		return "tx";
	case XDP_REDIRECT:
		return "redirect";
	}
	return "unknown";
}

/* The TC action codes the reply path could return, as tc(8) names them. */
static const char *tc_action_name(int ret)
{
	switch (ret) {
	case TC_ACT_UNSPEC:
		return "continue";
	case TC_ACT_OK:
		return "ok";
	case TC_ACT_SHOT:
		return "shot";
	case TC_ACT_REDIRECT:
		return "redirect";
	}
	return "unknown";
}

static void usage(FILE *out)
{
	fputs("Usage: xlb-replay [-j] [-r] [-w OUT.pcap] OBJECT IN.pcap\n"
	      "Run an xlbc object over a capture in the kernel (BPF_PROG_TEST_RUN)\n"
	      "and print each packet's action and the rule that decided it.\n"
	      "\n"
	      "  -j, --json          one JSON object per packet\n"
	      "  -r, --reply         run the reply path (TC egress) instead, and\n"
	      "                      say whether it rewrote each packet\n"
	      "  -w, --write FILE    write every packet the program neither dropped\n"
	      "                      nor aborted, as the program left it; '-' for\n"
	      "                      stdout, the report then goes to stderr\n"
	      "  -v, --verbose       more detail\n"
	      "  -h, --help          show this help and exit\n"
	      "  -V, --version       show the version and exit\n"
	      "\n"
	      "See xlb-replay(1).\n",
	      out);
}

/* Keep to one CPU so that per-CPU state behaves as on one receive queue. */
static int pin_to_one_cpu(void)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			break;
	if (cpu == CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	return 0;
}

static int load(struct replay *r, struct bpf_object **objp)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int err;

	obj = xlb_object_open(r->object, &r->meta);
	if (!obj)
		return -errno;
	*objp = obj;
	prog = bpf_object__find_program_by_name(obj, r->reply ? XLB_TC_PROG_NAME
							      : XLB_PROG_NAME);
	if (!prog) {
		pr_warn("'%s' has no reply path: none of its rules rewrites "
			"in a way that can be translated back (xlbc warns "
			"which, see xlb-rules(5), THE REPLY PATH)\n",
			r->object);
		return -ENOENT;
	}
	err = xlb_object_load(obj, r->object);
	if (err) {
		if (err == -EPERM)
			pr_warn("permission denied loading '%s': xlb-replay needs "
				"root (CAP_BPF and CAP_NET_ADMIN) to run programs in the kernel\n",
				r->object);
		return err;
	}
	r->prog_fd = bpf_program__fd(prog);
	r->stats_fd =
		bpf_map__fd(bpf_object__find_map_by_name(obj, XLB_STATS_MAP));
	r->nslots = XLB_NCOUNTERS(r->meta.nrules);
	r->before = calloc(r->nslots, sizeof(*r->before));
	r->after = calloc(r->nslots, sizeof(*r->after));
	if (!r->before || !r->after) {
		pr_warn("out of memory\n");
		return -ENOMEM;
	}
	err = xlb_read_counters(r->stats_fd, r->nslots, r->before);
	if (err)
		pr_warn("cannot read the counters of '%s': %s\n", r->object,
			xlb_errstr(err));
	return err;
}

/* The slot that counted the last run, or -1; *runs: how many runs the
 * counters counted since the last call (more than one when a run failed
 * after the program had counted it). */
static int deciding_slot(struct replay *r, unsigned long *runs)
{
	struct xlb_counter *t;
	unsigned int i;
	int slot = -1;

	*runs = 0;
	if (xlb_read_counters(r->stats_fd, r->nslots, r->after))
		return -1;
	for (i = 0; i < r->nslots; i++) {
		if (r->after[i].packets == r->before[i].packets)
			continue;
		if (slot < 0)
			slot = (int)i;
		*runs += r->after[i].packets - r->before[i].packets;
	}
	t = r->before;
	r->before = r->after;
	r->after = t;
	return slot;
}

static int same_addr(const struct xlb_flow *fl, const unsigned char *a,
		     const unsigned char *b)
{
	return !memcmp(a, b, fl->family == 6 ? 16 : 4);
}

/*
 * The backend the program sent a frame to, found from what it did: the
 * first of the deciding rule's backends whose address and port, put into
 * the frame as it came in, give the destination of the frame as it left.
 * Backends that would send the frame to the same place cannot be told
 * apart, and xlbc --simulate names the first of them too.  NULL when the
 * rule has no backends or none fits.
 */
static const char *backend_taken(const struct xlb_meta_rule *rule,
				 const struct xlb_flow *in,
				 const struct xlb_flow *out)
{
	unsigned int i;

	if (!in->has_ports || !out->has_ports || in->family != out->family)
		return NULL;
	for (i = 0; i < rule->nbackends; i++) {
		const struct xlb_meta_backend *b = &rule->backends[i];

		if (b->family && b->family != in->family)
			continue;
		if (!same_addr(out, b->family ? b->addr : in->dst, out->dst))
			continue;
		if ((b->has_port ? b->port : in->dport) == out->dport)
			return b->text;
	}
	return NULL;
}

/* What one run of the XDP program found out about a frame. */
struct finding {
	const char *action;
	int slot;		     /* the counter that moved, or -1 */
	const char *backend;	     /* NULL: none */
	int modified;		     /* the frame left changed */
	const struct xlb_flow *flow; /* the frame as it came in */
};

static void report(const struct replay *r, unsigned long n,
		   const struct finding *f)
{
	const struct xlb_meta *m = &r->meta;
	const char *kind =
		f->slot < 0 ? "unknown"
			    : xlb_meta_slot_kind(m, (unsigned int)f->slot);
	struct xlb_report v = { .packet = n,
				.action = f->action,
				.backend = f->backend,
				.rewritten = f->modified,
				.flow = f->flow };
	char text[64];

	if (r->json) {
		v.by = kind ? kind : "rule";
		if (!kind) {
			v.rule = m->rules[f->slot].text;
			v.line = m->rules[f->slot].line;
		} else if (!strcmp(kind, "default")) {
			snprintf(text, sizeof(text), "default %s",
				 m->default_action);
			v.rule = text;
			v.line = m->default_line;
		}
		xlb_report_json(r->out, &v);
		return;
	}
	fprintf(r->out, "%6lu  %-8s ", n, f->action);
	if (!kind)
		fprintf(r->out, "%s:%u: %s", m->source ? m->source : "?",
			m->rules[f->slot].line, m->rules[f->slot].text);
	else if (!strcmp(kind, "default"))
		fprintf(r->out, "default %s", m->default_action);
	else if (!strcmp(kind, "non-ip"))
		fprintf(r->out, "non-ip (neither IPv4 nor IPv6)");
	else if (!strcmp(kind, "malformed"))
		fprintf(r->out, "malformed (a header could not be read)");
	else
		fprintf(r->out, "(no counter moved)");
	if (f->backend)
		fprintf(r->out, "  [%sbackend %s]",
			f->modified ? "rewritten, " : "", f->backend);
	else if (f->modified)
		fprintf(r->out, "  [rewritten]");
	fputc('\n', r->out);
}

static void report_skipped(const struct replay *r, unsigned long n,
			   const char *reason, const struct xlb_flow *flow)
{
	struct xlb_report v = { .packet = n,
				.action = "skipped",
				.reason = reason,
				.rewritten = -1,
				.flow = flow };

	if (r->json)
		xlb_report_json(r->out, &v);
	else
		fprintf(r->out, "%6lu  %-8s %s\n", n, "skipped", reason);
}

/* --reply: the reply path counts nothing, so only what it did is known. */
static void report_reply(const struct replay *r, unsigned long n,
			 const char *action, int modified,
			 const struct xlb_flow *flow)
{
	struct xlb_report v = { .packet = n,
				.action = action,
				.rewritten = modified,
				.flow = flow };

	if (r->json)
		xlb_report_json(r->out, &v);
	else
		fprintf(r->out, "%6lu  %-8s %s\n", n, action,
			modified ? "rewritten" : "unchanged");
}

/* Run the program once on a frame; 0, or -errno when the kernel refused. */
static int run_once(const struct replay *r, const u_char *data, __u32 len,
		    unsigned char *out, __u32 *out_len, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = data,
		    .data_size_in = len, .data_out = out,
		    .data_size_out = MAX_FRAME, .repeat = 1);

	if (bpf_prog_test_run_opts(r->prog_fd, &topts))
		return -errno;
	*out_len = topts.data_size_out;
	*retval = topts.retval;
	return 0;
}

static int replay(struct replay *r)
{
	char errbuf[PCAP_ERRBUF_SIZE], why[256];
	pcap_t *in = NULL;
	struct xlb_pcapout po = { .dump = NULL };
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned char *out = NULL;
	unsigned long n = 0;
	int rc, err = -1;

	in = pcap_open_offline(r->input, errbuf);
	if (!in) {
		pr_warn("cannot read capture '%s': %s\n", r->input, errbuf);
		return -1;
	}
	if (pcap_datalink(in) != DLT_EN10MB) {
		pr_warn("'%s' has link type %s; xlb-replay needs Ethernet (EN10MB) "
			"captures, as XDP sees them\n",
			r->input, pcap_datalink_val_to_name(pcap_datalink(in)));
		goto out;
	}
	if (r->output &&
	    xlb_pcapout_open(&po, r->output, MAX_FRAME, why, sizeof(why))) {
		pr_warn("%s\n", why);
		goto out;
	}
	out = malloc(MAX_FRAME);
	if (!out) {
		pr_warn("out of memory\n");
		goto out;
	}

	while ((rc = pcap_next_ex(in, &hdr, &data)) == 1) {
		struct xlb_flow flow, left;
		struct finding f = { .flow = &flow };
		__u32 out_len = 0, retval = 0;
		unsigned long runs;
		int kept, refused;

		n++;
		xlb_flow_describe(data, hdr->caplen, &flow);
		if (hdr->caplen < ETH_HLEN) {
			report_skipped(r, n,
				       "frame shorter than an Ethernet header",
				       &flow);
			r->counts[COUNT_SKIPPED]++;
			continue;
		}
		refused =
			run_once(r, data, hdr->caplen, out, &out_len, &retval);
		if (refused) {
			snprintf(why, sizeof(why),
				 "the kernel would not run it: %s",
				 strerror(-refused));
			report_skipped(r, n, why, &flow);
			r->counts[COUNT_SKIPPED]++;
			continue;
		}
		f.modified = out_len != hdr->caplen ||
			     memcmp(out, data, hdr->caplen) != 0;
		if (r->reply) {
			f.action = tc_action_name((int)retval);
			r->counts[retval == (__u32)TC_ACT_UNSPEC ||
						  retval == TC_ACT_OK
					  ? XDP_PASS
					  : COUNT_OTHER]++;
			r->rewritten += f.modified;
			report_reply(r, n, f.action, f.modified, &flow);
			kept = retval != (__u32)TC_ACT_SHOT;
		} else {
			f.action = action_name(retval);
			r->counts[retval <= XDP_REDIRECT ? retval
							 : COUNT_OTHER]++;
			f.slot = deciding_slot(r, &runs);
			kept = retval != XDP_DROP && retval != XDP_ABORTED;
			/* only when this run alone moved the counters is the
			 * rule known to have been this frame's */
			if (kept && runs == 1 && f.slot >= 0 &&
			    (unsigned int)f.slot < r->meta.nrules) {
				xlb_flow_describe(out, out_len, &left);
				f.backend = backend_taken(
					&r->meta.rules[f.slot], &flow, &left);
			}
			report(r, n, &f);
		}
		if (po.dump && kept) {
			struct pcap_pkthdr oh = *hdr;

			oh.caplen = out_len;
			oh.len = hdr->len - hdr->caplen + out_len;
			xlb_pcapout_write(&po, &oh, out);
		}
	}
	if (rc == -1) {
		pr_warn("error reading '%s' after packet %lu: %s\n", r->input,
			n, pcap_geterr(in));
		goto out;
	}
	if (po.dump && xlb_pcapout_commit(&po, why, sizeof(why))) {
		pr_warn("%s\n", why);
		goto out;
	}
	if (!r->json && r->reply) {
		fprintf(r->out,
			"%lu packets: %lu rewritten, %lu unchanged, %lu skipped",
			n, r->rewritten,
			n - r->counts[COUNT_SKIPPED] - r->rewritten,
			r->counts[COUNT_SKIPPED]);
		if (r->counts[COUNT_OTHER])
			fprintf(r->out,
				", %lu with a return code other than ok",
				r->counts[COUNT_OTHER]);
		fputc('\n', r->out);
	} else if (!r->json) {
		fprintf(r->out,
			"%lu packets: %lu pass, %lu drop, %lu tx, %lu redirect, "
			"%lu aborted, %lu skipped",
			n, r->counts[XDP_PASS], r->counts[XDP_DROP],
			r->counts[XDP_TX], r->counts[XDP_REDIRECT],
			r->counts[XDP_ABORTED], r->counts[COUNT_SKIPPED]);
		if (r->counts[COUNT_OTHER])
			fprintf(r->out, ", %lu with an unknown return code",
				r->counts[COUNT_OTHER]);
		fputc('\n', r->out);
	}
	err = 0;
out:
	xlb_pcapout_abort(&po);
	pcap_close(in);
	free(out);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "write", required_argument, NULL, 'w' },
		{ "reply", no_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay r = { .prog_fd = -1, .stats_fd = -1 };
	struct bpf_object *obj = NULL;
	int c, ret = 1, err;

	xlb_tool_name = "xlb-replay";
	while ((c = getopt_long(argc, argv, "jrw:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			r.json = 1;
			break;
		case 'w':
			r.output = optarg;
			break;
		case 'r':
			r.reply = 1;
			break;
		case 'v':
			xlb_verbosity++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("xlb-replay (xlb) %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fputs("Try 'xlb-replay --help' for more information.\n",
			      stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fputs("xlb-replay: an object and a capture are needed\n"
		      "Try 'xlb-replay --help' for more information.\n",
		      stderr);
		return 2;
	}
	r.object = argv[optind];
	r.input = argv[optind + 1];
	/* as with tcpdump -w -, standard output is the capture's alone */
	r.out = xlb_pcapout_is_stdout(r.output) ? stderr : stdout;
	xlb_log_setup_libbpf();

	err = pin_to_one_cpu();
	if (err) {
		pr_warn("cannot pin to one CPU: %s\n", strerror(-err));
		return 1;
	}
	if (load(&r, &obj) == 0 && replay(&r) == 0)
		ret = 0;
	xlb_meta_free(&r.meta);
	free(r.before);
	free(r.after);
	bpf_object__close(obj);
	return ret;
}
