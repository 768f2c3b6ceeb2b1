/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parser.y - the grammar of xlb rules files.
 *
 *   ruleset   := { statement ';' } [ statement ]
 *             |  { 'set' NAME '{' [ elements ] '}' }   (no ';' needed)
 *   statement := 'default' verdict | 'malformed' verdict | 'non-ip' verdict
 *             |  verdict { match }
 *             |  match { match } verdict
 *             |  match { match } '->' backend { ',' backend } [ selector ]
 *   match     := 'ip' | 'ip6' | 'udp' | 'tcp' | 'icmp' | 'icmpv6'
 *             |  [ 'not' ] test
 *   test      := key [ '!=' ] value
 *             |  'flags' [ '!=' ] WORD { ',' WORD } [ '/' WORD { ',' WORD } ]
 *   key       := 'src' | 'dst' | 'port' | 'src' 'port' | 'dst' 'port' | 'type'
 *   value     := element | '{' elements '}' | '@' NAME
 *   elements  := element { ',' element } [ ',' ]
 *   element   := ADDRESS [ '/' NUMBER ] | NUMBER [ '-' NUMBER ] | WORD
 *   backend   := target [ 'weight' NUMBER ]
 *   target    := NUMBER | ADDRESS [ ':' NUMBER ] | '[' ADDRESS ']' [ ':' NUMBER ]
 *   verdict   := 'drop' | 'pass'
 *   selector  := 'round-robin' | 'hash' [ 'src' ] | 'maglev'
 *
 * The grammar is loose where the checker can say more: any element may
 * follow any key, and check.c reports "'src' takes an address" with the
 * element's location.  Pure and reentrant; every value carries its
 * location.  Errors are queued in the diagnostics and parsing resumes after
 * the next ';', or at the next line that begins with a word that can begin
 * a statement (a verdict, a match keyword, 'set', 'default', 'malformed',
 * 'non-ip': the scanner puts a SYNC token in front of it), so one run
 * reports every broken statement.
 */
