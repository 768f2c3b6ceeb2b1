// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unit-sim.c - the reference interpreter's pieces (compiler/sim.c): the
 * hash against published MurmurHash3 vectors, the weighted list against
 * its literal definition, the Maglev table's fill, balance and stability,
 * the incremental checksums against computing them from scratch, the
 * packet parser on every kind of cut and inconsistent header, and rule
 * evaluation and selection on rulesets built by hand (no checker needed).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "csum.h"
#include "sim.h"
#include "tap.h"
#include "util.h"

/* --- MurmurHash3_x86_32 ------------------------------------------------- */

static void test_murmur3(void)
{
	/* SMHasher's verification inputs, as collected with the algorithm's
	 * description; "hello" from the spec. */
	static const struct {
		const char *data;
		size_t len;
		uint32_t seed, want;
	} v[] = {
		{ "", 0, 0, 0 },
		{ "", 0, 1, 0x514e28b7 },
		{ "", 0, 0xffffffff, 0x81f16f39 },
		{ "\0\0\0\0", 4, 0, 0x2362f9de },
		{ "\xff\xff\xff\xff", 4, 0, 0x76293b50 },
		{ "!Ce\x87", 4, 0, 0xf55b516b },
		{ "!Ce", 3, 0, 0x7e4a8634 },
		{ "!C", 2, 0, 0xa0f7b07a },
		{ "!", 1, 0, 0x72661cf4 },
		{ "aaaa", 4, 0x9747b28c, 0x5a97808a },
		{ "Hello, world!", 13, 0x9747b28c, 0x24884cba },
		{ "hello", 5, 0, 0x248bfa47 },
	};
	uint32_t words[10];
	uint8_t bytes[40];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(v); i++)
		is_int(xlb_sim_murmur3(v[i].data, v[i].len, v[i].seed),
		       v[i].want, "murmur3(\"%s\", %zu bytes, seed %#x)",
		       v[i].len == 4 && v[i].data[3] ? "(4 bytes)" : v[i].data,
		       v[i].len, v[i].seed);

	/* the flow hash mixes words as blocks: the same as hashing their
	 * bytes in the order the blocks are read (little-endian) */
	srand(7);
	for (i = 0; i < 10; i++) {
		words[i] = (uint32_t)rand() ^ (uint32_t)rand() << 16;
		for (j = 0; j < 4; j++)
			bytes[4 * i + j] = (uint8_t)(words[i] >> (8 * j));
	}
	is_int(xlb_sim_murmur3_words(words, 4), xlb_sim_murmur3(bytes, 16, 0),
	       "flow hash over 4 words = murmur3 over their 16 bytes");
	is_int(xlb_sim_murmur3_words(words, 10), xlb_sim_murmur3(bytes, 40, 0),
	       "flow hash over 10 words = murmur3 over their 40 bytes");
}

/* --- the weighted list ---------------------------------------------------- */

/* The spec's definition, literally. */
static size_t naive_list(const unsigned int *w, size_t n, size_t *out)
{
	unsigned int k, max = 0;
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		if (w[i] > max)
			max = w[i];
	for (k = 0; k < max; k++)
		for (i = 0; i < n; i++)
			if (w[i] > k)
				out[len++] = i;
	return len;
}

static void test_wlist(void)
{
	static const unsigned int w1[] = { 2, 1 };
	static const unsigned int w2[] = { 1, 3, 2, 3, 1 };
	unsigned int w[8];
	size_t list[8 * 20], len, i, n, round;
	int bad = 0;

	len = naive_list(w1, 2, list);
	is_int((long long)xlb_sim_wlist_len(w1, 2), 3, "weights 2,1: W = 3");
	ok(xlb_sim_wlist_at(w1, 2, 0) == 0 && xlb_sim_wlist_at(w1, 2, 1) == 1 &&
		   xlb_sim_wlist_at(w1, 2, 2) == 0,
	   "weights 2,1: T = 0 1 0");
	len = naive_list(w2, 5, list);
	for (i = 0; i < len; i++)
		bad += xlb_sim_wlist_at(w2, 5, i) != list[i];
	ok(!bad && len == 10, "weights 1,3,2,3,1: T = 0 1 2 3 4 1 2 3 1 3");

	srand(11);
	for (round = 0; round < 500; round++) {
		n = 1 + (size_t)rand() % 8;
		for (i = 0; i < n; i++)
			w[i] = 1 + (unsigned int)rand() % 20;
		len = naive_list(w, n, list);
		if (len != xlb_sim_wlist_len(w, n))
			bad++;
		for (i = 0; i < len; i++)
			bad += xlb_sim_wlist_at(w, n, i) != list[i];
	}
	ok(!bad, "500 random weight lists: every entry as the definition says");
}

/* --- Maglev ----------------------------------------------------------------- */

#define M XLB_SIM_MAGLEV_M

static void maglev_counts(const uint16_t *t, size_t n, unsigned long *count,
			  int *filled)
{
	size_t i;

	memset(count, 0, n * sizeof(*count));
	*filled = 1;
	for (i = 0; i < M; i++) {
		if (t[i] >= n)
			*filled = 0;
		else
			count[t[i]]++;
	}
}

static void test_maglev(void)
{
	static const char *const names[] = {
		"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80",
		"10.0.0.5:80", "10.0.0.6:80", "10.0.0.7:80",
	};
	unsigned int w[7] = { 1, 1, 1, 1, 1, 1, 1 };
	uint16_t *t = xmalloc(M * sizeof(*t)), *u = xmalloc(M * sizeof(*u));
	unsigned long count[7], wsum;
	size_t i, n = 7, changed, moved_other;
	double worst;
	int filled;

	xlb_sim_maglev_build(names, w, n, t);
	maglev_counts(t, n, count, &filled);
	ok(filled, "maglev, 7 backends: every entry names a backend");
	worst = 0;
	for (i = 0; i < n; i++) {
		double d = (double)count[i] / M * n - 1;

		if (d < 0)
			d = -d;
		if (d > worst)
			worst = d;
	}
	ok(worst < 0.03, "maglev, 7 equal backends: shares within 3%% (%.4f)",
	   worst);

	/* weights: shares follow them */
	w[0] = 4;
	w[1] = 2;
	wsum = 4 + 2 + 5;
	xlb_sim_maglev_build(names, w, n, u);
	maglev_counts(u, n, count, &filled);
	worst = 0;
	for (i = 0; i < n; i++) {
		double d = (double)count[i] / M / ((double)w[i] / wsum) - 1;

		if (d < 0)
			d = -d;
		if (d > worst)
			worst = d;
	}
	ok(filled && worst < 0.05,
	   "maglev, weights 4,2,1,1,1,1,1: shares within 5%% of the "
	   "weights' (%.4f)",
	   worst);
	w[0] = w[1] = 1;

	/* removing one of N: its entries move, few others do */
	xlb_sim_maglev_build(names + 1, w, n - 1, u);
	changed = moved_other = 0;
	for (i = 0; i < M; i++) {
		/* u's backend j is t's backend j + 1 */
		if (t[i] != u[i] + 1) {
			changed++;
			if (t[i] != 0)
				moved_other++;
		}
	}
	ok(changed > M / n && changed < M / n * 3 / 2,
	   "maglev, removing 1 of 7 backends changes about 1/7 of the "
	   "entries (%zu of %u)",
	   changed, M);
	ok(moved_other < M / 50,
	   "maglev, removing 1 of 7: under 2%% of the others' entries move "
	   "(%zu)",
	   moved_other);

	/* one backend takes everything; a huge weight stops when full */
	w[0] = 1000000;
	xlb_sim_maglev_build(names, w, 1, u);
	maglev_counts(u, 1, count, &filled);
	ok(filled && count[0] == M, "maglev, one backend: all entries");
	free(t);
	free(u);
}

