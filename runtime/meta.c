// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* meta.c - reading the metadata that xlbc writes into every object. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <gelf.h>

#include "log.h"
#include "meta.h"

static char *dup_range(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void xlb_meta_free(struct xlb_meta *m)
{
	unsigned int i;

	for (i = 0; i < m->nrules; i++) {
		unsigned int b;

		for (b = 0; b < m->rules[i].nbackends; b++)
			free(m->rules[i].backends[b].text);
		free(m->rules[i].backends);
		free(m->rules[i].text);
	}
	free(m->rules);
	free(m->compiler);
	free(m->source);
	free(m->default_action);
	free(m->malformed_action);
	free(m->nonip_action);
	memset(m, 0, sizeof(*m));
}

/* Split "WORD REST": *rest points after the blank, or at the end. */
static int word_is(const char *line, size_t len, const char *word,
		   const char **rest, size_t *rest_len)
{
	size_t wl = strlen(word);

	if (len < wl || memcmp(line, word, wl) || (len > wl && line[wl] != ' '))
		return 0;
	*rest = line + (len > wl ? wl + 1 : wl);
	*rest_len = len > wl ? len - wl - 1 : 0;
	return 1;
}

/* "NUMBER REST" */
static int number_then_text(const char *s, size_t len, unsigned int *num,
			    char **text)
{
	size_t i = 0;
	unsigned long v = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9' && v < 100000000)
		v = v * 10 + (unsigned long)(s[i++] - '0');
	if (i == 0 || (i < len && s[i] != ' '))
		return -1;
	*num = (unsigned int)v;
	if (i < len)
		i++;
	*text = dup_range(s + i, len - i);
	return *text ? 0 : -1;
}

/* "LINE ACTION" of default, malformed and non-ip, given once. */
static int policy_line(const char *s, size_t len, unsigned int *line,
		       char **action)
{
	if (*action)
		return -1;
	return number_then_text(s, len, line, action);
}

/* A backend's canonical text: PORT, ADDR4, ADDR4:PORT, [ADDR6] or
 * [ADDR6]:PORT.  0, or -1 when it is none of them. */
static int backend_parse(char *text, struct xlb_meta_backend *b)
{
	char addr[INET6_ADDRSTRLEN + 2], *end, *port = NULL;
	size_t n = strlen(text);
	unsigned long v;

	b->text = text;
	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, text, n + 1);
	if (addr[0] == '[') {
		end = strchr(addr, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -1;
		*end = '\0';
		port = end[1] ? end + 2 : NULL;
		if (inet_pton(AF_INET6, addr + 1, b->addr) != 1)
			return -1;
		b->family = 6;
	} else if (strchr(addr, '.')) {
		port = strchr(addr, ':');
		if (port)
			*port++ = '\0';
		if (inet_pton(AF_INET, addr, b->addr) != 1)
			return -1;
		b->family = 4;
	} else {
		port = addr;
	}
	if (!port)
		return 0;
	if (*port < '1' || *port > '9')
		return -1;
	v = strtoul(port, &end, 10);
	if (*end || v > 65535)
		return -1;
	b->has_port = 1;
	b->port = (unsigned short)v;
	return 0;
}

/* "SLOT TEXT": a backend of the rule in SLOT, one of those read so far. */
static int backend_line(struct xlb_meta *m, const char *s, size_t len)
{
	struct xlb_meta_backend *b;
	struct xlb_meta_rule *r;
	unsigned int slot;
	char *text;

	if (number_then_text(s, len, &slot, &text) < 0)
		return -1;
	if (slot >= m->nrules) {
		free(text);
		return -1;
	}
	r = &m->rules[slot];
	b = realloc(r->backends, (r->nbackends + 1) * sizeof(*b));
	if (!b) {
		free(text);
		return -1;
	}
	r->backends = b;
	b += r->nbackends;
	memset(b, 0, sizeof(*b));
	if (backend_parse(text, b) < 0) {
		free(text);
		return -1;
	}
	r->nbackends++;
	return 0;
}

int xlb_meta_parse(const char *blob, size_t len, struct xlb_meta *m,
		   const char **why)
{
	const char *p = blob, *end, *rest;
	size_t cap = 0, n, rest_len;
	unsigned int declared = 0;
	int first = 1;
	char *s;

	memset(m, 0, sizeof(*m));
	m->abi = -1;
	/* the blob is NUL-terminated inside the section; stop there */
	end = memchr(blob, '\0', len);
	if (!end)
		end = blob + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		n = (size_t)((nl ? nl : end) - p);
		if (first) {
			unsigned int abi;

			if (!word_is(p, n, XLB_META_MAGIC, &rest, &rest_len) ||
			    number_then_text(rest, rest_len, &abi, &s) < 0) {
				*why = "no xlb metadata header";
				goto bad;
			}
			free(s);
			m->abi = (int)abi;
			first = 0;
		} else if (word_is(p, n, "compiler", &rest, &rest_len)) {
			free(m->compiler);
			m->compiler = dup_range(rest, rest_len);
		} else if (word_is(p, n, "source", &rest, &rest_len)) {
			free(m->source);
			m->source = dup_range(rest, rest_len);
		} else if (word_is(p, n, "rules", &rest, &rest_len)) {
			if (number_then_text(rest, rest_len, &declared, &s) <
			    0) {
				*why = "a malformed rules line";
				goto bad;
			}
			free(s);
		} else if (word_is(p, n, "rule", &rest, &rest_len)) {
			if (m->nrules == cap) {
				struct xlb_meta_rule *r;

				cap = cap ? 2 * cap : 16;
				r = realloc(m->rules, cap * sizeof(*r));
				if (!r)
					goto nomem;
				m->rules = r;
			}
			memset(&m->rules[m->nrules], 0, sizeof(*m->rules));
			if (number_then_text(rest, rest_len,
					     &m->rules[m->nrules].line,
					     &m->rules[m->nrules].text) < 0) {
				*why = "a malformed rule line";
				goto bad;
			}
			m->nrules++;
		} else if (word_is(p, n, "backend", &rest, &rest_len)) {
			if (backend_line(m, rest, rest_len) < 0) {
				*why = "a malformed backend line";
				goto bad;
			}
		} else if (word_is(p, n, "default", &rest, &rest_len)) {
			if (policy_line(rest, rest_len, &m->default_line,
					&m->default_action) < 0) {
				*why = "a malformed default line";
				goto bad;
			}
		} else if (word_is(p, n, "malformed", &rest, &rest_len)) {
			if (policy_line(rest, rest_len, &m->malformed_line,
					&m->malformed_action) < 0) {
				*why = "a malformed 'malformed' line";
				goto bad;
			}
		} else if (word_is(p, n, "non-ip", &rest, &rest_len)) {
			if (policy_line(rest, rest_len, &m->nonip_line,
					&m->nonip_action) < 0) {
				*why = "a malformed non-ip line";
				goto bad;
			}
		}
		/* other lines: newer writers may add them */
		p = nl ? nl + 1 : end;
	}
	if (first) {
		*why = "empty metadata";
		goto bad;
	}
	if (!m->default_action) {
		*why = "no default action in the metadata";
		goto bad;
	}
	if ((!m->malformed_action && !(m->malformed_action = strdup("pass"))) ||
	    (!m->nonip_action && !(m->nonip_action = strdup("pass"))))
		goto nomem;
	if (declared != m->nrules) {
		*why = "the metadata's rule count does not match its rules";
		goto bad;
	}
	return 0;
nomem:
	*why = "out of memory";
bad:
	xlb_meta_free(m);
	return -EINVAL;
}

