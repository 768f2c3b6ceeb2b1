// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * overlap.c - what earlier rules take from later ones (the last part of
 * the checking pass).  Two warnings come from here:
 *
 *   "this rule never matches": one earlier rule matches every packet that
 *   a rule would (whatever the two rules do);
 *
 *   "packets ... are load-balanced by line 1, not dropped by line 2": an
 *   earlier rule with another action takes part of a later rule's packets.
 *
 * Each rule is turned into a box: per address family, one set of values
 * per field (source, destination, ports, ICMP type), each a sorted list of
 * disjoint intervals, plus the protocols, whether it matches non-first
 * fragments and the TCP flag bytes it accepts.  Negated tests become the
 * complement, untested fields the whole range, so that intersection and
 * inclusion are exact.
 *
 * The boxes are grouped by action, protocols and the fields they test;
 * within a group, the values of each tested field are indexed (intervals
 * sorted by start, a tree of the largest end), so that a rule meets only
 * the earlier rules that can cover or meet it, never all of them.
 * xlb-rules(5), DIAGNOSTICS, says when the second warning is given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xlbc.h"

/* Overlap warnings shown in one run; the rest are counted in a note. */
#define XLB_MAX_OVERLAPS 10

typedef unsigned __int128 ov_key;

/* The value sets of a box, each a list of intervals. */
enum ov_field {
	OV_SRC4,
	OV_SRC6,
	OV_DST4,
	OV_DST6,
	OV_SPORT,
	OV_DPORT,
	OV_TYPE,
	OV_NFIELDS
};

/* What a rule tests, as a mask: its signature. */
#define OV_SIG_SRC 0x01u
#define OV_SIG_DST 0x02u
#define OV_SIG_SPORT 0x04u
#define OV_SIG_DPORT 0x08u
#define OV_SIG_TYPE 0x10u
#define OV_SIG_FLAGS 0x20u
#define OV_SIG_BITS 6
#define OV_SIG_INDEXED                                                         \
	(OV_SIG_SRC | OV_SIG_DST | OV_SIG_SPORT | OV_SIG_DPORT | OV_SIG_TYPE)

/* Transport protocols of a packet, as a mask. */
#define OV_UDP 0x01u
#define OV_TCP 0x02u
#define OV_ICMP 0x04u
#define OV_ICMP6 0x08u
#define OV_OTHER 0x10u
#define OV_ALL 0x1fu
#define OV_PROTO_BITS 5

/* Whole packets (and first fragments), non-first fragments. */
#define OV_WHOLE 1u
#define OV_LATER 2u

/* Actions, strongest first: an earlier rule with a weaker action than a
 * later one's is reported, never one with a stronger action. */
enum ov_class { OV_DROP, OV_REWRITE, OV_PASS };

#define OV_NGROUPS (3u << (OV_PROTO_BITS + OV_SIG_BITS))
#define OV_NONE SIZE_MAX

struct ov_ivl {
	ov_key lo, hi;
};

/* Intervals in the pool, sorted, disjoint and not adjacent. */
struct ov_set {
	uint32_t off, n;
};

struct ov_box {
	unsigned int fam; /* the families in which it matches something */
	unsigned int protos, frag;
	unsigned int sig_any; /* fields it tests in some family */
	unsigned int sig_all; /* fields it tests in all its families */
	struct ov_set s[OV_NFIELDS];
	uint8_t flags[32]; /* the TCP flag bytes it accepts, one bit each */
};

struct ov_rule {
	const struct xlb_rule *r;
	struct ov_box b;
	enum ov_class cls;
	bool dead;     /* an earlier rule matches all it would: */
	size_t shadow; /* the first such rule */
	size_t ready;  /* the first later rule it may be reported against */
	size_t taker;  /* the earlier rule reported against it */
};

/* Interval starts in order, and a tree of the largest end below each
 * node, for the entries whose start is at most a bound and whose end is
 * at least another. */
struct ov_entry {
	ov_key lo, hi;
	uint32_t pos; /* the member of the group */
};

struct ov_index {
	struct ov_entry *e;
	size_t n, width;
	ov_key *max;
};

/* The rules of one action, protocols and signature, in file order. */
struct ov_group {
	enum ov_class cls;
	unsigned int protos, sig;
	uint32_t *rule;
	size_t n, cap;
	struct ov_index ix[OV_NFIELDS];
	size_t *ready; /* a tree of the members' smallest 'ready' */
	size_t width;
};

struct ov_list {
	uint32_t *v;
	size_t n, cap;
};

struct ov {
	struct ov_rule *rule;
	size_t n;
	struct ov_ivl *pool;
	size_t npool, cap;
	struct ov_group **group; /* OV_NGROUPS, by action, protocols, sig */
	struct ov_group **used;  /* those that have rules, in order */
	size_t nused;
	uint32_t *stamp; /* the query that last met each rule */
	uint32_t now;
	struct ov_list cand[2], take[3];
};

/* The whole range of each field: the first entries of the pool. */
static const struct ov_set ov_full[OV_NFIELDS] = {
	[OV_SRC4] = { 0, 1 }, [OV_SRC6] = { 1, 1 },  [OV_DST4] = { 0, 1 },
	[OV_DST6] = { 1, 1 }, [OV_SPORT] = { 2, 1 }, [OV_DPORT] = { 2, 1 },
	[OV_TYPE] = { 3, 1 },
};

static unsigned int field_sig(enum ov_field f)
{
	static const unsigned int sig[OV_NFIELDS] = {
		OV_SIG_SRC,   OV_SIG_SRC,   OV_SIG_DST,	 OV_SIG_DST,
		OV_SIG_SPORT, OV_SIG_DPORT, OV_SIG_TYPE,
	};

	return sig[f];
}

/* The family of an address field, 0 for the others. */
static unsigned int field_family(enum ov_field f)
{
	if (f == OV_SRC4 || f == OV_DST4)
		return XLB_FAM_IP4;
	if (f == OV_SRC6 || f == OV_DST6)
		return XLB_FAM_IP6;
	return 0;
}

static bool needs_l4(const struct xlb_rule *r)
{
	return r->cond[XLB_MATCH_SPORT].set || r->cond[XLB_MATCH_DPORT].set ||
	       r->cond[XLB_MATCH_TYPE].set || r->cond[XLB_MATCH_FLAGS].set ||
	       r->verdict == XLB_VERDICT_REWRITE;
}

/* --- interval sets ---------------------------------------------------- */

static const struct ov_ivl *ivl(const struct ov *o, struct ov_set s)
{
	return o->pool + s.off;
}

static void pool_push(struct ov *o, ov_key lo, ov_key hi)
{
	if (o->npool == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 256;
		o->pool = xrealloc(o->pool, o->cap * sizeof(*o->pool));
	}
	o->pool[o->npool].lo = lo;
	o->pool[o->npool].hi = hi;
	o->npool++;
}

