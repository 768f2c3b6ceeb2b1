// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ast.c - constructing and freeing the rule tree, and the tables of names
 * it uses. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "util.h"

void xlb_ruleset_init(struct xlb_ruleset *rs, const struct xlb_source *src)
{
	memset(rs, 0, sizeof(*rs));
	rs->src = src;
	rs->tail = &rs->rules;
	rs->sets_tail = &rs->sets;
	rs->def = XLB_VERDICT_PASS;
	rs->malformed = XLB_VERDICT_DROP;
	rs->nonip = XLB_VERDICT_PASS;
}

void xlb_ruleset_free(struct xlb_ruleset *rs)
{
	struct xlb_rule *r, *next;
	struct xlb_set *s, *snext;

	for (r = rs->rules; r; r = next) {
		next = r->next;
		xlb_rule_free(r);
	}
	for (s = rs->sets; s; s = snext) {
		snext = s->next;
		xlb_set_free(s);
	}
	rs->rules = NULL;
	rs->tail = &rs->rules;
	rs->nrules = 0;
	rs->sets = NULL;
	rs->sets_tail = &rs->sets;
	rs->nsets = 0;
}

void xlb_ruleset_append(struct xlb_ruleset *rs, struct xlb_rule *r)
{
	r->next = NULL;
	*rs->tail = r;
	rs->tail = &r->next;
	rs->nrules++;
}

void xlb_ruleset_add_set(struct xlb_ruleset *rs, struct xlb_set *s)
{
	s->next = NULL;
	*rs->sets_tail = s;
	rs->sets_tail = &s->next;
	rs->nsets++;
}