int xlb_meta_from_object(struct bpf_object *obj, const char *path,
			 struct xlb_meta *m)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, XLB_META_MAP);
	struct bpf_map *stats;
	const char *why = NULL;
	const void *blob;
	size_t size = 0;

	if (!map || !(blob = bpf_map__initial_value(map, &size)) || !size) {
		pr_warn("'%s' is not an xlbc object (it has no %s section); "
			"compile a rules file with xlbc to get one\n",
			path, XLB_META_SEC);
		return -EINVAL;
	}
	if (xlb_meta_parse(blob, size, m, &why) < 0) {
		pr_warn("'%s' is not an xlbc object (%s); compile a rules file "
			"with xlbc to get one\n",
			path, why);
		return -EINVAL;
	}
	if (m->abi != XLB_ABI_VERSION) {
		pr_warn("'%s' was built for xlb ABI %d but this tool speaks ABI %d; "
			"recompile the rules with the xlbc installed with it\n",
			path, m->abi, XLB_ABI_VERSION);
		xlb_meta_free(m);
		return -EPROTO;
	}
	stats = bpf_object__find_map_by_name(obj, XLB_STATS_MAP);
	if (!bpf_object__find_program_by_name(obj, XLB_PROG_NAME) || !stats ||
	    bpf_map__max_entries(stats) != XLB_NCOUNTERS(m->nrules)) {
		pr_warn("'%s' has xlb metadata but no %s program or no %s map "
			"with a counter per rule; "
			"recompile the rules with xlbc\n",
			path, XLB_PROG_NAME, XLB_STATS_MAP);
		xlb_meta_free(m);
		return -EINVAL;
	}
	return 0;
}