/*
 * Builds a set from intervals given in order (disjoint, perhaps
 * adjacent): the intervals themselves, merged, or with neg their
 * complement within 0..max.
 */
struct ov_builder {
	struct ov *o;
	struct ov_set s;
	bool neg, done;
	ov_key next, max;
};

static void build_start(struct ov_builder *b, struct ov *o, bool neg,
			ov_key max)
{
	b->o = o;
	b->s.off = (uint32_t)o->npool;
	b->s.n = 0;
	b->neg = neg;
	b->done = false;
	b->next = 0;
	b->max = max;
}

static void build_add(struct ov_builder *b, ov_key lo, ov_key hi)
{
	struct ov *o = b->o;

	if (b->neg) {
		if (b->done || hi < b->next)
			return;
		if (lo > b->next)
			pool_push(o, b->next, lo - 1);
		if (hi == b->max)
			b->done = true;
		else
			b->next = hi + 1;
		return;
	}
	if (o->npool > b->s.off && o->pool[o->npool - 1].hi + 1 == lo)
		o->pool[o->npool - 1].hi = hi;
	else
		pool_push(o, lo, hi);
}

static struct ov_set build_end(struct ov_builder *b)
{
	if (b->neg && !b->done)
		pool_push(b->o, b->next, b->max);
	b->s.n = (uint32_t)(b->o->npool - b->s.off);
	return b->s;
}

static ov_key field_max(enum ov_field f)
{
	switch (f) {
	case OV_SRC4:
	case OV_DST4:
		return 0xffffffffu;
	case OV_SRC6:
	case OV_DST6:
		return ~(ov_key)0;
	case OV_SPORT:
	case OV_DPORT:
		return 0xffff;
	case OV_TYPE:
	case OV_NFIELDS:
		break;
	}
	return 0xff;
}

static bool set_full(const struct ov *o, struct ov_set s, enum ov_field f)
{
	return s.n == 1 && ivl(o, s)->lo == 0 && ivl(o, s)->hi == field_max(f);
}

static bool set_equal(const struct ov *o, struct ov_set a, struct ov_set b)
{
	return a.n == b.n &&
	       !memcmp(ivl(o, a), ivl(o, b), a.n * sizeof(struct ov_ivl));
}

static bool ivl_meet(const struct ov *o, struct ov_set sa, struct ov_set sb)
{
	const struct ov_ivl *a = ivl(o, sa), *b = ivl(o, sb);
	size_t i = 0, j = 0;

	while (i < sa.n && j < sb.n) {
		if (a[i].hi < b[j].lo)
			i++;
		else if (b[j].hi < a[i].lo)
			j++;
		else
			return true;
	}
	return false;
}

/* Whether every value of sa is in sb. */
static bool ivl_within(const struct ov *o, struct ov_set sa, struct ov_set sb)
{
	const struct ov_ivl *a = ivl(o, sa), *b = ivl(o, sb);
	size_t i, j = 0;

	for (i = 0; i < sa.n; i++) {
		while (j < sb.n && b[j].hi < a[i].lo)
			j++;
		if (j == sb.n || b[j].lo > a[i].lo || b[j].hi < a[i].hi)
			return false;
	}
	return true;
}

static struct ov_set ivl_and(struct ov *o, struct ov_set sa, struct ov_set sb)
{
	struct ov_set s = { (uint32_t)o->npool, 0 };
	size_t i = 0, j = 0;

	while (i < sa.n && j < sb.n) {
		/* the pool may move as it grows: read before pushing */
		struct ov_ivl a = ivl(o, sa)[i], b = ivl(o, sb)[j];

		if (a.hi >= b.lo && b.hi >= a.lo)
			pool_push(o, a.lo > b.lo ? a.lo : b.lo,
				  a.hi < b.hi ? a.hi : b.hi);
		if (a.hi < b.hi)
			i++;
		else
			j++;
	}
	s.n = (uint32_t)(o->npool - s.off);
	return s;
}

/* --- rules as boxes ----------------------------------------------------- */

static ov_key addr_key(const struct xlb_addr *a)
{
	unsigned int i, n = a->family == XLB_FAM_IP4 ? 4 : 16;
	ov_key k = 0;

	for (i = 0; i < n; i++)
		k = k << 8 | a->addr[i];
	return k;
}

/* The addresses of prefix p, as an interval. */
static struct ov_ivl prefix_ivl(const struct xlb_prefix *p)
{
	unsigned int bits = p->a.family == XLB_FAM_IP4 ? 32 : 128;
	struct ov_ivl v;

	v.lo = addr_key(&p->a);
	if (p->plen == 0)
		v.hi = bits == 32 ? 0xffffffffu : ~(ov_key)0;
	else
		v.hi = v.lo | (((ov_key)1 << (bits - p->plen)) - 1);
	return v;
}

static struct ov_set addr_set(struct ov *o, const struct xlb_rule *r,
			      enum xlb_match_kind k, enum ov_field f)
{
	const struct xlb_cond *c = &r->cond[k];
	unsigned int fam = field_family(f);
	struct ov_builder b;
	size_t i;

	if (!(r->family & fam)) {
		struct ov_set none = { 0, 0 };

		return none;
	}
	if (!c->set)
		return ov_full[f];
	build_start(&b, o, c->neg, field_max(f));
	for (i = 0; i < c->npfx; i++) {
		struct ov_ivl v;

		if (c->pfx[i].a.family != fam)
			continue;
		v = prefix_ivl(&c->pfx[i]);
		build_add(&b, v.lo, v.hi);
	}
	return build_end(&b);
}

static struct ov_set range_set(struct ov *o, const struct xlb_cond *c,
			       enum ov_field f)
{
	struct ov_builder b;
	size_t i;

	if (!c->set)
		return ov_full[f];
	build_start(&b, o, c->neg, field_max(f));
	for (i = 0; i < c->nrng; i++)
		build_add(&b, c->rng[i].lo, c->rng[i].hi);
	return build_end(&b);
}

/* The TCP flag bytes that test c accepts, one bit each: those whose bits
 * in fmask are fvalue, or with fany are not all clear; all without c. */
static void flag_bytes(const struct xlb_cond *c, uint8_t *flags)
{
	unsigned int f;

	memset(flags, 0, 32);
	for (f = 0; f < 256; f++) {
		unsigned int seen = f & c->fmask;

		if (!c->set ||
		    (c->fany ? seen != 0 : seen == c->fvalue) != c->neg)
			flags[f / 8] |= (uint8_t)(1u << (f % 8));
	}
}

static bool flags_empty(const uint8_t *flags)
{
	unsigned int i;

	for (i = 0; i < 32; i++)
		if (flags[i])
			return false;
	return true;
}

static bool flags_all(const uint8_t *flags)
{
	unsigned int i;

	for (i = 0; i < 32; i++)
		if (flags[i] != 0xff)
			return false;
	return true;
}

