// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * diffgen - random rulesets and random packets for the differential test
 * (t/differential.test): the compiled program, run by xlb-replay, against
 * the reference interpreter, xlbc --simulate.
 *
 *   diffgen -s SEED -i INDEX [-n PACKETS] [-r REPLY.pcap] RULES.conf IN.pcap
 *
 * writes ruleset number INDEX of the run SEED, and a capture of PACKETS
 * frames (default 500) made for it.  With -r it also writes a capture of
 * as many frames for the reply path (xlb-replay -r): the same kinds of
 * frames, but their sources are often the rewrite rules' backends, as
 * answers would be.  The same SEED and INDEX always give the same files,
 * so a failure replays from the two numbers alone.
 *
 * Every ruleset is valid (xlbc must accept it: a refusal is a bug here or
 * there) and draws on every construct of the language: both families,
 * prefixes, lists, named sets (mixed families), port ranges, negation in
 * both spellings, ICMP and ICMPv6 types, TCP flags with and without a mask,
 * port and address rewrites, weights, the four selectors, the default, the
 * malformed and non-ip policies, and rulesets long enough to span several of the generator's rule functions.
 * Addresses and ports come from small pools shared with the packets, so
 * that rules match often and near misses are common.
 *
 * The packets are valid and malformed at every header: VLAN tags (up to
 * ten, around the eight that xlb walks), other ethertypes, IPv4 options and
 * fragments, IPv6 extension header chains (up to 70, around the 64 that xlb
 * walks; AH of every length) and fragments, jumbograms, UDP, TCP with options, ICMP, ICMPv6, other
 * protocols, wrong and zero checksums, Ethernet padding, frames cut at any
 * byte, lengths that lie, bad versions and header lengths, and a few frames
 * longer than a page.  This file shares no code with xlbc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "csum.h"

/* --- randomness: splitmix64, seeded from (seed, index) ------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* 0 <= result < n (n > 0) */
static unsigned int below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

/* lo <= result <= hi */
static unsigned int between(unsigned int lo, unsigned int hi)
{
	return lo + below(hi - lo + 1);
}

/* true with probability pct percent */
static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd();
}

/* --- pools shared by the rules and the packets --------------------------- */

#define NV4 6
#define NV6 6
#define NPORT 8

static uint8_t pool4[NV4][4];
static uint8_t pool6[NV6][16];
static uint16_t pool_port[NPORT];

static void pools_init(void)
{
	unsigned int i;

	for (i = 0; i < NV4; i++) {
		pool4[i][0] = chance(70) ? 10 : (uint8_t)between(1, 223);
		rnd_bytes(pool4[i] + 1, 3);
		if (i && chance(40)) /* a neighbour of an earlier one */
			memcpy(pool4[i], pool4[below(i)], 3);
	}
	for (i = 0; i < NV6; i++) {
		static const uint8_t doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };

		memcpy(pool6[i], doc, 4);
		rnd_bytes(pool6[i] + 4, 12);
		if (chance(40))
			memset(pool6[i] + 8, 0, 6); /* 2001:db8:x:y::z */
		if (i && chance(40))
			memcpy(pool6[i], pool6[below(i)], 8);
	}
	for (i = 0; i < NPORT; i++) {
		static const uint16_t well_known[] = { 22, 53, 80, 443, 8080,
						       9875, 0, 65535 };

		pool_port[i] = chance(40) ? well_known[below(8)]
					  : (uint16_t)between(1, 65535);
	}
}

/* Where the answers of the ruleset's rewrites come from (a backend's
 * address and port, else the rule's destination address or port), for the
 * reply capture. */
#define MAX_RECORDED 512

static struct source {
	unsigned int fam;
	uint8_t addr[16];
	uint16_t port;
} sources[MAX_RECORDED];
static unsigned int nsources;
static bool reply_capture;	  /* making the reply capture */
static const struct source *from; /* this frame's source, or NULL */

/* The rule being written: its one destination address and port, when it
 * has them (emit_vip(), emit_vport()). */
static struct {
	bool has_addr, has_port;
	uint8_t addr[16];
	uint16_t port;
} vip;

/* An address near the pool: the same, the same but a few low bits, or any. */
static void pick_addr(unsigned int fam, uint8_t *a)
{
	size_t len = fam == 4 ? 4 : 16;
	unsigned int r = below(100);

	memcpy(a, fam == 4 ? pool4[below(NV4)] : pool6[below(NV6)], len);
	if (fam == 6 && chance(2)) { /* IPv4-mapped */
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, pool4[below(NV4)], 4);
	}
	if (r < 55)
		return;
	if (r < 85) {
		a[len - 1] ^= (uint8_t)rnd();
		if (chance(50))
			a[len - 2] ^= (uint8_t)rnd();
		return;
	}
	rnd_bytes(a, len);
}

static uint16_t pick_port(void)
{
	unsigned int r = below(100);
	uint16_t p = pool_port[below(NPORT)];

	if (r < 60)
		return p;
	if (r < 85)
		return (uint16_t)(p + between(0, 6) - 3);
	return (uint16_t)rnd();
}

/* A packet's source: in the reply capture, often an answer's. */
static void pick_src_addr(unsigned int fam, uint8_t *a)
{
	if (from && from->fam == fam && chance(90)) {
		memcpy(a, from->addr, fam == 4 ? 4 : 16);
		return;
	}
	pick_addr(fam, a);
}