const char *xlb_meta_slot_kind(const struct xlb_meta *m, unsigned int slot)
{
	if (slot < m->nrules)
		return NULL;
	if (slot == XLB_CTR_DEFAULT(m->nrules))
		return "default";
	if (slot == XLB_CTR_NONIP(m->nrules))
		return "non-ip";
	if (slot == XLB_CTR_MALFORMED(m->nrules))
		return "malformed";
	return "unknown";
}

/* Why libbpf could not open path as an ELF BPF object, from a look at the
 * file itself: empty, not ELF, cut short before its section headers. */
static const char *elf_problem(const char *path)
{
	const char *why = "the file is corrupt";
	struct stat st;
	GElf_Ehdr eh;
	Elf *elf;
	size_t shnum;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (st.st_size == 0) {
		close(fd);
		return "the file is empty";
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		why = "the file is not ELF";
	else if (gelf_getclass(elf) != ELFCLASS64 || !gelf_getehdr(elf, &eh) ||
		 eh.e_ident[EI_DATA] != ELFDATA2LSB)
		why = "the file is not a 64-bit little-endian ELF object, as "
		      "BPF objects for this machine are";
	else if (eh.e_machine != EM_BPF)
		why = "the file is an ELF object for another machine, not BPF";
	else if (elf_getshdrnum(elf, &shnum) < 0 ||
		 eh.e_shoff > (__u64)st.st_size ||
		 (__u64)eh.e_shentsize * shnum > (__u64)st.st_size - eh.e_shoff)
		why = "the file is truncated";
	elf_end(elf);
	close(fd);
	return why;
}

struct bpf_object *xlb_object_open(const char *path, struct xlb_meta *m)
{
	struct bpf_object *obj;
	const char *why;
	int err;

	if (access(path, R_OK) < 0) {
		err = errno;
		pr_warn("cannot open '%s': %s\n", path, strerror(err));
		errno = err;
		return NULL;
	}
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		err = errno;
		why = elf_problem(path);
		pr_warn("cannot open '%s' as a BPF object: %s%s%s; compile the "
			"rules again with xlbc (-vv shows libbpf's account)\n",
			path, xlb_errstr(err), why ? ", " : "", why ? why : "");
		errno = err;
		return NULL;
	}
	err = xlb_meta_from_object(obj, path, m);
	if (err) {
		bpf_object__close(obj);
		errno = -err;
		return NULL;
	}
	bpf_program__set_type(bpf_object__find_program_by_name(obj,
							       XLB_PROG_NAME),
			      BPF_PROG_TYPE_XDP);
	return obj;
}

/* Print the last lines of the verifier's log. */
static void print_verifier_tail(const char *log)
{
	const char *end = log + strlen(log), *p = end;
	int lines = 0;

	while (p > log && (p[-1] == '\n' || p[-1] == '\0'))
		p--;
	end = p;
	while (p > log && lines < XLB_VERIFIER_TAIL_LINES) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	if (end > p)
		fprintf(stderr,
			"--- last lines of the verifier log ---\n%.*s\n"
			"--- end of verifier log ---\n",
			(int)(end - p), p);
}

int xlb_object_load(struct bpf_object *obj, const char *path)
{
	struct bpf_program *prog;
	char *log = calloc(1, XLB_VERIFIER_LOG_SIZE);
	int err;

	/* loading stops at the first program refused: its log is the one */
	bpf_object__for_each_program(prog, obj)
		if (log && bpf_program__autoload(prog))
			bpf_program__set_log_buf(prog, log,
						 XLB_VERIFIER_LOG_SIZE);
	err = bpf_object__load(obj);
	if (err && err != -EPERM) {
		pr_warn("the kernel refused to load '%s' (%s)\n", path,
			xlb_errstr(err));
		if (log && *log)
			print_verifier_tail(log);
		else
			pr_warn("no verifier log; run with -v for libbpf's "
				"account\n");
	}
	free(log);
	return err;
}
