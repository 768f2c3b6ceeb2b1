// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * yaml.c - the YAML front end (files ending in .yaml or .yml).
 *
 *   sets:                      mapping NAME -> list of elements
 *   rules:                     list of mappings, one per rule
 *     - action: drop           drop | pass
 *       proto: tcp             family, proto, src, dst, sport, dport
 *       dport: [23, 2323]      (alias port), type, flags: the matches,
 *       backends: [9876]       in the order written; backends (and
 *       select: maglev         select) make a rewrite rule
 *   default: drop
 *   malformed: drop            the two policies, as in the text syntax
 *   non-ip: pass
 *
 * libyaml's event stream is first built into a small tree of nodes that
 * keep their source location; the tree is then walked into exactly the
 * rule tree that parser.y builds for the equivalent text, so that the
 * checker, the code generator and the printer see no difference.  Scalars
 * such as "192.0.2.0/24", "6000-6063", "syn / syn,ack" or
 * "10.0.0.2:8080 weight 3" are split here with a scanner that follows the
 * token shapes of lexer.l.
 *
 * Errors are queued like the text parser's: a YAML syntax error ends the
 * parse (libyaml cannot resume after one), but everything else (unknown
 * keys, wrong kinds of node, bad values) is reported for every rule, and a
 * rule with such an error is left out of the tree, as parser.y leaves out
 * a statement that does not parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "xlbc.h"

/* Deeper nesting than any rules file needs is refused, which also keeps
 * the recursive walks below shallow. */
#define YAML_MAX_DEPTH 32

enum ynode_kind {
	YN_SCALAR,
	YN_SEQ,
	YN_MAP,
	YN_ALIAS, /* *name: reported when read, skipped by the walk */
};

struct ynode {
	enum ynode_kind kind;
	struct xlb_loc loc;
	/* YN_SCALAR */
	char *text;
	size_t len;
	bool null;  /* a plain empty scalar, '~' or 'null' */
	bool nul;   /* holds a NUL byte ("\0"): no keyword, no name */
	bool exact; /* text is the source bytes from text_off on */
	size_t text_off;
	/* YN_SEQ: items; YN_MAP: key, value, key, value, ... */
	struct ynode **kids;
	size_t n;
	size_t cap;
	bool block; /* block style (its end is its last item's end) */
};

struct yctx {
	const struct xlb_source *src;
	struct xlb_diags *diags;
	struct xlb_ruleset *rs;
	size_t skip; /* bytes of a UTF-8 byte order mark, not shown to libyaml */
	/* libyaml counts characters; a cursor maps them to bytes */
	size_t cur_char;
	size_t cur_byte;
};

/* --- locations ---------------------------------------------------- */

/* The byte offset of character index idx (after the byte order mark). */
static size_t char_to_byte(struct yctx *c, size_t idx)
{
	const unsigned char *t = (const unsigned char *)c->src->text;
	size_t len = c->src->len;

	if (idx < c->cur_char) {
		c->cur_char = 0;
		c->cur_byte = c->skip;
	}
	while (c->cur_char < idx && c->cur_byte < len) {
		unsigned char b = t[c->cur_byte];
		size_t w = 1;

		if ((b & 0xe0) == 0xc0)
			w = 2;
		else if ((b & 0xf0) == 0xe0)
			w = 3;
		else if ((b & 0xf8) == 0xf0)
			w = 4;
		c->cur_byte += w;
		c->cur_char++;
	}
	return c->cur_byte < len ? c->cur_byte : len;
}

/* The location of the bytes [first, last). */
static struct xlb_loc span(const struct yctx *c, size_t first, size_t last)
{
	struct xlb_loc l;

	if (last < first)
		last = first;
	l.first_off = first;
	l.last_off = last;
	xlb_source_pos(c->src, first, &l.first_line, &l.first_column);
	xlb_source_pos(c->src, last > first ? last - 1 : first, &l.last_line,
		 &l.last_column);
	return l;
}

static struct xlb_loc mark_span(struct yctx *c, const yaml_mark_t *a,
				const yaml_mark_t *b)
{
	size_t first = char_to_byte(c, a->index);

	return span(c, first, char_to_byte(c, b->index));
}

/* From the start of a to the end of b. */
static struct xlb_loc loc_join(const struct xlb_loc *a, const struct xlb_loc *b)
{
	struct xlb_loc l = *a;

	l.last_line = b->last_line;
	l.last_column = b->last_column;
	l.last_off = b->last_off;
	return l;
}

/* The location of the bytes [a, b) of a scalar's text: exact when the
 * scalar is written as is, else the whole scalar. */
static struct xlb_loc sub_loc(const struct yctx *c, const struct ynode *n,
			      size_t a, size_t b)
{
	if (!n->exact)
		return n->loc;
	return span(c, n->text_off + a, n->text_off + b);
}

/* --- the node tree ------------------------------------------------ */

static struct ynode *ynode_new(enum ynode_kind kind, const struct xlb_loc *loc)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->loc = *loc;
	return n;
}

static void ynode_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

static void ynode_add(struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? 2 * parent->cap : 4;
		parent->kids = xrealloc(parent->kids,
					parent->cap * sizeof(*parent->kids));
	}
	parent->kids[parent->n++] = kid;
}

static struct ynode *scalar_new(struct yctx *c, const yaml_event_t *ev)
{
	struct xlb_loc loc = mark_span(c, &ev->start_mark, &ev->end_mark);
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length, off = loc.first_off;
	yaml_scalar_style_t style = ev->data.scalar.style;
	struct ynode *n = ynode_new(YN_SCALAR, &loc);

