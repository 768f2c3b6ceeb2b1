// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xlbc - compile an xlb rules file into an XDP object. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "driver.h"
#include "outfile.h"
#include "sim.h"
#include "xlb-paths.h"

static void usage(FILE *out)
{
	fputs("Usage: xlbc [OPTION]... RULES\n"
	      "       xlbc --simulate IN.pcap [--reply] [-w OUT.pcap] RULES\n"
	      "Compile an xlb rules file into a kernel-verifiable XDP object.\n"
	      "\n"
	      "  -o, --output FILE   write the BPF object to FILE\n"
	      "  -S, --emit-c FILE   write the generated C to FILE ('-' for stdout)\n"
	      "      --check         check the rules only; write nothing\n"
	      "      --simulate PCAP run the rules over a capture in user space, by\n"
	      "                      their definition, and print what\n"
	      "                      'xlb-replay -j' prints for their object\n"
	      "      --reply         with --simulate: run the reply path instead,\n"
	      "                      as 'xlb-replay -j -r' does\n"
	      "  -w, --write FILE    with --simulate: write the packets passed, as\n"
	      "                      'xlb-replay -w' does; '-' for stdout, the\n"
	      "                      verdicts then go to stderr\n"
	      "      --print         print the rules in canonical text form to\n"
	      "                      stdout; write nothing else\n"
	      "      --yaml          read RULES in the YAML syntax, whatever its\n"
	      "                      name (for '-')\n"
	      "  -v, --verbose       show the clang command line\n"
	      "  -h, --help          show this help and exit\n"
	      "  -V, --version       show the version and exit\n"
	      "\n"
	      "RULES is in the text syntax, or in YAML when its name ends in\n"
	      ".yaml or .yml (or with --yaml); '-' is standard input.  One of\n"
	      "-o, -S (or both), --check or --print is needed.  Diagnostics go\n"
	      "to standard error as\n"
	      "FILE:LINE:COL: error: MESSAGE; on any error the exit status is 1\n"
	      "and no output file is created or replaced.\n"
	      "\n"
	      "Environment: XLB_TEMPLATE_DIR (BPF templates, default " XLB_TEMPLATE_DIR
	      "),\n"
	      "XLB_CLANG (the clang to run, default " XLB_CLANG ").\n"
	      "See xlbc(1) and xlb-rules(5).\n",
	      out);
}

/* Whether writing the output out would replace in, a file the run reads
 * ("-": standard input).  Only a regular file is replaced: a device, a
 * FIFO or a terminal is written in place and can be both. */
static bool replaces(const char *out, const char *in)
{
	struct stat st;

	if (!out || !strcmp(out, "-"))
		return false;
	if (!strcmp(in, "-"))
		in = "/dev/stdin";
	return stat(in, &st) == 0 && S_ISREG(st.st_mode) &&
	       xlb_outfile_same_file(out, in);
}

/* The error for option opt's output out being what (in, or "-"). */
static int same_file(const char *opt, const char *out, const char *what,
		     const char *in)
{
	if (!strcmp(in, "-"))
		fprintf(stderr,
			"xlbc: error: %s '%s' and %s (standard input) are the "
			"same file\n",
			opt, out, what);
	else
		fprintf(stderr,
			"xlbc: error: %s '%s' and %s '%s' are the same file\n",
			opt, out, what, in);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "emit-c", required_argument, NULL, 'S' },
		{ "check", no_argument, NULL, 'c' },
		{ "simulate", required_argument, NULL, 's' },
		{ "write", required_argument, NULL, 'w' },
		{ "reply", no_argument, NULL, 'r' },
		{ "print", no_argument, NULL, 'p' },
		{ "yaml", no_argument, NULL, 'y' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct xlbc_opts o = { 0 };
	const char *sim_in = NULL, *sim_out = NULL;
	bool sim_reply = false;
	int c;

	while ((c = getopt_long(argc, argv, "o:S:w:vhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 'S':
			o.emit_c = optarg;
			break;
		case 'c':
			o.check_only = true;
			break;
		case 's':
			sim_in = optarg;
			break;
		case 'w':
			sim_out = optarg;
			break;
		case 'r':
			sim_reply = true;
			break;
		case 'p':
			o.print = true;
			break;
		case 'y':
			o.yaml = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("xlbc (xlb) %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fputs("Try 'xlbc --help' for more information.\n",
			      stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr,
			"xlbc: %s\nTry 'xlbc --help' for more information.\n",
			optind == argc ? "no rules file given"
				       : "only one rules file may be given");
		return 2;
	}
	o.input = argv[optind];
	if ((sim_out || sim_reply) && !sim_in) {
		fputs("xlbc: -w and --reply go with --simulate\n"
		      "Try 'xlbc --help' for more information.\n",
		      stderr);
		return 2;
	}
	if (sim_in) {
		if (o.output || o.emit_c || o.check_only || o.print ||
		    o.yaml) {
			fputs("xlbc: --simulate does not go with -o, -S, --check, "
			      "--print or --yaml\n"
			      "Try 'xlbc --help' for more information.\n",
			      stderr);
			return 2;
		}
		if (!strcmp(sim_in, "-") && !strcmp(o.input, "-")) {
			fputs("xlbc: the capture and the rules cannot both be "
			      "standard input\n"
			      "Try 'xlbc --help' for more information.\n",
			      stderr);
			return 2;
		}
		if (replaces(sim_out, o.input))
			return same_file("-w", sim_out, "the rules file",
					 o.input);
		if (replaces(sim_out, sim_in))
			return same_file("-w", sim_out, "the capture", sim_in);
		xlbc_catch_signals();
		/* -w - takes standard output, as tcpdump -w - does */
		return xlb_simulate(o.input, sim_in, sim_out, sim_reply,
				    sim_out && !strcmp(sim_out, "-") ? stderr
								     : stdout);
	}
	if (!o.output && !o.emit_c && !o.check_only && !o.print) {
		fputs("xlbc: nothing to do: give -o FILE, -S FILE, --check or "
		      "--print\n"
		      "Try 'xlbc --help' for more information.\n",
		      stderr);
		return 2;
	}
	if (o.print && (o.output || o.emit_c)) {
		fputs("xlbc: --print writes only the rules' text; give -o and -S "
		      "in another run\n"
		      "Try 'xlbc --help' for more information.\n",
		      stderr);
		return 2;
	}
	/* Refused before anything is read or written: an output that would
	 * replace the rules, or that the other output would replace. */
	if (replaces(o.output, o.input))
		return same_file("-o", o.output, "the rules file", o.input);
	if (replaces(o.emit_c, o.input))
		return same_file("-S", o.emit_c, "the rules file", o.input);
	if (o.output && o.emit_c &&
	    (!strcmp(o.output, o.emit_c) ||
	     (strcmp(o.output, "-") && strcmp(o.emit_c, "-") &&
	      xlb_outfile_same_file(o.output, o.emit_c))))
		return same_file("-o", o.output, "-S", o.emit_c);
	xlbc_catch_signals();
	return xlbc_run(&o);
}
