/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ast.h - the rule tree.  A front end (parser.y for the text syntax,
 * yaml.c for YAML) fills in what was written: named sets, and rules whose
 * matches keep their source order, raw numbers and address text, every item
 * with its location.  The checking pass (check.c) validates that and fills
 * in the normalised fields ("filled in by check") that every later reader
 * uses: the code generator, the printer and the reference interpreter.
 */
#ifndef XLB_AST_H
#define XLB_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* Address families, as a mask of the families a rule can match. */
#define XLB_FAM_IP4 1u
#define XLB_FAM_IP6 2u
#define XLB_FAM_ANY (XLB_FAM_IP4 | XLB_FAM_IP6)

enum xlb_proto {
	XLB_PROTO_ANY = 0,
	XLB_PROTO_UDP,
	XLB_PROTO_TCP,
	XLB_PROTO_ICMP,	 /* ICMP, IPv4 only */
	XLB_PROTO_ICMP6, /* ICMPv6, IPv6 only */
};

enum xlb_verdict {
	XLB_VERDICT_NONE = 0,
	XLB_VERDICT_DROP,
	XLB_VERDICT_PASS,
	XLB_VERDICT_REWRITE, /* rewrite to a backend, then pass */
};

enum xlb_select {
	XLB_SELECT_DEFAULT = 0, /* resolved by check: UDP round robin, TCP hash */
	XLB_SELECT_RR,
	XLB_SELECT_HASH,     /* flow 5-tuple */
	XLB_SELECT_HASH_SRC, /* source address */
	XLB_SELECT_MAGLEV,   /* flow 5-tuple over a Maglev table */
};

enum xlb_match_kind {
	XLB_MATCH_FAMILY, /* ip | ip6 */
	XLB_MATCH_PROTO,  /* udp | tcp | icmp | icmpv6 */
	XLB_MATCH_SRC,	  /* src VALUE */
	XLB_MATCH_DST,	  /* dst VALUE */
	XLB_MATCH_SPORT,  /* src port VALUE */
	XLB_MATCH_DPORT,  /* [dst] port VALUE */
	XLB_MATCH_TYPE,	  /* type VALUE (after icmp or icmpv6) */
	XLB_MATCH_FLAGS,  /* flags LIST [/ LIST] (after tcp) */
	XLB_MATCH_KINDS
};

enum xlb_elem_kind {
	XLB_ELEM_ADDR, /* ADDRESS [/ LENGTH] */
	XLB_ELEM_NUM,  /* NUMBER [- NUMBER] */
	XLB_ELEM_NAME, /* a word: an ICMP type or a TCP flag */
	XLB_ELEM_SET,  /* @NAME */
};

/* An address, network byte order; IPv4 in addr[0..3], the rest zero. */
struct xlb_addr {
	unsigned int family; /* XLB_FAM_IP4 or XLB_FAM_IP6 */
	uint8_t addr[16];
};

/* A prefix: addr with every bit past plen cleared. */
struct xlb_prefix {
	struct xlb_addr a;
	unsigned int plen;
};

/* An inclusive range of ports or ICMP types. */
struct xlb_range {
	uint32_t lo, hi;
};

struct xlb_set;

/* One element of a value as written. */
struct xlb_elem {
	enum xlb_elem_kind kind;
	struct xlb_loc loc; /* the whole element */
	char *text;	    /* ADDR: address text; NAME: the word; SET: name */
	struct xlb_loc text_loc;
	/* ADDR */
	bool has_plen;
	uint64_t plen;
	struct xlb_loc plen_loc;
	/* NUM: lo, or lo-hi when is_range */
	uint64_t lo, hi;
	bool is_range;
	struct xlb_loc hi_loc;

	/* filled in by check */
	struct xlb_prefix pfx;	/* ADDR */
	struct xlb_set *set;	/* SET: the set it names */

	struct xlb_elem *next;
	struct xlb_elem *tail; /* in the first element of a list: the last */
};

/* One match as written.  Its value is one element, a braced list of them
 * or a set reference; FLAGS has its flag names in elems and the optional
 * mask after '/' in mask. */
struct xlb_match {
	enum xlb_match_kind kind;
	struct xlb_loc loc;	  /* the whole match, keywords included */
	struct xlb_loc value_loc; /* the value */
	bool neg;		  /* 'not' before it, or '!=' */
	unsigned int family;	  /* FAMILY */
	enum xlb_proto proto;	  /* PROTO */
	bool braced;		  /* the value is { ... } */
	struct xlb_elem *elems;
	struct xlb_elem *mask; /* FLAGS */
	struct xlb_loc mask_loc;
	struct xlb_match *next;
};

/*
 * Normalised condition (filled in by check).  A packet meets it when its
 * field is in the set described (or not, when neg):
 *   SRC, DST      pfx: prefixes, IPv4 ones first, each family sorted by
 *                 address, none inside another
 *   SPORT, DPORT  rng: sorted, disjoint, not adjacent (merged)
 *   TYPE          rng, as for ports, over 0-255
 *   FLAGS         (tcp flags & fmask) == fvalue, or with fany,
 *                 (tcp flags & fmask) != 0
 */
struct xlb_cond {
	bool set;
	bool neg;
	const struct xlb_match *m; /* as written */
	struct xlb_prefix *pfx;
	size_t npfx;
	struct xlb_range *rng;
	size_t nrng;
	uint8_t fmask, fvalue;
	bool fany;
};