/* The families where the box matches something, and its signatures. */
static void box_finish(const struct ov *o, struct ov_box *b,
		       unsigned int families)
{
	static const enum ov_field src[2] = { OV_SRC4, OV_SRC6 },
				   dst[2] = { OV_DST4, OV_DST6 };
	unsigned int i, f, k;

	b->fam = 0;
	for (i = 0; i < 2; i++) {
		f = i ? XLB_FAM_IP6 : XLB_FAM_IP4;
		if ((families & f) && b->s[src[i]].n && b->s[dst[i]].n)
			b->fam |= f;
	}
	if (!b->s[OV_SPORT].n || !b->s[OV_DPORT].n || !b->s[OV_TYPE].n ||
	    !b->protos || !b->frag || flags_empty(b->flags))
		b->fam = 0;

	b->sig_any = 0;
	b->sig_all = 0;
	if (!b->fam)
		return;
	b->sig_all = OV_SIG_SRC | OV_SIG_DST;
	for (k = 0; k < OV_NFIELDS; k++) {
		bool tested = !set_full(o, b->s[k], (enum ov_field)k);

		f = field_family((enum ov_field)k);
		if (f && !(b->fam & f))
			continue;
		if (tested)
			b->sig_any |= field_sig((enum ov_field)k);
		if (f && !tested)
			b->sig_all &= ~field_sig((enum ov_field)k);
	}
	if (!flags_all(b->flags))
		b->sig_any |= OV_SIG_FLAGS;
	b->sig_all |= b->sig_any & ~(OV_SIG_SRC | OV_SIG_DST);
}

static unsigned int rule_protos(const struct xlb_rule *r)
{
	switch (r->proto) {
	case XLB_PROTO_UDP:
		return OV_UDP;
	case XLB_PROTO_TCP:
		return OV_TCP;
	case XLB_PROTO_ICMP:
		return OV_ICMP;
	case XLB_PROTO_ICMP6:
		return OV_ICMP6;
	case XLB_PROTO_ANY:
		break;
	}
	return needs_l4(r) ? OV_UDP | OV_TCP : OV_ALL;
}

static void rule_box(struct ov *o, const struct xlb_rule *r, struct ov_box *b)
{
	b->protos = rule_protos(r);
	b->frag = needs_l4(r) ? OV_WHOLE : OV_WHOLE | OV_LATER;
	b->s[OV_SRC4] = addr_set(o, r, XLB_MATCH_SRC, OV_SRC4);
	b->s[OV_SRC6] = addr_set(o, r, XLB_MATCH_SRC, OV_SRC6);
	b->s[OV_DST4] = addr_set(o, r, XLB_MATCH_DST, OV_DST4);
	b->s[OV_DST6] = addr_set(o, r, XLB_MATCH_DST, OV_DST6);
	b->s[OV_SPORT] = range_set(o, &r->cond[XLB_MATCH_SPORT], OV_SPORT);
	b->s[OV_DPORT] = range_set(o, &r->cond[XLB_MATCH_DPORT], OV_DPORT);
	b->s[OV_TYPE] = range_set(o, &r->cond[XLB_MATCH_TYPE], OV_TYPE);
	flag_bytes(&r->cond[XLB_MATCH_FLAGS], b->flags);
	box_finish(o, b, r->family);
}

/* Whether some packet is in both boxes. */
static bool box_meet(const struct ov *o, const struct ov_box *a,
		     const struct ov_box *b)
{
	unsigned int fam = a->fam & b->fam, i;

	if (!fam || !(a->protos & b->protos) || !(a->frag & b->frag))
		return false;
	for (i = 0; i < 32; i++)
		if (a->flags[i] & b->flags[i])
			break;
	if (i == 32)
		return false;
	if (!ivl_meet(o, a->s[OV_SPORT], b->s[OV_SPORT]) ||
	    !ivl_meet(o, a->s[OV_DPORT], b->s[OV_DPORT]) ||
	    !ivl_meet(o, a->s[OV_TYPE], b->s[OV_TYPE]))
		return false;
	if ((fam & XLB_FAM_IP4) && ivl_meet(o, a->s[OV_SRC4], b->s[OV_SRC4]) &&
	    ivl_meet(o, a->s[OV_DST4], b->s[OV_DST4]))
		return true;
	return (fam & XLB_FAM_IP6) &&
	       ivl_meet(o, a->s[OV_SRC6], b->s[OV_SRC6]) &&
	       ivl_meet(o, a->s[OV_DST6], b->s[OV_DST6]);
}

/* Whether box a holds every packet of box b (b not empty). */
static bool box_covers(const struct ov *o, const struct ov_box *a,
		       const struct ov_box *b)
{
	unsigned int i;

	if ((b->fam & ~a->fam) || (b->protos & ~a->protos) ||
	    (b->frag & ~a->frag))
		return false;
	for (i = 0; i < 32; i++)
		if (b->flags[i] & ~a->flags[i])
			return false;
	for (i = 0; i < OV_NFIELDS; i++) {
		unsigned int f = field_family((enum ov_field)i);

		if (f && !(b->fam & f))
			continue;
		if (!ivl_within(o, b->s[i], a->s[i]))
			return false;
	}
	return true;
}

/* The packets in both boxes, as a box whose sets are in the pool. */
static void box_and(struct ov *o, const struct ov_box *a,
		    const struct ov_box *b, struct ov_box *x)
{
	unsigned int i;

	x->protos = a->protos & b->protos;
	x->frag = a->frag & b->frag;
	for (i = 0; i < OV_NFIELDS; i++)
		x->s[i] = ivl_and(o, a->s[i], b->s[i]);
	for (i = 0; i < 32; i++)
		x->flags[i] = a->flags[i] & b->flags[i];
	box_finish(o, x, a->fam & b->fam);
}

static enum ov_class rule_class(const struct xlb_rule *r)
{
	if (r->verdict == XLB_VERDICT_DROP)
		return OV_DROP;
	return r->verdict == XLB_VERDICT_REWRITE ? OV_REWRITE : OV_PASS;
}

static bool same_target(const struct xlb_backend *a,
			const struct xlb_backend *b)
{
	return a->has_port == b->has_port &&
	       (!a->has_port || a->port == b->port) && !a->addr == !b->addr &&
	       (!a->addr || !memcmp(&a->a, &b->a, sizeof(a->a))) &&
	       a->w == b->w;
}

/* Two rules act alike: the same verdict, and for rewrites the same
 * backends with the same weights (in any order, by any selection). */
static bool same_action(const struct xlb_rule *a, const struct xlb_rule *b)
{
	size_t i, j;

	if (a->verdict != b->verdict)
		return false;
	if (a->verdict != XLB_VERDICT_REWRITE)
		return true;
	if (a->nbackends != b->nbackends)
		return false;
	/* backends are unique within a rule (check_backends) */
	for (i = 0; i < a->nbackends; i++) {
		for (j = 0; j < b->nbackends; j++)
			if (same_target(&a->backends[i], &b->backends[j]))
				break;
		if (j == b->nbackends)
			return false;
	}
	return true;
}