/* --- packets ------------------------------------------------------------------ */

struct frame {
	uint8_t b[4100];
	size_t len;
	size_t l3, l4;
	int v6;
	uint8_t proto;
};

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The L4 checksum computed from scratch (pseudo-header included). */
static uint16_t l4_csum(const struct frame *f)
{
	size_t l4len = f->len - f->l4;
	uint32_t sum = 0;

	if (f->v6) {
		sum = sum16(f->b + f->l3 + 8, 32, 0);
	} else {
		sum = sum16(f->b + f->l3 + 12, 8, 0);
	}
	sum += f->proto + (uint32_t)l4len;
	return fold(sum16(f->b + f->l4, l4len, sum));
}

/* Fill in every checksum from scratch. */
static void finish(struct frame *f)
{
	size_t off = f->proto == 6 ? 16 : 6;
	uint16_t c;

	if (!f->v6) {
		put16(f->b + f->l3 + 10, 0);
		put16(f->b + f->l3 + 10, fold(sum16(f->b + f->l3, 20, 0)));
	}
	put16(f->b + f->l4 + off, 0);
	c = l4_csum(f);
	if (f->proto == 17 && c == 0)
		c = 0xffff;
	put16(f->b + f->l4 + off, c);
}

/* Ethernet + IPv4 or IPv6 + UDP (17) or TCP (6) with a payload of plen
 * bytes, checksums right. */
static void build(struct frame *f, int v6, uint8_t proto, const char *src,
		  const char *dst, unsigned int sport, unsigned int dport,
		  size_t plen)
{
	size_t hl = proto == 6 ? 20 : 8, i;

	memset(f, 0, sizeof(*f));
	f->v6 = v6;
	f->proto = proto;
	put16(f->b + 12, v6 ? 0x86dd : 0x0800);
	f->l3 = 14;
	f->l4 = f->l3 + (v6 ? 40 : 20);
	f->len = f->l4 + hl + plen;
	if (v6) {
		f->b[f->l3] = 0x60;
		put16(f->b + f->l3 + 4, (unsigned int)(hl + plen));
		f->b[f->l3 + 6] = proto;
		f->b[f->l3 + 7] = 64;
		inet_pton(AF_INET6, src, f->b + f->l3 + 8);
		inet_pton(AF_INET6, dst, f->b + f->l3 + 24);
	} else {
		f->b[f->l3] = 0x45;
		put16(f->b + f->l3 + 2, (unsigned int)(20 + hl + plen));
		f->b[f->l3 + 8] = 64;
		f->b[f->l3 + 9] = proto;
		inet_pton(AF_INET, src, f->b + f->l3 + 12);
		inet_pton(AF_INET, dst, f->b + f->l3 + 16);
	}
	put16(f->b + f->l4, sport);
	put16(f->b + f->l4 + 2, dport);
	if (proto == 17)
		put16(f->b + f->l4 + 4, (unsigned int)(hl + plen));
	else
		f->b[f->l4 + 12] = 5 << 4;
	for (i = 0; i < plen; i++)
		f->b[f->l4 + hl + i] = (uint8_t)(rand() >> 4);
	finish(f);
}

/* --- rulesets built by hand, as xlb_check() leaves them ------------------------ */

static struct xlb_source the_src;

static struct xlb_rule *rule(struct xlb_ruleset *rs, const char *text,
			     enum xlb_verdict v, enum xlb_proto proto)
{
	struct xlb_rule *r = xlb_rule_new();

	r->text = xstrdup(text);
	r->verdict = v;
	r->proto = proto;
	r->loc.first_line = (unsigned int)rs->nrules + 1;
	r->index = (unsigned int)rs->nrules;
	r->family = XLB_FAM_ANY;
	xlb_ruleset_append(rs, r);
	return r;
}

static void backend(struct xlb_rule *r, const char *addr, int port,
		    unsigned int w)
{
	struct xlb_loc loc = { 0 };
	struct xlb_backend *b = xlb_rule_add_backend(r, &loc);

	if (addr) {
		b->addr = xstrdup(addr);
		xlb_addr_parse(addr, &b->a);
	}
	if (port >= 0) {
		b->has_port = true;
		b->port = (uint64_t)port;
	}
	b->w = w;
}

static void ports(struct xlb_rule *r, enum xlb_match_kind k, uint32_t lo,
		  uint32_t hi, bool neg)
{
	struct xlb_cond *c = &r->cond[k];

	c->set = true;
	c->neg = neg;
	c->rng = xrealloc(c->rng, (c->nrng + 1) * sizeof(*c->rng));
	c->rng[c->nrng].lo = lo;
	c->rng[c->nrng].hi = hi;
	c->nrng++;
}

static void prefix(struct xlb_rule *r, enum xlb_match_kind k, const char *a,
		   unsigned int plen)
{
	struct xlb_cond *c = &r->cond[k];
	struct xlb_prefix *p;

	c->set = true;
	c->pfx = xrealloc(c->pfx, (c->npfx + 1) * sizeof(*c->pfx));
	p = &c->pfx[c->npfx++];
	xlb_addr_parse(a, &p->a);
	p->plen = plen;
}

static void flags(struct xlb_rule *r, uint8_t value, uint8_t mask, bool any)
{
	struct xlb_cond *c = &r->cond[XLB_MATCH_FLAGS];

	c->set = true;
	c->fvalue = value;
	c->fmask = mask;
	c->fany = any;
}

/* --- checksums ------------------------------------------------------------------ */

static int csums_right(const struct frame *f)
{
	size_t off = f->proto == 6 ? 16 : 6;
	uint16_t got =
		(uint16_t)(f->b[f->l4 + off] << 8 | f->b[f->l4 + off + 1]);
	struct frame g = *f;

	if (!f->v6 && fold(sum16(f->b + f->l3, 20, 0)) != 0)
		return 0;
	finish(&g);
	return got == (uint16_t)(g.b[g.l4 + off] << 8 | g.b[g.l4 + off + 1]);
}

