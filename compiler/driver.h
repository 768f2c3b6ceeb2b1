/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* driver.h - runs the passes, writes outputs, calls clang. */
#ifndef XLB_DRIVER_H
#define XLB_DRIVER_H

#include <stdbool.h>

struct xlbc_opts {
	const char *input;  /* the rules file; "-" is standard input */
	bool yaml;	    /* --yaml: in the YAML syntax, whatever its name */
	const char *output; /* -o: the BPF object */
	const char *emit_c; /* -S: the generated C ("-" for stdout) */
	bool check_only;    /* --check */
	bool print;	    /* --print: the canonical text to stdout */
	bool verbose;	    /* -v: show the clang command */
};

/* Compile as the options say; returns the exit status (0 or 1). */
int xlbc_run(const struct xlbc_opts *o);
/* On SIGINT, SIGTERM and SIGHUP (unless ignored from the start), stop
 * clang, remove its directory and the temporary files of outputs being
 * written, then die of the signal. */
void xlbc_catch_signals(void);

#endif