/* --- the index ---------------------------------------------------------- */

static void list_push(struct ov_list *l, uint32_t v)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = v;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct ov_entry *a = pa, *b = pb;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static void index_build(struct ov *o, struct ov_group *g, enum ov_field f)
{
	struct ov_index *x = &g->ix[f];
	size_t p, k, n = 0;

	for (p = 0; p < g->n; p++)
		n += o->rule[g->rule[p]].b.s[f].n;
	x->e = xcalloc(n ? n : 1, sizeof(*x->e));
	for (p = 0; p < g->n; p++) {
		struct ov_set s = o->rule[g->rule[p]].b.s[f];

		for (k = 0; k < s.n; k++) {
			x->e[x->n].lo = ivl(o, s)[k].lo;
			x->e[x->n].hi = ivl(o, s)[k].hi;
			x->e[x->n].pos = (uint32_t)p;
			x->n++;
		}
	}
	qsort(x->e, x->n, sizeof(*x->e), entry_cmp);
	for (x->width = 1; x->width < x->n; x->width *= 2)
		;
	x->max = xcalloc(2 * x->width, sizeof(*x->max));
	for (k = 0; k < x->n; k++)
		x->max[x->width + k] = x->e[k].hi;
	for (k = x->width - 1; k > 0; k--)
		x->max[k] = x->max[2 * k] > x->max[2 * k + 1]
				    ? x->max[2 * k]
				    : x->max[2 * k + 1];
}

/* How many entries start at or below key. */
static size_t index_upto(const struct ov_index *x, ov_key key)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->e[mid].lo <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Appends to out the members of the first m entries that end at or
 * after t; false once out holds limit of them. */
static bool index_visit(const struct ov_index *x, size_t node, size_t first,
			size_t width, size_t m, ov_key t, struct ov_list *out,
			size_t limit)
{
	if (first >= m || x->max[node] < t)
		return true;
	if (width == 1) {
		if (out->n >= limit)
			return false;
		list_push(out, x->e[first].pos);
		return true;
	}
	return index_visit(x, 2 * node, first, width / 2, m, t, out, limit) &&
	       index_visit(x, 2 * node + 1, first + width / 2, width / 2, m, t,
			   out, limit);
}

/* The members with an interval that holds [lo, hi] (contain) or meets it. */
static bool index_query(const struct ov_index *x, ov_key lo, ov_key hi,
			bool contain, struct ov_list *out, size_t limit)
{
	if (!x->n)
		return true;
	if (contain)
		return index_visit(x, 1, 0, x->width, index_upto(x, lo), hi,
				   out, limit);
	return index_visit(x, 1, 0, x->width, index_upto(x, hi), lo, out,
			   limit);
}

static void ready_build(struct ov *o, struct ov_group *g)
{
	size_t k;

	for (g->width = 1; g->width < g->n; g->width *= 2)
		;
	g->ready = xmalloc(2 * g->width * sizeof(*g->ready));
	for (k = 0; k < g->width; k++)
		g->ready[g->width + k] =
			k < g->n ? o->rule[g->rule[k]].ready : OV_NONE;
	for (k = g->width - 1; k > 0; k--)
		g->ready[k] = g->ready[2 * k] < g->ready[2 * k + 1]
				      ? g->ready[2 * k]
				      : g->ready[2 * k + 1];
}

/* The first member at or after 'from' that may be reported against rule
 * j (its 'ready' is j or less), or OV_NONE. */
static size_t ready_next(const struct ov_group *g, size_t node, size_t first,
			 size_t width, size_t from, size_t j)
{
	size_t p;

	if (first + width <= from || g->ready[node] > j)
		return OV_NONE;
	if (width == 1)
		return first;
	p = ready_next(g, 2 * node, first, width / 2, from, j);
	if (p != OV_NONE)
		return p;
	return ready_next(g, 2 * node + 1, first + width / 2, width / 2, from,
			  j);
}

static void group_add(struct ov *o, size_t k)
{
	const struct ov_rule *r = &o->rule[k];
	unsigned int key =
		((unsigned int)r->cls << (OV_PROTO_BITS + OV_SIG_BITS)) |
		r->b.protos << OV_SIG_BITS | r->b.sig_all;
	struct ov_group *g = o->group[key];

	if (!g) {
		g = xcalloc(1, sizeof(*g));
		g->cls = r->cls;
		g->protos = r->b.protos;
		g->sig = r->b.sig_all;
		o->group[key] = g;
		o->used = xrealloc(o->used, (o->nused + 1) * sizeof(*o->used));
		o->used[o->nused++] = g;
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 16;
		g->rule = xrealloc(g->rule, g->cap * sizeof(*g->rule));
	}
	g->rule[g->n++] = (uint32_t)k;
}

static void ov_init(struct ov *o, const struct xlb_ruleset *rs)
{
	const struct xlb_rule *r;
	size_t k = 0;
	unsigned int f;

	memset(o, 0, sizeof(*o));
	for (r = rs->rules; r; r = r->next)
		k++;
	o->rule = xcalloc(k ? k : 1, sizeof(*o->rule));
	o->group = xcalloc(OV_NGROUPS, sizeof(*o->group));
	/* the whole ranges, as ov_full says */
	pool_push(o, 0, 0xffffffffu);
	pool_push(o, 0, ~(ov_key)0);
	pool_push(o, 0, 0xffff);
	pool_push(o, 0, 0xff);
	for (r = rs->rules; r; r = r->next) {
		struct ov_rule *x = &o->rule[o->n++];

		x->r = r;
		x->cls = rule_class(r);
		x->shadow = OV_NONE;
		x->ready = OV_NONE;
		x->taker = OV_NONE;
		rule_box(o, r, &x->b);
	}
	o->stamp = xcalloc(o->n ? o->n : 1, sizeof(*o->stamp));
	for (k = 0; k < o->n; k++)
		if (o->rule[k].b.fam) /* a rule that matches nothing stays out */
			group_add(o, k);
	for (k = 0; k < o->nused; k++)
		for (f = 0; f < OV_NFIELDS; f++)
			if (o->used[k]->sig & field_sig((enum ov_field)f))
				index_build(o, o->used[k], (enum ov_field)f);
}

static void ov_free(struct ov *o)
{
	size_t k, f;

	for (k = 0; k < o->nused; k++) {
		struct ov_group *g = o->used[k];

		for (f = 0; f < OV_NFIELDS; f++) {
			free(g->ix[f].e);
			free(g->ix[f].max);
		}
		free(g->rule);
		free(g->ready);
		free(g);
	}
	for (k = 0; k < ARRAY_SIZE(o->cand); k++)
		free(o->cand[k].v);
	for (k = 0; k < ARRAY_SIZE(o->take); k++)
		free(o->take[k].v);
	free(o->group);
	free(o->used);
	free(o->stamp);
	free(o->pool);
	free(o->rule);
}

