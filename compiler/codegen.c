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
 * a table of sorted intervals (xlb_in4/xlb_in6 in xlb_prog.h); identical
 * tables, as a named set used by several rules makes, are emitted once.
 */
#define XLB_INLINE_MAX 8

struct table {
	char name[32];
	bool v6;
	size_t n;   /* intervals before padding */
	unsigned int k; /* 2^k entries */
	uint32_t *iv; /* n intervals of 2 (v4) or 8 (v6) words */
};

struct gen {
	const struct xlb_ruleset *rs;
	struct strbuf *be;  /* every rewrite's backends, one table */
	size_t nbe;
	size_t be_base;	    /* where the current rule's start in it */
	size_t nrev;	    /* entries of xlb_reverse[] (in be, for TC) */
	struct strbuf *out; /* the rules */
	struct strbuf *tab; /* the tables they use, emitted before them */
	struct table *tables;
	size_t ntables;
};

static unsigned int log2_ceil(size_t n)
{
	unsigned int k = 0;

	while (((size_t)1 << k) < n)
		k++;
	return k;
}

/* The table holding these intervals, emitted on first use. */
static const struct table *get_table(struct gen *g, bool v6, uint32_t *iv,
				     size_t n, const struct xlb_rule *r,
				     const char *what)
{
	size_t words = v6 ? 8 : 2, i, j, size;
	struct table *t;

	for (i = 0; i < g->ntables; i++) {
		t = &g->tables[i];
		if (t->v6 == v6 && t->n == n &&
		    !memcmp(t->iv, iv, n * words * sizeof(*iv))) {
			free(iv);
			return t;
		}
	}
	g->tables = xrealloc(g->tables, (g->ntables + 1) * sizeof(*g->tables));
	t = &g->tables[g->ntables];
	snprintf(t->name, sizeof(t->name), "xlb_t%zu", g->ntables);
	g->ntables++;
	t->v6 = v6;
	t->n = n;
	t->k = log2_ceil(n);
	t->iv = iv;
	size = (size_t)1 << t->k;

	put_rule_comment(g->tab, g->rs, r, "");
	strbuf_printf(g->tab, "/* %s: %zu interval%s, padded to %zu */\n", what,
		      n, n == 1 ? "" : "s", size);
	strbuf_printf(g->tab, "static const struct xlb_iv%d %s[%zu] XLB_RODATA = {\n",
		      v6 ? 6 : 4, t->name, size);
	for (i = 0; i < size; i++) {
		const uint32_t *w = iv + (i < n ? i : n - 1) * words;

		if (v6) {
			strbuf_puts(g->tab, "\t{ { ");
			for (j = 0; j < 4; j++)
				strbuf_printf(g->tab, "0x%08x%s", w[j],
					      j < 3 ? ", " : " }, { ");
			for (j = 4; j < 8; j++)
				strbuf_printf(g->tab, "0x%08x%s", w[j],
					      j < 7 ? ", " : " } },\n");
		} else {
			strbuf_printf(g->tab, "\t{ 0x%08x, 0x%08x },\n", w[0],
				      w[1]);
		}
	}
	strbuf_puts(g->tab, "};\n\n");
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
			strbuf_printf(out, "xlb_in6(%s, %u, %s)", t->name, t->k,
				      field);
		else
			strbuf_printf(out, "xlb_in4(%s, %u, bpf_ntohl(%s[0]))",
				      t->name, t->k, field);
	}
}

