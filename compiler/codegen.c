// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * codegen.c - writes the C for a checked ruleset.  The output is meant to be
 * read: one block per rule in file order, each under a comment naming the
 * rule's file, line and text; constants inline; the packet parser reads only
 * the headers that some rule needs (XLB_PARSE_* below).  The same ruleset
 * always produces the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plan.h"
#include "xlbc.h"

/* A line of the metadata blob as the body of a C string literal.  The
 * blob is one field per line, so control characters (a newline in a file
 * name) become '?' rather than start a line of their own. */
static void put_meta_string(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			strbuf_printf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			strbuf_putc(out, '?');
		else if (c >= 0x80)
			strbuf_printf(out, "\\%03o", c);
		else
			strbuf_putc(out, (char)c);
	}
}

/* Text inside a C comment: never let it close the comment. */
static void put_comment_text(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '*' && s[1] == '/')
			strbuf_puts(out, "* /");
		else if (c == '\n' || c < 0x20 || c >= 0x7f)
			strbuf_putc(out, '?');
		else
			strbuf_putc(out, (char)c);
	}
}

static void put_rule_comment(struct strbuf *out, const struct xlb_ruleset *rs,
			     const struct xlb_rule *r, const char *indent)
{
	strbuf_printf(out, "%s/* ", indent);
	put_comment_text(out, rs->src->path);
	strbuf_printf(out, ":%u: ", r->loc.first_line);
	put_comment_text(out, r->text);
	strbuf_puts(out, " */\n");
}

static void put_meta(struct strbuf *out, const struct xlb_ruleset *rs)
{
	const struct xlb_rule *r;
	char name[80];
	size_t slot = 0, i;

	strbuf_puts(out, "/* What xlb-load, xlb-stats and xlb-replay read: the "
			 "label of each counter. */\n");
	strbuf_printf(out, "XLB_META(\"" XLB_META_MAGIC " %d\\n\"\n",
		      XLB_ABI_VERSION);
	strbuf_puts(out, "\t \"compiler xlbc " PACKAGE_VERSION "\\n\"\n");
	strbuf_puts(out, "\t \"source ");
	put_meta_string(out, rs->src->path);
	strbuf_puts(out, "\\n\"\n");
	strbuf_printf(out, "\t \"rules %zu\\n\"\n", rs->nrules);
	for (r = rs->rules; r; r = r->next) {
		strbuf_printf(out, "\t \"rule %u ", r->loc.first_line);
		put_meta_string(out, r->text);
		strbuf_puts(out, "\\n\"\n");
		for (i = 0; i < r->nbackends; i++) {
			xlb_backend_format(&r->backends[i], name, sizeof(name));
			strbuf_printf(out, "\t \"backend %zu %s\\n\"\n", slot,
				      name);
		}
		slot++;
	}
	strbuf_printf(out, "\t \"default %u %s\\n\"\n",
		      rs->def_set ? rs->def_loc.first_line : 0,
		      xlb_verdict_name(rs->def));
	strbuf_printf(out, "\t \"malformed %u %s\\n\"\n",
		      rs->malformed_set ? rs->malformed_loc.first_line : 0,
		      xlb_verdict_name(rs->malformed));
	strbuf_printf(out, "\t \"non-ip %u %s\\n\");\n\n",
		      rs->nonip_set ? rs->nonip_loc.first_line : 0,
		      xlb_verdict_name(rs->nonip));
}

/* The XDP action of a verdict: a rewrite passes the packet on. */
static const char *xdp_action(enum xlb_verdict v)
{
	return v == XLB_VERDICT_DROP ? "XDP_DROP" : "XDP_PASS";
}

/* Rules in one function: short enough that the verifier's pending branches
 * (8192) and the 16-bit jumps inside it never run out. */
#define XLB_CHUNK 64

/*
 * Lookup tables.  A condition with more than XLB_INLINE_MAX values becomes
 * a table of segments in and out of it, searched as a lookup's
 * (xlb_find4/xlb_find6 in xlb_prog.h); identical
 * tables, as a named set used by several rules makes, are emitted once.
 */
struct table {
	char name[32];
	bool v6;
	size_t n;   /* intervals before padding */
	unsigned int k; /* 2^k segments, padded */
	uint32_t *iv; /* n intervals of 2 (v4) or 8 (v6) words */
};

struct gen {
	const struct xlb_ruleset *rs;
	const struct xlb_rule **rule; /* by number */
	struct strbuf *be;  /* every rewrite's backends, one table */
	size_t nbe;
	size_t nrev;	    /* entries of xlb_reverse[] (in be, for TC) */
	struct strbuf *rw, *list, *mag; /* xlb_rws[], xlb_lists[], xlb_maglev[] */
	size_t nrw, nlist, nmaglev;
	size_t *rw_of;	    /* by rule: 1 + its entry of xlb_rws[], or 0 */
	size_t *maglev_at;  /* by Maglev rule: its table in xlb_maglev[] */
	struct strbuf *out; /* the rules */
	struct strbuf *tab; /* the tables they use, emitted before them */
	struct table *tables;
	size_t ntables;
	/* the unit being written, and whether its key has been looked up
	 * (then j holds the first rule of the unit that it matches) */
	const struct xlb_unit *u;
	size_t uno;
	bool jset;
};

typedef unsigned __int128 u128;

static u128 words_value(const uint32_t *w, size_t n)
{
	u128 v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 32 | w[i];
	return v;
}

/* A segment from start on, in or out of the set (merging with the one
 * before when equal); returns the count. */
static size_t set_seg(u128 *start, bool *in, size_t n, u128 at, bool is_in)
{
	if (n && start[n - 1] == at) {
		in[n - 1] = is_in;
		if (n >= 2 && in[n - 2] == is_in)
			n--;
		return n;
	}
	if (n && in[n - 1] == is_in)
		return n;
	start[n] = at;
	in[n] = is_in;
	return n + 1;
}

/* The table holding these intervals, emitted on first use: their
 * segments, as a lookup's (xlb_find4/xlb_find6), 0 for in the set. */
static const struct table *get_table(struct gen *g, bool v6, uint32_t *iv,
				     size_t n, const struct xlb_rule *r,
				     const char *what)
{
	size_t words = v6 ? 8 : 2, i, j, size, nseg = 0;
	u128 max = v6 ? ~(u128)0 : 0xffffffffu, *start;
	struct table *t;
	bool *in;

	for (i = 0; i < g->ntables; i++) {
		t = &g->tables[i];
		if (t->v6 == v6 && t->n == n &&
		    !memcmp(t->iv, iv, n * words * sizeof(*iv))) {
			free(iv);
			return t;
		}
	}
	start = xmalloc((2 * n + 1) * sizeof(*start));
	in = xmalloc((2 * n + 1) * sizeof(*in));
	nseg = set_seg(start, in, 0, 0, false);
	for (i = 0; i < n; i++) {
		u128 hi = words_value(iv + i * words + words / 2, words / 2);

		nseg = set_seg(start, in, nseg,
			       words_value(iv + i * words, words / 2), true);
		if (hi != max)
			nseg = set_seg(start, in, nseg, hi + 1, false);
	}

	g->tables = xrealloc(g->tables, (g->ntables + 1) * sizeof(*g->tables));
	t = &g->tables[g->ntables];
	snprintf(t->name, sizeof(t->name), "xlb_t%zu", g->ntables);
	g->ntables++;
	t->v6 = v6;
	t->n = n;
	t->k = xlb_plan_steps(nseg);
	t->iv = iv;
	size = (size_t)1 << t->k;

	put_rule_comment(g->tab, g->rs, r, "");
	strbuf_printf(g->tab,
		      "/* %s: %zu interval%s, %zu segments padded to %zu; 0 in, XLB_NONE out */\n",
		      what, n, n == 1 ? "" : "s", nseg, size);
	strbuf_printf(g->tab, "static const struct xlb_seg%d %s[%zu] XLB_RODATA = {\n",
		      v6 ? 6 : 4, t->name, size);
	for (i = 0; i < size; i++) {
		size_t e = i < nseg ? i : nseg - 1;

		strbuf_puts(g->tab, "\t{ ");
		if (v6) {
			strbuf_puts(g->tab, "{ ");
			for (j = 0; j < 4; j++)
				strbuf_printf(g->tab, "0x%08x%s",
					      (uint32_t)(start[e] >> (96 - 32 * j)),
					      j < 3 ? ", " : " }, ");
		} else {
			strbuf_printf(g->tab, "0x%08x, ", (uint32_t)start[e]);
		}
		strbuf_puts(g->tab, in[e] ? "0 },\n" : "XLB_NONE },\n");
	}
	strbuf_puts(g->tab, "};\n\n");
	free(start);
	free(in);
	return t;
}

