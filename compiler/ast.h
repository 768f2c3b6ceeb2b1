/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ast.h - the rule tree.  The parser fills in what was written (matches in
 * source order, raw numbers and address text, every item with its
 * location); the checking pass validates it and fills in the normalised
 * fields that the code generator reads.
 */
#ifndef XLB_AST_H
#define XLB_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "source.h"

enum xlb_proto {
	XLB_PROTO_ANY = 0,
	XLB_PROTO_UDP,
	XLB_PROTO_TCP,
	XLB_PROTO_ICMP,
};

enum xlb_verdict {
	XLB_VERDICT_NONE = 0,
	XLB_VERDICT_DROP,
	XLB_VERDICT_PASS,
	XLB_VERDICT_REWRITE, /* rewrite, then pass */
};

enum xlb_select {
	XLB_SELECT_DEFAULT =
		0, /* resolved by check: UDP round robin, TCP hash */
	XLB_SELECT_RR,
	XLB_SELECT_HASH,
};

enum xlb_match_kind {
	XLB_MATCH_PROTO,
	XLB_MATCH_SRC,	 /* src ADDR[/LEN] */
	XLB_MATCH_DST,	 /* dst ADDR[/LEN] */
	XLB_MATCH_SPORT, /* src port N */
	XLB_MATCH_DPORT, /* port N, dst port N */
};

/* One match as written. */
struct xlb_match {
	enum xlb_match_kind kind;
	struct xlb_loc loc;	  /* the whole match, keyword included */
	struct xlb_loc value_loc; /* the address or port */
	enum xlb_proto proto;
	char *addr; /* address text, for SRC and DST */
	bool has_plen;
	uint64_t plen;
	struct xlb_loc plen_loc;
	uint64_t port;
	struct xlb_match *next;
};

struct xlb_backend {
	uint64_t port;
	struct xlb_loc loc;
};

/* Normalised address match: (addr & mask) == net, host byte order. */
struct xlb_addr_cond {
	bool set;
	uint32_t net;
	uint32_t mask;
	unsigned int plen;
};

struct xlb_port_cond {
	bool set;
	uint16_t port;
};

struct xlb_rule {
	struct xlb_loc loc;
	char *text; /* source text, comments stripped, blanks folded */
	struct xlb_match *matches;
	enum xlb_verdict verdict;
	struct xlb_loc verdict_loc;
	struct xlb_backend *backends;
	size_t nbackends;
	enum xlb_select select;
	struct xlb_loc select_loc;
	struct xlb_loc arrow_loc;

	/* filled in by the checking pass */
	unsigned int index; /* position in file order = counter slot */
	enum xlb_proto proto;
	struct xlb_addr_cond src, dst;
	struct xlb_port_cond sport, dport;
	unsigned int rr_slot; /* for XLB_SELECT_RR */

	struct xlb_rule *next;
};

struct xlb_ruleset {
	const struct xlb_source *src;
	struct xlb_rule *rules;
	struct xlb_rule **tail;
	size_t nrules;
	enum xlb_verdict def; /* XLB_VERDICT_PASS unless 'default drop' */
	bool def_set;
	struct xlb_loc def_loc;

	/* filled in by the checking pass */
	unsigned int nrr; /* round-robin rules */
	bool need_udp;	  /* read UDP headers */
	bool need_tcp;	  /* read TCP headers */
};

void xlb_ruleset_init(struct xlb_ruleset *rs, const struct xlb_source *src);
void xlb_ruleset_free(struct xlb_ruleset *rs);
void xlb_ruleset_append(struct xlb_ruleset *rs, struct xlb_rule *r);

struct xlb_match *xlb_match_new(enum xlb_match_kind kind,
				const struct xlb_loc *loc);
void xlb_match_free_list(struct xlb_match *m);
struct xlb_rule *xlb_rule_new(void);
void xlb_rule_free(struct xlb_rule *r);
void xlb_rule_add_backend(struct xlb_rule *r, uint64_t port,
			  const struct xlb_loc *loc);
/* Set r->text from the source between the rule's offsets: comments dropped,
 * each run of blanks and newlines folded into one space. */
void xlb_rule_set_text(struct xlb_rule *r, const struct xlb_source *src);

const char *xlb_proto_name(enum xlb_proto p);
const char *xlb_verdict_name(enum xlb_verdict v);

#endif
