/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xlb_parse.h - bounds-checked packet parsing for generated xlb programs.
 *
 * The generated program defines, before including xlb_prog.h, which
 * transport headers its rules read:
 *   XLB_PARSE_UDP, XLB_PARSE_TCP     ports (and TCP flags)
 *   XLB_PARSE_ICMP, XLB_PARSE_ICMP6  the ICMP type
 * Without them the parser never looks past the IP layer, so a ruleset that
 * only matches addresses never finds a short UDP header broken.
 *
 * Every access is preceded by a check against data_end.  What the parser
 * reports (xlb-rules(5), PACKET HANDLING, has the whole story):
 *   XLB_NONIP      neither IPv4 nor IPv6 after at most XLB_MAX_VLAN tags;
 *   XLB_MALFORMED  nothing the rules test can be read: cut inside the
 *                  Ethernet or VLAN headers, more than XLB_MAX_VLAN tags,
 *                  or an IPv4 or IPv6 header that is cut or contradicts
 *                  itself (IHL below 5, total length shorter than the
 *                  header or longer than the frame, an IPv6 payload
 *                  longer than the frame);
 *   XLB_IP         the IP header is whole: family and addresses are set.
 * Then, for XLB_IP, what is known of the rest:
 *   l4_unknown     the IPv6 extension headers could not be walked (one cut
 *                  by the datagram or the frame, or more than
 *                  XLB_MAX_EXTHDR of them): the transport protocol is not
 *                  known, so neither is anything after it;
 *   nonfirst       a non-first fragment: no transport header;
 *   whole          the transport header lies inside the datagram and the
 *                  frame (TCP: and its data offset is at least 5);
 *   has_ports      sport and dport were read: a whole UDP or TCP header,
 *                  or a first fragment cut after its ports (RFC 1858's
 *                  tiny fragment);
 *   l4_bad         the UDP, TCP, ICMP or ICMPv6 header is cut or invalid.
 * A rule that would test what is not known cannot decide the packet: the
 * generated code hands it to the ruleset's 'malformed' policy.
 *
 * The walk past the Ethernet header runs in a global function (one for
 * XDP, one for TC), which the verifier checks once, with the offset of the
 * IP header as an unknown value: how many VLAN tags came before does not
 * multiply its work.  The extension-header walk is a bounded loop whose
 * pointer is made afresh from a bounded offset at each step, so that every
 * step looks alike to the verifier.
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
#ifndef XLB_REPLY
#define XLB_REPLY 0
#endif
#define XLB_PARSE_L4                                                      \
	(XLB_PARSE_UDP || XLB_PARSE_TCP || XLB_PARSE_ICMP || XLB_PARSE_ICMP6)

/* 802.1Q and 802.1ad tags skipped before the IP header; a frame with more
 * is malformed. */
#define XLB_MAX_VLAN 8
/* IPv6 extension headers walked before the transport header; past this
 * many, the transport protocol is unknown. */
#define XLB_MAX_EXTHDR 64

/* Headers that begin past this offset are not read (xlb-rules(5), LIMITS):
 * the verifier bounds a packet offset by 0xffff, and an extension header
 * (at most 2048 bytes) that begins here must end in a 16-bit offset.  Only
 * generic XDP over an MTU above 60 KiB sees frames this long. */
#define XLB_MAX_OFF 0xf000

#define XLB_IP_MF 0x2000     /* more fragments */
#define XLB_IP_OFFSET 0x1fff /* fragment offset, in 8-byte units */
#define XLB_IP6_OFFSET 0xfff8
#define XLB_IP6_MF 0x0001

#define XLB_ICMP_HLEN 8 /* type, code, checksum, 4 bytes of rest */

/* Keep the compiler from knowing a value's range, so that a bounds check
 * the verifier needs is not optimised away (verifier workaround). */
#define xlb_barrier_var(v) asm volatile("" : "+r"(v))

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
	XLB_IP = 0,    /* IPv4 or IPv6 with a whole IP header */
	XLB_NONIP,     /* neither */
	XLB_MALFORMED, /* nothing the rules test could be read */
};

/* What the rules read: values only, no pointers, so that the parser and
 * the rules can be global functions the verifier checks once for every
 * possible packet (xlb_prog.h). */