static uint16_t pick_src_port(void)
{
	if (from && chance(90))
		return from->port;
	return pick_port();
}

/* --- the ruleset ---------------------------------------------------------- */

static FILE *out;

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
}

static void emit_addr(unsigned int fam, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (fam == 6 && chance(3)) {
		/* every group written out, the long way */
		emit("%x:%x:%x:%x:%x:%x:%x:%x", a[0] << 8 | a[1],
		     a[2] << 8 | a[3], a[4] << 8 | a[5], a[6] << 8 | a[7],
		     a[8] << 8 | a[9], a[10] << 8 | a[11], a[12] << 8 | a[13],
		     a[14] << 8 | a[15]);
		return;
	}
	inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, buf, sizeof(buf));
	emit("%s", buf);
}

/* An address element of family fam: an address or a prefix. */
static void emit_addr_elem(unsigned int fam)
{
	uint8_t a[16];
	unsigned int max = fam == 4 ? 32 : 128, plen;

	pick_addr(fam, a);
	if (chance(3)) {
		emit(fam == 4 ? "0.0.0.0/0" : "::/0");
		return;
	}
	if (fam == 6 && chance(2)) { /* IPv4-mapped: IPv6 all the same */
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, pool4[below(NV4)], 4);
	}
	emit_addr(fam, a);
	if (chance(40))
		return;
	switch (below(4)) {
	case 0:
		plen = max;
		break;
	case 1:
		plen = between(max - 8, max - 1);
		break;
	case 2:
		plen = between(max / 4, max - 1);
		break;
	default:
		plen = below(max + 1);
		break;
	}
	emit("/%u", plen);
}

static void emit_port_elem(void)
{
	uint16_t lo = pick_port(), hi;

	if (chance(70)) {
		emit("%u", lo);
		return;
	}
	hi = chance(70) ? (uint16_t)(lo + below(64))
			: (uint16_t)between(lo, 65535);
	if (hi < lo)
		hi = 65535;
	emit("%u-%u", lo, hi);
}

/* Named sets, made before the rules. */
#define MAX_SETS 6
enum set_kind { SET_PORTS, SET_ADDRS };
static struct {
	enum set_kind kind;
	unsigned int fams; /* SET_ADDRS: bit 0 IPv4, bit 1 IPv6 */
} sets[MAX_SETS];
static unsigned int nsets;

#define F4 1u
#define F6 2u

static unsigned int list_len(void)
{
	unsigned int r = below(100);

	if (r < 50)
		return between(1, 3);
	if (r < 85)
		return between(4, 10);
	if (r < 97)
		return between(11, 24);
	return between(25, 60);
}

/* A list of address elements covering every family of fams. */
static void emit_addr_list(unsigned int fams, unsigned int n)
{
	unsigned int i, f;

	if (n < 2 && fams == (F4 | F6))
		n = 2;
	for (i = 0; i < n; i++) {
		if (i == 0 && (fams & F4))
			f = 4;
		else if (i == 1 && fams == (F4 | F6))
			f = 6;
		else if (i == 0)
			f = 6;
		else /* the other family now and then: it never matches */
			f = (fams & F4 && fams & F6) ? (chance(50) ? 4 : 6)
			    : chance(85)	     ? (fams & F4 ? 4 : 6)
			    : (fams & F4 ? 6 : 4);
		emit("%s", i ? ", " : "");
		emit_addr_elem(f);
	}
}

static void emit_sets(void)
{
	unsigned int i, j, n;

	nsets = chance(40) ? 0 : between(1, MAX_SETS);
	for (i = 0; i < nsets; i++) {
		sets[i].kind = chance(35) ? SET_PORTS : SET_ADDRS;
		sets[i].fams = 0;
		emit("set s%u {%s", i, chance(30) ? "\n\t" : " ");
		n = list_len();
		if (sets[i].kind == SET_PORTS) {
			for (j = 0; j < n; j++) {
				emit("%s", j ? ", " : "");
				emit_port_elem();
			}
		} else {
			unsigned int r = below(3);

			sets[i].fams = r == 0 ? F4 : r == 1 ? F6 : F4 | F6;
			emit_addr_list(sets[i].fams, n);
		}
		emit("%s }%s\n", chance(20) ? "," : "", chance(30) ? ";" : "");
	}
}

/* A value for an address test: it covers every family in fams. */
static void emit_addr_value(unsigned int fams)
{
	unsigned int i, cand[MAX_SETS], nc = 0;

	for (i = 0; i < nsets; i++)
		if (sets[i].kind == SET_ADDRS && (sets[i].fams & fams) == fams)
			cand[nc++] = i;
	if (nc && chance(30)) {
		emit("@s%u", cand[below(nc)]);
		return;
	}
	if (fams != (F4 | F6) && chance(45)) {
		emit_addr_elem(fams == F4 ? 4 : 6);
		return;
	}
	emit("{ ");
	emit_addr_list(fams, list_len());
	emit("%s }", chance(10) ? "," : "");
}

