// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unit-overlap.c - the shadowing and overlap warnings (compiler/overlap.c)
 * against brute force.
 *
 * Random rulesets draw their values from small pools (a few addresses and
 * prefixes per family, ports and types 0-2, the flags syn and ack).  The
 * packets of each rule are found by the reference interpreter (sim.c, which
 * shares no code with the checker) over a universe of frames that holds
 * one value of each kind the pools can tell apart, so that the sets of
 * frames relate exactly as the rules' sets of packets do.  From those sets
 * the test works out, by the definitions of xlb-rules(5), DIAGNOSTICS,
 * which rule each warning must name, and compares with what xlbc says.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "tap.h"
#include "xlbc.h"

#define RULESETS 1000
#define MAX_RULES 8
#define MAX_FRAMES 4096
#define WORDS (MAX_FRAMES / 64)

/* --- the universe of frames ------------------------------------------------- */

struct frame {
	uint8_t b[96];
	size_t len;
};

static struct frame univ[MAX_FRAMES];
static size_t nuniv;

/* 10.0.0.0, .1, .2 and one outside the pools' prefixes; likewise IPv6. */
static const uint8_t addr4[4][4] = { { 10, 0, 0, 0 },
				     { 10, 0, 0, 1 },
				     { 10, 0, 0, 2 },
				     { 10, 0, 0, 9 } };
static const uint8_t addr6_last[4] = { 0, 1, 2, 9 }; /* 2001:db8::N */
static const unsigned int ports[4] = { 0, 1, 2, 9 };
static const uint8_t types[3] = { 0, 1, 9 };
static const uint8_t flag_bytes[4] = { 0, 0x02, 0x10, 0x12 };

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A frame of family v6 from address s to d; later: a non-first fragment
 * (8 bytes of data), else a whole datagram whose transport header has
 * the ports, ICMP type and TCP flags given. */
static void add_frame(int v6, int s, int d, uint8_t proto, int later,
		      unsigned int sport, unsigned int dport, uint8_t type,
		      uint8_t flags)
{
	struct frame *f = &univ[nuniv++];
	size_t ip = 14, l4, l4len = proto == 6 && !later ? 20 : 8;

	memset(f, 0, sizeof(*f));
	put16(f->b + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		f->b[ip] = 0x60;
		put16(f->b + ip + 4, (unsigned int)(l4len + (later ? 8 : 0)));
		f->b[ip + 6] = later ? 44 : proto;
		f->b[ip + 7] = 64;
		f->b[ip + 8] = 0x20;
		f->b[ip + 9] = 0x01;
		f->b[ip + 10] = 0x0d;
		f->b[ip + 11] = 0xb8;
		f->b[ip + 24] = 0x20;
		f->b[ip + 25] = 0x01;
		f->b[ip + 26] = 0x0d;
		f->b[ip + 27] = 0xb8;
		f->b[ip + 23] = addr6_last[s];
		f->b[ip + 39] = addr6_last[d];
		l4 = ip + 40;
		if (later) {
			f->b[l4] = proto; /* fragment header, offset 8 */
			put16(f->b + l4 + 2, 1 << 3);
			l4 += 8;
		}
	} else {
		f->b[ip] = 0x45;
		put16(f->b + ip + 2, (unsigned int)(20 + l4len));
		put16(f->b + ip + 6, later ? 1 : 0); /* offset 8 */
		f->b[ip + 8] = 64;
		f->b[ip + 9] = proto;
		memcpy(f->b + ip + 12, addr4[s], 4);
		memcpy(f->b + ip + 16, addr4[d], 4);
		l4 = ip + 20;
	}
	f->len = l4 + l4len;
	if (later)
		return;
	if (proto == 6 || proto == 17) {
		put16(f->b + l4, sport);
		put16(f->b + l4 + 2, dport);
	}
	if (proto == 17)
		put16(f->b + l4 + 4, 8);
	if (proto == 6) {
		f->b[l4 + 12] = 5 << 4;
		f->b[l4 + 13] = flags;
	}
	if (proto == 1 || proto == 58)
		f->b[l4] = type;
}