struct xlb_key {
	__be32 saddr[4]; /* IPv4 in [0] */
	__be32 daddr[4];
	__be16 sport;	 /* when has_ports */
	__be16 dport;
	__u32 len;	 /* frame length, for the byte counters */
	__u8 family;	 /* 4 or 6 */
	__u8 proto;	 /* transport protocol, unless l4_unknown */
	__u8 nonfirst;	 /* a non-first fragment: no transport header */
	__u8 has_ports;	 /* sport and dport were read */
	__u8 whole;	 /* the transport header is whole */
	__u8 l4_bad;	 /* the header was due but is cut or invalid */
	__u8 tcp_flags;	 /* when whole and TCP */
	__u8 icmp_type;	 /* when whole and ICMP or ICMPv6 */
	__u16 backend;	 /* set by the rules: 1 + the rewrite's backend */
	__u16 l3_off;	 /* the IP header, from the start of the frame */
	__u16 l4_off;	 /* the transport header, when whole */
	__u8 l4_unknown; /* the transport protocol is not known */
	__u8 pad;
};

#if XLB_PARSE_L4
/* The transport header at offset off, in a datagram that ends at offset
 * end; first_frag when more fragments follow. */
static __always_inline void xlb_parse_l4(void *data, void *data_end,
					 struct xlb_key *k, __u32 off,
					 __u32 end, int first_frag)
{
	__u32 len = end - off;
	void *l4;

	if (off > XLB_MAX_OFF) {
		k->l4_bad = 1;
		return;
	}
	l4 = data + off;
#if XLB_PARSE_UDP || XLB_PARSE_TCP
	if (k->proto == IPPROTO_UDP || k->proto == IPPROTO_TCP) {
		__u32 hlen = k->proto == IPPROTO_TCP ? sizeof(struct tcphdr)
						     : sizeof(struct udphdr);
		__be16 *pp = l4;

		if (k->proto == IPPROTO_UDP && !XLB_PARSE_UDP)
			return;
		if (k->proto == IPPROTO_TCP && !XLB_PARSE_TCP)
			return;
		if ((void *)(pp + 2) > data_end || len < 4) {
			k->l4_bad = 1;
			return;
		}
		if (len < hlen || l4 + hlen > data_end) {
			/* a tiny first fragment shows its ports only */
			if (first_frag) {
				k->sport = pp[0];
				k->dport = pp[1];
				k->has_ports = 1;
			} else {
				k->l4_bad = 1;
			}
			return;
		}
#if XLB_PARSE_TCP
		if (k->proto == IPPROTO_TCP) {
			struct tcphdr *th = l4;

			if ((void *)(th + 1) > data_end)
				return;
			if (th->doff < 5) {
				k->l4_bad = 1;
				return;
			}
			k->tcp_flags = ((__u8 *)th)[13];
		}
#endif
		k->sport = pp[0];
		k->dport = pp[1];
		k->has_ports = 1;
		k->whole = 1;
		k->l4_off = off;
		return;
	}
#endif
#if XLB_PARSE_ICMP || XLB_PARSE_ICMP6
	if ((XLB_PARSE_ICMP && k->proto == IPPROTO_ICMP && k->family == 4) ||
	    (XLB_PARSE_ICMP6 && k->proto == IPPROTO_ICMPV6 &&
	     k->family == 6)) {
		__u8 *ih = l4;

		if (len < XLB_ICMP_HLEN || (void *)(ih + XLB_ICMP_HLEN) > data_end) {
			k->l4_bad = 1;
			return;
		}
		k->icmp_type = ih[0];
		k->whole = 1;
		k->l4_off = off;
	}
#endif
}
#endif /* XLB_PARSE_L4 */

/* The IPv4 header at offset off of a frame of len bytes. */
static __always_inline int xlb_parse_ip4(void *data, void *data_end, __u32 len,
					 __u32 off, struct xlb_key *k)
{
	struct iphdr *ip;
	__u32 hlen, tot;

	if (off > XLB_MAX_OFF)
		return XLB_MALFORMED;
	ip = data + off;
	if ((void *)(ip + 1) > data_end)
		return XLB_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return XLB_MALFORMED;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	/* options inside the datagram, the datagram inside the frame
	 * (Ethernet padding may follow it) */
	if (tot < hlen || tot > len - off)
		return XLB_MALFORMED;

	k->l3_off = off;
	k->family = 4;
	k->proto = ip->protocol;
	k->saddr[0] = ip->saddr;
	k->daddr[0] = ip->daddr;
	if (ip->frag_off & bpf_htons(XLB_IP_OFFSET)) {
		k->nonfirst = 1;
		return XLB_IP;
	}
#if XLB_PARSE_L4
	xlb_parse_l4(data, data_end, k, off + hlen, off + tot,
		     !!(ip->frag_off & bpf_htons(XLB_IP_MF)));
#endif
	return XLB_IP;
}