static uint32_t word_at(const uint8_t *a, unsigned int i)
{
	return (uint32_t)a[4 * i] << 24 | (uint32_t)a[4 * i + 1] << 16 |
	       (uint32_t)a[4 * i + 2] << 8 | a[4 * i + 3];
}

/* A prefix as an interval of host-order words: first and last address. */
static void prefix_interval(const struct xlb_prefix *p, uint32_t *lo,
			    uint32_t *hi)
{
	unsigned int words = p->a.family == XLB_FAM_IP6 ? 4 : 1, i;

	for (i = 0; i < words; i++) {
		unsigned int bits = p->plen > 32 * i ? p->plen - 32 * i : 0;
		uint32_t mask = bits >= 32 ? 0xffffffffu
				: bits	   ? ~(0xffffffffu >> bits)
					   : 0;

		lo[i] = word_at(p->a.addr, i);
		hi[i] = lo[i] | ~mask;
	}
}

/* --- conditions ---------------------------------------------------- */

static void put_addr_comment(struct strbuf *out, const struct xlb_prefix *p)
{
	char buf[64];

	xlb_addr_format(&p->a, buf, sizeof(buf));
	if (p->plen == (p->a.family == XLB_FAM_IP6 ? 128u : 32u))
		strbuf_printf(out, " /* %s */", buf);
	else
		strbuf_printf(out, " /* %s/%u */", buf, p->plen);
}

/* One IPv4 or IPv6 prefix test on field ("p->saddr"). */
static void put_prefix_test(struct strbuf *out, const char *field,
			    const struct xlb_prefix *p)
{
	unsigned int words = p->a.family == XLB_FAM_IP6 ? 4 : 1, i, n = 0;

	if (p->plen == 0) {
		strbuf_puts(out, "1");
		put_addr_comment(out, p);
		return;
	}
	if (words > 1)
		strbuf_putc(out, '(');
	for (i = 0; i < words && 32 * i < p->plen; i++) {
		unsigned int bits = p->plen - 32 * i;

		if (n++)
			strbuf_puts(out, " && ");
		if (bits >= 32)
			strbuf_printf(out, "%s[%u] == __bpf_constant_htonl(0x%08x)",
				      field, i, word_at(p->a.addr, i));
		else
			strbuf_printf(
				out,
				"(%s[%u] & __bpf_constant_htonl(0x%08x)) == __bpf_constant_htonl(0x%08x)",
				field, i, ~(0xffffffffu >> bits),
				word_at(p->a.addr, i));
	}
	if (words > 1)
		strbuf_putc(out, ')');
	put_addr_comment(out, p);
}

/* The test "field is in c's prefixes of family", as an expression. */
static void put_family_addr_test(struct gen *g, const struct xlb_rule *r,
				 const struct xlb_cond *c, const char *field,
				 unsigned int family, const char *in)
{
	struct strbuf *out = g->out;
	size_t i, n = 0, first = 0;

	for (i = 0; i < c->npfx; i++) {
		if (c->pfx[i].a.family != family)
			continue;
		if (!n++)
			first = i;
	}
	if (n == 0) {
		strbuf_puts(out, "0");
		return;
	}
	if (n <= XLB_INLINE_MAX) {
		if (n > 1)
			strbuf_putc(out, '(');
		for (i = first; i < first + n; i++) {
			if (i > first)
				strbuf_printf(out, " ||\n%s     ", in);
			put_prefix_test(out, field, &c->pfx[i]);
		}
		if (n > 1)
			strbuf_putc(out, ')');
		return;
	}
	{
		size_t words = family == XLB_FAM_IP6 ? 8 : 2;
		uint32_t *iv = xmalloc(n * words * sizeof(*iv));
		const struct table *t;
		char what[64];

		for (i = 0; i < n; i++)
			prefix_interval(&c->pfx[first + i], iv + i * words,
					iv + i * words + words / 2);
		snprintf(what, sizeof(what), "%s addresses of '%s'",
			 family == XLB_FAM_IP6 ? "IPv6" : "IPv4",
			 c->m->kind == XLB_MATCH_SRC ? "src" : "dst");
		t = get_table(g, family == XLB_FAM_IP6, iv, n, r, what);
		if (family == XLB_FAM_IP6)
			strbuf_printf(out, "(xlb_find6(%s, %u, %s) != XLB_NONE)",
				      t->name, t->k, field);
		else
			strbuf_printf(out,
				      "(xlb_find4(%s, %u, bpf_ntohl(%s[0])) != XLB_NONE)",
				      t->name, t->k, field);
	}
}

/* Whether c is the key of the lookup being written. */
static bool is_key(const struct gen *g, const struct xlb_cond *c)
{
	return g->u && g->u->key != XLB_MATCH_KINDS &&
	       c == &g->u->r->cond[g->u->key];
}

/* The search of one family's tables of the unit (fam '4' or '6'; 'v' for
 * a port or type), or XLB_NONE when it has none. */
static void put_find(struct gen *g, const struct xlb_segs *s,
		     const struct xlb_hash *h, char fam, const char *value)
{
	struct strbuf *out = g->out;
	const char *w = fam == '6' ? "6" : "4";

	if (s->n && s->direct) {
		strbuf_printf(out, "xlb_u%zu_v[%s & 0x%zx]", g->uno, value,
			      s->dom - 1);
		return;
	}
	if (!s->n && (!h || !h->n)) {
		strbuf_puts(out, "XLB_NONE");
		return;
	}
	if (h && h->n && s->n)
		strbuf_puts(out, "XLB_EITHER(");
	if (h && h->n)
		strbuf_printf(out, "xlb_hash%s(xlb_u%zu_h%c, %u, 0x%08x, %u, %s)",
			      w, g->uno, fam, h->bits, h->mult, h->probes,
			      value);
	if (h && h->n && s->n)
		strbuf_puts(out, ",\n\t\t\t");
	if (s->n)
		strbuf_printf(out, "xlb_find%s(xlb_u%zu_%c, %u, %s)", w, g->uno,
			      fam, xlb_plan_steps(s->n), value);
	if (h && h->n && s->n)
		strbuf_putc(out, ')');
}

/* The key's test: j, the first rule whose value covers the packet's. */
static void put_addr_lookup(struct gen *g, const struct xlb_rule *r,
			    const char *field)
{
	struct strbuf *out = g->out;
	char v4[64];

	snprintf(v4, sizeof(v4), "bpf_ntohl(%s[0])", field);
	strbuf_puts(out, "(j = ");
	if (r->family == XLB_FAM_ANY) {
		strbuf_puts(out, "p->family == 4 ? ");
		put_find(g, &g->u->v4, &g->u->h4, '4', v4);
		strbuf_puts(out, " : ");
		put_find(g, &g->u->v6, &g->u->h6, '6', field);
	} else if (r->family == XLB_FAM_IP6) {
		put_find(g, &g->u->v6, &g->u->h6, '6', field);
	} else {
		put_find(g, &g->u->v4, &g->u->h4, '4', v4);
	}
	strbuf_puts(out, ") != XLB_NONE");
	g->jset = true;
}