	n->text = xstrndup(v, len);
	n->len = len;
	n->nul = memchr(v, '\0', len) != NULL;
	if (style == YAML_PLAIN_SCALAR_STYLE)
		n->null = len == 0 || !strcmp(n->text, "~") ||
			  !strcmp(n->text, "null") ||
			  !strcmp(n->text, "Null") || !strcmp(n->text, "NULL");
	if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		off++;
	if (style != YAML_LITERAL_SCALAR_STYLE &&
	    style != YAML_FOLDED_SCALAR_STYLE && off + len <= c->src->len &&
	    !memcmp(c->src->text + off, v, len) && !memchr(v, '\n', len)) {
		n->exact = true;
		n->text_off = off;
	}
	return n;
}

/* libyaml's error, in the project's format. */
static void yaml_problem(struct yctx *c, const yaml_parser_t *p)
{
	struct xlb_loc loc, ctx_loc;
	size_t off, ctx_off;

	switch (p->error) {
	case YAML_READER_ERROR:
		off = p->problem_offset + c->skip;
		loc = span(c, off, off < c->src->len ? off + 1 : off);
		if (p->problem_value >= 0)
			xlb_error(c->diags, &loc,
				  "invalid YAML: %s (byte 0x%02x)", p->problem,
				  (unsigned int)p->problem_value);
		else
			xlb_error(c->diags, &loc, "invalid YAML: %s",
				  p->problem);
		break;
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		off = char_to_byte(c, p->problem_mark.index);
		/* the end of the file: just after the last line, as parser.y
		 * reports it, not on the empty line after the last newline */
		if (off == c->src->len && off > c->skip &&
		    c->src->text[off - 1] == '\n') {
			off--;
			if (off > c->skip && c->src->text[off - 1] == '\r')
				off--;
		}
		loc = span(c, off, off);
		xlb_error(c->diags, &loc, "invalid YAML: %s",
			  p->problem ? p->problem : "syntax error");
		/* src: @blocked */
		if (off < c->src->len && c->src->text[off] == '@')
			xlb_note(c->diags, &loc,
				 "'@' cannot start a plain YAML scalar: quote "
				 "a set reference, as in \"@name\"");
		/* "while parsing a block mapping": where it starts, unless
		 * that is where the problem is */
		ctx_off = char_to_byte(c, p->context_mark.index);
		if (p->context && ctx_off != off) {
			ctx_loc = span(c, ctx_off, ctx_off);
			xlb_note(c->diags, &ctx_loc, "%s that starts here",
				 p->context);
		}
		break;
	case YAML_MEMORY_ERROR:
		xlb_error(c->diags, NULL, "out of memory while reading YAML");
		break;
	default:
		xlb_error(c->diags, NULL, "cannot read YAML: %s",
			  p->problem ? p->problem : "unknown error");
		break;
	}
}

/* Build the tree of the (single) document: *root is NULL for an empty
 * stream.  0, or -1 after reporting an error (the tree is then freed). */
static int build_tree(struct yctx *c, struct ynode **root)
{
	struct ynode *stack[YAML_MAX_DEPTH], *n;
	const char *text = c->src->text + c->skip;
	size_t len = c->src->len - c->skip;
	unsigned int ndocs = 0;
	yaml_parser_t p;
	yaml_event_t ev;
	struct xlb_loc loc;
	int depth = 0, ret = -1;
	bool done = false;

	*root = NULL;
	if (!yaml_parser_initialize(&p)) {
		xlb_error(c->diags, NULL, "cannot start the YAML parser");
		return -1;
	}
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);

	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_problem(c, &p);
			goto out;
		}
		n = NULL;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				loc = mark_span(c, &ev.start_mark,
						&ev.end_mark);
				xlb_error(
					c->diags, &loc,
					"a rules file holds one YAML document; "
					"this is a second one");
				yaml_event_delete(&ev);
				goto out;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_ALIAS_EVENT:
			loc = mark_span(c, &ev.start_mark, &ev.end_mark);
			xlb_error(c->diags, &loc,
				  "YAML aliases are not supported; name a set "
				  "under 'sets' to share elements");
			n = ynode_new(YN_ALIAS, &loc);
			break;
		case YAML_SCALAR_EVENT:
			n = scalar_new(c, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			loc = mark_span(c, &ev.start_mark, &ev.end_mark);
			n = ynode_new(ev.type == YAML_MAPPING_START_EVENT
					      ? YN_MAP
					      : YN_SEQ,
				      &loc);
			n->block = ev.type == YAML_MAPPING_START_EVENT
					   ? ev.data.mapping_start.style ==
						     YAML_BLOCK_MAPPING_STYLE
					   : ev.data.sequence_start.style ==
						     YAML_BLOCK_SEQUENCE_STYLE;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			struct ynode *top = stack[--depth];

			if (top->block && top->n) {
				top->loc = loc_join(
					&top->loc, &top->kids[top->n - 1]->loc);
			} else if (!top->block) {
				loc = mark_span(c, &ev.start_mark,
						&ev.end_mark);
				top->loc = loc_join(&top->loc, &loc);
			}
			break;
		}
		default:
			break;
		}
		if (n) {
			if (depth)
				ynode_add(stack[depth - 1], n);
			else
				*root = n;
			if (n->kind == YN_SEQ || n->kind == YN_MAP) {
				if (depth == YAML_MAX_DEPTH) {
					xlb_error(
						c->diags, &n->loc,
						"YAML nested more than %d deep",
						YAML_MAX_DEPTH);
					yaml_event_delete(&ev);
					goto out;
				}
				stack[depth++] = n;
			}
		}
		yaml_event_delete(&ev);
	}
	ret = 0;
out:
	yaml_parser_delete(&p);
	if (ret) {
		ynode_free(*root);
		*root = NULL;
	}
	return ret;
}

/* --- words and hints ---------------------------------------------- */

/* "a, b or c" */
static void put_choices(struct strbuf *sb, const char *const *list)
{
	size_t i, n = 0;

	while (list[n])
		n++;
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_puts(sb, i == n - 1 ? " or " : ", ");
		strbuf_puts(sb, list[i]);
	}
}

