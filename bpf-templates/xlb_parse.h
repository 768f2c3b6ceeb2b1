/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xlb_parse.h - bounds-checked packet parsing for generated xlb programs.
 *
 * The generated program defines, before including xlb_prog.h, which
 * transport headers its rules read:
 *   XLB_PARSE_UDP, XLB_PARSE_TCP     ports (and TCP flags)
 *   XLB_PARSE_ICMP, XLB_PARSE_ICMP6  the ICMP type
 * Without them the parser never looks past the IP layer, so a ruleset that
 * only matches addresses never calls a short UDP header malformed.
 *
 * Every access is preceded by a check against data_end.  What the parser
 * reports (xlb-rules(5) has the whole story):
 *   XLB_NONIP      neither IPv4 nor IPv6 after at most two VLAN tags;
 *   XLB_MALFORMED  cut inside the Ethernet, VLAN or IP header, an IPv4
 *                  header that contradicts itself (IHL below 5, total
 *                  length shorter than the header or longer than the frame),
 *                  an IPv6 payload longer than the frame, an IPv6 extension
 *                  header outside the datagram, or more than
 *                  XLB_MAX_EXTHDR of them;
 *   XLB_IP         anything else, with the transport header as below.
 * A transport header is *whole* (l4 set) when it lies inside the datagram
 * and the frame (TCP: and data offset >= 5).  A first fragment cut inside
 * its UDP or TCP header still shows its ports when their four bytes are
 * there (RFC 1858's tiny fragment): has_ports without l4.  A non-first
 * fragment has no transport header (nonfirst).  Any other short header sets
 * l4_bad: rules that do not look at it still decide the packet, and the
 * first rule that would look passes it untouched as malformed.
 */
#ifndef XLB_PARSE_H
#define XLB_PARSE_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>

#ifndef XLB_PARSE_UDP
#define XLB_PARSE_UDP 0
#endif
#ifndef XLB_PARSE_TCP
#define XLB_PARSE_TCP 0
#endif
#ifndef XLB_PARSE_ICMP
#define XLB_PARSE_ICMP 0
#endif
#ifndef XLB_PARSE_ICMP6
#define XLB_PARSE_ICMP6 0
#endif
#define XLB_PARSE_L4                                                      \
	(XLB_PARSE_UDP || XLB_PARSE_TCP || XLB_PARSE_ICMP || XLB_PARSE_ICMP6)

/* 802.1Q and 802.1ad tags: at most this many are skipped (QinQ). */
#define XLB_MAX_VLAN 2
/* IPv6 extension headers walked before the transport header. */
#define XLB_MAX_EXTHDR 8

#define XLB_IP_MF 0x2000     /* more fragments */
#define XLB_IP_OFFSET 0x1fff /* fragment offset, in 8-byte units */
#define XLB_IP6_OFFSET 0xfff8
#define XLB_IP6_MF 0x0001

#define XLB_ICMP_HLEN 8 /* type, code, checksum, 4 bytes of rest */

struct xlb_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* The generic shape of hop-by-hop, routing, destination options, AH and
 * fragment headers: next header, then a length byte. */
struct xlb_ext_hdr {
	__u8 nexthdr;
	__u8 len;
	__be16 frag_off; /* fragment header only */
};

enum xlb_parse_result {
	XLB_IP = 0,    /* IPv4 or IPv6, headers as far as needed are valid */
	XLB_NONIP,     /* neither: passed without looking further */
	XLB_MALFORMED, /* truncated or inconsistent: passed untouched */
};

struct xlb_pkt {
	void *data_end;
	void *l3;	/* struct iphdr or struct ipv6hdr */
	void *l4;	/* whole transport header, else NULL */
	__u32 len;	/* frame length, for the byte counters */
	__u8 family;	/* 4 or 6 */
	__u8 proto;	/* transport protocol */
	__u8 nonfirst;	/* a non-first fragment: no transport header */
	__u8 has_ports; /* sport and dport were read */
	__u8 l4_bad;	/* the header was due but is truncated or invalid */
	__u8 tcp_flags; /* when l4 and TCP */
	__u8 icmp_type; /* when l4 and ICMP or ICMPv6 */
	__be16 sport;	/* when has_ports */
	__be16 dport;
	__be32 saddr[4]; /* IPv4 in [0] */
	__be32 daddr[4];
};

#if XLB_PARSE_L4
/* The transport header at l4, of which len bytes are in the datagram;
 * first_frag when more fragments follow. */
static __always_inline void xlb_parse_l4(struct xlb_pkt *p, void *l4, __u32 len,
					 int first_frag)
{
	void *data_end = p->data_end;

#if XLB_PARSE_UDP || XLB_PARSE_TCP
	if (p->proto == IPPROTO_UDP || p->proto == IPPROTO_TCP) {
		__u32 hlen = p->proto == IPPROTO_TCP ? sizeof(struct tcphdr)
						     : sizeof(struct udphdr);
		__be16 *pp = l4;

		if (p->proto == IPPROTO_UDP && !XLB_PARSE_UDP)
			return;
		if (p->proto == IPPROTO_TCP && !XLB_PARSE_TCP)
			return;
		if ((void *)(pp + 2) > data_end || len < 4) {
			p->l4_bad = 1;
			return;
		}
		if (len < hlen || l4 + hlen > data_end) {
			/* a tiny first fragment shows its ports only */
			if (first_frag) {
				p->sport = pp[0];
				p->dport = pp[1];
				p->has_ports = 1;
			} else {
				p->l4_bad = 1;
			}
			return;
		}
#if XLB_PARSE_TCP
		if (p->proto == IPPROTO_TCP) {
			struct tcphdr *th = l4;

			if ((void *)(th + 1) > data_end)
				return;
			if (th->doff < 5) {
				p->l4_bad = 1;
				return;
			}
			p->tcp_flags = ((__u8 *)th)[13];
		}
#endif
		p->sport = pp[0];
		p->dport = pp[1];
		p->has_ports = 1;
		p->l4 = l4;
		return;
	}
#endif
#if XLB_PARSE_ICMP || XLB_PARSE_ICMP6
	if ((XLB_PARSE_ICMP && p->proto == IPPROTO_ICMP && p->family == 4) ||
	    (XLB_PARSE_ICMP6 && p->proto == IPPROTO_ICMPV6 &&
	     p->family == 6)) {
		__u8 *ih = l4;

		if (len < XLB_ICMP_HLEN || (void *)(ih + XLB_ICMP_HLEN) > data_end) {
			p->l4_bad = 1;
			return;
		}
		p->icmp_type = ih[0];
		p->l4 = l4;
	}
#endif
}
#endif /* XLB_PARSE_L4 */

static __always_inline int xlb_parse_ip4(struct xlb_pkt *p, void *cur,
					 void *data_end)
{
	struct iphdr *ip = cur;
	__u32 hlen, tot;

	if ((void *)(ip + 1) > data_end)
		return XLB_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return XLB_MALFORMED;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	/* options inside the datagram, the datagram inside the frame
	 * (Ethernet padding may follow it) */
	if (tot < hlen || tot > (__u32)(data_end - cur))
		return XLB_MALFORMED;

	p->l3 = ip;
	p->family = 4;
	p->proto = ip->protocol;
	p->saddr[0] = ip->saddr;
	p->daddr[0] = ip->daddr;
	if (ip->frag_off & bpf_htons(XLB_IP_OFFSET)) {
		p->nonfirst = 1;
		return XLB_IP;
	}
#if XLB_PARSE_L4
	xlb_parse_l4(p, cur + hlen, tot - hlen,
		     !!(ip->frag_off & bpf_htons(XLB_IP_MF)));
#endif
	return XLB_IP;
}

static __always_inline int xlb_parse_ip6(struct xlb_pkt *p, void *cur,
					 void *data_end)
{
	struct ipv6hdr *ip6 = cur;
	void *end, *h;
	int first_frag = 0, i;
	__u8 next;

	if ((void *)(ip6 + 1) > data_end)
		return XLB_MALFORMED;
	if (ip6->version != 6)
		return XLB_MALFORMED;
	end = (void *)(ip6 + 1) + bpf_ntohs(ip6->payload_len);
	if (end > data_end)
		return XLB_MALFORMED;

	p->l3 = ip6;
	p->family = 6;
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);

	next = ip6->nexthdr;
	h = ip6 + 1;
#pragma unroll
	for (i = 0; i < XLB_MAX_EXTHDR + 1; i++) {
		struct xlb_ext_hdr *eh = h;
		__u32 elen;

		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING &&
		    next != IPPROTO_DSTOPTS && next != IPPROTO_AH &&
		    next != IPPROTO_FRAGMENT)
			break;
		if (i == XLB_MAX_EXTHDR)
			return XLB_MALFORMED;
		if ((void *)(eh + 1) > data_end || (void *)(eh + 1) > end)
			return XLB_MALFORMED;
		if (next == IPPROTO_FRAGMENT)
			elen = 8;
		else if (next == IPPROTO_AH)
			elen = ((__u32)eh->len + 2) * 4;
		else
			elen = ((__u32)eh->len + 1) * 8;
		if (h + elen > end)
			return XLB_MALFORMED;
		if (next == IPPROTO_FRAGMENT) {
			if (eh->frag_off & bpf_htons(XLB_IP6_OFFSET)) {
				p->proto = eh->nexthdr;
				p->nonfirst = 1;
				return XLB_IP;
			}
			if (eh->frag_off & bpf_htons(XLB_IP6_MF))
				first_frag = 1;
		}
		next = eh->nexthdr;
		h += elen;
	}
	p->proto = next;
#if XLB_PARSE_L4
	xlb_parse_l4(p, h, end - h, first_frag);
#else
	(void)first_frag;
#endif
	return XLB_IP;
}

static __always_inline int xlb_parse(struct xdp_md *ctx, struct xlb_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__be16 proto;
	void *cur;
	int i;

	__builtin_memset(p, 0, sizeof(*p));
	p->data_end = data_end;
	p->len = data_end - data;

	if ((void *)(eth + 1) > data_end)
		return XLB_MALFORMED;
	proto = eth->h_proto;
	cur = eth + 1;

#pragma unroll
	for (i = 0; i < XLB_MAX_VLAN; i++) {
		struct xlb_vlan_hdr *vh = cur;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return XLB_MALFORMED;
		proto = vh->encap_proto;
		cur = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return xlb_parse_ip4(p, cur, data_end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return xlb_parse_ip6(p, cur, data_end);
	return XLB_NONIP;
}

#endif /* XLB_PARSE_H */