static void put_addr_test(struct gen *g, const struct xlb_rule *r,
			  const struct xlb_cond *c, const char *field,
			  const char *in)
{
	struct strbuf *out = g->out;

	if (is_key(g, c)) {
		put_addr_lookup(g, r, field);
		return;
	}
	if (c->neg)
		strbuf_puts(out, "!");
	if (r->family == XLB_FAM_ANY) {
		/* both families: test the packet's own */
		strbuf_puts(out, "(p->family == 4 ? ");
		put_family_addr_test(g, r, c, field, XLB_FAM_IP4, in);
		strbuf_printf(out, " :\n%s     ", in);
		put_family_addr_test(g, r, c, field, XLB_FAM_IP6, in);
		strbuf_puts(out, ")");
		return;
	}
	if (c->neg)
		strbuf_putc(out, '(');
	put_family_addr_test(g, r, c, field, r->family, in);
	if (c->neg)
		strbuf_putc(out, ')');
}

/* "value is in c's ranges", value a host-order expression. */
static void put_range_test(struct gen *g, const struct xlb_rule *r,
			   const struct xlb_cond *c, const char *value,
			   const char *what, const char *in)
{
	struct strbuf *out = g->out;
	size_t i;

	if (is_key(g, c)) {
		strbuf_puts(out, "(j = ");
		put_find(g, &g->u->v4, NULL, 'v', value);
		strbuf_puts(out, ") != XLB_NONE");
		g->jset = true;
		return;
	}
	if (c->neg)
		strbuf_puts(out, "!");
	if (c->nrng > XLB_INLINE_MAX) {
		uint32_t *iv = xmalloc(c->nrng * 2 * sizeof(*iv));
		const struct table *t;

		for (i = 0; i < c->nrng; i++) {
			iv[2 * i] = c->rng[i].lo;
			iv[2 * i + 1] = c->rng[i].hi;
		}
		t = get_table(g, false, iv, c->nrng, r, what);
		strbuf_printf(out, "(xlb_find4(%s, %u, %s) != XLB_NONE)", t->name,
			      t->k, value);
		return;
	}
	if (c->nrng > 1 || c->neg)
		strbuf_putc(out, '(');
	for (i = 0; i < c->nrng; i++) {
		if (i)
			strbuf_printf(out, " ||\n%s     ", in);
		if (c->rng[i].lo == c->rng[i].hi)
			strbuf_printf(out, "%s == %u", value, c->rng[i].lo);
		else
			strbuf_printf(out, "(%s >= %u && %s <= %u)", value,
				      c->rng[i].lo, value, c->rng[i].hi);
	}
	if (c->nrng > 1 || c->neg)
		strbuf_putc(out, ')');
}


static const char *proto_macro(enum xlb_proto p)
{
	switch (p) {
	case XLB_PROTO_UDP:
		return "IPPROTO_UDP";
	case XLB_PROTO_TCP:
		return "IPPROTO_TCP";
	case XLB_PROTO_ICMP:
		return "IPPROTO_ICMP";
	case XLB_PROTO_ICMP6:
		return "IPPROTO_ICMPV6";
	case XLB_PROTO_ANY:
		break;
	}
	return "0";
}

/* The part of a rule's condition that needs no transport header: family,
 * protocol and addresses, "&&"-joined; "1" when it matches every packet. */
static void put_pre_condition(struct gen *g, const struct xlb_rule *r,
			      const char *in)
{
	struct strbuf *out = g->out;
	const char *sep = "";
	char and[16];
	bool alone;

	snprintf(and, sizeof(and), " &&\n%s    ", in);
	if (r->family != XLB_FAM_ANY &&
	    !(r->proto == XLB_PROTO_ICMP || r->proto == XLB_PROTO_ICMP6)) {
		strbuf_printf(out, "p->family == %d",
			      r->family == XLB_FAM_IP4 ? 4 : 6);
		sep = and;
	}
	/* a packet whose transport protocol is unknown goes on to the test
	 * of l4_unknown in the rule's body: the rule cannot decide it */
	alone = !*sep && !r->cond[XLB_MATCH_SRC].set &&
		!r->cond[XLB_MATCH_DST].set && r->proto != XLB_PROTO_ICMP &&
		r->proto != XLB_PROTO_ICMP6;
	if (r->proto != XLB_PROTO_ANY) {
		strbuf_puts(out, sep);
		if (r->proto == XLB_PROTO_ICMP || r->proto == XLB_PROTO_ICMP6)
			strbuf_printf(out, "p->family == %d && ",
				      r->proto == XLB_PROTO_ICMP ? 4 : 6);
		strbuf_printf(out, "%sp->proto == %s || p->l4_unknown%s",
			      alone ? "" : "(", proto_macro(r->proto),
			      alone ? "" : ")");
		sep = and;
	} else if (xlb_rule_needs_l4(r)) {
		strbuf_puts(out, sep);
		strbuf_printf(out, "%sp->proto == IPPROTO_UDP || "
				   "p->proto == IPPROTO_TCP || p->l4_unknown%s",
			      alone ? "" : "(", alone ? "" : ")");
		sep = and;
	}
	if (r->cond[XLB_MATCH_SRC].set) {
		strbuf_puts(out, sep);
		put_addr_test(g, r, &r->cond[XLB_MATCH_SRC], "p->saddr", in);
		sep = and;
	}
	if (r->cond[XLB_MATCH_DST].set) {
		strbuf_puts(out, sep);
		put_addr_test(g, r, &r->cond[XLB_MATCH_DST], "p->daddr", in);
		sep = and;
	}
	if (!*sep)
		strbuf_puts(out, "1");
}

static void put_flags_test(struct strbuf *out, const struct xlb_cond *c)
{
	if (c->fany)
		strbuf_printf(out, "(p->tcp_flags & 0x%02x) %s 0", c->fmask,
			      c->neg ? "==" : "!=");
	else
		strbuf_printf(out, "(p->tcp_flags & 0x%02x) %s 0x%02x", c->fmask,
			      c->neg ? "!=" : "==", c->fvalue);
}

/* The port tests of a UDP or TCP rule, after "p->has_ports". */
static void put_port_tests(struct gen *g, const struct xlb_rule *r,
			   const char *in)
{
	struct strbuf *out = g->out;
	char and[16];

	snprintf(and, sizeof(and), " &&\n%s    ", in);
	strbuf_puts(out, "p->has_ports");
	if (r->cond[XLB_MATCH_SPORT].set) {
		strbuf_puts(out, and);
		put_range_test(g, r, &r->cond[XLB_MATCH_SPORT],
			       "bpf_ntohs(p->sport)", "source ports", in);
	}
	if (r->cond[XLB_MATCH_DPORT].set) {
		strbuf_puts(out, and);
		put_range_test(g, r, &r->cond[XLB_MATCH_DPORT],
			       "bpf_ntohs(p->dport)", "destination ports", in);
	}
}

/* --- actions ------------------------------------------------------ */

/*
 * What a rule does is data, found by the rule's number once the rules
 * have found it: xlb_act[] holds each rule's XDP action and, for a
 * rewrite, 1 + its entry of xlb_rws[], which says how xlb_pick() chooses
 * among the rule's backends in xlb_backends[].
 */

static bool has_list(const struct xlb_rule *r)
{
	size_t i;

	for (i = 0; i < r->nbackends; i++)
		if (r->backends[i].w != 1)
			return true;
	return false;
}

/* An earlier Maglev rule whose backends (names and weights, in order) are
 * r's: the tables would be the same. */
static const struct xlb_rule *same_maglev(const struct gen *g,
					  const struct xlb_rule *r)
{
	const struct xlb_rule *o;
	char a[80], b[80];
	size_t i;

	for (o = g->rs->rules; o != r; o = o->next) {
		if (o->select != XLB_SELECT_MAGLEV ||
		    o->nbackends != r->nbackends)
			continue;
		for (i = 0; i < r->nbackends; i++) {
			xlb_backend_format(&o->backends[i], a, sizeof(a));
			xlb_backend_format(&r->backends[i], b, sizeof(b));
			if (strcmp(a, b) || o->backends[i].w != r->backends[i].w)
				break;
		}
		if (i == r->nbackends)
			return o;
	}
	return NULL;
}

