// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check.c - the checking pass: validates every rule as written, reports all
 * problems it finds, and fills in the normalised match fields and the
 * ruleset-wide facts (which headers to parse, round-robin slots) that the
 * code generator reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlbc.h"

/* Parse dotted-quad text; 0 on success, else -1 with *bad set to the first
 * octet that is out of range (or -1 if the shape is wrong). */
static int parse_ipv4(const char *s, uint32_t *out, int *bad)
{
	uint32_t addr = 0;
	int parts = 0;

	*bad = -1;
	while (*s) {
		uint64_t v = 0;
		int digits = 0;

		while (*s >= '0' && *s <= '9') {
			if (v <= 0xffff)
				v = v * 10 + (uint64_t)(*s - '0');
			s++;
			digits++;
		}
		if (!digits || parts == 4)
			return -1;
		if (v > 255) {
			*bad = parts;
			return -1;
		}
		addr = addr << 8 | (uint32_t)v;
		parts++;
		if (*s == '.')
			s++;
		else if (*s)
			return -1;
	}
	if (parts != 4)
		return -1;
	*out = addr;
	return 0;
}

/* A number as written in the source (the scanner's value saturates). */
static const char *number_text(const struct xlb_source *src,
			       const struct xlb_loc *loc, char *buf, size_t len)
{
	size_t n = loc->last_off - loc->first_off;

	if (loc->last_off > src->len || n == 0)
		return "?";
	if (n >= len)
		n = len - 1;
	memcpy(buf, src->text + loc->first_off, n);
	buf[n] = '\0';
	return buf;
}

static void format_ipv4(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
}

static void check_addr(const struct xlb_source *src, struct xlb_diags *d,
		       const struct xlb_match *m, struct xlb_addr_cond *c)
{
	uint32_t addr;
	uint64_t plen = 32;
	char num[48];
	int bad;

	if (parse_ipv4(m->addr, &addr, &bad) < 0) {
		if (bad >= 0)
			xlb_error(
				d, &m->value_loc,
				"invalid IPv4 address '%s': octet %d is larger than 255",
				m->addr, bad + 1);
		else
			xlb_error(
				d, &m->value_loc,
				"invalid IPv4 address '%s': expected four numbers separated by dots",
				m->addr);
		return;
	}
	if (m->has_plen) {
		plen = m->plen;
		if (plen > 32) {
			xlb_error(
				d, &m->plen_loc,
				"prefix length %s is out of range for IPv4 (0-32)",
				number_text(src, &m->plen_loc, num,
					    sizeof(num)));
			return;
		}
	}
	c->set = true;
	c->plen = (unsigned int)plen;
	c->mask = plen ? 0xffffffffu << (32 - plen) : 0;
	c->net = addr & c->mask;
	if (c->net != addr) {
		char net[16];

		format_ipv4(c->net, net, sizeof(net));
		xlb_warning(d, &m->value_loc,
			    "'%s/%u' has host bits set; it matches %s/%u",
			    m->addr, c->plen, net, c->plen);
	}
}

static const char *match_name(enum xlb_match_kind k)
{
	switch (k) {
	case XLB_MATCH_PROTO:
		return "protocol";
	case XLB_MATCH_SRC:
		return "'src'";
	case XLB_MATCH_DST:
		return "'dst'";
	case XLB_MATCH_SPORT:
		return "'src port'";
	case XLB_MATCH_DPORT:
		return "'dst port'";
	}
	return "match";
}

static void check_rule(struct xlb_ruleset *rs, struct xlb_rule *r,
		       struct xlb_diags *d)
{
	const struct xlb_match *seen[XLB_MATCH_DPORT + 1] = { NULL };
	const struct xlb_match *m, *port_match = NULL;
	char num[48];
	size_t i;