/* --- searches ------------------------------------------------------------- */

/* The fields of each signature bit, in the order of the bits. */
static const enum ov_field sig_fields[][2] = {
	{ OV_SRC4, OV_SRC6 },	  { OV_DST4, OV_DST6 },
	{ OV_SPORT, OV_NFIELDS }, { OV_DPORT, OV_NFIELDS },
	{ OV_TYPE, OV_NFIELDS },
};

/*
 * The members of g that may hold box x (contain) or meet it: in the field
 * of sigs that gives the fewest, those with an interval that holds x's
 * first one (in x's first family), or that meets one of x's.  A member may
 * be listed more than once.  NULL when no member can hold x.  The lists
 * are made in pair[0] and pair[1].
 */
static const struct ov_list *candidates(struct ov *o, const struct ov_group *g,
					const struct ov_box *x,
					unsigned int sigs, bool contain,
					struct ov_list *pair)
{
	struct ov_list *best = NULL, *try = &pair[0];
	unsigned int b, h;
	size_t k;

	for (b = 0; b < ARRAY_SIZE(sig_fields); b++) {
		bool whole = true;

		if (!(sigs & 1u << b))
			continue;
		try->n = 0;
		for (h = 0; h < 2 && whole; h++) {
			enum ov_field f = sig_fields[b][h];
			unsigned int fam = field_family(f);
			struct ov_set s;

			if (f == OV_NFIELDS || (fam && !(x->fam & fam)) ||
			    (contain && h && (x->fam & XLB_FAM_IP4)))
				continue;
			s = x->s[f];
			/* g's members test f in all their families */
			if (contain && set_full(o, s, f))
				return NULL;
			for (k = 0; k < (contain ? 1 : s.n) && whole; k++)
				whole = index_query(&g->ix[f], ivl(o, s)[k].lo,
						    ivl(o, s)[k].hi, contain,
						    try,
						    best ? best->n : SIZE_MAX);
		}
		if (!whole)
			continue;
		best = try;
		try = best == &pair[0] ? &pair[1] : &pair[0];
		if (!best->n)
			break;
	}
	return best;
}

/* The first member of g numbered rn or more. */
static size_t member_from(const struct ov_group *g, size_t rn)
{
	size_t lo = 0, hi = g->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->rule[mid] < rn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool cover_ok(const struct ov *o, size_t rn, const struct ov_box *x,
		     const struct ov_rule *like)
{
	const struct ov_rule *c = &o->rule[rn];

	if (like && (c->dead || !same_action(c->r, like->r)))
		return false;
	return box_covers(o, &c->b, x);
}

/* Whether rule rn is better than best: earlier, or with last, later. */
static bool better(size_t rn, size_t best, bool last)
{
	return best == OV_NONE || (last ? rn > best : rn < best);
}

/*
 * The first rule numbered in [lo, hi) whose box holds box x (with last,
 * the last such rule), or OV_NONE.  With like, only rules that match
 * something and act like it.
 */
static size_t find_cover(struct ov *o, const struct ov_box *x, size_t lo,
			 size_t hi, const struct ov_rule *like, bool last)
{
	size_t best = OV_NONE, k, p;

	for (k = 0; k < o->nused; k++) {
		const struct ov_group *g = o->used[k];
		const struct ov_list *c;

		if ((like && g->cls != like->cls) || (x->protos & ~g->protos) ||
		    (g->sig & ~x->sig_any))
			continue;
		if (!(g->sig & OV_SIG_INDEXED)) {
			size_t from = member_from(g, lo),
			       to = member_from(g, hi);

			for (p = 0; p < to - from; p++) {
				size_t rn =
					g->rule[last ? to - 1 - p : from + p];

				if (!better(rn, best, last))
					break;
				if (cover_ok(o, rn, x, like)) {
					best = rn;
					break;
				}
			}
			continue;
		}
		c = candidates(o, g, x, g->sig, true, o->cand);
		for (p = 0; c && p < c->n; p++) {
			size_t rn = g->rule[c->v[p]];

			if (rn >= lo && rn < hi && better(rn, best, last) &&
			    cover_ok(o, rn, x, like))
				best = rn;
		}
	}
	return best;
}

/*
 * Whether earlier rule i takes packets that rule j would handle another
 * way: they act differently, some packet matches both, i is not a part
 * carved out of j, and no rule before i takes all the packets of both.
 */
static bool takes_from(struct ov *o, size_t i, size_t j)
{
	const struct ov_rule *ri = &o->rule[i], *rj = &o->rule[j];
	size_t mark = o->npool;
	struct ov_box x;
	bool taken;

	if (same_action(ri->r, rj->r) || !box_meet(o, &ri->b, &rj->b) ||
	    box_covers(o, &rj->b, &ri->b))
		return false;
	box_and(o, &ri->b, &rj->b, &x);
	taken = find_cover(o, &x, 0, i, NULL, false) == OV_NONE;
	o->npool = mark;
	return taken;
}

static int u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

	return a < b ? -1 : a > b;
}

/* The first earlier rule that takes packets from rule j (takes_from), of
 * an action that is reported (xlb-rules(5)), or OV_NONE. */
static size_t find_taker(struct ov *o, size_t j)
{
	const struct ov_rule *rj = &o->rule[j];
	struct ov_list *sorted = &o->take[2];
	size_t best = j, k, p;

	for (k = 0; k < o->nused; k++) {
		const struct ov_group *g = o->used[k];
		unsigned int sigs = g->sig & OV_SIG_INDEXED & rj->b.sig_any;
		const struct ov_list *c;

		/* weaker actions only, and rewrites to other backends */
		if (!(g->cls > rj->cls ||
		      (g->cls == OV_REWRITE && rj->cls == OV_REWRITE)) ||
		    !(g->protos & rj->b.protos))
			continue;
		if (!sigs) {
			/* every member meets rj in the fields they test */
			for (p = ready_next(g, 1, 0, g->width, 0, j);
			     p != OV_NONE && g->rule[p] < best;
			     p = ready_next(g, 1, 0, g->width, p + 1, j)) {
				if (takes_from(o, g->rule[p], j)) {
					best = g->rule[p];
					break;
				}
			}
			continue;
		}
		c = candidates(o, g, &rj->b, sigs, false, o->take);
		o->now++;
		sorted->n = 0;
		for (p = 0; p < c->n; p++) {
			uint32_t rn = g->rule[c->v[p]];

			if (rn >= best || o->rule[rn].ready > j ||
			    o->stamp[rn] == o->now)
				continue;
			o->stamp[rn] = o->now;
			list_push(sorted, rn);
		}
		if (sorted->n)
			qsort(sorted->v, sorted->n, sizeof(*sorted->v),
			      u32_cmp);
		for (p = 0; p < sorted->n; p++) {
			if (takes_from(o, sorted->v[p], j)) {
				best = sorted->v[p];
				break;
			}
		}
	}
	return best < j ? best : OV_NONE;
}