static __always_inline int xlb_ipv6_ext(__u8 next)
{
	return next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
	       next == IPPROTO_DSTOPTS || next == IPPROTO_AH ||
	       next == IPPROTO_FRAGMENT;
}

/*
 * The chain of IPv6 extension headers that starts at offset hoff with next
 * header next, in a datagram that ends at offset end, then the transport
 * header.  Only packets with extension headers come here: it runs in a
 * global function of its own (xlb_parse_ext_xdp, xlb_parse_ext_skb), which
 * the verifier checks once, the common packet paying for no call.
 */
static __always_inline int xlb_walk_ext(void *data, void *data_end,
					__u32 hoff, __u32 end, __u32 next,
					struct xlb_key *k)
{
	int first_frag = 0;
	__u32 i;

	if (!k)
		return XLB_MALFORMED;
#pragma clang loop unroll(disable)
	for (i = 0; i < XLB_MAX_EXTHDR; i++) {
		struct xlb_ext_hdr *eh;
		__u32 elen;

		if (!xlb_ipv6_ext(next))
			break;
		/* a bounded offset makes each step alike to the verifier */
		if (hoff > XLB_MAX_OFF || hoff + sizeof(*eh) > end)
			goto unknown;
		eh = data + hoff;
		if ((void *)(eh + 1) > data_end)
			goto unknown;
		if (next == IPPROTO_FRAGMENT)
			elen = 8;
		else if (next == IPPROTO_AH)
			elen = ((__u32)eh->len + 2) * 4;
		else
			elen = ((__u32)eh->len + 1) * 8;
		if (hoff + elen > end)
			goto unknown;
		if (next == IPPROTO_FRAGMENT) {
			if (eh->frag_off & bpf_htons(XLB_IP6_OFFSET)) {
				k->proto = eh->nexthdr;
				k->nonfirst = 1;
				return XLB_IP;
			}
			if (eh->frag_off & bpf_htons(XLB_IP6_MF))
				first_frag = 1;
		}
		next = eh->nexthdr;
		/* Through memory, which the verifier does not track: every
		 * path of this step then reaches the next with the same
		 * unknown offset, and their states merge (verifier
		 * workaround). */
		*(volatile __u16 *)&k->l4_off = hoff + elen;
		hoff = *(volatile __u16 *)&k->l4_off;
	}
	k->l4_off = 0; /* set again for a whole transport header */
	if (xlb_ipv6_ext(next))
		goto unknown; /* more than XLB_MAX_EXTHDR */
	k->proto = next;
#if XLB_PARSE_L4
	xlb_parse_l4(data, data_end, k, hoff, end, first_frag);
#else
	(void)first_frag;
#endif
	return XLB_IP;
unknown:
	/* the addresses are known, the transport protocol is not */
	k->l4_off = 0;
	k->l4_unknown = 1;
	return XLB_IP;
}

__noinline int xlb_parse_ext_xdp(struct xdp_md *ctx, __u32 hoff, __u32 end,
				 __u32 next, struct xlb_key *k)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	return xlb_walk_ext(data, data_end, hoff, end, next, k);
}

#if XLB_REPLY
__noinline int xlb_parse_ext_skb(struct __sk_buff *skb, __u32 hoff, __u32 end,
				 __u32 next, struct xlb_key *k)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	return xlb_walk_ext(data, data_end, hoff, end, next, k);
}
#endif

/* The IPv6 header at offset off of a frame of len bytes (ctx: the
 * program's context, of an skb when skb). */
static __always_inline int xlb_parse_ip6(void *ctx, int skb, void *data,
					 void *data_end, __u32 len, __u32 off,
					 struct xlb_key *k)
{
	struct ipv6hdr *ip6;
	__u32 plen, end;
	__u8 next;

