// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * codegen.c - writes the C for a checked ruleset.  The output is meant to be
 * read: one block per rule in file order, each under a comment naming the
 * rule's file, line and text; constants inline; the packet parser reads only
 * the headers that some rule needs (XLB_PARSE_* below).  The same ruleset
 * always produces the same bytes.
 */
#include <stdio.h>
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

static void put_ipv4(struct strbuf *out, uint32_t a)
{
	strbuf_printf(out, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		      (a >> 8) & 0xff, a & 0xff);
}

static void put_meta(struct strbuf *out, const struct xlb_ruleset *rs)
{
	const struct xlb_rule *r;

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
	}
	strbuf_printf(out, "\t \"default %u %s\\n\");\n\n",
		      rs->def_set ? rs->def_loc.first_line : 0,
		      xlb_verdict_name(rs->def));
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
	case XLB_PROTO_ANY:
		break;
	}
	return "0";
}

/* One address condition ("p->saddr == ..."), after *sep; a /0 prefix
 * matches every address and adds nothing. */
static void put_addr_cond(struct strbuf *out, const char *field,
			  const struct xlb_addr_cond *c, const char **sep,
			  const char *next_sep)
{
	if (!c->set || !c->plen)
		return;
	strbuf_puts(out, *sep);
	if (c->plen == 32)
		strbuf_printf(out, "%s == bpf_htonl(0x%08x) /* ", field,
			      c->net);
	else
		strbuf_printf(
			out,
			"(%s & bpf_htonl(0x%08x)) == bpf_htonl(0x%08x) /* ",
			field, c->mask, c->net);
	put_ipv4(out, c->net);
	strbuf_printf(out, "/%u */", c->plen);
	*sep = next_sep;
}

static bool needs_ports(const struct xlb_rule *r)
{
	return r->sport.set || r->dport.set ||
	       r->verdict == XLB_VERDICT_REWRITE;
}

static bool has_pre_condition(const struct xlb_rule *r)
{
	return r->proto != XLB_PROTO_ANY || (r->src.set && r->src.plen) ||
	       (r->dst.set && r->dst.plen);
}

/* The part of a rule's condition that needs no transport header: protocol
 * and addresses, "&&"-joined; "1" when it matches every packet. */
static void put_pre_condition(struct strbuf *out, const struct xlb_rule *r,
			      const char *indent)
{
	char sep[16];
	const char *s = "";

	snprintf(sep, sizeof(sep), " &&\n%s    ", indent);
	if (r->proto != XLB_PROTO_ANY) {
		strbuf_printf(out, "p->proto == %s", proto_macro(r->proto));
		s = sep;
	}
	put_addr_cond(out, "p->saddr", &r->src, &s, sep);
	put_addr_cond(out, "p->daddr", &r->dst, &s, sep);
	if (!*s)
		strbuf_puts(out, "1");
}

/* The port part: only a parsed UDP/TCP header of a first fragment has
 * ports. */
static void put_port_condition(struct strbuf *out, const struct xlb_rule *r,
			       const char *indent)
{
	strbuf_puts(out, "p->has_ports");
	if (r->sport.set)
		strbuf_printf(out, " &&\n%s    p->sport == bpf_htons(%u)",
			      indent, r->sport.port);
	if (r->dport.set)
		strbuf_printf(out, " &&\n%s    p->dport == bpf_htons(%u)",
			      indent, r->dport.port);
}

static void put_backend_table(struct strbuf *out, const struct xlb_ruleset *rs,
			      const struct xlb_rule *r)
{
	size_t i;

	put_rule_comment(out, rs, r, "");
	strbuf_printf(out,
		      "static const __u16 xlb_r%u_ports[%zu] XLB_RODATA = {",
		      r->index, r->nbackends);
	for (i = 0; i < r->nbackends; i++) {
		if (i % 8 == 0)
			strbuf_puts(out, "\n\t");
		else
			strbuf_putc(out, ' ');
		strbuf_printf(out, "%u,", (unsigned int)r->backends[i].port);
	}
	strbuf_puts(out, "\n};\n\n");
}

/* What a matching rule does, at indent. */
static void put_action(struct strbuf *out, const struct xlb_rule *r,
		       const char *in)
{
	if (r->verdict == XLB_VERDICT_REWRITE) {
		strbuf_printf(out, "%s__u32 i;\n\n", in);
		strbuf_printf(
			out,
			"%s/* a first fragment cut inside its header shows its ports\n"
			"%s * but has no checksum to update */\n"
			"%sif (!p->l4)\n%s\tgoto malformed;\n",
			in, in, in, in);
		if (r->select == XLB_SELECT_RR)
			strbuf_printf(
				out,
				"%si = xlb_rr_next(%u, %zu); /* round robin */\n",
				in, r->rr_slot, r->nbackends);
		else
			strbuf_printf(
				out,
				"%si = xlb_hash_pick(xlb_flow_hash(p), %zu); /* flow hash */\n",
				in, r->nbackends);
		strbuf_printf(
			out,
			"%sxlb_set_dport(p, bpf_htons(xlb_r%u_ports[i]));\n",
			in, r->index);
	}
	strbuf_printf(out, "%sslot = %u;\n", in, r->index);
	strbuf_printf(out, "%saction = %s;\n", in,
		      r->verdict == XLB_VERDICT_DROP ? "XDP_DROP" : "XDP_PASS");
	strbuf_printf(out, "%sgoto out;\n", in);
}

