// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* report.c - see report.h. */
#include "json.h"
#include "report.h"

static void member(FILE *out, const char *name, const char *value)
{
	if (!value)
		return;
	fprintf(out, ",\"%s\":", name);
	xlb_json_string(out, value);
}

void xlb_report_json(FILE *out, const struct xlb_report *v)
{
	fprintf(out, "{\"packet\":%lu", v->packet);
	member(out, "action", v->action);
	member(out, "by", v->by);
	if (v->rule) {
		member(out, "rule", v->rule);
		fprintf(out, ",\"line\":%u", v->line);
	}
	member(out, "reason", v->reason);
	member(out, "backend", v->backend);
	if (v->rewritten >= 0)
		fprintf(out, ",\"rewritten\":%s",
			v->rewritten ? "true" : "false");
	if (v->flow)
		xlb_flow_json(out, v->flow);
	fputs("}\n", out);
}
