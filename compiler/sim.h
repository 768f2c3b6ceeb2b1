/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sim.h - the reference interpreter: what the XDP program compiled from a
 * checked ruleset does with a frame, computed in user space from the
 * language's meaning (xlb-rules(5), "Packet semantics" and "Selection"),
 * sharing no code with the generator.  `xlbc --simulate` runs it over a
 * capture and prints what `xlb-replay -j` prints for the compiled object.
 *
 * Typical use from a test:
 *
 *	struct xlb_sim *sim = xlb_sim_new(rs);       (rs after xlb_check())
 *	xlb_sim_replay(sim, "in.pcap", "out.pcap", stdout);
 *	xlb_sim_free(sim);
 *
 * or frame by frame with xlb_sim_frame().
 */
#ifndef XLB_SIM_H
#define XLB_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ast.h"

/* --- the whole interpreter ------------------------------------------------ */

/* What the program returned (the XDP action codes). */
enum xlb_sim_action {
	XLB_SIM_DROP = 1, /* XDP_DROP */
	XLB_SIM_PASS = 2, /* XDP_PASS */
};

/* Which counter slot the frame moved, i.e. what decided. */
enum xlb_sim_by {
	XLB_SIM_BY_RULE,
	XLB_SIM_BY_DEFAULT,
	XLB_SIM_BY_NONIP,
	XLB_SIM_BY_MALFORMED,
};

struct xlb_sim_result {
	enum xlb_sim_action action;
	enum xlb_sim_by by;
	const struct xlb_rule *rule; /* XLB_SIM_BY_RULE: the rule */
	unsigned int slot;	     /* counter slot: rule position, or
				      * nrules + 0/1/2 (default, non-ip,
				      * malformed) */
	bool rewritten;		     /* the frame's bytes were changed */
	const struct xlb_backend *backend; /* a rewrite: the backend taken */
};

struct xlb_sim;

/* An interpreter for rs, which must have passed xlb_check() and must
 * outlive it.  Its state (round-robin cursors) is that of a freshly
 * loaded program on one CPU. */
struct xlb_sim *xlb_sim_new(const struct xlb_ruleset *rs);
void xlb_sim_free(struct xlb_sim *sim);

/* Run the program once on the len bytes of frame that it can see (the
 * caller applies BPF_PROG_TEST_RUN's limits, see xlb_sim_replay()),
 * rewriting them in place as the program would. */
void xlb_sim_frame(struct xlb_sim *sim, uint8_t *frame, size_t len,
		   struct xlb_sim_result *res);

/* The reply path (the TC egress program xlb_tc) on the len bytes of
 * frame, rewriting them in place; res->rule is the rule whose reverse
 * matched, if any, and res->action always XLB_SIM_PASS (the program returns
 * TC_ACT_UNSPEC, which lets the packet go on). */
void xlb_sim_reply_frame(struct xlb_sim *sim, uint8_t *frame, size_t len,
			 struct xlb_sim_result *res);
/* Whether some rule takes part in the reply path (the object has xlb_tc). */
bool xlb_sim_has_reply(const struct xlb_sim *sim);

/* What `xlb-replay -j [-r] [-w wpath] OBJECT in` prints, printed to out,
 * and with wpath (may be NULL; "-" for standard output, then out should
 * not be stdout) the capture it writes; reply: the reply path's run (-r).
 * 0, or -1 after saying why on stderr (nothing is left at wpath then). */
int xlb_sim_replay(struct xlb_sim *sim, const char *in, const char *wpath,
		   bool reply, FILE *out);

/* `xlbc --simulate in RULES [--reply] [-w wpath]`: read, check, replay,
 * with the verdicts to out (stdout for xlbc, stderr with -w -).  Returns the exit status
 * (0, or 1 after diagnostics or a message on stderr). */
int xlb_simulate(const char *rules, const char *in, const char *wpath,
		 bool reply, FILE *out);

/* --- the pieces, exposed for unit tests ----------------------------------- */

/* MurmurHash3_x86_32 over len bytes (blocks read little-endian). */
uint32_t xlb_sim_murmur3(const void *data, size_t len, uint32_t seed);
/* MurmurHash3_x86_32, seed 0, over n 32-bit words, each mixed as one
 * block, the finaliser told 4 * n bytes: the flow hash. */
uint32_t xlb_sim_murmur3_words(const uint32_t *words, size_t n);

/* The weighted list T of n backends of weights w (see "Selection"): its
 * length W, and its entry at position pos < W. */
uint64_t xlb_sim_wlist_len(const unsigned int *w, size_t n);
size_t xlb_sim_wlist_at(const unsigned int *w, size_t n, uint64_t pos);

#define XLB_SIM_MAGLEV_M 65537u
/* Fill table[XLB_SIM_MAGLEV_M] with backend indices from the n backends
 * named names[] with weights w[]. */
void xlb_sim_maglev_build(const char *const *names, const unsigned int *w,
			  size_t n, uint16_t *table);
/* A backend's name for Maglev: its canonical target text, without weight. */
void xlb_sim_backend_name(const struct xlb_backend *b, char *buf, size_t len);

/* RFC 1624 eqn. 3: the checksum hc after one 16-bit word changes from
 * old to new. */
uint16_t xlb_sim_csum_update(uint16_t hc, uint16_t old, uint16_t new);

/* The packet as the rules see it. */
enum xlb_sim_l3 {
	XLB_SIM_L3_NONIP,
	XLB_SIM_L3_MALFORMED,
	XLB_SIM_L3_IPV4,
	XLB_SIM_L3_IPV6,
};

enum xlb_sim_l4 {
	XLB_SIM_L4_NONE,   /* no transport header: a non-first fragment, or a
			    * protocol whose header no rule reads */
	XLB_SIM_L4_WHOLE,  /* the whole header is there */
	XLB_SIM_L4_PORTS,  /* tiny first fragment: the ports only */
	XLB_SIM_L4_BROKEN, /* cut or inconsistent */
};

struct xlb_sim_pkt {
	enum xlb_sim_l3 l3;
	unsigned int family;	      /* XLB_FAM_IP4 or XLB_FAM_IP6 */
	size_t l3_off;		      /* the IP header */
	size_t l4_off;		      /* the transport header */
	size_t end;		      /* the end of the datagram */
	uint8_t saddr[16], daddr[16]; /* IPv4 in the first 4 bytes */
	uint8_t proto;		      /* the L4 protocol, unless: */
	bool proto_unknown;	      /* the extension headers could not
				       * be walked */
	bool first_frag;	      /* more fragments follow, offset 0 */
	bool nonfirst_frag;	      /* offset != 0 */
	enum xlb_sim_l4 l4;
	uint16_t sport, dport; /* L4_WHOLE or L4_PORTS of UDP or TCP */
	uint8_t tcp_flags;     /* L4_WHOLE TCP */
	uint8_t icmp_type;     /* L4_WHOLE ICMP or ICMPv6 */
};

/* Parse the len bytes of frame. */
void xlb_sim_parse(const uint8_t *frame, size_t len, struct xlb_sim_pkt *p);

#endif