	for (m = r->matches; m; m = m->next) {
		const struct xlb_match *first = seen[m->kind];

		if (first) {
			if (m->kind == XLB_MATCH_PROTO &&
			    first->proto != m->proto)
				xlb_error(
					d, &m->loc,
					"a rule matches one protocol: '%s' conflicts with '%s'",
					xlb_proto_name(m->proto),
					xlb_proto_name(first->proto));
			else
				xlb_error(d, &m->loc,
					  "%s is given twice in one rule",
					  match_name(m->kind));
			xlb_note(d, &first->loc, "first given here");
			continue;
		}
		seen[m->kind] = m;
		switch (m->kind) {
		case XLB_MATCH_PROTO:
			r->proto = m->proto;
			break;
		case XLB_MATCH_SRC:
			check_addr(rs->src, d, m, &r->src);
			break;
		case XLB_MATCH_DST:
			check_addr(rs->src, d, m, &r->dst);
			break;
		case XLB_MATCH_SPORT:
		case XLB_MATCH_DPORT:
			if (!port_match)
				port_match = m;
			if (m->port > 65535) {
				xlb_error(d, &m->value_loc,
					  "port %s is out of range (0-65535)",
					  number_text(rs->src, &m->value_loc,
						      num, sizeof(num)));
				break;
			}
			if (m->kind == XLB_MATCH_SPORT) {
				r->sport.set = true;
				r->sport.port = (uint16_t)m->port;
			} else {
				r->dport.set = true;
				r->dport.port = (uint16_t)m->port;
			}
			break;
		}
	}

	if (port_match && r->proto == XLB_PROTO_ICMP)
		xlb_error(
			d, &port_match->loc,
			"icmp has no ports: a port match needs 'udp' or 'tcp'");

	if (r->verdict == XLB_VERDICT_REWRITE) {
		if (r->proto != XLB_PROTO_UDP && r->proto != XLB_PROTO_TCP) {
			if (r->proto == XLB_PROTO_ICMP)
				xlb_error(
					d, &r->arrow_loc,
					"icmp has no ports to rewrite: '->' needs 'udp' or 'tcp'");
			else
				xlb_error(
					d, &r->arrow_loc,
					"a port rewrite needs a protocol: add 'udp' or 'tcp' to the rule");
		}
		if (r->nbackends > XLB_MAX_BACKENDS)
			xlb_error(
				d, &r->backends[XLB_MAX_BACKENDS].loc,
				"too many backends (%zu); at most %d are allowed",
				r->nbackends, XLB_MAX_BACKENDS);
		for (i = 0; i < r->nbackends; i++)
			if (r->backends[i].port == 0 ||
			    r->backends[i].port > 65535)
				xlb_error(
					d, &r->backends[i].loc,
					"backend port %s is out of range (1-65535)",
					number_text(rs->src,
						    &r->backends[i].loc, num,
						    sizeof(num)));
		if (r->select == XLB_SELECT_DEFAULT)
			r->select = r->proto == XLB_PROTO_TCP ? XLB_SELECT_HASH
							      : XLB_SELECT_RR;
		if (r->select == XLB_SELECT_RR)
			r->rr_slot = rs->nrr++;
	}

	/* Which transport headers the program has to read. */
	if (port_match || r->verdict == XLB_VERDICT_REWRITE) {
		if (r->proto == XLB_PROTO_UDP || r->proto == XLB_PROTO_ANY)
			rs->need_udp = true;
		if (r->proto == XLB_PROTO_TCP || r->proto == XLB_PROTO_ANY)
			rs->need_tcp = true;
	}
}

int xlb_check(struct xlb_ruleset *rs, struct xlb_diags *d)
{
	unsigned int errors = d->nerrors, index = 0;
	struct xlb_rule *r;

	if (rs->nrules > XLB_MAX_RULES)
		xlb_error(d, NULL,
			  "too many rules (%zu); at most %d are allowed",
			  rs->nrules, XLB_MAX_RULES);
	for (r = rs->rules; r; r = r->next) {
		r->index = index++;
		check_rule(rs, r, d);
	}
	return d->nerrors != errors ? -1 : 0;
}
