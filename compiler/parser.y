/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parser.y - the grammar of xlb rules files.
 *
 *   ruleset  := { statement ';' } [ statement ]
 *   statement:= 'default' verdict
 *            |  verdict { match }
 *            |  match { match } verdict
 *            |  match { match } '->' backend { ',' backend } [ selector ]
 *   match    := 'udp' | 'tcp' | 'icmp'
 *            |  ( 'src' | 'dst' ) address [ '/' length ]
 *            |  [ 'src' | 'dst' ] 'port' number
 *   verdict  := 'drop' | 'pass'
 *   selector := 'round-robin' | 'hash'
 *
 * Pure and reentrant; every value carries its location.  Errors are queued
 * in the diagnostics and parsing resumes after the next ';', so one run
 * reports every broken statement.
 */
%code requires {
#include <stdint.h>
#include "source.h"
struct xlb_parse_ctx;
struct xlb_match;
struct xlb_rule;
typedef void *yyscan_t;
}

%code {
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlbc.h"

#define YYLLOC_DEFAULT(cur, rhs, n)                                      \
	do {                                                             \
		if (n) {                                                 \
			(cur).first_line = YYRHSLOC(rhs, 1).first_line;  \
			(cur).first_column = YYRHSLOC(rhs, 1).first_column; \
			(cur).first_off = YYRHSLOC(rhs, 1).first_off;    \
			(cur).last_line = YYRHSLOC(rhs, n).last_line;    \
			(cur).last_column = YYRHSLOC(rhs, n).last_column; \
			(cur).last_off = YYRHSLOC(rhs, n).last_off;      \
		} else {                                                 \
			(cur).first_line = (cur).last_line =             \
				YYRHSLOC(rhs, 0).last_line;              \
			(cur).first_column = (cur).last_column =         \
				YYRHSLOC(rhs, 0).last_column;            \
			(cur).first_off = (cur).last_off =               \
				YYRHSLOC(rhs, 0).last_off;               \
		}                                                        \
	} while (0)

int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
int yylex_init_extra(struct xlb_parse_ctx *extra, yyscan_t *scanner);
int yylex_destroy(yyscan_t scanner);
struct yy_buffer_state *yy_scan_bytes(const char *bytes, int len,
				      yyscan_t scanner);

static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct xlb_parse_ctx *ctx,
		    const char *msg)
{
	(void)scanner;
	xlb_error(ctx->diags, loc, "%s", msg);
}

static struct xlb_match *match_addr(enum xlb_match_kind kind,
				    const YYLTYPE *loc, char *addr,
				    const YYLTYPE *addr_loc)
{
	struct xlb_match *m = xlb_match_new(kind, loc);

	m->addr = addr;
	m->value_loc = *addr_loc;
	return m;
}

static struct xlb_match *match_port(enum xlb_match_kind kind,
				    const YYLTYPE *loc, uint64_t port,
				    const YYLTYPE *port_loc)
{
	struct xlb_match *m = xlb_match_new(kind, loc);

	m->port = port;
	m->value_loc = *port_loc;
	return m;
}

static void finish_rule(struct xlb_parse_ctx *ctx, struct xlb_rule *r,
			const YYLTYPE *loc)
{
	r->loc = *loc;
	xlb_rule_set_text(r, ctx->src);
	xlb_ruleset_append(ctx->rs, r);
}
}