static void emit_port_value(void)
{
	unsigned int i, cand[MAX_SETS], nc = 0, n;

	for (i = 0; i < nsets; i++)
		if (sets[i].kind == SET_PORTS)
			cand[nc++] = i;
	if (nc && chance(25)) {
		emit("@s%u", cand[below(nc)]);
		return;
	}
	if (chance(50)) {
		emit_port_elem();
		return;
	}
	emit("{ ");
	n = list_len();
	for (i = 0; i < n; i++) {
		emit("%s", i ? ", " : "");
		emit_port_elem();
	}
	emit(" }");
}

static const char *const icmp_names[] = {
	"echo-reply",	      "destination-unreachable", "source-quench",
	"redirect",	      "echo-request",		 "router-advertisement",
	"router-solicitation", "time-exceeded",		 "parameter-problem",
	"timestamp-request",  "timestamp-reply",	 "info-request",
	"info-reply",	      "address-mask-request",	 "address-mask-reply",
};
static const uint8_t icmp_values[] = { 0, 3, 4, 5, 8, 9, 10, 11,
				       12, 13, 14, 15, 16, 17, 18 };
static const char *const icmp6_names[] = {
	"destination-unreachable", "packet-too-big",	  "time-exceeded",
	"parameter-problem",	   "echo-request",	  "echo-reply",
	"mld-listener-query",	   "mld-listener-report", "mld-listener-done",
	"nd-router-solicit",	   "nd-router-advert",	  "nd-neighbor-solicit",
	"nd-neighbor-advert",	   "nd-redirect",	  "router-renumbering",
	"ind-neighbor-solicit",	   "ind-neighbor-advert", "mld2-listener-report",
};
static const uint8_t icmp6_values[] = { 1,   2,	  3,   4,   128, 129,
					130, 131, 132, 133, 134, 135,
					136, 137, 138, 141, 142, 143 };
#define N_ICMP (sizeof(icmp_values))
#define N_ICMP6 (sizeof(icmp6_values))

static void emit_type_elem(bool v6)
{
	unsigned int lo, hi;

	if (chance(60)) {
		emit("%s", v6 ? icmp6_names[below(N_ICMP6)]
			      : icmp_names[below(N_ICMP)]);
		return;
	}
	lo = chance(70) ? (v6 ? icmp6_values[below(N_ICMP6)]
			      : icmp_values[below(N_ICMP)])
			: below(256);
	if (chance(70)) {
		emit("%u", lo);
		return;
	}
	hi = lo + below(256 - lo);
	emit("%u-%u", lo, hi);
}

static void emit_type_value(bool v6)
{
	unsigned int i, n;

	if (chance(50)) {
		emit_type_elem(v6);
		return;
	}
	n = between(1, 6);
	emit("{ ");
	for (i = 0; i < n; i++) {
		emit("%s", i ? ", " : "");
		emit_type_elem(v6);
	}
	emit(" }");
}

static const char *const flag_names[] = { "fin", "syn", "rst", "psh",
					  "ack", "urg", "ecn", "cwr" };

static void emit_flag_list(uint8_t bits)
{
	unsigned int i;
	bool first = true;

	for (i = 0; i < 8; i++) {
		if (bits & 1u << i) {
			emit("%s%s", first ? "" : ",", flag_names[i]);
			first = false;
		}
	}
}

/* A flags test's value: FLAGS, or FLAGS / MASK with FLAGS within MASK. */
static void emit_flags_value(void)
{
	static const uint8_t common[] = { 0x02, 0x12, 0x10, 0x11, 0x04,
					  0x18, 0x01, 0x14 };
	uint8_t mask, value;

	if (chance(45)) {
		value = chance(60) ? common[below(sizeof(common))]
				   : (uint8_t)(1u << below(8));
		if (!value)
			value = 0x02;
		emit_flag_list(value);
		return;
	}
	mask = chance(60) ? (uint8_t)(common[below(sizeof(common))] | 0x12)
			  : (uint8_t)rnd();
	if (!mask)
		mask = 0x12;
	value = (uint8_t)(rnd() & mask);
	if (!value) {
		/* 'flags / MASK' is not in the grammar: the value needs a
		 * flag; one of the mask's, or the whole mask */
		value = mask & (uint8_t)-mask;
	}
	emit_flag_list(value);
	emit(" / ");
	emit_flag_list(mask);
}

/*
 * Families of rules, as large rulesets have them: copies of one rule that
 * differ only in the value of one match (vary, an M_* of emit_rule()),
 * which comes from a stream of its own (vary_state) while everything else
 * repeats the same draws.  The compiler looks such rules up in a table.
 */
static bool in_family; /* emit_rule() picks vary among its matches */
static int vary = -1;
static uint64_t vary_state;

static void swap_streams(void)
{
	uint64_t t = rng_state;

	rng_state = vary_state;
	vary_state = t;
}

/* "not KEY VALUE" or "KEY != VALUE", or plain "KEY VALUE"; plain for the
 * match that varies, most of the time. */
static bool begin_test_of(const char *key, bool varies)
{
	unsigned int r = below(100);

	if (varies && r < 95) {
		emit("%s ", key);
		return false;
	}

	if (r < 12) {
		emit("not %s ", key);
		return true;
	}
	if (r < 22) {
		emit("%s != ", key);
		return true;
	}
	emit("%s ", key);
	return false;
}

#define begin_test(key) begin_test_of(key, (int)order[i] == vary)

