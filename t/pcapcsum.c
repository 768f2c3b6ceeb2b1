// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pcapcsum - verify the IPv4, UDP, TCP and ICMP checksums of every packet
 * in an Ethernet capture.
 *
 *   pcapcsum FILE.pcap
 *
 * Every checksum is computed from scratch (a full one's complement sum over
 * the covered bytes), without any of xlb's own code, so that a test can use
 * it to check what the XDP program wrote.  One line is printed for every bad
 * checksum, then a summary:
 *
 *   packet 3: bad UDP checksum 0x1234, expected 0x5678
 *   12 packets, 11 checked, 1 bad
 *
 * A packet is "checked" when at least its IPv4 header checksum could be
 * verified.  Packets that cannot be checked (not IPv4, truncated, headers
 * that contradict each other) are counted but are not errors.  The transport
 * checksum is verified only for an unfragmented datagram that lies wholly
 * inside the captured frame.
 *
 * Exit status: 0 if no checksum is bad, 1 if one is, 2 on a usage or file
 * error.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#define ETH_HLEN 14 /* destination, source, ethertype */
#define VLAN_HLEN 4 /* TCI, encapsulated ethertype */
#define MAX_VLAN 8  /* as many tags as xlb walks */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88a8

#define IPV4_MIN_HLEN 20
#define IPV4_OFF_TOTLEN 2 /* offsets inside the IPv4 header */
#define IPV4_OFF_FRAG 6
#define IPV4_OFF_PROTO 9
#define IPV4_OFF_CSUM 10
#define IPV4_OFF_SADDR 12 /* source and destination: 8 bytes */
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_OFFSET 0x1fff

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17

#define UDP_HLEN 8
#define UDP_OFF_LEN 4
#define UDP_OFF_CSUM 6
#define TCP_MIN_HLEN 20
#define TCP_OFF_CSUM 16
#define ICMP_MIN_HLEN 4 /* type, code, checksum */
#define ICMP_OFF_CSUM 2

struct counts {
	unsigned long packets;
	unsigned long checked;
	unsigned long bad;
};

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Add the bytes [p, p + len) to a one's complement sum as big-endian 16-bit
 * words, skipping the word at offset @skip (the checksum field itself; pass
 * a value >= len to skip nothing).  An odd last byte is padded with zero.
 */
static uint64_t sum_bytes(uint64_t sum, const uint8_t *p, size_t len,
			  size_t skip)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		if (i == skip)
			continue;
		sum += get_be16(p + i);
	}
	if (len & 1)
		sum += (uint16_t)(p[len - 1] << 8);
	return sum;
}

/* Fold a wide sum to 16 bits with end-around carry. */
static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The IPv4 pseudo-header of UDP and TCP. */
static uint64_t sum_pseudo(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	uint64_t sum = sum_bytes(0, ip + IPV4_OFF_SADDR, 8, SIZE_MAX);

	return sum + proto + l4len;
}

/*
 * Check one checksum field.  @partial is the sum of everything the checksum
 * covers except the field; the field is correct when adding it gives
 * 0xffff, one's complement zero (so 0x0000 and 0xffff are both accepted
 * where the computed value is 0x0000 or 0xffff).
 */
static bool check_field(unsigned long pkt, const char *what, uint64_t partial,
			uint16_t field, bool zero_as_ffff)
{
	uint16_t expected = (uint16_t)~fold(partial);

	if (fold(partial + field) == 0xffff)
		return true;
	if (zero_as_ffff && expected == 0)
		expected = 0xffff;
	printf("packet %lu: bad %s checksum 0x%04x, expected 0x%04x\n", pkt,
	       what, field, expected);
	return false;
}

/*
 * Verify the transport checksum of an unfragmented datagram that is wholly
 * in the frame.  @l4 points at the transport header, @l4len bytes follow it
 * up to the datagram's end.  Returns false if the checksum is bad.
 */