/* "unknown WHAT 'x'; did you mean 'y'?" or "...; expected a, b or c" */
static void unknown(struct yctx *c, const struct ynode *n, const char *what,
		    const char *word, const char *const *list)
{
	struct strbuf sb = STRBUF_INIT;
	const char *hint = n->nul ? NULL : xlb_suggest_word(word, list);

	if (n->nul)
		strbuf_printf(&sb, "unknown %s: it holds a NUL byte", what);
	else
		strbuf_printf(&sb, "unknown %s '%s'", what, word);
	if (hint) {
		strbuf_printf(&sb, "; did you mean '%s'?", hint);
	} else {
		strbuf_puts(&sb, "; expected ");
		put_choices(&sb, list);
	}
	xlb_error(c->diags, &n->loc, "%s", sb.buf);
	strbuf_release(&sb);
}

static const char *kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case YN_SCALAR:
		return n->null ? "an empty value" : "a scalar";
	case YN_SEQ:
		return "a list";
	case YN_MAP:
		return "a mapping";
	case YN_ALIAS:
		break;
	}
	return "an alias";
}

/* n is of kind want, or an error is reported (aliases were reported
 * already) and false returned.  what: "'src'", "a rule"... */
static bool want(struct yctx *c, const struct ynode *n, enum ynode_kind kind,
		 const char *what, const char *form)
{
	if (n->kind == kind && !(kind == YN_SCALAR && n->null))
		return true;
	if (n->kind != YN_ALIAS)
		xlb_error(c->diags, &n->loc, "%s must be %s, not %s", what,
			  form, kind_name(n));
	return false;
}

/* A mapping's keys are scalars and none is given twice.  Returns false
 * (after reporting) for pair i when it is to be skipped. */
static bool key_ok(struct yctx *c, const struct ynode *map, size_t i)
{
	const struct ynode *k = map->kids[i];
	size_t j;

	if (k->kind == YN_ALIAS)
		return false;
	if (k->kind != YN_SCALAR) {
		xlb_error(c->diags, &k->loc, "a key must be a scalar, not %s",
			  kind_name(k));
		return false;
	}
	for (j = 0; j < i; j += 2) {
		const struct ynode *o = map->kids[j];

		if (o->kind == YN_SCALAR && o->len == k->len &&
		    !memcmp(o->text, k->text, k->len)) {
			xlb_error(c->diags, &k->loc, "'%s' is given twice",
				  k->text);
			xlb_note(c->diags, &o->loc, "first given here");
			return false;
		}
	}
	return true;
}

/* --- scanning a scalar: the token shapes of lexer.l --------------- */

enum tok_kind {
	T_END,
	T_NUMBER,
	T_ADDRESS,
	T_WORD,
	T_SETREF,
	T_PUNCT, /* one of , / - : [ ] */
	T_BAD,	 /* a character that starts no token */
};

struct tok {
	enum tok_kind kind;
	size_t a, b; /* bytes [a, b) of the scalar */
	uint64_t num;
};

struct scan {
	struct yctx *c;
	const struct ynode *n;
	size_t pos;
	size_t prev_b; /* the end of the token before t */
	struct tok t;  /* the current token */
};

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_hex(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

static bool is_word_start(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_';
}

static bool is_word_char(char ch)
{
	return is_word_start(ch) || is_digit(ch);
}

/* [A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*: the end of a word at i. */
static size_t word_end(const char *s, size_t len, size_t i)
{
	if (i >= len || !is_word_start(s[i]))
		return i;
	for (i++; i < len && is_word_char(s[i]); i++)
		;
	while (i + 1 < len && s[i] == '-' && is_word_char(s[i + 1]))
		for (i++; i < len && is_word_char(s[i]); i++)
			;
	return i;
}

/* {digit}+("."{digit}+)+: the end, or i if none. */
static size_t ipv4ish_end(const char *s, size_t len, size_t i)
{
	size_t j = i, dots = 0;

	while (j < len && is_digit(s[j]))
		j++;
	if (j == i)
		return i;
	while (j + 1 < len && s[j] == '.' && is_digit(s[j + 1])) {
		for (j++; j < len && is_digit(s[j]); j++)
			;
		dots++;
	}
	return dots ? j : i;
}

/* ({hex}*":"){2,}({hex}+|{ipv4ish})?: the end, or i if none. */
static size_t ipv6ish_end(const char *s, size_t len, size_t i)
{
	size_t q = i, r, groups = 0, h, v;

	for (;;) {
		for (r = q; r < len && is_hex(s[r]); r++)
			;
		if (r < len && s[r] == ':') {
			q = r + 1;
			groups++;
		} else {
			break;
		}
	}
	if (groups < 2)
		return i;
	for (h = q; h < len && is_hex(s[h]); h++)
		;
	v = ipv4ish_end(s, len, q);
	return h > v ? h : v;
}

static uint64_t number_value(const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

static void next(struct scan *s)
{
	const char *t = s->n->text;
	size_t len = s->n->len, i = s->pos, e, num, addr, word;

	s->prev_b = s->t.b;

	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' ||
			   t[i] == '\r' || t[i] == '\f' || t[i] == '\v'))
		i++;
	s->t.a = i;
	s->t.num = 0;
	if (i == len) {
		s->t.kind = T_END;
		s->t.b = s->pos = i;
		return;
	}
	/* the longest match; on a tie the earlier rule of lexer.l */
	for (num = i; num < len && is_digit(t[num]); num++)
		;
	addr = ipv4ish_end(t, len, i);
	e = ipv6ish_end(t, len, i);
	if (e > addr)
		addr = e;
	word = word_end(t, len, i);
	if (t[i] == '@' && (e = word_end(t, len, i + 1)) > i + 1) {
		s->t.kind = T_SETREF;
	} else if (t[i] && strchr(",/-:[]", t[i]) && addr <= i + 1) {
		s->t.kind = T_PUNCT; /* "::1" is an address, not a ':' */
		e = i + 1;
	} else if (num > i && num >= addr) {
		s->t.kind = T_NUMBER;
		e = num;
		s->t.num = number_value(t + i, num - i);
	} else if (addr > i && addr >= word) {
		s->t.kind = T_ADDRESS;
		e = addr;
	} else if (word > i) {
		s->t.kind = T_WORD;
		e = word;
	} else {
		s->t.kind = T_BAD;
		e = i + 1;
	}
	s->t.b = s->pos = e;
}