static void test_csum(void)
{
	static const char *const v4[] = { "10.0.0.1", "255.255.255.255",
					  "0.0.0.0", "192.0.2.77" };
	static const char *const v6[] = { "2001:db8::1", "::", "ff02::ffff",
					  "2001:db8:ffff:ffff:ffff::9" };
	struct xlb_ruleset rs;
	struct xlb_sim *sim;
	struct xlb_sim_result res;
	struct frame f;
	uint8_t data[40];
	int i, bad = 0, rewritten = 0, round;
	uint16_t hc, w;

	/* eqn. 3 on one word = recomputing, for random valid data */
	srand(3);
	for (round = 0; round < 100000; round++) {
		for (i = 0; i < 40; i++)
			data[i] = (uint8_t)(rand() >> 3);
		data[0] |= 1; /* not all zero */
		hc = fold(sum16(data, 40, 0));
		i = 2 * (rand() % 20);
		w = (uint16_t)(data[i] << 8 | data[i + 1]);
		data[i] = (uint8_t)(rand() >> 3);
		data[i + 1] = (uint8_t)(rand() >> 3);
		if (data[0] == 0 && i == 0)
			continue;
		hc = xlb_sim_csum_update(
			hc, w, (uint16_t)(data[i] << 8 | data[i + 1]));
		bad += hc != fold(sum16(data, 40, 0));
	}
	ok(!bad, "RFC 1624 eqn. 3 equals recomputing, 100000 random changes");
	is_int(xlb_sim_csum_update(0x1234, 0xabcd, 0xabcd), 0x1234,
	       "an unchanged word leaves a checksum as it was");

	/* rewrites of valid packets: every checksum right afterwards */
	for (round = 0; round < 4 * 4 * 2 * 2 * 8; round++) {
		int is6 = round & 1, tcp = round >> 1 & 1;
		int a = round >> 2 & 3, b = round >> 4 & 3;
		int port = (int[]){ 0xffff, 0, 80, 9875 }[round >> 6 & 3];
		char text[96];

		xlb_ruleset_init(&rs, &the_src);
		snprintf(text, sizeof(text), "-> %s:%d", is6 ? v6[b] : v4[b],
			 port);
		backend(rule(&rs, text, XLB_VERDICT_REWRITE,
			     tcp ? XLB_PROTO_TCP : XLB_PROTO_UDP),
			is6 ? v6[b] : v4[b], port, 1);
		rs.rules->select = XLB_SELECT_RR;
		sim = xlb_sim_new(&rs);
		for (i = 0; i < 8; i++) {
			build(&f, is6, tcp ? 6 : 17, is6 ? v6[0] : v4[0],
			      is6 ? v6[a] : v4[a], 1000 + (unsigned int)i,
			      (unsigned int)(rand() & 0xffff),
			      (size_t)(rand() % 30));
			xlb_sim_frame(sim, f.b, f.len, &res);
			rewritten += res.rewritten;
			if (res.by != XLB_SIM_BY_RULE || !csums_right(&f)) {
				bad++;
				diag("wrong after '%s' (%s)", text,
				     is6 ? "IPv6" : "IPv4");
			}
		}
		xlb_sim_free(sim);
		xlb_ruleset_free(&rs);
	}
	ok(!bad && rewritten > 400,
	   "address and port rewrites of valid UDP and TCP over IPv4 and "
	   "IPv6: every checksum as recomputed (%d rewritten)",
	   rewritten);

	/* UDP without a checksum keeps none; one that becomes 0 is 0xffff */
	xlb_ruleset_init(&rs, &the_src);
	backend(rule(&rs, "udp -> 9876", XLB_VERDICT_REWRITE, XLB_PROTO_UDP),
		NULL, 9876, 1);
	rs.rules->select = XLB_SELECT_RR;
	sim = xlb_sim_new(&rs);
	build(&f, 0, 17, "10.0.0.1", "10.0.0.2", 1, 9875, 4);
	f.b[f.l4 + 6] = f.b[f.l4 + 7] = 0;
	xlb_sim_frame(sim, f.b, f.len, &res);
	ok(res.rewritten && f.b[f.l4 + 3] == (9876 & 0xff) &&
		   f.b[f.l4 + 6] == 0 && f.b[f.l4 + 7] == 0,
	   "UDP checksum 0 stays 0");
	bad = 1;
	for (i = 0; i < 70000 && bad; i++) {
		build(&f, 0, 17, "10.0.0.1", "10.0.0.2", (unsigned int)i, 9875,
		      0);
		/* find a packet whose checksum is 0xffff once rewritten */
		put16(f.b + f.l4 + 2, 9876);
		finish(&f);
		if (f.b[f.l4 + 6] != 0xff || f.b[f.l4 + 7] != 0xff)
			continue;
		put16(f.b + f.l4 + 2, 9875);
		finish(&f);
		xlb_sim_frame(sim, f.b, f.len, &res);
		bad = !(f.b[f.l4 + 6] == 0xff && f.b[f.l4 + 7] == 0xff);
	}
	ok(!bad, "a UDP checksum that becomes 0 is written 0xffff");
	xlb_sim_free(sim);
	xlb_ruleset_free(&rs);
}

/* --- the reply path ----------------------------------------------------------------- */

/* A rewrite rule "PROTO dst VIP port VPORT -> BACKEND[:BPORT]" (bport < 0:
 * no port), one of its kind in a new ruleset. */
static struct xlb_sim *reply_rule(struct xlb_ruleset *rs, int tcp,
				  const char *vip, unsigned int vport,
				  const char *b, int bport)
{
	struct xlb_rule *r;

	xlb_ruleset_init(rs, &the_src);
	r = rule(rs, "reply", XLB_VERDICT_REWRITE,
		 tcp ? XLB_PROTO_TCP : XLB_PROTO_UDP);
	if (vip)
		prefix(r, XLB_MATCH_DST, vip, strchr(vip, ':') ? 128 : 32);
	ports(r, XLB_MATCH_DPORT, vport, vport, false);
	backend(r, b, bport, 1);
	r->select = XLB_SELECT_RR;
	return xlb_sim_new(rs);
}

