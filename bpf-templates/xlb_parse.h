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
 * would need its ports passes it untouched as malformed.
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
	void *l4;    /* UDP or TCP header when parsed and present, else NULL */
	__u8 l4_bad; /* that header was due but is truncated or invalid */
	__u32 len;   /* frame length, for the byte counters */
	__be32 saddr;
	__be32 daddr;
	__be16 sport; /* valid only when l4 != NULL */
	__be16 dport;
	__u8 proto; /* IPv4 protocol field */
};

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

#if XLB_PARSE_UDP
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *uh = cur + hlen;

		if ((void *)(uh + 1) > data_end || hlen + sizeof(*uh) > tot) {
			p->l4_bad = 1;
			return XLB_IPV4;
		}
		p->sport = uh->source;
		p->dport = uh->dest;
		p->l4 = uh;
	}
#endif
#if XLB_PARSE_TCP
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *th = cur + hlen;

		if ((void *)(th + 1) > data_end || hlen + sizeof(*th) > tot ||
		    th->doff < 5) {
			p->l4_bad = 1;
			return XLB_IPV4;
		}
		p->sport = th->source;
		p->dport = th->dest;
		p->l4 = th;
	}
#endif
	return XLB_IPV4;
}

#endif /* XLB_PARSE_H */