/* --- the packets, in words ------------------------------------------------ */

/* A prefix of a condition, with its addresses as an interval. */
struct ov_pfx {
	ov_key lo, hi;
	const struct xlb_prefix *p;
};

/* In the order of a condition's prefixes: a wholly before b. */
static bool pfx_before(const struct ov_pfx *a, const struct ov_pfx *b)
{
	if (a->p->a.family != b->p->a.family)
		return a->p->a.family < b->p->a.family;
	return a->hi < b->lo;
}

/* By family, start, then the wider first: a prefix after any that holds it. */
static int pfx_order(const struct ov_pfx *a, const struct ov_pfx *b)
{
	if (a->p->a.family != b->p->a.family)
		return a->p->a.family < b->p->a.family ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->hi > b->hi ? -1 : a->hi < b->hi;
}

static bool pfx_within(const struct ov_pfx *in, const struct ov_pfx *out)
{
	return in->p->a.family == out->p->a.family && in->lo >= out->lo &&
	       in->hi <= out->hi;
}

/* The prefixes of c in the families fam, in c's order. */
static size_t cond_prefixes(const struct xlb_cond *c, unsigned int fam,
			    struct ov_pfx **out)
{
	size_t i, n = 0;

	*out = xcalloc(c->npfx ? c->npfx : 1, sizeof(**out));
	for (i = 0; i < c->npfx; i++) {
		struct ov_ivl v;

		if (!(c->pfx[i].a.family & fam))
			continue;
		v = prefix_ivl(&c->pfx[i]);
		(*out)[n].lo = v.lo;
		(*out)[n].hi = v.hi;
		(*out)[n].p = &c->pfx[i];
		n++;
	}
	return n;
}

/* The set a condition names, when its value is '@NAME'. */
static const char *cond_set_name(const struct xlb_cond *c)
{
	const struct xlb_elem *e = c->m ? c->m->elems : NULL;

	if (e && !e->next && e->kind == XLB_ELEM_SET)
		return e->text;
	return NULL;
}

/* The name of c's set if v is all of c's prefixes. */
static const char *name_if_all(const struct xlb_cond *c, const struct ov_pfx *v,
			       size_t n)
{
	size_t i;

	if (!c->set || n != c->npfx)
		return NULL;
	for (i = 0; i < n; i++)
		if (v[i].p->a.family != c->pfx[i].a.family ||
		    v[i].p->plen != c->pfx[i].plen ||
		    memcmp(v[i].p->a.addr, c->pfx[i].a.addr,
			   sizeof(v[i].p->a.addr)))
			return NULL;
	return cond_set_name(c);
}

static void put_prefix(struct strbuf *sb, const struct xlb_prefix *p)
{
	char buf[64];

	xlb_addr_format(&p->a, buf, sizeof(buf));
	strbuf_puts(sb, buf);
	if (p->plen != (p->a.family == XLB_FAM_IP4 ? 32u : 128u))
		strbuf_printf(sb, "/%u", p->plen);
}

/* "1.1.1.1", "{ 10.0.0.0/8, 2001:db8::/32 }", "10.0.0.0/8 and 3 more
 * prefixes", or "@name" for all of a set. */
static void put_prefixes(struct strbuf *sb, const struct ov_pfx *v, size_t n,
			 const struct xlb_cond *a, const struct xlb_cond *b)
{
	const char *name = name_if_all(a, v, n);
	size_t i;

	if (!name)
		name = name_if_all(b, v, n);
	if (name) {
		strbuf_printf(sb, "@%s", name);
	} else if (n == 1) {
		put_prefix(sb, v[0].p);
	} else if (n > 3) {
		put_prefix(sb, v[0].p);
		strbuf_printf(sb, " and %zu more prefixes", n - 1);
	} else {
		strbuf_puts(sb, "{ ");
		for (i = 0; i < n; i++) {
			strbuf_puts(sb, i ? ", " : "");
			put_prefix(sb, v[i].p);
		}
		strbuf_puts(sb, " }");
	}
}

/*
 * The addresses that both conditions accept, in the families fam, in
 * words; false when neither tests them.  *named is set when the words
 * name addresses ("outside ..." alone does not).
 */
static bool addr_words(const struct xlb_cond *a, const struct xlb_cond *b,
		       unsigned int fam, struct strbuf *sb, bool *named)
{
	struct ov_pfx *pa, *pb, *res, *exc;
	size_t na, nb, nr = 0, ne = 0, i = 0, j = 0;

	*named = false;
	if (!a->set && !b->set)
		return false;
	/* a is tested, and is the positive one of a mixed pair */
	if (!a->set || (b->set && a->neg && !b->neg)) {
		const struct xlb_cond *t = a;

		a = b;
		b = t;
	}
	na = cond_prefixes(a, fam, &pa);
	nb = b->set ? cond_prefixes(b, fam, &pb) : 0;
	if (!b->set)
		pb = NULL;
	res = xcalloc(na + nb + 1, sizeof(*res));
	exc = xcalloc(nb + 1, sizeof(*exc));
	if (!b->set) {
		memcpy(res, pa, na * sizeof(*res));
		nr = na;
	} else if (!a->neg && !b->neg) {
		/* each pair that meets: the narrower prefix */
		while (i < na && j < nb) {
			if (pfx_before(&pa[i], &pb[j])) {
				i++;
			} else if (pfx_before(&pb[j], &pa[i])) {
				j++;
			} else {
				res[nr++] = pfx_within(&pa[i], &pb[j]) ? pa[i]
								       : pb[j];
				if (pa[i].hi <= pb[j].hi)
					i++;
				else
					j++;
			}
		}
	} else if (!a->neg) {
		/* a's prefixes outside b's, except b's inside them */
		for (i = 0; i < na; i++) {
			while (j < nb && pfx_before(&pb[j], &pa[i]))
				j++;
			if (j < nb && pfx_within(&pa[i], &pb[j]))
				continue;
			res[nr++] = pa[i];
			for (; j < nb && pfx_within(&pb[j], &pa[i]); j++)
				exc[ne++] = pb[j];
		}
	} else {
		/* outside both: the widest of the prefixes of either */
		while (i < na || j < nb) {
			const struct ov_pfx *p;

			if (j == nb ||
			    (i < na && pfx_order(&pa[i], &pb[j]) <= 0))
				p = &pa[i++];
			else
				p = &pb[j++];
			if (!nr || !pfx_within(p, &res[nr - 1]))
				res[nr++] = *p;
		}
	}
	if (a->neg && (!b->set || b->neg)) {
		strbuf_puts(sb, "outside ");
	} else {
		*named = true;
	}
	put_prefixes(sb, res, nr, a, b);
	if (ne) {
		strbuf_puts(sb, " except ");
		put_prefixes(sb, exc, ne, b, b);
	}
	free(pa);
	free(pb);
	free(res);
	free(exc);
	return true;
}