static void test_reply(void)
{
	static const char *const vips[2] = { "192.0.2.10", "2001:db8::10" };
	static const char *const bes[2] = { "10.0.2.21", "2001:db8:2::21" };
	static const char *const cls[2] = { "198.51.100.7", "2001:db8:c::7" };
	struct xlb_ruleset rs;
	struct xlb_sim *sim;
	struct xlb_sim_result res;
	struct frame f;
	uint8_t vip[16];
	int round, i, bad = 0, n = 0;

	/* answers from an address:port backend leave from the service's
	 * address and port, every checksum as recomputed */
	srand(5);
	for (round = 0; round < 4; round++) {
		int v6 = round & 1, tcp = round >> 1;

		sim = reply_rule(&rs, tcp, vips[v6], 443, bes[v6], 8443);
		inet_pton(v6 ? AF_INET6 : AF_INET, vips[v6], vip);
		for (i = 0; i < 200; i++) {
			build(&f, v6, tcp ? 6 : 17, bes[v6], cls[v6], 8443,
			      (unsigned int)(1 + rand() % 65535),
			      (size_t)(rand() % 40));
			xlb_sim_reply_frame(sim, f.b, f.len, &res);
			n += res.rewritten;
			if (!res.rewritten || res.action != XLB_SIM_PASS ||
			    memcmp(f.b + f.l3 + (v6 ? 8 : 12), vip,
				   v6 ? 16 : 4) ||
			    f.b[f.l4] != 443 >> 8 ||
			    f.b[f.l4 + 1] != (443 & 0xff) || !csums_right(&f))
				bad++;
		}
		xlb_sim_free(sim);
		xlb_ruleset_free(&rs);
	}
	ok(!bad && n == 800,
	   "reply path: 800 answers of UDP and TCP over IPv4 and IPv6 get the "
	   "service's address and port, checksums as recomputed");

	/* a port backend: any address, its port */
	sim = reply_rule(&rs, 0, NULL, 9875, NULL, 9876);
	build(&f, 0, 17, "10.0.0.2", "10.0.0.1", 9876, 40000, 3);
	xlb_sim_reply_frame(sim, f.b, f.len, &res);
	ok(res.rewritten && f.b[f.l4] == 9875 >> 8 &&
		   f.b[f.l4 + 1] == (9875 & 0xff) && csums_right(&f),
	   "reply path: an answer from port 9876 leaves from 9875");
	build(&f, 0, 17, "10.0.0.2", "10.0.0.1", 9877, 40000, 3);
	xlb_sim_reply_frame(sim, f.b, f.len, &res);
	ok(!res.rewritten && !res.rule, "reply path: port 9877 is left alone");
	build(&f, 0, 17, "10.0.0.2", "10.0.0.1", 9876, 40000, 3);
	f.b[f.l4 + 6] = f.b[f.l4 + 7] = 0;
	xlb_sim_reply_frame(sim, f.b, f.len, &res);
	ok(res.rewritten && f.b[f.l4 + 6] == 0 && f.b[f.l4 + 7] == 0,
	   "reply path: a UDP checksum of 0 stays 0");
	xlb_sim_free(sim);
	xlb_ruleset_free(&rs);

	/*
	 * The kernel's csum_replace4() never gives 0xffff: with a backend
	 * that is the service itself, a TCP checksum of 0xffff leaves as
	 * 0x0000 and an IPv4 header checksum of 0xffff likewise (seen with
	 * xlb-replay -r on 'tcp dst 10.0.0.1 port 80 -> 10.0.0.1:80'), where
	 * RFC 1624 eqn. 3 over 16-bit words keeps 0xffff.
	 */
	sim = reply_rule(&rs, 1, "10.0.0.1", 80, "10.0.0.1", 80);
	build(&f, 0, 6, "10.0.0.1", "10.9.9.9", 80, 4000, 0);
	put16(f.b + f.l4 + 16, 0xffff);
	put16(f.b + f.l3 + 10, 0xffff);
	xlb_sim_reply_frame(sim, f.b, f.len, &res);
	ok(res.rewritten && res.rule == rs.rules && f.b[f.l4 + 16] == 0 &&
		   f.b[f.l4 + 17] == 0 && f.b[f.l3 + 10] == 0 &&
		   f.b[f.l3 + 11] == 0,
	   "reply path: checksums of 0xffff become 0x0000, as the kernel's "
	   "helpers have it");
	xlb_sim_free(sim);
	xlb_ruleset_free(&rs);

	/* a non-first fragment from an address backend: the address only */
	sim = reply_rule(&rs, 0, "192.0.2.10", 53, "10.0.2.21", -1);
	build(&f, 0, 17, "10.0.2.21", "198.51.100.7", 53, 40000, 16);
	put16(f.b + f.l3 + 6, 3); /* offset 24 bytes */
	put16(f.b + f.l3 + 10, 0);
	put16(f.b + f.l3 + 10, fold(sum16(f.b + f.l3, 20, 0)));
	memcpy(f.b + f.l4, "\x00\x35\x12\x34\x00\x08\xab\xcd", 8);
	xlb_sim_reply_frame(sim, f.b, f.len, &res);
	inet_pton(AF_INET, "192.0.2.10", vip);
	ok(res.rewritten && !memcmp(f.b + f.l3 + 12, vip, 4) &&
		   fold(sum16(f.b + f.l3, 20, 0)) == 0 &&
		   !memcmp(f.b + f.l4, "\x00\x35\x12\x34\x00\x08\xab\xcd", 8),
	   "reply path: a non-first fragment gets the address, its data "
	   "untouched");
	xlb_sim_free(sim);
	xlb_ruleset_free(&rs);

	/* a rule that cannot be told apart takes no part */
	sim = reply_rule(&rs, 0, NULL, 53, "10.0.2.21", -1);
	ok(!xlb_sim_has_reply(sim),
	   "reply path: address backends without one destination address: "
	   "no reply path");
	xlb_sim_free(sim);
	xlb_ruleset_free(&rs);
}

/* --- the parser --------------------------------------------------------------------- */

