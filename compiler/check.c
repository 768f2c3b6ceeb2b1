// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check.c - the checking pass.  It validates the tree as written (set
 * names, what each key accepts, ranges, families, backends), reports every
 * problem it finds, and fills in the normalised fields of ast.h that every
 * later pass reads: each rule's families and protocol, one sorted condition
 * per key, backend addresses and weights, the selection algorithm.  Last,
 * on a tree without errors, overlap.c looks at what earlier rules take
 * from later ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlbc.h"

/* Weights, and the length of the weighted list they make (xlb-rules(5)). */
#define XLB_MAX_WEIGHT 1000
#define XLB_MAX_WEIGHTED 65536

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

static const char *match_name(enum xlb_match_kind k)
{
	switch (k) {
	case XLB_MATCH_FAMILY:
		return "family";
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
	case XLB_MATCH_TYPE:
		return "'type'";
	case XLB_MATCH_FLAGS:
		return "'flags'";
	case XLB_MATCH_KINDS:
		break;
	}
	return "match";
}

static unsigned int proto_family(enum xlb_proto p)
{
	if (p == XLB_PROTO_ICMP)
		return XLB_FAM_IP4;
	if (p == XLB_PROTO_ICMP6)
		return XLB_FAM_IP6;
	return XLB_FAM_ANY;
}

/* --- addresses ------------------------------------------------------ */

/* The reason dotted-quad text is not an address, for the message. */
static void ipv4_error(struct xlb_diags *d, const struct xlb_elem *e)
{
	const char *s = e->text;
	int part = 1;

	for (; *s; s++) {
		unsigned long v;
		char *end;

		if (*s < '0' || *s > '9')
			break;
		v = strtoul(s, &end, 10);
		if (v > 255) {
			xlb_error(
				d, &e->text_loc,
				"invalid IPv4 address '%s': octet %d is larger than 255",
				e->text, part);
			return;
		}
		s = end;
		if (*s != '.')
			break;
		part++;
	}
	xlb_error(d, &e->text_loc,
		  "invalid IPv4 address '%s': expected four numbers separated by dots",
		  e->text);
}

