// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ast.c - constructing and freeing the rule tree. */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "util.h"

void xlb_ruleset_init(struct xlb_ruleset *rs, const struct xlb_source *src)
{
	memset(rs, 0, sizeof(*rs));
	rs->src = src;
	rs->tail = &rs->rules;
	rs->def = XLB_VERDICT_PASS;
}

void xlb_ruleset_free(struct xlb_ruleset *rs)
{
	struct xlb_rule *r, *next;

	for (r = rs->rules; r; r = next) {
		next = r->next;
		xlb_rule_free(r);
	}
	rs->rules = NULL;
	rs->tail = &rs->rules;
	rs->nrules = 0;
}

void xlb_ruleset_append(struct xlb_ruleset *rs, struct xlb_rule *r)
{
	r->next = NULL;
	*rs->tail = r;
	rs->tail = &r->next;
	rs->nrules++;
}

struct xlb_match *xlb_match_new(enum xlb_match_kind kind,
				const struct xlb_loc *loc)
{
	struct xlb_match *m = xcalloc(1, sizeof(*m));

	m->kind = kind;
	m->loc = *loc;
	m->value_loc = *loc;
	return m;
}

void xlb_match_free_list(struct xlb_match *m)
{
	struct xlb_match *next;

	for (; m; m = next) {
		next = m->next;
		free(m->addr);
		free(m);
	}
}

struct xlb_rule *xlb_rule_new(void)
{
	return xcalloc(1, sizeof(struct xlb_rule));
}

void xlb_rule_free(struct xlb_rule *r)
{
	if (!r)
		return;
	xlb_match_free_list(r->matches);
	free(r->backends);
	free(r->text);
	free(r);
}

void xlb_rule_add_backend(struct xlb_rule *r, uint64_t port,
			  const struct xlb_loc *loc)
{
	r->backends = xrealloc(r->backends,
			       (r->nbackends + 1) * sizeof(*r->backends));
	r->backends[r->nbackends].port = port;
	r->backends[r->nbackends].loc = *loc;
	r->nbackends++;
}

void xlb_rule_set_text(struct xlb_rule *r, const struct xlb_source *src)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, end = r->loc.last_off;
	int blank = 0;

	if (end > src->len)
		end = src->len;
	for (i = r->loc.first_off; i < end; i++) {
		char c = src->text[i];

		if (c == '#') {
			while (i + 1 < end && src->text[i + 1] != '\n')
				i++;
			blank = 1;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f' || c == '\v') {
			blank = 1;
			continue;
		}
		if (blank && sb.len)
			strbuf_putc(&sb, ' ');
		blank = 0;
		strbuf_putc(&sb, c);
	}
	free(r->text);
	r->text = strbuf_detach(&sb);
}

const char *xlb_proto_name(enum xlb_proto p)
{
	switch (p) {
	case XLB_PROTO_UDP:
		return "udp";
	case XLB_PROTO_TCP:
		return "tcp";
	case XLB_PROTO_ICMP:
		return "icmp";
	case XLB_PROTO_ANY:
		break;
	}
	return "any";
}

const char *xlb_verdict_name(enum xlb_verdict v)
{
	switch (v) {
	case XLB_VERDICT_DROP:
		return "drop";
	case XLB_VERDICT_PASS:
		return "pass";
	case XLB_VERDICT_REWRITE:
		return "rewrite";
	case XLB_VERDICT_NONE:
		break;
	}
	return "none";
}
