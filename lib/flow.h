/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flow.h - what a frame says of itself: its family, addresses, transport
 * protocol and ports, read as a capture reader such as tcpdump reads them.
 * xlb-replay and xlbc --simulate both print it with each frame's verdict.
 * It is descriptive only: it decides nothing that xlb decides (a frame the
 * program takes as malformed or non-ip may still have a flow here), and
 * shares nothing with the BPF parser or the reference interpreter's.
 */
#ifndef XLB_FLOW_H
#define XLB_FLOW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct xlb_flow {
	int family;		  /* 4 or 6; 0: no IP header was read */
	uint8_t src[16], dst[16]; /* an IPv4 address in the first 4 bytes */
	int proto;		  /* the transport protocol; -1: not read */
	int has_ports;		  /* UDP or TCP, and its ports were read */
	uint16_t sport, dport;
};

/*
 * Describe the len bytes of an Ethernet frame.  After the Ethernet header
 * and any VLAN tags (802.1Q, 802.1ad), an IPv4 header (version 4, IHL of
 * at least 5, all of it in the frame) or an IPv6 header (its 40 bytes)
 * gives the family and the addresses; the IPv4 protocol field, or the
 * IPv6 next header after the extension headers (hop-by-hop, routing,
 * destination options, AH, fragment), each inside the datagram, gives the
 * protocol; UDP's or TCP's first four bytes, inside the datagram and not
 * in a fragment other than the first, give the ports.  The datagram ends
 * where the IP length says or where the frame does, whichever is first;
 * an IPv6 jumbogram (payload length 0, hop-by-hop header next) where the
 * frame does.
 */
void xlb_flow_describe(const uint8_t *frame, size_t len, struct xlb_flow *fl);

/* The flow as JSON members, each after a comma: "family" ("ip" or "ip6"),
 * "src", "dst", "proto", "sport", "dport", those that were read. */
void xlb_flow_json(FILE *out, const struct xlb_flow *fl);

#endif