static void prefix_mask(struct xlb_prefix *p)
{
	unsigned int bits = p->a.family == XLB_FAM_IP4 ? 32 : 128, i;

	for (i = p->plen; i < bits; i++)
		p->a.addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

/* Validate an address element and fill e->pfx; 0 or -1. */
static int check_addr_elem(const struct xlb_source *src, struct xlb_diags *d,
			   struct xlb_elem *e)
{
	struct xlb_addr a;
	unsigned int bits;
	char num[48];

	if (xlb_addr_parse(e->text, &a) < 0) {
		if (strchr(e->text, ':'))
			xlb_error(d, &e->text_loc, "invalid IPv6 address '%s'",
				  e->text);
		else
			ipv4_error(d, e);
		return -1;
	}
	bits = a.family == XLB_FAM_IP4 ? 32 : 128;
	if (e->has_plen && e->plen > bits) {
		xlb_error(d, &e->plen_loc,
			  "prefix length %s is out of range for %s (0-%u)",
			  number_text(src, &e->plen_loc, num, sizeof(num)),
			  xlb_family_name(a.family), bits);
		return -1;
	}
	e->pfx.a = a;
	e->pfx.plen = e->has_plen ? (unsigned int)e->plen : bits;
	prefix_mask(&e->pfx);
	if (memcmp(e->pfx.a.addr, a.addr, sizeof(a.addr))) {
		char net[64];

		xlb_addr_format(&e->pfx.a, net, sizeof(net));
		xlb_warning(d, &e->text_loc,
			    "'%s/%u' has host bits set; it matches %s/%u",
			    e->text, e->pfx.plen, net, e->pfx.plen);
	}
	return 0;
}

/* Validate a port element (a number or a range up to max). */
static int check_num_elem(const struct xlb_source *src, struct xlb_diags *d,
			  const struct xlb_elem *e, const char *what,
			  uint64_t max)
{
	char num[48];

	if (e->lo > max) {
		xlb_error(d, &e->text_loc, "%s %s is out of range (0-%u)", what,
			  number_text(src, &e->text_loc, num, sizeof(num)),
			  (unsigned int)max);
		return -1;
	}
	if (e->is_range && e->hi > max) {
		xlb_error(d, &e->hi_loc, "%s %s is out of range (0-%u)", what,
			  number_text(src, &e->hi_loc, num, sizeof(num)),
			  (unsigned int)max);
		return -1;
	}
	if (e->is_range && e->hi < e->lo) {
		xlb_error(d, &e->loc,
			  "the range %u-%u is backwards; write %u-%u",
			  (unsigned int)e->lo, (unsigned int)e->hi,
			  (unsigned int)e->hi, (unsigned int)e->lo);
		return -1;
	}
	return 0;
}

/* --- named sets ----------------------------------------------------- */

static void check_set(struct xlb_ruleset *rs, struct xlb_set *s,
		      struct xlb_diags *d)
{
	const struct xlb_elem *first = NULL;
	struct xlb_elem *e;
	struct xlb_set *o;

	for (o = rs->sets; o != s; o = o->next) {
		if (!strcmp(o->name, s->name)) {
			xlb_error(d, &s->name_loc, "set '%s' is defined twice",
				  s->name);
			xlb_note(d, &o->name_loc, "first defined here");
			s->bad = true;
			return;
		}
	}
	if (!s->elems) {
		xlb_error(d, &s->loc, "set '%s' is empty", s->name);
		s->bad = true;
		return;
	}
	for (e = s->elems; e; e = e->next) {
		switch (e->kind) {
		case XLB_ELEM_ADDR:
		case XLB_ELEM_NUM:
			break;
		case XLB_ELEM_SET:
			xlb_error(d, &e->loc,
				  "a set cannot hold another set ('@%s')",
				  e->text);
			s->bad = true;
			continue;
		case XLB_ELEM_NAME:
			xlb_error(d, &e->loc,
				  "a set holds addresses or ports, not '%s'",
				  e->text);
			s->bad = true;
			continue;
		}
		if (!first) {
			first = e;
			s->is_port = e->kind == XLB_ELEM_NUM;
		} else if ((e->kind == XLB_ELEM_NUM) != s->is_port) {
			xlb_error(d, &e->loc,
				  "set '%s' mixes addresses and ports", s->name);
			xlb_note(d, &first->loc, "its first element is %s",
				 s->is_port ? "a port" : "an address");
			s->bad = true;
			continue;
		}
		if (e->kind == XLB_ELEM_ADDR) {
			if (check_addr_elem(rs->src, d, e) < 0)
				s->bad = true;
		} else if (check_num_elem(rs->src, d, e, "port", 65535) < 0) {
			s->bad = true;
		}
	}
}

/* --- normalised conditions ----------------------------------------- */

static int prefix_cmp(const void *pa, const void *pb)
{
	const struct xlb_prefix *a = pa, *b = pb;
	int c;

	if (a->a.family != b->a.family)
		return a->a.family < b->a.family ? -1 : 1;
	c = memcmp(a->a.addr, b->a.addr, sizeof(a->a.addr));
	if (c)
		return c;
	return a->plen < b->plen ? -1 : a->plen > b->plen;
}

/* Whether prefix in lies inside prefix out. */
static bool prefix_within(const struct xlb_prefix *in,
			  const struct xlb_prefix *out)
{
	struct xlb_prefix t;

	if (in->a.family != out->a.family || in->plen < out->plen)
		return false;
	t = *in;
	t.plen = out->plen;
	prefix_mask(&t);
	return !memcmp(t.a.addr, out->a.addr, sizeof(t.a.addr));
}

static void add_prefix(struct xlb_cond *c, const struct xlb_prefix *p)
{
	if (!(c->npfx & (c->npfx + 1)) || !c->pfx)
		c->pfx = xrealloc(c->pfx, (c->npfx * 2 + 1) * sizeof(*c->pfx));
	c->pfx[c->npfx++] = *p;
}

static void add_range(struct xlb_cond *c, uint32_t lo, uint32_t hi)
{
	if (!(c->nrng & (c->nrng + 1)) || !c->rng)
		c->rng = xrealloc(c->rng, (c->nrng * 2 + 1) * sizeof(*c->rng));
	c->rng[c->nrng].lo = lo;
	c->rng[c->nrng].hi = hi;
	c->nrng++;
}

/* Sort, and drop every prefix that an earlier (shorter) one covers. */
static void normalise_prefixes(struct xlb_cond *c)
{
	size_t i, n = 0;

	if (!c->npfx)
		return;
	qsort(c->pfx, c->npfx, sizeof(*c->pfx), prefix_cmp);
	for (i = 0; i < c->npfx; i++) {
		/* sorted by address then length: a covering prefix comes
		 * first and covers a run of the ones after it */
		if (n && prefix_within(&c->pfx[i], &c->pfx[n - 1]))
			continue;
		c->pfx[n++] = c->pfx[i];
	}
	c->npfx = n;
}

static int range_cmp(const void *pa, const void *pb)
{
	const struct xlb_range *a = pa, *b = pb;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->hi < b->hi ? -1 : a->hi > b->hi;
}

/* Sort, and merge overlapping and adjacent ranges. */
static void normalise_ranges(struct xlb_cond *c)
{
	size_t i, n = 0;

	if (!c->nrng)
		return;
	qsort(c->rng, c->nrng, sizeof(*c->rng), range_cmp);
	for (i = 0; i < c->nrng; i++) {
		if (n && c->rng[i].lo <= c->rng[n - 1].hi + 1) {
			if (c->rng[i].hi > c->rng[n - 1].hi)
				c->rng[n - 1].hi = c->rng[i].hi;
			continue;
		}
		c->rng[n++] = c->rng[i];
	}
	c->nrng = n;
}

static unsigned int cond_families(const struct xlb_cond *c)
{
	unsigned int fam = 0;
	size_t i;

	for (i = 0; i < c->npfx; i++)
		fam |= c->pfx[i].a.family;
	return fam;
}

/* Resolve '@name' in a rule: the set, or NULL after an error. */
static struct xlb_set *use_set(struct xlb_ruleset *rs, struct xlb_elem *e,
			       const struct xlb_match *m, bool want_ports,
			       struct xlb_diags *d)
{
	struct xlb_set *s = xlb_ruleset_find_set(rs, e->text);

	if (!s) {
		xlb_error(d, &e->loc, "set '%s' is not defined", e->text);
		return NULL;
	}
	s->used = true;
	e->set = s;
	if (s->bad)
		return NULL;
	if (s->is_port != want_ports) {
		xlb_error(d, &e->loc, "set '%s' holds %s; %s takes %s", s->name,
			  s->is_port ? "ports" : "addresses", match_name(m->kind),
			  want_ports ? "ports" : "addresses");
		xlb_note(d, &s->name_loc, "defined here");
		return NULL;
	}
	return s;
}

/* A number or word where an address belongs: say what was probably meant. */
static void not_an_address(struct xlb_diags *d, const struct xlb_match *m,
			   const struct xlb_elem *e)
{
	const char *key = m->kind == XLB_MATCH_SRC ? "src" : "dst";

	if (e->kind == XLB_ELEM_NUM)
		xlb_error(d, &e->loc,
			  "'%s' takes an address, not a number; for a port write '%s port %u'",
			  key, key, (unsigned int)e->lo);
	else
		xlb_error(d, &e->loc, "'%s' takes an address, not '%s'", key,
			  e->text);
}

static void check_addr_match(struct xlb_ruleset *rs, struct xlb_match *m,
			     struct xlb_cond *c, struct xlb_diags *d)
{
	struct xlb_elem *e, *se;
	struct xlb_set *s;

	for (e = m->elems; e; e = e->next) {
		switch (e->kind) {
		case XLB_ELEM_ADDR:
			if (check_addr_elem(rs->src, d, e) == 0)
				add_prefix(c, &e->pfx);
			break;
		case XLB_ELEM_SET:
			s = use_set(rs, e, m, false, d);
			for (se = s ? s->elems : NULL; se; se = se->next)
				add_prefix(c, &se->pfx);
			break;
		case XLB_ELEM_NUM:
		case XLB_ELEM_NAME:
			not_an_address(d, m, e);
			break;
		}
	}
	normalise_prefixes(c);
}

static void check_port_match(struct xlb_ruleset *rs, struct xlb_match *m,
			     struct xlb_cond *c, struct xlb_diags *d)
{
	struct xlb_elem *e, *se;
	struct xlb_set *s;

	for (e = m->elems; e; e = e->next) {
		switch (e->kind) {
		case XLB_ELEM_NUM:
			if (check_num_elem(rs->src, d, e, "port", 65535) == 0)
				add_range(c, (uint32_t)e->lo,
					  (uint32_t)(e->is_range ? e->hi
								 : e->lo));
			break;
		case XLB_ELEM_SET:
			s = use_set(rs, e, m, true, d);
			for (se = s ? s->elems : NULL; se; se = se->next)
				add_range(c, (uint32_t)se->lo,
					  (uint32_t)(se->is_range ? se->hi
								  : se->lo));
			break;
		case XLB_ELEM_ADDR:
			xlb_error(d, &e->loc,
				  "%s takes port numbers, not an address",
				  match_name(m->kind));
			break;
		case XLB_ELEM_NAME:
			xlb_error(d, &e->loc,
				  "%s takes port numbers, not '%s'",
				  match_name(m->kind), e->text);
			break;
		}
	}
	normalise_ranges(c);
}

/* Names in table, comma-separated, for a message. */
static void name_list(const struct xlb_name_value *t, struct strbuf *sb)
{
	for (; t->name; t++)
		strbuf_printf(sb, "%s%s", sb->len ? ", " : "", t->name);
}

static const char *suggest_name(const struct xlb_name_value *t,
				const char *word)
{
	const char *words[64];
	size_t n = 0;

	for (; t->name && n < 63; t++)
		words[n++] = t->name;
	words[n] = NULL;
	return xlb_suggest_word(word, words);
}

static void check_type_match(struct xlb_ruleset *rs, struct xlb_rule *r,
			     struct xlb_match *m, struct xlb_cond *c,
			     struct xlb_diags *d)
{
	const struct xlb_name_value *names = r->proto == XLB_PROTO_ICMP6
						     ? xlb_icmp6_types
						     : xlb_icmp_types;
	struct xlb_elem *e;
	unsigned int v;

	for (e = m->elems; e; e = e->next) {
		switch (e->kind) {
		case XLB_ELEM_NUM:
			if (check_num_elem(rs->src, d, e, "ICMP type", 255) ==
			    0)
				add_range(c, (uint32_t)e->lo,
					  (uint32_t)(e->is_range ? e->hi
								 : e->lo));
			break;
		case XLB_ELEM_NAME:
			if (xlb_name_lookup(names, e->text, &v) == 0) {
				add_range(c, v, v);
			} else {
				const char *hint = suggest_name(names, e->text);
				struct strbuf sb = STRBUF_INIT;

				if (hint) {
					xlb_error(
						d, &e->loc,
						"unknown %s type '%s'; did you mean '%s'?",
						xlb_proto_name(r->proto), e->text,
						hint);
				} else {
					name_list(names, &sb);
					xlb_error(
						d, &e->loc,
						"unknown %s type '%s'; known types are %s, or a number 0-255",
						xlb_proto_name(r->proto), e->text,
						sb.buf);
					strbuf_release(&sb);
				}
			}
			break;
		case XLB_ELEM_SET:
			xlb_error(d, &e->loc,
				  "named sets hold addresses or ports; list ICMP types in '{ }'");
			break;
		case XLB_ELEM_ADDR:
			xlb_error(d, &e->loc,
				  "'type' takes an ICMP type, not an address");
			break;
		}
	}
	normalise_ranges(c);
}

static int flag_bits(const struct xlb_elem *list, uint8_t *bits,
		     struct xlb_diags *d)
{
	const struct xlb_elem *e;
	unsigned int v;
	int rc = 0;

	*bits = 0;
	for (e = list; e; e = e->next) {
		if (xlb_name_lookup(xlb_tcp_flags, e->text, &v) == 0) {
			*bits |= (uint8_t)v;
		} else {
			const char *hint = suggest_name(xlb_tcp_flags, e->text);

			if (hint)
				xlb_error(d, &e->loc,
					  "unknown TCP flag '%s'; did you mean '%s'?",
					  e->text, hint);
			else
				xlb_error(
					d, &e->loc,
					"unknown TCP flag '%s'; the flags are fin, syn, rst, psh, ack, urg, ecn and cwr",
					e->text);
			rc = -1;
		}
	}
	return rc;
}

static void check_flags_match(struct xlb_match *m, struct xlb_cond *c,
			      struct xlb_diags *d)
{
	uint8_t value, mask;

	if (flag_bits(m->elems, &value, d) < 0)
		return;
	if (!m->mask) {
		c->fmask = value;
		c->fvalue = 0;
		c->fany = true;
		return;
	}
	if (flag_bits(m->mask, &mask, d) < 0)
		return;
	if (value & ~mask) {
		xlb_error(d, &m->value_loc,
			  "flags outside the mask can never be seen: every flag before '/' must also be after it");
		return;
	}
	c->fmask = mask;
	c->fvalue = value;
	c->fany = false;
}

/* --- rules --------------------------------------------------------- */

static void check_backends(struct xlb_ruleset *rs, struct xlb_rule *r,
			   struct xlb_diags *d)
{
	const struct xlb_backend *first_addr = NULL;
	uint64_t total = 0;
	char num[48];
	size_t i, j;

	if (r->nbackends > XLB_MAX_BACKENDS)
		xlb_error(d, &r->backends[XLB_MAX_BACKENDS].loc,
			  "too many backends (%zu); at most %d are allowed",
			  r->nbackends, XLB_MAX_BACKENDS);
	for (i = 0; i < r->nbackends; i++) {
		struct xlb_backend *b = &r->backends[i];

		b->w = 1;
		if (b->addr) {
			if (xlb_addr_parse(b->addr, &b->a) < 0) {
				xlb_error(d, &b->addr_loc,
					  "invalid backend address '%s'",
					  b->addr);
				continue;
			}
			if (b->a.family == XLB_FAM_IP6 && !b->bracketed &&
			    b->has_port) {
				/* cannot happen from the text syntax */
				xlb_error(d, &b->addr_loc,
					  "write an IPv6 backend with a port as [ADDRESS]:PORT");
			}
			if (!first_addr) {
				first_addr = b;
				r->bfamily = b->a.family;
			} else if (b->a.family != r->bfamily) {
				xlb_error(d, &b->addr_loc,
					  "IPv4 and IPv6 backends cannot be mixed in one rule");
				xlb_note(d, &first_addr->addr_loc,
					 "the first backend is %s",
					 xlb_family_name(r->bfamily));
			}
		}
		if (b->has_port && (b->port == 0 || b->port > 65535))
			xlb_error(d, &b->port_loc,
				  "backend port %s is out of range (1-65535)",
				  number_text(rs->src, &b->port_loc, num,
					      sizeof(num)));
		if (b->has_weight) {
			if (b->weight == 0 || b->weight > XLB_MAX_WEIGHT)
				xlb_error(d, &b->weight_loc,
					  "weight %s is out of range (1-%d)",
					  number_text(rs->src, &b->weight_loc,
						      num, sizeof(num)),
					  XLB_MAX_WEIGHT);
			else
				b->w = (unsigned int)b->weight;
		}
		total += b->w;
		for (j = 0; j < i; j++) {
			const struct xlb_backend *o = &r->backends[j];

			if (o->has_port == b->has_port &&
			    (!b->has_port || o->port == b->port) &&
			    !o->addr == !b->addr &&
			    (!b->addr ||
			     !memcmp(&o->a, &b->a, sizeof(b->a)))) {
				xlb_error(d, &b->loc,
					  "this backend is given twice; give it a 'weight' instead");
				xlb_note(d, &o->loc, "first given here");
				break;
			}
		}
	}
	if (total > XLB_MAX_WEIGHTED)
		xlb_error(d, &r->arrow_loc,
			  "the backends' weights add up to %llu; at most %d are allowed",
			  (unsigned long long)total, XLB_MAX_WEIGHTED);
}

/* Whether replies to a rewrite can be translated back statelessly: the
 * client sent to one address (if backends replace it) and one port (if
 * backends replace that). */
static void check_reply(struct xlb_rule *r, struct xlb_diags *d)
{
	const struct xlb_cond *dst = &r->cond[XLB_MATCH_DST];
	const struct xlb_cond *dport = &r->cond[XLB_MATCH_DPORT];
	bool addr = false, port = false;
	size_t i;

	for (i = 0; i < r->nbackends; i++) {
		addr |= r->backends[i].addr != NULL;
		port |= r->backends[i].has_port;
	}
	if (addr && !(dst->set && !dst->neg && dst->npfx == 1 &&
		      dst->pfx[0].plen == (dst->pfx[0].a.family == XLB_FAM_IP4
						   ? 32u
						   : 128u))) {
		xlb_warning(d, &r->arrow_loc,
			    "replies cannot be translated back without one destination address ('dst ADDRESS'); the reply path leaves them alone");
		return;
	}
	if (port && !(dport->set && !dport->neg && dport->nrng == 1 &&
		      dport->rng[0].lo == dport->rng[0].hi)) {
		xlb_warning(d, &r->arrow_loc,
			    "replies cannot be translated back without one destination port ('port N'); the reply path leaves them alone");
		return;
	}
	r->reply = true;
	if (addr)
		r->vip = dst->pfx[0].a;
	if (port)
		r->vport = dport->rng[0].lo;
}

/* What a family restriction came from, for the conflict message. */
struct fam_source {
	unsigned int family;
	const struct xlb_loc *loc;
	const char *what;
};

static void check_rule(struct xlb_ruleset *rs, struct xlb_rule *r,
		       struct xlb_diags *d)
{
	const struct xlb_match *seen[XLB_MATCH_KINDS] = { NULL };
	struct fam_source fam[XLB_MATCH_KINDS + 1];
	const struct xlb_match *port_match = NULL;
	unsigned int nfam = 0, i, errors = d->nerrors;
	struct xlb_match *m;

	r->family = XLB_FAM_ANY;
	for (m = r->matches; m; m = m->next) {
		const struct xlb_match *first = seen[m->kind];
		struct xlb_cond *c = &r->cond[m->kind];

		if (first) {
			if (m->kind == XLB_MATCH_PROTO &&
			    first->proto != m->proto)
				xlb_error(
					d, &m->loc,
					"a rule matches one protocol: '%s' conflicts with '%s'",
					xlb_proto_name(m->proto),
					xlb_proto_name(first->proto));
			else if (m->kind == XLB_MATCH_FAMILY &&
				 first->family != m->family)
				xlb_error(
					d, &m->loc,
					"a rule matches one family: '%s' conflicts with '%s'",
					m->family == XLB_FAM_IP4 ? "ip" : "ip6",
					first->family == XLB_FAM_IP4 ? "ip"
								     : "ip6");
			else
				xlb_error(d, &m->loc,
					  "%s is given twice in one rule",
					  match_name(m->kind));
			xlb_note(d, &first->loc, "first given here");
			continue;
		}
		seen[m->kind] = m;
		c->m = m;
		c->neg = m->neg;
		switch (m->kind) {
		case XLB_MATCH_FAMILY:
			fam[nfam++] = (struct fam_source){ m->family, &m->loc,
							   NULL };
			break;
		case XLB_MATCH_PROTO:
			r->proto = m->proto;
			if (proto_family(m->proto) != XLB_FAM_ANY)
				fam[nfam++] = (struct fam_source){
					proto_family(m->proto), &m->loc, NULL
				};
			break;
		case XLB_MATCH_SRC:
		case XLB_MATCH_DST:
			check_addr_match(rs, m, c, d);
			c->set = c->npfx > 0;
			if (c->set)
				fam[nfam++] = (struct fam_source){
					cond_families(c), &m->loc, NULL
				};
			break;
		case XLB_MATCH_SPORT:
		case XLB_MATCH_DPORT:
			if (!port_match)
				port_match = m;
			check_port_match(rs, m, c, d);
			c->set = c->nrng > 0;
			break;
		case XLB_MATCH_TYPE:
		case XLB_MATCH_FLAGS:
			/* checked below, once the protocol is known */
			break;
		case XLB_MATCH_KINDS:
			break;
		}
		if ((m->kind == XLB_MATCH_SRC || m->kind == XLB_MATCH_DST ||
		     m->kind == XLB_MATCH_SPORT || m->kind == XLB_MATCH_DPORT) &&
		    m->braced && !m->elems)
			xlb_error(d, &m->value_loc,
				  "an empty list matches nothing");
	}

	/* type and flags belong to one protocol */
	if ((m = (struct xlb_match *)seen[XLB_MATCH_TYPE])) {
		if (r->proto != XLB_PROTO_ICMP && r->proto != XLB_PROTO_ICMP6) {
			xlb_error(d, &m->loc,
				  "'type' needs 'icmp' or 'icmpv6' in the rule");
		} else {
			check_type_match(rs, r, m, &r->cond[XLB_MATCH_TYPE], d);
			r->cond[XLB_MATCH_TYPE].set =
				r->cond[XLB_MATCH_TYPE].nrng > 0;
		}
	}
	if ((m = (struct xlb_match *)seen[XLB_MATCH_FLAGS])) {
		if (r->proto != XLB_PROTO_TCP) {
			xlb_error(d, &m->loc, "'flags' needs 'tcp' in the rule");
		} else {
			check_flags_match(m, &r->cond[XLB_MATCH_FLAGS], d);
			r->cond[XLB_MATCH_FLAGS].set =
				r->cond[XLB_MATCH_FLAGS].fmask != 0;
		}
	}

	if (port_match &&
	    (r->proto == XLB_PROTO_ICMP || r->proto == XLB_PROTO_ICMP6))
		xlb_error(d, &port_match->loc,
			  "%s has no ports: a port match needs 'udp' or 'tcp'",
			  xlb_proto_name(r->proto));

	if (r->verdict == XLB_VERDICT_REWRITE) {
		if (r->proto != XLB_PROTO_UDP && r->proto != XLB_PROTO_TCP) {
			if (r->proto != XLB_PROTO_ANY)
				xlb_error(
					d, &r->arrow_loc,
					"%s has no ports to rewrite: '->' needs 'udp' or 'tcp'",
					xlb_proto_name(r->proto));
			else
				xlb_error(
					d, &r->arrow_loc,
					"a rewrite needs a protocol: add 'udp' or 'tcp' to the rule");
		}
		check_backends(rs, r, d);
		if (r->bfamily)
			fam[nfam++] = (struct fam_source){ r->bfamily,
							   &r->arrow_loc,
							   "its backends" };
		if (r->select == XLB_SELECT_DEFAULT)
			r->select = r->proto == XLB_PROTO_TCP ? XLB_SELECT_HASH
							      : XLB_SELECT_RR;
		if (r->select == XLB_SELECT_RR)
			r->rr_slot = rs->nrr++;
	}

	if (r->verdict == XLB_VERDICT_REWRITE && d->nerrors == errors)
		check_reply(r, d);

	/* The families every part allows; none left is a contradiction. */
	for (i = 0; i < nfam; i++) {
		unsigned int j, left = r->family & fam[i].family;

		if (left) {
			r->family = left;
			continue;
		}
		for (j = 0; j < i; j++)
			if (!(fam[j].family & fam[i].family))
				break;
		if (j == i)
			j = 0;
		xlb_error(d, fam[i].loc,
			  "%s %s %s only, but the rule is %s only",
			  fam[i].what ? fam[i].what : "this match",
			  fam[i].what ? "are" : "is",
			  xlb_family_name(fam[i].family),
			  xlb_family_name(r->family));
		xlb_note(d, fam[j].loc, "this match is %s only",
			 xlb_family_name(fam[j].family));
		break;
	}
}

int xlb_check(struct xlb_ruleset *rs, struct xlb_diags *d)
{
	unsigned int errors = d->nerrors, index = 0;
	struct xlb_rule *r;
	struct xlb_set *s;

	if (rs->nrules > XLB_MAX_RULES)
		xlb_error(d, NULL,
			  "too many rules (%zu); at most %d are allowed",
			  rs->nrules, XLB_MAX_RULES);
	for (s = rs->sets; s; s = s->next)
		check_set(rs, s, d);
	for (r = rs->rules; r; r = r->next) {
		r->index = index++;
		check_rule(rs, r, d);
	}
	for (s = rs->sets; s; s = s->next)
		if (!s->used && !s->bad)
			xlb_warning(d, &s->name_loc, "set '%s' is never used",
				    s->name);
	if (d->nerrors == errors)
		xlb_check_overlaps(rs, d);
	return d->nerrors != errors ? -1 : 0;
}