static void put_value(struct strbuf *sb, uint32_t v, enum ov_field f,
		      unsigned int protos)
{
	const struct xlb_name_value *t =
		protos == OV_ICMP6 ? xlb_icmp6_types : xlb_icmp_types;

	if (f == OV_TYPE && (protos == OV_ICMP || protos == OV_ICMP6))
		for (; t->name; t++)
			if (t->value == v) {
				strbuf_puts(sb, t->name);
				return;
			}
	strbuf_printf(sb, "%u", (unsigned int)v);
}

/* A value, or a range of them (in numbers, even for ICMP types). */
static void put_range(struct strbuf *sb, const struct ov_ivl *v,
		      enum ov_field f, unsigned int protos)
{
	if (v->hi == v->lo)
		put_value(sb, (uint32_t)v->lo, f, protos);
	else
		strbuf_printf(sb, "%u-%u", (unsigned int)v->lo,
			      (unsigned int)v->hi);
}

/* Ports or ICMP types of field f of box x, in words: "9875",
 * "{ 22, 80 }", "22 and 5 more", "other than 22", "@web". */
static void range_words(struct ov *o, const struct ov_box *x, enum ov_field f,
			const struct ov_rule *const *two, struct strbuf *sb)
{
	static const enum xlb_match_kind kind[OV_NFIELDS] = {
		[OV_SPORT] = XLB_MATCH_SPORT,
		[OV_DPORT] = XLB_MATCH_DPORT,
		[OV_TYPE] = XLB_MATCH_TYPE,
	};
	struct ov_set s = x->s[f];
	struct ov_builder b;
	size_t i;

	for (i = 0; i < 2; i++) {
		const struct xlb_cond *c = &two[i]->r->cond[kind[f]];
		const char *name = c->set ? cond_set_name(c) : NULL;

		if (name && set_equal(o, s, two[i]->b.s[f])) {
			strbuf_printf(sb, "%s@%s", c->neg ? "other than " : "",
				      name);
			return;
		}
	}
	/* the complement, if it is the shorter list */
	build_start(&b, o, true, field_max(f));
	for (i = 0; i < x->s[f].n; i++)
		build_add(&b, ivl(o, x->s[f])[i].lo, ivl(o, x->s[f])[i].hi);
	b.s = build_end(&b);
	if (b.s.n < s.n) {
		strbuf_puts(sb, "other than ");
		s = b.s;
	}
	if (s.n > 3) {
		put_range(sb, ivl(o, s), f, x->protos);
		strbuf_printf(sb, " and %u more", (unsigned int)s.n - 1);
	} else if (s.n > 1) {
		strbuf_puts(sb, "{ ");
		for (i = 0; i < s.n; i++) {
			strbuf_puts(sb, i ? ", " : "");
			put_range(sb, &ivl(o, s)[i], f, x->protos);
		}
		strbuf_puts(sb, " }");
	} else {
		put_range(sb, ivl(o, s), f, x->protos);
	}
}

static void put_flag_names(struct strbuf *sb, unsigned int bits)
{
	const struct xlb_name_value *t;
	bool first = true;

	for (t = xlb_tcp_flags; t->name; t++) {
		if (!(bits & t->value))
			continue;
		strbuf_printf(sb, "%s%s", first ? "" : ",", t->name);
		first = false;
	}
}

/* "with flags syn / syn,ack", "without flags syn,ack" */
static void put_flags_cond(struct strbuf *sb, const struct xlb_cond *c)
{
	strbuf_puts(sb, c->neg ? "without flags " : "with flags ");
	if (!c->fany) {
		put_flag_names(sb, c->fvalue);
		strbuf_puts(sb, " / ");
	}
	put_flag_names(sb, c->fmask);
}

static bool flags_are(const uint8_t *flags, const struct xlb_cond *c)
{
	uint8_t those[32];

	flag_bytes(c, those);
	return !memcmp(flags, those, sizeof(those));
}

/* The TCP flag bytes of x, in words, after a blank; nothing for all. */
static void flags_words(const struct ov_box *x, const struct xlb_rule *ri,
			const struct xlb_rule *rj, struct strbuf *sb)
{
	const struct xlb_cond *ci = &ri->cond[XLB_MATCH_FLAGS],
			      *cj = &rj->cond[XLB_MATCH_FLAGS];
	unsigned int f, n = 0, all = 0xff, any = 0, mask, bits = 0;

	if (flags_all(x->flags))
		return;
	strbuf_putc(sb, ' ');
	if (ci->set && flags_are(x->flags, ci)) {
		put_flags_cond(sb, ci);
		return;
	}
	if (cj->set && flags_are(x->flags, cj)) {
		put_flags_cond(sb, cj);
		return;
	}
	/* (flags & mask) == value: the bits all these bytes agree on */
	for (f = 0; f < 256; f++) {
		if (!(x->flags[f / 8] & (1u << (f % 8))))
			continue;
		n++;
		all &= f;
		any |= f;
	}
	mask = (all | ~any) & 0xff;
	for (f = mask; f; f &= f - 1)
		bits++;
	if (n == 256u >> bits) {
		strbuf_puts(sb, all ? "with flags " : "without flags ");
		if (all) {
			put_flag_names(sb, all);
			strbuf_puts(sb, " / ");
		}
		put_flag_names(sb, mask);
		return;
	}
	put_flags_cond(sb, ci);
	strbuf_puts(sb, " and ");
	put_flags_cond(sb, cj);
}

/* The protocol word, or NULL when there is nothing to say. */
static const char *proto_word(unsigned int protos, bool ports)
{
	switch (protos) {
	case OV_UDP:
		return "udp";
	case OV_TCP:
		return "tcp";
	case OV_ICMP:
		return "icmp";
	case OV_ICMP6:
		return "icmpv6";
	case OV_UDP | OV_TCP:
		return ports ? NULL : "udp and tcp";
	}
	return NULL;
}

/* "from 1.1.1.1 udp port 53", "to 192.0.2.1", "to port 80" */
static void put_end(struct strbuf *sb, const char *dir, bool has_addr,
		    const struct strbuf *addr, bool has_port, const char *proto,
		    const struct strbuf *port)
{
	if (!has_addr && !has_port)
		return;
	strbuf_printf(sb, " %s", dir);
	if (has_addr)
		strbuf_printf(sb, " %s", addr->buf);
	if (has_port)
		strbuf_printf(sb, " %s%sport %s", proto ? proto : "",
			      proto ? " " : "", port->buf);
}

/* The packets of box x, the intersection of rules ri and rj, in the
 * language's own terms: "packets from 1.1.1.1 to udp port 9875". */
