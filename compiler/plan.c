// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * plan.c - the planning pass (plan.h): rules cut into units, and the
 * segment tables of the units that are lookups.
 *
 * Grouping.  Two rules can share a lookup on key K when everything but
 * K's values is the same: family, protocol, which tests they have and
 * which are negated, what they read of the transport header, and the
 * values of every other test.  That is a rule's signature for K.  Each
 * rule counts the rules with its signature for each K it could be looked
 * up by, joins the largest such group, and is tested alone when no group
 * reaches XLB_LOOKUP_MIN.  The rules' actions may differ: the program
 * finds the action by the rule's number.
 *
 * A unit's rules share all tests but the key, so the first rule whose key
 * covers the packet's value is the first rule of the unit that decides the
 * packet, if any of them does.  Everything here is O(n log n) in the
 * number of rules and values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

typedef unsigned __int128 u128;

/* The keys a rule can be looked up by, in the order ties are broken. */
static const enum xlb_match_kind key_kinds[] = {
	XLB_MATCH_SRC, XLB_MATCH_DST, XLB_MATCH_DPORT, XLB_MATCH_SPORT,
	XLB_MATCH_TYPE,
};
#define NKEYS ARRAY_SIZE(key_kinds)

unsigned int xlb_plan_steps(size_t n)
{
	unsigned int k = 0;

	while (((size_t)1 << k) < n)
		k++;
	return k;
}

/* --- signatures ------------------------------------------------------ */

static void put_u32(struct strbuf *sb, uint32_t v)
{
	strbuf_add(sb, (const char *)&v, sizeof(v));
}

/* Everything that decides whether r matches a packet, except the values
 * of key (XLB_MATCH_KINDS: none left out). */
static void signature(const struct xlb_rule *r, enum xlb_match_kind key,
		      struct strbuf *sb)
{
	unsigned int k;
	size_t i;

	sb->len = 0;
	put_u32(sb, r->family);
	put_u32(sb, r->proto);
	put_u32(sb, xlb_rule_needs_l4(r) | xlb_rule_needs_whole_l4(r) << 1);
	for (k = XLB_MATCH_SRC; k < XLB_MATCH_KINDS; k++) {
		const struct xlb_cond *c = &r->cond[k];

		if (!c->set)
			continue;
		put_u32(sb, k | (c->neg ? 0x100 : 0) | (k == key ? 0x200 : 0));
		if (k == key)
			continue;
		switch (k) {
		case XLB_MATCH_SRC:
		case XLB_MATCH_DST:
			put_u32(sb, (uint32_t)c->npfx);
			for (i = 0; i < c->npfx; i++) {
				put_u32(sb, c->pfx[i].a.family |
						    c->pfx[i].plen << 8);
				strbuf_add(sb, (const char *)c->pfx[i].a.addr,
					   16);
			}
			break;
		case XLB_MATCH_FLAGS:
			put_u32(sb, c->fmask | c->fvalue << 8 |
					    (uint32_t)c->fany << 16);
			break;
		default:
			put_u32(sb, (uint32_t)c->nrng);
			for (i = 0; i < c->nrng; i++) {
				put_u32(sb, c->rng[i].lo);
				put_u32(sb, c->rng[i].hi);
			}
			break;
		}
	}
}

/* Signatures, each stored once, in an open-addressing table. */
struct sigtab {
	struct bucket {
		uint64_t hash;
		size_t off, len; /* in arena */
		size_t count;	 /* rules that have it */
		size_t chosen;	 /* rules that joined it */
		size_t unit;	 /* its unit, once made, + 1 */
	} *b;
	size_t *slot; /* bucket + 1, or 0 */
	size_t n, cap, nslot;
	struct strbuf arena;
};

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void sigtab_grow(struct sigtab *t)
{
	size_t i, j, nslot = t->nslot ? 2 * t->nslot : 1024;

	free(t->slot);
	t->slot = xcalloc(nslot, sizeof(*t->slot));
	t->nslot = nslot;
	for (i = 0; i < t->n; i++) {
		for (j = t->b[i].hash & (nslot - 1); t->slot[j];
		     j = (j + 1) & (nslot - 1))
			;
		t->slot[j] = i + 1;
	}
}