static void scan_init(struct scan *s, struct yctx *c, const struct ynode *n)
{
	s->c = c;
	s->n = n;
	s->pos = 0;
	s->t.b = 0;
	next(s);
}

static bool is_punct(const struct scan *s, char ch)
{
	return s->t.kind == T_PUNCT && s->n->text[s->t.a] == ch;
}

static bool is_word(const struct scan *s, const char *w)
{
	return s->t.kind == T_WORD && s->t.b - s->t.a == strlen(w) &&
	       !memcmp(s->n->text + s->t.a, w, s->t.b - s->t.a);
}

static struct xlb_loc tok_loc(const struct scan *s)
{
	return sub_loc(s->c, s->n, s->t.a, s->t.b);
}

static char *tok_text(const struct scan *s)
{
	return xstrndup(s->n->text + s->t.a, s->t.b - s->t.a);
}

/* An error at the current token: "unexpected number '2'; expected ...". */
static void unexpected(struct scan *s, const char *expected)
{
	struct xlb_loc loc = tok_loc(s);
	const char *what;
	int n = (int)(s->t.b - s->t.a);
	const char *t = s->n->text + s->t.a;

	switch (s->t.kind) {
	case T_END:
		loc = sub_loc(s->c, s->n, s->n->len, s->n->len);
		xlb_error(s->c->diags, &loc, "'%s' ends early; expected %s",
			  s->n->text, expected);
		return;
	case T_BAD: {
		unsigned char ch = (unsigned char)*t;

		if (ch >= 0x20 && ch < 0x7f)
			xlb_error(s->c->diags, &loc, "invalid character '%c'",
				  ch);
		else
			xlb_error(s->c->diags, &loc,
				  "invalid byte 0x%02x in a value", ch);
		return;
	}
	case T_NUMBER:
		what = "number";
		break;
	case T_ADDRESS:
		what = "address";
		break;
	case T_WORD:
		what = "word";
		break;
	case T_SETREF:
		what = "set reference";
		break;
	default:
		what = NULL;
		break;
	}
	if (what)
		xlb_error(s->c->diags, &loc,
			  "unexpected %s '%.*s'; expected %s", what, n, t,
			  expected);
	else
		xlb_error(s->c->diags, &loc, "unexpected '%.*s'; expected %s",
			  n, t, expected);
}

/* One element, from a scalar that holds nothing else:
 * ADDRESS ['/' NUMBER] | NUMBER ['-' NUMBER] | WORD | '@' NAME.
 * setref: what to say of a set reference ("" when one is allowed). */
static struct xlb_elem *parse_element(struct yctx *c, const struct ynode *n,
				      const char *setref)
{
	struct xlb_elem *e = NULL;
	struct xlb_loc loc, first;
	struct scan s;
	size_t a;

	if (n->kind != YN_SCALAR)
		return NULL;
	scan_init(&s, c, n);
	a = s.t.a;
	first = tok_loc(&s);
	switch (s.t.kind) {
	case T_SETREF:
		if (*setref) {
			xlb_error(c->diags, &first, "%s", setref);
			return NULL;
		}
		e = xlb_elem_new(XLB_ELEM_SET, &first);
		e->text = xstrndup(n->text + s.t.a + 1, s.t.b - s.t.a - 1);
		next(&s);
		break;
	case T_ADDRESS:
		e = xlb_elem_new(XLB_ELEM_ADDR, &first);
		e->text = tok_text(&s);
		next(&s);
		if (is_punct(&s, '/')) {
			next(&s);
			if (s.t.kind != T_NUMBER) {
				unexpected(&s, "a prefix length after '/'");
				goto fail;
			}
			e->has_plen = true;
			e->plen = s.t.num;
			e->plen_loc = tok_loc(&s);
			e->loc = sub_loc(c, n, a, s.t.b);
			next(&s);
		}
		break;
	case T_NUMBER:
		e = xlb_elem_new(XLB_ELEM_NUM, &first);
		e->lo = e->hi = s.t.num;
		next(&s);
		if (is_punct(&s, '-')) {
			next(&s);
			if (s.t.kind != T_NUMBER) {
				unexpected(&s,
					   "the end of the range after '-'");
				goto fail;
			}
			e->is_range = true;
			e->hi = s.t.num;
			e->hi_loc = tok_loc(&s);
			e->loc = sub_loc(c, n, a, s.t.b);
			next(&s);
		}
		break;
	case T_WORD:
		e = xlb_elem_new(XLB_ELEM_NAME, &first);
		e->text = tok_text(&s);
		next(&s);
		break;
	case T_END:
		loc = n->loc;
		xlb_error(c->diags, &loc, "empty value");
		return NULL;
	default:
		unexpected(&s, "an address, a number or a name");
		return NULL;
	}
	if (s.t.kind != T_END) {
		/* "80, 443" or "1.1.1.1 2.2.2.2", not "99x" */
		if (is_punct(&s, ',') ||
		    (s.t.a > s.prev_b && s.t.kind != T_BAD &&
		     s.t.kind != T_PUNCT)) {
			loc = tok_loc(&s);
			xlb_error(c->diags, &loc,
				  "'%s' is more than one element; write a "
				  "list as [a, b]",
				  n->text);
		} else {
			unexpected(&s, "the end of the value");
		}
		goto fail;
	}
	return e;
fail:
	xlb_elem_free_list(e);
	return NULL;
}

