/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * plan.h - the planning pass, between checking and code generation: how
 * each part of a checked ruleset is decided for a packet.
 *
 * The rules are cut into units.  A unit is either one rule, tested as it
 * is written, or a lookup: rules that test the same fields in the same way
 * and differ only in the values of one field, the key (source or
 * destination address, a port, an ICMP type).  For a lookup the compiler
 * cuts the key's domain into segments and gives each the first of the
 * unit's rules whose key value covers it; the program finds the packet's
 * segment with a bounded binary search and tests the rest once, for the
 * whole unit.  Units are ordered by their first rule; the rule that
 * decides is the first rule, over all units, that decides the packet, so
 * first-match order is kept exactly.
 *
 * The reference interpreter (sim.c) shares nothing with this: the
 * differential test checks the plan against a plain walk over the rules.
 */
#ifndef XLB_PLAN_H
#define XLB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "util.h"

#define XLB_PLAN_NONE UINT32_MAX /* no rule */

/* A lookup's units have at least this many rules; fewer are tested one by
 * one (a short chain costs less than a search). */
#define XLB_LOOKUP_MIN 4

/* A test of more values than this (per family) is a lookup even for a
 * rule alone; up to this many are compared inline. */
#define XLB_INLINE_MAX 8

/* A lookup's single addresses (/32, /128) go in a hash table from this
 * many on; fewer, and the addresses of a unit's other prefixes, go in
 * its segments. */
#define XLB_HASH_MIN 16

/* Port and ICMP type keys with more segments than this are looked up in
 * a table of every value (65536 or 256 entries) instead. */
#define XLB_DIRECT_MIN 8

/* The key's domain cut into segments, each with its first rule. */
struct xlb_segs {
	unsigned int width; /* words of a start: 1, or 4 for IPv6 */
	size_t n;	    /* segments, at least 1; 0: no table */
	uint32_t *start;    /* n * width words, host order, ascending; the
			     * first is 0 */
	uint32_t *rule;	    /* n rule indexes (XLB_PLAN_NONE for none) */
	bool direct;	    /* looked up in a table of every value */
	size_t dom;	    /* ports and types: 65536 or 256 values */
};

/*
 * Single addresses in an open-addressing hash table of 2^bits slots: an
 * address's slot is (mix(address) * mult) >> (32 - bits), and it is in
 * one of the probes slots from there on (linear probing; mult is chosen
 * for the shortest longest probe).  Each entry carries the first rule of
 * the unit that the address matches, the unit's shorter prefixes
 * included; an address not in the table is looked up in the segments.
 */
struct xlb_hash {
	unsigned int width;  /* words of a key: 1, or 4 for IPv6 */
	size_t n;	     /* addresses, 0: no table */
	unsigned int bits;   /* 2^bits slots */
	unsigned int probes; /* the longest probe sequence */
	uint32_t mult;
	uint32_t *key;	     /* 2^bits * width words, host order */
	uint32_t *rule;	     /* 2^bits: XLB_PLAN_NONE for an empty slot */
};

/* How the hash of a key of width words mixes them into one word; the BPF
 * side (xlb_hash6() in xlb_prog.h) does the same. */
static inline uint32_t xlb_plan_mix(const uint32_t *w, unsigned int width)
{
	if (width == 1)
		return w[0];
	return w[0] * 0x9e3779b1u ^ w[1] * 0x85ebca77u ^ w[2] * 0xc2b2ae3du ^
	       w[3] * 0x27d4eb2fu;
}

struct xlb_unit {
	const struct xlb_rule *r; /* its first rule: a lookup's tests other
				     than the key are this rule's */
	size_t nrules;		  /* rules in the unit, 1 for a rule alone */
	const struct xlb_rule **rules; /* those rules, in file order */
	enum xlb_match_kind key;  /* XLB_MATCH_KINDS for a rule alone */
	struct xlb_segs v4, v6;	  /* an address key: a table per family
				     (n 0 for a family none has); a port or
				     ICMP type key: v4 */
	struct xlb_hash h4, h6;	  /* an address key's single addresses */
};

struct xlb_plan {
	struct xlb_unit *unit; /* by first rule */
	size_t nunits;
	size_t nlookups;
};

/* The plan of a checked ruleset without errors. */
void xlb_plan_build(const struct xlb_ruleset *rs, struct xlb_plan *plan);
void xlb_plan_free(struct xlb_plan *plan);

/* xlbc --explain: the plan in words, one paragraph a unit. */
void xlb_plan_explain(const struct xlb_ruleset *rs,
		      const struct xlb_plan *plan, struct strbuf *out);

/* What a key is, in words: "source address", "destination port", ... */
const char *xlb_plan_key_name(enum xlb_match_kind k);

/* Steps of the binary search over n segments: log2 of n rounded up. */
unsigned int xlb_plan_steps(size_t n);

/* Whether rule r reads the transport header: port, type or flags tests,
 * or a rewrite; and whether it reads more than the ports. */
static inline bool xlb_rule_needs_l4(const struct xlb_rule *r)
{
	return r->cond[XLB_MATCH_SPORT].set || r->cond[XLB_MATCH_DPORT].set ||
	       r->cond[XLB_MATCH_TYPE].set || r->cond[XLB_MATCH_FLAGS].set ||
	       r->verdict == XLB_VERDICT_REWRITE;
}

static inline bool xlb_rule_needs_whole_l4(const struct xlb_rule *r)
{
	return r->cond[XLB_MATCH_TYPE].set || r->cond[XLB_MATCH_FLAGS].set ||
	       r->verdict == XLB_VERDICT_REWRITE;
}

#endif
