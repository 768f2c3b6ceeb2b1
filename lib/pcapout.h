/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pcapout.h - the output capture of xlb-replay -w and xlbc --simulate -w:
 * libpcap's dumper (classic pcap, Ethernet) on a file that appears whole
 * or not at all (outfile.h), or on standard output for "-", as tcpdump -w -
 * writes it.
 */
#ifndef XLB_PCAPOUT_H
#define XLB_PCAPOUT_H

#include <stddef.h>

/* libpcap's cut-down bpf.h clashes with the kernel's <linux/bpf.h> */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#include "outfile.h"

struct xlb_pcapout {
	const char *path; /* as given to open, which must outlive it */
	pcap_t *dead;
	pcap_dumper_t *dump;
	struct xlb_outfile of; /* unused for standard output */
	int to_stdout;
};

/* Whether path names standard output. */
int xlb_pcapout_is_stdout(const char *path);

/* Start a capture of Ethernet frames of up to snaplen bytes at path, or
 * on standard output when path is "-" (refused when it is a terminal).
 * 0, or -1 with why[] saying why. */
int xlb_pcapout_open(struct xlb_pcapout *po, const char *path, int snaplen,
		     char *why, size_t whylen);

/* Add a frame. */
void xlb_pcapout_write(struct xlb_pcapout *po, const struct pcap_pkthdr *h,
		       const unsigned char *data);

/* Finish: flush, close and put the file in place.  0, or -1 with why[]
 * saying why (the file is then left as it was). */
int xlb_pcapout_commit(struct xlb_pcapout *po, char *why, size_t whylen);

/* Give up: the file is left as it was.  On standard output, what was
 * written stays written.  Does nothing after commit or a failed open. */
void xlb_pcapout_abort(struct xlb_pcapout *po);

#endif
