/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * report.h - one line of `xlb-replay -j` (xlb-replay(1), JSON OUTPUT),
 * which `xlbc --simulate` prints too: both fill a struct xlb_report each
 * from its own findings, and this writes it, so that the two can be
 * compared line by line.
 */
#ifndef XLB_REPORT_H
#define XLB_REPORT_H

#include <stdio.h>

#include "flow.h"

struct xlb_report {
	unsigned long packet;	     /* from 1 */
	const char *action;	     /* "pass", "drop", "ok", "skipped", ... */
	const char *by;		     /* "rule", "default", ...; NULL: none */
	const char *rule;	     /* NULL: none */
	unsigned int line;	     /* with rule */
	const char *reason;	     /* skipped frames; NULL: none */
	const char *backend;	     /* the backend taken; NULL: none */
	int rewritten;		     /* 1, 0, or -1: not said */
	const struct xlb_flow *flow; /* the frame as it came; NULL: none */
};

/* The report as one JSON object on a line of its own: packet, action,
 * by, rule and line, reason, backend, rewritten, then the flow's members
 * (xlb_flow_json()), those that are given. */
void xlb_report_json(FILE *out, const struct xlb_report *v);

#endif
