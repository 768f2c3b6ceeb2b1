// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * craft - send UDP datagrams with the headers that make a packet parser
 * give up, for the namespace tests: real frames on a real interface,
 * through AF_PACKET, so that the receiving kernel judges them as it would
 * judge an attacker's.
 *
 *   craft [-c COUNT] [-p SPORT] [-l LEN] IFNAME DSTMAC KIND SRC DST DPORT [N]
 *
 * sends COUNT (default 1) UDP datagrams from SRC:SPORT (default 40000) to
 * DST:DPORT out of IFNAME, to DSTMAC, each carrying "craft I\n".  SRC and
 * DST are both IPv4 or both IPv6.  KIND says what comes before the UDP
 * header:
 *
 *   plain     nothing
 *   dstopts   N IPv6 destination options headers of 8 bytes (-l LEN: of LEN
 *             bytes, a multiple of 8 up to 2048), filled with PadN options
 *   ah        an IPv6 authentication header of N bytes (a multiple of 4,
 *             odd lengths in 8-byte units allowed)
 *   jumbo     an IPv6 jumbogram: payload length 0 and a hop-by-hop header
 *             with a jumbo payload option (RFC 2675)
 *   ipopts    IPv4 with N bytes of options (NOPs, then an end of list)
 *   vlan      N 802.1Q tags, VLAN ids 2000 to 2000 + N - 1, outermost first
 *
 * Every checksum is right (the UDP one over the RFC 8200 / RFC 768
 * pseudo-header), so that only the headers decide what the receiver does.
 * Exit status: 0 all sent, 1 error, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "csum.h"
#include "tool.h"

#define FRAME_MAX 65600 /* an MTU of 65535, VLAN tags and all */
#define VLAN_ID0 2000
#define PROTO_UDP 17
#define NH_HOPOPTS 0
#define NH_AH 51
#define NH_DSTOPTS 60

static const char *prog = "craft";

