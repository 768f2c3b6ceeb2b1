// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unit-lib.c - the pieces xlb-replay and xlbc --simulate share to report a
 * frame (lib/): the JSON string escaper, the frame describer (the flow of
 * xlb-replay(1), JSON OUTPUT) on every kind of header it reads or stops
 * at, the report line, and the backends the object's metadata carries
 * (runtime/meta.c), from which xlb-replay names the backend taken.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "json.h"
#include "meta.h"
#include "report.h"
#include "tap.h"

/* What f(out) wrote, as a string the caller frees. */
#define CAPTURE(buf, call)                                                     \
	do {                                                                   \
		size_t len_ = 0;                                               \
		FILE *out = open_memstream(&(buf), &len_);                     \
		if (!out)                                                      \
			abort();                                               \
		call;                                                          \
		fclose(out);                                                   \
	} while (0)

static void test_json(void)
{
	char *s = NULL;

	CAPTURE(s, xlb_json_string(out, "a \"b\" \\c\td\x01\x1f\x7f\xc3\xa9"));
	is_string(s, "\"a \\\"b\\\" \\\\c\\u0009d\\u0001\\u001f\x7f\xc3\xa9\"",
		  "json: quotes and backslashes escaped, controls as \\u00XX, "
		  "the rest as it is");
	free(s);
	CAPTURE(s, xlb_json_string(out, NULL));
	is_string(s, "\"\"", "json: NULL is the empty string");
	free(s);
}

/* --- frames ------------------------------------------------------------- */

struct frame {
	unsigned char b[256];
	size_t len;
};

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* Ethernet, then VLAN tags of the given types (0-terminated), then type. */
static void eth(struct frame *f, const unsigned int *tags, unsigned int type)
{
	memset(f, 0, sizeof(*f));
	f->len = 12;
	for (; tags && *tags; tags++) {
		put16(f->b + f->len, *tags);
		put16(f->b + f->len + 2, 7); /* the VLAN id */
		f->len += 4;
	}
	put16(f->b + f->len, type);
	f->len += 2;
}

/* IPv4 with ihl words of header, the protocol and fragment field given,
 * the total length 'tot' (0: what follows, set by ports()). */
static size_t ipv4(struct frame *f, unsigned int ihl, unsigned int proto,
		   unsigned int frag, unsigned int tot)
{
	size_t ip = f->len;

	f->b[ip] = (unsigned char)(0x40 | ihl);
	put16(f->b + ip + 2, tot);
	put16(f->b + ip + 6, frag);
	f->b[ip + 8] = 64;
	f->b[ip + 9] = (unsigned char)proto;
	inet_pton(AF_INET, "192.0.2.1", f->b + ip + 12);
	inet_pton(AF_INET, "198.51.100.2", f->b + ip + 16);
	f->len += (size_t)ihl * 4;
	return ip;
}

static size_t ipv6(struct frame *f, unsigned int next, unsigned int plen)
{
	size_t ip = f->len;

	f->b[ip] = 0x60;
	put16(f->b + ip + 4, plen);
	f->b[ip + 6] = (unsigned char)next;
	f->b[ip + 7] = 64;
	inet_pton(AF_INET6, "2001:db8::1", f->b + ip + 8);
	inet_pton(AF_INET6, "2001:db8:0:0:1::2", f->b + ip + 24);
	f->len += 40;
	return ip;
}

/* An extension header of hl bytes whose next header is next. */
static void ext(struct frame *f, unsigned int kind, unsigned int next,
		size_t hl, unsigned int frag)
{
	f->b[f->len] = (unsigned char)next;
	if (kind == 51)
		f->b[f->len + 1] = (unsigned char)(hl / 4 - 2);
	else if (kind == 44)
		put16(f->b + f->len + 2, frag);
	else
		f->b[f->len + 1] = (unsigned char)(hl / 8 - 1);
	f->len += hl;
}