	if (off > XLB_MAX_OFF)
		return XLB_MALFORMED;
	ip6 = data + off;
	if ((void *)(ip6 + 1) > data_end)
		return XLB_MALFORMED;
	if (ip6->version != 6)
		return XLB_MALFORMED;
	plen = bpf_ntohs(ip6->payload_len);
	next = ip6->nexthdr;
	/* A jumbogram (RFC 2675) says 0 here and gives its length in a
	 * hop-by-hop option: the datagram runs to the end of the frame. */
	if (plen == 0 && next == IPPROTO_HOPOPTS)
		plen = len - off - sizeof(*ip6);
	if (sizeof(*ip6) + plen > len - off)
		return XLB_MALFORMED;
	end = off + sizeof(*ip6) + plen;

	k->l3_off = off;
	k->family = 6;
	__builtin_memcpy(k->saddr, &ip6->saddr, 16);
	__builtin_memcpy(k->daddr, &ip6->daddr, 16);
	if (xlb_ipv6_ext(next)) {
#if XLB_REPLY
		if (skb)
			return xlb_parse_ext_skb(ctx, off + sizeof(*ip6), end,
						 next, k);
#endif
		(void)skb;
		return xlb_parse_ext_xdp(ctx, off + sizeof(*ip6), end, next,
					 k);
	}
	k->proto = next;
#if XLB_PARSE_L4
	xlb_parse_l4(data, data_end, k, off + sizeof(*ip6), end, 0);
#endif
	return XLB_IP;
}

/*
 * The Ethernet header and up to XLB_MAX_VLAN tags of the frame at data:
 * the IP header's offset in *off and its ethertype in *proto, or
 * XLB_NONIP / XLB_MALFORMED.
 */
static __always_inline int xlb_parse_l2(void *data, void *data_end, __u32 *off,
					__u32 *proto)
{
	struct ethhdr *eth = data;
	struct xlb_vlan_hdr *vh;
	__be16 type;
	int i;

	if ((void *)(eth + 1) > data_end)
		return XLB_MALFORMED;
	type = eth->h_proto;
	vh = (void *)(eth + 1);
	for (i = 0; i < XLB_MAX_VLAN + 1; i++) {
		if (type != bpf_htons(ETH_P_8021Q) &&
		    type != bpf_htons(ETH_P_8021AD))
			break;
		/* a tag more than XLB_MAX_VLAN: the stack may still take
		 * the frame (nested VLAN devices), but it cannot be read */
		if (i == XLB_MAX_VLAN || (void *)(vh + 1) > data_end)
			return XLB_MALFORMED;
		type = vh->encap_proto;
		vh++;
	}
	if (type != bpf_htons(ETH_P_IP) && type != bpf_htons(ETH_P_IPV6))
		return XLB_NONIP;
	*off = (void *)vh - data;
	*proto = type;
	return XLB_IP;
}

/* The frame at data, of len bytes (of which those up to data_end can be
 * read) into k; ctx is the program's context, an skb's when skb. */
static __always_inline int xlb_parse(void *ctx, int skb, void *data,
				     void *data_end, __u32 len,
				     struct xlb_key *k)
{
	__u32 off = 0, proto = 0;
	int r;

	__builtin_memset(k, 0, sizeof(*k));
	k->len = len;
	r = xlb_parse_l2(data, data_end, &off, &proto);
	if (r != XLB_IP)
		return r;
	if (proto == bpf_htons(ETH_P_IP))
		return xlb_parse_ip4(data, data_end, len, off, k);
	return xlb_parse_ip6(ctx, skb, data, data_end, len, off, k);
}

/* Parse the XDP frame into k. */
static __always_inline int xlb_parse_xdp(struct xdp_md *ctx, struct xlb_key *k)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	return xlb_parse(ctx, 0, data, data_end, data_end - data, k);
}

#if XLB_REPLY
/* Parse the skb's linear part into k: lengths against the whole packet,
 * reads against the linear part. */
static __always_inline int xlb_parse_skb(struct __sk_buff *skb,
					 struct xlb_key *k)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	return xlb_parse(skb, 1, data, data_end, skb->len, k);
}
#endif /* XLB_REPLY */

#endif /* XLB_PARSE_H */
