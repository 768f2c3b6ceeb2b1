// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * frames - real frames of a few plain kinds, sent out of one end of a veth
 * pair to the xlb program on the other end, for the man pages' examples of
 * counters (t/doc-examples.test): it returns only once that program has
 * counted them, so that what xlb-stats prints next is exact.
 *
 *   frames [-c COUNT] [-s SIZE] TXIF RXIF udp SRC DST SPORT DPORT
 *   frames [-c COUNT] [-s SIZE] TXIF RXIF icmp SRC DST
 *   frames [-c COUNT] TXIF RXIF arp SRC DST
 *
 * sends COUNT (default 1) frames out of TXIF through AF_PACKET, from
 * TXIF's MAC address to RXIF's: IPv4 UDP datagrams from SRC:SPORT to
 * DST:DPORT, or ICMP echo requests from SRC to DST, each with SIZE
 * (default 0) bytes of data, zeros; or ARP requests from SRC asking for
 * DST.  A frame is 42 + SIZE bytes long, an ARP request 42; every checksum
 * is right.  Then it waits, up to 5 seconds, until the xlb program
 * attached to RXIF (in this network namespace) has counted exactly COUNT
 * frames more than before, in any slot.
 * Exit status: 0 sent and counted, 1 error, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "csum.h"
#include "tool.h"
#include "xdp.h"

#define ETH_LEN 14
#define IP4_LEN 20
#define L4_LEN 8 /* a UDP header, or ICMP's type, code, checksum, id, sequence */
#define ARP_LEN 28
#define SIZE_MAX_DATA 1400
#define FRAME_MAX (ETH_LEN + IP4_LEN + L4_LEN + SIZE_MAX_DATA)
#define PROTO_ICMP 1
#define PROTO_UDP 17
#define WAIT_MS 5000

static const char *prog = "frames";

enum kind { K_UDP, K_ICMP, K_ARP };

struct spec {
	enum kind kind;
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
	size_t size;
	uint8_t smac[6], dmac[6];
};

static int usage(void)
{
	fprintf(stderr,
		"usage: %s [-c COUNT] [-s SIZE] TXIF RXIF udp SRC DST SPORT DPORT\n"
		"       %s [-c COUNT] [-s SIZE] TXIF RXIF icmp SRC DST\n"
		"       %s [-c COUNT] TXIF RXIF arp SRC DST\n",
		prog, prog, prog);
	return 2;
}

/* Frame i of the spec, into f; returns its length. */
static size_t build(const struct spec *s, unsigned long i, uint8_t *f)
{
	size_t ip = ETH_LEN, l4 = ETH_LEN + IP4_LEN, l4len;
	uint32_t sum;

	memcpy(f, s->dmac, 6);
	memcpy(f + 6, s->smac, 6);
	if (s->kind == K_ARP) {
		uint8_t *a = f + ETH_LEN;

		put16(f + 12, 0x0806);
		put16(a, 1);	  /* Ethernet */
		put16(a + 2, 0x0800); /* IPv4 */
		a[4] = 6;
		a[5] = 4;
		put16(a + 6, 1); /* request */
		memcpy(a + 8, s->smac, 6);
		memcpy(a + 14, s->src, 4);
		memset(a + 18, 0, 6);
		memcpy(a + 24, s->dst, 4);
		return ETH_LEN + ARP_LEN;
	}

	put16(f + 12, 0x0800);
	l4len = L4_LEN + s->size;
	memset(f + l4, 0, l4len);
	if (s->kind == K_UDP) {
		put16(f + l4, s->sport);
		put16(f + l4 + 2, s->dport);
		put16(f + l4 + 4, (unsigned int)l4len);
		/* the pseudo-header: addresses, protocol, UDP length */
		sum = sum16(s->src, 4, 0);
		sum = sum16(s->dst, 4, sum);
		sum += PROTO_UDP + (uint32_t)l4len;
		sum = sum16(f + l4, l4len, sum);
		put16(f + l4 + 6, fold(sum) ? fold(sum) : 0xffff);
	} else {
		f[l4] = 8; /* echo request, code 0 */
		put16(f + l4 + 4, 0x786c);
		put16(f + l4 + 6, (unsigned int)(i & 0xffff));
		put16(f + l4 + 2, fold(sum16(f + l4, l4len, 0)));
	}

	f[ip] = 0x45;
	f[ip + 1] = 0;
	put16(f + ip + 2, (unsigned int)(IP4_LEN + l4len));
	put16(f + ip + 4, (unsigned int)(i & 0xffff));
	put16(f + ip + 6, 0x4000); /* DF */
	f[ip + 8] = 64;
	f[ip + 9] = s->kind == K_UDP ? PROTO_UDP : PROTO_ICMP;
	put16(f + ip + 10, 0);
	memcpy(f + ip + 12, s->src, 4);
	memcpy(f + ip + 16, s->dst, 4);
	put16(f + ip + 10, fold(sum16(f + ip, IP4_LEN, 0)));
	return l4 + l4len;
}

