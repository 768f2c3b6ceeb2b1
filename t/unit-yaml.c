// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unit-yaml.c - the YAML front end and the printer, without the checker:
 * each YAML ruleset must give exactly the tree (everything but locations)
 * that the text parser gives for its text twin; locations point into the
 * YAML scalars; errors are reported, several per run; the printer's output
 * reads back as the same tree; and a fixed-seed storm of random YAML must
 * never crash (this test also runs under ASan/UBSan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "xlbc.h"

struct result {
	struct xlb_source src;
	struct xlb_ruleset rs;
	struct xlb_diags d;
	int rc;
};

static void run(struct result *r, const char *name, const char *text)
{
	size_t n = strlen(name);

	xlb_source_init_text(&r->src, name, text, strlen(text));
	xlb_diags_init(&r->d, &r->src);
	xlb_ruleset_init(&r->rs, &r->src);
	if (n > 5 && !strcmp(name + n - 5, ".yaml"))
		r->rc = xlb_parse_yaml(&r->src, &r->rs, &r->d);
	else
		r->rc = xlb_parse(&r->src, &r->rs, &r->d);
}

static void done(struct result *r)
{
	xlb_ruleset_free(&r->rs);
	xlb_diags_free(&r->d);
	xlb_source_free(&r->src);
}

/* The diagnostics as printed. */
static char *render(const struct xlb_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	xlb_diags_print(d, f);
	fclose(f);
	return buf;
}

static void dump_elems(struct strbuf *sb, const struct xlb_elem *e)
{
	for (; e; e = e->next)
		strbuf_printf(sb, " <%d %s %d/%llu %llu-%llu %d>", e->kind,
			      e->text ? e->text : "-", e->has_plen,
			      (unsigned long long)e->plen,
			      (unsigned long long)e->lo,
			      (unsigned long long)e->hi, e->is_range);
}

/* Everything a front end fills in, locations aside. */
static char *dump(const struct xlb_ruleset *rs)
{
	struct strbuf sb = STRBUF_INIT;
	const struct xlb_match *m;
	const struct xlb_rule *r;
	const struct xlb_set *s;
	size_t i;

	for (s = rs->sets; s; s = s->next) {
		strbuf_printf(&sb, "set %s:", s->name);
		dump_elems(&sb, s->elems);
		strbuf_putc(&sb, '\n');
	}
	for (r = rs->rules; r; r = r->next) {
		strbuf_printf(&sb, "rule %d select %d\n", r->verdict,
			      r->select);
		for (m = r->matches; m; m = m->next) {
			strbuf_printf(&sb,
				      "  match %d neg %d braced %d fam %u "
				      "proto %d:",
				      m->kind, m->neg, m->braced, m->family,
				      m->proto);
			dump_elems(&sb, m->elems);
			if (m->mask) {
				strbuf_puts(&sb, " mask");
				dump_elems(&sb, m->mask);
			}
			strbuf_putc(&sb, '\n');
		}
		for (i = 0; i < r->nbackends; i++) {
			const struct xlb_backend *b = &r->backends[i];

			strbuf_printf(&sb, "  backend %s %d %d:%llu %d:%llu\n",
				      b->addr ? b->addr : "-", b->bracketed,
				      b->has_port, (unsigned long long)b->port,
				      b->has_weight,
				      (unsigned long long)b->weight);
		}
	}
	strbuf_printf(&sb, "default %d %d\n", rs->def, rs->def_set);
	return strbuf_detach(&sb);
}

static char *print(const struct xlb_ruleset *rs)
{
	struct strbuf sb = STRBUF_INIT;

	xlb_print(rs, &sb);
	return strbuf_detach(&sb);
}

/* Text and YAML twins. */
static const struct twin {
	const char *name;
	const char *text;
	const char *yaml;
} twins[] = {
	{ "the seed scenarios",
	  "udp port 9875 -> 9876, 9877, 9878; drop src 1.1.1.1",
	  "rules:\n"
	  "  - proto: udp\n"
	  "    port: 9875\n"
	  "    backends: [9876, 9877, 9878]\n"
	  "  - action: drop\n"
	  "    src: 1.1.1.1\n" },
	{ "sets and references",
	  "set blocked { 192.0.2.0/24, 198.51.100.7, 2001:db8::/32 };\n"
	  "set web { 80, 443, 6000-6063 };\n"
	  "drop src @blocked; pass tcp dst port @web; default drop;",
	  "sets:\n"
	  "  blocked: [192.0.2.0/24, 198.51.100.7, \"2001:db8::/32\"]\n"
	  "  web:\n"
	  "    - 80\n"
	  "    - 443\n"
	  "    - 6000-6063\n"
	  "rules:\n"
	  "  - {action: drop, src: \"@blocked\"}\n"
	  "  - action: pass\n"
	  "    proto: tcp\n"
	  "    dport: '@web'\n"
	  "default: drop\n" },
	{ "matches in key order, verdict anywhere",
	  "ip6 tcp src 2001:db8::1 dst { ::1 } src port 1024-65535 "
	  "dst port 22 pass",
	  "rules:\n"
	  "- family: ip6\n"
	  "  proto: tcp\n"
	  "  src: 2001:db8::1\n"
	  "  dst: [\"::1\"]\n"
	  "  sport: 1024 - 65535\n"
	  "  dport: 22\n"
	  "  action: pass\n" },
	{ "negations",
	  "drop not src { 10.0.0.0/8, 192.168.0.0/16 } not dst port 53 "
	  "tcp not flags syn / syn,ack",
	  "rules:\n"
	  "  - action: drop\n"
	  "    src: {not: [10.0.0.0/8, 192.168.0.0/16]}\n"
	  "    dport:\n"
	  "      not: 53\n"
	  "    proto: tcp\n"
	  "    flags: {not: 'syn / syn,ack'}\n" },
	{ "icmp types and flags",
	  "pass icmp type { echo-request, 0, 13-14 };"
	  "pass ip6 icmpv6 type echo-request;"
	  "drop tcp flags syn,fin;"
	  "drop tcp flags syn, rst/syn,ack,rst",
	  "rules:\n"
	  "  - {action: pass, proto: icmp, type: [echo-request, 0, 13-14]}\n"
	  "  - {action: pass, family: ip6, proto: icmpv6, type: "
	  "echo-request}\n"
	  "  - {action: drop, proto: tcp, flags: 'syn,fin'}\n"
	  "  - {action: drop, proto: tcp, flags: 'syn, rst/syn,ack,rst'}\n" },
	{ "backends, weights, selectors",
	  "tcp dst 203.0.113.10 port 80 -> 10.0.0.2:8080 weight 3, "
	  "10.0.0.3:8080 weight 1, [2001:db8::2]:80, [2001:db8::3] maglev;"
	  "udp port 53 -> 10.0.0.1, 10.0.0.2:5353 round-robin;"
	  "tcp port 443 -> 8443 weight 2, 8444 hash;"
	  "tcp port 444 -> 8443 hash src;"
	  "udp port 9875 -> 9876",
	  "rules:\n"
	  "  - proto: tcp\n"
	  "    dst: 203.0.113.10\n"
	  "    port: 80\n"
	  "    backends:\n"
	  "      - 10.0.0.2:8080 weight 3\n"
	  "      - { addr: 10.0.0.3, port: 8080, weight: 1 }\n"
	  "      - \"[2001:db8::2]:80\"\n"
	  "      - {addr: \"2001:db8::3\"}\n"
	  "    select: maglev\n"
	  "  - proto: udp\n"
	  "    port: 53\n"
	  "    select: round-robin\n"
	  "    backends: [10.0.0.1, {addr: 10.0.0.2, port: 5353}]\n"
	  "  - proto: tcp\n"
	  "    port: 443\n"
	  "    backends: 8443 weight 2, 8444\n"
	  "    select: hash\n"
	  "  - proto: tcp\n"
	  "    port: 444\n"
	  "    backends: [{port: 8443}]\n"
	  "    select: hash   src\n"
	  "  - proto: udp\n"
	  "    dport: 9875\n"
	  "    backends:\n"
	  "    - 9876\n" },
	{ "values the checker refuses are passed on as written",
	  "drop src 80 dst port 1.2.3 type foo port 99999999999999999999999",
	  "rules:\n"
	  "  - action: drop\n"
	  "    src: 80\n"
	  "    dport: 1.2.3\n"
	  "    type: foo\n"
	  "    port: 99999999999999999999999\n" },
	{ "an empty ruleset", "", "" },
	{ "comments only", "# nothing\n", "# nothing\n---\n" },
	{ "empty lists", "", "sets:\nrules: ~\n" },
	{ "default pass", "default pass", "default: pass\n" },
	{ "a byte order mark and CRLF", "drop src 1.1.1.1",
	  "\xef\xbb\xbfrules:\r\n  - action: drop\r\n    src: 1.1.1.1\r\n" },
};

static void test_twins(void)
{
	struct result t, y, again;
	char *dt, *dy, *pt, *pa, *da;
	size_t i;

	for (i = 0; i < sizeof(twins) / sizeof(twins[0]); i++) {
		run(&t, "t.conf", twins[i].text);
		run(&y, "t.yaml", twins[i].yaml);
		if (!ok(t.rc == 0 && y.rc == 0, "%s: both parse",
			twins[i].name)) {
			char *e = render(&t.d);

			diag("text: %s", e);
			free(e);
			e = render(&y.d);
			diag("yaml: %s", e);
			free(e);
		}
		dt = dump(&t.rs);
		dy = dump(&y.rs);
		is_string(dy, dt, "%s: the same tree", twins[i].name);

		/* the printer's output reads back as the same tree */
		pt = print(&y.rs);
		run(&again, "p.conf", pt);
		da = dump(&again.rs);
		is_string(da, dt, "%s: printed, it reads back the same",
			  twins[i].name);
		pa = print(&again.rs);
		is_string(pa, pt, "%s: printing is a fixed point",
			  twins[i].name);
		free(dt);
		free(dy);
		free(da);
		free(pt);
		free(pa);
		done(&t);
		done(&y);
		done(&again);
	}
}

static void test_print(void)
{
	struct result r;
	char *p;

	run(&r, "t.yaml",
	    "sets: {a: [10.0.0.1/8, 2001:0db8:0:0::1, 5-5, 7-9]}\n"
	    "rules:\n"
	    "  - {proto: udp, dport: [53], src: {not: 1.1.1.1},"
	    " backends: '[2001:DB8::2]:53, 9876 weight 2'}\n"
	    "  - {action: drop, sport: \"@a\", flags: syn}\n"
	    "  - action: pass\n");
	p = print(&r.rs);
	is_string(p,
		  "set a { 10.0.0.1/8, 2001:db8::1, 5, 7-9 };\n"
		  "udp dst port { 53 } not src 1.1.1.1 -> [2001:db8::2]:53, "
		  "9876 weight 2;\n"
		  "drop src port @a flags syn;\n"
		  "pass;\n",
		  "canonical text before check: addresses canonical, braces "
		  "kept, 'not KEY VALUE', no selector yet");
	is_string(r.rs.rules ? r.rs.rules->text : NULL,
		  "udp dst port { 53 } not src 1.1.1.1 -> [2001:db8::2]:53, "
		  "9876 weight 2",
		  "a YAML rule's text is its canonical form without ';'");
	free(p);
	done(&r);
}

static void is_loc(const struct xlb_loc *l, unsigned int line,
		   unsigned int first, unsigned int last, const char *what)
{
	char got[64], want[64];

	snprintf(got, sizeof(got), "%u:%u-%u:%u", l->first_line,
		 l->first_column, l->last_line, l->last_column);
	snprintf(want, sizeof(want), "%u:%u-%u:%u", line, first, line, last);
	is_string(got, want, "location of %s", what);
}

static void test_locations(void)
{
	const struct xlb_match *m;
	const struct xlb_rule *r;
	const struct xlb_elem *e;
	struct result y;

	run(&y, "t.yaml",
	    "rules:\n"
	    "  - proto: udp\n"
	    "    src: [10.0.0.0/8, 'x']\n"
	    "    dport: 6000-6063\n"
	    "    backends:\n"
	    "      - 10.0.0.2:8080 weight 3\n"
	    "    select: maglev\n"
	    "  - action: drop\n"
	    "    src: \"@blocked\"\n");
	r = y.rs.rules;
	if (!ok(r && r->next && r->matches && r->matches->next &&
			r->matches->next->next && r->nbackends == 1,
		"the shape to look at")) {
		done(&y);
		return;
	}
	ok(r->loc.first_line == 2 && r->loc.first_column == 5 &&
		   r->loc.last_line == 7 && r->loc.last_column == 18,
	   "a rule: from its first key to its last value");
	m = r->matches;
	is_loc(&m->loc, 2, 5, 14, "'proto: udp'");
	m = m->next;
	is_loc(&m->loc, 3, 5, 26, "'src: [...]'");
	is_loc(&m->value_loc, 3, 10, 26, "the list");
	e = m->elems;
	is_loc(&e->loc, 3, 11, 20, "an element with a prefix length");
	is_loc(&e->text_loc, 3, 11, 18, "its address");
	is_loc(&e->plen_loc, 3, 20, 20, "its prefix length");
	is_loc(&e->next->loc, 3, 24, 24,
	       "a quoted element (inside its quotes)");
	e = m->next->elems;
	is_loc(&e->loc, 4, 12, 20, "a range");
	is_loc(&e->hi_loc, 4, 17, 20, "its end");
	is_loc(&r->backends[0].loc, 6, 9, 30, "a backend");
	is_loc(&r->backends[0].addr_loc, 6, 9, 16, "its address");
	is_loc(&r->backends[0].port_loc, 6, 18, 21, "its port");
	is_loc(&r->backends[0].weight_loc, 6, 30, 30, "its weight");
	is_loc(&r->verdict_loc, 5, 5, 12, "a rewrite's verdict: 'backends'");
	is_loc(&r->select_loc, 7, 13, 18, "the selector");
	r = r->next;
	is_loc(&r->verdict_loc, 8, 13, 16, "an action");
	is_loc(&r->matches->elems->loc, 9, 11, 18, "a quoted set reference");
	done(&y);
}

/* Each bad input with the errors it must give, as "LINE:COL message"
 * lines (the first line of each message). */
static const struct bad {
	const char *yaml;
	const char *want;
} bads[] = {
	{ "rules:\n  - action: drop\n   src: 1.1.1.1\n",
	  "3:4 invalid YAML: did not find expected '-' indicator\n"
	  "2:3 while parsing a block collection that starts here\n" },
	{ "- drop\n",
	  "1:1 a rules file must be a mapping with keys 'sets', 'rules', "
	  "'default', 'malformed' and 'non-ip', not a list\n" },
	{ "rules:\n- action: drop\n  sorc: 1.1.1.1\n- action: pas\n",
	  "3:3 unknown rule key 'sorc'; did you mean 'src'?\n"
	  "4:11 unknown action 'pas'; did you mean 'pass'?\n" },
	{ "rules:\n- {action: drop, backends: [1]}\n- {proto: udp}\n",
	  "2:18 a rule has 'action' or 'backends', not both\n"
	  "2:4 first given here\n"
	  "3:4 a rule needs 'action' (drop or pass) or 'backends'\n" },
	{ "rules:\n- {action: drop, src: 1.1.1.1, src: 2.2.2.2}\n",
	  "2:32 'src' is given twice\n2:18 first given here\n" },
	{ "rules:\n- {action: drop, dport: '80, 443'}\n",
	  "2:28 '80, 443' is more than one element; write a list as "
	  "[a, b]\n" },
	{ "rules:\n- {action: drop, src: [1.1.1.1, [2.2.2.2]]}\n",
	  "2:33 a list item must be an element, not a list\n" },
	{ "rules:\n- {action: drop, dst: *x}\n",
	  "2:23 YAML aliases are not supported; name a set under 'sets' to "
	  "share elements\n" },
	{ "a: &x 1\nrules:\n- {action: drop, dst: *x}\n",
	  "1:1 unknown key 'a'; expected sets, rules, default, malformed or non-ip\n"
	  "3:23 YAML aliases are not supported; name a set under 'sets' to "
	  "share elements\n" },
	{ "rules:\n- {proto: tcp, flags: 'syn /', action: drop}\n",
	  "2:29 'syn /' ends early; expected a TCP flag name\n" },
	{ "rules:\n- {proto: tcp, dport: 80, backends: ['10.0.0.1:80 wieght "
	  "2', {adr: 1}]}\n",
	  "2:51 unknown word 'wieght'; did you mean 'weight'?\n"
	  "2:63 unknown backend key 'adr'; did you mean 'addr'?\n" },
	{ "sets: {tcp: [1], a: [], b: ['@c'], 9x: [1]}\n",
	  "1:8 'tcp' is a keyword and cannot name a set\n"
	  "1:30 a set holds addresses or ports, not other sets\n"
	  "1:36 invalid set name '9x': use letters, digits, '_' and inner "
	  "'-', starting with a letter\n" },
	{ "rules: []\n---\nrules: []\n",
	  "2:1 a rules file holds one YAML document; this is a second one\n" },
	{ "rules:\n- action: drop\n  src: \"1.1.1.1\\x01\"\n",
	  "3:8 invalid byte 0x01 in a value\n" },
	{ "rules: \x01\n",
	  "1:8 invalid YAML: control characters are not allowed (byte "
	  "0x01)\n" },
	{ "rules:\n- {action: drop, src: {not: 1.1.1.1, x: 1}}\n",
	  "2:23 a mapping as a value is {not: VALUE}, with no other key\n" },
	{ "rules:\n- {action: drop, proto: {not: udp}, select: hash}\n",
	  "2:25 'proto' must be udp, tcp, icmp or icmpv6, not a mapping\n"
	  "2:37 'select' chooses among 'backends'; this rule has none\n" },
	{ "rules:\n- {backends: [9876], select: hash dst}\n",
	  "2:30 unknown selector 'hash dst'; expected round-robin, hash, "
	  "hash src or maglev\n" },
	{ "rules:\n- backends: 9876\n",
	  "2:3 a rule with 'backends' needs a match such as 'proto: udp' and "
	  "'dport: 53'\n" },
	{ "rules:\n- {action: drop, src: @b}\n",
	  "2:23 invalid YAML: found character that cannot start any token\n"
	  "2:23 '@' cannot start a plain YAML scalar: quote a set reference, "
	  "as in \"@name\"\n" },
	{ "rules:\n- {\"action\\0\": drop, \"src\": \"drop\\0\"}\n",
	  "2:4 unknown rule key: it holds a NUL byte; expected family, proto, "
	  "src, dst, sport, dport, port, type, flags, action, backends or "
	  "select\n"
	  "2:29 invalid byte 0x00 in a value\n" },
	{ "default: \"drop\\0\"\n",
	  "1:10 unknown default action: it holds a NUL byte; expected drop or "
	  "pass\n" },
	{ "default:\n",
	  "1:9 'default' must be drop or pass, not an empty value\n" },
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]"
	  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	  "1:33 YAML nested more than 32 deep\n" },
};