/* A transport header of n bytes starting with the ports 1234 -> 80. */
static void ports(struct frame *f, size_t n)
{
	put16(f->b + f->len, 1234);
	put16(f->b + f->len + 2, 80);
	f->len += n;
}

static char *flow_of(const struct frame *f)
{
	struct xlb_flow fl;
	char *s = NULL;

	xlb_flow_describe(f->b, f->len, &fl);
	CAPTURE(s, xlb_flow_json(out, &fl));
	return s;
}

static void check_flow(const struct frame *f, const char *want,
		       const char *what)
{
	char *s = flow_of(f);

	is_string(s, want, "flow: %s", what);
	free(s);
}

#define V4 ",\"family\":\"ip\",\"src\":\"192.0.2.1\",\"dst\":\"198.51.100.2\""
#define V6                                                                     \
	",\"family\":\"ip6\",\"src\":\"2001:db8::1\",\"dst\":\"2001:db8::1:0:0:2\""
#define PORTS ",\"sport\":1234,\"dport\":80"

static const unsigned int qinq[] = { 0x88a8, 0x8100, 0 };
static const unsigned int three[] = { 0x8100, 0x8100, 0x8100, 0 };

/* IPv4 frames: the header (ihl words, protocol, fragment field, total
 * length), then l4 bytes starting with the ports; first, if not 0,
 * replaces the version and IHL byte; cut bytes are taken off the end. */
static const struct {
	const unsigned int *tags;
	unsigned int ihl, proto, frag, tot;
	size_t l4, cut;
	unsigned char first;
	const char *want, *what;
} v4_frames[] = {
	{ NULL, 5, 17, 0, 28, 8, 0, 0, V4 ",\"proto\":17" PORTS, "IPv4 UDP" },
	{ qinq, 7, 6, 0x4000, 48, 20, 0, 0, V4 ",\"proto\":6" PORTS,
	  "IPv4 TCP with options, behind 802.1ad and 802.1Q, DF" },
	{ three, 5, 17, 0, 28, 8, 0, 0, V4 ",\"proto\":17" PORTS,
	  "three VLAN tags are read through" },
	{ NULL, 5, 1, 0, 28, 8, 0, 0, V4 ",\"proto\":1", "ICMP: no ports" },
	{ NULL, 5, 17, 0x2000, 28, 8, 0, 0, V4 ",\"proto\":17" PORTS,
	  "a first fragment has its ports" },
	{ NULL, 5, 17, 0x0001, 28, 8, 0, 0, V4 ",\"proto\":17",
	  "a later fragment has none" },
	{ NULL, 5, 17, 0, 23, 8, 0, 0, V4 ",\"proto\":17",
	  "ports past the IPv4 total length are not read" },
	{ NULL, 5, 17, 0, 28, 3, 0, 0, V4 ",\"proto\":17",
	  "ports cut by the frame's end" },
	{ NULL, 5, 17, 0, 28, 8, 0, 0x44, "",
	  "an IPv4 header length of 16 bytes: no flow" },
	{ NULL, 6, 17, 0, 28, 0, 1, 0, "", "an IPv4 header cut: no flow" },
	{ NULL, 5, 17, 0, 28, 8, 0, 0x65, "",
	  "IPv4 ethertype, version 6: no flow" },
};