static void test_parse(void)
{
	struct xlb_sim_pkt p;
	struct frame f;
	uint8_t b[256];
	size_t i;

	/* Ethernet and VLAN */
	memset(b, 0, sizeof(b));
	xlb_sim_parse(b, 13, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "13-byte frame: malformed");
	put16(b + 12, 0x0806);
	xlb_sim_parse(b, 14, &p);
	is_int(p.l3, XLB_SIM_L3_NONIP, "ARP: non-ip");
	put16(b + 12, 0x8100);
	put16(b + 16, 0x88a8);
	xlb_sim_parse(b, 17, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "cut inside a VLAN tag: malformed");
	put16(b + 16, 0x8100);
	xlb_sim_parse(b, 21, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "cut inside the second tag");
	/* eight tags are walked, a ninth is malformed: tags at 12, 16, ...,
	 * the ethertype after the last at 12 + 4 * n */
	for (i = 0; i < 9; i++)
		put16(b + 12 + 4 * i, 0x8100);
	put16(b + 12 + 4 * 8, 0x0806);
	xlb_sim_parse(b, 60, &p);
	is_int(p.l3, XLB_SIM_L3_NONIP, "eight tags, then ARP: non-ip");
	put16(b + 12 + 4 * 8, 0x8100);
	put16(b + 12 + 4 * 9, 0x0806);
	xlb_sim_parse(b, 60, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "a ninth tag: malformed");
	memset(b, 0, sizeof(b));

	build(&f, 0, 17, "10.0.0.1", "10.0.0.2", 1, 2, 0);
	memcpy(b, f.b, f.len);
	memmove(b + 22, b + 14, f.len - 14);
	put16(b + 12, 0x88a8);
	put16(b + 16, 0x8100);
	put16(b + 20, 0x0800);
	xlb_sim_parse(b, f.len + 8, &p);
	ok(p.l3 == XLB_SIM_L3_IPV4 && p.l4 == XLB_SIM_L4_WHOLE &&
		   p.l3_off == 22 && p.dport == 2,
	   "QinQ IPv4 UDP: parsed behind both tags");

	/* IPv4 */
	build(&f, 0, 17, "10.0.0.1", "10.0.0.2", 1, 2, 0);
	xlb_sim_parse(f.b, f.len + 20, &p);
	ok(p.l3 == XLB_SIM_L3_IPV4 && p.end == f.len,
	   "Ethernet padding after the datagram is fine");
	xlb_sim_parse(f.b, 14 + 19, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "IPv4 header cut");
	f.b[14] = 0x44;
	xlb_sim_parse(f.b, f.len, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "IHL 4");
	f.b[14] = 0x65;
	xlb_sim_parse(f.b, f.len, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "version 6 under ethertype IPv4");
	f.b[14] = 0x4f;
	put16(f.b + 16, 60);
	xlb_sim_parse(f.b, 14 + 59, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "options cut by the frame");
	f.b[14] = 0x46;
	put16(f.b + 16, 23);
	xlb_sim_parse(f.b, f.len, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "total length below IHL*4");
	f.b[14] = 0x45;
	put16(f.b + 16, (unsigned int)(f.len - 14 + 1));
	xlb_sim_parse(f.b, f.len, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "total length past the frame");
	put16(f.b + 16, 20 + 7);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l3 == XLB_SIM_L3_IPV4 && p.l4 == XLB_SIM_L4_BROKEN,
	   "UDP header past the total length: broken");
	put16(f.b + 20, 0x2000); /* MF */
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l4 == XLB_SIM_L4_PORTS && p.first_frag && p.dport == 2,
	   "first fragment with 7 bytes of UDP: ports only");
	put16(f.b + 16, 20 + 3);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l4 == XLB_SIM_L4_BROKEN, "first fragment with 3 bytes: broken");
	put16(f.b + 20, 0x0001);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l3 == XLB_SIM_L3_IPV4 && p.nonfirst_frag &&
		   p.l4 == XLB_SIM_L4_NONE && p.proto == 17,
	   "non-first fragment: no transport header, protocol known");

	build(&f, 0, 6, "10.0.0.1", "10.0.0.2", 1, 2, 0);
	f.b[f.l4 + 13] = 0x12;
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l4 == XLB_SIM_L4_WHOLE && p.tcp_flags == 0x12, "TCP: flags read");
	f.b[f.l4 + 12] = 4 << 4;
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l4 == XLB_SIM_L4_BROKEN, "TCP data offset 4: broken");
	put16(f.b + 20, 0x2000);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l4 == XLB_SIM_L4_BROKEN,
	   "first fragment, whole TCP header with data offset 4: broken");
	put16(f.b + 16, 20 + 19);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l4 == XLB_SIM_L4_PORTS,
	   "first fragment, TCP cut at 19 bytes, data offset 4: ports only");
	put16(f.b + 16, 20 + 20);
	f.b[f.l4 + 12] = 15 << 4;
	put16(f.b + 20, 0);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l4 == XLB_SIM_L4_WHOLE,
	   "TCP data offset 15 past the datagram: whole (not checked)");

	build(&f, 0, 17, "10.0.0.1", "10.0.0.2", 0x0800, 0, 0);
	f.b[14 + 9] = 1; /* ICMP, type 8 in byte 0 */
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l4 == XLB_SIM_L4_WHOLE && p.icmp_type == 8, "ICMP type read");
	xlb_sim_parse(f.b, f.len - 1, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "ICMP datagram cut by the frame");

	/* IPv6 and its extension headers */
	build(&f, 1, 17, "2001:db8::1", "2001:db8::2", 1, 2, 0);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l3 == XLB_SIM_L3_IPV6 && p.family == XLB_FAM_IP6 &&
		   p.l4 == XLB_SIM_L4_WHOLE && p.dport == 2 && p.daddr[15] == 2,
	   "IPv6 UDP");
	xlb_sim_parse(f.b, f.len - 1, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "IPv6 payload past the frame");
	xlb_sim_parse(f.b, 14 + 39, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "IPv6 header cut");
	f.b[14] = 0x40;
	xlb_sim_parse(f.b, f.len, &p);
	is_int(p.l3, XLB_SIM_L3_MALFORMED, "version 4 under ethertype IPv6");

	/* n destination options headers of 8 bytes: 64 are walked, a 65th
	 * leaves the protocol unknown, the addresses known */
	for (i = 0; i <= 65; i++) {
		size_t k, cur = 14 + 40;

		build(&f, 1, 17, "2001:db8::1", "2001:db8::2", 1, 2, 0);
		memmove(f.b + cur + 8 * i, f.b + cur, 8);
		put16(f.b + 14 + 4, (unsigned int)(8 + 8 * i));
		f.b[14 + 6] = i ? 0 : 17;
		for (k = 0; k < i; k++) {
			uint8_t *h = f.b + cur + 8 * k;

			memset(h, 0, 8);
			h[0] = k + 1 < i ? 60 : 17;
		}
		f.len += 8 * i;
		xlb_sim_parse(f.b, f.len, &p);
		if (i <= 64 && i % 8 && i != 63)
			continue; /* a few of them are enough */
		if (i <= 64)
			ok(p.l3 == XLB_SIM_L3_IPV6 && p.proto == 17 &&
				   !p.proto_unknown &&
				   p.l4 == XLB_SIM_L4_WHOLE &&
				   p.l4_off == cur + 8 * i && p.dport == 2,
			   "%zu extension headers walked", i);
		else
			ok(p.l3 == XLB_SIM_L3_IPV6 && p.proto_unknown &&
				   p.l4 == XLB_SIM_L4_NONE && p.saddr[15] == 1 &&
				   p.daddr[15] == 2,
			   "a 65th extension header: the protocol is unknown, "
			   "the addresses known");
	}

	/* headers that begin past 61440 bytes are not read: n destination
	 * options headers of 2048 bytes, then UDP */
	for (i = 29; i <= 31; i++) {
		static uint8_t big[14 + 40 + 31 * 2048 + 8];
		size_t k, cur = 14 + 40, len = cur + i * 2048 + 8;

		memset(big, 0, sizeof(big));
		put16(big + 12, 0x86dd);
		big[14] = 0x60;
		put16(big + 14 + 4, (unsigned int)(len - cur));
		big[14 + 6] = 60;
		for (k = 0; k < i; k++) {
			big[cur + 2048 * k] = k + 1 < i ? 60 : 17;
			big[cur + 2048 * k + 1] = 255; /* (255 + 1) * 8 */
		}
		put16(big + len - 8 + 2, 53);
		xlb_sim_parse(big, len, &p);
		if (i == 29)
			ok(p.l3 == XLB_SIM_L3_IPV6 && p.proto == 17 &&
				   p.l4 == XLB_SIM_L4_WHOLE && p.dport == 53,
			   "29 headers of 2048 bytes: UDP at 59446, read");
		else if (i == 30)
			ok(p.proto == 17 && p.l4 == XLB_SIM_L4_BROKEN,
			   "30: UDP at 61494, past 61440: broken");
		else
			ok(p.proto_unknown,
			   "31: the last extension header at 61494: the protocol "
			   "is unknown");
	}

	/* a jumbogram: payload length 0, hop-by-hop first; the datagram is
	 * the rest of the frame */
	build(&f, 1, 17, "2001:db8::1", "2001:db8::2", 1, 2, 0);
	memmove(f.b + 54 + 8, f.b + 54, 8);
	memset(f.b + 54, 0, 8);
	f.b[54] = 17;
	f.b[14 + 6] = 0;
	put16(f.b + 14 + 4, 0);
	f.len += 8;
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l3 == XLB_SIM_L3_IPV6 && p.proto == 17 && !p.proto_unknown &&
		   p.l4 == XLB_SIM_L4_WHOLE && p.dport == 2 && p.end == f.len,
	   "a jumbogram: the datagram runs to the end of the frame");
	f.b[14 + 6] = 60;
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l3 == XLB_SIM_L3_IPV6 && p.proto_unknown,
	   "payload length 0 without hop-by-hop: an empty datagram, its "
	   "first extension header outside it");

	/* hop-by-hop of 16 bytes, AH of 12, then a fragment header */
	build(&f, 1, 6, "2001:db8::1", "2001:db8::2", 1, 2, 0);
	memmove(f.b + 54 + 36, f.b + 54, 20);
	memset(f.b + 54, 0, 36);
	f.b[20] = 0;	    /* next: hop-by-hop */
	f.b[54] = 51;	    /* then AH */
	f.b[55] = 1;	    /* (1+1)*8 = 16 bytes */
	f.b[70] = 44;	    /* then fragment */
	f.b[71] = 1;	    /* (1+2)*4 = 12 bytes */
	f.b[82] = 6;	    /* then TCP */
	put16(f.b + 84, 1); /* offset 0, M */
	put16(f.b + 18, 36 + 20);
	f.len += 36;
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l3 == XLB_SIM_L3_IPV6 && p.proto == 6 && p.first_frag &&
		   p.l4 == XLB_SIM_L4_WHOLE && p.l4_off == 90,
	   "hop-by-hop, AH, fragment (first), TCP");
	put16(f.b + 18, 36 + 19);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l4 == XLB_SIM_L4_PORTS,
	   "first fragment, TCP cut by the payload length: ports only");
	put16(f.b + 84, 8 << 3);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.nonfirst_frag && p.proto == 6 && p.l4 == XLB_SIM_L4_NONE,
	   "non-first fragment: walking stops, protocol from the fragment "
	   "header");
	f.b[82] = 60; /* a destination options header after it: not read */
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l3 == XLB_SIM_L3_IPV6 && p.nonfirst_frag && p.proto == 60,
	   "non-first fragment: its next header is the L4 protocol");
	put16(f.b + 18, 16 + 11);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l3 == XLB_SIM_L3_IPV6 && p.proto_unknown,
	   "AH past the payload length: the protocol is unknown");
	put16(f.b + 18, 16 + 12 + 7);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l3 == XLB_SIM_L3_IPV6 && p.proto_unknown,
	   "fragment header past the payload length: the protocol is unknown");
	put16(f.b + 18, 1);
	xlb_sim_parse(f.b, f.len, &p);
	ok(p.l3 == XLB_SIM_L3_IPV6 && p.proto_unknown,
	   "hop-by-hop length byte past the payload: the protocol is unknown");
}

