// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unit-lexer.c - the scanner, parser and checker on in-memory rules: the
 * shapes of the language, locations, rule texts, error recovery, and a
 * fixed-seed storm of random inputs that must never crash (this test also
 * runs under ASan/UBSan).
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
	int parsed;
	int checked;
};

static void run(struct result *r, const char *text)
{
	xlb_source_init_text(&r->src, "t.conf", text, strlen(text));
	xlb_diags_init(&r->d, &r->src);
	xlb_ruleset_init(&r->rs, &r->src);
	r->parsed = xlb_parse(&r->src, &r->rs, &r->d);
	/* as the driver does: check what parsed, even after syntax errors */
	r->checked = xlb_check(&r->rs, &r->d);
}

static void done(struct result *r)
{
	xlb_ruleset_free(&r->rs);
	xlb_diags_free(&r->d);
	xlb_source_free(&r->src);
}

/* Whether the generated C contains text. */
static int generated(const struct result *r, const char *text)
{
	struct strbuf c = STRBUF_INIT;
	int found;

	xlb_codegen(&r->rs, &c);
	found = strstr(c.buf, text) != NULL;
	strbuf_release(&c);
	return found;
}

static const struct xlb_rule *nth(const struct result *r, unsigned int n)
{
	const struct xlb_rule *x = r->rs.rules;

	while (x && n--)
		x = x->next;
	return x;
}

static void random_storm(void)
{
	static const char *const pieces[] = {
		"udp",
		"tcp",
		"icmp",
		"src",
		"dst",
		"port",
		"drop",
		"pass",
		"default",
		"->",
		";",
		",",
		"/",
		"1.1.1.1",
		"10.0.0.0",
		"8",
		"65536",
		"9875",
		"round-robin",
		"hash",
		"#c\n",
		"\n",
		" ",
		"\t",
		"udpp",
		"@",
		"\xff",
		"1.2.3",
		"99999999999999999999999",
		"-",
		">",
		"\0",
	};
	unsigned int seed = 12345, i, j;
	int crashes = 0;

	for (i = 0; i < 3000; i++) {
		char buf[512];
		size_t len = 0;
		unsigned int n;
		struct result r;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 40;
		for (j = 0; j < n; j++) {
			const char *p;
			size_t pl;

			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 7 == 0) {
				/* a raw random byte */
				buf[len++] = (char)(seed >> 8);
				continue;
			}
			p = pieces[(seed >> 16) % ARRAY_SIZE(pieces)];
			pl = *p ? strlen(p) : 1;
			if (len + pl + 1 >= sizeof(buf))
				break;
			memcpy(buf + len, p, pl);
			len += pl;
			buf[len++] = ' ';
		}
		xlb_source_init_text(&r.src, "t.conf", buf, len);
		xlb_diags_init(&r.d, &r.src);
		xlb_ruleset_init(&r.rs, &r.src);
		xlb_parse(&r.src, &r.rs, &r.d);
		xlb_check(&r.rs, &r.d);
		if (r.d.nerrors == 0 && r.rs.nrules) {
			struct strbuf c = STRBUF_INIT;

			xlb_codegen(&r.rs, &c);
			if (!strstr(c.buf, "SEC(\"xdp\")"))
				crashes++;
			strbuf_release(&c);
		}
		done(&r);
	}
	ok(crashes == 0,
	   "3000 random inputs parse, check and generate without a fault");
}