/* The bucket of a signature, made if new. */
static size_t sigtab_get(struct sigtab *t, const struct strbuf *sig)
{
	uint64_t h = fnv1a(sig->buf, sig->len);
	size_t j;

	if (2 * (t->n + 1) > t->nslot)
		sigtab_grow(t);
	for (j = h & (t->nslot - 1); t->slot[j]; j = (j + 1) & (t->nslot - 1)) {
		struct bucket *b = &t->b[t->slot[j] - 1];

		if (b->hash == h && b->len == sig->len &&
		    !memcmp(t->arena.buf + b->off, sig->buf, sig->len))
			return t->slot[j] - 1;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->b = xrealloc(t->b, t->cap * sizeof(*t->b));
	}
	t->b[t->n] = (struct bucket){ .hash = h, .off = t->arena.len,
				      .len = sig->len };
	strbuf_add(&t->arena, sig->buf, sig->len);
	t->slot[j] = ++t->n;
	return t->n - 1;
}

/* --- segment tables -------------------------------------------------- */

struct segbuf {
	u128 *start;
	uint32_t *rule;
	size_t n, cap;
};

/* Segment from start on: rule (merging with the one before when equal). */
static void seg_emit(struct segbuf *s, u128 start, uint32_t rule)
{
	if (s->n && s->start[s->n - 1] == start) {
		s->rule[s->n - 1] = rule;
		if (s->n >= 2 && s->rule[s->n - 2] == rule)
			s->n--;
		return;
	}
	if (s->n && s->rule[s->n - 1] == rule)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->start = xrealloc(s->start, s->cap * sizeof(*s->start));
		s->rule = xrealloc(s->rule, s->cap * sizeof(*s->rule));
	}
	s->start[s->n] = start;
	s->rule[s->n] = rule;
	s->n++;
}

static void seg_finish(struct segbuf *s, unsigned int width,
		       struct xlb_segs *out)
{
	size_t i;
	unsigned int w;

	out->width = width;
	out->n = s->n;
	out->start = xmalloc(s->n * width * sizeof(*out->start));
	out->rule = s->rule;
	for (i = 0; i < s->n; i++)
		for (w = 0; w < width; w++)
			out->start[i * width + w] =
				(uint32_t)(s->start[i] >> (32 * (width - 1 - w)));
	free(s->start);
}

struct item {
	u128 lo, hi;
	uint32_t rule;
};

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi) /* the larger first: it contains the other */
		return x->hi > y->hi ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static u128 addr_value(const struct xlb_addr *a)
{
	unsigned int n = a->family == XLB_FAM_IP6 ? 16 : 4, i;
	u128 v = 0;

	for (i = 0; i < n; i++)
		v = v << 8 | a->addr[i];
	return v;
}

/*
 * The segments of some prefixes of one family, as a segbuf.  Prefixes are
 * laminar (two are nested or apart): sorted by start, the larger first,
 * they are walked with a stack of the open ones, each holding the first
 * rule of itself and those around it.
 */
static void build_segs(struct item *it, size_t n, u128 max, struct segbuf *s)
{
	struct item *stack = xmalloc((n ? n : 1) * sizeof(*stack));
	size_t i, sp = 0;

	qsort(it, n, sizeof(*it), item_cmp);
	seg_emit(s, 0, XLB_PLAN_NONE);
	for (i = 0; i <= n; i++) {
		/* close the prefixes that end before this one starts */
		while (sp && (i == n || stack[sp - 1].hi < it[i].lo)) {
			u128 end = stack[--sp].hi;

			if (end != max)
				seg_emit(s, end + 1,
					 sp ? stack[sp - 1].rule : XLB_PLAN_NONE);
		}
		if (i == n)
			break;
		stack[sp] = it[i];
		if (sp && stack[sp - 1].rule < it[i].rule)
			stack[sp].rule = stack[sp - 1].rule;
		seg_emit(s, it[i].lo, stack[sp].rule);
		sp++;
	}
	free(stack);
}