static void test_flow(void)
{
	struct frame f;
	size_t i, ip;

	for (i = 0; i < sizeof(v4_frames) / sizeof(v4_frames[0]); i++) {
		eth(&f, v4_frames[i].tags, 0x0800);
		ip = ipv4(&f, v4_frames[i].ihl, v4_frames[i].proto,
			  v4_frames[i].frag, v4_frames[i].tot);
		if (v4_frames[i].l4)
			ports(&f, v4_frames[i].l4);
		if (v4_frames[i].first)
			f.b[ip] = v4_frames[i].first;
		f.len -= v4_frames[i].cut;
		check_flow(&f, v4_frames[i].want, v4_frames[i].what);
	}

	eth(&f, NULL, 0x86dd);
	ipv6(&f, 17, 8);
	ports(&f, 8);
	check_flow(&f, V6 ",\"proto\":17" PORTS, "IPv6 UDP");

	eth(&f, NULL, 0x86dd);
	ipv6(&f, 0, 8 + 16 + 8 + 20);
	ext(&f, 0, 51, 8, 0);
	ext(&f, 51, 44, 16, 0);
	ext(&f, 44, 6, 8, 0x0001); /* M, offset 0: the first fragment */
	ports(&f, 20);
	check_flow(&f, V6 ",\"proto\":6" PORTS,
		   "IPv6 hop-by-hop, AH and a first fragment, then TCP");

	eth(&f, NULL, 0x86dd);
	ipv6(&f, 60, 16);
	ext(&f, 60, 44, 8, 0);
	ext(&f, 44, 17, 8, 0x0008); /* offset 1 */
	check_flow(&f, V6 ",\"proto\":17",
		   "IPv6 later fragment: the protocol, no ports");

	eth(&f, NULL, 0x86dd);
	ipv6(&f, 43, 24);
	ext(&f, 43, 17, 24, 0);
	f.len -= 8;
	check_flow(&f, V6, "IPv6 extension header cut: no protocol");

	eth(&f, NULL, 0x86dd);
	ipv6(&f, 60, 4);
	ext(&f, 60, 17, 8, 0);
	ports(&f, 8);
	check_flow(&f, V6, "IPv6 extension headers past the payload length");

	eth(&f, NULL, 0x86dd);
	ipv6(&f, 0, 0); /* a jumbogram: the length is in hop-by-hop */
	ext(&f, 0, 17, 8, 0);
	ports(&f, 8);
	check_flow(&f, V6 ",\"proto\":17" PORTS,
		   "IPv6 jumbogram: the datagram runs to the end of the frame");

	eth(&f, NULL, 0x86dd);
	ipv6(&f, 60, 0);
	ext(&f, 60, 17, 8, 0);
	ports(&f, 8);
	check_flow(&f, V6, "IPv6 payload length 0 without hop-by-hop: empty");

	eth(&f, NULL, 0x86dd);
	ipv6(&f, 17, 8);
	f.len -= 1;
	check_flow(&f, "", "IPv6 header cut: no flow");

	eth(&f, NULL, 0x0806);
	f.len += 28;
	check_flow(&f, "", "ARP: no flow");

	eth(&f, NULL, 0x0800);
	f.len = 13;
	check_flow(&f, "", "13 bytes: no flow");
}

static void test_report(void)
{
	struct xlb_flow fl;
	struct frame f;
	char *s = NULL;
	struct xlb_report v = { .packet = 7,
				.action = "pass",
				.by = "rule",
				.rule = "udp port 80 -> \"x\"",
				.line = 3,
				.backend = "[2001:db8::2]:80",
				.rewritten = 1,
				.flow = &fl };

	eth(&f, NULL, 0x0800);
	ipv4(&f, 5, 17, 0, 28);
	ports(&f, 8);
	xlb_flow_describe(f.b, f.len, &fl);
	CAPTURE(s, xlb_report_json(out, &v));
	is_string(s,
		  "{\"packet\":7,\"action\":\"pass\",\"by\":\"rule\","
		  "\"rule\":\"udp port 80 -> \\\"x\\\"\",\"line\":3,"
		  "\"backend\":\"[2001:db8::2]:80\",\"rewritten\":true" V4
		  ",\"proto\":17" PORTS "}\n",
		  "report: every member, in order");
	free(s);

	v = (struct xlb_report){ .packet = 2,
				 .action = "skipped",
				 .reason = "too short",
				 .rewritten = -1 };
	CAPTURE(s, xlb_report_json(out, &v));
	is_string(
		s,
		"{\"packet\":2,\"action\":\"skipped\",\"reason\":\"too short\"}\n",
		"report: a skipped frame, no rewritten, no flow");
	free(s);
}

/* --- the backends in the metadata --------------------------------------- */