static void put_bytes(struct strbuf *out, const uint8_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i % 24 == 0)
			strbuf_puts(out, "\n\t");
		else
			strbuf_putc(out, ' ');
		strbuf_printf(out, "%u,", v[i]);
	}
	strbuf_putc(out, '\n');
}

static const char *select_macro(enum xlb_select s)
{
	switch (s) {
	case XLB_SELECT_RR:
		return "XLB_SEL_RR";
	case XLB_SELECT_HASH:
		return "XLB_SEL_HASH";
	case XLB_SELECT_HASH_SRC:
		return "XLB_SEL_HASH_SRC";
	case XLB_SELECT_MAGLEV:
		return "XLB_SEL_MAGLEV";
	case XLB_SELECT_DEFAULT:
		break;
	}
	return "0";
}

/* A rewrite's backends, its entry of xlb_rws[] and its weighted list or
 * Maglev table. */
static void put_backends(struct gen *g, const struct xlb_rule *r)
{
	struct strbuf *out = g->be;
	size_t i, n, w = 0, list = SIZE_MAX, base = g->nbe;
	uint8_t *v;
	char name[80];

	g->nbe += r->nbackends;
	strbuf_puts(out, "\t");
	put_rule_comment(out, g->rs, r, "");
	for (i = 0; i < r->nbackends; i++) {
		const struct xlb_backend *b = &r->backends[i];

		w += b->w;
		xlb_backend_format(b, name, sizeof(name));
		strbuf_puts(out, "\t{ ");
		if (b->addr) {
			unsigned int k, words = b->a.family == XLB_FAM_IP6 ? 4 : 1;

			strbuf_puts(out, ".addr = { ");
			for (k = 0; k < words; k++)
				strbuf_printf(out, "__bpf_constant_htonl(0x%08x)%s",
					      word_at(b->a.addr, k),
					      k + 1 < words ? ", " : " }, ");
			strbuf_puts(out, ".has_addr = 1, ");
		}
		if (b->has_port)
			strbuf_printf(out,
				      ".port = __bpf_constant_htons(%u), .has_port = 1, ",
				      (unsigned int)b->port);
		strbuf_printf(out, "}, /* %zu: %s", base + i, name);
		if (b->has_weight)
			strbuf_printf(out, " weight %u", b->w);
		strbuf_puts(out, " */\n");
	}

	if (r->select == XLB_SELECT_MAGLEV) {
		const struct xlb_rule *o = same_maglev(g, r);

		w = XLB_MAGLEV_SIZE;
		if (o) {
			list = g->maglev_at[o->index];
		} else {
			list = g->nmaglev;
			v = xlb_maglev_table(r);
			put_rule_comment(g->mag, g->rs, r, "\t");
			strbuf_printf(g->mag,
				      "\t/* from %zu: entry h %% %d of the flow hash h */",
				      list, XLB_MAGLEV_SIZE);
			put_bytes(g->mag, v, XLB_MAGLEV_SIZE);
			free(v);
			g->nmaglev += XLB_MAGLEV_SIZE;
		}
		g->maglev_at[r->index] = list;
	} else if (has_list(r)) {
		n = xlb_weighted_list(r, &v);
		list = g->nlist;
		put_rule_comment(g->list, g->rs, r, "\t");
		strbuf_printf(g->list,
			      "\t/* from %zu: each backend as often as its weight */",
			      list);
		put_bytes(g->list, v, n);
		free(v);
		g->nlist += n;
	}

	strbuf_printf(g->rw, "\t{ .be = %zu, .n = %zu, .list = ", base, w);
	if (list == SIZE_MAX)
		strbuf_puts(g->rw, "XLB_NONE");
	else
		strbuf_printf(g->rw, "%zu", list);
	strbuf_printf(g->rw, ", .slot = %u, .select = %s }, /* %zu: line %u */\n",
		      r->select == XLB_SELECT_RR ? r->rr_slot : 0,
		      select_macro(r->select), g->nrw, r->loc.first_line);
	g->rw_of[r->index] = ++g->nrw;
}

/* xlb_pick(): the backend a rewrite takes, by its entry of xlb_rws[]. */
static void put_pick(struct gen *g, struct strbuf *out)
{
	bool used[XLB_SELECT_MAGLEV + 1] = { false };
	const struct xlb_rule *r;

	for (r = g->rs->rules; r; r = r->next)
		if (r->verdict == XLB_VERDICT_REWRITE)
			used[r->select] = true;
	strbuf_puts(out, "/* How each rewrite chooses, by 1 + its entry: xlb_act[rule] >> 2. */\n");
	strbuf_printf(out, "static const struct xlb_rw xlb_rws[%zu] XLB_RODATA = {\n",
		      g->nrw);
	strbuf_add(out, g->rw->buf, g->rw->len);
	strbuf_puts(out, "};\n\n");
	if (g->nlist) {
		strbuf_puts(out, "/* Weighted lists: positions to backends. */\n");
		strbuf_printf(out, "static const __u8 xlb_lists[%zu] XLB_RODATA = {\n",
			      g->nlist);
		strbuf_add(out, g->list->buf, g->list->len);
		strbuf_puts(out, "};\n\n");
	}
	if (g->nmaglev) {
		strbuf_puts(out, "/* Maglev tables: flow hashes to backends. */\n");
		strbuf_printf(out, "static const __u8 xlb_maglev[%zu] XLB_RODATA = {\n",
			      g->nmaglev);
		strbuf_add(out, g->mag->buf, g->mag->len);
		strbuf_puts(out, "};\n\n");
	}
	strbuf_puts(out,
		    "/* The backend rewrite w takes: its index in xlb_backends[]. */\n"
		    "static __noinline __u32 xlb_pick(struct xlb_key *p, __u32 w)\n"
		    "{\n"
		    "\tconst struct xlb_rw *rw;\n"
		    "\t__u32 i;\n\n");
	strbuf_printf(out,
		      "\tif (!p || w >= %zu)\n"
		      "\t\treturn 0;\n"
		      "\trw = &xlb_rws[w];\n"
		      "\tswitch (rw->select) {\n",
		      g->nrw);
	if (used[XLB_SELECT_RR])
		strbuf_puts(out, "\tcase XLB_SEL_RR:\n"
				 "\t\ti = xlb_rr_next(rw->slot, rw->n);\n"
				 "\t\tbreak;\n");
	if (used[XLB_SELECT_HASH])
		strbuf_puts(out, "\tcase XLB_SEL_HASH:\n"
				 "\t\ti = xlb_hash_pick(xlb_flow_hash(p), rw->n);\n"
				 "\t\tbreak;\n");
	if (used[XLB_SELECT_HASH_SRC])
		strbuf_puts(out, "\tcase XLB_SEL_HASH_SRC:\n"
				 "\t\ti = xlb_hash_pick(xlb_src_hash(p), rw->n);\n"
				 "\t\tbreak;\n");
	if (used[XLB_SELECT_MAGLEV])
		strbuf_printf(out, "\tcase XLB_SEL_MAGLEV:\n"
				   "\t\ti = rw->list + xlb_hash_pick(xlb_flow_hash(p), %d);\n"
				   "\t\txlb_barrier_var(i);\n"
				   "\t\treturn rw->be + (i < %zu ? xlb_maglev[i] : 0);\n",
			      XLB_MAGLEV_SIZE, g->nmaglev);
	strbuf_puts(out, "\tdefault:\n"
			 "\t\treturn 0;\n"
			 "\t}\n");
	if (g->nlist)
		strbuf_printf(out,
			      "\tif (rw->list != XLB_NONE) {\n"
			      "\t\ti += rw->list;\n"
			      "\t\txlb_barrier_var(i);\n"
			      "\t\ti = i < %zu ? xlb_lists[i] : 0;\n"
			      "\t}\n",
			      g->nlist);
	strbuf_puts(out, "\treturn rw->be + i;\n}\n\n");
}

