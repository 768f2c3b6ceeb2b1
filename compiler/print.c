// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * print.c - the canonical text form of a ruleset (xlbc --print).
 *
 * One statement per line: the sets in definition order, the rules in
 * order, then 'default', 'malformed' and 'non-ip' if they were given.
 * Elements keep the form they were written in, normalised: addresses in canonical form (RFC 5952 for IPv6),
 * '/LEN' only when given, a range lo-hi only when lo != hi.  A rule starts
 * with its verdict (drop, pass) or ends with '-> BACKENDS SELECTOR', the
 * selector always spelled out; a negation always reads 'not KEY VALUE';
 * 'port' reads 'dst port'.  The output reads back as the same ruleset.
 *
 * The printer wants a checked ruleset (canonical addresses and the
 * resolved selector come from check); on one that is not, it prints the
 * addresses as written and leaves out a selector that was not given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlbc.h"

/* INET6_ADDRSTRLEN, without <netinet/in.h> */
#define ADDR_BUF 48

static void put_addr(struct strbuf *out, const struct xlb_addr *a,
		     const char *text)
{
	struct xlb_addr parsed;
	char buf[ADDR_BUF];

	if (!a->family) {
		/* not checked: canonical if it parses, else as written */
		if (!text || xlb_addr_parse(text, &parsed) < 0) {
			strbuf_puts(out, text ? text : "?");
			return;
		}
		a = &parsed;
	}
	xlb_addr_format(a, buf, sizeof(buf));
	strbuf_puts(out, buf);
}

static void put_elem(struct strbuf *out, const struct xlb_elem *e)
{
	switch (e->kind) {
	case XLB_ELEM_ADDR:
		put_addr(out, &e->pfx.a, e->text);
		if (e->has_plen)
			strbuf_printf(out, "/%llu",
				      (unsigned long long)e->plen);
		break;
	case XLB_ELEM_NUM:
		if (e->is_range && e->lo != e->hi)
			strbuf_printf(out, "%llu-%llu",
				      (unsigned long long)e->lo,
				      (unsigned long long)e->hi);
		else
			strbuf_printf(out, "%llu", (unsigned long long)e->lo);
		break;
	case XLB_ELEM_NAME:
		strbuf_puts(out, e->text);
		break;
	case XLB_ELEM_SET:
		strbuf_printf(out, "@%s", e->text);
		break;
	}
}

/* a, b, c */
static void put_list(struct strbuf *out, const struct xlb_elem *e,
		     const char *sep)
{
	for (; e; e = e->next) {
		put_elem(out, e);
		if (e->next)
			strbuf_puts(out, sep);
	}
}

static const char *match_key(enum xlb_match_kind kind)
{
	switch (kind) {
	case XLB_MATCH_SRC:
		return "src";
	case XLB_MATCH_DST:
		return "dst";
	case XLB_MATCH_SPORT:
		return "src port";
	case XLB_MATCH_DPORT:
		return "dst port";
	case XLB_MATCH_TYPE:
		return "type";
	case XLB_MATCH_FLAGS:
		return "flags";
	default:
		break;
	}
	return "?";
}

static void put_match(struct strbuf *out, const struct xlb_match *m)
{
	switch (m->kind) {
	case XLB_MATCH_FAMILY:
		strbuf_puts(out, m->family == XLB_FAM_IP6 ? "ip6" : "ip");
		return;
	case XLB_MATCH_PROTO:
		strbuf_puts(out, xlb_proto_name(m->proto));
		return;
	default:
		break;
	}
	if (m->neg)
		strbuf_puts(out, "not ");
	strbuf_printf(out, "%s ", match_key(m->kind));
	if (m->kind == XLB_MATCH_FLAGS) {
		put_list(out, m->elems, ",");
		if (m->mask) {
			strbuf_puts(out, " / ");
			put_list(out, m->mask, ",");
		}
	} else if (m->braced) {
		strbuf_puts(out, "{ ");
		put_list(out, m->elems, ", ");
		strbuf_puts(out, " }");
	} else {
		put_list(out, m->elems, ", ");
	}
}

/* 9876, 10.0.0.2:8080, [2001:db8::2]:80, then ' weight N' if given. */
static void put_backend(struct strbuf *out, const struct xlb_backend *b)
{
	char buf[ADDR_BUF + 8];
	bool v6;

	if ((!b->addr || b->a.family) && (!b->has_port || b->port <= 0xffff)) {
		/* checked: the name its Maglev table is built from */
		xlb_backend_format(b, buf, sizeof(buf));
		strbuf_puts(out, buf);
	} else {
		/* not checked: the same form, from what was written */
		v6 = b->addr && (b->bracketed || strchr(b->addr, ':'));
		if (b->addr) {
			strbuf_puts(out, v6 ? "[" : "");
			put_addr(out, &b->a, b->addr);
			strbuf_puts(out, v6 ? "]" : "");
		}
		if (b->has_port)
			strbuf_printf(out, "%s%llu", b->addr ? ":" : "",
				      (unsigned long long)b->port);
	}
	if (b->has_weight)
		strbuf_printf(out, " weight %llu",
			      (unsigned long long)b->weight);
}

void xlb_print_rule(const struct xlb_rule *r, struct strbuf *out)
{
	const struct xlb_match *m;
	size_t i;
	bool rewrite = r->verdict == XLB_VERDICT_REWRITE;
	bool first = true;

	if (!rewrite) {
		strbuf_puts(out, xlb_verdict_name(r->verdict));
		first = false;
	}
	for (m = r->matches; m; m = m->next) {
		if (!first)
			strbuf_putc(out, ' ');
		put_match(out, m);
		first = false;
	}
	if (!rewrite)
		return;
	strbuf_puts(out, first ? "->" : " ->");
	for (i = 0; i < r->nbackends; i++) {
		strbuf_puts(out, i ? ", " : " ");
		put_backend(out, &r->backends[i]);
	}
	if (r->select != XLB_SELECT_DEFAULT)
		strbuf_printf(out, " %s", xlb_select_name(r->select));
}

void xlb_print(const struct xlb_ruleset *rs, struct strbuf *out)
{
	const struct xlb_rule *r;
	const struct xlb_set *s;

	for (s = rs->sets; s; s = s->next) {
		strbuf_printf(out, "set %s { ", s->name);
		put_list(out, s->elems, ", ");
		strbuf_puts(out, " };\n");
	}
	for (r = rs->rules; r; r = r->next) {
		xlb_print_rule(r, out);
		strbuf_puts(out, ";\n");
	}
	if (rs->def_set)
		strbuf_printf(out, "default %s;\n", xlb_verdict_name(rs->def));
	if (rs->malformed_set)
		strbuf_printf(out, "malformed %s;\n",
			      xlb_verdict_name(rs->malformed));
	if (rs->nonip_set)
		strbuf_printf(out, "non-ip %s;\n", xlb_verdict_name(rs->nonip));
}

void xlb_rules_set_text(struct xlb_ruleset *rs)
{
	struct strbuf sb = STRBUF_INIT;
	struct xlb_rule *r;

	for (r = rs->rules; r; r = r->next) {
		xlb_print_rule(r, &sb);
		free(r->text);
		r->text = strbuf_detach(&sb);
	}
}