%code requires {
#include <stdint.h>
#include "source.h"
struct xlb_parse_ctx;
struct xlb_elem;
struct xlb_match;
struct xlb_rule;
struct xlb_backend;
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

/* A test: the key's match with its value (elements or a set). */
static struct xlb_match *test_new(enum xlb_match_kind kind, const YYLTYPE *loc,
				  bool ne, struct xlb_match *value)
{
	value->kind = kind;
	value->loc = *loc;
	value->neg = ne;
	return value;
}

/* The value of a test, as a match without a kind yet. */
static struct xlb_match *value_new(struct xlb_elem *elems, bool braced,
				   const YYLTYPE *loc)
{
	struct xlb_match *m = xlb_match_new(XLB_MATCH_SRC, loc);

	m->elems = elems;
	m->braced = braced;
	m->value_loc = *loc;
	return m;
}

static struct xlb_elem *elem_text(enum xlb_elem_kind kind, char *text,
				  const YYLTYPE *loc)
{
	struct xlb_elem *e = xlb_elem_new(kind, loc);

	e->text = text;
	return e;
}

/* Backends are built apart and moved into the rule's array. */
static struct xlb_backend *backend_new(const YYLTYPE *loc)
{
	struct xlb_backend *b = xcalloc(1, sizeof(*b));

	b->loc = *loc;
	return b;
}

static void backend_free(struct xlb_backend *b)
{
	if (b) {
		free(b->addr);
		free(b);
	}
}

static void add_backend(struct xlb_rule *r, struct xlb_backend *b)
{
	struct xlb_backend *to = xlb_rule_add_backend(r, &b->loc);

	*to = *b;
	free(b);
}

/* default, malformed, non-ip: what, at most once. */
static void set_policy(struct xlb_parse_ctx *ctx, const char *what,
		       enum xlb_verdict *v, bool *set, struct xlb_loc *at,
		       int verdict, const YYLTYPE *loc)
{
	if (*set) {
		xlb_error(ctx->diags, loc, "%s is given twice", what);
		xlb_note(ctx->diags, at, "first given here");
		return;
	}
	*v = (enum xlb_verdict)verdict;
	*set = true;
	*at = *loc;
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
	int flag;
	struct xlb_elem *elem;
	struct xlb_match *match;
	struct xlb_rule *rule;
	struct xlb_backend *backend;
}

%token <num> NUMBER "number"
%token <str> ADDRESS "address"
%token <str> WORD "word"
%token <str> SETREF "set reference"
%token ARROW "->" NE "!=" SEMICOLON ";" COMMA "," SLASH "/" DASH "-"
%token COLON ":" LBRACE "{" RBRACE "}" LBRACKET "[" RBRACKET "]"
%token IP "ip" IP6 "ip6" UDP "udp" TCP "tcp" ICMP "icmp" ICMPV6 "icmpv6"
%token SRC "src" DST "dst" PORT "port" TYPE "type" FLAGS "flags" NOT "not"
%token DROP "drop" PASS "pass" DEFAULT "default" SET "set" WEIGHT "weight"
%token ROUND_ROBIN "round-robin" HASH "hash" MAGLEV "maglev"
%token MALFORMED "malformed" NONIP "non-ip"
%token SYNC "the start of a statement" /* error recovery, see xlbc.h */

%type <verdict> verdict
%type <select> selector
%type <flag> ne
%type <elem> element elements words
%type <match> match matches matches1 test value braced
%type <rule> rule backends
%type <backend> backend target

%destructor { free($$); } <str>
%destructor { xlb_elem_free_list($$); } <elem>
%destructor { xlb_match_free_list($$); } <match>
%destructor { xlb_rule_free($$); } <rule>
%destructor { backend_free($$); } <backend>

%%

ruleset
	: statements
	| statements statement
	;

statements
	: %empty
	| statements statement ";"
	| statements ";"
	| statements error ";"		{ yyerrok; ctx->recovering = 0; }
	| statements error SYNC		{ yyerrok; ctx->recovering = 0; }
	| statements setdef
	;

/* A set ends at its '}'; a ';' after it is an empty statement. */
setdef
	: SET WORD braced
		{
			struct xlb_set *s = xlb_set_new();

			s->name = $2;
			s->loc = @$;
			s->name_loc = @2;
			s->elems = $3->elems;
			$3->elems = NULL;
			xlb_match_free_list($3);
			xlb_ruleset_add_set(ctx->rs, s);
		}
	;

statement
	: DEFAULT verdict
		{
			set_policy(ctx, "the default action", &ctx->rs->def,
				   &ctx->rs->def_set, &ctx->rs->def_loc, $2,
				   &@$);
		}
	| MALFORMED verdict
		{
			set_policy(ctx, "the malformed policy",
				   &ctx->rs->malformed, &ctx->rs->malformed_set,
				   &ctx->rs->malformed_loc, $2, &@$);
		}
	| NONIP verdict
		{
			set_policy(ctx, "the non-ip policy", &ctx->rs->nonip,
				   &ctx->rs->nonip_set, &ctx->rs->nonip_loc, $2,
				   &@$);
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

matches1
	: match			{ $$ = $1; }
	| matches1 match	{ $$ = xlb_match_append($1, $2); }
	;

match
	: IP		{ $$ = xlb_match_new(XLB_MATCH_FAMILY, &@$); $$->family = XLB_FAM_IP4; }
	| IP6		{ $$ = xlb_match_new(XLB_MATCH_FAMILY, &@$); $$->family = XLB_FAM_IP6; }
	| UDP		{ $$ = xlb_match_new(XLB_MATCH_PROTO, &@$); $$->proto = XLB_PROTO_UDP; }
	| TCP		{ $$ = xlb_match_new(XLB_MATCH_PROTO, &@$); $$->proto = XLB_PROTO_TCP; }
	| ICMP		{ $$ = xlb_match_new(XLB_MATCH_PROTO, &@$); $$->proto = XLB_PROTO_ICMP; }
	| ICMPV6	{ $$ = xlb_match_new(XLB_MATCH_PROTO, &@$); $$->proto = XLB_PROTO_ICMP6; }
	| test		{ $$ = $1; }
	| NOT test
		{
			$$ = $2;
			if ($$->neg) {
				xlb_error(ctx->diags, &@$,
					  "'not' and '!=' negate the same match twice");
			}
			$$->neg = true;
			$$->loc = @$;
		}
	;

test
	: SRC ne value		{ $$ = test_new(XLB_MATCH_SRC, &@$, $2, $3); }
	| DST ne value		{ $$ = test_new(XLB_MATCH_DST, &@$, $2, $3); }
	| PORT ne value		{ $$ = test_new(XLB_MATCH_DPORT, &@$, $2, $3); }
	| DST PORT ne value	{ $$ = test_new(XLB_MATCH_DPORT, &@$, $3, $4); }
	| SRC PORT ne value	{ $$ = test_new(XLB_MATCH_SPORT, &@$, $3, $4); }
	| TYPE ne value		{ $$ = test_new(XLB_MATCH_TYPE, &@$, $2, $3); }
	| FLAGS ne words
		{
			$$ = test_new(XLB_MATCH_FLAGS, &@$, $2,
				      value_new($3, false, &@3));
		}
	| FLAGS ne words "/" words
		{
			$$ = test_new(XLB_MATCH_FLAGS, &@$, $2,
				      value_new($3, false, &@3));
			$$->mask = $5;
			$$->mask_loc = @5;
		}
	;

ne
	: %empty	{ $$ = 0; }
	| NE		{ $$ = 1; }
	;

value
	: element	{ $$ = value_new($1, false, &@1); }
	| braced	{ $$ = $1; }
	| SETREF
		{
			$$ = value_new(elem_text(XLB_ELEM_SET, $1, &@1), false,
				       &@1);
		}
	;

braced
	: "{" "}"		{ $$ = value_new(NULL, true, &@$); }
	| "{" elements "}"	{ $$ = value_new($2, true, &@$); }
	| "{" elements "," "}"	{ $$ = value_new($2, true, &@$); }
	;

elements
	: element		{ $$ = $1; }
	| elements "," element	{ $$ = xlb_elem_append($1, $3); }
	;

element
	: ADDRESS	{ $$ = elem_text(XLB_ELEM_ADDR, $1, &@1); }
	| ADDRESS "/" NUMBER
		{
			$$ = elem_text(XLB_ELEM_ADDR, $1, &@$);
			$$->text_loc = @1;
			$$->has_plen = true;
			$$->plen = $3;
			$$->plen_loc = @3;
		}
	| NUMBER
		{
			$$ = xlb_elem_new(XLB_ELEM_NUM, &@$);
			$$->lo = $$->hi = $1;
		}
	| NUMBER "-" NUMBER
		{
			$$ = xlb_elem_new(XLB_ELEM_NUM, &@$);
			$$->text_loc = @1;
			$$->lo = $1;
			$$->hi = $3;
			$$->is_range = true;
			$$->hi_loc = @3;
		}
	| WORD		{ $$ = elem_text(XLB_ELEM_NAME, $1, &@1); }
	;

words
	: WORD			{ $$ = elem_text(XLB_ELEM_NAME, $1, &@1); }
	| words "," WORD	{ $$ = xlb_elem_append($1, elem_text(XLB_ELEM_NAME, $3, &@3)); }
	;

backends
	: backend
		{
			$$ = xlb_rule_new();
			add_backend($$, $1);
		}
	| backends "," backend
		{
			$$ = $1;
			add_backend($$, $3);
		}
	;

backend
	: target
	| target WEIGHT NUMBER
		{
			$$ = $1;
			$$->loc = @$;
			$$->has_weight = true;
			$$->weight = $3;
			$$->weight_loc = @3;
		}
	;

target
	: NUMBER
		{
			$$ = backend_new(&@$);
			$$->has_port = true;
			$$->port = $1;
			$$->port_loc = @1;
		}
	| ADDRESS
		{
			$$ = backend_new(&@$);
			$$->addr = $1;
			$$->addr_loc = @1;
		}
	| ADDRESS ":" NUMBER
		{
			$$ = backend_new(&@$);
			$$->addr = $1;
			$$->addr_loc = @1;
			$$->has_port = true;
			$$->port = $3;
			$$->port_loc = @3;
		}
	| "[" ADDRESS "]"
		{
			$$ = backend_new(&@$);
			$$->addr = $2;
			$$->addr_loc = @2;
			$$->bracketed = true;
		}
	| "[" ADDRESS "]" ":" NUMBER
		{
			$$ = backend_new(&@$);
			$$->addr = $2;
			$$->addr_loc = @2;
			$$->bracketed = true;
			$$->has_port = true;
			$$->port = $5;
			$$->port_loc = @5;
		}
	;

selector
	: %empty	{ $$ = XLB_SELECT_DEFAULT; }
	| ROUND_ROBIN	{ $$ = XLB_SELECT_RR; }
	| HASH		{ $$ = XLB_SELECT_HASH; }
	| HASH SRC	{ $$ = XLB_SELECT_HASH_SRC; }
	| MAGLEV	{ $$ = XLB_SELECT_MAGLEV; }
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
	case YYSYMBOL_SETREF:
		return "a set reference";
	case YYSYMBOL_YYUNDEF:
		return "a value";
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

/* Where any value may come (an address, a number, a word, a list or a
 * set), say "a value" once instead of naming each start; YYSYMBOL_YYUNDEF
 * stands for it in the list. */
static int group_values(yysymbol_kind_t *expected, int n)
{
	static const yysymbol_kind_t value[] = {
		YYSYMBOL_NUMBER, YYSYMBOL_ADDRESS, YYSYMBOL_WORD,
		YYSYMBOL_LBRACE, YYSYMBOL_SETREF,
	};
	int i, j, k, found = 0;

	for (j = 0; j < (int)(sizeof(value) / sizeof(value[0])); j++)
		for (i = 0; i < n; i++)
			if (expected[i] == value[j])
				found++;
	if (found != (int)(sizeof(value) / sizeof(value[0])))
		return n;
	for (i = k = 0; i < n; i++) {
		for (j = 0; j < (int)(sizeof(value) / sizeof(value[0])); j++)
			if (expected[i] == value[j])
				break;
		if (j == (int)(sizeof(value) / sizeof(value[0])))
			expected[k++] = expected[i];
	}
	expected[k++] = YYSYMBOL_YYUNDEF;
	return k;
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
				 struct xlb_parse_ctx *ctx)
{
	yysymbol_kind_t expected[YYNTOKENS], look = yypcontext_token(yyctx);
	const YYLTYPE *loc = yypcontext_location(yyctx);
	struct strbuf sb = STRBUF_INIT;
	struct xlb_loc eof_at;
	char buf[64];
	int n, i, semicolon = 0, brace = 0;

	(void)scanner;
	xlb_resync_here(ctx);
	n = yypcontext_expected_tokens(yyctx, expected, YYNTOKENS);
	for (i = 0; i < n; i++) {
		if (expected[i] == YYSYMBOL_SEMICOLON)
			semicolon = 1;
		if (expected[i] == YYSYMBOL_RBRACE)
			brace = 1;
	}
	n = group_values(expected, n);

	/* "drop src 1.1.1.1 <newline> drop ...": the ';' was forgotten;
	 * "set web { 80, 443 <newline> drop ...": the '}' */
	if ((semicolon || (brace && ctx->cur_starts)) &&
	    look != YYSYMBOL_YYEOF && ctx->prev_loc.last_line &&
	    loc->first_line > ctx->prev_loc.last_line &&
	    ctx->src->text[ctx->prev_loc.first_off] != ';') {
		struct xlb_loc at = ctx->prev_loc;

		at.first_line = at.last_line;
		at.first_column = at.last_column = at.last_column + 1;
		xlb_error(ctx->diags, &at, semicolon
				  ? "missing ';' at the end of the statement"
				  : "missing '}' at the end of the list");
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
	} else if (look == YYSYMBOL_SETREF) {
		strbuf_printf(&sb, "unexpected set reference '%s'", ctx->cur_text);
		if (ctx->in_braces) {
			strbuf_puts(&sb, "; a list in '{ }' cannot hold a set: "
					 "put its elements in a set of their own");
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
	return xlb_suggest_word(word, xlb_keywords);
}

const char *xlb_suggest_word(const char *word, const char *const *words)
{
	size_t i, d, best_d = SIZE_MAX, len = strlen(word);
	const char *best = NULL;

	for (i = 0; words[i]; i++) {
		d = edit_distance(word, words[i]);
		if (d < best_d) {
			best_d = d;
			best = words[i];
		}
	}
	/* close enough: at most two edits, and at most half the word */
	return best && best_d <= 2 && best_d * 2 <= len ? best : NULL;
}