struct spec {
	const char *kind;
	unsigned long n;
	unsigned long hlen; /* dstopts: each header's length */
	int v6;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

static int usage(void)
{
	fprintf(stderr,
		"usage: %s [-c COUNT] [-p SPORT] [-l LEN] IFNAME DSTMAC KIND SRC DST DPORT [N]\n"
		"KIND: plain, dstopts N, ah N, jumbo, ipopts N, vlan N\n",
		prog);
	return 2;
}

/* The extension headers in front of the UDP header, into p; returns their
 * length and sets *first to the IPv6 header's next header. */
static size_t ext_headers(const struct spec *s, uint8_t *p, uint8_t *first)
{
	size_t len = 0, i;

	*first = PROTO_UDP;
	if (!strcmp(s->kind, "dstopts")) {
		for (i = 0; i < s->n; i++, len += s->hlen) {
			size_t at = 2, pad;

			p[len] = i + 1 < s->n ? NH_DSTOPTS : PROTO_UDP;
			p[len + 1] = (uint8_t)(s->hlen / 8 - 1);
			/* PadN options of at most 257 bytes fill the rest;
			 * none of 2 bytes is left over, as 8 * k - 2 is even
			 * and never 1 more than a multiple of 257 */
			for (; at < s->hlen; at += pad) {
				pad = s->hlen - at > 257 ? 257 : s->hlen - at;
				if (s->hlen - at - pad == 1)
					pad--;
				p[len + at] = 1; /* PadN */
				p[len + at + 1] = (uint8_t)(pad - 2);
				memset(p + len + at + 2, 0, pad - 2);
			}
		}
		if (s->n)
			*first = NH_DSTOPTS;
	} else if (!strcmp(s->kind, "ah")) {
		len = s->n;
		memset(p, 0, len);
		p[0] = PROTO_UDP;
		p[1] = (uint8_t)(len / 4 - 2); /* in 4-byte words, minus 2 */
		p[7] = 1;		       /* SPI 1 */
		p[11] = 1;		       /* sequence number 1 */
		*first = NH_AH;
	} else if (!strcmp(s->kind, "jumbo")) {
		len = 8;
		p[0] = PROTO_UDP;
		p[1] = 0;
		p[2] = 0xc2; /* jumbo payload */
		p[3] = 4;
		/* its length is filled in by the caller */
		*first = NH_HOPOPTS;
	}
	return len;
}

/* One frame for datagram i; returns its length. */
static size_t build(const struct spec *s, const uint8_t *smac,
		    const uint8_t *dmac, unsigned long i, uint8_t *f)
{
	size_t off = 12, ip, ext = 0, udp, plen, j;
	uint8_t first = PROTO_UDP, payload[32];
	uint32_t sum;
	int n;

	n = snprintf((char *)payload, sizeof(payload), "craft %lu\n", i);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	if (!strcmp(s->kind, "vlan")) {
		for (j = 0; j < s->n; j++, off += 4) {
			put16(f + off, 0x8100);
			put16(f + off + 2, (unsigned int)(VLAN_ID0 + j));
		}
	}
	put16(f + off, s->v6 ? 0x86dd : 0x0800);
	ip = off + 2;
	if (s->v6) {
		ext = ext_headers(s, f + ip + 40, &first);
		udp = ip + 40 + ext;
	} else {
		size_t opts = !strcmp(s->kind, "ipopts") ? s->n : 0;

		memset(f + ip + 20, 1, opts); /* NOP */
		if (opts)
			f[ip + 20 + opts - 1] = 0; /* end of options list */
		udp = ip + 20 + opts;
	}
	plen = 8 + (size_t)n;
	put16(f + udp, s->sport);
	put16(f + udp + 2, s->dport);
	put16(f + udp + 4, (unsigned int)plen);
	put16(f + udp + 6, 0);
	memcpy(f + udp + 8, payload, (size_t)n);

	/* the pseudo-header: addresses, protocol, UDP length */
	sum = sum16(s->src, s->v6 ? 16 : 4, 0);
	sum = sum16(s->dst, s->v6 ? 16 : 4, sum);
	sum += PROTO_UDP + (uint32_t)plen;
	sum = sum16(f + udp, plen, sum);
	put16(f + udp + 6, fold(sum) ? fold(sum) : 0xffff);

	if (s->v6) {
		size_t payload_len = ext + plen;

		f[ip] = 0x60;
		memset(f + ip + 1, 0, 3);
		if (!strcmp(s->kind, "jumbo")) {
			/* the length goes in the option, 0 in the header */
			uint32_t jl = (uint32_t)payload_len;

			f[ip + 40 + 4] = (uint8_t)(jl >> 24);
			f[ip + 40 + 5] = (uint8_t)(jl >> 16);
			f[ip + 40 + 6] = (uint8_t)(jl >> 8);
			f[ip + 40 + 7] = (uint8_t)jl;
			payload_len = 0;
		}
		put16(f + ip + 4, (unsigned int)payload_len);
		f[ip + 6] = first;
		f[ip + 7] = 64;
		memcpy(f + ip + 8, s->src, 16);
		memcpy(f + ip + 24, s->dst, 16);
	} else {
		size_t hl = udp - ip;

		f[ip] = (uint8_t)(0x40 | hl / 4);
		f[ip + 1] = 0;
		put16(f + ip + 2, (unsigned int)(hl + plen));
		put16(f + ip + 4, (unsigned int)(i & 0xffff));
		put16(f + ip + 6, 0x4000); /* DF */
		f[ip + 8] = 64;
		f[ip + 9] = PROTO_UDP;
		put16(f + ip + 10, 0);
		memcpy(f + ip + 12, s->src, 4);
		memcpy(f + ip + 16, s->dst, 4);
		put16(f + ip + 10, fold(sum16(f + ip, hl, 0)));
	}
	return udp + plen;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int check_kind(struct spec *s, int have_n)
{
	static const char *const with_n[] = { "dstopts", "ah", "ipopts",
					      "vlan" };
	bool needs_n = false;
	size_t i;

	for (i = 0; i < sizeof(with_n) / sizeof(with_n[0]); i++)
		needs_n |= !strcmp(s->kind, with_n[i]);
	if (!needs_n && strcmp(s->kind, "plain") && strcmp(s->kind, "jumbo")) {
		fprintf(stderr, "%s: unknown kind '%s'\n", prog, s->kind);
		return -1;
	}
	if (needs_n != have_n) {
		fprintf(stderr, "%s: '%s' %s a count\n", prog, s->kind,
			needs_n ? "needs" : "takes no");
		return -1;
	}
	if ((!strcmp(s->kind, "dstopts") || !strcmp(s->kind, "ah") ||
	     !strcmp(s->kind, "jumbo")) &&
	    !s->v6) {
		fprintf(stderr, "%s: '%s' is IPv6 only\n", prog, s->kind);
		return -1;
	}
	if (!strcmp(s->kind, "ipopts") &&
	    (s->v6 || s->n % 4 || s->n > 40)) {
		fprintf(stderr, "%s: ipopts: IPv4, 0 to 40 bytes in fours\n",
			prog);
		return -1;
	}
	if (!strcmp(s->kind, "ah") && (s->n % 4 || s->n < 12 || s->n > 1024)) {
		fprintf(stderr, "%s: ah: 12 to 1024 bytes in fours\n", prog);
		return -1;
	}
	if ((!strcmp(s->kind, "dstopts") &&
	     s->n * s->hlen > FRAME_MAX - 200) ||
	    (!strcmp(s->kind, "vlan") && s->n > 100)) {
		fprintf(stderr, "%s: %s: too many\n", prog, s->kind);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t frame[FRAME_MAX];
	unsigned long count = 1, v, i;
	struct spec s = { .sport = 40000, .hlen = 8 };
	struct sockaddr_ll sll = { 0 };
	uint8_t dmac[6];
	struct ifreq ifr;
	int opt, fd;

	while ((opt = getopt(argc, argv, "c:l:p:")) != -1) {
		switch (opt) {
		case 'c':
			if (parse_num(optarg, 1000000, &count))
				return usage();
			break;
		case 'p':
			if (parse_num(optarg, 65535, &v))
				return usage();
			s.sport = (uint16_t)v;
			break;
		case 'l':
			if (parse_num(optarg, 2048, &s.hlen) || s.hlen < 8 ||
			    s.hlen % 8)
				return usage();
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 6 && argc != 7)
		return usage();
	s.kind = argv[2];
	if (parse_mac(argv[1], dmac) || parse_num(argv[5], 65535, &v))
		return usage();
	s.dport = (uint16_t)v;
	if (inet_pton(AF_INET, argv[3], s.src) == 1 &&
	    inet_pton(AF_INET, argv[4], s.dst) == 1) {
		s.v6 = 0;
	} else if (inet_pton(AF_INET6, argv[3], s.src) == 1 &&
		   inet_pton(AF_INET6, argv[4], s.dst) == 1) {
		s.v6 = 1;
	} else {
		fprintf(stderr, "%s: '%s' and '%s' are not two addresses of one "
				"family\n",
			prog, argv[3], argv[4]);
		return 2;
	}
	if (argc == 7 && parse_num(argv[6], 100000, &s.n))
		return usage();
	if (check_kind(&s, argc == 7))
		return 2;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: AF_PACKET socket: %s\n", prog,
			strerror(errno));
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[0]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[0], strerror(errno));
		return 1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(argv[0]);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	for (i = 0; i < count; i++) {
		size_t len = build(&s, (uint8_t *)ifr.ifr_hwaddr.sa_data, dmac,
				   i, frame);

		if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) != (ssize_t)len) {
			fprintf(stderr, "%s: sending on %s: %s\n", prog,
				argv[0], strerror(errno));
			close(fd);
			return 1;
		}
	}
	close(fd);
	printf("sent %lu\n", count);
	return 0;
}
