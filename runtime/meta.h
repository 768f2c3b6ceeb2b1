/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* meta.h - the metadata blob of an xlbc object (format in xlb_abi.h). */
#ifndef XLB_META_H
#define XLB_META_H

#include <stddef.h>

#include "xlb_abi.h"

struct bpf_object;

/* A backend of a rewrite rule: where it sends a packet. */
struct xlb_meta_backend {
	char *text; /* canonical: 9876, 10.0.0.2:8080, [2001:db8::2] */
	int family; /* 4 or 6 with an address, else 0 */
	unsigned char addr[16];
	int has_port;
	unsigned short port;
};

struct xlb_meta_rule {
	unsigned int line;
	char *text;
	unsigned int nbackends; /* a rewrite rule's, from "backend" lines */
	struct xlb_meta_backend *backends;
};

struct xlb_meta {
	int abi;
	char *compiler;
	char *source;
	unsigned int nrules;
	struct xlb_meta_rule *rules;
	unsigned int default_line;
	char *default_action;
	/* the policies; objects older than them lack the lines, and get
	 * what those objects did: pass */
	unsigned int malformed_line;
	char *malformed_action;
	unsigned int nonip_line;
	char *nonip_action;
};

/* Parse a blob; 0, or -EINVAL with *why saying what is wrong. */
int xlb_meta_parse(const char *blob, size_t len, struct xlb_meta *m,
		   const char **why);
void xlb_meta_free(struct xlb_meta *m);

/* Check that an opened (not yet loaded) object came from xlbc and speaks
 * our ABI, and parse its metadata.  On failure prints why, naming path, and
 * returns a negative errno. */
int xlb_meta_from_object(struct bpf_object *obj, const char *path,
			 struct xlb_meta *m);

/* Open an object for loading: checks it as xlb_meta_from_object() does and
 * makes its program an XDP program.  NULL (errno set) after saying why. */
struct bpf_object *xlb_object_open(const char *path, struct xlb_meta *m);

/* Room for the verifier's log: its last lines say why it refused. */
#define XLB_VERIFIER_LOG_SIZE (4u << 20)
#define XLB_VERIFIER_TAIL_LINES 20

/* Load an opened object into the kernel.  When the kernel refuses it,
 * except for a missing privilege (-EPERM: the caller says what is
 * needed), says so naming path, with the last lines of the verifier's log.
 * 0 or a negative errno. */
int xlb_object_load(struct bpf_object *obj, const char *path);

/* Counter slot labels: "default pass", "non-ip", "malformed" or NULL for a
 * rule slot. */
const char *xlb_meta_slot_kind(const struct xlb_meta *m, unsigned int slot);

#endif