/* The frames of one family from address s to address d. */
static void add_pair(int v6, int s, int d)
{
	uint8_t icmp = v6 ? 58 : 1;
	const uint8_t later[4] = { 17, 6, icmp, 47 };
	int a, b, k;

	for (a = 0; a < 4; a++) {
		for (b = 0; b < 4; b++) {
			add_frame(v6, s, d, 17, 0, ports[a], ports[b], 0, 0);
			for (k = 0; k < 4; k++)
				add_frame(v6, s, d, 6, 0, ports[a], ports[b], 0,
					  flag_bytes[k]);
		}
	}
	for (k = 0; k < 3; k++)
		add_frame(v6, s, d, icmp, 0, 0, 0, types[k], 0);
	add_frame(v6, s, d, 47, 0, 0, 0, 0, 0);
	for (k = 0; k < 4; k++)
		add_frame(v6, s, d, later[k], 1, 0, 0, 0, 0);
}

static void make_universe(void)
{
	int v6, s, d;

	for (v6 = 0; v6 < 2; v6++)
		for (s = 0; s < 4; s++)
			for (d = 0; d < 4; d++)
				add_pair(v6, s, d);
}

/* --- random rules ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static unsigned int rnd(unsigned int n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned int)(rng_state % n);
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd((unsigned int)n)];
}

#define PICK(v) pick(v, ARRAY_SIZE(v))

static const char *const addrs[] = {
	"10.0.0.0/31", "10.0.0.0",	 "10.0.0.1",   "10.0.0.2",
	"0.0.0.0/0",   "2001:db8::/127", "2001:db8::", "2001:db8::1",
	"2001:db8::2", "::/0",
};
static const char *const port_values[] = {
	"0", "1", "0-1", "1-2", "{ 0, 2 }", "0-65535",
};
static const char *const type_values[] = { "0", "1", "0-1" };
static const char *const flag_values[] = {
	"syn",		 "ack",		  "syn,ack",
	"syn / syn,ack", "ack / syn,ack", "syn,ack / syn,ack",
};
static const char *const backends[] = {
	"1000", "1001", "1000, 1001", "1001, 1000", "1000 weight 2, 1001",
};

static void add_test(char *buf, size_t len, const char *key, const char *value)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, " %s%s %s", rnd(4) ? "" : "not ", key,
		 value);
}

static void add_addr_test(char *buf, size_t len, const char *key)
{
	char v[64];

	if (rnd(3))
		snprintf(v, sizeof(v), "%s", PICK(addrs));
	else
		snprintf(v, sizeof(v), "{ %s, %s }", PICK(addrs), PICK(addrs));
	add_test(buf, len, key, v);
}

static void random_rule(char *buf, size_t len)
{
	static const char *const protos[] = { "", "udp", "tcp", "icmp",
					      "icmpv6" };
	unsigned int verdict = rnd(10);
	const char *proto =
		verdict < 3 ? (rnd(2) ? "udp" : "tcp") : PICK(protos);
	bool has_ports =
		!strcmp(proto, "udp") || !strcmp(proto, "tcp") || !*proto;
	size_t n;

	snprintf(buf, len, "%s", proto);
	if (!rnd(10)) {
		n = strlen(buf);
		snprintf(buf + n, len - n, " %s", rnd(2) ? "ip" : "ip6");
	}
	if (rnd(2))
		add_addr_test(buf, len, "src");
	if (!rnd(3))
		add_addr_test(buf, len, "dst");
	if (has_ports && !rnd(3))
		add_test(buf, len, "port", PICK(port_values));
	if (has_ports && !rnd(5))
		add_test(buf, len, "src port", PICK(port_values));
	if (!strncmp(proto, "icmp", 4) && rnd(2))
		add_test(buf, len, "type", PICK(type_values));
	if (!strcmp(proto, "tcp") && rnd(2))
		add_test(buf, len, "flags", PICK(flag_values));
	n = strlen(buf);
	if (verdict < 3)
		snprintf(buf + n, len - n, " -> %s", PICK(backends));
	else
		snprintf(buf + n, len - n, " %s",
			 verdict < 7 ? "drop" : "pass");
}

/* --- rules, read and checked --------------------------------------------------- */

