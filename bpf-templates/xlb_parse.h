/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xlb_parse.h - bounds-checked packet parsing for generated xlb programs.
 *
 * The generated program defines, before including xlb_prog.h, which layers
 * its rules need:
 *   XLB_PARSE_UDP   read the UDP header (ports) of first fragments
 *   XLB_PARSE_TCP   read the TCP header (ports) of first fragments
 * Without them the parser stops after the IPv4 header and never looks at a
 * transport header, so a ruleset that only matches addresses never reports
 * a short UDP or TCP header as malformed.
 *
 * Every access is preceded by a check against data_end.  A frame that ends
 * inside its Ethernet, VLAN or IPv4 header, or whose IPv4 header contradicts
 * itself (IHL below 5, total length shorter than the header or longer than
 * the frame), is reported as XLB_MALFORMED and passed untouched by the
 * caller.  A truncated or inconsistent UDP or TCP header (cut short, longer
 * than the datagram, TCP data offset below 5) only sets l4_bad: rules that
 * do not look at ports still decide such a packet, and the first rule that
 * would need its ports passes it untouched as malformed.  First fragments
 * are the exception, see xlb_parse_ports().
 */
#ifndef XLB_PARSE_H
#define XLB_PARSE_H

#include <linux/if_ether.h>
#include <linux/ip.h>
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

/* 802.1Q and 802.1ad tags: at most this many are skipped (QinQ). */
#define XLB_MAX_VLAN 2

#define XLB_IP_MF 0x2000     /* more fragments */
#define XLB_IP_OFFSET 0x1fff /* fragment offset, in 8-byte units */

struct xlb_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

enum xlb_parse_result {
	XLB_IPV4 = 0,  /* an IPv4 packet, headers as far as needed are valid */
	XLB_NONIP,     /* not IPv4: passed without looking further */
	XLB_MALFORMED, /* truncated or inconsistent: passed untouched */
};

struct xlb_pkt {
	void *data_end;
	struct iphdr *ip;
	void *l4;	/* whole UDP or TCP header, rewritable, else NULL */
	__u8 has_ports; /* sport and dport were read */
	__u8 l4_bad;	/* the header was due but is truncated or invalid */
	__u32 len;	/* frame length, for the byte counters */
	__be32 saddr;
	__be32 daddr;
	__be16 sport; /* valid only when has_ports */
	__be16 dport;
	__u8 proto; /* IPv4 protocol field */
};

/* The ports of a UDP or TCP header of hdrlen bytes at l4, of which len are
 * in the datagram.  A whole header gives ports and l4 (rewritable).  A first
 * fragment cut inside its header (RFC 1858's tiny fragment) still shows the
 * ports when it holds their four bytes: rules match them, so a drop rule
 * drops the fragment and the packet cannot be put together past it; only a
 * rewrite needs the whole header.  Anything shorter sets l4_bad. */
static __always_inline void xlb_parse_ports(struct xlb_pkt *p, void *l4,
					    void *data_end, __u32 len,
					    __u32 hdrlen, int first_frag)
{
	struct xlb_ports {
		__be16 source;
		__be16 dest;
	} *pp = l4;

	if ((void *)(pp + 1) > data_end || len < sizeof(*pp) ||
	    (len < hdrlen && !first_frag)) {
		p->l4_bad = 1;
		return;
	}
	p->sport = pp->source;
	p->dport = pp->dest;
	p->has_ports = 1;
	if (len >= hdrlen && l4 + hdrlen <= data_end)
		p->l4 = l4;
}

static __always_inline int xlb_parse(struct xdp_md *ctx, struct xlb_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 hlen, tot, avail;
	__be16 proto;
	void *cur;
	int i;

	p->data_end = data_end;
	p->len = data_end - data;
	p->l4 = NULL;
	p->has_ports = 0;
	p->l4_bad = 0;
	p->ip = NULL;

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
	if (proto != bpf_htons(ETH_P_IP))
		return XLB_NONIP;

	ip = cur;
	if ((void *)(ip + 1) > data_end)
		return XLB_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return XLB_MALFORMED;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	avail = data_end - cur;
	/* options must be inside the frame, the datagram inside the frame
	 * (Ethernet padding may follow it) */
	if (tot < hlen || tot > avail)
		return XLB_MALFORMED;

	p->ip = ip;
	p->saddr = ip->saddr;
	p->daddr = ip->daddr;
	p->proto = ip->protocol;

	/* A non-first fragment carries no transport header: no ports. */
	if (ip->frag_off & bpf_htons(XLB_IP_OFFSET))
		return XLB_IPV4;
#if XLB_PARSE_UDP || XLB_PARSE_TCP
	int first_frag = !!(ip->frag_off & bpf_htons(XLB_IP_MF));
#endif

#if XLB_PARSE_UDP
	if (ip->protocol == IPPROTO_UDP)
		xlb_parse_ports(p, cur + hlen, data_end, tot - hlen,
				sizeof(struct udphdr), first_frag);
#endif
#if XLB_PARSE_TCP
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *th = cur + hlen;

		xlb_parse_ports(p, th, data_end, tot - hlen, sizeof(*th),
				first_frag);
		if (p->l4 && (void *)(th + 1) <= data_end && th->doff < 5) {
			p->l4 = NULL;
			p->has_ports = 0;
			p->l4_bad = 1;
		}
	}
#endif
	return XLB_IPV4;
}

#endif /* XLB_PARSE_H */
