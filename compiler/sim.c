// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sim.c - the reference interpreter (xlbc --simulate).
 *
 * This file is the executable definition of what a ruleset means for a
 * packet.  It is written from the language's specification (xlb-rules(5):
 * "Packet semantics" and "Selection"), and deliberately shares no code with
 * the code generator (codegen.c, bpf-templates/): its own packet parser,
 * hash, weighted list, Maglev table and checksum arithmetic.  Where the two
 * disagree on a capture, one of them is wrong, and the comments here quote
 * the rule of the spec each piece implements, to tell which.
 *
 * What it reads of the tree is what xlb_check() normalised: the rules in
 * file order, their protocol, conditions (cond[]), verdict, backends and
 * selector, and the default.  The families a rule can match, and whether
 * a rule takes part in the reply path, are worked out here again from the
 * spec, not taken from the checker.
 *
 * It also runs the reply path, the TC program of the object ("THE REPLY
 * PATH"), with the kernel's own checksum arithmetic, which is not the XDP
 * program's.
 *
 * Over a capture it reproduces xlb-replay(1) (runtime/xlb-replay.c): the
 * same JSON lines, the same skipped frames, the same output capture, down
 * to what BPF_PROG_TEST_RUN does with frames it cannot or can only partly
 * hand to an XDP program.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/dlt.h>

#include "flow.h"
#include "pcapout.h"
#include "sim.h"
#include "report.h"
#include "xlbc.h"

/* --- byte order ----------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* --- header layouts (the offsets the spec talks about) -------------------- */

#define ETH_HDR_LEN 14
#define ETH_TYPE_OFF 12
#define VLAN_TAG_LEN 4 /* TCI, then the inner ethertype */
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88a8
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define MAX_VLAN_TAGS 8

#define IPV4_MIN_HDR 20
#define IPV4_TOTLEN_OFF 2
#define IPV4_FRAG_OFF 6
#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff
#define IPV4_PROTO_OFF 9
#define IPV4_CSUM_OFF 10
#define IPV4_SADDR_OFF 12
#define IPV4_DADDR_OFF 16

#define IPV6_HDR_LEN 40
#define IPV6_PLEN_OFF 4
#define IPV6_NEXT_OFF 6
#define IPV6_SADDR_OFF 8
#define IPV6_DADDR_OFF 24
#define IPV6_MAX_EXT 64

#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_AH 51
#define NH_DSTOPTS 60
#define IPV6_FRAG_HDR_LEN 8
#define IPV6_FRAG_OFFSET_MASK 0xfff8
#define IPV6_FRAG_M 0x0001

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

#define UDP_HDR_LEN 8
#define UDP_CSUM_OFF 6
#define TCP_MIN_HDR 20
#define TCP_DOFF_OFF 12
#define TCP_FLAGS_OFF 13
#define TCP_CSUM_OFF 16
#define ICMP_HDR_LEN 8
#define PORTS_LEN 4 /* source and destination port */
#define MAX_HDR_OFF 0xf000 /* headers past this offset are not read */
#define SPORT_OFF 0
#define DPORT_OFF 2

/* --- MurmurHash3_x86_32 --------------------------------------------------- */

static uint32_t rotl32(uint32_t x, int r)
{
	return x << r | x >> (32 - r);
}

static uint32_t murmur3_scramble(uint32_t k)
{
	k *= 0xcc9e2d51;
	k = rotl32(k, 15);
	return k * 0x1b873593;
}

/* One 4-byte block into the state h. */
static uint32_t murmur3_mix(uint32_t h, uint32_t k)
{
	h ^= murmur3_scramble(k);
	h = rotl32(h, 13);
	return h * 5 + 0xe6546b64;
}

static uint32_t murmur3_final(uint32_t h, uint32_t len)
{
	h ^= len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

uint32_t xlb_sim_murmur3(const void *data, size_t len, uint32_t seed)
{
	const uint8_t *p = data;
	uint32_t h = seed, k = 0;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4)
		h = murmur3_mix(h, (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
					   (uint32_t)p[i + 2] << 16 |
					   (uint32_t)p[i + 3] << 24);
	/* the tail: the last 1-3 bytes, mixed without the rounds of h */
	switch (len & 3) {
	case 3:
		k ^= (uint32_t)p[i + 2] << 16;
		/* fall through */
	case 2:
		k ^= (uint32_t)p[i + 1] << 8;
		/* fall through */
	case 1:
		k ^= p[i];
		h ^= murmur3_scramble(k);
	}
	return murmur3_final(h, (uint32_t)len);
}

/* "MurmurHash3_x86_32, seed 0, over a sequence of 32-bit words (each word
 * mixed as a 4-byte block; the length fed to the finaliser is 4 * number
 * of words)" */
uint32_t xlb_sim_murmur3_words(const uint32_t *words, size_t n)
{
	uint32_t h = 0;
	size_t i;

	for (i = 0; i < n; i++)
		h = murmur3_mix(h, words[i]);
	return murmur3_final(h, (uint32_t)(4 * n));
}

/* --- the weighted list ---------------------------------------------------- */

uint64_t xlb_sim_wlist_len(const unsigned int *w, size_t n)
{
	uint64_t len = 0;
	size_t i;

	for (i = 0; i < n; i++)
		len += w[i];
	return len;
}

/*
 * "for round k = 0, 1, ... while k < max weight, for each backend i in
 * order with weight_i > k, append i."
 *
 * The list is not built (weights may be large): between two consecutive
 * distinct weights every round lists the same backends, so whole runs of
 * rounds are stepped over at once.
 */
size_t xlb_sim_wlist_at(const unsigned int *w, size_t n, uint64_t pos)
{
	uint64_t k = 0; /* the first round of the current run */

	for (;;) {
		uint64_t next = UINT64_MAX, run;
		size_t i, in = 0;

		/* the backends of round k, and the first round that drops
		 * one of them */
		for (i = 0; i < n; i++) {
			if (w[i] > k) {
				in++;
				if (w[i] < next)
					next = w[i];
			}
		}
		if (!in)
			return 0; /* pos beyond the list: not reached */
		run = (next - k) * in;
		if (pos < run) {
			uint64_t skip = pos % in;

			for (i = 0; i < n; i++)
				if (w[i] > k && skip-- == 0)
					return i;
		}
		pos -= run;
		k = next;
	}
}

/* --- Maglev --------------------------------------------------------------- */

#define MAGLEV_EMPTY UINT16_MAX

/*
 * "offset_i = murmur3_x86_32(name bytes, seed 0) % M; skip_i =
 * murmur3_x86_32(name bytes, seed 1) % (M - 1) + 1; next_i = 0.  All
 * entries empty; repeat rounds: for each backend i in order, weight_i
 * times: c = (offset_i + next_i * skip_i) % M (64-bit arithmetic); while
 * entry c is taken, next_i++ and recompute c; entry c = i; next_i++; stop
 * as soon as all M entries are filled (mid-round)."
 */
void xlb_sim_maglev_build(const char *const *names, const unsigned int *w,
			  size_t n, uint16_t *table)
{
	const uint64_t m = XLB_SIM_MAGLEV_M;
	uint64_t *offset = xcalloc(n, sizeof(*offset));
	uint64_t *skip = xcalloc(n, sizeof(*skip));
	uint64_t *next = xcalloc(n, sizeof(*next));
	uint64_t filled = 0, c, t;
	size_t i;
	bool placed = true;

	for (c = 0; c < m; c++)
		table[c] = MAGLEV_EMPTY;
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]);

		offset[i] = xlb_sim_murmur3(names[i], len, 0) % m;
		skip[i] = xlb_sim_murmur3(names[i], len, 1) % (m - 1) + 1;
	}
	/* a round that places nothing (all weights 0) would never end */
	while (filled < m && placed) {
		placed = false;
		for (i = 0; i < n && filled < m; i++) {
			for (t = 0; t < w[i] && filled < m; t++) {
				c = (offset[i] + next[i] * skip[i]) % m;
				while (table[c] != MAGLEV_EMPTY) {
					next[i]++;
					c = (offset[i] + next[i] * skip[i]) % m;
				}
				table[c] = (uint16_t)i;
				next[i]++;
				filled++;
				placed = true;
			}
		}
	}
	free(offset);
	free(skip);
	free(next);
}