/* The rule of the segment holding v. */
static uint32_t seg_rule_at(const struct segbuf *s, u128 v)
{
	size_t lo = 0, hi = s->n; /* the answer is in [lo, hi) */

	if (!s->n)
		return XLB_PLAN_NONE;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->start[mid] <= v)
			lo = mid;
		else
			hi = mid;
	}
	return s->rule[lo];
}

static void key_words(u128 v, unsigned int width, uint32_t *w)
{
	unsigned int i;

	for (i = 0; i < width; i++)
		w[i] = (uint32_t)(v >> (32 * (width - 1 - i)));
}

/* Linear probing of n keys into 2^bits slots with multiplier mult: the
 * longest probe sequence (with rule, also the table). */
static unsigned int hash_fill(const struct item *it, size_t n,
			      unsigned int width, unsigned int bits,
			      uint32_t mult, uint32_t *key, uint32_t *rule)
{
	size_t slots = (size_t)1 << bits, mask = slots - 1, i, j;
	bool *used = xcalloc(slots, sizeof(*used));
	unsigned int longest = 0, probe;
	uint32_t w[4];

	for (i = 0; i < n; i++) {
		key_words(it[i].lo, width, w);
		j = (size_t)((uint32_t)(xlb_plan_mix(w, width) * mult) >>
			     (32 - bits));
		for (probe = 1; used[j]; probe++)
			j = (j + 1) & mask;
		used[j] = true;
		if (probe > longest)
			longest = probe;
		if (rule) {
			memcpy(key + j * width, w, width * sizeof(*w));
			rule[j] = it[i].rule;
		}
	}
	free(used);
	return longest;
}

/* The hash table of n single addresses, each with its first rule. */
static void build_hash(struct item *it, size_t n, unsigned int width,
		       struct xlb_hash *h)
{
	static const uint32_t mults[] = { 0x9e3779b1, 0x85ebca6b, 0xc2b2ae35,
					  0x27d4eb2f, 0x165667b1, 0xfd7046c5,
					  0xb55a4f09, 0x7feb352d };
	unsigned int best = UINT32_MAX, p;
	size_t slots, i;

	h->width = width;
	h->n = n;
	h->bits = 1;
	while (((size_t)1 << h->bits) < 2 * n)
		h->bits++;
	for (i = 0; i < ARRAY_SIZE(mults); i++) {
		p = hash_fill(it, n, width, h->bits, mults[i], NULL, NULL);
		if (p < best) {
			best = p;
			h->mult = mults[i];
		}
	}
	slots = (size_t)1 << h->bits;
	h->key = xcalloc(slots * width, sizeof(*h->key));
	h->rule = xmalloc(slots * sizeof(*h->rule));
	for (i = 0; i < slots; i++)
		h->rule[i] = XLB_PLAN_NONE;
	h->probes = hash_fill(it, n, width, h->bits, h->mult, h->key, h->rule);
}

/*
 * The tables of the family's addresses of the unit's key: single
 * addresses in a hash table when there are XLB_HASH_MIN of them, each
 * with the first rule of the unit that it matches, shorter prefixes
 * counted; the rest (or all) as segments.
 */
static void addr_tables(const struct xlb_unit *u, unsigned int family,
			struct xlb_segs *out, struct xlb_hash *hash)
{
	unsigned int bits = family == XLB_FAM_IP6 ? 128 : 32;
	unsigned int width = family == XLB_FAM_IP6 ? 4 : 1;
	u128 max = bits == 128 ? ~(u128)0 : (((u128)1 << 32) - 1);
	struct segbuf s = { 0 };
	struct item *it = NULL, *single;
	size_t n = 0, cap = 0, nsingle = 0, i, m, k;