/* --- evaluation and selection ---------------------------------------------------------- */

static struct xlb_sim_result run(struct xlb_sim *sim, struct frame *f)
{
	struct xlb_sim_result res;

	xlb_sim_frame(sim, f->b, f->len, &res);
	return res;
}

static unsigned int dport_of(const struct frame *f)
{
	return (unsigned int)(f->b[f->l4 + 2] << 8 | f->b[f->l4 + 3]);
}

static void test_eval(void)
{
	struct xlb_ruleset rs;
	struct xlb_sim *sim;
	struct xlb_sim_result res;
	struct xlb_rule *r;
	struct frame f;
	char seq[64];
	size_t i;

	/* first match wins; families; default */
	xlb_ruleset_init(&rs, &the_src);
	r = rule(&rs, "drop src 10.0.0.0/8", XLB_VERDICT_DROP, XLB_PROTO_ANY);
	prefix(r, XLB_MATCH_SRC, "10.0.0.0", 8);
	r = rule(&rs, "pass not src 2001:db8::/32", XLB_VERDICT_PASS,
		 XLB_PROTO_ANY);
	prefix(r, XLB_MATCH_SRC, "2001:db8::", 32);
	r->cond[XLB_MATCH_SRC].neg = true;
	r = rule(&rs, "tcp flags syn / syn,ack drop", XLB_VERDICT_DROP,
		 XLB_PROTO_TCP);
	flags(r, 0x02, 0x12, false);
	r = rule(&rs, "udp port 9875 -> 9876, 9877 weight 2",
		 XLB_VERDICT_REWRITE, XLB_PROTO_UDP);
	ports(r, XLB_MATCH_DPORT, 9875, 9875, false);
	backend(r, NULL, 9876, 1);
	backend(r, NULL, 9877, 2);
	r->select = XLB_SELECT_RR;
	r = rule(&rs, "port 1-1000 -> 10.9.9.9 hash", XLB_VERDICT_REWRITE,
		 XLB_PROTO_ANY);
	ports(r, XLB_MATCH_DPORT, 1, 1000, false);
	backend(r, "10.9.9.9", -1, 1);
	r->select = XLB_SELECT_HASH;
	rs.def = XLB_VERDICT_DROP;
	rs.def_set = true;
	sim = xlb_sim_new(&rs);

	build(&f, 0, 17, "10.1.2.3", "192.0.2.1", 1, 2, 0);
	res = run(sim, &f);
	ok(res.action == XLB_SIM_DROP && res.slot == 0, "src 10/8: rule 1");
	build(&f, 0, 17, "192.0.2.1", "192.0.2.1", 1, 2000, 0);
	res = run(sim, &f);
	ok(res.by == XLB_SIM_BY_DEFAULT && res.action == XLB_SIM_DROP &&
		   res.slot == 5,
	   "IPv4, no rule: the default (an IPv6-only rule does not match)");
	build(&f, 1, 17, "2001:db9::1", "2001:db8::1", 1, 2, 0);
	res = run(sim, &f);
	ok(res.slot == 1 && res.action == XLB_SIM_PASS,
	   "IPv6 not from 2001:db8::/32: rule 2");
	build(&f, 1, 6, "2001:db8::1", "2001:db8::2", 1, 2, 0);
	f.b[f.l4 + 13] = 0x02;
	res = run(sim, &f);
	ok(res.slot == 2 && res.action == XLB_SIM_DROP, "SYN: rule 3");
	f.b[f.l4 + 13] = 0x12;
	res = run(sim, &f);
	is_int(res.slot, 5, "SYN-ACK: not rule 3");

	/* round robin over T = 0 1 1 */
	seq[0] = '\0';
	for (i = 0; i < 6; i++) {
		build(&f, 0, 17, "192.0.2.1", "192.0.2.2", 5, 9875, 3);
		res = run(sim, &f);
		snprintf(seq + strlen(seq), sizeof(seq) - strlen(seq), "%u ",
			 dport_of(&f));
	}
	is_string(seq, "9876 9877 9877 9876 9877 9877 ",
		  "round robin with weights 1,2");

	/* malformed stops evaluation, and does not move the cursor */
	build(&f, 0, 17, "192.0.2.1", "192.0.2.2", 5, 9875, 0);
	put16(f.b + 16, 20 + 7);
	res = run(sim, &f);
	ok(res.by == XLB_SIM_BY_MALFORMED && res.slot == 7 && !res.rewritten,
	   "short UDP header reaching a port rule: malformed");
	build(&f, 0, 17, "10.0.0.1", "192.0.2.2", 5, 9875, 0);
	put16(f.b + 16, 20 + 7);
	res = run(sim, &f);
	is_int(res.slot, 0, "a rule before that one still decides");
	build(&f, 0, 17, "192.0.2.1", "192.0.2.2", 5, 9875, 0);
	put16(f.b + 16, 20 + 4);
	put16(f.b + 20, 0x2000);
	res = run(sim, &f);
	is_int(res.by, XLB_SIM_BY_MALFORMED,
	       "tiny first fragment reaching a rewrite: malformed");
	build(&f, 0, 17, "192.0.2.1", "192.0.2.2", 5, 9999, 0);
	put16(f.b + 16, 20 + 4);
	put16(f.b + 20, 0x2000);
	res = run(sim, &f);
	is_int(res.slot, 5,
	       "tiny first fragment to other ports: the rewrite's port test "
	       "fails first");
	build(&f, 0, 17, "192.0.2.1", "192.0.2.2", 5, 9875, 3);
	run(sim, &f);
	is_int(dport_of(&f), 9876, "the cursor did not move");
	build(&f, 0, 17, "192.0.2.1", "192.0.2.2", 5, 9875, 0);
	put16(f.b + 20, 0x0001);
	res = run(sim, &f);
	is_int(res.slot, 5, "non-first fragment: port rules do not match");
	build(&f, 0, 47, "192.0.2.1", "192.0.2.2", 5, 80, 0);
	res = run(sim, &f);
	is_int(res.slot, 5,
	       "GRE does not match a rule with ports and no protocol");

	/* the address rewrite, chosen by hash */
	build(&f, 0, 6, "192.0.2.1", "192.0.2.2", 5, 80, 0);
	res = run(sim, &f);
	ok(res.slot == 4 && res.rewritten && f.b[14 + 16] == 10 &&
		   f.b[14 + 19] == 9 && csums_right(&f),
	   "TCP to port 80: destination becomes 10.9.9.9");
	build(&f, 1, 6, "2001:db9::1", "2001:db8::2", 5, 80, 0);
	res = run(sim, &f);
	is_int(res.slot, 1, "IPv6 does not reach the IPv4 backend's rule");
	xlb_sim_free(sim);
	xlb_ruleset_free(&rs);
}