static void put_rule(struct strbuf *out, const struct xlb_ruleset *rs,
		     const struct xlb_rule *r)
{
	put_rule_comment(out, rs, r, "\t");
	strbuf_puts(out, "\tif (");
	if (!needs_ports(r)) {
		put_pre_condition(out, r, "\t");
		strbuf_puts(out, ") {\n");
		put_action(out, r, "\t\t");
		strbuf_puts(out, "\t}\n\n");
		return;
	}
	/* The rule needs ports: if the packet's transport header is broken,
	 * this rule cannot tell, and nor may any rule after it. */
	if (!has_pre_condition(r)) {
		strbuf_puts(out, "p->l4_bad)\n\t\tgoto malformed;\n\tif (");
		put_port_condition(out, r, "\t");
		strbuf_puts(out, ") {\n");
		put_action(out, r, "\t\t");
		strbuf_puts(out, "\t}\n\n");
		return;
	}
	put_pre_condition(out, r, "\t");
	strbuf_puts(out, ") {\n"
			 "\t\tif (p->l4_bad)\n"
			 "\t\t\tgoto malformed;\n"
			 "\t\tif (");
	put_port_condition(out, r, "\t\t");
	strbuf_puts(out, ") {\n");
	put_action(out, r, "\t\t\t");
	strbuf_puts(out, "\t\t}\n\t}\n\n");
}

void xlb_codegen(const struct xlb_ruleset *rs, struct strbuf *out)
{
	const struct xlb_rule *r;

	strbuf_puts(out, "/* Generated by xlbc " PACKAGE_VERSION " from ");
	put_comment_text(out, rs->src->path);
	strbuf_puts(out, "; do not edit. */\n\n");

	strbuf_puts(
		out,
		"/* What this ruleset needs from the frame in bpf-templates/. */\n");
	strbuf_printf(out, "#define XLB_NRULES %zu\n", rs->nrules);
	strbuf_printf(out, "#define XLB_NRR %u\n", rs->nrr);
	strbuf_printf(out, "#define XLB_PARSE_UDP %d\n", rs->need_udp);
	strbuf_printf(out, "#define XLB_PARSE_TCP %d\n", rs->need_tcp);
	strbuf_puts(out, "#include \"xlb_prog.h\"\n\n");

	put_meta(out, rs);

	for (r = rs->rules; r; r = r->next)
		if (r->verdict == XLB_VERDICT_REWRITE)
			put_backend_table(out, rs, r);

	/* One exit that counts: each rule only picks its slot and action, so
	 * the program grows by a compare and a jump per rule. */
	strbuf_puts(out, "/* First match wins: the rules in file order. */\n");
	strbuf_puts(
		out,
		"static __always_inline int xlb_rules(struct xlb_pkt *p)\n{\n");
	strbuf_puts(out, "\t__u32 slot;\n\tint action;\n\n");
	for (r = rs->rules; r; r = r->next)
		put_rule(out, rs, r);
	strbuf_printf(out, "\t/* no rule matched: default %s */\n",
		      xlb_verdict_name(rs->def));
	strbuf_puts(out, "\tslot = XLB_CTR_DEFAULT(XLB_NRULES);\n");
	strbuf_printf(out, "\taction = %s;\n",
		      rs->def == XLB_VERDICT_DROP ? "XDP_DROP" : "XDP_PASS");
	if (rs->need_udp || rs->need_tcp)
		strbuf_puts(
			out,
			"\tgoto out;\n"
			"malformed:\n"
			"\t/* a truncated UDP or TCP header: pass it untouched */\n"
			"\tslot = XLB_CTR_MALFORMED(XLB_NRULES);\n"
			"\taction = XDP_PASS;\n");
	strbuf_puts(
		out,
		"out:\n\txlb_count(slot, p->len);\n\treturn action;\n}\n\n");

	strbuf_puts(out,
		    "SEC(\"xdp\")\n"
		    "int xlb_xdp(struct xdp_md *ctx)\n"
		    "{\n"
		    "\tstruct xlb_pkt p;\n"
		    "\n"
		    "\tswitch (xlb_parse(ctx, &p)) {\n"
		    "\tcase XLB_IPV4:\n"
		    "\t\treturn xlb_rules(&p);\n"
		    "\tcase XLB_NONIP:\n"
		    "\t\txlb_count(XLB_CTR_NONIP(XLB_NRULES), p.len);\n"
		    "\t\treturn XDP_PASS;\n"
		    "\tdefault:\n"
		    "\t\t/* truncated or malformed: let the stack judge it */\n"
		    "\t\txlb_count(XLB_CTR_MALFORMED(XLB_NRULES), p.len);\n"
		    "\t\treturn XDP_PASS;\n"
		    "\t}\n"
		    "}\n");
}