	for (m = 0; m < u->nrules; m++) {
		const struct xlb_cond *c = &u->rules[m]->cond[u->key];

		for (i = 0; i < c->npfx; i++) {
			const struct xlb_prefix *p = &c->pfx[i];
			u128 host;

			if (p->a.family != family)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				it = xrealloc(it, cap * sizeof(*it));
			}
			if (p->plen == 0)
				host = max;
			else if (p->plen >= bits)
				host = 0;
			else
				host = ((u128)1 << (bits - p->plen)) - 1;
			it[n].lo = addr_value(&p->a);
			it[n].hi = it[n].lo | host;
			it[n].rule = u->rules[m]->index;
			nsingle += p->plen >= bits;
			n++;
		}
	}
	out->n = 0;
	hash->n = 0;
	if (!n)
		return;
	if (nsingle < XLB_HASH_MIN) {
		build_segs(it, n, max, &s);
		seg_finish(&s, width, out);
		free(it);
		return;
	}
	/* the single addresses apart, the rest into segments */
	single = xmalloc(nsingle * sizeof(*single));
	for (i = 0, k = 0, m = 0; i < n; i++) {
		if (it[i].lo == it[i].hi)
			single[k++] = it[i];
		else
			it[m++] = it[i];
	}
	if (m)
		build_segs(it, m, max, &s);
	/* one entry an address, with the first rule that matches it */
	qsort(single, k, sizeof(*single), item_cmp);
	for (i = 0, m = 0; i < k; i++) {
		uint32_t r = seg_rule_at(&s, single[i].lo);

		if (i && single[i].lo == single[i - 1].lo)
			continue; /* a later rule of the same address */
		single[m] = single[i];
		if (r < single[m].rule)
			single[m].rule = r;
		m++;
	}
	if (s.n)
		seg_finish(&s, width, out);
	build_hash(single, m, width, hash);
	free(single);
	free(it);
}

/* Ports and ICMP types: each value gets the first rule whose ranges hold
 * it, the values already given skipped with a union-find of the next one
 * without a rule. */
static size_t next_free(size_t *next, size_t v)
{
	size_t root = v, t;

	while (next[root] != root)
		root = next[root];
	while (next[v] != root) {
		t = next[v];
		next[v] = root;
		v = t;
	}
	return root;
}

static void range_segs(const struct xlb_unit *u, struct xlb_segs *out)
{
	size_t dom = u->key == XLB_MATCH_TYPE ? 256 : 65536, v, i, m;
	uint32_t *rule = xmalloc(dom * sizeof(*rule));
	size_t *next = xmalloc((dom + 1) * sizeof(*next));
	struct segbuf s = { 0 };

	for (v = 0; v <= dom; v++)
		next[v] = v;
	for (v = 0; v < dom; v++)
		rule[v] = XLB_PLAN_NONE;
	for (m = 0; m < u->nrules; m++) {
		const struct xlb_cond *c = &u->rules[m]->cond[u->key];

		for (i = 0; i < c->nrng; i++) {
			for (v = next_free(next, c->rng[i].lo);
			     v <= c->rng[i].hi; v = next_free(next, v)) {
				rule[v] = u->rules[m]->index;
				next[v] = v + 1;
			}
		}
	}
	free(next);
	for (v = 0; v < dom; v++)
		seg_emit(&s, v, rule[v]);
	free(rule);
	seg_finish(&s, 1, out);
	/* one load instead of a search */
	out->direct = s.n > XLB_DIRECT_MIN;
	out->dom = dom;
}

/* --- the plan -------------------------------------------------------- */

/* The key with the most values, if it has more than XLB_INLINE_MAX. */
static enum xlb_match_kind large_key(const struct xlb_rule *r)
{
	enum xlb_match_kind best = XLB_MATCH_KINDS;
	size_t most = XLB_INLINE_MAX, k;

	for (k = 0; k < NKEYS; k++) {
		const struct xlb_cond *c = &r->cond[key_kinds[k]];
		size_t n = c->npfx + c->nrng;

		if (c->set && !c->neg && n > most) {
			best = key_kinds[k];
			most = n;
		}
	}
	return best;
}

