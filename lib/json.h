/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * json.h - JSON strings, the one escaper of xlb: xlb-replay, xlb-stats and
 * xlbc --simulate write their JSON with it, so that the same text comes
 * out the same everywhere.
 */
#ifndef XLB_JSON_H
#define XLB_JSON_H

#include <stdio.h>

/* s as a JSON string literal, quotes included: '"' and '\' are escaped
 * with a backslash, control characters (below 0x20) as \u00XX, every other
 * byte is written as it is.  NULL is written as "". */
void xlb_json_string(FILE *out, const char *s);

#endif