/* --- rules --------------------------------------------------------- */

/* What the unit returns when rule r (a lookup: the rule j found) decides:
 * XLB_MATCH(rule), or XLB_UNREADABLE(rule) when what it needs could not be
 * read. */
static void put_outcome(struct gen *g, const struct xlb_rule *r, int malformed,
			const char *in)
{
	const char *what = malformed ? "XLB_UNREADABLE" : "XLB_MATCH";

	if (g->jset)
		strbuf_printf(g->out, "%sreturn %s(j);\n", in, what);
	else
		strbuf_printf(g->out, "%sreturn %s(%u);\n", in, what,
			      r->index);
}

/* Rule r's tests, returning XLB_MATCH() or XLB_UNREADABLE() if it decides; in a lookup, r is the
 * unit's first rule and its key's test the search. */
static void put_rule(struct gen *g, const struct xlb_rule *r)
{
	struct strbuf *out = g->out;

	g->jset = false;
	/* each rule reads the packet afresh: values clang would otherwise
	 * keep live across thousands of rules end up spilled past the
	 * 512-byte stack */
	strbuf_puts(out, "\txlb_barrier_var(p);\n");
	strbuf_puts(out, "\tif (");
	put_pre_condition(g, r, "\t");
	strbuf_puts(out, ") {\n");
	if (r->proto != XLB_PROTO_ANY || xlb_rule_needs_l4(r)) {
		strbuf_puts(out, "\t\tif (p->l4_unknown)\n");
		put_outcome(g, r, 1, "\t\t\t");
	}
	if (!xlb_rule_needs_l4(r)) {
		put_outcome(g, r, 0, "\t\t");
		strbuf_puts(out, "\t}\n");
		return;
	}
	/* The rule reads the transport header: if it is broken, this rule
	 * cannot tell, and nor may any rule after it. */
	strbuf_puts(out, "\t\tif (p->l4_bad)\n");
	put_outcome(g, r, 1, "\t\t\t");
	if (r->proto == XLB_PROTO_ICMP || r->proto == XLB_PROTO_ICMP6) {
		strbuf_puts(out, "\t\tif (p->whole &&\n\t\t    ");
		put_range_test(g, r, &r->cond[XLB_MATCH_TYPE], "p->icmp_type",
			       "ICMP types", "\t\t");
		strbuf_puts(out, ")\n");
		put_outcome(g, r, 0, "\t\t\t");
		strbuf_puts(out, "\t}\n");
		return;
	}
	strbuf_puts(out, "\t\tif (");
	put_port_tests(g, r, "\t\t");
	strbuf_puts(out, ") {\n");
	if (!xlb_rule_needs_whole_l4(r)) {
		put_outcome(g, r, 0, "\t\t\t");
		strbuf_puts(out, "\t\t}\n\t}\n");
		return;
	}
	/* a first fragment cut inside its header (RFC 1858) shows its ports
	 * but not its flags, and has no checksum to update */
	strbuf_puts(out, "\t\t\tif (!p->whole)\n");
	put_outcome(g, r, 1, "\t\t\t\t");
	if (r->cond[XLB_MATCH_FLAGS].set) {
		strbuf_puts(out, "\t\t\tif (");
		put_flags_test(out, &r->cond[XLB_MATCH_FLAGS]);
		strbuf_puts(out, ")\n");
		put_outcome(g, r, 0, "\t\t\t\t");
	} else {
		put_outcome(g, r, 0, "\t\t\t");
	}
	strbuf_puts(out, "\t\t}\n\t}\n");
}

static void put_rule_no(struct gen *g, struct strbuf *out, uint32_t rule)
{
	if (rule == XLB_PLAN_NONE)
		strbuf_puts(out, "XLB_NONE");
	else
		strbuf_printf(out, "%u /* line %u */", rule,
			      g->rule[rule]->loc.first_line);
}

/* A port or type key's table of every value, written as ranges. */
static void put_direct(struct gen *g, const struct xlb_segs *s,
		       const char *name, const char *what)
{
	struct strbuf *out = g->tab;
	size_t i;

	strbuf_printf(out, "/* %s: the first rule for each %s */\n", name, what);
	strbuf_printf(out, "static const __u32 %s[%zu] XLB_RODATA = {\n", name,
		      s->dom);
	for (i = 0; i < s->n; i++) {
		uint32_t lo = s->start[i];
		uint32_t hi = i + 1 < s->n ? s->start[i + 1] - 1
					   : (uint32_t)s->dom - 1;

		if (lo == hi)
			strbuf_printf(out, "\t[%u] = ", lo);
		else
			strbuf_printf(out, "\t[%u ... %u] = ", lo, hi);
		put_rule_no(g, out, s->rule[i]);
		strbuf_puts(out, ",\n");
	}
	strbuf_puts(out, "};\n\n");
}

/* One of a lookup's tables: each segment's start and first rule. */
static void put_segs(struct gen *g, const struct xlb_unit *u,
		     const struct xlb_segs *s, const char *name,
		     const char *what)
{
	struct strbuf *out = g->tab;
	size_t size = (size_t)1 << xlb_plan_steps(s->n), i;
	unsigned int w;

	if (!s->n)
		return;
	if (s->direct) {
		put_direct(g, s, name, what);
		return;
	}
	strbuf_printf(out, "/* %s: %s, %zu segment%s, padded to %zu */\n",
		      name, what, s->n, s->n == 1 ? "" : "s", size);
	strbuf_printf(out, "static const struct xlb_seg%d %s[%zu] XLB_RODATA = {\n",
		      s->width == 4 ? 6 : 4, name, size);
	for (i = 0; i < size; i++) {
		size_t e = i < s->n ? i : s->n - 1;
		const uint32_t *st = s->start + e * s->width;

		strbuf_puts(out, "\t{ ");
		if (s->width == 4) {
			strbuf_puts(out, "{ ");
			for (w = 0; w < 4; w++)
				strbuf_printf(out, "0x%08x%s", st[w],
					      w < 3 ? ", " : " }, ");
		} else {
			strbuf_printf(out, u->key == XLB_MATCH_SRC ||
						   u->key == XLB_MATCH_DST
					   ? "0x%08x, "
					   : "%u, ",
				      st[0]);
		}
		put_rule_no(g, out, s->rule[e]);
		strbuf_puts(out, " },\n");
	}
	strbuf_puts(out, "};\n\n");
}

/* A lookup's hash table of single addresses: the slots in use, each with
 * 1 + its rule; the others are left zero, empty. */
static void put_hash(struct gen *g, const struct xlb_hash *h,
		     const char *name, const char *what)
{
	struct strbuf *out = g->tab;
	size_t slots = (size_t)1 << h->bits, i;
	unsigned int w;

	if (!h->n)
		return;
	strbuf_printf(out,
		      "/* %s: %s, %zu in %zu slots, each with 1 + the first rule\n"
		      " * it matches, shorter prefixes counted */\n",
		      name, what, h->n, slots);
	strbuf_printf(out, "static const struct xlb_hent%d %s[%zu] XLB_RODATA = {\n",
		      h->width == 4 ? 6 : 4, name, slots);
	for (i = 0; i < slots; i++) {
		const uint32_t *k = h->key + i * h->width;

		if (h->rule[i] == XLB_PLAN_NONE)
			continue;
		strbuf_printf(out, "\t[%zu] = { ", i);
		if (h->width == 4) {
			strbuf_puts(out, "{ ");
			for (w = 0; w < 4; w++)
				strbuf_printf(out, "0x%08x%s", k[w],
					      w < 3 ? ", " : " }, ");
		} else {
			strbuf_printf(out, "0x%08x, ", k[0]);
		}
		strbuf_printf(out, "1 + %u }, /* line %u */\n", h->rule[i],
			      g->rule[h->rule[i]]->loc.first_line);
	}
	strbuf_puts(out, "};\n\n");
}