void xlb_plan_build(const struct xlb_ruleset *rs, struct xlb_plan *plan)
{
	size_t n = rs->nrules, i, k, nunits = 0;
	const struct xlb_rule **rule = xmalloc((n + 1) * sizeof(*rule));
	size_t *bucket = xmalloc((n * NKEYS + 1) * sizeof(*bucket));
	size_t *chosen = xmalloc((n + 1) * sizeof(*chosen));
	struct sigtab t = { 0 };
	struct strbuf sig = STRBUF_INIT;
	const struct xlb_rule *r;

	memset(plan, 0, sizeof(*plan));
	for (r = rs->rules, i = 0; r; r = r->next, i++)
		rule[i] = r;

	/* every rule counts in each group it could join */
	for (i = 0; i < n; i++) {
		for (k = 0; k < NKEYS; k++) {
			const struct xlb_cond *c = &rule[i]->cond[key_kinds[k]];

			bucket[i * NKEYS + k] = SIZE_MAX;
			if (!c->set || c->neg)
				continue;
			signature(rule[i], key_kinds[k], &sig);
			bucket[i * NKEYS + k] = sigtab_get(&t, &sig);
			t.b[bucket[i * NKEYS + k]].count++;
		}
	}
	/* and joins the largest */
	for (i = 0; i < n; i++) {
		size_t best = SIZE_MAX, bc = 0;

		for (k = 0; k < NKEYS; k++) {
			size_t b = bucket[i * NKEYS + k];

			if (b != SIZE_MAX && t.b[b].count > bc) {
				best = b;
				bc = t.b[b].count;
			}
		}
		chosen[i] = bc >= XLB_LOOKUP_MIN ? best : SIZE_MAX;
		if (chosen[i] != SIZE_MAX)
			t.b[chosen[i]].chosen++;
	}
	/* units in order of their first rule */
	plan->unit = xcalloc(n ? n : 1, sizeof(*plan->unit));
	for (i = 0; i < n; i++) {
		struct bucket *b =
			chosen[i] != SIZE_MAX ? &t.b[chosen[i]] : NULL;
		struct xlb_unit *u;

		if (b && b->chosen < XLB_LOOKUP_MIN)
			b = NULL;
		if (b && b->unit) {
			u = &plan->unit[b->unit - 1];
			u->rules[u->nrules++] = rule[i];
			continue;
		}
		u = &plan->unit[nunits++];
		u->r = rule[i];
		u->key = XLB_MATCH_KINDS;
		u->rules = xmalloc((b ? b->chosen : 1) * sizeof(*u->rules));
		u->rules[u->nrules++] = rule[i];
		if (!b) {
			/* a rule alone with a large set: a lookup too */
			u->key = large_key(rule[i]);
			plan->nlookups += u->key != XLB_MATCH_KINDS;
			continue;
		}
		b->unit = nunits;
		for (k = 0; k < NKEYS; k++)
			if (bucket[i * NKEYS + k] == chosen[i])
				u->key = key_kinds[k];
		plan->nlookups++;
	}
	plan->nunits = nunits;
	for (i = 0; i < nunits; i++) {
		struct xlb_unit *u = &plan->unit[i];

		if (u->key == XLB_MATCH_SRC || u->key == XLB_MATCH_DST) {
			addr_tables(u, XLB_FAM_IP4, &u->v4, &u->h4);
			addr_tables(u, XLB_FAM_IP6, &u->v6, &u->h6);
		} else if (u->key != XLB_MATCH_KINDS) {
			range_segs(u, &u->v4);
		}
	}
	free(rule);
	free(bucket);
	free(chosen);
	free(t.b);
	free(t.slot);
	strbuf_release(&t.arena);
	strbuf_release(&sig);
}

void xlb_plan_free(struct xlb_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->nunits; i++) {
		struct xlb_unit *u = &plan->unit[i];

		free(u->rules);
		free(u->v4.start);
		free(u->v4.rule);
		free(u->v6.start);
		free(u->v6.rule);
		free(u->h4.key);
		free(u->h4.rule);
		free(u->h6.key);
		free(u->h6.rule);
	}
	free(plan->unit);
	memset(plan, 0, sizeof(*plan));
}

/* --- xlbc --explain -------------------------------------------------- */

const char *xlb_plan_key_name(enum xlb_match_kind k)
{
	switch (k) {
	case XLB_MATCH_SRC:
		return "source address";
	case XLB_MATCH_DST:
		return "destination address";
	case XLB_MATCH_SPORT:
		return "source port";
	case XLB_MATCH_DPORT:
		return "destination port";
	case XLB_MATCH_TYPE:
		return "ICMP type";
	default:
		return "?";
	}
}

/* Bytes of a table as the program holds it: padded to a power of two,
 * a start and a rule number an entry; or a rule number for every value. */