struct rules {
	struct xlb_source src;
	struct xlb_ruleset rs;
	struct xlb_diags d;
	int ok;
};

static void rules_read(struct rules *r, const char *text)
{
	xlb_source_init_text(&r->src, "t.conf", text, strlen(text));
	xlb_ruleset_init(&r->rs, &r->src);
	xlb_diags_init(&r->d, &r->src);
	r->ok = xlb_read_rules(&r->src, &r->rs, &r->d) == 0;
}

static void rules_free(struct rules *r)
{
	xlb_diags_free(&r->d);
	xlb_ruleset_free(&r->rs);
	xlb_source_free(&r->src);
}

/* The frames of the universe that rule text matches, by the interpreter. */
static int rule_frames(const char *text, uint64_t *set, size_t *malformed)
{
	struct xlb_sim_result res;
	struct rules r;
	struct xlb_sim *sim;
	struct frame f;
	char buf[512];
	size_t k;

	snprintf(buf, sizeof(buf), "%s;\n", text);
	rules_read(&r, buf);
	if (!r.ok) {
		rules_free(&r);
		return -1;
	}
	memset(set, 0, WORDS * sizeof(*set));
	sim = xlb_sim_new(&r.rs);
	for (k = 0; k < nuniv; k++) {
		f = univ[k]; /* a rewrite changes it */
		xlb_sim_frame(sim, f.b, f.len, &res);
		if (res.by == XLB_SIM_BY_RULE)
			set[k / 64] |= 1ull << (k % 64);
		*malformed += res.by == XLB_SIM_BY_MALFORMED ||
			      res.by == XLB_SIM_BY_NONIP;
	}
	xlb_sim_free(sim);
	rules_free(&r);
	return 0;
}

/* --- the definitions, over sets of frames ----------------------------------- */

#define NONE (-1)

struct brute {
	size_t n;
	uint64_t m[MAX_RULES][WORDS];
	int cls[MAX_RULES]; /* 0 drop, 1 rewrite, 2 pass: strongest first */
	char action[MAX_RULES][64];
	int dead[MAX_RULES], ready[MAX_RULES];
};

static int empty(const uint64_t *a)
{
	size_t w;

	for (w = 0; w < WORDS; w++)
		if (a[w])
			return 0;
	return 1;
}

/* a within b */
static int within(const uint64_t *a, const uint64_t *b)
{
	size_t w;

	for (w = 0; w < WORDS; w++)
		if (a[w] & ~b[w])
			return 0;
	return 1;
}