/* WORD { ',' WORD }, for flags. */
static struct xlb_elem *parse_words(struct scan *s, struct xlb_loc *loc)
{
	struct xlb_elem *head = NULL, **tail = &head, *e;
	size_t a = s->t.a;

	for (;;) {
		if (s->t.kind != T_WORD) {
			unexpected(s, "a TCP flag name");
			xlb_elem_free_list(head);
			return NULL;
		}
		*loc = tok_loc(s);
		e = xlb_elem_new(XLB_ELEM_NAME, loc);
		e->text = tok_text(s);
		*tail = e;
		tail = &e->next;
		*loc = sub_loc(s->c, s->n, a, s->t.b);
		next(s);
		if (!is_punct(s, ','))
			return head;
		next(s);
	}
}

/* --- rules -------------------------------------------------------- */

static const char *const top_keys[] = { "sets",      "rules",  "default",
					 "malformed", "non-ip", NULL };
static const char *const rule_keys[] = {
	"family", "proto", "src",    "dst",	 "sport",  "dport", "port",
	"type",	  "flags", "action", "backends", "select", NULL,
};
static const char *const backend_keys[] = { "addr", "port", "weight", NULL };
static const char *const not_key[] = { "not", NULL };
static const char *const verdicts[] = { "drop", "pass", NULL };
static const char *const families[] = { "ip", "ip6", NULL };
static const char *const protos[] = { "udp", "tcp", "icmp", "icmpv6", NULL };
static const char *const selectors[] = { "round-robin", "hash", "hash src",
					 "maglev", NULL };

static int lookup_word(const char *word, const char *const *list)
{
	int i;

	for (i = 0; list[i]; i++)
		if (!strcmp(word, list[i]))
			return i;
	return -1;
}

/* The index of scalar n in list, or -1. */
static int lookup(const struct ynode *n, const char *const *list)
{
	if (n->kind != YN_SCALAR || n->nul)
		return -1;
	return lookup_word(n->text, list);
}

/* "'key'" for messages (one at a time: the buffer is static). */
static const char *what_key(const char *key)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "'%s'", key);
	return buf;
}

/* A scalar that is one of list (index), else -1 after reporting.  Blanks
 * inside are folded ("hash  src"). */
static int one_of(struct yctx *c, const struct ynode *key,
		  const struct ynode *v, const char *what,
		  const char *const *list)
{
	struct strbuf sb = STRBUF_INIT, form = STRBUF_INIT;
	const char *p;
	bool blank = false;
	int i;

	put_choices(&form, list);
	if (!want(c, v, YN_SCALAR, what_key(key->text), form.buf)) {
		strbuf_release(&form);
		return -1;
	}
	strbuf_release(&form);
	for (p = v->text; *p; p++) {
		if (*p == ' ' || *p == '\t') {
			blank = true;
			continue;
		}
		if (blank && sb.len)
			strbuf_putc(&sb, ' ');
		blank = false;
		strbuf_putc(&sb, *p);
	}
	i = v->nul ? -1 : lookup_word(sb.buf ? sb.buf : "", list);
	if (i < 0)
		unknown(c, v, what, sb.buf ? sb.buf : "", list);
	strbuf_release(&sb);
	return i;
}

/* The elements of a list of scalars into *elems (which may hold some
 * after an error); false after reporting. */
static bool parse_list(struct yctx *c, const struct ynode *list,
		       struct xlb_elem **elems, const char *setref)
{
	struct xlb_elem *e, **tail = elems;
	bool good = true;
	size_t i;

	for (i = 0; i < list->n; i++) {
		if (!want(c, list->kids[i], YN_SCALAR, "a list item",
			  "an element")) {
			good = false;
			continue;
		}
		e = parse_element(c, list->kids[i], setref);
		if (!e) {
			good = false;
			continue;
		}
		*tail = e;
		tail = &e->next;
	}
	return good;
}

/* {not: VALUE} sets m->neg and gives VALUE; any other node is given back
 * as it is; NULL after reporting. */
static const struct ynode *unwrap_not(struct yctx *c, const struct ynode *v,
				      struct xlb_match *m)
{
	if (v->kind != YN_MAP)
		return v;
	if (v->n != 2 || lookup(v->kids[0], not_key) != 0) {
		xlb_error(c->diags, &v->loc,
			  "a mapping as a value is {not: VALUE}, with no other "
			  "key");
		return NULL;
	}
	v = v->kids[1];
	if (v->kind == YN_MAP && v->n == 2 &&
	    lookup(v->kids[0], not_key) == 0) {
		xlb_error(c->diags, &v->loc,
			  "'not' negates the same match twice");
		return NULL;
	}
	m->neg = true;
	return v;
}

/* The value of a test: a scalar, a list of scalars, or {not: VALUE}.
 * Fills m->elems, braced, neg and value_loc; false after reporting. */
static bool parse_value(struct yctx *c, const struct ynode *key,
			const struct ynode *v, struct xlb_match *m)
{
	v = unwrap_not(c, v, m);
	if (!v)
		return false;
	m->value_loc = v->loc;
	if (v->kind == YN_SCALAR && !v->null) {
		m->elems = parse_element(c, v, "");
		return m->elems != NULL;
	}
	if (!want(c, v, YN_SEQ, what_key(key->text),
		  "an element, a list of them or {not: VALUE}"))
		return false;
	m->braced = true; /* [] too: check says it matches nothing */
	return parse_list(c, v, &m->elems,
			  "a set reference stands alone, not in a list: "
			  "write \"@name\"");
}

/* flags: "A,B" or "A,B / C,D", or {not: ...}. */
static bool parse_flags(struct yctx *c, const struct ynode *v,
			struct xlb_match *m)
{
	struct scan s;