static size_t segs_bytes(const struct xlb_segs *s)
{
	if (!s->n)
		return 0;
	if (s->direct)
		return s->dom * 4;
	return ((size_t)1 << xlb_plan_steps(s->n)) * (s->width + 1) * 4;
}

static size_t hash_bytes(const struct xlb_hash *h)
{
	return h->n ? ((size_t)1 << h->bits) * (h->width + 1) * 4 : 0;
}

/* A table's lines of --explain; returns the loads a lookup makes at most. */
static size_t explain_tables(struct strbuf *out, const char *what,
			     const struct xlb_segs *s, const struct xlb_hash *h)
{
	size_t loads = 0;

	if (h && h->n) {
		strbuf_printf(out,
			      "    %s single addresses: hash table of %zu in %zu slots, "
			      "%zu bytes, at most %u probe%s\n",
			      what, h->n, (size_t)1 << h->bits, hash_bytes(h),
			      h->probes, h->probes == 1 ? "" : "s");
		loads += h->probes;
	}
	if (!s->n)
		return loads;
	if (s->direct) {
		strbuf_printf(out,
			      "    %s: a rule for each of the %zu values, %zu bytes, one load\n",
			      what, s->dom, segs_bytes(s));
		return loads + 1;
	}
	strbuf_printf(out,
		      "    %s%s: %zu segment%s, %zu bytes, %u search step%s\n",
		      what, h && h->n ? " prefixes" : "", s->n,
		      s->n == 1 ? "" : "s", segs_bytes(s), xlb_plan_steps(s->n),
		      xlb_plan_steps(s->n) == 1 ? "" : "s");
	return loads + xlb_plan_steps(s->n) + 1;
}

void xlb_plan_explain(const struct xlb_ruleset *rs,
		      const struct xlb_plan *plan, struct strbuf *out)
{
	size_t i, alone = 0, bytes = 0, loads = 0;

	for (i = 0; i < plan->nunits; i++)
		alone += plan->unit[i].key == XLB_MATCH_KINDS;
	strbuf_printf(out, "%s: %zu rule%s in %zu unit%s: %zu lookup%s, "
			   "%zu rule%s tested alone\n",
		      rs->src->path, rs->nrules, rs->nrules == 1 ? "" : "s",
		      plan->nunits, plan->nunits == 1 ? "" : "s",
		      plan->nlookups, plan->nlookups == 1 ? "" : "s", alone,
		      alone == 1 ? "" : "s");
	for (i = 0; i < plan->nunits; i++) {
		const struct xlb_unit *u = &plan->unit[i];
		const struct xlb_rule *last = u->rules[u->nrules - 1];
		bool addr = u->key == XLB_MATCH_SRC || u->key == XLB_MATCH_DST;

		if (u->key == XLB_MATCH_KINDS) {
			strbuf_printf(out, "  line %u: alone: %s\n",
				      u->r->loc.first_line, u->r->text);
			continue;
		}
		strbuf_printf(out,
			      "  lines %u-%u: lookup by %s, %zu rules like: %s\n",
			      u->r->loc.first_line, last->loc.first_line,
			      xlb_plan_key_name(u->key), u->nrules, u->r->text);
		strbuf_printf(out,
			      "    why: they test the same fields alike and differ only in "
			      "their %s; one lookup costs as much for any number of them\n",
			      xlb_plan_key_name(u->key));
		if (addr) {
			loads += explain_tables(out, "IPv4", &u->v4, &u->h4);
			loads += explain_tables(out, "IPv6", &u->v6, &u->h6);
		} else {
			loads += explain_tables(out, "values", &u->v4, NULL);
		}
		bytes += segs_bytes(&u->v4) + segs_bytes(&u->v6) +
			 hash_bytes(&u->h4) + hash_bytes(&u->h6);
	}
	strbuf_printf(out,
		      "per packet: at most %zu rule%s tested alone and %zu "
		      "lookup%s of at most %zu table loads in all; "
		      "lookup tables %zu bytes\n",
		      alone, alone == 1 ? "" : "s", plan->nlookups,
		      plan->nlookups == 1 ? "" : "s", loads, bytes);
}