static void put_addr_test(struct gen *g, const struct xlb_rule *r,
			  const struct xlb_cond *c, const char *field,
			  const char *in)
{
	struct strbuf *out = g->out;

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
		strbuf_printf(out, "xlb_in4(%s, %u, %s)", t->name, t->k, value);
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

static bool needs_l4(const struct xlb_rule *r)
{
	return r->cond[XLB_MATCH_SPORT].set || r->cond[XLB_MATCH_DPORT].set ||
	       r->cond[XLB_MATCH_TYPE].set || r->cond[XLB_MATCH_FLAGS].set ||
	       r->verdict == XLB_VERDICT_REWRITE;
}

/* Whether the rule reads more of the transport header than its ports. */
static bool needs_whole_l4(const struct xlb_rule *r)
{
	return r->cond[XLB_MATCH_TYPE].set || r->cond[XLB_MATCH_FLAGS].set ||
	       r->verdict == XLB_VERDICT_REWRITE;
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
	} else if (needs_l4(r)) {
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

/* --- backends ------------------------------------------------------ */

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

static void put_backend_tables(struct gen *g, const struct xlb_rule *r)
{
	struct strbuf *out = g->tab;
	uint8_t *list;
	size_t i, n;
	char name[80];

	g->be_base = g->nbe;
	g->nbe += r->nbackends;
	strbuf_puts(g->be, "\t");
	put_rule_comment(g->be, g->rs, r, "");
	for (i = 0; i < r->nbackends; i++) {
		const struct xlb_backend *b = &r->backends[i];

		out = g->be;
		xlb_backend_format(b, name, sizeof(name));
		strbuf_puts(out, "\t{ ");
		if (b->addr) {
			unsigned int w, words = b->a.family == XLB_FAM_IP6 ? 4 : 1;

			strbuf_puts(out, ".addr = { ");
			for (w = 0; w < words; w++)
				strbuf_printf(out, "__bpf_constant_htonl(0x%08x)%s",
					      word_at(b->a.addr, w),
					      w + 1 < words ? ", " : " }, ");
			strbuf_puts(out, ".has_addr = 1, ");
		}
		if (b->has_port)
			strbuf_printf(out,
				      ".port = __bpf_constant_htons(%u), .has_port = 1, ",
				      (unsigned int)b->port);
		strbuf_printf(out, "}, /* %zu: %s", g->be_base + i, name);
		if (b->has_weight)
			strbuf_printf(out, " weight %u", b->w);
		strbuf_puts(out, " */\n");
	}
	out = g->tab;
	if (r->select != XLB_SELECT_MAGLEV && !has_list(r))
		return;
	put_rule_comment(out, g->rs, r, "");

	if (r->select == XLB_SELECT_MAGLEV && same_maglev(g, r)) {
		/* the table of an earlier rule with the same backends */
		strbuf_printf(out, "#define xlb_r%u_maglev xlb_r%u_maglev\n\n",
			      r->index, same_maglev(g, r)->index);
		return;
	}
	if (r->select == XLB_SELECT_MAGLEV) {
		list = xlb_maglev_table(r);
		n = XLB_MAGLEV_SIZE;
		strbuf_printf(out, "/* Maglev table: entry h %% %d of the flow hash h */\n",
			      XLB_MAGLEV_SIZE);
		strbuf_printf(out, "static const __u8 xlb_r%u_maglev[%zu] XLB_RODATA = {",
			      r->index, n);
	} else {
		n = xlb_weighted_list(r, &list);
		strbuf_puts(out, "/* weighted list: each backend as often as its weight */\n");
		strbuf_printf(out, "static const __u8 xlb_r%u_list[%zu] XLB_RODATA = {",
			      r->index, n);
	}
	for (i = 0; i < n; i++) {
		if (i % 24 == 0)
			strbuf_puts(out, "\n\t");
		else
			strbuf_putc(out, ' ');
		strbuf_printf(out, "%u,", list[i]);
	}
	strbuf_puts(out, "\n};\n\n");
	free(list);
}


static void put_rewrite(struct gen *g, const struct xlb_rule *r, const char *in)
{
	struct strbuf *out = g->out;
	size_t n = r->nbackends, w = 0, i;
	const char *pick = NULL;

	for (i = 0; i < n; i++)
		w += r->backends[i].w;
	switch (r->select) {
	case XLB_SELECT_RR:
		strbuf_printf(out, "%si = xlb_rr_next(%u, %zu); /* round robin */\n",
			      in, r->rr_slot, w);
		pick = "list";
		break;
	case XLB_SELECT_HASH:
		strbuf_printf(out,
			      "%si = xlb_hash_pick(xlb_flow_hash(p), %zu); /* flow hash */\n",
			      in, w);
		pick = "list";
		break;
	case XLB_SELECT_HASH_SRC:
		strbuf_printf(out,
			      "%si = xlb_hash_pick(xlb_src_hash(p), %zu); /* source hash */\n",
			      in, w);
		pick = "list";
		break;
	case XLB_SELECT_MAGLEV:
		strbuf_printf(out,
			      "%si = xlb_r%u_maglev[xlb_hash_pick(xlb_flow_hash(p), %d)];\n",
			      in, r->index, XLB_MAGLEV_SIZE);
		break;
	case XLB_SELECT_DEFAULT:
		break;
	}
	if (pick && has_list(r))
		strbuf_printf(out, "%si = xlb_r%u_list[i];\n", in, r->index);
	/* xlb_xdp() rewrites the packet to the backend chosen here */
	strbuf_printf(out, "%sp->backend = %zu + i + 1; /* xlb_backends[%zu + i] */\n",
		      in, g->be_base, g->be_base);
}

/* What a matching rule does, at indent. */
static void put_action(struct gen *g, const struct xlb_rule *r, const char *in)
{
	struct strbuf *out = g->out;

	if (r->verdict == XLB_VERDICT_REWRITE)
		put_rewrite(g, r, in);
	strbuf_printf(out, "%sreturn XLB_HIT(%u, %s);\n", in, r->index,
		      xdp_action(r->verdict));
}

static void put_rule(struct gen *g, const struct xlb_rule *r)
{
	struct strbuf *out = g->out;

	put_rule_comment(out, g->rs, r, "\t");
	/* each rule reads the packet afresh: values clang would otherwise
	 * keep live across thousands of rules end up spilled past the
	 * 512-byte stack */
	strbuf_puts(out, "\txlb_barrier_var(p);\n");
	strbuf_puts(out, "\tif (");
	put_pre_condition(g, r, "\t");
	strbuf_puts(out, ") {\n");
	if (r->proto != XLB_PROTO_ANY || needs_l4(r))
		strbuf_puts(out, "\t\tif (p->l4_unknown)\n\t\t\tgoto malformed;\n");
	if (!needs_l4(r)) {
		put_action(g, r, "\t\t");
		strbuf_puts(out, "\t}\n\n");
		return;
	}
	/* The rule reads the transport header: if it is broken, this rule
	 * cannot tell, and nor may any rule after it. */
	strbuf_puts(out, "\t\tif (p->l4_bad)\n\t\t\tgoto malformed;\n");
	if (r->proto == XLB_PROTO_ICMP || r->proto == XLB_PROTO_ICMP6) {
		strbuf_puts(out, "\t\tif (p->whole &&\n\t\t    ");
		put_range_test(g, r, &r->cond[XLB_MATCH_TYPE], "p->icmp_type",
			       "ICMP types", "\t\t");
		strbuf_puts(out, ") {\n");
		put_action(g, r, "\t\t\t");
		strbuf_puts(out, "\t\t}\n\t}\n\n");
		return;
	}
	strbuf_puts(out, "\t\tif (");
	put_port_tests(g, r, "\t\t");
	strbuf_puts(out, ") {\n");
	if (!needs_whole_l4(r)) {
		put_action(g, r, "\t\t\t");
		strbuf_puts(out, "\t\t}\n\t}\n\n");
		return;
	}
	/* a first fragment cut inside its header (RFC 1858) shows its ports
	 * but not its flags, and has no checksum to update */
	strbuf_puts(out, "\t\t\tif (!p->whole)\n\t\t\t\tgoto malformed;\n");
	if (r->cond[XLB_MATCH_FLAGS].set) {
		strbuf_puts(out, "\t\t\tif (");
		put_flags_test(out, &r->cond[XLB_MATCH_FLAGS]);
		strbuf_puts(out, ") {\n");
		put_action(g, r, "\t\t\t\t");
		strbuf_puts(out, "\t\t\t}\n");
	} else {
		put_action(g, r, "\t\t\t");
	}
	strbuf_puts(out, "\t\t}\n\t}\n\n");
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

void xlb_codegen(const struct xlb_ruleset *rs, struct strbuf *out)
{
	bool udp = false, tcp = false, icmp = false, icmp6 = false;
	bool reply = false;
	struct strbuf rbody = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT, tables = STRBUF_INIT, be = STRBUF_INIT;
	struct gen g = { .rs = rs, .out = &body, .tab = &tables, .be = &be };
	const struct xlb_rule *r;
	size_t i;

	for (r = rs->rules; r; r = r->next) {
		if (!needs_l4(r))
			continue;
		udp |= r->proto == XLB_PROTO_UDP || r->proto == XLB_PROTO_ANY;
		tcp |= r->proto == XLB_PROTO_TCP || r->proto == XLB_PROTO_ANY;
		icmp |= r->proto == XLB_PROTO_ICMP;
		icmp6 |= r->proto == XLB_PROTO_ICMP6;
		reply |= r->reply;
	}

	/*
	 * The rules go in global functions of XLB_CHUNK rules each, which
	 * the verifier checks once for any packet (they see values only,
	 * never the packet; a rewrite only names its backend), and whose
	 * jumps stay short.  xlb_rules() calls them in turn and counts.  The
	 * tables the rules use are collected as they are written, and go
	 * first.
	 */
	for (r = rs->rules, i = 0; r; r = r->next, i++) {
		bool l4 = false;
		const struct xlb_rule *c;
		size_t k;

		if (i % XLB_CHUNK)
			continue;
		for (c = r, k = 0; c && k < XLB_CHUNK; c = c->next, k++)
			l4 |= needs_l4(c) || c->proto != XLB_PROTO_ANY;
		strbuf_printf(&body,
			      "/* Rules %zu to %zu: XLB_HIT(slot, action) for the first that\n"
			      " * matches, 0 for none. */\n",
			      i, i + k - 1);
		strbuf_printf(&body,
			      "__noinline int xlb_rules_%zu(struct xlb_key *p)\n{\n",
			      i / XLB_CHUNK);
		for (c = r, k = 0; c && k < XLB_CHUNK; c = c->next, k++)
			if (c->verdict == XLB_VERDICT_REWRITE)
				break;
		if (c && k < XLB_CHUNK)
			strbuf_puts(&body, "\t__u32 i; /* the backend a rewrite picks */\n\n");
		strbuf_puts(&body, "\tif (!p)\n\t\treturn 0;\n\n");
		for (c = r, k = 0; c && k < XLB_CHUNK; c = c->next, k++) {
			if (c->verdict == XLB_VERDICT_REWRITE)
				put_backend_tables(&g, c);
			put_rule(&g, c);
		}
		strbuf_puts(&body, "\treturn 0;\n");
		if (l4)
			strbuf_puts(&body,
				    "malformed:\n"
				    "\t/* a rule needs what could not be read: the malformed policy */\n"
				    "\treturn XLB_HIT(XLB_CTR_MALFORMED(XLB_NRULES), XLB_MALFORMED_ACTION);\n");
		strbuf_puts(&body, "}\n\n");
	}
	/* inline into the program: one BPF-to-BPF call a packet fewer; the
	 * chunks of rules it calls stay global functions, verified once */
	strbuf_puts(&body,
		    "/* First match wins: the rules in file order, then the default. */\n"
		    "static __always_inline int xlb_rules(struct xlb_key *p)\n"
		    "{\n"
		    "\tint hit;\n\n");
	if (!rs->nrules)
		strbuf_puts(&body, "\thit = 0;\n");
	for (i = 0; i * XLB_CHUNK < rs->nrules; i++)
		strbuf_printf(&body, "\t%sit = xlb_rules_%zu(p);\n",
			      i ? "if (!hit)\n\t\th" : "h", i);
	strbuf_printf(&body,
		      "\tif (!hit) /* default %s */\n"
		      "\t\thit = XLB_HIT(XLB_CTR_DEFAULT(XLB_NRULES), %s);\n"
		      "\txlb_count(XLB_HIT_SLOT(hit), p->len);\n"
		      "\treturn XLB_HIT_ACTION(hit);\n"
		      "}\n\n",
		      xlb_verdict_name(rs->def),
		      xdp_action(rs->def));

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
	strbuf_add(out, tables.buf, tables.len);
	strbuf_add(out, body.buf, body.len);
	if (g.nbe) {
		strbuf_puts(out, "/* Every rewrite's backends, by p->backend - 1. */\n");
		strbuf_printf(out,
			      "static const struct xlb_backend xlb_backends[%zu] XLB_RODATA = {\n",
			      g.nbe);
		strbuf_add(out, be.buf, be.len);
		strbuf_puts(out, "};\n\n");
	}
	strbuf_release(&tables);
	strbuf_release(&body);
	strbuf_release(&be);
	for (i = 0; i < g.ntables; i++)
		free(g.tables[i].iv);
	free(g.tables);

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