/* A lookup: its tables, and a function that returns what its first rule
 * that decides returns, or XLB_NONE. */
static void put_lookup(struct gen *g, const struct xlb_unit *u)
{
	const struct xlb_rule *last = u->rules[u->nrules - 1];
	char name[48], what[80];
	bool addr = u->key == XLB_MATCH_SRC || u->key == XLB_MATCH_DST;

	if (addr) {
		snprintf(what, sizeof(what), "IPv4 %s", xlb_plan_key_name(u->key));
		snprintf(name, sizeof(name), "xlb_u%zu_h4", g->uno);
		put_hash(g, &u->h4, name, what);
		snprintf(name, sizeof(name), "xlb_u%zu_4", g->uno);
		put_segs(g, u, &u->v4, name, what);
		snprintf(what, sizeof(what), "IPv6 %s", xlb_plan_key_name(u->key));
		snprintf(name, sizeof(name), "xlb_u%zu_h6", g->uno);
		put_hash(g, &u->h6, name, what);
		snprintf(name, sizeof(name), "xlb_u%zu_6", g->uno);
		put_segs(g, u, &u->v6, name, what);
	} else {
		snprintf(name, sizeof(name), "xlb_u%zu_v", g->uno);
		put_segs(g, u, &u->v4, name, xlb_plan_key_name(u->key));
	}
	strbuf_puts(g->out, "/* ");
	put_comment_text(g->out, g->rs->src->path);
	strbuf_printf(g->out,
		      ":%u-%u: %zu rules that differ only in their %s,\n"
		      " * the first of them that the packet's matches found in a table;\n"
		      " * like ",
		      u->r->loc.first_line, last->loc.first_line, u->nrules,
		      xlb_plan_key_name(u->key));
	put_comment_text(g->out, u->r->text);
	strbuf_puts(g->out, " */\n");
	strbuf_printf(g->out,
		      "static __always_inline __u32 xlb_u%zu(struct xlb_key *p)\n"
		      "{\n"
		      "\t__u32 j;\n\n",
		      g->uno);
	put_rule(g, u->r);
	strbuf_puts(g->out, "\treturn XLB_NONE;\n}\n\n");
}

/* --- the reply path ----------------------------------------------- */

/* One address test, "field == addr", over the address's words. */
static void put_addr_equal(struct strbuf *out, const char *field,
			   const struct xlb_addr *a)
{
	struct xlb_prefix p = { .a = *a };

	p.plen = a->family == XLB_FAM_IP6 ? 128 : 32;
	put_prefix_test(out, field, &p);
}

/* Whether some backend of r has an address: then the rest of a fragmented
 * reply needs its source address back too. */
static bool frag_needed(const struct xlb_rule *r)
{
	size_t i;

	for (i = 0; i < r->nbackends; i++)
		if (r->backends[i].addr)
			return true;
	return false;
}

/* An entry of xlb_reverse[]: what a reply of rule r gets back (its address
 * and/or port); returns its index + 1. */
static size_t put_reverse(struct gen *g, const struct xlb_rule *r, bool addr,
			  bool port)
{
	struct strbuf *out = g->be;
	char buf[64];

	strbuf_puts(out, "\t{ ");
	if (addr) {
		unsigned int w, words = r->vip.family == XLB_FAM_IP6 ? 4 : 1;

		strbuf_puts(out, ".addr = { ");
		for (w = 0; w < words; w++)
			strbuf_printf(out, "__bpf_constant_htonl(0x%08x)%s",
				      word_at(r->vip.addr, w),
				      w + 1 < words ? ", " : " }, ");
		strbuf_puts(out, ".has_addr = 1, ");
	}
	if (port)
		strbuf_printf(out, ".port = __bpf_constant_htons(%u), .has_port = 1, ",
			      r->vport);
	strbuf_printf(out, "}, /* %zu: line %u, ", g->nrev, r->loc.first_line);
	if (addr) {
		xlb_addr_format(&r->vip, buf, sizeof(buf));
		strbuf_printf(out, "source %s", buf);
	}
	if (port)
		strbuf_printf(out, "%ssource port %u", addr ? ", " : "",
			      r->vport);
	strbuf_puts(out, " */\n");
	return ++g->nrev;
}

/* The reverse of rule r: a reply from one of its backends to one of its
 * clients gets the source the client sent to. */
static void put_reply_rule(struct gen *g, const struct xlb_rule *r)
{
	const struct xlb_cond *src = &r->cond[XLB_MATCH_SRC];
	const struct xlb_cond *sport = &r->cond[XLB_MATCH_SPORT];
	const struct xlb_cond *dst = &r->cond[XLB_MATCH_DST];
	const struct xlb_cond *dport = &r->cond[XLB_MATCH_DPORT];
	struct strbuf *out = g->out;
	bool frag = false;
	size_t i;

	/* what replies get back, the address and port clients sent to:
	 * one entry for each kind of backend the rule has */
	size_t entry[4] = { 0 }; /* by addr * 2 + port: index + 1 */

	for (i = 0; i < r->nbackends; i++) {
		const struct xlb_backend *b = &r->backends[i];
		unsigned int kind = (b->addr != NULL) * 2 + b->has_port;

		if (entry[kind])
			continue;
		entry[kind] = put_reverse(g, r, b->addr != NULL, b->has_port);
	}
	if (frag_needed(r) && !entry[2])
		entry[2] = put_reverse(g, r, true, false);

	put_rule_comment(out, g->rs, r, "\t");
	strbuf_puts(out, "\txlb_barrier_var(p);\n\tif (");
	if (r->family != XLB_FAM_ANY)
		strbuf_printf(out, "p->family == %d && ",
			      r->family == XLB_FAM_IP4 ? 4 : 6);
	strbuf_printf(out, "p->proto == %s", proto_macro(r->proto));
	/* the reply goes to a client the rule matched */
	if (src->set) {
		strbuf_puts(out, " &&\n\t    ");
		put_addr_test(g, r, src, "p->daddr", "\t");
	}
	strbuf_puts(out, ") {\n");
	strbuf_puts(out, "\t\tif (p->whole");
	if (sport->set) {
		strbuf_puts(out, " &&\n\t\t    ");
		put_range_test(g, r, sport, "bpf_ntohs(p->dport)",
			       "client ports", "\t\t");
	}
	strbuf_puts(out, ") {\n");
	for (i = 0; i < r->nbackends; i++) {
		const struct xlb_backend *b = &r->backends[i];
		char name[80];

		xlb_backend_format(b, name, sizeof(name));
		strbuf_printf(out, "\t\t\t/* from %s */\n\t\t\tif (", name);
		/* the address it answers from, then the port: a backend
		 * with an address and no port, in a rule without a port
		 * test, answers from any port */
		if (b->addr) {
			put_addr_equal(out, "p->saddr", &b->a);
			frag = true;
		} else if (dst->set) {
			/* a local server answers from the address asked */
			put_addr_test(g, r, dst, "p->saddr", "\t\t\t");
		}
		if ((b->addr || dst->set) && (b->has_port || dport->set))
			strbuf_puts(out, " &&\n\t\t\t    ");
		if (b->has_port)
			strbuf_printf(out, "bpf_ntohs(p->sport) == %u",
				      (unsigned int)b->port);
		else if (dport->set)
			put_range_test(g, r, dport, "bpf_ntohs(p->sport)",
				       "service ports", "\t\t\t");
		strbuf_printf(out,
			      ")\n\t\t\t\treturn %zu;\n",
			      entry[(b->addr != NULL) * 2 + b->has_port]);
	}
	strbuf_puts(out, "\t\t}\n");
	if (frag) {
		/* the rest of a fragmented reply carries the address only */
		size_t n = 0;

		strbuf_puts(out, "\t\tif (p->nonfirst && (");
		for (i = 0; i < r->nbackends; i++) {
			if (!r->backends[i].addr)
				continue;
			if (n++)
				strbuf_puts(out, " ||\n\t\t    ");
			put_addr_equal(out, "p->saddr", &r->backends[i].a);
		}
		strbuf_printf(out, "))\n\t\t\treturn %zu;\n", entry[2]);
	}
	strbuf_puts(out, "\t}\n\n");
}