%define api.pure full
%define api.location.type {struct xlb_loc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {struct xlb_parse_ctx *ctx}

%union {
	uint64_t num;
	char *str;
	int verdict;
	int select;
	struct xlb_match *match;
	struct xlb_rule *rule;
}

%token <num> NUMBER "number"
%token <str> ADDRESS "address"
%token <str> WORD "word"
%token ARROW "->" SEMICOLON ";" COMMA "," SLASH "/"
%token UDP "udp" TCP "tcp" ICMP "icmp"
%token SRC "src" DST "dst" PORT "port"
%token DROP "drop" PASS "pass" DEFAULT "default"
%token ROUND_ROBIN "round-robin" HASH "hash"

%type <verdict> verdict
%type <select> selector
%type <match> match matches matches1
%type <rule> rule backends

%destructor { free($$); } <str>
%destructor { xlb_match_free_list($$); } <match>
%destructor { xlb_rule_free($$); } <rule>

%%

ruleset
	: statements
	| statements statement
	;

statements
	: %empty
	| statements statement ";"
	| statements ";"
	| statements error ";"		{ yyerrok; }
	;

statement
	: DEFAULT verdict
		{
			if (ctx->rs->def_set) {
				xlb_error(ctx->diags, &@$,
					  "the default action is given twice");
				xlb_note(ctx->diags, &ctx->rs->def_loc,
					 "first given here");
			} else {
				ctx->rs->def = $2;
				ctx->rs->def_set = true;
				ctx->rs->def_loc = @$;
			}
		}
	| rule
		{ finish_rule(ctx, $1, &@1); }
	;

rule
	: verdict matches
		{
			$$ = xlb_rule_new();
			$$->verdict = $1;
			$$->verdict_loc = @1;
			$$->matches = $2;
		}
	| matches1 verdict
		{
			$$ = xlb_rule_new();
			$$->verdict = $2;
			$$->verdict_loc = @2;
			$$->matches = $1;
		}
	| matches1 ARROW backends selector
		{
			$$ = $3;
			$$->verdict = XLB_VERDICT_REWRITE;
			$$->verdict_loc = @2;
			$$->arrow_loc = @2;
			$$->matches = $1;
			$$->select = $4;
			$$->select_loc = @4;
		}
	;

verdict
	: DROP		{ $$ = XLB_VERDICT_DROP; }
	| PASS		{ $$ = XLB_VERDICT_PASS; }
	;

matches
	: %empty	{ $$ = NULL; }
	| matches1	{ $$ = $1; }
	;

/* built in reverse, then put in source order */
matches1
	: match		{ $$ = $1; }
	| matches1 match
		{
			struct xlb_match *m = $1;

			while (m->next)
				m = m->next;
			m->next = $2;
			$$ = $1;
		}
	;

match
	: UDP		{ $$ = xlb_match_new(XLB_MATCH_PROTO, &@$); $$->proto = XLB_PROTO_UDP; }
	| TCP		{ $$ = xlb_match_new(XLB_MATCH_PROTO, &@$); $$->proto = XLB_PROTO_TCP; }
	| ICMP		{ $$ = xlb_match_new(XLB_MATCH_PROTO, &@$); $$->proto = XLB_PROTO_ICMP; }
	| SRC ADDRESS	{ $$ = match_addr(XLB_MATCH_SRC, &@$, $2, &@2); }
	| DST ADDRESS	{ $$ = match_addr(XLB_MATCH_DST, &@$, $2, &@2); }
	| SRC ADDRESS "/" NUMBER
		{
			$$ = match_addr(XLB_MATCH_SRC, &@$, $2, &@2);
			$$->has_plen = true;
			$$->plen = $4;
			$$->plen_loc = @4;
		}
	| DST ADDRESS "/" NUMBER
		{
			$$ = match_addr(XLB_MATCH_DST, &@$, $2, &@2);
			$$->has_plen = true;
			$$->plen = $4;
			$$->plen_loc = @4;
		}
	| PORT NUMBER		{ $$ = match_port(XLB_MATCH_DPORT, &@$, $2, &@2); }
	| DST PORT NUMBER	{ $$ = match_port(XLB_MATCH_DPORT, &@$, $3, &@3); }
	| SRC PORT NUMBER	{ $$ = match_port(XLB_MATCH_SPORT, &@$, $3, &@3); }
	;

backends
	: NUMBER
		{
			$$ = xlb_rule_new();
			xlb_rule_add_backend($$, $1, &@1);
		}
	| backends "," NUMBER
		{
			$$ = $1;
			xlb_rule_add_backend($$, $3, &@3);
		}
	;

selector
	: %empty	{ $$ = XLB_SELECT_DEFAULT; }
	| ROUND_ROBIN	{ $$ = XLB_SELECT_RR; }
	| HASH		{ $$ = XLB_SELECT_HASH; }
	;

%%

/* How a token is named in messages. */
static const char *token_desc(yysymbol_kind_t sym, char *buf, size_t len)
{
	const char *name;

	switch (sym) {
	case YYSYMBOL_YYEOF:
		return "end of file";
	case YYSYMBOL_NUMBER:
		return "a number";
	case YYSYMBOL_ADDRESS:
		return "an address";
	case YYSYMBOL_WORD:
		return "a word";
	default:
		break;
	}
	name = yysymbol_name(sym);
	/* bison may spell an alias with its double quotes: show 'udp', ';' */
	if (name[0] == '"') {
		size_t n = strlen(name);

		snprintf(buf, len, "'%.*s'", (int)(n > 2 ? n - 2 : 0), name + 1);
	} else {
		snprintf(buf, len, "'%s'", name);
	}
	return buf;
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
				 struct xlb_parse_ctx *ctx)
{
	yysymbol_kind_t expected[YYNTOKENS], look = yypcontext_token(yyctx);
	const YYLTYPE *loc = yypcontext_location(yyctx);
	struct strbuf sb = STRBUF_INIT;
	struct xlb_loc eof_at;
	char buf[64];
	int n, i, semicolon = 0;

	(void)scanner;
	n = yypcontext_expected_tokens(yyctx, expected, YYNTOKENS);
	for (i = 0; i < n; i++)
		if (expected[i] == YYSYMBOL_SEMICOLON)
			semicolon = 1;

	/* "drop src 1.1.1.1 <newline> drop ...": the ';' was forgotten. */
	if (semicolon && look != YYSYMBOL_YYEOF && ctx->prev_loc.last_line &&
	    loc->first_line > ctx->prev_loc.last_line &&
	    ctx->src->text[ctx->prev_loc.first_off] != ';') {
		struct xlb_loc at = ctx->prev_loc;

		at.first_line = at.last_line;
		at.first_column = at.last_column = at.last_column + 1;
		xlb_error(ctx->diags, &at, "missing ';' at the end of the statement");
		return 0;
	}

	/* The end of the file is reported just after the last token, wherever
	 * blank lines and comments put the real end. */
	if (look == YYSYMBOL_YYEOF && ctx->cur_loc.last_line) {
		eof_at = ctx->cur_loc;
		eof_at.first_line = eof_at.last_line;
		eof_at.first_column = eof_at.last_column = eof_at.last_column + 1;
		loc = &eof_at;
	}

	if (look == YYSYMBOL_WORD) {
		const char *hint = xlb_suggest_keyword(ctx->cur_text);

		strbuf_printf(&sb, "unknown word '%s'", ctx->cur_text);
		if (hint) {
			strbuf_printf(&sb, "; did you mean '%s'?", hint);
			goto out;
		}
	} else if (look == YYSYMBOL_NUMBER || look == YYSYMBOL_ADDRESS) {
		strbuf_printf(&sb, "unexpected %s '%s'",
			      look == YYSYMBOL_NUMBER ? "number" : "address",
			      ctx->cur_text);
	} else {
		strbuf_printf(&sb, "unexpected %s", token_desc(look, buf, sizeof(buf)));
	}
	/* a long list of alternatives helps nobody */
	if (n > 0 && n <= 5) {
		strbuf_puts(&sb, "; expected ");
		for (i = 0; i < n; i++) {
			if (i)
				strbuf_puts(&sb, i == n - 1 ? " or " : ", ");
			strbuf_puts(&sb, token_desc(expected[i], buf, sizeof(buf)));
		}
	}
out:
	xlb_error(ctx->diags, loc, "%s", sb.buf);
	strbuf_release(&sb);
	return 0;
}

int xlb_parse(const struct xlb_source *src, struct xlb_ruleset *rs,
	      struct xlb_diags *diags)
{
	struct xlb_parse_ctx ctx;
	unsigned int errors = diags->nerrors;
	yyscan_t scanner;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.src = src;
	ctx.diags = diags;
	ctx.rs = rs;
	ctx.line = 1;
	ctx.column = 1;
	if (src->len > INT32_MAX) {
		xlb_error(diags, NULL, "file too large");
		return -1;
	}
	if (yylex_init_extra(&ctx, &scanner)) {
		xlb_error(diags, NULL, "cannot start the scanner");
		return -1;
	}
	yy_scan_bytes(src->text, (int)src->len, scanner);
	rc = yyparse(scanner, &ctx);
	yylex_destroy(scanner);
	if (rc == 2)
		xlb_error(diags, NULL, "out of memory while parsing");
	return rc || diags->nerrors != errors ? -1 : 0;
}

/* Edit distance counting a swap of two neighbours as one edit (optimal
 * string alignment), for short words: 'tpc' is one edit from 'tcp'. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, v;
	size_t d[32][32];

	if (la >= 32 || lb >= 32)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *xlb_suggest_keyword(const char *word)
{
	size_t i, d, best_d = SIZE_MAX, len = strlen(word);
	const char *best = NULL;

	for (i = 0; xlb_keywords[i]; i++) {
		d = edit_distance(word, xlb_keywords[i]);
		if (d < best_d) {
			best_d = d;
			best = xlb_keywords[i];
		}
	}
	/* close enough: at most two edits, and at most half the word */
	return best && best_d <= 2 && best_d * 2 <= len ? best : NULL;
}
