// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flow.c - see flow.h. */
#include <arpa/inet.h>
#include <string.h>

#include "flow.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define VLAN_HLEN 4

#define IP_MIN_HLEN 20
#define IP_LEN_OFF 2
#define IP_FRAG_OFF 6
#define IP_OFFSET_MASK 0x1fff
#define IP_PROTO_OFF 9
#define IP_SADDR_OFF 12
#define IP_DADDR_OFF 16

#define IP6_HLEN 40
#define IP6_PLEN_OFF 4
#define IP6_NEXT_OFF 6
#define IP6_SADDR_OFF 8
#define IP6_DADDR_OFF 24
#define IP6_FRAG_HLEN 8
#define IP6_FRAG_OFFSET_MASK 0xfff8

#define PROTO_TCP 6
#define PROTO_UDP 17
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_DEST 60

#define PORTS_LEN 4

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* The IPv4 header at ip; *l4 and *end for the ports, 0 when none. */
static void describe_ipv4(const uint8_t *f, size_t len, size_t ip,
			  struct xlb_flow *fl, size_t *l4, size_t *end)
{
	size_t hlen;

	if (len - ip < IP_MIN_HLEN || f[ip] >> 4 != 4)
		return;
	hlen = (size_t)(f[ip] & 0xf) * 4;
	if (hlen < IP_MIN_HLEN || len - ip < hlen)
		return;
	fl->family = 4;
	memcpy(fl->src, f + ip + IP_SADDR_OFF, 4);
	memcpy(fl->dst, f + ip + IP_DADDR_OFF, 4);
	fl->proto = f[ip + IP_PROTO_OFF];
	if (be16(f + ip + IP_FRAG_OFF) & IP_OFFSET_MASK)
		return; /* a later fragment: no transport header */
	*l4 = ip + hlen;
	*end = ip + min_size(be16(f + ip + IP_LEN_OFF), len - ip);
}

static int ipv6_ext(int nh)
{
	return nh == NEXTHDR_HOP || nh == NEXTHDR_ROUTING ||
	       nh == NEXTHDR_DEST || nh == NEXTHDR_AUTH ||
	       nh == NEXTHDR_FRAGMENT;
}

static void describe_ipv6(const uint8_t *f, size_t len, size_t ip,
			  struct xlb_flow *fl, size_t *l4, size_t *end)
{
	size_t cur = ip + IP6_HLEN, hl, e;
	int nh;

	if (len - ip < IP6_HLEN || f[ip] >> 4 != 6)
		return;
	fl->family = 6;
	memcpy(fl->src, f + ip + IP6_SADDR_OFF, 16);
	memcpy(fl->dst, f + ip + IP6_DADDR_OFF, 16);
	e = cur + min_size(be16(f + ip + IP6_PLEN_OFF), len - cur);
	/* a jumbogram (RFC 2675): payload length 0 and a hop-by-hop header,
	 * whose option has the length; the datagram is the rest of the frame */
	if (!be16(f + ip + IP6_PLEN_OFF) && f[ip + IP6_NEXT_OFF] == 0)
		e = len;
	/* every extension header has 8 bytes at least: the walk ends */
	for (nh = f[ip + IP6_NEXT_OFF]; ipv6_ext(nh); cur += hl) {
		if (cur + 2 > e)
			return; /* the protocol is not in the frame */
		if (nh == NEXTHDR_FRAGMENT)
			hl = IP6_FRAG_HLEN;
		else if (nh == NEXTHDR_AUTH)
			hl = ((size_t)f[cur + 1] + 2) * 4;
		else
			hl = ((size_t)f[cur + 1] + 1) * 8;
		if (cur + hl > e)
			return;
		if (nh == NEXTHDR_FRAGMENT &&
		    be16(f + cur + 2) & IP6_FRAG_OFFSET_MASK) {
			fl->proto = f[cur]; /* a later fragment */
			return;
		}
		nh = f[cur];
	}
	fl->proto = nh;
	*l4 = cur;
	*end = e;
}

void xlb_flow_describe(const uint8_t *f, size_t len, struct xlb_flow *fl)
{
	size_t off = ETH_HLEN, l4 = 0, end = 0;
	uint16_t type;

	memset(fl, 0, sizeof(*fl));
	fl->proto = -1;
	if (len < ETH_HLEN)
		return;
	type = be16(f + off - 2);
	while ((type == ETH_P_8021Q || type == ETH_P_8021AD) &&
	       off + VLAN_HLEN <= len) {
		type = be16(f + off + 2);
		off += VLAN_HLEN;
	}
	if (type == ETH_P_IP)
		describe_ipv4(f, len, off, fl, &l4, &end);
	else if (type == ETH_P_IPV6)
		describe_ipv6(f, len, off, fl, &l4, &end);
	if ((fl->proto == PROTO_UDP || fl->proto == PROTO_TCP) && l4 &&
	    l4 + PORTS_LEN <= end) {
		fl->has_ports = 1;
		fl->sport = be16(f + l4);
		fl->dport = be16(f + l4 + 2);
	}
}

void xlb_flow_json(FILE *out, const struct xlb_flow *fl)
{
	char a[INET6_ADDRSTRLEN];
	int af = fl->family == 6 ? AF_INET6 : AF_INET;

	if (!fl->family)
		return;
	fprintf(out, ",\"family\":\"%s\"", fl->family == 6 ? "ip6" : "ip");
	if (inet_ntop(af, fl->src, a, sizeof(a)))
		fprintf(out, ",\"src\":\"%s\"", a);
	if (inet_ntop(af, fl->dst, a, sizeof(a)))
		fprintf(out, ",\"dst\":\"%s\"", a);
	if (fl->proto >= 0)
		fprintf(out, ",\"proto\":%d", fl->proto);
	if (fl->has_ports)
		fprintf(out, ",\"sport\":%u,\"dport\":%u",
			(unsigned int)fl->sport, (unsigned int)fl->dport);
}