/* n destination options headers in front of f's transport header */
static void add_dstopts(struct frame *f, size_t n)
{
	size_t cur = f->l3 + 40, k;

	memmove(f->b + cur + 8 * n, f->b + cur, f->len - cur);
	for (k = 0; k < n; k++) {
		uint8_t *h = f->b + cur + 8 * k;

		memset(h, 0, 8);
		h[0] = k + 1 < n ? 60 : f->proto;
	}
	if (n)
		f->b[f->l3 + 6] = 60;
	put16(f->b + f->l3 + 4,
	      (unsigned int)(f->len - cur + 8 * n));
	f->len += 8 * n;
	f->l4 += 8 * n;
}

/* IPv6 UDP from src to port 53 behind n destination options headers,
 * through sim. */
static struct xlb_sim_result run_chain(struct xlb_sim *sim, const char *src,
				       size_t n)
{
	struct frame f;

	build(&f, 1, 17, src, "fd00::53", 1, 53, 0);
	add_dstopts(&f, n);
	return run(sim, &f);
}

/* What is not known decides nothing: the fields that were read still do,
 * and a rule that needs more hands the packet to the malformed policy. */
static void test_fail_closed(void)
{
	struct xlb_ruleset rs;
	struct xlb_sim *sim;
	struct xlb_sim_result res;
	struct xlb_rule *r;
	struct frame f;
	uint8_t arp[60] = { 0 };

	xlb_ruleset_init(&rs, &the_src);
	r = rule(&rs, "drop src fd00::1", XLB_VERDICT_DROP, XLB_PROTO_ANY);
	prefix(r, XLB_MATCH_SRC, "fd00::1", 128);
	r = rule(&rs, "pass udp port 53", XLB_VERDICT_PASS, XLB_PROTO_UDP);
	ports(r, XLB_MATCH_DPORT, 53, 53, false);
	rs.def = XLB_VERDICT_DROP;
	rs.def_set = true;
	sim = xlb_sim_new(&rs);

	res = run_chain(sim, "fd00::1", 65);
	ok(res.by == XLB_SIM_BY_RULE && res.slot == 0 &&
		   res.action == XLB_SIM_DROP,
	   "65 headers from a dropped source: its address decides, dropped");
	res = run_chain(sim, "fd00::2", 65);
	ok(res.by == XLB_SIM_BY_MALFORMED && res.slot == 4 &&
		   res.action == XLB_SIM_DROP,
	   "65 headers, at a rule that tests the protocol: malformed, "
	   "dropped by default");
	res = run_chain(sim, "fd00::2", 64);
	ok(res.slot == 1 && res.action == XLB_SIM_PASS,
	   "64 headers: walked, the UDP rule passes it");
	put16(arp + 12, 0x0806);
	xlb_sim_frame(sim, arp, sizeof(arp), &res);
	ok(res.by == XLB_SIM_BY_NONIP && res.action == XLB_SIM_PASS,
	   "ARP: non-ip, passed by default even with default drop");
	xlb_sim_free(sim);

	/* the policies the other way round */
	rs.malformed = XLB_VERDICT_PASS;
	rs.malformed_set = true;
	rs.nonip = XLB_VERDICT_DROP;
	rs.nonip_set = true;
	sim = xlb_sim_new(&rs);
	res = run_chain(sim, "fd00::2", 65);
	ok(res.by == XLB_SIM_BY_MALFORMED && res.action == XLB_SIM_PASS &&
		   !res.rewritten,
	   "malformed pass: passed untouched");
	build(&f, 0, 17, "10.0.0.1", "10.0.0.2", 1, 53, 0);
	f.len = 14 + 10;
	res = run(sim, &f);
	ok(res.by == XLB_SIM_BY_MALFORMED && res.action == XLB_SIM_PASS,
	   "malformed pass: a cut IPv4 header too");
	xlb_sim_frame(sim, arp, sizeof(arp), &res);
	ok(res.by == XLB_SIM_BY_NONIP && res.action == XLB_SIM_DROP,
	   "non-ip drop: ARP dropped");
	xlb_sim_free(sim);
	xlb_ruleset_free(&rs);
}