/* "LINE:COL message" of each diagnostic, one a line. */
static char *brief(const struct xlb_diags *d)
{
	char *all = render(d), *line, *save = NULL;
	struct strbuf sb = STRBUF_INIT;
	unsigned int l, c;
	int n;

	for (line = strtok_r(all, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "t.yaml:%u:%u: %*[a-z]: %n", &l, &c, &n) == 2)
			strbuf_printf(&sb, "%u:%u %s\n", l, c, line + n);
	}
	free(all);
	return strbuf_detach(&sb);
}

static void test_errors(void)
{
	struct result y;
	char *got;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		run(&y, "t.yaml", bads[i].yaml);
		got = brief(&y.d);
		ok(y.rc < 0, "bad input %zu: refused", i + 1);
		is_string(got, bads[i].want, "bad input %zu: the messages",
			  i + 1);
		free(got);
		done(&y);
	}
}

/* Random YAML made of pieces that matter here: no crash, no leak (ASan),
 * and every diagnostic has a location inside the file. */
static void random_storm(void)
{
	static const char *const pieces[] = {
		"rules:",
		"sets:",
		"default:",
		"\n",
		"  ",
		"- ",
		": ",
		"[",
		"]",
		"{",
		"}",
		",",
		"action",
		"drop",
		"backends",
		"src",
		"dport",
		"flags",
		"not",
		"1.1.1.1",
		"::1",
		"10.0.0.2:80 weight 3",
		"[2001:db8::2]:80",
		"\"",
		"'",
		"&a ",
		"*a",
		"syn / ack",
		"@s",
		"6000-6063",
		"#c",
		"---",
		"\xc3\xa9",
		"\xff",
		"\t",
		"? ",
		"select",
		"hash src",
		"{not: ",
		"|\n",
		"1-",
		"/24",
		"x:",
	};
	unsigned int seed = 42, i, j, bad_loc = 0, crashes = 0;
	struct strbuf sb = STRBUF_INIT;
	struct result y;
	size_t k;

	for (i = 0; i < 3000; i++) {
		sb.len = 0;
		for (j = 0; j < 1 + i % 40; j++) {
			seed = seed * 1103515245u + 12345u;
			strbuf_puts(&sb,
				    pieces[(seed >> 16) % (sizeof(pieces) /
							   sizeof(pieces[0]))]);
		}
		run(&y, "t.yaml", sb.buf);
		for (k = 0; k < y.d.n; k++)
			if (y.d.v[k].has_loc &&
			    (y.d.v[k].loc.first_line < 1 ||
			     y.d.v[k].loc.first_line > y.src.nlines ||
			     y.d.v[k].loc.first_off > y.src.len))
				bad_loc++;
		if (y.rc == 0 && y.d.nerrors)
			crashes++;
		done(&y);
	}
	strbuf_release(&sb);
	is_int(bad_loc, 0, "random YAML: every location is inside the file");
	is_int(crashes, 0, "random YAML: errors always make the parse fail");
}

int main(void)
{
	plan((int)(sizeof(twins) / sizeof(twins[0])) * 4 + 2 + 19 +
	     (int)(sizeof(bads) / sizeof(bads[0])) * 2 + 2);
	test_twins();
	test_print();
	test_locations();
	test_errors();
	random_storm();
	return tap_done();
}