/* "its name is its canonical text (as --print prints the target, without
 * weight: 9876, 10.0.0.2, 10.0.0.2:8080, [2001:db8::2]:80)" */
void xlb_sim_backend_name(const struct xlb_backend *b, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!b->addr) {
		snprintf(buf, len, "%u", (unsigned int)b->port);
		return;
	}
	if (!inet_ntop(b->a.family == XLB_FAM_IP6 ? AF_INET6 : AF_INET,
		       b->a.addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (b->a.family == XLB_FAM_IP6 && b->has_port)
		snprintf(buf, len, "[%s]:%u", a, (unsigned int)b->port);
	else if (b->a.family == XLB_FAM_IP6)
		snprintf(buf, len, "[%s]", a);
	else if (b->has_port)
		snprintf(buf, len, "%s:%u", a, (unsigned int)b->port);
	else
		snprintf(buf, len, "%s", a);
}

/* --- checksums ------------------------------------------------------------ */

/* "RFC 1624 eqn. 3, 16-bit word by word": HC' = ~(~HC + ~m + m'), in
 * one's complement arithmetic (end-around carry). */
uint16_t xlb_sim_csum_update(uint16_t hc, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint32_t)(uint16_t)~hc + (uint16_t)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* --- the packet parser ---------------------------------------------------- */

static void parse_ipv4(const uint8_t *f, size_t len, struct xlb_sim_pkt *p)
{
	size_t ip = p->l3_off, avail = len - ip, hlen, tot;
	uint16_t frag;

	/* "IPv4: header must be in the frame, version 4, IHL >= 5, options
	 * in the frame, total length >= IHL*4 and <= bytes from the IP
	 * header to the end of the frame (Ethernet padding after it is
	 * fine).  Else malformed." */
	if (avail < IPV4_MIN_HDR || f[ip] >> 4 != 4 || (f[ip] & 0xf) < 5) {
		p->l3 = XLB_SIM_L3_MALFORMED;
		return;
	}
	hlen = (size_t)(f[ip] & 0xf) * 4;
	tot = get16(f + ip + IPV4_TOTLEN_OFF);
	if (hlen > avail || tot < hlen || tot > avail) {
		p->l3 = XLB_SIM_L3_MALFORMED;
		return;
	}
	p->l3 = XLB_SIM_L3_IPV4;
	p->family = XLB_FAM_IP4;
	memcpy(p->saddr, f + ip + IPV4_SADDR_OFF, 4);
	memcpy(p->daddr, f + ip + IPV4_DADDR_OFF, 4);
	/* "The protocol field is the L4 protocol." */
	p->proto = f[ip + IPV4_PROTO_OFF];
	/* "A packet with fragment offset != 0 is a non-first fragment: no
	 * transport header.  MF set with offset 0 = first fragment." */
	frag = get16(f + ip + IPV4_FRAG_OFF);
	p->nonfirst_frag = (frag & IPV4_OFFSET_MASK) != 0;
	p->first_frag = (frag & IPV4_MF) && !p->nonfirst_frag;
	p->l4_off = ip + hlen;
	p->end = ip + tot;
}

static bool ipv6_ext(uint8_t nh)
{
	return nh == NH_HOPOPTS || nh == NH_ROUTING || nh == NH_DSTOPTS ||
	       nh == NH_AH || nh == NH_FRAGMENT;
}

static void parse_ipv6(const uint8_t *f, size_t len, struct xlb_sim_pkt *p)
{
	size_t ip = p->l3_off, avail = len - ip, cur, hl, plen;
	unsigned int walked;
	uint8_t nh;

	/* "IPv6: 40 bytes present, version 6, and 40 + payload length no
	 * larger than the bytes the frame holds from the IPv6 header on;
	 * otherwise malformed.  A payload length of 0 with a hop-by-hop
	 * header next is a jumbogram: the datagram runs to the end of the
	 * frame." */
	if (avail < IPV6_HDR_LEN || f[ip] >> 4 != 6) {
		p->l3 = XLB_SIM_L3_MALFORMED;
		return;
	}
	nh = f[ip + IPV6_NEXT_OFF];
	plen = get16(f + ip + IPV6_PLEN_OFF);
	if (plen == 0 && nh == NH_HOPOPTS)
		plen = avail - IPV6_HDR_LEN;
	if (IPV6_HDR_LEN + plen > avail) {
		p->l3 = XLB_SIM_L3_MALFORMED;
		return;
	}
	p->l3 = XLB_SIM_L3_IPV6;
	p->family = XLB_FAM_IP6;
	p->end = ip + IPV6_HDR_LEN + plen;
	memcpy(p->saddr, f + ip + IPV6_SADDR_OFF, 16);
	memcpy(p->daddr, f + ip + IPV6_DADDR_OFF, 16);

	/* "Extension headers are then walked while the next header is
	 * hop-by-hop options (0), routing (43) or destination options (60),
	 * each (length + 1) x 8 bytes, authentication (51, AH), (length +
	 * 2) x 4 bytes, or fragment (44), 8 bytes.  An extension header that
	 * does not lie wholly inside the datagram, or a 65th, leaves the
	 * transport protocol unknown." (The datagram is inside the frame,
	 * checked above.) */
	cur = ip + IPV6_HDR_LEN;
	for (walked = 0; ipv6_ext(nh); walked++) {
		/* "... or one that begins more than 61440 bytes into the
		 * frame" (LIMITS) */
		if (walked == IPV6_MAX_EXT || cur > MAX_HDR_OFF) {
			p->proto_unknown = true;
			return;
		}
		if (nh == NH_FRAGMENT) {
			hl = IPV6_FRAG_HDR_LEN;
		} else {
			if (cur + 2 > p->end) { /* its length is cut */
				p->proto_unknown = true;
				return;
			}
			hl = nh == NH_AH ? ((size_t)f[cur + 1] + 2) * 4
					 : ((size_t)f[cur + 1] + 1) * 8;
		}
		if (cur + hl > p->end) {
			p->proto_unknown = true;
			return;
		}
		if (nh == NH_FRAGMENT) {
			uint16_t fo = get16(f + cur + 2);

			/* "A fragment header with an offset other than 0
			 * makes a non-first fragment: the walk stops there
			 * and the transport protocol is that header's next
			 * header.  A fragment header with offset 0 and the M
			 * flag makes a first fragment." */
			if (fo & IPV6_FRAG_OFFSET_MASK) {
				p->nonfirst_frag = true;
				p->first_frag = false;
				nh = f[cur];
				break;
			}
			if (fo & IPV6_FRAG_M)
				p->first_frag = true;
		}
		nh = f[cur];
		cur += hl;
	}
	/* "The transport protocol is the first next-header value that is
	 * none of the five above." */
	p->proto = nh;
	p->l4_off = cur;
}

/*
 * "Transport header, only for a packet that is not a non-first fragment:
 * UDP: 8 bytes, TCP: 20 bytes and data offset >= 5 (the data offset is not
 * otherwise checked against the length), ICMP/ICMPv6: 8 bytes (type is
 * byte 0).  The header is whole when its bytes are inside the datagram and
 * inside the frame, and for TCP doff >= 5.  Tiny first fragment: UDP/TCP
 * of a first fragment that is not whole but has its first 4 bytes inside
 * datagram and frame: its ports are known (TCP doff is not looked at), but
 * nothing else.  Otherwise the header is broken."
 *
 * "Not whole" for a tiny first fragment means cut: a TCP header whose 20
 * bytes are all there with a data offset below 5 is broken, fragment or
 * not, as Linux and the generator have it.
 */
static void parse_l4(const uint8_t *f, struct xlb_sim_pkt *p)
{
	size_t l4 = p->l4_off, need;
	bool ports = p->proto == PROTO_UDP || p->proto == PROTO_TCP;

	p->l4 = XLB_SIM_L4_NONE;
	if (p->nonfirst_frag)
		return;
	if (p->proto == PROTO_UDP)
		need = UDP_HDR_LEN;
	else if (p->proto == PROTO_TCP)
		need = TCP_MIN_HDR;
	else if ((p->family == XLB_FAM_IP4 && p->proto == PROTO_ICMP) ||
		 (p->family == XLB_FAM_IP6 && p->proto == PROTO_ICMPV6))
		need = ICMP_HDR_LEN;
	else
		return; /* no rule reads any other header */

	/* "A transport header that begins more than 61440 bytes into the
	 * frame is broken." (LIMITS) */
	if (l4 > MAX_HDR_OFF) {
		p->l4 = XLB_SIM_L4_BROKEN;
		return;
	}
	/* p->end (the datagram) never passes the frame's end */
	if (l4 + need <= p->end) {
		/* All its bytes are there: whole, unless a TCP data offset
		 * below 5 makes it broken -- in a first fragment too: the
		 * fragment is not cut, its header is wrong. */
		if (p->proto == PROTO_TCP && f[l4 + TCP_DOFF_OFF] >> 4 < 5) {
			p->l4 = XLB_SIM_L4_BROKEN;
			return;
		}
		p->l4 = XLB_SIM_L4_WHOLE;
		if (p->proto == PROTO_TCP)
			p->tcp_flags = f[l4 + TCP_FLAGS_OFF];
		if (!ports)
			p->icmp_type = f[l4];
	} else if (ports && p->first_frag && l4 + PORTS_LEN <= p->end) {
		/* cut by the end of the fragment: the ports, and the data
		 * offset is not looked at even when it is there */
		p->l4 = XLB_SIM_L4_PORTS;
	} else {
		p->l4 = XLB_SIM_L4_BROKEN;
		return;
	}
	if (ports) {
		p->sport = get16(f + l4);
		p->dport = get16(f + l4 + DPORT_OFF);
	}
}

void xlb_sim_parse(const uint8_t *f, size_t len, struct xlb_sim_pkt *p)
{
	size_t off = ETH_HDR_LEN;
	uint16_t type;
	int tags;

	memset(p, 0, sizeof(*p));
	/* "The frame must hold an Ethernet header (14 bytes).  Up to eight
	 * VLAN tags (802.1Q, ethertype 0x8100, and 802.1ad, 0x88a8, in any
	 * combination) are skipped.  A frame that ends inside these
	 * headers, or that has a ninth tag, is malformed." */
	if (len < ETH_HDR_LEN) {
		p->l3 = XLB_SIM_L3_MALFORMED;
		return;
	}
	type = get16(f + ETH_TYPE_OFF);
	for (tags = 0; type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD;
	     tags++) {
		if (tags == MAX_VLAN_TAGS || off + VLAN_TAG_LEN > len) {
			p->l3 = XLB_SIM_L3_MALFORMED;
			return;
		}
		type = get16(f + off + 2);
		off += VLAN_TAG_LEN;
	}
	/* "A frame whose ethertype, after the tags, is neither IPv4
	 * (0x0800) nor IPv6 (0x86dd) is non-ip." */
	p->l3_off = off;
	if (type == ETHERTYPE_IPV4)
		parse_ipv4(f, len, p);
	else if (type == ETHERTYPE_IPV6)
		parse_ipv6(f, len, p);
	else
		p->l3 = XLB_SIM_L3_NONIP;
	if ((p->l3 == XLB_SIM_L3_IPV4 || p->l3 == XLB_SIM_L3_IPV6) &&
	    !p->proto_unknown)
		parse_l4(f, p);
}

/* --- the interpreter's state ---------------------------------------------- */

struct sim_rule {
	const struct xlb_rule *r;
	unsigned int family; /* the families the rule can match */
	bool needs_l4;	     /* port, type or flags tests, or a rewrite */
	bool udp_or_tcp;     /* no protocol, but port tests or a rewrite */
	char *label;	     /* the counter label, as the object's
			      * metadata carries it */
	/* a rewrite */
	unsigned int *w;  /* backend weights */
	uint64_t wlen;	  /* W, the length of the weighted list */
	uint64_t cursor;  /* round-robin: the next position in the list */
	uint16_t *maglev; /* maglev: the table */
	size_t chosen;	  /* the backend the last rewrite took */
	/* the reply path (xlb-rules(5), "THE REPLY PATH") */
	bool reply;	 /* the rule takes part */
	uint8_t vip[16]; /* what replies' source address becomes */
	uint16_t vport;	 /* and their source port */
};

struct xlb_sim {
	const struct xlb_ruleset *rs;
	size_t nrules;
	struct sim_rule *rules;
	size_t nreply;	 /* rules that take part in the reply path */
	uint8_t *before; /* the frame as given, to tell a rewrite */
	size_t before_cap;
};

/*
 * "A rule's families: the intersection of ip->{4}, ip6->{6}, icmp->{4},
 * icmpv6->{6}, each src/dst value -> the families of its elements
 * (negated ones too), and address backends -> their family; no restriction
 * = both."
 */
static unsigned int rule_families(const struct xlb_rule *r)
{
	static const enum xlb_match_kind addr_kinds[] = { XLB_MATCH_SRC,
							  XLB_MATCH_DST };
	unsigned int fam = XLB_FAM_ANY, vf;
	const struct xlb_match *m;
	size_t i, k;

	for (m = r->matches; m; m = m->next) {
		if (m->kind == XLB_MATCH_FAMILY)
			fam &= m->family;
		else if (m->kind == XLB_MATCH_PROTO &&
			 m->proto == XLB_PROTO_ICMP)
			fam &= XLB_FAM_IP4;
		else if (m->kind == XLB_MATCH_PROTO &&
			 m->proto == XLB_PROTO_ICMP6)
			fam &= XLB_FAM_IP6;
	}
	for (k = 0; k < ARRAY_SIZE(addr_kinds); k++) {
		const struct xlb_cond *c = &r->cond[addr_kinds[k]];

		if (!c->set)
			continue;
		vf = 0;
		for (i = 0; i < c->npfx; i++)
			vf |= c->pfx[i].a.family;
		fam &= vf;
	}
	if (r->verdict == XLB_VERDICT_REWRITE)
		for (i = 0; i < r->nbackends; i++)
			if (r->backends[i].addr)
				fam &= r->backends[i].a.family;
	return fam;
}

/* The label of a rule's counter: the rule's text as the object's metadata
 * carries it, where a control character would start a line of its own
 * and is written '?'. */
static char *metadata_label(const char *text)
{
	char *s = xstrdup(text ? text : ""), *c;

	for (c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return s;
}

/*
 * "A rewrite rule takes part when its replies can be told apart
 * statelessly: if some backend has an address, the rule must test one
 * destination address, dst ADDRESS (a single address or /32 or /128
 * prefix, not negated; a set or list of one such address will do); if
 * some backend has a port, the rule must test one destination port,
 * port N (not negated, not a range of several ports)."
 */
static void reply_of(struct sim_rule *sr)
{
	const struct xlb_rule *r = sr->r;
	const struct xlb_cond *dst = &r->cond[XLB_MATCH_DST];
	const struct xlb_cond *dport = &r->cond[XLB_MATCH_DPORT];
	bool addr = false, port = false;
	size_t i;

	for (i = 0; i < r->nbackends; i++) {
		addr |= r->backends[i].addr != NULL;
		port |= r->backends[i].has_port;
	}
	if (addr) {
		if (!dst->set || dst->neg || dst->npfx != 1)
			return;
		if (dst->pfx[0].plen !=
		    (dst->pfx[0].a.family == XLB_FAM_IP6 ? 128u : 32u))
			return;
		memcpy(sr->vip, dst->pfx[0].a.addr, sizeof(sr->vip));
	}
	if (port) {
		if (!dport->set || dport->neg || dport->nrng != 1 ||
		    dport->rng[0].lo != dport->rng[0].hi)
			return;
		sr->vport = (uint16_t)dport->rng[0].lo;
	}
	sr->reply = true;
}

struct xlb_sim *xlb_sim_new(const struct xlb_ruleset *rs)
{
	struct xlb_sim *sim = xcalloc(1, sizeof(*sim));
	const struct xlb_rule *r;
	size_t i, b;

	sim->rs = rs;
	for (r = rs->rules; r; r = r->next)
		sim->nrules++;
	sim->rules = xcalloc(sim->nrules, sizeof(*sim->rules));
	for (r = rs->rules, i = 0; r; r = r->next, i++) {
		struct sim_rule *sr = &sim->rules[i];

		sr->r = r;
		sr->family = rule_families(r);
		sr->needs_l4 = r->cond[XLB_MATCH_SPORT].set ||
			       r->cond[XLB_MATCH_DPORT].set ||
			       r->cond[XLB_MATCH_TYPE].set ||
			       r->cond[XLB_MATCH_FLAGS].set ||
			       r->verdict == XLB_VERDICT_REWRITE;
		sr->udp_or_tcp = r->proto == XLB_PROTO_ANY &&
				 (r->cond[XLB_MATCH_SPORT].set ||
				  r->cond[XLB_MATCH_DPORT].set ||
				  r->verdict == XLB_VERDICT_REWRITE);
		sr->label = metadata_label(r->text);
		if (r->verdict != XLB_VERDICT_REWRITE)
			continue;
		/* "Weights default to 1." (check fills w in) */
		sr->w = xcalloc(r->nbackends, sizeof(*sr->w));
		for (b = 0; b < r->nbackends; b++)
			sr->w[b] = r->backends[b].w;
		sr->wlen = xlb_sim_wlist_len(sr->w, r->nbackends);
		reply_of(sr);
		sim->nreply += sr->reply;
		if (r->select == XLB_SELECT_MAGLEV) {
			/* "table of M = 65537 entries built at compile time" */
			char **names = xcalloc(r->nbackends, sizeof(*names));

			for (b = 0; b < r->nbackends; b++) {
				names[b] = xmalloc(INET6_ADDRSTRLEN + 16);
				xlb_sim_backend_name(&r->backends[b], names[b],
						     INET6_ADDRSTRLEN + 16);
			}
			sr->maglev =
				xcalloc(XLB_SIM_MAGLEV_M, sizeof(*sr->maglev));
			xlb_sim_maglev_build((const char *const *)names, sr->w,
					     r->nbackends, sr->maglev);
			for (b = 0; b < r->nbackends; b++)
				free(names[b]);
			free(names);
		}
	}
	return sim;
}

void xlb_sim_free(struct xlb_sim *sim)
{
	size_t i;

	if (!sim)
		return;
	for (i = 0; i < sim->nrules; i++) {
		free(sim->rules[i].label);
		free(sim->rules[i].w);
		free(sim->rules[i].maglev);
	}
	free(sim->rules);
	free(sim->before);
	free(sim);
}

/* --- matching ------------------------------------------------------------- */

static bool prefix_has(const struct xlb_prefix *pfx, const uint8_t *addr)
{
	unsigned int full = pfx->plen / 8, bits = pfx->plen % 8;

	if (memcmp(pfx->a.addr, addr, full))
		return false;
	if (!bits)
		return true;
	return ((pfx->a.addr[full] ^ addr[full]) & (0xff00 >> bits)) == 0;
}

/* "src/dst tests: address in the value's prefixes of the packet's family
 * (neg: not in them)" */
static bool addr_test(const struct xlb_cond *c, unsigned int family,
		      const uint8_t *addr)
{
	bool in = false;
	size_t i;

	if (!c->set)
		return true;
	for (i = 0; i < c->npfx && !in; i++)
		in = c->pfx[i].a.family == family &&
		     prefix_has(&c->pfx[i], addr);
	return in != c->neg;
}

/* Ports and ICMP types: "in ranges (neg: not in)". */
static bool range_test(const struct xlb_cond *c, uint32_t v)
{
	bool in = false;
	size_t i;

	if (!c->set)
		return true;
	for (i = 0; i < c->nrng && !in; i++)
		in = c->rng[i].lo <= v && v <= c->rng[i].hi;
	return in != c->neg;
}

/* "flags test: with f = TCP byte 13: flags A,B (no mask) is
 * (f & (A|B)) != 0 (any of them, as nftables); flags V / M is
 * (f & M) == V; neg inverts." */
static bool flags_test(const struct xlb_cond *c, uint8_t f)
{
	bool in;

	if (!c->set)
		return true;
	if (c->fany)
		in = (f & c->fmask) != 0;
	else
		in = (f & c->fmask) == c->fvalue;
	return in != c->neg;
}

enum sim_match {
	SIM_NO_MATCH,
	SIM_MATCH,
	SIM_MALFORMED, /* evaluation stops: passed untouched */
};

/* "A rule matches a packet when all hold, in this order:" */
static enum sim_match rule_match(const struct sim_rule *sr,
				 const struct xlb_sim_pkt *p)
{
	const struct xlb_rule *r = sr->r;

	bool wants_proto = r->proto != XLB_PROTO_ANY || sr->udp_or_tcp;

	/* "1. the packet's family is one of the rule's families;" */
	if (!(sr->family & p->family))
		return SIM_NO_MATCH;
	/* "2. its transport protocol is the rule's (udp, tcp, icmp,
	 * icmpv6); a rule without a protocol that has a port test needs
	 * UDP or TCP (a rewrite always names one).  When the protocol is
	 * unknown, this test is left open;" */
	if (wants_proto && !p->proto_unknown) {
		if (r->proto != XLB_PROTO_ANY &&
		    p->proto != xlb_proto_number(r->proto))
			return SIM_NO_MATCH;
		if (sr->udp_or_tcp && p->proto != PROTO_UDP &&
		    p->proto != PROTO_TCP)
			return SIM_NO_MATCH;
	}
	/* "3. the src and dst tests." */
	if (!addr_test(&r->cond[XLB_MATCH_SRC], p->family, p->saddr) ||
	    !addr_test(&r->cond[XLB_MATCH_DST], p->family, p->daddr))
		return SIM_NO_MATCH;
	/* "4. A packet whose transport protocol is unknown, at a rule that
	 * tests it, is malformed: evaluation stops." */
	if (wants_proto && p->proto_unknown)
		return SIM_MALFORMED;
	/* "4. if the rule has port tests, type tests, flags tests or is a
	 * rewrite (it needs L4):" */
	if (!sr->needs_l4)
		return SIM_MATCH;
	/* "non-first fragment -> the rule does not match" */
	if (p->nonfirst_frag)
		return SIM_NO_MATCH;
	/* "header broken -> the packet is malformed: evaluation stops" */
	if (p->l4 == XLB_SIM_L4_BROKEN)
		return SIM_MALFORMED;
	/* Not reached for a checked rule: type and flags come with their
	 * protocol, ports and rewrites with UDP or TCP, whose headers the
	 * parser always classifies. */
	if (p->l4 == XLB_SIM_L4_NONE)
		return SIM_NO_MATCH;
	/* "port tests: port in ranges (neg: not in)" */
	if (!range_test(&r->cond[XLB_MATCH_SPORT], p->sport) ||
	    !range_test(&r->cond[XLB_MATCH_DPORT], p->dport))
		return SIM_NO_MATCH;
	/* "tiny first fragment and the rule needs more than ports (flags,
	 * or a rewrite) -> malformed likewise; ports-only rules evaluate
	 * normally".  Read as nftables would have it: the ports a tiny
	 * fragment shows are tested first, and only a fragment that a
	 * rule's port tests select, and that the rule then needs more of,
	 * is malformed; one to other ports goes on to the next rule. */
	if (p->l4 == XLB_SIM_L4_PORTS &&
	    (r->cond[XLB_MATCH_FLAGS].set || r->verdict == XLB_VERDICT_REWRITE))
		return SIM_MALFORMED;
	/* "type test: byte 0 of the ICMP header"; "flags test: TCP byte 13" */
	if (!range_test(&r->cond[XLB_MATCH_TYPE], p->icmp_type) ||
	    !flags_test(&r->cond[XLB_MATCH_FLAGS], p->tcp_flags))
		return SIM_NO_MATCH;
	return SIM_MATCH;
}

/* --- selection ------------------------------------------------------------ */

/*
 * "Flow hash h: MurmurHash3_x86_32, seed 0, over a sequence of 32-bit
 * words: IPv4 words saddr, daddr, (sport << 16) | dport, proto; IPv6:
 * saddr as four words, daddr as four words, then the ports word and proto.
 * Address words are the address bytes read big-endian (ntohl); ports in
 * host order.  hs (hash src): the same over the source address words
 * only."
 */
static uint32_t flow_hash(const struct xlb_sim_pkt *p, bool src_only)
{
	uint32_t words[10];
	size_t n = 0, i, aw = p->family == XLB_FAM_IP6 ? 4 : 1;

	for (i = 0; i < aw; i++)
		words[n++] = get32(p->saddr + 4 * i);
	if (!src_only) {
		for (i = 0; i < aw; i++)
			words[n++] = get32(p->daddr + 4 * i);
		words[n++] = (uint32_t)p->sport << 16 | p->dport;
		words[n++] = p->proto;
	}
	return xlb_sim_murmur3_words(words, n);
}

/* The index of the backend a rewrite takes. */
static size_t pick_backend(struct sim_rule *sr, const struct xlb_sim_pkt *p)
{
	size_t n = sr->r->nbackends, i;

	if (!sr->wlen)
		return 0; /* no weight at all: refused by check */
	switch (sr->r->select) {
	case XLB_SELECT_HASH:
		/* "hash: T[h % W], h = flow hash" */
		return xlb_sim_wlist_at(sr->w, n,
					flow_hash(p, false) % sr->wlen);
	case XLB_SELECT_HASH_SRC:
		/* "hash src: T[hs % W]" */
		return xlb_sim_wlist_at(sr->w, n,
					flow_hash(p, true) % sr->wlen);
	case XLB_SELECT_MAGLEV:
		/* "pick table[h % M] with h = flow hash" */
		return sr->maglev[flow_hash(p, false) % XLB_SIM_MAGLEV_M];
	case XLB_SELECT_RR:
	case XLB_SELECT_DEFAULT: /* resolved by check; never left so */
	default:
		/* "a packet that the rule rewrites takes T[c], then
		 * c = (c+1) % W" */
		i = xlb_sim_wlist_at(sr->w, n, sr->cursor);
		sr->cursor = (sr->cursor + 1) % sr->wlen;
		return i;
	}
}

/* pick_backend(), and the choice kept for the frame's result */
static size_t choose_backend(struct sim_rule *sr, const struct xlb_sim_pkt *p)
{
	sr->chosen = pick_backend(sr, p);
	return sr->chosen;
}

/* --- the rewrite ---------------------------------------------------------- */

/*
 * "if the backend has an address, the destination address becomes it; if
 * it has a port, the destination port becomes it.  Checksums are updated
 * incrementally, RFC 1624 eqn. 3, 16-bit word by word, never recomputed:
 * IPv4 header checksum for the address words; the L4 checksum (UDP/TCP)
 * for the address words (pseudo-header) and the port word.  A UDP
 * checksum of 0 stays 0 (IPv4 and IPv6 alike); a UDP checksum that
 * becomes 0 is written 0xffff.  TCP checksums are written as computed."
 *
 * Every word of a rewritten field goes through eqn. 3, whether or not its
 * value changes.
 */
static void rewrite(uint8_t *f, const struct xlb_sim_pkt *p,
		    const struct xlb_backend *b)
{
	size_t ip = p->l3_off, l4 = p->l4_off, daddr, alen, i, csum_off = 0;
	bool v4 = p->family == XLB_FAM_IP4, l4csum = false;
	uint16_t ipc = 0, l4c = 0, old, new;

	if (p->proto == PROTO_TCP) {
		csum_off = l4 + TCP_CSUM_OFF;
		l4csum = true;
	} else if (p->proto == PROTO_UDP) {
		csum_off = l4 + UDP_CSUM_OFF;
		l4csum = get16(f + csum_off) != 0; /* 0: no checksum */
	}
	if (l4csum)
		l4c = get16(f + csum_off);
	if (v4)
		ipc = get16(f + ip + IPV4_CSUM_OFF);

	if (b->addr) {
		daddr = ip + (v4 ? IPV4_DADDR_OFF : IPV6_DADDR_OFF);
		alen = v4 ? 4 : 16;
		for (i = 0; i < alen; i += 2) {
			old = get16(f + daddr + i);
			new = get16(b->a.addr + i);
			if (v4)
				ipc = xlb_sim_csum_update(ipc, old, new);
			if (l4csum)
				l4c = xlb_sim_csum_update(l4c, old, new);
			put16(f + daddr + i, new);
		}
		if (v4)
			put16(f + ip + IPV4_CSUM_OFF, ipc);
	}
	if (b->has_port) {
		old = get16(f + l4 + DPORT_OFF);
		new = (uint16_t)b->port;
		if (l4csum)
			l4c = xlb_sim_csum_update(l4c, old, new);
		put16(f + l4 + DPORT_OFF, new);
	}
	if (l4csum) {
		if (p->proto == PROTO_UDP && l4c == 0)
			l4c = 0xffff;
		put16(f + csum_off, l4c);
	}
}

/* --- one frame ------------------------------------------------------------ */

static enum xlb_sim_action verdict_action(enum xlb_verdict v)
{
	return v == XLB_VERDICT_DROP ? XLB_SIM_DROP : XLB_SIM_PASS;
}

/* "A malformed packet is counted as malformed and gets the malformed
 * policy: dropped unless malformed pass, which passes it untouched." */
static void malformed(const struct xlb_sim *sim, struct xlb_sim_result *res)
{
	res->action = verdict_action(sim->rs->malformed);
	res->by = XLB_SIM_BY_MALFORMED;
	res->slot = (unsigned int)sim->nrules + 2;
}

static void decide(struct xlb_sim *sim, uint8_t *f, size_t len,
		   struct xlb_sim_result *res)
{
	const struct xlb_ruleset *rs = sim->rs;
	struct xlb_sim_pkt p;
	size_t i;

	xlb_sim_parse(f, len, &p);
	/* "non-ip: no rule is tried; the non-ip policy applies (pass
	 * unless non-ip drop)" */
	if (p.l3 == XLB_SIM_L3_NONIP) {
		res->action = verdict_action(rs->nonip);
		res->by = XLB_SIM_BY_NONIP;
		res->slot = (unsigned int)sim->nrules + 1;
		return;
	}
	if (p.l3 == XLB_SIM_L3_MALFORMED) {
		malformed(sim, res);
		return;
	}
	/* "Rule evaluation, first match wins, in file order." */
	for (i = 0; i < sim->nrules; i++) {
		struct sim_rule *sr = &sim->rules[i];

		switch (rule_match(sr, &p)) {
		case SIM_NO_MATCH:
			continue;
		case SIM_MALFORMED:
			malformed(sim, res);
			return;
		case SIM_MATCH:
			break;
		}
		res->by = XLB_SIM_BY_RULE;
		res->rule = sr->r;
		res->slot = (unsigned int)i;
		/* "drop -> XDP_DROP, pass -> XDP_PASS unchanged.  Rewrite:
		 * choose backend index i, then rewrite, then XDP_PASS." */
		if (sr->r->verdict == XLB_VERDICT_DROP) {
			res->action = XLB_SIM_DROP;
			return;
		}
		res->action = XLB_SIM_PASS;
		if (sr->r->verdict == XLB_VERDICT_REWRITE) {
			size_t b = choose_backend(sr, &p);

			rewrite(f, &p, &sr->r->backends[b]);
		}
		return;
	}
	/* "No rule matched -> the default (pass unless default drop)." */
	res->by = XLB_SIM_BY_DEFAULT;
	res->slot = (unsigned int)sim->nrules;
	res->action = verdict_action(rs->def);
}

typedef void sim_prog(struct xlb_sim *sim, uint8_t *frame, size_t len,
		      struct xlb_sim_result *res);

/* Run prog on the frame, and tell whether it changed the bytes: a
 * translation of the reply path may also leave them as they were (a
 * backend that is the service address), or change only a checksum's
 * form. */
static void run_prog(struct xlb_sim *sim, sim_prog *prog, uint8_t *frame,
		     size_t len, struct xlb_sim_result *res)
{
	memset(res, 0, sizeof(*res));
	if (len > sim->before_cap) {
		sim->before = xrealloc(sim->before, len);
		sim->before_cap = len;
	}
	memcpy(sim->before, frame, len);
	prog(sim, frame, len, res);
	res->rewritten = memcmp(sim->before, frame, len) != 0;
}

void xlb_sim_frame(struct xlb_sim *sim, uint8_t *frame, size_t len,
		   struct xlb_sim_result *res)
{
	const struct sim_rule *sr;

	run_prog(sim, decide, frame, len, res);
	if (res->by != XLB_SIM_BY_RULE || res->slot >= sim->nrules)
		return;
	sr = &sim->rules[res->slot];
	if (sr->r->verdict == XLB_VERDICT_REWRITE)
		res->backend = &sr->r->backends[sr->chosen];
}

/* --- the reply path -------------------------------------------------------- */

/*
 * "The kernel's checksum helpers update the IPv4 header checksum and the
 * UDP or TCP checksum": bpf_l3_csum_replace() and bpf_l4_csum_replace(),
 * which at BPF_PROG_TEST_RUN (no checksum offload) come down to the
 * kernel's csum_replace4(): sum = ~fold(~unfold(sum) - from + to) in
 * 32-bit one's complement, from and to being 4 bytes, or 2 bytes widened
 * to 4.  Its result is never 0xffff (the 32-bit sum is never zero, so its
 * fold is in 1..0xffff), where RFC 1624 eqn. 3 over 16-bit words can give
 * 0xffff; so this is not xlb_sim_csum_update() applied twice.
 *
 * BPF_F_MARK_MANGLED_0 (UDP): "a UDP checksum of 0 stays 0, and a computed
 * 0 is sent as 0xffff", call by call.
 */
static void kernel_csum_replace(uint8_t *sum, const uint8_t *from,
				const uint8_t *to, size_t n, bool mangled_0)
{
	uint32_t acc;
	size_t i;

	if (mangled_0 && get16(sum) == 0)
		return;
	/* ~unfold(sum): the complement of sum widened to 32 bits, whose
	 * high half (0xffff) keeps the total away from zero */
	acc = 0xffff + (uint16_t)~get16(sum);
	if (n == 2)
		acc += 0xffff; /* the widened from's high half, complemented */
	for (i = 0; i < n; i += 2) {
		acc += (uint16_t)~get16(from + i);
		acc += get16(to + i);
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	put16(sum, (uint16_t)~acc);
	if (mangled_0 && get16(sum) == 0)
		put16(sum, 0xffff);
}

/*
 * "The packet's source address then becomes the rule's destination
 * address (when the backend has an address) and its source port the
 * rule's destination port (when the backend has a port).  A non-first
 * fragment gets its address only."  In the helpers' order: for IPv4 the
 * header checksum, then the L4 checksum (pseudo-header), for IPv6 the L4
 * checksum word by word; then the port.
 */
static void reply_rewrite(uint8_t *f, const struct xlb_sim_pkt *p,
			  const struct sim_rule *sr, bool addr, bool port)
{
	bool v4 = p->family == XLB_FAM_IP4, whole = p->l4 == XLB_SIM_L4_WHOLE;
	bool udp = p->proto == PROTO_UDP;
	size_t saddr = p->l3_off + (v4 ? IPV4_SADDR_OFF : IPV6_SADDR_OFF);
	size_t alen = v4 ? 4 : 16, i;
	uint8_t *l4sum = f + p->l4_off + (udp ? UDP_CSUM_OFF : TCP_CSUM_OFF);
	uint8_t vport[2];

	if (addr) {
		if (v4)
			kernel_csum_replace(f + p->l3_off + IPV4_CSUM_OFF,
					    f + saddr, sr->vip, 4, false);
		for (i = 0; whole && i < alen; i += 4)
			kernel_csum_replace(l4sum, f + saddr + i, sr->vip + i,
					    4, udp);
		memcpy(f + saddr, sr->vip, alen);
	}
	if (port && whole) {
		put16(vport, sr->vport);
		kernel_csum_replace(l4sum, f + p->l4_off + SPORT_OFF, vport, 2,
				    udp);
		memcpy(f + p->l4_off + SPORT_OFF, vport, 2);
	}
}

static bool addr_equal(const struct xlb_sim_pkt *p, const uint8_t *addr,
		       const struct xlb_backend *b)
{
	return b->a.family == p->family &&
	       !memcmp(addr, b->a.addr, p->family == XLB_FAM_IP6 ? 16 : 4);
}

/*
 * Whether a whole packet comes from backend b of rule r: "from a backend
 * with an address, the source address is the backend's and the source
 * port is the backend's port, or, for a backend without a port, a port the
 * rule's dst port test accepts (any port when the rule has none); from a
 * port-only backend, the source port is the backend's port and the source
 * address passes the rule's dst test, if any".
 */
static bool from_backend(const struct xlb_rule *r, const struct xlb_backend *b,
			 const struct xlb_sim_pkt *p)
{
	if (!b->addr)
		return p->sport == b->port &&
		       addr_test(&r->cond[XLB_MATCH_DST], p->family, p->saddr);
	if (!addr_equal(p, p->saddr, b))
		return false;
	if (b->has_port)
		return p->sport == b->port;
	return range_test(&r->cond[XLB_MATCH_DPORT], p->sport);
}

/* "The reverse of a rule matches a packet when ..."; then rewrite it. */
static bool reply_match(const struct sim_rule *sr, uint8_t *f,
			const struct xlb_sim_pkt *p)
{
	const struct xlb_rule *r = sr->r;
	size_t i;

	/* "its family is one of the rule's families and its protocol is
	 * the rule's" */
	if (!(sr->family & p->family) || p->proto != xlb_proto_number(r->proto))
		return false;
	/* "its destination address passes the rule's src test, if any
	 * (the reply goes to a client the rule matched)" */
	if (!addr_test(&r->cond[XLB_MATCH_SRC], p->family, p->daddr))
		return false;
	/* "its transport header is whole, its destination port passes the
	 * rule's src port test, if any, and it comes from one of the
	 * backends" */
	if (p->l4 == XLB_SIM_L4_WHOLE &&
	    range_test(&r->cond[XLB_MATCH_SPORT], p->dport)) {
		for (i = 0; i < r->nbackends; i++) {
			const struct xlb_backend *b = &r->backends[i];

			if (from_backend(r, b, p)) {
				reply_rewrite(f, p, sr, b->addr != NULL,
					      b->has_port);
				return true;
			}
		}
	}
	/* "or it is a non-first fragment whose source address is one of
	 * the rule's address backends" */
	if (p->nonfirst_frag)
		for (i = 0; i < r->nbackends; i++)
			if (r->backends[i].addr &&
			    addr_equal(p, p->saddr, &r->backends[i])) {
				reply_rewrite(f, p, sr, true, false);
				return true;
			}
	return false;
}

bool xlb_sim_has_reply(const struct xlb_sim *sim)
{
	return sim->nreply != 0;
}

static void reply_decide(struct xlb_sim *sim, uint8_t *frame, size_t len,
			 struct xlb_sim_result *res)
{
	struct xlb_sim_pkt p;
	size_t i;

	/* "The reply path never drops a packet and counts nothing." */
	res->action = XLB_SIM_PASS;
	/* "parses each packet leaving the interface as PACKET HANDLING
	 * says; non-IP and malformed packets leave untouched" */
	xlb_sim_parse(frame, len, &p);
	if (p.l3 != XLB_SIM_L3_IPV4 && p.l3 != XLB_SIM_L3_IPV6)
		return;
	/* "for the rules that take part, in file order, the first whose
	 * reverse matches decides" */
	for (i = 0; i < sim->nrules; i++) {
		struct sim_rule *sr = &sim->rules[i];

		if (sr->reply && reply_match(sr, frame, &p)) {
			res->by = XLB_SIM_BY_RULE;
			res->rule = sr->r;
			res->slot = (unsigned int)i;
			break;
		}
	}
}

void xlb_sim_reply_frame(struct xlb_sim *sim, uint8_t *frame, size_t len,
			 struct xlb_sim_result *res)
{
	run_prog(sim, reply_decide, frame, len, res);
}

/* --- the capture, as xlb-replay runs it ----------------------------------- */

/*
 * What BPF_PROG_TEST_RUN (net/bpf/test_run.c) makes of a frame, as
 * xlb-replay calls it:
 *   - frames shorter than an Ethernet header are not run (xlb-replay
 *     skips them itself);
 *   - the program sees at most one page less XDP_PACKET_HEADROOM (256)
 *     and the skb_shared_info at the end (320 bytes on 64-bit kernels):
 *     3520 bytes with 4 KiB pages; the rest of a longer frame goes into
 *     page fragments that it cannot read, at most MAX_SKB_FRAGS (17);
 *   - a frame needing more fragments is refused (ENOMEM) before it runs;
 *   - a frame longer than xlb-replay's output buffer (65536 bytes) runs,
 *     and then fails (ENOSPC) copying it out: xlb-replay reports it
 *     skipped but its counters and round-robin cursors have moved.
 */
#define REPLAY_MAX_FRAME 65536 /* xlb-replay's MAX_FRAME */
#define XDP_HEADROOM 256
#define XDP_SHINFO_SIZE 320
#define XDP_MAX_FRAGS 17

/*
 * The reply path is a TC program, which BPF_PROG_TEST_RUN runs on a
 * linear skb: it refuses (EINVAL) a frame longer than a page less the
 * skb's headroom (NET_SKB_PAD, 64 on x86-64) and its skb_shared_info
 * (320): 3712 bytes with 4 KiB pages, and a frame whose Ethernet type
 * (the first, VLAN tags are not looked into) says IPv4 or IPv6 but that
 * is too short for the minimal IP header.  It runs the rest whole.
 */
#define SKB_HEADROOM 64
#define SKB_SHINFO_SIZE 320

/* The most the program (the XDP one, or with reply the reply path) sees
 * of a frame, and the longest frame that runs. */
static void test_run_limits(bool reply, size_t *linear, size_t *max_run)
{
	long page = sysconf(_SC_PAGESIZE);

	if (page < 4096)
		page = 4096;
	if (reply) {
		*linear = *max_run =
			(size_t)page - SKB_HEADROOM - SKB_SHINFO_SIZE;
		return;
	}
	*linear = (size_t)page - XDP_HEADROOM - XDP_SHINFO_SIZE;
	*max_run = *linear + XDP_MAX_FRAGS * (size_t)page;
}

/* Whether BPF_PROG_TEST_RUN refuses to run the reply path on a frame of
 * len bytes (at least an Ethernet header). */
static bool skb_refused(const uint8_t *f, size_t len, size_t max)
{
	uint16_t type = get16(f + ETH_TYPE_OFF);

	return len > max ||
	       (type == ETHERTYPE_IPV4 && len < ETH_HDR_LEN + IPV4_MIN_HDR) ||
	       (type == ETHERTYPE_IPV6 && len < ETH_HDR_LEN + IPV6_HDR_LEN);
}

/* Whether backends a and b send the packet p to the same address and
 * port. */
static bool same_target(const struct xlb_backend *a,
			const struct xlb_backend *b,
			const struct xlb_sim_pkt *p)
{
	const uint8_t *aa = a->addr ? a->a.addr : p->daddr;
	const uint8_t *ba = b->addr ? b->a.addr : p->daddr;

	return !memcmp(aa, ba, p->family == XLB_FAM_IP6 ? 16 : 4) &&
	       (a->has_port ? a->port : p->dport) ==
		       (b->has_port ? b->port : p->dport);
}

/* The backend xlb-replay names for a rewrite of the frame f (as it came
 * in) to chosen: chosen, or the first of the rule's backends that sends
 * the packet where chosen does, since xlb-replay finds the backend from
 * the frame the program left. */
static const struct xlb_backend *backend_named(const struct xlb_rule *r,
					       const struct xlb_backend *chosen,
					       const uint8_t *f, size_t len)
{
	struct xlb_sim_pkt p;
	size_t i;

	xlb_sim_parse(f, len, &p);
	for (i = 0; i < r->nbackends && &r->backends[i] != chosen; i++)
		if (same_target(&r->backends[i], chosen, &p))
			return &r->backends[i];
	return chosen;
}

static void report_skipped(FILE *out, unsigned long n, const char *reason,
			   const struct xlb_flow *flow)
{
	struct xlb_report v = { .packet = n,
				.action = "skipped",
				.reason = reason,
				.rewritten = -1,
				.flow = flow };

	xlb_report_json(out, &v);
}

/* xlb-replay names the slot whose counter moved since its last report: the
 * lowest of them, when frames that failed after running (ENOSPC) moved
 * others in between; and the backend only when no such frame did. */
static void report(const struct xlb_sim *sim, FILE *out, unsigned long n,
		   const struct xlb_sim_result *res, unsigned int slot,
		   const char *backend, const struct xlb_flow *flow)
{
	const struct xlb_ruleset *rs = sim->rs;
	struct xlb_report v = { .packet = n,
				.backend = backend,
				.rewritten = res->rewritten,
				.flow = flow };
	char text[32];

	v.action = res->action == XLB_SIM_DROP ? "drop" : "pass";
	if (slot < sim->nrules) {
		v.by = "rule";
		v.rule = sim->rules[slot].label;
		v.line = sim->rules[slot].r->loc.first_line;
	} else if (slot == sim->nrules) {
		snprintf(text, sizeof(text), "default %s",
			 rs->def == XLB_VERDICT_DROP ? "drop" : "pass");
		v.by = "default";
		v.rule = text;
		v.line = rs->def_set ? rs->def_loc.first_line : 0;
	} else {
		v.by = slot == sim->nrules + 1 ? "non-ip" : "malformed";
	}
	xlb_report_json(out, &v);
}

static void warn(const char *fmt, ...) XLB_PRINTF(1, 2);
static void warn(const char *fmt, ...)
{
	va_list ap;

	fputs("xlbc: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* What xlb-replay -r prints of a frame the reply path ran. */
static void report_reply(FILE *out, unsigned long n, bool rewritten,
			 const struct xlb_flow *flow)
{
	struct xlb_report v = { .packet = n,
				.action = "continue",
				.rewritten = rewritten,
				.flow = flow };

	xlb_report_json(out, &v);
}

int xlb_sim_replay(struct xlb_sim *sim, const char *in, const char *wpath,
		   bool reply, FILE *out)
{
	char errbuf[PCAP_ERRBUF_SIZE], why[256];
	size_t linear, max_run;
	struct xlb_pcapout po = { .dump = NULL };
	pcap_t *pin;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint8_t *frame = NULL;
	unsigned long n = 0;
	unsigned int pending = UINT32_MAX; /* lowest slot moved unreported */
	int rc, err = -1;

	test_run_limits(reply, &linear, &max_run);
	pin = pcap_open_offline(in, errbuf);
	if (!pin) {
		warn("cannot read capture '%s': %s", in, errbuf);
		return -1;
	}
	if (pcap_datalink(pin) != DLT_EN10MB) {
		warn("'%s' has link type %s; xlbc --simulate, as xlb-replay, "
		     "needs Ethernet (EN10MB) captures, as XDP sees them",
		     in, pcap_datalink_val_to_name(pcap_datalink(pin)));
		goto out;
	}
	if (wpath &&
	    xlb_pcapout_open(&po, wpath, REPLAY_MAX_FRAME, why, sizeof(why))) {
		warn("%s", why);
		goto out;
	}
	frame = xmalloc(REPLAY_MAX_FRAME > max_run ? REPLAY_MAX_FRAME
						   : max_run);

	while ((rc = pcap_next_ex(pin, &hdr, &data)) == 1) {
		const struct xlb_backend *b = NULL;
		struct xlb_sim_result res;
		struct xlb_flow flow;
		unsigned int slot;
		char name[80];

		n++;
		xlb_flow_describe(data, hdr->caplen, &flow);
		if (hdr->caplen < ETH_HDR_LEN) {
			report_skipped(out, n,
				       "frame shorter than an Ethernet header",
				       &flow);
			continue;
		}
		if (reply ? skb_refused(data, hdr->caplen, max_run)
			  : hdr->caplen > max_run) {
			snprintf(why, sizeof(why),
				 "the kernel would not run it: %s",
				 strerror(reply ? EINVAL : ENOMEM));
			report_skipped(out, n, why, &flow);
			continue;
		}
		memcpy(frame, data, hdr->caplen);
		if (reply) {
			xlb_sim_reply_frame(sim, frame, hdr->caplen, &res);
			report_reply(out, n, res.rewritten, &flow);
			if (po.dump)
				xlb_pcapout_write(&po, hdr, frame);
			continue;
		}
		xlb_sim_frame(sim, frame,
			      hdr->caplen < linear ? hdr->caplen : linear,
			      &res);
		slot = res.slot < pending ? res.slot : pending;
		if (hdr->caplen > REPLAY_MAX_FRAME) {
			snprintf(why, sizeof(why),
				 "the kernel would not run it: %s",
				 strerror(ENOSPC));
			report_skipped(out, n, why, &flow);
			pending = slot;
			continue;
		}
		if (res.backend && pending == UINT32_MAX) {
			b = backend_named(res.rule, res.backend, data,
					  hdr->caplen < linear ? hdr->caplen
							       : linear);
			xlb_sim_backend_name(b, name, sizeof(name));
		}
		pending = UINT32_MAX;
		report(sim, out, n, &res, slot, b ? name : NULL, &flow);
		if (po.dump && res.action != XLB_SIM_DROP)
			xlb_pcapout_write(&po, hdr, frame);
	}
	if (rc == -1) {
		warn("error reading '%s' after packet %lu: %s", in, n,
		     pcap_geterr(pin));
		goto out;
	}
	if (po.dump && xlb_pcapout_commit(&po, why, sizeof(why))) {
		warn("%s", why);
		goto out;
	}
	err = 0;
out:
	xlb_pcapout_abort(&po);
	pcap_close(pin);
	free(frame);
	return err;
}

int xlb_simulate(const char *rules, const char *in, const char *wpath,
		 bool reply, FILE *out)
{
	struct xlb_source src;
	struct xlb_ruleset rs;
	struct xlb_diags diags;
	struct xlb_sim *sim;
	int err, status = 1;

	err = xlb_source_load(&src, rules);
	if (err) {
		warn("cannot read '%s': %s", rules, strerror(-err));
		return 1;
	}
	xlb_diags_init(&diags, &src);
	xlb_ruleset_init(&rs, &src);
	xlb_read_rules(&src, &rs, &diags);
	xlb_diags_print(&diags, stderr);
	if (!diags.nerrors) {
		sim = xlb_sim_new(&rs);
		if (reply && !xlb_sim_has_reply(sim))
			warn("'%s' has no reply path: none of its rules rewrites "
			     "in a way that can be translated back (see "
			     "xlb-rules(5), THE REPLY PATH)",
			     rules);
		else if (xlb_sim_replay(sim, in, wpath, reply, out) == 0)
			status = 0;
		xlb_sim_free(sim);
	}
	if ((fflush(out) || ferror(out)) && !status) {
		warn("cannot write the verdicts: %s", strerror(errno));
		status = 1;
	}
	xlb_ruleset_free(&rs);
	xlb_diags_free(&diags);
	xlb_source_free(&src);
	return status;
}