enum proto { P_ANY, P_UDP, P_TCP, P_ICMP, P_ICMP6 };

/* One destination address of family fam, as a reply-path rule has it;
 * replies from port backends come from it. */
static void emit_vip(unsigned int fam)
{
	bool list = chance(15);

	pick_addr(fam, vip.addr);
	vip.has_addr = true;
	emit("dst %s", list ? "{ " : "");
	emit_addr(fam, vip.addr);
	emit("%s%s", chance(20) ? (fam == 4 ? "/32" : "/128") : "",
	     list ? " }" : "");
}

/* One destination port; replies from address backends without a port
 * come from it. */
static void emit_vport(void)
{
	vip.port = pick_port();
	vip.has_port = true;
	emit("%s %u", chance(50) ? "port" : "dst port", vip.port);
}

struct backend {
	bool has_addr, has_port;
	uint8_t addr[16];
	uint16_t port;
};

static void emit_backends(unsigned int bfam)
{
	struct backend b[64];
	unsigned int n, i, j, kinds = below(4), tries;
	unsigned int wmax = chance(50) ? 0 : chance(80) ? 5 : 1000;

	n = chance(85) ? between(1, 6) : chance(80) ? between(7, 24)
						    : between(25, 64);
	for (i = 0; i < n; i++) {
		for (tries = 0; tries < 20; tries++) {
			struct backend *c = &b[i];

			memset(c, 0, sizeof(*c));
			switch (kinds) {
			case 0: /* ports only */
				c->has_port = true;
				break;
			case 1: /* addresses only */
				c->has_addr = true;
				break;
			case 2: /* address:port */
				c->has_addr = c->has_port = true;
				break;
			default: /* any mix */
				c->has_addr = chance(60);
				c->has_port = !c->has_addr || chance(50);
				break;
			}
			if (c->has_addr)
				pick_addr(bfam, c->addr);
			if (c->has_port)
				c->port = chance(50) ? (uint16_t)between(1, 65535)
						     : (uint16_t)between(8000, 8015);
			if (c->has_port && !c->port)
				c->port = 1;
			for (j = 0; j < i; j++)
				if (b[j].has_addr == c->has_addr &&
				    b[j].has_port == c->has_port &&
				    (!c->has_port || b[j].port == c->port) &&
				    (!c->has_addr ||
				     !memcmp(b[j].addr, c->addr,
					     bfam == 4 ? 4 : 16)))
					break;
			if (j == i)
				break;
		}
		if (tries == 20) {
			n = i;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		const struct backend *c = &b[i];

		if (nsources < MAX_RECORDED) {
			struct source *o = &sources[nsources++];

			o->fam = bfam;
			if (c->has_addr)
				memcpy(o->addr, c->addr, 16);
			else if (vip.has_addr)
				memcpy(o->addr, vip.addr, 16);
			else
				pick_addr(bfam, o->addr);
			o->port = c->has_port ? c->port
				  : vip.has_port ? vip.port
						 : pick_port();
		}
		emit("%s", i ? (chance(10) ? ",\n\t" : ", ") : "");
		if (c->has_addr) {
			bool br = bfam == 6 && (c->has_port || chance(50));

			emit("%s", br ? "[" : "");
			emit_addr(bfam, c->addr);
			emit("%s", br ? "]" : "");
			if (c->has_port)
				emit(":%u", c->port);
		} else {
			emit("%u", c->port);
		}
		if (wmax && chance(70))
			emit(" weight %u", between(1, wmax));
	}
	switch (below(6)) {
	case 0:
		emit(" round-robin");
		break;
	case 1:
		emit(" hash");
		break;
	case 2:
		emit(" hash src");
		break;
	case 3:
	case 4:
		emit(" maglev");
		break;
	default: /* the protocol's default */
		break;
	}
}

/* A match's value, from the stream of its own when it is the one that
 * varies. */
#define VALUE(call)                                                            \
	do {                                                                   \
		bool v_ = (int)order[i] == vary;                               \
		if (v_)                                                        \
			swap_streams();                                        \
		call;                                                          \
		if (v_)                                                        \
			swap_streams();                                        \
	} while (0)

/* One rule, with a ';' and a newline. */
static void emit_rule(void)
{
	enum { M_FAMILY, M_PROTO, M_SRC, M_DST, M_SPORT, M_DPORT, M_TYPE,
	       M_FLAGS, M_N };
	unsigned int fams, order[M_N], n = 0, i, bfam;
	bool want[M_N] = { false }, rewrite, drop, verdict_first, one_dst;
	enum proto proto;
	unsigned int r = below(100);

	/* the families the rule is written for */
	fams = r < 40 ? F4 : r < 70 ? F6 : F4 | F6;
	rewrite = chance(30);
	if (rewrite) {
		proto = chance(50) ? P_UDP : P_TCP;
	} else {
		r = below(100);
		proto = r < 25	 ? P_ANY
			: r < 50 ? P_UDP
			: r < 75 ? P_TCP
			: fams == F4 ? P_ICMP
			: fams == F6 ? P_ICMP6
				     : P_ANY;
	}
	drop = chance(50);
	want[M_FAMILY] = fams != (F4 | F6) && chance(25);
	want[M_PROTO] = proto != P_ANY;
	want[M_SRC] = chance(45);
	want[M_DST] = chance(rewrite ? 60 : 40);
	if (proto != P_ICMP && proto != P_ICMP6) {
		want[M_SPORT] = chance(20);
		want[M_DPORT] = chance(rewrite ? 85 : 40);
	}
	want[M_TYPE] = (proto == P_ICMP || proto == P_ICMP6) && chance(60);
	want[M_FLAGS] = proto == P_TCP && chance(40);
	/* the family of address backends, if emit_backends() draws any */
	bfam = fams == F4 ? 4 : fams == F6 ? 6 : chance(50) ? 4 : 6;
	/* a rewrite to one address and port: its replies can be told apart
	 * (xlb-rules(5), THE REPLY PATH) */
	one_dst = rewrite && chance(50);
	if (one_dst)
		want[M_DST] = want[M_DPORT] = true;
	memset(&vip, 0, sizeof(vip));

	if (in_family) {
		unsigned int cand[M_N], nc = 0;

		for (i = M_SRC; i <= M_TYPE; i++)
			if (want[i])
				cand[nc++] = i;
		vary = nc ? (int)cand[below(nc)] : -1;
	}
	for (i = 0; i < M_N; i++)
		if (want[i])
			order[n++] = i;
	for (i = n; i > 1; i--) { /* matches may come in any order */
		unsigned int j = below(i), t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}

	verdict_first = !rewrite && (n == 0 || chance(50));
	if (verdict_first)
		emit("%s", drop ? "drop" : "pass");
	for (i = 0; i < n; i++) {
		emit("%s", verdict_first || i ? (chance(5) ? "\n\t" : " ") : "");
		switch (order[i]) {
		case M_FAMILY:
			emit("%s", fams == F4 ? "ip" : "ip6");
			break;
		case M_PROTO:
			emit("%s", proto == P_UDP    ? "udp"
				   : proto == P_TCP  ? "tcp"
				   : proto == P_ICMP ? "icmp"
						     : "icmpv6");
			break;
		case M_SRC:
			begin_test("src");
			VALUE(emit_addr_value(fams));
			break;
		case M_DST:
			if (one_dst) {
				VALUE(emit_vip(bfam));
				break;
			}
			begin_test("dst");
			VALUE(emit_addr_value(fams));
			break;
		case M_SPORT:
			begin_test("src port");
			VALUE(emit_port_value());
			break;
		case M_DPORT:
			if (one_dst) {
				VALUE(emit_vport());
				break;
			}
			begin_test(chance(50) ? "port" : "dst port");
			VALUE(emit_port_value());
			break;
		case M_TYPE:
			begin_test("type");
			VALUE(emit_type_value(proto == P_ICMP6));
			break;
		case M_FLAGS:
			begin_test("flags");
			emit_flags_value();
			break;
		}
	}
	if (rewrite) {
		emit(" -> ");
		emit_backends(bfam);
	} else if (!verdict_first) {
		emit(" %s", drop ? "drop" : "pass");
	}
	emit(";%s\n", chance(10) ? " # a comment" : "");
}

static void emit_ruleset(void)
{
	unsigned int nrules, i, def = below(3);
	unsigned int r = below(100);

	nrules = r < 10 ? between(1, 2) : r < 70 ? between(3, 16)
				: r < 94 ? between(17, 63)
					 : between(64, 200);
	unsigned int malformed = below(3), nonip = below(3);

	emit("# diffgen: %u rules\n", nrules);
	emit_sets();
	if (def && chance(30))
		emit("default %s;\n", def == 1 ? "drop" : "pass");
	else if (def)
		def += 2; /* at the end */
	/* the policies, given or not, before or after the rules */
	if (malformed && chance(50))
		emit("malformed %s;\n", malformed == 1 ? "drop" : "pass");
	else if (malformed)
		malformed += 2;
	if (nonip && chance(50))
		emit("non-ip %s;\n", nonip == 1 ? "drop" : "pass");
	else if (nonip)
		nonip += 2;
	for (i = 0; i < nrules; i++) {
		uint64_t next, copies, c;

		if (!chance(15)) {
			emit_rule();
			continue;
		}
		/* a family: the same draws for each copy but the varied
		 * value's */
		copies = chance(70) ? between(4, 12) : between(13, 150);
		in_family = true;
		vary_state = rnd();
		next = rnd();
		for (c = 0; c < copies; c++) {
			uint64_t same = rng_state;

			emit_rule();
			rng_state = same;
		}
		in_family = false;
		vary = -1;
		rng_state = next;
		i += (unsigned int)copies - 1;
	}
	if (malformed > 2)
		emit("malformed %s;\n", malformed == 3 ? "drop" : "pass");
	if (nonip > 2)
		emit("non-ip %s;\n", nonip == 3 ? "drop" : "pass");
	if (def > 2)
		emit("default %s", def == 3 ? "drop" : "pass");
	emit("\n");
}

/* --- packets --------------------------------------------------------------- */

#define MAX_FRAME 10000

struct frame {
	uint8_t b[MAX_FRAME];
	size_t len;
};

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

enum l4kind { L4_UDP, L4_TCP, L4_ICMP, L4_ICMP6, L4_OTHER };

/* The transport header and payload at p, room bytes at most; returns its
 * length.  The checksum is filled in by finish_l4(). */
static size_t make_l4(uint8_t *p, size_t room, enum l4kind k, uint8_t *proto)
{
	size_t hl, pay;
	static const uint8_t tcp_common[] = { 0x02, 0x12, 0x10, 0x18, 0x11,
					      0x04, 0x14, 0x01, 0x29, 0xc2 };

	/* a frame with room for more than a page tests the kernel's
	 * linear limit (xlb-rules(5), xlb-replay(1)) */
	if (room > 2000 && chance(80))
		pay = between(1400, (unsigned int)room - 60);
	else
		pay = chance(3) ? between(1400, 3000) : chance(70) ? below(40)
								 : between(40, 300);
	switch (k) {
	case L4_UDP:
		*proto = 17;
		hl = 8;
		if (hl + pay > room)
			pay = room > hl ? room - hl : 0;
		put16(p, pick_src_port());
		put16(p + 2, pick_port());
		put16(p + 4, (unsigned int)(hl + pay));
		put16(p + 6, 0);
		break;
	case L4_TCP:
		*proto = 6;
		hl = chance(70) ? 20 : 4 * between(6, 15);
		if (hl + pay > room)
			pay = room > hl ? room - hl : 0;
		put16(p, pick_src_port());
		put16(p + 2, pick_port());
		rnd_bytes(p + 4, 8); /* seq, ack */
		p[12] = (uint8_t)(hl / 4) << 4;
		p[13] = chance(70) ? tcp_common[below(sizeof(tcp_common))]
				   : (uint8_t)rnd();
		put16(p + 14, (unsigned int)rnd());
		put16(p + 16, 0);
		put16(p + 18, chance(90) ? 0 : (unsigned int)rnd());
		if (hl > 20)
			rnd_bytes(p + 20, hl - 20);
		break;
	case L4_ICMP:
	case L4_ICMP6:
		*proto = k == L4_ICMP ? 1 : 58;
		hl = 8;
		if (hl + pay > room)
			pay = room > hl ? room - hl : 0;
		if (chance(75))
			p[0] = k == L4_ICMP ? icmp_values[below(N_ICMP)]
					    : icmp6_values[below(N_ICMP6)];
		else
			p[0] = (uint8_t)rnd();
		p[1] = (uint8_t)rnd();
		put16(p + 2, 0);
		rnd_bytes(p + 4, 4);
		break;
	default: {
		static const uint8_t others[] = { 47, 50, 59, 132, 136, 0, 255,
						  4, 41, 58, 1, 17, 6 };

		*proto = others[below(sizeof(others))];
		hl = 0;
		if (pay > room)
			pay = room;
		break;
	}
	}
	rnd_bytes(p + hl, pay);
	return hl + pay;
}

/* The checksum of the transport header at p (len bytes of datagram after
 * the network headers), over the pseudo-header of family fam: right most
 * of the time, sometimes zero or wrong. */
static void finish_l4(uint8_t *p, size_t len, uint8_t proto, unsigned int fam,
		      const uint8_t *saddr, const uint8_t *daddr)
{
	size_t at, alen = fam == 4 ? 4 : 16;
	uint32_t s = 0;
	uint8_t pl[4];
	uint16_t c;

	if (proto == 17 && len >= 8)
		at = 6;
	else if (proto == 6 && len >= 20)
		at = 16;
	else if ((proto == 1 || proto == 58) && len >= 8)
		at = 2;
	else
		return;
	if (proto != 1) { /* ICMP has no pseudo-header */
		s = sum16(saddr, alen, s);
		s = sum16(daddr, alen, s);
		put16(pl, (unsigned int)(len >> 16));
		put16(pl + 2, (unsigned int)len);
		s = sum16(pl, 4, s);
		s += proto;
	}
	s = sum16(p, len, s);
	c = fold(s);
	if (proto == 17 && c == 0)
		c = 0xffff;
	if (proto == 17 && chance(2))
		c = 0xffff; /* wrong, or the other form of zero */
	if (proto == 17 && chance(12))
		c = 0; /* no checksum */
	else if (chance(8))
		c = (uint16_t)rnd(); /* wrong */
	if (proto != 17 && chance(2)) /* either form of zero, both wrong */
		c = chance(50) ? 0xffff : 0;
	put16(p + at, c);
}

static enum l4kind pick_l4(unsigned int fam)
{
	unsigned int r = below(100);

	if (r < 36)
		return L4_UDP;
	if (r < 72)
		return L4_TCP;
	if (r < 88)
		return fam == 4 ? L4_ICMP : L4_ICMP6;
	if (r < 91)
		return fam == 4 ? L4_ICMP6 : L4_ICMP; /* the wrong one */
	return L4_OTHER;
}

/* IPv4 from p; returns the datagram's length. */
static size_t make_ipv4(uint8_t *p, size_t room)
{
	size_t ihl = chance(75) ? 20 : 4 * between(6, 15), l4len;
	uint8_t proto;
	unsigned int fragoff = 0;
	bool mf = false;

	p[0] = (uint8_t)(0x40 | ihl / 4);
	p[1] = (uint8_t)rnd();
	put16(p + 4, (unsigned int)rnd());
	if (chance(15)) { /* a fragment */
		if (chance(45)) {
			mf = true; /* the first */
		} else {
			fragoff = chance(50) ? between(1, 20) : below(8192);
			if (!fragoff)
				fragoff = 1;
			mf = chance(50);
		}
	}
	put16(p + 6, (chance(40) ? 0x4000 : 0) | (mf ? 0x2000 : 0) | fragoff);
	p[8] = (uint8_t)between(1, 255);
	pick_src_addr(4, p + 12);
	pick_addr(4, p + 16);
	if (ihl > 20)
		rnd_bytes(p + 20, ihl - 20);
	l4len = make_l4(p + ihl, room - ihl, pick_l4(4), &proto);
	p[9] = proto;
	put16(p + 2, (unsigned int)(ihl + l4len));
	put16(p + 10, 0);
	put16(p + 10, fold(sum16(p, ihl, 0)));
	if (!fragoff)
		finish_l4(p + ihl, l4len, proto, 4, p + 12, p + 16);
	return ihl + l4len;
}

/* IPv6 from p, with a chain of extension headers; returns its length. */
static size_t make_ipv6(uint8_t *p, size_t room)
{
	static const uint8_t ext[] = { 0, 43, 60, 51, 44 };
	unsigned int next_at = 6, n, i, r;
	size_t off = 40, l4len;
	uint8_t proto;
	bool nonfirst = false;

	p[0] = (uint8_t)(0x60 | below(16));
	rnd_bytes(p + 1, 3);
	p[7] = (uint8_t)between(1, 255);
	pick_src_addr(6, p + 8);
	pick_addr(6, p + 24);
	/* chains of every length, often around the 64 that xlb walks */
	r = below(100);
	n = r < 60 ? 0 : r < 85 ? between(1, 3) : r < 91 ? between(4, 12)
				: r < 94 ? between(13, 61) : between(62, 70);
	for (i = 0; i < n && !nonfirst && off + 200 < room; i++) {
		/* a long chain rarely has a fragment header, which would
		 * end most of them early */
		uint8_t t = ext[below(n > 12 && !chance(5) ? sizeof(ext) - 1
							 : sizeof(ext))];
		size_t len;

		p[next_at] = t;
		if (t == 44) {
			unsigned int fo = 0;
			bool m = false;

			if (chance(50)) {
				m = true; /* first */
			} else if (chance(70)) {
				fo = between(1, 8191);
				m = chance(50);
				nonfirst = true;
			} /* else an atomic fragment: offset 0, no M */
			len = 8;
			p[off + 1] = 0;
			put16(p + off + 2, fo << 3 | (m ? 1 : 0));
			rnd_bytes(p + off + 4, 4);
		} else if (t == 51) { /* AH: any number of 4-byte words */
			len = 4 * (2 + (n > 12 || chance(80) ? between(1, 4)
							     : between(5, 40)));
			p[off + 1] = (uint8_t)(len / 4 - 2);
			rnd_bytes(p + off + 2, len - 2);
		} else {
			len = 8 * (1 + (n > 12 || chance(70) ? 0
							     : between(1, 3)));
			p[off + 1] = (uint8_t)(len / 8 - 1);
			rnd_bytes(p + off + 2, len - 2);
		}
		next_at = (unsigned int)off;
		off += len;
	}
	l4len = make_l4(p + off, room - off, pick_l4(6), &proto);
	p[next_at] = proto;
	/* a jumbogram (RFC 2675) says 0 and puts its length in a hop-by-hop
	 * option, which xlb does not read */
	if (p[6] == 0 && chance(10))
		put16(p + 4, 0);
	else
		put16(p + 4, (unsigned int)(off - 40 + l4len));
	if (!nonfirst)
		finish_l4(p + off, l4len, proto, 6, p + 8, p + 24);
	return off + l4len;
}

/* Make the datagram lie or break: one defect, somewhere in its headers. */
static void break_ip(uint8_t *ip, size_t len, unsigned int fam)
{
	unsigned int r = below(100);
	size_t tl;

	if (fam == 4) {
		size_t ihl = (size_t)(ip[0] & 15) * 4;

		if (r < 15) {
			ip[0] = (uint8_t)(below(16) << 4 | (ip[0] & 15));
		} else if (r < 30) {
			ip[0] = (uint8_t)(0x40 | below(16));
		} else if (r < 55) { /* total length: too long, short, tiny */
			tl = chance(50) ? len + between(1, 40)
					: below((unsigned int)len + 1);
			put16(ip + 2, (unsigned int)tl);
		} else if (r < 80) { /* end inside the transport header */
			tl = ihl + below(21);
			if (tl > len)
				tl = len;
			put16(ip + 2, (unsigned int)tl);
		} else if (len > ihl + 12 && ip[9] == 6) {
			ip[ihl + 12] = (uint8_t)(below(5) << 4); /* doff < 5 */
		} else {
			ip[below((unsigned int)(len < 40 ? len : 40))] ^=
				(uint8_t)(1u << below(8));
		}
		return;
	}
	if (r < 15) {
		ip[0] = (uint8_t)(below(16) << 4 | (ip[0] & 15));
	} else if (r < 45) {
		tl = chance(50) ? len - 40 + between(1, 40)
				: below((unsigned int)(len - 40 + 1));
		put16(ip + 4, chance(10) ? 0 : (unsigned int)tl);
	} else if (r < 75) {
		if (ip[6] == 0 || ip[6] == 43 || ip[6] == 60 || ip[6] == 51)
			ip[41] = (uint8_t)between(1, 255); /* runs off the end */
		else /* the payload ends early, in some header */
			put16(ip + 4, below((unsigned int)(len - 40 + 1)));
	} else {
		ip[below((unsigned int)(len < 80 ? len : 80))] ^=
			(uint8_t)(1u << below(8));
	}
}

static void make_frame(struct frame *f)
{
	size_t off = 12, dlen = 0, room;
	unsigned int tags = 0, i, r = below(100);
	unsigned int fam = r < 47 ? 4 : r < 94 ? 6 : 0;

	/* an answer from a backend, most of the reply capture */
	from = NULL;
	if (reply_capture && nsources && chance(75)) {
		from = &sources[below(nsources)];
		if (chance(90))
			fam = from->fam;
	}

	/* MAC addresses; a few frames with any of them */
	static const uint8_t dmac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	static const uint8_t smac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

	memcpy(f->b, dmac, 6);
	memcpy(f->b + 6, smac, 6);
	if (chance(15)) /* often around the eight that xlb walks */
		tags = chance(80) ? between(1, 2) : between(3, 10);
	for (i = 0; i < tags; i++) {
		put16(f->b + off, chance(60) ? 0x8100 : 0x88a8);
		put16(f->b + off + 2, (unsigned int)rnd());
		off += 4;
	}
	if (fam == 4)
		put16(f->b + off, 0x0800);
	else if (fam == 6)
		put16(f->b + off, 0x86dd);
	else
		put16(f->b + off, chance(50) ? 0x0806 : (unsigned int)rnd());
	off += 2;
	room = chance(97) ? 1500 : MAX_FRAME - off - 64;
	if (fam == 4)
		dlen = make_ipv4(f->b + off, room);
	else if (fam == 6)
		dlen = make_ipv6(f->b + off, room);
	else
		rnd_bytes(f->b + off, dlen = between(0, 80));
	f->len = off + dlen;
	if (fam && chance(12)) {
		break_ip(f->b + off, dlen, fam);
	}
	if (chance(8)) { /* Ethernet padding, zero or not */
		size_t pad = chance(60) ? (f->len < 60 ? 60 - f->len : 0)
					: between(1, 30);

		if (chance(50))
			memset(f->b + f->len, 0, pad);
		else
			rnd_bytes(f->b + f->len, pad);
		f->len += pad;
	}
	if (chance(6)) /* cut anywhere, even inside the Ethernet header */
		f->len = below((unsigned int)f->len + 1);
}

/* --- the capture ------------------------------------------------------------ */

/* A capture of npackets frames made for the ruleset, written by libpcap:
 * classic pcap, Ethernet, frame i stamped 1700000000 + i seconds.  0, or
 * -1 after saying why. */
static int write_pcap(const char *path, unsigned int npackets)
{
	static struct frame f;
	struct pcap_pkthdr h = { .ts = { 0, 0 } };
	pcap_dumper_t *d;
	pcap_t *p;
	unsigned int i;
	int err;

	p = pcap_open_dead(DLT_EN10MB, 65535);
	if (!p) {
		fprintf(stderr, "diffgen: %s: out of memory\n", path);
		return -1;
	}
	d = pcap_dump_open(p, path);
	if (!d) {
		fprintf(stderr, "diffgen: %s\n", pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	for (i = 0; i < npackets; i++) {
		make_frame(&f);
		h.ts.tv_sec = 1700000000 + (time_t)i;
		h.caplen = h.len = (bpf_u_int32)f.len;
		pcap_dump((u_char *)d, &h, f.b);
	}
	err = pcap_dump_flush(d);
	if (err)
		fprintf(stderr, "diffgen: %s: %s\n", path, strerror(errno));
	pcap_dump_close(d);
	pcap_close(p);
	return err ? -1 : 0;
}

static void usage(FILE *to)
{
	fputs("usage: diffgen -s SEED -i INDEX [-n PACKETS] [-r REPLY.pcap] "
	      "RULES.conf IN.pcap\n",
	      to);
}

int main(int argc, char **argv)
{
	unsigned long long seed = 0, index = 0;
	unsigned long npackets = 500;
	const char *reply_path = NULL;
	bool have_seed = false;
	int c;

	while ((c = getopt(argc, argv, "s:i:n:r:h")) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			have_seed = true;
			break;
		case 'i':
			index = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			npackets = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			reply_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!have_seed || argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	/* the ruleset's own stream: the run's seed mixed with its index */
	rng_state = seed * 0x100000001b3ull ^ (index + 1) * 0x9e3779b97f4a7c15ull;
	rnd();
	pools_init();

	out = fopen(argv[optind], "w");
	if (!out) {
		fprintf(stderr, "diffgen: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	emit_ruleset();
	if (fclose(out)) {
		fprintf(stderr, "diffgen: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	if (write_pcap(argv[optind + 1], (unsigned int)npackets) < 0)
		return 1;
	if (!reply_path)
		return 0;
	/* after the first capture, which stays what it was without -r */
	reply_capture = true;
	return write_pcap(reply_path, (unsigned int)npackets) < 0 ? 1 : 0;
}