/* the frames' flow, as they came in */
#define FLOW                                                                   \
	",\"family\":\"ip\",\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\","        \
	"\"proto\":17,\"sport\":1234,\"dport\":9875}"
#define RULE                                                                   \
	"\"pass\",\"by\":\"rule\",\"rule\":\"udp port 9875 -> 9876, 9877, "    \
	"9878\",\"line\":1"
/* a rewrite to backend b; without b when frames that xlb-replay reports
 * skipped ran since the last report (the rule is then not known to be
 * this frame's) */
#define REWRITE(b) RULE ",\"backend\":\"" b "\",\"rewritten\":true" FLOW
#define REWRITE_UNNAMED RULE ",\"rewritten\":true" FLOW
#define MALFORMED "\"drop\",\"by\":\"malformed\",\"rewritten\":false" FLOW
#define SKIPPED(why)                                                           \
	"\"skipped\",\"reason\":\"the kernel would not run it: " why "\"" FLOW

/* --- a capture, as xlb-replay runs it ----------------------------------- */

/*
 * Frames around BPF_PROG_TEST_RUN's limits, with what xlb-replay printed
 * for them on a 4 KiB-page kernel (6.18): the program sees 3520 bytes, a
 * frame runs with up to 17 page fragments, and one longer than
 * xlb-replay's 65536-byte buffer runs but is reported skipped.
 */
static const struct {
	size_t len;
	const char *json;   /* with %u for the packet number */
	unsigned int dport; /* when written */
} replay_frames[] = {
	{ 13,
	  "\"skipped\",\"reason\":\"frame shorter than an Ethernet "
	  "header\"}",
	  0 },
	{ 100, REWRITE("9876"), 9876 },
	{ 3520, REWRITE("9877"), 9877 },
	{ 3521, MALFORMED, 0 },
	{ 4000, MALFORMED, 0 },
	{ 65536, REWRITE("9878"), 9878 },
	{ 65537, SKIPPED("No space left on device"), 0 }, /* ran: 9876 */
	{ 73152, SKIPPED("No space left on device"), 0 }, /* ran: 9877 */
	{ 73153, SKIPPED("Cannot allocate memory"), 0 },
	{ 100000, SKIPPED("Cannot allocate memory"), 0 },
	{ 100, REWRITE_UNNAMED, 9878 },
};

static void test_replay(void)
{
	char path[] = "/tmp/unit-sim.XXXXXX", *in, *out, *text = NULL;
	static uint8_t frame[100000];
	struct pcap_pkthdr h = { .ts = { 1700000000, 0 } };
	struct strbuf want = STRBUF_INIT;
	struct xlb_ruleset rs;
	struct xlb_sim *sim;
	struct xlb_rule *r;
	struct frame f;
	pcap_dumper_t *d;
	pcap_t *p;
	size_t i, n, len = 0;
	FILE *mem;
	int rc, bad = 0;

	if (sysconf(_SC_PAGESIZE) != 4096) {
		skip_block(3, "the expected results are for 4 KiB pages");
		return;
	}
	if (!mkdtemp(path))
		abort();
	in = xasprintf("%s/in.pcap", path);
	out = xasprintf("%s/out.pcap", path);
	p = pcap_open_dead(DLT_EN10MB, 262144);
	d = pcap_dump_open(p, in);
	if (!d)
		abort();
	for (i = 0; i < ARRAY_SIZE(replay_frames); i++) {
		n = replay_frames[i].len;
		/* UDP to 9875 filling the frame; past 65535 bytes of IP, a
		 * 1000-byte datagram and padding */
		build(&f, 0, 17, "10.0.0.1", "10.0.0.2", 1234, 9875,
		      (n > 60000 ? 1000
		       : n < 42	 ? 42
				 : n) -
			      42);
		memset(frame, 0, sizeof(frame));
		memcpy(frame, f.b, n < f.len ? n : f.len);
		if (n > f.len && n <= 60000) {
			put16(frame + 16, (unsigned int)(n - 14));
			memset(frame + f.len, 'x', n - f.len);
			/* the checksum does not matter here */
		}
		h.caplen = (bpf_u_int32)n;
		h.len = (bpf_u_int32)(n + i); /* kept as it was */
		h.ts.tv_sec++;
		pcap_dump((u_char *)d, &h, frame);
		strbuf_printf(&want, "{\"packet\":%zu,\"action\":%s\n", i + 1,
			      replay_frames[i].json);
	}
	pcap_dump_close(d);
	pcap_close(p);

	xlb_ruleset_init(&rs, &the_src);
	r = rule(&rs, "udp port 9875 -> 9876, 9877, 9878", XLB_VERDICT_REWRITE,
		 XLB_PROTO_UDP);
	ports(r, XLB_MATCH_DPORT, 9875, 9875, false);
	backend(r, NULL, 9876, 1);
	backend(r, NULL, 9877, 1);
	backend(r, NULL, 9878, 1);
	r->select = XLB_SELECT_RR;
	sim = xlb_sim_new(&rs);
	mem = open_memstream(&text, &len);
	rc = xlb_sim_replay(sim, in, out, false, mem);
	fclose(mem);
	is_int(rc, 0, "replay around the kernel's limits runs");
	is_string(text, want.buf,
		  "replay around the kernel's limits: "
		  "verdicts and skips as xlb-replay's");

	/* written: every frame run and not dropped, whole, as the program
	 * left it, with its timestamp and original length */
	p = pcap_open_offline(out, NULL);
	for (i = 0; p && i < ARRAY_SIZE(replay_frames); i++) {
		struct pcap_pkthdr *ph;
		const u_char *data;

		if (!replay_frames[i].dport)
			continue;
		if (pcap_next_ex(p, &ph, &data) != 1 ||
		    ph->caplen != replay_frames[i].len ||
		    ph->len != replay_frames[i].len + i ||
		    ph->ts.tv_sec != 1700000001 + (long)i ||
		    (unsigned int)(data[36] << 8 | data[37]) !=
			    replay_frames[i].dport)
			bad++;
	}
	ok(p && !bad && pcap_snapshot(p) == 65536,
	   "replay around the kernel's limits: the frames written");
	if (p)
		pcap_close(p);
	xlb_sim_free(sim);
	xlb_ruleset_free(&rs);
	unlink(in);
	unlink(out);
	rmdir(path);
	free(in);
	free(out);
	free(text);
	strbuf_release(&want);
}

int main(void)
{
	plan(113);
	xlb_source_init_text(&the_src, "t.conf", "", 0);
	test_murmur3();
	test_wlist();
	test_maglev();
	test_csum();
	test_reply();
	test_parse();
	test_eval();
	test_fail_closed();
	test_replay();
	xlb_source_free(&the_src);
	return tap_done();
}