static void describe(struct ov *o, const struct ov_rule *ri,
		     const struct ov_rule *rj, const struct ov_box *x,
		     struct strbuf *sb)
{
	const struct ov_rule *const two[2] = { ri, rj };
	struct strbuf src = STRBUF_INIT, dst = STRBUF_INIT, sport = STRBUF_INIT,
		      dport = STRBUF_INIT, type = STRBUF_INIT;
	bool has_sport = !set_full(o, x->s[OV_SPORT], OV_SPORT);
	bool has_dport = !set_full(o, x->s[OV_DPORT], OV_DPORT);
	bool has_type = !set_full(o, x->s[OV_TYPE], OV_TYPE);
	const char *proto = proto_word(x->protos, has_sport || has_dport);
	bool has_src, has_dst, named_src, named_dst;

	has_src = addr_words(&ri->r->cond[XLB_MATCH_SRC],
			     &rj->r->cond[XLB_MATCH_SRC], x->fam, &src,
			     &named_src);
	has_dst = addr_words(&ri->r->cond[XLB_MATCH_DST],
			     &rj->r->cond[XLB_MATCH_DST], x->fam, &dst,
			     &named_dst);
	if (has_sport)
		range_words(o, x, OV_SPORT, two, &sport);
	if (has_dport)
		range_words(o, x, OV_DPORT, two, &dport);
	if (has_type)
		range_words(o, x, OV_TYPE, two, &type);

	/* the family, unless the addresses or the protocol say it */
	if (x->fam != XLB_FAM_ANY && !named_src && !named_dst &&
	    (x->protos & ~(OV_ICMP | OV_ICMP6)))
		strbuf_puts(sb, x->fam == XLB_FAM_IP4 ? "IPv4 " : "IPv6 ");
	if (proto && !has_sport && !has_dport)
		strbuf_printf(sb, "%s ", proto);
	strbuf_puts(sb, "packets");
	put_end(sb, "from", has_src, &src, has_sport, has_dport ? NULL : proto,
		&sport);
	put_end(sb, "to", has_dst, &dst, has_dport, proto, &dport);
	if (has_type)
		strbuf_printf(sb, " of type %s", type.buf);
	flags_words(x, ri->r, rj->r, sb);
	strbuf_release(&src);
	strbuf_release(&dst);
	strbuf_release(&sport);
	strbuf_release(&dport);
	strbuf_release(&type);
}

/* What a rule does to a packet, and the name of that. */
static const char *verb(const struct xlb_rule *r)
{
	if (r->verdict == XLB_VERDICT_REWRITE)
		return r->nbackends > 1 ? "load-balanced" : "rewritten";
	return r->verdict == XLB_VERDICT_DROP ? "dropped" : "passed";
}

static const char *noun(const struct xlb_rule *r)
{
	if (r->verdict == XLB_VERDICT_REWRITE)
		return r->nbackends > 1 ? "load-balancing" : "rewrite";
	return r->verdict == XLB_VERDICT_DROP ? "drop" : "pass";
}

/* "3", or "1:1" and "1:34" for two rules on one line. */
static void rule_place(const struct xlb_rule *r, const struct xlb_rule *other,
		       char *buf, size_t len)
{
	if (r->loc.first_line == other->loc.first_line)
		snprintf(buf, len, "%u:%u", r->loc.first_line,
			 r->loc.first_column);
	else
		snprintf(buf, len, "%u", r->loc.first_line);
}

static void warn_overlap(struct ov *o, size_t i, size_t j, struct xlb_diags *d)
{
	const struct ov_rule *ri = &o->rule[i], *rj = &o->rule[j];
	struct strbuf what = STRBUF_INIT;
	size_t mark = o->npool;
	char li[32], lj[32];
	struct ov_box x;

	box_and(o, &ri->b, &rj->b, &x);
	describe(o, ri, rj, &x, &what);
	o->npool = mark;
	rule_place(ri->r, rj->r, li, sizeof(li));
	rule_place(rj->r, ri->r, lj, sizeof(lj));
	if (ri->cls == OV_REWRITE && rj->cls == OV_REWRITE)
		xlb_warning(
			d, &rj->r->loc,
			"%s are %s by line %s, not sent to other backends by line %s; exclude them from one of the two rules if that is not what you mean",
			what.buf, verb(ri->r), li, lj);
	else
		xlb_warning(
			d, &rj->r->loc,
			"%s are %s by line %s, not %s by line %s; put the %s first if that is what you mean",
			what.buf, verb(ri->r), li, verb(rj->r), lj,
			noun(rj->r));
	xlb_note(d, &ri->r->loc, "this rule matches them first");
	strbuf_release(&what);
}

void xlb_check_overlaps(const struct xlb_ruleset *rs, struct xlb_diags *d)
{
	size_t i, j, k, shown = 0, overlaps = 0;
	struct ov o;

	ov_init(&o, rs);

	/* rules that one earlier rule shadows entirely */
	for (j = 0; j < o.n; j++) {
		struct ov_rule *rj = &o.rule[j];

		if (rj->b.fam)
			rj->shadow = find_cover(&o, &rj->b, 0, j, NULL, false);
		rj->dead = rj->shadow != OV_NONE;
	}

	/*
	 * From which rule on each passing or rewriting rule can be reported:
	 * the one after it, or after the last later rule that acts the same
	 * on all its packets (it is then an exception to the rules between,
	 * as 'pass tcp port 22' before 'drop tcp flags syn' and 'pass tcp').
	 */
	for (i = 0; i < o.n; i++) {
		struct ov_rule *ri = &o.rule[i];

		if (ri->cls == OV_DROP || ri->dead || !ri->b.fam)
			continue;
		k = find_cover(&o, &ri->b, i + 1, o.n, ri, true);
		ri->ready = (k == OV_NONE ? i : k) + 1;
	}
	for (k = 0; k < o.nused; k++)
		ready_build(&o, o.used[k]);

	/* rules that an earlier one with another action takes packets from */
	for (j = 0; j < o.n; j++) {
		struct ov_rule *rj = &o.rule[j];

		if (rj->dead || !rj->b.fam || rj->cls == OV_PASS)
			continue;
		rj->taker = find_taker(&o, j);
		overlaps += rj->taker != OV_NONE;
	}

	/* in file order, so that the ones shown are the first */
	for (j = 0; j < o.n; j++) {
		const struct ov_rule *rj = &o.rule[j];

		if (rj->dead) {
			xlb_warning(
				d, &rj->r->loc,
				"this rule never matches: the rule on line %u matches every packet it would",
				o.rule[rj->shadow].r->loc.first_line);
			xlb_note(d, &o.rule[rj->shadow].r->loc,
				 "this rule matches first");
		}
		if (rj->taker == OV_NONE || shown == XLB_MAX_OVERLAPS)
			continue;
		warn_overlap(&o, rj->taker, j, d);
		if (++shown == XLB_MAX_OVERLAPS && overlaps > shown)
			xlb_note(d, NULL, "%zu more overlaps not shown",
				 overlaps - shown);
	}
	ov_free(&o);
}