	v = unwrap_not(c, v, m);
	if (!v)
		return false;
	if (!want(c, v, YN_SCALAR, "'flags'",
		  "a scalar such as 'syn' or 'syn / syn,ack'"))
		return false;
	scan_init(&s, c, v);
	m->elems = parse_words(&s, &m->value_loc);
	if (!m->elems)
		return false;
	if (is_punct(&s, '/')) {
		next(&s);
		m->mask = parse_words(&s, &m->mask_loc);
		if (!m->mask)
			return false;
	}
	if (s.t.kind != T_END) {
		unexpected(&s, is_punct(&s, '/') || m->mask
				       ? "',' or the end of the flags"
				       : "',', '/' or the end of the flags");
		return false;
	}
	return true;
}

/* target [weight NUMBER], in text syntax, added to r. */
static bool parse_backend_text(struct yctx *c, struct scan *s,
			       struct xlb_rule *r)
{
	struct xlb_backend b;
	size_t a = s->t.a;

	memset(&b, 0, sizeof(b));
	switch (s->t.kind) {
	case T_NUMBER:
		b.has_port = true;
		b.port = s->t.num;
		b.port_loc = tok_loc(s);
		next(s);
		break;
	case T_ADDRESS:
		b.addr_loc = tok_loc(s);
		b.addr = tok_text(s);
		next(s);
		if (is_punct(s, ':')) {
			next(s);
			if (s->t.kind != T_NUMBER)
				goto bad_port;
			b.has_port = true;
			b.port = s->t.num;
			b.port_loc = tok_loc(s);
			next(s);
		}
		break;
	default:
		if (!is_punct(s, '[')) {
			unexpected(s, "a port, an address or '[address]'");
			return false;
		}
		next(s);
		if (s->t.kind != T_ADDRESS) {
			unexpected(s, "an address after '['");
			return false;
		}
		b.bracketed = true;
		b.addr_loc = tok_loc(s);
		b.addr = tok_text(s);
		next(s);
		if (!is_punct(s, ']')) {
			unexpected(s, "']'");
			goto fail;
		}
		next(s);
		if (is_punct(s, ':')) {
			next(s);
			if (s->t.kind != T_NUMBER)
				goto bad_port;
			b.has_port = true;
			b.port = s->t.num;
			b.port_loc = tok_loc(s);
			next(s);
		}
		break;
	}
	if (s->t.kind == T_WORD && !is_word(s, "weight")) {
		char *w = tok_text(s);
		struct xlb_loc loc = tok_loc(s);

		if (xlb_suggest_word(w,
				     (const char *const[]){ "weight", NULL })) {
			xlb_error(c->diags, &loc,
				  "unknown word '%s'; did you mean 'weight'?",
				  w);
			free(w);
			goto fail;
		}
		free(w);
	}
	if (is_word(s, "weight")) {
		next(s);
		if (s->t.kind != T_NUMBER) {
			unexpected(s, "a number after 'weight'");
			goto fail;
		}
		b.has_weight = true;
		b.weight = s->t.num;
		b.weight_loc = tok_loc(s);
		next(s);
	}
	b.loc = sub_loc(c, s->n, a, s->prev_b);
	*xlb_rule_add_backend(r, &b.loc) = b;
	return true;
bad_port:
	unexpected(s, "a port number after ':'");
fail:
	free(b.addr);
	return false;
}

/* A backend given as a scalar: one, or (at the top of 'backends') a
 * comma-separated list of them as after '->'. */
static bool backends_scalar(struct yctx *c, const struct ynode *n,
			    struct xlb_rule *r, bool list)
{
	struct scan s;

	scan_init(&s, c, n);
	for (;;) {
		if (!parse_backend_text(c, &s, r))
			return false;
		if (list && is_punct(&s, ',')) {
			next(&s);
			continue;
		}
		if (s.t.kind == T_END)
			return true;
		unexpected(&s, list ? "',', 'weight' or the end of the backends"
				    : "'weight' or the end of the backend");
		return false;
	}
}

/* One number from a scalar that holds nothing else. */
static bool scalar_number(struct yctx *c, const struct ynode *key,
			  const struct ynode *v, uint64_t *num,
			  struct xlb_loc *loc)
{
	struct scan s;

	if (!want(c, v, YN_SCALAR, what_key(key->text), "a number"))
		return false;
	scan_init(&s, c, v);
	if (s.t.kind != T_NUMBER) {
		unexpected(&s, "a number");
		return false;
	}
	*num = s.t.num;
	*loc = tok_loc(&s);
	next(&s);
	if (s.t.kind != T_END) {
		unexpected(&s, "the end of the number");
		return false;
	}
	return true;
}

/* {addr: ADDRESS, port: NUMBER, weight: NUMBER} */
static bool backend_map(struct yctx *c, const struct ynode *map,
			struct xlb_rule *r)
{
	struct xlb_backend b;
	struct scan s;
	bool good = true;
	size_t i;

	memset(&b, 0, sizeof(b));
	b.loc = map->loc;
	for (i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->kids[i], *v = map->kids[i + 1];

		if (!key_ok(c, map, i)) {
			good = false;
			continue;
		}
		switch (lookup(k, backend_keys)) {
		case 0: /* addr */
			if (!want(c, v, YN_SCALAR, "'addr'", "an address")) {
				good = false;
				break;
			}
			scan_init(&s, c, v);
			if (s.t.kind != T_ADDRESS) {
				unexpected(&s, "an address");
				good = false;
				break;
			}
			b.addr = tok_text(&s);
			b.addr_loc = tok_loc(&s);
			/* as the text would write it: [2001:db8::2]:80 */
			b.bracketed = strchr(b.addr, ':') != NULL;
			next(&s);
			if (s.t.kind != T_END) {
				unexpected(&s, "the end of the address; give "
					       "the port as 'port'");
				good = false;
			}
			break;
		case 1: /* port */
			if (scalar_number(c, k, v, &b.port, &b.port_loc))
				b.has_port = true;
			else
				good = false;
			break;
		case 2: /* weight */
			if (scalar_number(c, k, v, &b.weight, &b.weight_loc))
				b.has_weight = true;
			else
				good = false;
			break;
		default:
			unknown(c, k, "backend key", k->text, backend_keys);
			good = false;
			break;
		}
	}
	if (good && !b.addr && !b.has_port) {
		xlb_error(c->diags, &map->loc,
			  "a backend needs 'addr', 'port' or both");
		good = false;
	}
	if (!good) {
		free(b.addr);
		return false;
	}
	*xlb_rule_add_backend(r, &b.loc) = b;
	return true;
}