struct xlb_backend {
	struct xlb_loc loc;    /* the whole backend, weight included */
	char *addr;	       /* address text, NULL for a port backend */
	struct xlb_loc addr_loc;
	bool bracketed;	       /* [ADDR] */
	bool has_port;
	uint64_t port;
	struct xlb_loc port_loc;
	bool has_weight;
	uint64_t weight;
	struct xlb_loc weight_loc;

	/* filled in by check */
	struct xlb_addr a; /* when addr */
	unsigned int w;	   /* weight, 1 unless given */
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

	/* filled in by check */
	unsigned int index;  /* position in file order = counter slot */
	unsigned int family; /* XLB_FAM_* mask of the families it can match */
	enum xlb_proto proto;
	/* conditions, indexed by enum xlb_match_kind (FAMILY and PROTO are
	 * in family and proto) */
	struct xlb_cond cond[XLB_MATCH_KINDS];
	unsigned int bfamily; /* backends' family: 0 when they are ports */
	unsigned int rr_slot; /* XLB_SELECT_RR */
	/* the reply path: a backend's answers get the source the client
	 * sent to, vip (address backends) and vport (port backends) */
	bool reply;
	struct xlb_addr vip;
	unsigned int vport;

	struct xlb_rule *next;
};

/* set NAME { ... }; */
struct xlb_set {
	char *name;
	struct xlb_loc loc;	 /* the whole statement */
	struct xlb_loc name_loc;
	struct xlb_elem *elems;

	/* filled in by check */
	bool is_port;	/* a set of ports (else of addresses) */
	bool used;
	bool bad;	/* errors were reported: do not report them again */
	struct xlb_set *next;
};

struct xlb_ruleset {
	const struct xlb_source *src;
	struct xlb_set *sets;
	struct xlb_set **sets_tail;
	size_t nsets;
	struct xlb_rule *rules;
	struct xlb_rule **tail;
	size_t nrules;
	enum xlb_verdict def; /* XLB_VERDICT_PASS unless 'default drop' */
	bool def_set;
	struct xlb_loc def_loc;
	/* what happens to a packet that no rule can decide because a
	 * header it needs could not be read: drop unless 'malformed pass' */
	enum xlb_verdict malformed;
	bool malformed_set;
	struct xlb_loc malformed_loc;
	/* to a frame that is neither IPv4 nor IPv6: pass unless
	 * 'non-ip drop' */
	enum xlb_verdict nonip;
	bool nonip_set;
	struct xlb_loc nonip_loc;

	/* filled in by check */
	unsigned int nrr; /* round-robin rules */
};

void xlb_ruleset_init(struct xlb_ruleset *rs, const struct xlb_source *src);
void xlb_ruleset_free(struct xlb_ruleset *rs);
void xlb_ruleset_append(struct xlb_ruleset *rs, struct xlb_rule *r);
void xlb_ruleset_add_set(struct xlb_ruleset *rs, struct xlb_set *s);
struct xlb_set *xlb_ruleset_find_set(const struct xlb_ruleset *rs,
				     const char *name);

struct xlb_elem *xlb_elem_new(enum xlb_elem_kind kind,
			      const struct xlb_loc *loc);
/* Append e to the list *head; returns the head. */
struct xlb_elem *xlb_elem_append(struct xlb_elem *head, struct xlb_elem *e);
void xlb_elem_free_list(struct xlb_elem *e);

struct xlb_match *xlb_match_new(enum xlb_match_kind kind,
				const struct xlb_loc *loc);
struct xlb_match *xlb_match_append(struct xlb_match *head,
				   struct xlb_match *m);
void xlb_match_free_list(struct xlb_match *m);

struct xlb_set *xlb_set_new(void);
void xlb_set_free(struct xlb_set *s);

struct xlb_rule *xlb_rule_new(void);
void xlb_rule_free(struct xlb_rule *r);
/* A new zeroed backend at the end of r->backends. */
struct xlb_backend *xlb_rule_add_backend(struct xlb_rule *r,
					 const struct xlb_loc *loc);
/* Set r->text from the source between the rule's offsets: comments dropped,
 * each run of blanks and newlines folded into one space. */
void xlb_rule_set_text(struct xlb_rule *r, const struct xlb_source *src);

const char *xlb_proto_name(enum xlb_proto p);
const char *xlb_verdict_name(enum xlb_verdict v);
const char *xlb_select_name(enum xlb_select s);
const char *xlb_family_name(unsigned int family);

/* The IP protocol number of p (0 for XLB_PROTO_ANY). */
unsigned int xlb_proto_number(enum xlb_proto p);

/* Address text to an address; 0, or -1 if it is not a valid address. */
int xlb_addr_parse(const char *text, struct xlb_addr *a);
/* An address in its canonical text form (RFC 5952 for IPv6). */
void xlb_addr_format(const struct xlb_addr *a, char *buf, size_t len);

/* A backend's target in canonical text, weight left out: "9876",
 * "10.0.0.2", "10.0.0.2:8080", "[2001:db8::2]:80" (after check). */
void xlb_backend_format(const struct xlb_backend *b, char *buf, size_t len);

/* TCP flag and ICMP type names (both tables end with a NULL name). */
struct xlb_name_value {
	const char *name;
	unsigned int value;
};
extern const struct xlb_name_value xlb_tcp_flags[];
extern const struct xlb_name_value xlb_icmp_types[];
extern const struct xlb_name_value xlb_icmp6_types[];
/* The value of name in table; 0, or -1 if it is not there. */
int xlb_name_lookup(const struct xlb_name_value *table, const char *name,
		    unsigned int *value);

#endif