struct xlb_set *xlb_ruleset_find_set(const struct xlb_ruleset *rs,
				     const char *name)
{
	struct xlb_set *s;

	for (s = rs->sets; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

struct xlb_elem *xlb_elem_new(enum xlb_elem_kind kind,
			      const struct xlb_loc *loc)
{
	struct xlb_elem *e = xcalloc(1, sizeof(*e));

	e->kind = kind;
	e->loc = *loc;
	e->text_loc = *loc;
	return e;
}

struct xlb_elem *xlb_elem_append(struct xlb_elem *head, struct xlb_elem *e)
{
	struct xlb_elem *t;

	if (!head) {
		e->tail = e;
		return e;
	}
	/* the head knows the last element: a list of a million elements is
	 * built in a million steps, not half a million million */
	t = head->tail ? head->tail : head;
	while (t->next)
		t = t->next;
	t->next = e;
	head->tail = e;
	return head;
}

void xlb_elem_free_list(struct xlb_elem *e)
{
	struct xlb_elem *next;

	for (; e; e = next) {
		next = e->next;
		free(e->text);
		free(e);
	}
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

struct xlb_match *xlb_match_append(struct xlb_match *head,
				   struct xlb_match *m)
{
	struct xlb_match *t;

	if (!head)
		return m;
	for (t = head; t->next; t = t->next)
		;
	t->next = m;
	return head;
}

static void cond_release(struct xlb_cond *c)
{
	free(c->pfx);
	free(c->rng);
}

void xlb_match_free_list(struct xlb_match *m)
{
	struct xlb_match *next;

	for (; m; m = next) {
		next = m->next;
		xlb_elem_free_list(m->elems);
		xlb_elem_free_list(m->mask);
		free(m);
	}
}

struct xlb_set *xlb_set_new(void)
{
	return xcalloc(1, sizeof(struct xlb_set));
}

void xlb_set_free(struct xlb_set *s)
{
	if (!s)
		return;
	free(s->name);
	xlb_elem_free_list(s->elems);
	free(s);
}

struct xlb_rule *xlb_rule_new(void)
{
	return xcalloc(1, sizeof(struct xlb_rule));
}

void xlb_rule_free(struct xlb_rule *r)
{
	size_t i;

	if (!r)
		return;
	xlb_match_free_list(r->matches);
	for (i = 0; i < r->nbackends; i++)
		free(r->backends[i].addr);
	for (i = 0; i < XLB_MATCH_KINDS; i++)
		cond_release(&r->cond[i]);
	free(r->backends);
	free(r->text);
	free(r);
}

struct xlb_backend *xlb_rule_add_backend(struct xlb_rule *r,
					 const struct xlb_loc *loc)
{
	struct xlb_backend *b;

	r->backends = xrealloc(r->backends,
			       (r->nbackends + 1) * sizeof(*r->backends));
	b = &r->backends[r->nbackends++];
	memset(b, 0, sizeof(*b));
	b->loc = *loc;
	return b;
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
	case XLB_PROTO_ICMP6:
		return "icmpv6";
	case XLB_PROTO_ANY:
		break;
	}
	return "any";
}

unsigned int xlb_proto_number(enum xlb_proto p)
{
	switch (p) {
	case XLB_PROTO_UDP:
		return 17;
	case XLB_PROTO_TCP:
		return 6;
	case XLB_PROTO_ICMP:
		return 1;
	case XLB_PROTO_ICMP6:
		return 58;
	case XLB_PROTO_ANY:
		break;
	}
	return 0;
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

const char *xlb_select_name(enum xlb_select s)
{
	switch (s) {
	case XLB_SELECT_RR:
		return "round-robin";
	case XLB_SELECT_HASH:
		return "hash";
	case XLB_SELECT_HASH_SRC:
		return "hash src";
	case XLB_SELECT_MAGLEV:
		return "maglev";
	case XLB_SELECT_DEFAULT:
		break;
	}
	return "default";
}

const char *xlb_family_name(unsigned int family)
{
	switch (family) {
	case XLB_FAM_IP4:
		return "IPv4";
	case XLB_FAM_IP6:
		return "IPv6";
	case XLB_FAM_ANY:
		return "IPv4 and IPv6";
	}
	return "no family";
}

/* Dotted quad, four decimal numbers 0-255 without leading zeros' octal
 * surprises: inet_aton's shorthand forms ("10.1") are not addresses here. */
static int parse_ipv4(const char *s, uint8_t out[4])
{
	int parts = 0;

	while (parts < 4) {
		unsigned int v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned int)(*s - '0');
			s++;
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return -1;
		out[parts++] = (uint8_t)v;
		if (parts < 4 && *s++ != '.')
			return -1;
	}
	return *s ? -1 : 0;
}

int xlb_addr_parse(const char *text, struct xlb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (strchr(text, ':')) {
		if (inet_pton(AF_INET6, text, a->addr) != 1)
			return -1;
		a->family = XLB_FAM_IP6;
		return 0;
	}
	if (parse_ipv4(text, a->addr) < 0)
		return -1;
	a->family = XLB_FAM_IP4;
	return 0;
}

void xlb_addr_format(const struct xlb_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == XLB_FAM_IP6 ? AF_INET6 : AF_INET, a->addr,
		       buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void xlb_backend_format(const struct xlb_backend *b, char *buf, size_t len)
{
	char addr[64];

	if (!b->addr) {
		snprintf(buf, len, "%u", (unsigned int)b->port);
		return;
	}
	xlb_addr_format(&b->a, addr, sizeof(addr));
	if (b->a.family == XLB_FAM_IP6 && b->has_port)
		snprintf(buf, len, "[%s]:%u", addr, (unsigned int)b->port);
	else if (b->a.family == XLB_FAM_IP6)
		snprintf(buf, len, "[%s]", addr);
	else if (b->has_port)
		snprintf(buf, len, "%s:%u", addr, (unsigned int)b->port);
	else
		snprintf(buf, len, "%s", addr);
}

const struct xlb_name_value xlb_tcp_flags[] = {
	{ "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 }, { "psh", 0x08 },
	{ "ack", 0x10 }, { "urg", 0x20 }, { "ecn", 0x40 }, { "cwr", 0x80 },
	{ NULL, 0 },
};

/* The names nftables uses, so that rules read the same in both. */
const struct xlb_name_value xlb_icmp_types[] = {
	{ "echo-reply", 0 },
	{ "destination-unreachable", 3 },
	{ "source-quench", 4 },
	{ "redirect", 5 },
	{ "echo-request", 8 },
	{ "router-advertisement", 9 },
	{ "router-solicitation", 10 },
	{ "time-exceeded", 11 },
	{ "parameter-problem", 12 },
	{ "timestamp-request", 13 },
	{ "timestamp-reply", 14 },
	{ "info-request", 15 },
	{ "info-reply", 16 },
	{ "address-mask-request", 17 },
	{ "address-mask-reply", 18 },
	{ NULL, 0 },
};

const struct xlb_name_value xlb_icmp6_types[] = {
	{ "destination-unreachable", 1 },
	{ "packet-too-big", 2 },
	{ "time-exceeded", 3 },
	{ "parameter-problem", 4 },
	{ "echo-request", 128 },
	{ "echo-reply", 129 },
	{ "mld-listener-query", 130 },
	{ "mld-listener-report", 131 },
	{ "mld-listener-done", 132 },
	{ "nd-router-solicit", 133 },
	{ "nd-router-advert", 134 },
	{ "nd-neighbor-solicit", 135 },
	{ "nd-neighbor-advert", 136 },
	{ "nd-redirect", 137 },
	{ "router-renumbering", 138 },
	{ "ind-neighbor-solicit", 141 },
	{ "ind-neighbor-advert", 142 },
	{ "mld2-listener-report", 143 },
	{ NULL, 0 },
};

int xlb_name_lookup(const struct xlb_name_value *table, const char *name,
		    unsigned int *value)
{
	for (; table->name; table++) {
		if (!strcmp(table->name, name)) {
			*value = table->value;
			return 0;
		}
	}
	return -1;
}