static bool parse_backends(struct yctx *c, const struct ynode *v,
			   struct xlb_rule *r)
{
	bool good = true;
	size_t i;

	if (v->kind == YN_SCALAR && !v->null)
		return backends_scalar(c, v, r, true);
	if (!want(c, v, YN_SEQ, "'backends'", "a list of backends"))
		return false;
	if (!v->n) {
		xlb_error(c->diags, &v->loc, "'backends' is an empty list");
		return false;
	}
	for (i = 0; i < v->n; i++) {
		const struct ynode *b = v->kids[i];

		if (b->kind == YN_MAP) {
			if (!backend_map(c, b, r))
				good = false;
		} else if (want(c, b, YN_SCALAR, "a backend",
				"a scalar such as '10.0.0.2:80 weight 2' or "
				"a mapping {addr, port, weight}")) {
			if (!backends_scalar(c, b, r, false))
				good = false;
		} else {
			good = false;
		}
	}
	return good;
}

static const enum xlb_match_kind value_kinds[] = {
	[2] = XLB_MATCH_SRC,   [3] = XLB_MATCH_DST,   [4] = XLB_MATCH_SPORT,
	[5] = XLB_MATCH_DPORT, [6] = XLB_MATCH_DPORT, [7] = XLB_MATCH_TYPE,
	[8] = XLB_MATCH_FLAGS,
};

static void parse_rule(struct yctx *c, const struct ynode *map)
{
	const struct ynode *action = NULL, *backends = NULL, *select = NULL;
	struct xlb_rule *r = xlb_rule_new();
	struct xlb_match *m;
	struct xlb_loc loc;
	struct strbuf sb = STRBUF_INIT;
	bool good = true;
	size_t i;
	int k;

	for (i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *key = map->kids[i], *v = map->kids[i + 1];

		if (!key_ok(c, map, i)) {
			good = false;
			continue;
		}
		loc = loc_join(&key->loc, &v->loc);
		k = lookup(key, rule_keys);
		switch (k) {
		case 0: /* family */
			k = one_of(c, key, v, "family", families);
			if (k < 0) {
				good = false;
				break;
			}
			m = xlb_match_new(XLB_MATCH_FAMILY, &loc);
			m->value_loc = v->loc;
			m->family = k == 0 ? XLB_FAM_IP4 : XLB_FAM_IP6;
			r->matches = xlb_match_append(r->matches, m);
			break;
		case 1: /* proto */
			k = one_of(c, key, v, "protocol", protos);
			if (k < 0) {
				good = false;
				break;
			}
			m = xlb_match_new(XLB_MATCH_PROTO, &loc);
			m->value_loc = v->loc;
			m->proto = (enum xlb_proto[]){ XLB_PROTO_UDP,
						       XLB_PROTO_TCP,
						       XLB_PROTO_ICMP,
						       XLB_PROTO_ICMP6 }[k];
			r->matches = xlb_match_append(r->matches, m);
			break;
		case 2: /* src */
		case 3: /* dst */
		case 4: /* sport */
		case 5: /* dport */
		case 6: /* port */
		case 7: /* type */
		case 8: /* flags */
			m = xlb_match_new(value_kinds[k], &loc);
			if (k == 8 ? parse_flags(c, v, m)
				   : parse_value(c, key, v, m)) {
				r->matches = xlb_match_append(r->matches, m);
			} else {
				xlb_match_free_list(m);
				good = false;
			}
			break;
		case 9: /* action */
			action = key;
			k = one_of(c, key, v, "action", verdicts);
			if (k < 0) {
				good = false;
				break;
			}
			r->verdict =
				k == 0 ? XLB_VERDICT_DROP : XLB_VERDICT_PASS;
			r->verdict_loc = v->loc;
			break;
		case 10: /* backends */
			backends = key;
			r->arrow_loc = key->loc;
			if (!parse_backends(c, v, r))
				good = false;
			break;
		case 11: /* select */
			select = key;
			k = one_of(c, key, v, "selector", selectors);
			if (k < 0) {
				good = false;
				break;
			}
			r->select = (enum xlb_select[]){ XLB_SELECT_RR,
							 XLB_SELECT_HASH,
							 XLB_SELECT_HASH_SRC,
							 XLB_SELECT_MAGLEV }[k];
			r->select_loc = v->loc;
			break;
		default:
			unknown(c, key, "rule key", key->text, rule_keys);
			/* {flags: syn,ack} is {flags: syn, ack: null} */
			if (!map->block && v->kind == YN_SCALAR && v->null)
				xlb_note(c->diags, &key->loc,
					 "inside {...}, ',' separates keys: "
					 "quote a value that holds one, as in "
					 "\"syn,ack\"");
			good = false;
			break;
		}
	}

	loc = map->loc;
	if (map->n) /* the caret at the first key, not at '{' or '-' */
		loc = map->kids[0]->loc;
	if (action && backends) {
		const struct ynode *second =
			action->loc.first_off > backends->loc.first_off
				? action
				: backends;

		xlb_error(c->diags, &second->loc,
			  "a rule has 'action' or 'backends', not both");
		xlb_note(c->diags,
			 second == action ? &backends->loc : &action->loc,
			 "first given here");
		good = false;
	} else if (!action && !backends && good) {
		xlb_error(c->diags, &loc,
			  "a rule needs 'action' (drop or pass) or 'backends'");
		good = false;
	} else if (select && !backends) {
		xlb_error(c->diags, &select->loc,
			  "'select' chooses among 'backends'; this rule has "
			  "none");
		good = false;
	} else if (backends && !r->matches && good) {
		xlb_error(c->diags, &backends->loc,
			  "a rule with 'backends' needs a match such as "
			  "'proto: udp' and 'dport: 53'");
		good = false;
	}
	if (!good) {
		xlb_rule_free(r);
		return;
	}
	if (backends) {
		r->verdict = XLB_VERDICT_REWRITE;
		r->verdict_loc = backends->loc;
		if (!select) {
			/* where the text's empty selector would be */
			r->select_loc = r->backends[r->nbackends - 1].loc;
			r->select_loc.first_line = r->select_loc.last_line;
			r->select_loc.first_column = r->select_loc.last_column;
			r->select_loc.first_off = r->select_loc.last_off;
		}
	}
	r->loc = map->loc;
	if (map->n)
		r->loc = loc_join(&loc, &map->kids[map->n - 1]->loc);
	/* the counter label until check is done: see xlb_rules_set_text() */
	xlb_print_rule(r, &sb);
	r->text = strbuf_detach(&sb);
	xlb_ruleset_append(c->rs, r);
}