static int parse_args(int argc, char **argv, struct spec *s)
{
	unsigned long v;
	int nargs;

	if (argc < 5)
		return -1;
	if (!strcmp(argv[2], "udp")) {
		s->kind = K_UDP;
		nargs = 7;
	} else if (!strcmp(argv[2], "icmp")) {
		s->kind = K_ICMP;
		nargs = 5;
	} else if (!strcmp(argv[2], "arp")) {
		s->kind = K_ARP;
		nargs = 5;
	} else {
		fprintf(stderr, "%s: unknown kind '%s'\n", prog, argv[2]);
		return -1;
	}
	if (argc != nargs)
		return -1;
	if (inet_pton(AF_INET, argv[3], s->src) != 1 ||
	    inet_pton(AF_INET, argv[4], s->dst) != 1) {
		fprintf(stderr, "%s: '%s' and '%s' are not two IPv4 addresses\n",
			prog, argv[3], argv[4]);
		return -1;
	}
	if (s->kind == K_UDP) {
		if (parse_num(argv[5], 65535, &v))
			return -1;
		s->sport = (uint16_t)v;
		if (parse_num(argv[6], 65535, &v))
			return -1;
		s->dport = (uint16_t)v;
	}
	return 0;
}

/* The MAC address of ifname, through the socket fd. */
static int get_mac(int fd, const char *ifname, uint8_t *mac)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, ifname, strerror(errno));
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* The frames the xlb program on ifindex has counted, all slots together. */
static int counted(const struct xlb_attached *a, uint64_t *total)
{
	unsigned int i, n = XLB_NCOUNTERS(a->meta.nrules);
	struct xlb_counter *c = calloc(n, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	err = xlb_read_counters(a->stats_fd, n, c);
	*total = 0;
	for (i = 0; !err && i < n; i++)
		*total += c[i].packets;
	free(c);
	return err;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Send count frames of the spec out of txif, to rxif's MAC address. */
static int send_frames(const char *txif, const char *rxif, struct spec *s,
		       unsigned long count)
{
	static uint8_t frame[FRAME_MAX];
	struct sockaddr_ll sll = { 0 };
	unsigned long i;
	int fd, ret = -1;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: AF_PACKET socket: %s\n", prog,
			strerror(errno));
		return -1;
	}
	if (get_mac(fd, txif, s->smac) || get_mac(fd, rxif, s->dmac))
		goto out;
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(txif);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, s->dmac, 6);
	for (i = 0; i < count; i++) {
		size_t len = build(s, i, frame);

		if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) != (ssize_t)len) {
			fprintf(stderr, "%s: sending on %s: %s\n", prog, txif,
				strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

/* Wait until the program a, on rxif, has counted count frames more than
 * before: exactly that many. */
static int wait_counted(const struct xlb_attached *a, const char *rxif,
			uint64_t before, unsigned long count)
{
	uint64_t now = before;
	int ms;

	for (ms = 0; ms <= WAIT_MS; ms += 10) {
		if (counted(a, &now)) {
			fprintf(stderr, "%s: cannot read the counters on %s\n",
				prog, rxif);
			return -1;
		}
		if (now - before >= count)
			break;
		sleep_ms(10);
	}
	if (now - before != count) {
		fprintf(stderr,
			"%s: the xlb program on %s counted %llu frames, %lu were sent\n",
			prog, rxif, (unsigned long long)(now - before), count);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long count = 1, v;
	struct spec s = { 0 };
	struct xlb_attached a;
	uint64_t before;
	int opt, rxindex, err, ret = 1;

	while ((opt = getopt(argc, argv, "c:s:")) != -1) {
		switch (opt) {
		case 'c':
			if (parse_num(optarg, 1000000, &count))
				return usage();
			break;
		case 's':
			if (parse_num(optarg, SIZE_MAX_DATA, &v))
				return usage();
			s.size = v;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (parse_args(argc, argv, &s))
		return usage();
	if (s.kind == K_ARP && s.size) {
		fprintf(stderr, "%s: an ARP request has no data (-s)\n", prog);
		return 2;
	}

	rxindex = (int)if_nametoindex(argv[1]);
	if (!rxindex) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[1], strerror(errno));
		return 1;
	}
	err = xlb_attached_open(rxindex, &a);
	if (err || !a.is_xlb) {
		fprintf(stderr, "%s: %s has no xlb program to count the frames%s%s\n",
			prog, argv[1], err ? ": " : "",
			err ? strerror(-err) : "");
		goto out;
	}
	if (counted(&a, &before)) {
		fprintf(stderr, "%s: cannot read the counters on %s\n", prog,
			argv[1]);
		goto out;
	}
	if (send_frames(argv[0], argv[1], &s, count) == 0 &&
	    wait_counted(&a, argv[1], before, count) == 0)
		ret = 0;
out:
	xlb_attached_close(&a);
	return ret;
}