static int parse(const char *blob, struct xlb_meta *m, const char **why)
{
	*why = NULL;
	return xlb_meta_parse(blob, strlen(blob) + 1, m, why);
}

/* The five backends of rule 0 in the blob test_meta() parses. */
static void test_meta_backends(const struct xlb_meta *mp)
{
	const struct xlb_meta m = *mp;
	unsigned char want[16];

	is_int(m.rules[0].nbackends * 10 + m.rules[1].nbackends, 50,
	       "meta: five backends for rule 0, none for rule 1");
	ok(!m.rules[0].backends[0].family && m.rules[0].backends[0].has_port &&
		   m.rules[0].backends[0].port == 9876,
	   "meta: 9876 is a port");
	inet_pton(AF_INET, "10.0.0.2", want);
	ok(m.rules[0].backends[1].family == 4 &&
		   !memcmp(m.rules[0].backends[1].addr, want, 4) &&
		   !m.rules[0].backends[1].has_port,
	   "meta: 10.0.0.2 is an address");
	inet_pton(AF_INET, "10.0.0.3", want);
	ok(m.rules[0].backends[2].family == 4 &&
		   !memcmp(m.rules[0].backends[2].addr, want, 4) &&
		   m.rules[0].backends[2].port == 8080,
	   "meta: 10.0.0.3:8080 is both");
	inet_pton(AF_INET6, "2001:db8::3", want);
	ok(m.rules[0].backends[3].family == 6 &&
		   !m.rules[0].backends[3].has_port &&
		   m.rules[0].backends[4].family == 6 &&
		   !memcmp(m.rules[0].backends[4].addr, want, 16) &&
		   m.rules[0].backends[4].port == 80,
	   "meta: [2001:db8::2] and [2001:db8::3]:80");
	is_string(m.rules[0].backends[4].text, "[2001:db8::3]:80",
		  "meta: the backend's text is kept");
}

static void test_meta(void)
{
	static const char head[] = "xlb-meta 1\ncompiler xlbc 0\nsource r\n";
	static const struct {
		const char *lines, *what;
	} bad[] = {
		{ "backend 0 9876\nrule 1 udp port 53 -> 9876\n",
		  "a backend before its rule" },
		{ "rule 1 udp port 53 -> 9876\nbackend 0 99999\n",
		  "a port out of range" },
		{ "rule 1 udp port 53 -> 9876\nbackend 0 [10.0.0.2]:80\n",
		  "an IPv4 address in brackets" },
		{ "rule 1 udp port 53 -> 9876\nbackend 0 10.0.0.2:\n",
		  "an address with an empty port" },
	};
	size_t i;
	struct xlb_meta m;
	const char *why;
	char blob[512];
	int rc;

	snprintf(blob, sizeof(blob),
		 "%srules 2\nrule 1 udp port 53 -> 9876, 10.0.0.2, "
		 "10.0.0.3:8080, [2001:db8::2], [2001:db8::3]:80\n"
		 "backend 0 9876\nbackend 0 10.0.0.2\nbackend 0 10.0.0.3:8080\n"
		 "backend 0 [2001:db8::2]\nbackend 0 [2001:db8::3]:80\n"
		 "rule 2 drop\nnew-kind of line\ndefault 0 pass\n",
		 head);
	rc = parse(blob, &m, &why);
	if (!is_int(rc, 0, "meta: backend lines are read")) {
		diag("%s", why ? why : "?");
		skip_block(6, "no metadata");
	} else {
		test_meta_backends(&m);
		xlb_meta_free(&m);
	}

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(blob, sizeof(blob), "%srules 1\n%sdefault 0 pass\n",
			 head, bad[i].lines);
		rc = parse(blob, &m, &why);
		ok(rc == -EINVAL && why &&
			   !strcmp(why, "a malformed backend line"),
		   "meta: %s is refused", bad[i].what);
	}
}

int main(void)
{
	plan(2 + 21 + 2 + 11);
	test_json();
	test_flow();
	test_report();
	test_meta();
	return tap_done();
}