static bool check_l4(unsigned long pkt, const uint8_t *ip, uint8_t proto,
		     const uint8_t *l4, size_t l4len)
{
	uint64_t sum;
	uint16_t field;
	size_t ulen;

	switch (proto) {
	case PROTO_UDP:
		if (l4len < UDP_HLEN)
			return true;
		/* The checksum covers the UDP length, not the IP length:
		 * bytes after it inside the datagram are not covered. */
		ulen = get_be16(l4 + UDP_OFF_LEN);
		if (ulen < UDP_HLEN || ulen > l4len)
			return true;
		field = get_be16(l4 + UDP_OFF_CSUM);
		if (field == 0) /* no checksum (RFC 768) */
			return true;
		sum = sum_pseudo(ip, proto, ulen);
		sum = sum_bytes(sum, l4, ulen, UDP_OFF_CSUM);
		return check_field(pkt, "UDP", sum, field, true);
	case PROTO_TCP:
		if (l4len < TCP_MIN_HLEN)
			return true;
		field = get_be16(l4 + TCP_OFF_CSUM);
		sum = sum_pseudo(ip, proto, l4len);
		sum = sum_bytes(sum, l4, l4len, TCP_OFF_CSUM);
		return check_field(pkt, "TCP", sum, field, false);
	case PROTO_ICMP:
		if (l4len < ICMP_MIN_HLEN)
			return true;
		field = get_be16(l4 + ICMP_OFF_CSUM);
		sum = sum_bytes(0, l4, l4len, ICMP_OFF_CSUM);
		return check_field(pkt, "ICMP", sum, field, false);
	default:
		return true;
	}
}

/* Check one frame; update the counts. */
static void check_frame(struct counts *c, const uint8_t *frame, size_t len)
{
	unsigned long pkt = ++c->packets;
	const uint8_t *ip;
	size_t off = ETH_HLEN, avail, hlen, tot;
	uint16_t type, frag;
	bool good;
	int i;

	if (len < ETH_HLEN)
		return;
	type = get_be16(frame + ETH_HLEN - 2);
	for (i = 0; i < MAX_VLAN; i++) {
		if (type != ETHERTYPE_8021Q && type != ETHERTYPE_8021AD)
			break;
		if (len < off + VLAN_HLEN)
			return;
		type = get_be16(frame + off + 2);
		off += VLAN_HLEN;
	}
	if (type != ETHERTYPE_IPV4)
		return;

	ip = frame + off;
	avail = len - off;
	if (avail < IPV4_MIN_HLEN || ip[0] >> 4 != 4)
		return;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen < IPV4_MIN_HLEN || hlen > avail)
		return;

	c->checked++;
	good = check_field(pkt, "IPv4 header",
			   sum_bytes(0, ip, hlen, IPV4_OFF_CSUM),
			   get_be16(ip + IPV4_OFF_CSUM), false);

	tot = get_be16(ip + IPV4_OFF_TOTLEN);
	frag = get_be16(ip + IPV4_OFF_FRAG);
	if (tot >= hlen && tot <= avail &&
	    !(frag & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET)))
		good &= check_l4(pkt, ip, ip[IPV4_OFF_PROTO], ip + hlen,
				 tot - hlen);
	if (!good)
		c->bad++;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct counts c = { 0 };
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int rc;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: pcapcsum FILE.pcap\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (!p) {
		/* libpcap names the file in some of its messages only */
		if (strstr(errbuf, argv[1]))
			fprintf(stderr, "pcapcsum: %s\n", errbuf);
		else
			fprintf(stderr, "pcapcsum: %s: %s\n", argv[1], errbuf);
		return 2;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr,
			"pcapcsum: %s: link type %s, not Ethernet (EN10MB)\n",
			argv[1], pcap_datalink_val_to_name(pcap_datalink(p)));
		pcap_close(p);
		return 2;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1)
		check_frame(&c, data, h->caplen);
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "pcapcsum: %s: %s\n", argv[1], pcap_geterr(p));
		pcap_close(p);
		return 2;
	}
	pcap_close(p);
	printf("%lu packets, %lu checked, %lu bad\n", c.packets, c.checked,
	       c.bad);
	return c.bad ? 1 : 0;
}