int main(void)
{
	struct result r;
	const struct xlb_rule *x;
	const struct xlb_cond *c;

	plan(27);

	run(&r, "udp port 9875 -> 9876,9877,9878; drop src 1.1.1.1");
	ok(r.parsed == 0 && r.checked == 0,
	   "the design card's one-liner compiles");
	is_int((long long)r.rs.nrules, 2, "two rules");
	x = nth(&r, 0);
	is_string(x->text, "udp port 9875 -> 9876,9877,9878",
		  "rule text as written");
	is_int(x->select, XLB_SELECT_RR, "UDP defaults to round robin");
	is_int((long long)x->nbackends, 3, "three backends");
	x = nth(&r, 1);
	is_int(x->loc.first_column, 34, "second rule starts at column 34");
	c = &x->cond[XLB_MATCH_SRC];
	ok(x->verdict == XLB_VERDICT_DROP && c->set && c->npfx == 1 &&
		   c->pfx[0].plen == 32 &&
		   !memcmp(c->pfx[0].a.addr, "\1\1\1\1", 4) &&
		   x->family == XLB_FAM_IP4,
	   "drop src 1.1.1.1 normalised, IPv4 only");
	ok(generated(&r, "#define XLB_PARSE_UDP 1") &&
		   generated(&r, "#define XLB_PARSE_TCP 0"),
	   "only UDP headers are parsed");
	done(&r);

	run(&r,
	    "tcp dst 10.1.0.0/16\n  # comment\n  port 80 -> 8080, 8081;\ndefault drop;");
	ok(r.parsed == 0 && r.checked == 0, "multi-line rule with a comment");
	x = nth(&r, 0);
	is_string(x->text, "tcp dst 10.1.0.0/16 port 80 -> 8080, 8081",
		  "comments dropped and blanks folded in the rule text");
	is_int(x->select, XLB_SELECT_HASH, "TCP defaults to the flow hash");
	c = &x->cond[XLB_MATCH_DST];
	ok(c->npfx == 1 && c->pfx[0].plen == 16 &&
		   !memcmp(c->pfx[0].a.addr, "\12\1\0\0", 4),
	   "CIDR prefix");
	ok(r.rs.def == XLB_VERDICT_DROP && r.rs.def_loc.first_line == 4,
	   "default drop with its line");
	done(&r);

	run(&r, "src 10.0.0.0/8 udp drop;");
	ok(r.checked == 0 && nth(&r, 0)->verdict == XLB_VERDICT_DROP,
	   "nftables order: the verdict last");
	done(&r);

	run(&r, "port 53 pass");
	ok(r.checked == 0 && generated(&r, "#define XLB_PARSE_UDP 1") &&
		   generated(&r, "#define XLB_PARSE_TCP 1"),
	   "a port without a protocol reads both UDP and TCP");
	done(&r);

	run(&r, "");
	ok(r.parsed == 0 && r.checked == 0 && r.rs.nrules == 0,
	   "an empty file is a ruleset");
	done(&r);

	run(&r, ";;drop src 2.2.2.2;;");
	ok(r.checked == 0 && r.rs.nrules == 1, "empty statements are allowed");
	done(&r);

	run(&r, "udpp port 1 -> 2;\ndrop src 1.1.1.1;\ntcp port 99999 drop;\n");
	is_int(r.d.nerrors, 2, "a syntax error and a range error in one run");
	ok(strstr(r.d.v[0].msg, "did you mean 'udp'") != NULL,
	   "a hint for a misspelt keyword");
	done(&r);

	run(&r, "udpp 1;\ndrop src 1.1.1;\ntcp tcp drop\n");
	is_int(r.d.nerrors, 3,
	       "recovery after ';' reaches the statements after a syntax error");
	done(&r);

	run(&r, "drop src 1.1.1.1\ndrop src 2.2.2.2;");
	ok(r.d.nerrors == 1 && strstr(r.d.v[0].msg, "missing ';'") &&
		   r.d.v[0].loc.first_line == 1,
	   "a forgotten ';' is reported on its line");
	done(&r);

	run(&r,
	    "drop src 256.1.1.1; drop dst 1.1.1.1/33; tcp port 70000 drop; udp -> 0");
	is_int(r.d.nerrors, 4, "checker reports every error in one run");
	done(&r);

	run(&r,
	    "icmp port 1 drop; port 1 -> 2; udp tcp drop; src 1.1.1.1 src 2.2.2.2 drop");
	is_int(r.d.nerrors, 4,
	       "icmp ports, rewrite without protocol, two protocols, twice src");
	done(&r);

	run(&r, "drop src 10.0.0.1/8");
	ok(r.checked == 0 && r.d.nwarnings == 1, "host bits set is a warning");
	done(&r);

	run(&r, "default drop; default pass");
	ok(r.d.nerrors == 1 && r.d.n == 2,
	   "default twice: an error and a note");
	done(&r);

	run(&r, "drop src 1.1.1.1 $ drop");
	ok(r.d.nerrors >= 1 && strstr(r.d.v[0].msg, "invalid character '$'"),
	   "invalid characters are named");
	done(&r);

	random_storm();
	return tap_done();
}