/* The reply path: a global function picks the entry of xlb_reverse[] for
 * a packet (0: none), like xlb_rules() without the packet; the program
 * applies it with the kernel's helpers. */
static void put_reply_program(struct gen *g, struct strbuf *out)
{
	struct strbuf rules = STRBUF_INIT, rev = STRBUF_INIT;
	struct strbuf *save_out = g->out, *save_be = g->be;
	const struct xlb_rule *r;

	g->out = &rules;
	g->be = &rev;
	for (r = g->rs->rules; r; r = r->next)
		if (r->reply)
			put_reply_rule(g, r);
	g->out = save_out;
	g->be = save_be;

	strbuf_puts(out, "/* What replies get back: xlb_reverse[n - 1] for xlb_replies() = n. */\n");
	strbuf_printf(out,
		      "static const struct xlb_backend xlb_reverse[%zu] XLB_RODATA = {\n",
		      g->nrev);
	strbuf_add(out, rev.buf, rev.len);
	strbuf_puts(out, "};\n\n");
	strbuf_puts(out,
		    "/* The reply path: each rewrite in reverse, in file order. */\n"
		    "__noinline int xlb_replies(struct xlb_key *p)\n"
		    "{\n"
		    "\tif (!p)\n"
		    "\t\treturn 0;\n\n");
	strbuf_add(out, rules.buf, rules.len);
	strbuf_puts(out, "\treturn 0;\n}\n\n");
	strbuf_printf(out,
		      "SEC(\"tc\")\n"
		      "int xlb_tc(struct __sk_buff *skb)\n"
		      "{\n"
		      "\tstruct xlb_key k;\n"
		      "\t__u32 e;\n"
		      "\n"
		      "\t/* the headers into the linear part, where they can be read */\n"
		      "\tbpf_skb_pull_data(skb, skb->len < XLB_PULL ? skb->len : XLB_PULL);\n"
		      "\tif (xlb_parse_skb(skb, &k) != XLB_IP)\n"
		      "\t\treturn TC_ACT_UNSPEC;\n"
		      "\te = xlb_replies(&k) - 1;\n"
		      "\txlb_barrier_var(e);\n"
		      "\tif (e < %zu)\n"
		      "\t\txlb_reply(skb, &k, &xlb_reverse[e]);\n"
		      "\t/* the next program or filter on the hook decides */\n"
		      "\treturn TC_ACT_UNSPEC;\n"
		      "}\n",
		      g->nrev);
	strbuf_release(&rules);
	strbuf_release(&rev);
}

/* xlb_act[]: each rule's action, and 1 + its rewrite's entry of xlb_rws[]
 * from bit 2 on; NULL when every rule does the same and none rewrites. */
static void put_actions(struct gen *g, struct strbuf *out)
{
	const struct xlb_rule *r;

	strbuf_puts(out, "/* What each rule does: its XDP action, and 1 + its entry of\n"
			 " * xlb_rws[] from bit 2 on when it rewrites. */\n");
	strbuf_printf(out, "static const %s xlb_act[%zu] XLB_RODATA = {\n",
		      g->nrw ? "__u32" : "__u8", g->rs->nrules);
	for (r = g->rs->rules; r; r = r->next) {
		strbuf_printf(out, "\t%s", xdp_action(r->verdict));
		if (g->rw_of[r->index])
			strbuf_printf(out, " | %zu << 2", g->rw_of[r->index]);
		strbuf_printf(out, ", /* line %u */\n", r->loc.first_line);
	}
	strbuf_puts(out, "};\n\n");
}

/* Whether every rule does the same and none rewrites: then the action
 * needs no table. */
static bool one_action(const struct xlb_ruleset *rs)
{
	const struct xlb_rule *r;

	for (r = rs->rules; r; r = r->next)
		if (r->verdict == XLB_VERDICT_REWRITE ||
		    r->verdict != rs->rules->verdict)
			return false;
	return true;
}

/* xlb_decide(): count and act on what the rules found. */
static void put_decide(struct gen *g, struct strbuf *out)
{
	const struct xlb_ruleset *rs = g->rs;

	strbuf_puts(out,
		    "/* What the first rule that decides does; the default when none does. */\n"
		    "static __always_inline int xlb_decide(struct xlb_key *p, __u32 res)\n"
		    "{\n"
		    "\t__u32 slot;\n"
		    "\tint action;\n\n");
	strbuf_printf(out,
		      "\tif (res == XLB_NONE) { /* default %s */\n"
		      "\t\tslot = XLB_CTR_DEFAULT(XLB_NRULES);\n"
		      "\t\taction = %s;\n",
		      xlb_verdict_name(rs->def), xdp_action(rs->def));
	strbuf_puts(out,
		    "\t} else if (res & 1) {\n"
		    "\t\t/* a rule needs what could not be read: the malformed policy */\n"
		    "\t\tslot = XLB_CTR_MALFORMED(XLB_NRULES);\n"
		    "\t\taction = XLB_MALFORMED_ACTION;\n"
		    "\t} else {\n"
		    "\t\tslot = res >> 1;\n");
	if (!rs->nrules) {
		strbuf_puts(out, "\t\taction = XDP_PASS; /* no rules */\n");
	} else if (one_action(rs)) {
		strbuf_printf(out, "\t\taction = %s; /* what every rule does */\n",
			      xdp_action(rs->rules->verdict));
	} else {
		strbuf_printf(out,
			      "\t\txlb_barrier_var(slot);\n"
			      "\t\tif (slot >= %zu)\n"
			      "\t\t\treturn XDP_PASS;\n",
			      rs->nrules);
		if (g->nrw)
			strbuf_puts(out,
				    "\t\taction = xlb_act[slot] & 3;\n"
				    "\t\tif (xlb_act[slot] >> 2)\n"
				    "\t\t\tp->backend = 1 + xlb_pick(p, (xlb_act[slot] >> 2) - 1);\n");
		else
			strbuf_puts(out, "\t\taction = xlb_act[slot];\n");
	}
	strbuf_puts(out,
		    "\t}\n"
		    "\txlb_count(slot, p->len);\n"
		    "\treturn action;\n"
		    "}\n\n");
}

/*
 * The rules go in global functions of up to XLB_CHUNK units each, which
 * the verifier checks once for any packet (they see values only, never the
 * packet), and whose jumps stay short.  Each takes the best result so far
 * and returns the new one; xlb_rules() calls them in turn while a unit in
 * them may still come first.  A rule alone returns as soon as it decides:
 * no unit after it can hold an earlier rule.  A lookup may find a rule
 * after those of later units, so its result is kept, and each unit after
 * it first asks whether it can still do better.
 */
static void put_rules(struct gen *g, const struct xlb_plan *plan,
		      struct strbuf *body)
{
	size_t i, k, nchunks = 0;
	bool found = false; /* a lookup came before: best may be set */