static void set_and(const uint64_t *a, const uint64_t *b, uint64_t *x)
{
	size_t w;

	for (w = 0; w < WORDS; w++)
		x[w] = a[w] & b[w];
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The action of a rule as a string that is equal for equal actions: the
 * verdict, or the backends (with weights) in order of their text. */
static void action_of(const char *text, char *out, size_t len)
{
	const char *arrow = strstr(text, "-> ");
	char copy[64], *part[4], *save = NULL, *p;
	size_t n = 0, k, used;

	if (!arrow) {
		snprintf(out, len, "%s", strrchr(text, ' ') + 1);
		return;
	}
	snprintf(copy, sizeof(copy), "%s", arrow + 3);
	for (p = strtok_r(copy, ",", &save); p && n < 4;
	     p = strtok_r(NULL, ",", &save)) {
		while (*p == ' ')
			p++;
		part[n++] = p;
	}
	qsort(part, n, sizeof(*part), cmp_str);
	used = (size_t)snprintf(out, len, "->");
	for (k = 0; k < n && used < len; k++)
		used += (size_t)snprintf(
			out + used, len - used, " %s%s", part[k],
			strchr(part[k], ' ') ? "" : " weight 1");
}

/* The first earlier rule that shadows rule j, or NONE. */
static int brute_shadow(const struct brute *b, size_t j)
{
	size_t i;

	if (empty(b->m[j]))
		return NONE;
	for (i = 0; i < j; i++)
		if (within(b->m[j], b->m[i]))
			return (int)i;
	return NONE;
}

static void brute_ready(struct brute *b)
{
	size_t i, k;

	for (i = 0; i < b->n; i++) {
		b->ready[i] = MAX_RULES + 1;
		if (b->cls[i] == 0 || b->dead[i] || empty(b->m[i]))
			continue;
		b->ready[i] = (int)i + 1;
		for (k = i + 1; k < b->n; k++)
			if (!b->dead[k] &&
			    !strcmp(b->action[k], b->action[i]) &&
			    within(b->m[i], b->m[k]))
				b->ready[i] = (int)k + 1;
	}
}

/* The first earlier rule reported as taking packets from rule j. */
static int brute_taker(const struct brute *b, size_t j)
{
	uint64_t x[WORDS];
	size_t i, h;

	if (b->dead[j] || empty(b->m[j]) || b->cls[j] == 2)
		return NONE;
	for (i = 0; i < j; i++) {
		if (!(b->cls[i] > b->cls[j] ||
		      (b->cls[i] == 1 && b->cls[j] == 1)))
			continue;
		if (b->ready[i] > (int)j || !strcmp(b->action[i], b->action[j]))
			continue;
		set_and(b->m[i], b->m[j], x);
		if (empty(x) || within(b->m[i], b->m[j]))
			continue;
		for (h = 0; h < i; h++)
			if (within(x, b->m[h]))
				break;
		if (h == i)
			return (int)i;
	}
	return NONE;
}

/* --- what xlbc says ---------------------------------------------------------- */

static void said(const struct xlb_diags *d, int *shadow, int *taker)
{
	const char *never = "this rule never matches: the rule on line ";
	size_t k;

	for (k = 0; k < MAX_RULES; k++)
		shadow[k] = taker[k] = NONE;
	for (k = 0; k < d->n; k++) {
		const struct xlb_diag *g = &d->v[k];
		unsigned int j = g->loc.first_line - 1;
		const char *by;

		if (g->severity != XLB_WARNING || j >= MAX_RULES)
			continue;
		if (!strncmp(g->msg, never, strlen(never)))
			shadow[j] = atoi(g->msg + strlen(never)) - 1;
		else if ((by = strstr(g->msg, " by line ")))
			taker[j] = atoi(by + strlen(" by line ")) - 1;
	}
}

/* Whether the rule xlbc names for line j + 1 differs from the one wanted
 * (NONE: no rule); the first difference of each kind is shown. */
static int differ(int want, int got, int *bad, const char *what, size_t j)
{
	if (want == got)
		return 0;
	if (!(*bad)++)
		diag("line %zu: %s %d, xlbc says %d (0: none)", j + 1, what,
		     want + 1, got + 1);
	return 1;
}

/* Many rules: a rule shadowed from far back, and the cap on overlaps. */
static void many_rules(void)
{
	size_t cap = 200000, len = 0, k, warnings = 0, notes = 0;
	char *text = xmalloc(cap);
	const char *count = NULL;
	unsigned int line = 0;
	struct rules r;

	len += (size_t)snprintf(text + len, cap - len,
				"drop src 10.0.0.0/8;\n");
	for (k = 0; k < 5000; k++)
		len += (size_t)snprintf(text + len, cap - len,
					"pass src 192.0.%zu.%zu;\n", k / 256,
					k % 256);
	snprintf(text + len, cap - len, "drop src 10.1.2.3;\n");
	rules_read(&r, text);
	for (k = 0; k < r.d.n; k++)
		if (r.d.v[k].severity == XLB_WARNING &&
		    strstr(r.d.v[k].msg, "never matches: the rule on line 1 "))
			line = r.d.v[k].loc.first_line;
	is_int(line, 5002, "a rule shadowed by one 5001 rules before it");
	rules_free(&r);

	len = (size_t)snprintf(text, cap, "udp port 9875 -> 9876, 9877;\n");
	for (k = 0; k < 2000; k++)
		len += (size_t)snprintf(text + len, cap - len,
					"drop src 10.0.%zu.%zu;\n", k / 256,
					k % 256);
	rules_read(&r, text);
	for (k = 0; k < r.d.n; k++) {
		warnings += r.d.v[k].severity == XLB_WARNING;
		notes += r.d.v[k].severity == XLB_NOTE;
		if (!r.d.v[k].has_loc)
			count = r.d.v[k].msg;
	}
	ok(r.ok && warnings == 10 && notes == 11 && count &&
		   !strcmp(count, "1990 more overlaps not shown"),
	   "2000 drops after a load balancer: 10 warnings, then '%s'",
	   count ? count : "(no count)");
	rules_free(&r);
	free(text);
}

int main(void)
{
	static struct brute b;
	size_t malformed = 0, shadows = 0, overlaps = 0, exceptions = 0;
	int bad_shadow = 0, bad_taker = 0, sets = 0, tries = 0;
	char text[MAX_RULES][256];

	plan(7);
	many_rules();
	make_universe();
	ok(nuniv <= MAX_FRAMES, "%zu frames in the universe", nuniv);

	while (sets < RULESETS && tries < 20 * RULESETS) {
		int shadow[MAX_RULES], taker[MAX_RULES];
		char all[MAX_RULES * 260] = "";
		struct rules r;
		size_t j;
		int fail = 0;

		tries++;
		b.n = 2 + rnd(MAX_RULES - 1);
		for (j = 0; j < b.n; j++) {
			random_rule(text[j], sizeof(text[j]));
			strcat(all, text[j]);
			strcat(all, ";\n");
		}
		rules_read(&r, all);
		if (!r.ok) {
			rules_free(&r);
			continue;
		}
		sets++;
		said(&r.d, shadow, taker);
		rules_free(&r);

		for (j = 0; j < b.n; j++) {
			if (rule_frames(text[j], b.m[j], &malformed) < 0)
				fail = 1;
			b.cls[j] = strstr(text[j], "->")      ? 1
				   : strstr(text[j], " drop") ? 0
							      : 2;
			action_of(text[j], b.action[j], sizeof(b.action[j]));
		}
		for (j = 0; j < b.n; j++) {
			int want = brute_shadow(&b, j);

			b.dead[j] = want != NONE;
			shadows += want != NONE;
			fail |= differ(want, shadow[j], &bad_shadow,
				       "shadowed by", j);
		}
		brute_ready(&b);
		for (j = 0; j < b.n; j++) {
			int want = brute_taker(&b, j);

			overlaps += want != NONE;
			exceptions += b.ready[j] > (int)j + 1 &&
				      b.ready[j] <= (int)b.n;
			fail |= differ(want, taker[j], &bad_taker,
				       "taken from by", j);
		}
		if (fail && bad_shadow + bad_taker <= 2)
			diag("in the ruleset:\n%s", all);
	}
	is_int(sets, RULESETS, "%d random rulesets without errors", RULESETS);
	is_int((long long)malformed, 0,
	       "every frame of the universe is IP and well formed");
	ok(!bad_shadow && shadows > RULESETS / 4,
	   "'never matches' names the first shadowing rule (%zu warnings, %d wrong)",
	   shadows, bad_shadow);
	ok(!bad_taker && overlaps > RULESETS / 4 && exceptions > 10,
	   "overlap warnings name the first rule that takes packets (%zu warnings, %zu exceptions, %d wrong)",
	   overlaps, exceptions, bad_taker);
	return tap_done();
}
