/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* xlbc.h - the compiler's passes and the state they share. */
#ifndef XLB_XLBC_H
#define XLB_XLBC_H

#include "xlb_abi.h"

#include "ast.h"
#include "diag.h"
#include "util.h"

/* What the parser and the scanner share (the scanner's "extra"). */
struct xlb_parse_ctx {
	const struct xlb_source *src;
	struct xlb_diags *diags;
	struct xlb_ruleset *rs;
	/* scanner position: the next byte to read */
	unsigned int line;
	unsigned int column;
	size_t off;
	/* the token before the current one, and the current token's text */
	struct xlb_loc prev_loc;
	struct xlb_loc cur_loc;
	char cur_text[64];
	int in_braces; /* the scanner is between '{' and '}' */
	/* Error recovery: after a syntax error the parser resumes at the
	 * next ';' or at the next line that begins with a word that starts
	 * a statement; the scanner marks that word with a SYNC token in
	 * front of it, and gives the word itself next (pending). */
	int recovering;
	int sync_pending;	  /* give SYNC, then pending */
	int pending;		  /* a token kind, or 0 */
	struct xlb_loc pending_loc;
	int cur_kind;		  /* the current token's kind, and whether */
	int cur_starts;		  /* it begins a line and may begin a
				   * statement, indented no further than the
				   * statement it follows began */
	unsigned int stmt_column; /* where the current statement began */
	int stmt_next;		  /* the next token begins a statement */
};

/* lexer.l: after a syntax error at the current token, resume there if it
 * begins a line and may begin a statement. */
void xlb_resync_here(struct xlb_parse_ctx *ctx);

/* parser.y: parse src into rs; 0 on success, -1 if errors were recorded. */
int xlb_parse(const struct xlb_source *src, struct xlb_ruleset *rs,
	      struct xlb_diags *diags);
/* The keywords of the language, NULL-terminated (for hints). */
extern const char *const xlb_keywords[];
/* The keyword closest to word by edit distance, or NULL if none is close. */
const char *xlb_suggest_keyword(const char *word);
/* The word in the NULL-terminated list closest to word, or NULL. */
const char *xlb_suggest_word(const char *word, const char *const *words);

/* driver.c: parse src with the front end of its syntax (src->yaml), check
 * it, and label YAML rules with their canonical text; 0, or -1 if errors
 * were recorded. */
int xlb_read_rules(const struct xlb_source *src, struct xlb_ruleset *rs,
		   struct xlb_diags *diags);

/* check.c: validate and normalise; 0, or -1 if errors were recorded. */
int xlb_check(struct xlb_ruleset *rs, struct xlb_diags *diags);
/* overlap.c: warn about rules that earlier rules shadow, wholly or in part
 * (a checked ruleset without errors). */
void xlb_check_overlaps(const struct xlb_ruleset *rs, struct xlb_diags *diags);

/* tables.c: backend selection tables (xlb-rules(5) defines them). */
#define XLB_MAGLEV_SIZE 65537 /* entries of a Maglev table, a prime */
uint32_t xlb_murmur3(const void *data, size_t len, uint32_t seed);
/* The weighted list of r's backends (indexes); returns its length. */
size_t xlb_weighted_list(const struct xlb_rule *r, uint8_t **list);
/* r's Maglev table, XLB_MAGLEV_SIZE backend indexes. */
uint8_t *xlb_maglev_table(const struct xlb_rule *r);

/* yaml.c: parse a YAML rules file into rs, building the tree parser.y
 * builds for the equivalent text; 0, or -1 if errors were recorded. */
int xlb_parse_yaml(const struct xlb_source *src, struct xlb_ruleset *rs,
		   struct xlb_diags *diags);

/* print.c: the canonical text form of a (checked) ruleset, one statement
 * a line (xlbc --print); one rule's, without the ';'; and every rule's
 * text (its counter label) set to its canonical form, for YAML. */
void xlb_print(const struct xlb_ruleset *rs, struct strbuf *out);
void xlb_print_rule(const struct xlb_rule *r, struct strbuf *out);
void xlb_rules_set_text(struct xlb_ruleset *rs);

/* codegen.c: the C for a checked ruleset. */
void xlb_codegen(const struct xlb_ruleset *rs, struct strbuf *out);

#endif