	for (i = 0; i < plan->nunits; i += XLB_CHUNK) {
		size_t end = i + XLB_CHUNK < plan->nunits ? i + XLB_CHUNK
							  : plan->nunits;
		bool lookups = false;

		g->out = body;
		for (k = i; k < end; k++) {
			if (plan->unit[k].key == XLB_MATCH_KINDS)
				continue;
			g->u = &plan->unit[k];
			g->uno = k;
			put_lookup(g, g->u);
			lookups = true;
		}
		strbuf_printf(body,
			      "/* Units %zu to %zu, from rule %u: the first rule that decides,\n"
			      " * if it comes before best; else best. */\n",
			      i, end - 1, plan->unit[i].r->index);
		strbuf_printf(body,
			      "__noinline __u32 xlb_rules_%zu(struct xlb_key *p, __u32 best)\n{\n",
			      nchunks++);
		if (lookups)
			strbuf_puts(body, "\t__u32 res;\n\n");
		strbuf_puts(body, "\tif (!p)\n\t\treturn best;\n\n");
		for (k = i; k < end; k++) {
			const struct xlb_unit *u = &plan->unit[k];

			if (k > i && found)
				strbuf_printf(body,
					      "\tif (best < XLB_MATCH(%u))\n"
					      "\t\treturn best;\n",
					      u->r->index);
			g->u = u;
			g->uno = k;
			if (u->key == XLB_MATCH_KINDS) {
				put_rule_comment(body, g->rs, u->r, "\t");
				put_rule(g, u->r);
			} else {
				strbuf_printf(body,
					      "\t/* lines %u-%u: a lookup */\n"
					      "\tres = xlb_u%zu(p);\n"
					      "\tif (res < best)\n"
					      "\t\tbest = res;\n",
					      u->r->loc.first_line,
					      u->rules[u->nrules - 1]->loc.first_line,
					      k);
				found = true;
			}
			strbuf_putc(body, '\n');
		}
		strbuf_puts(body, "\treturn best;\n}\n\n");
	}
	g->u = NULL;

	/* inline into the program: one BPF-to-BPF call a packet fewer; the
	 * functions of rules it calls stay global, verified once */
	strbuf_puts(body,
		    "/* First match wins: the rules in file order, then the default. */\n"
		    "static __always_inline int xlb_rules(struct xlb_key *p)\n"
		    "{\n"
		    "\t__u32 res = XLB_NONE;\n\n");
	for (i = 0, k = 0; i < plan->nunits; i += XLB_CHUNK, k++) {
		if (k)
			strbuf_printf(body, "\tif (res > XLB_MATCH(%u))\n\t",
				      plan->unit[i].r->index);
		strbuf_printf(body, "\tres = xlb_rules_%zu(p, res);\n", k);
	}
	strbuf_puts(body, "\treturn xlb_decide(p, res);\n}\n\n");
}

void xlb_codegen(const struct xlb_ruleset *rs, struct strbuf *out)
{
	bool udp = false, tcp = false, icmp = false, icmp6 = false;
	bool reply = false;
	struct strbuf rbody = STRBUF_INIT, body = STRBUF_INIT;
	struct strbuf tables = STRBUF_INIT, be = STRBUF_INIT;
	struct strbuf rw = STRBUF_INIT, list = STRBUF_INIT, mag = STRBUF_INIT;
	struct gen g = { .rs = rs, .out = &body, .tab = &tables, .be = &be,
			 .rw = &rw, .list = &list, .mag = &mag };
	struct xlb_plan plan;
	const struct xlb_rule *r;
	size_t i;

	g.rule = xcalloc(rs->nrules + 1, sizeof(*g.rule));
	g.rw_of = xcalloc(rs->nrules + 1, sizeof(*g.rw_of));
	g.maglev_at = xcalloc(rs->nrules + 1, sizeof(*g.maglev_at));
	for (r = rs->rules; r; r = r->next) {
		g.rule[r->index] = r;
		if (r->verdict == XLB_VERDICT_REWRITE)
			put_backends(&g, r);
		if (!xlb_rule_needs_l4(r))
			continue;
		udp |= r->proto == XLB_PROTO_UDP || r->proto == XLB_PROTO_ANY;
		tcp |= r->proto == XLB_PROTO_TCP || r->proto == XLB_PROTO_ANY;
		icmp |= r->proto == XLB_PROTO_ICMP;
		icmp6 |= r->proto == XLB_PROTO_ICMP6;
		reply |= r->reply;
	}
	xlb_plan_build(rs, &plan);
	put_rules(&g, &plan, &body);
	xlb_plan_free(&plan);

	strbuf_puts(out, "/* Generated by xlbc " PACKAGE_VERSION " from ");
	put_comment_text(out, rs->src->path);
	strbuf_puts(out, "; do not edit. */\n\n");
	strbuf_puts(out,
		    "/* What this ruleset needs from the frame in bpf-templates/. */\n");
	strbuf_printf(out, "#define XLB_NRULES %zu\n", rs->nrules);
	strbuf_printf(out, "#define XLB_NRR %u\n", rs->nrr);
	strbuf_printf(out, "#define XLB_PARSE_UDP %d\n", udp);
	strbuf_printf(out, "#define XLB_PARSE_TCP %d\n", tcp);
	strbuf_printf(out, "#define XLB_PARSE_ICMP %d\n", icmp);
	strbuf_printf(out, "#define XLB_PARSE_ICMP6 %d\n", icmp6);
	strbuf_printf(out, "#define XLB_REPLY %d\n", reply);
	strbuf_printf(out, "#define XLB_MALFORMED_ACTION %s /* malformed %s */\n",
		      xdp_action(rs->malformed), xlb_verdict_name(rs->malformed));
	strbuf_printf(out, "#define XLB_NONIP_ACTION %s /* non-ip %s */\n",
		      xdp_action(rs->nonip), xlb_verdict_name(rs->nonip));
	strbuf_puts(out, "#include \"xlb_prog.h\"\n\n");
	put_meta(out, rs);
	if (reply)
		put_reply_program(&g, &rbody);
	if (g.nbe) {
		strbuf_puts(out, "/* Every rewrite's backends, by p->backend - 1. */\n");
		strbuf_printf(out,
			      "static const struct xlb_backend xlb_backends[%zu] XLB_RODATA = {\n",
			      g.nbe);
		strbuf_add(out, be.buf, be.len);
		strbuf_puts(out, "};\n\n");
		put_pick(&g, out);
	}
	if (rs->nrules && !one_action(rs))
		put_actions(&g, out);
	put_decide(&g, out);
	strbuf_add(out, tables.buf, tables.len);
	strbuf_add(out, body.buf, body.len);
	strbuf_release(&tables);
	strbuf_release(&body);
	strbuf_release(&be);
	strbuf_release(&rw);
	strbuf_release(&list);
	strbuf_release(&mag);
	for (i = 0; i < g.ntables; i++)
		free(g.tables[i].iv);
	free(g.tables);
	free(g.rule);
	free(g.rw_of);
	free(g.maglev_at);

	strbuf_puts(out,
		    "SEC(\"xdp\")\n"
		    "int xlb_xdp(struct xdp_md *ctx)\n"
		    "{\n"
		    "\tstruct xlb_key k;\n"
		    "\tint action;\n");
	if (g.nbe)
		strbuf_puts(out, "\t__u32 b;\n");
	strbuf_puts(out,
		    "\n"
		    "\tswitch (xlb_parse_xdp(ctx, &k)) {\n"
		    "\tcase XLB_IP:\n"
		    "\t\taction = xlb_rules(&k);\n");
	if (g.nbe)
		strbuf_printf(out,
			      "\t\t/* 0, no rewrite, wraps past the end */\n"
			      "\t\tb = k.backend - 1;\n"
			      "\t\txlb_barrier_var(b);\n"
			      "\t\tif (b < %zu)\n"
			      "\t\t\txlb_rewrite(ctx, &k, &xlb_backends[b]);\n",
			      g.nbe);
	strbuf_puts(out,
		    "\t\treturn action;\n"
		    "\tcase XLB_NONIP:\n"
		    "\t\txlb_count(XLB_CTR_NONIP(XLB_NRULES), k.len);\n"
		    "\t\treturn XLB_NONIP_ACTION;\n"
		    "\tdefault:\n"
		    "\t\t/* no rule can read it: the malformed policy */\n"
		    "\t\txlb_count(XLB_CTR_MALFORMED(XLB_NRULES), k.len);\n"
		    "\t\treturn XLB_MALFORMED_ACTION;\n"
		    "\t}\n"
		    "}\n");
	if (reply) {
		strbuf_putc(out, '\n');
		strbuf_add(out, rbody.buf, rbody.len);
	}
	strbuf_release(&rbody);
}