static void parse_rules(struct yctx *c, const struct ynode *v)
{
	size_t i;

	if (v->kind == YN_SCALAR && v->null)
		return;
	if (!want(c, v, YN_SEQ, "'rules'", "a list of rules"))
		return;
	for (i = 0; i < v->n; i++)
		if (want(c, v->kids[i], YN_MAP, "a rule",
			 "a mapping of keys such as 'action', 'proto', 'src'"))
			parse_rule(c, v->kids[i]);
}

/* A set name is a word of the text syntax that is not a keyword, so that
 * 'xlbc --print' writes something the text parser reads back. */
static bool set_name_ok(struct yctx *c, const struct ynode *k)
{
	size_t i;

	if (!k->len || word_end(k->text, k->len, 0) != k->len) {
		xlb_error(c->diags, &k->loc,
			  "invalid set name '%s': use letters, digits, '_' "
			  "and inner '-', starting with a letter",
			  k->text);
		return false;
	}
	for (i = 0; xlb_keywords[i]; i++) {
		if (!strcmp(k->text, xlb_keywords[i])) {
			xlb_error(c->diags, &k->loc,
				  "'%s' is a keyword and cannot name a set",
				  k->text);
			return false;
		}
	}
	return true;
}

static void parse_sets(struct yctx *c, const struct ynode *v)
{
	size_t i;

	if (v->kind == YN_SCALAR && v->null)
		return;
	if (!want(c, v, YN_MAP, "'sets'", "a mapping of set names to lists"))
		return;
	for (i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *list = v->kids[i + 1];
		struct xlb_set *s;

		if (!key_ok(c, v, i) || !set_name_ok(c, k))
			continue;
		/* an empty list is left to check, as 'set NAME { }' */
		if (!want(c, list, YN_SEQ, "a set", "a list of elements"))
			continue;
		s = xlb_set_new();
		s->name = xstrdup(k->text);
		s->name_loc = k->loc;
		s->loc = loc_join(&k->loc, &list->loc);
		if (parse_list(c, list, &s->elems,
			       "a set holds addresses or ports, not other "
			       "sets"))
			xlb_ruleset_add_set(c->rs, s);
		else
			xlb_set_free(s);
	}
}

/* default, malformed, non-ip: a verdict (the mapping has each key once). */
static void parse_policy(struct yctx *c, const struct ynode *key,
			 const struct ynode *v, const char *what,
			 enum xlb_verdict *verdict, bool *set,
			 struct xlb_loc *loc)
{
	int k = one_of(c, key, v, what, verdicts);

	if (k < 0)
		return;
	*verdict = k == 0 ? XLB_VERDICT_DROP : XLB_VERDICT_PASS;
	*set = true;
	*loc = loc_join(&key->loc, &v->loc);
}

int xlb_parse_yaml(const struct xlb_source *src, struct xlb_ruleset *rs,
		   struct xlb_diags *diags)
{
	unsigned int errors = diags->nerrors;
	struct ynode *root;
	struct yctx c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.src = src;
	c.diags = diags;
	c.rs = rs;
	/* libyaml, told the input is UTF-8, counts a byte order mark as a
	 * column of the first line; keep it out of its sight */
	if (src->len >= 3 && !memcmp(src->text, "\xef\xbb\xbf", 3))
		c.skip = 3;
	c.cur_byte = c.skip;

	if (build_tree(&c, &root) < 0)
		return -1;
	if (root && !(root->kind == YN_SCALAR && root->null) &&
	    want(&c, root, YN_MAP, "a rules file",
		 "a mapping with keys 'sets', 'rules', 'default', 'malformed' and 'non-ip'")) {
		for (i = 0; i + 1 < root->n; i += 2) {
			const struct ynode *k = root->kids[i];
			const struct ynode *v = root->kids[i + 1];

			if (!key_ok(&c, root, i))
				continue;
			switch (lookup(k, top_keys)) {
			case 0:
				parse_sets(&c, v);
				break;
			case 1:
				parse_rules(&c, v);
				break;
			case 2:
				parse_policy(&c, k, v, "default action",
					     &rs->def, &rs->def_set,
					     &rs->def_loc);
				break;
			case 3:
				parse_policy(&c, k, v, "malformed policy",
					     &rs->malformed, &rs->malformed_set,
					     &rs->malformed_loc);
				break;
			case 4:
				parse_policy(&c, k, v, "non-ip policy",
					     &rs->nonip, &rs->nonip_set,
					     &rs->nonip_loc);
				break;
			default:
				unknown(&c, k, "key", k->text, top_keys);
				break;
			}
		}
	}
	ynode_free(root);
	return diags->nerrors != errors ? -1 : 0;
}
