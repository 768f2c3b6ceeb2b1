// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * driver.c - from a rules file to outputs: parse, check, generate, then
 * clang.  Every output is written to a temporary file beside its final name
 * and renamed into place only when complete, so a failed run never leaves a
 * half-written or clobbered file.
 */
#define _GNU_SOURCE /* getdents64 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "driver.h"
#include "outfile.h"
#include "xlb-paths.h"
#include "xlbc.h"

extern char **environ;

static void errorf(const char *fmt, ...) XLB_PRINTF(1, 2);
static void errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("xlbc: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * What a fatal signal (SIGINT, SIGTERM, SIGHUP) undoes before xlbc dies of
 * it: clang while it runs, and the private directory it works in; lib/
 * outfile removes the temporary files of outputs being written.  Both are
 * set with the signals held, so that the handler sees each whole.
 */
static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP };
static volatile pid_t sig_child;
static const char *volatile sig_tmpdir;

static void hold_signals(sigset_t *old)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < ARRAY_SIZE(fatal_signals); i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void release_signals(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* In the handler, as every function below up to xlbc_catch_signals():
 * async-signal-safe calls only. */
static void stop_child(pid_t pid, int sig)
{
	int i;

	/* clang removes its output on SIGINT, SIGTERM and SIGHUP; give it
	 * two seconds for that, then kill it */
	kill(pid, sig);
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		poll(NULL, 0, 10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Remove dir and the files in it (clang's, whatever their names). */
static void remove_dir(const char *dir)
{
	char buf[4096] __attribute__((aligned(8))); /* struct dirent64s */
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int pass, removed = 1;

	for (pass = 0; fd >= 0 && removed && pass < 8; pass++) {
		ssize_t n, off;

		removed = 0;
		lseek(fd, 0, SEEK_SET);
		while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
			for (off = 0; off < n;) {
				struct dirent64 *d = (void *)(buf + off);

				if (strcmp(d->d_name, ".") &&
				    strcmp(d->d_name, "..") &&
				    unlinkat(fd, d->d_name, 0) == 0)
					removed++;
				off += d->d_reclen;
			}
		}
	}
	if (fd >= 0)
		close(fd);
	rmdir(dir);
}

static void on_fatal_signal(int sig)
{
	pid_t child = sig_child;
	const char *dir = sig_tmpdir;
	sigset_t set;

	if (child > 0)
		stop_child(child, sig);
	if (dir)
		remove_dir(dir);
	xlb_outfile_remove_temps();
	/* die of the signal, as the caller expects */
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	raise(sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	_exit(128 + sig);
}

void xlbc_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_fatal_signal };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(fatal_signals); i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (i = 0; i < ARRAY_SIZE(fatal_signals); i++) {
		struct sigaction old;

		/* one ignored from the start (nohup, a background job) stays
		 * ignored */
		if (sigaction(fatal_signals[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(fatal_signals[i], &sa, NULL);
	}
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write an output whole (lib/outfile.h): "-" is standard output. */
static int write_output(const char *path, const char *buf, size_t len)
{
	struct xlb_outfile f;
	int err;

	if (!strcmp(path, "-")) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout)) {
			errorf("cannot write to standard output: %s",
			       strerror(errno));
			return -1;
		}
		return 0;
	}
	err = xlb_outfile_open(&f, path);
	if (!err) {
		err = xlb_outfile_write(&f, buf, len);
		if (err)
			xlb_outfile_abort(&f);
		else
			err = xlb_outfile_commit(&f);
	}
	if (err) {
		errorf("cannot write '%s': %s", path, strerror(-err));
		return -1;
	}
	return 0;
}

static int read_file(const char *path, struct strbuf *out)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");
	int err = 0;

	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(out, buf, n);
	if (ferror(f))
		err = -1;
	fclose(f);
	return err;
}

/* Where the BPF templates are: $XLB_TEMPLATE_DIR, else bpf-templates/
 * beside the executable when it runs from its build tree, else the
 * installed copy.  The result is static or owned by the caller (*owned). */
static const char *template_dir(char **owned)
{
	const char *dir = getenv("XLB_TEMPLATE_DIR");
	char exe[4096], *probe;
	struct stat st;
	ssize_t n;

	*owned = NULL;
	if (dir && *dir)
		return dir;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		probe = xasprintf("%s/bpf-templates/xlb_prog.h", dirname(exe));
		if (stat(probe, &st) == 0) {
			*owned = xasprintf("%s/bpf-templates", exe);
			free(probe);
			return *owned;
		}
		free(probe);
	}
	return XLB_TEMPLATE_DIR;
}

static const char *clang_path(void)
{
	const char *clang = getenv("XLB_CLANG");

	return clang && *clang ? clang : XLB_CLANG;
}

/* Run argv and wait for it: 0 if it succeeded, 1 if it failed, -1 (said
 * why) if it could not be run.  A fatal signal meanwhile stops it too. */
static int run(char *const argv[], bool verbose)
{
	posix_spawnattr_t attr;
	siginfo_t info;
	sigset_t old;
	pid_t pid;
	int status, rc;

	if (verbose) {
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
		fputc('\n', stderr);
	}
	/* held until the handler knows the child; the child gets the mask
	 * xlbc had */
	hold_signals(&old);
	rc = posix_spawnattr_init(&attr);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&attr, &old);
	if (!rc)
		rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	if (!rc)
		rc = posix_spawnp(&pid, argv[0], NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (!rc)
		sig_child = pid;
	release_signals(&old);
	if (rc) {
		errorf("cannot run '%s': %s; install clang or set XLB_CLANG",
		       argv[0], strerror(rc));
		return -1;
	}
	/* wait without reaping, so that the pid the handler may kill stays
	 * clang's until it is forgotten */
	while ((rc = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT)) < 0 &&
	       errno == EINTR)
		;
	if (rc < 0) {
		errorf("waiting for '%s': %s", argv[0], strerror(errno));
		sig_child = 0;
		return -1;
	}
	hold_signals(&old);
	sig_child = 0;
	rc = waitpid(pid, &status, 0);
	release_signals(&old);
	if (rc == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return 1;
}

/* BPF jumps carry a signed 16-bit offset, in instructions. */
#define XLB_MAX_PROG_INSNS 32767
#define BPF_INSN_SIZE 8

/* The size in bytes of the largest function (STT_FUNC symbol) in the
 * object clang wrote, its name in *name (the caller frees it); -1 if libelf
 * cannot read the object or it has no function. */
static int64_t largest_function(const struct strbuf *obj, char **name)
{
	Elf_Scn *scn = NULL;
	int64_t best = -1;
	Elf *elf;

	*name = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	elf = elf_memory(obj->buf, obj->len);
	if (!elf)
		return -1;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = data->d_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *s;

			if (!gelf_getsym(data, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_size > INT64_MAX ||
			    (int64_t)sym.st_size <= best)
				continue;
			s = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!s)
				continue;
			best = (int64_t)sym.st_size;
			free(*name);
			*name = xstrdup(s);
		}
	}
	elf_end(elf);
	return best;
}

/* clang 14 does not refuse a jump that its 16-bit offset cannot span; it
 * wraps.  Refuse a function that long rather than load one that may jump
 * somewhere else.  (The rules come in functions of a few dozen each, so
 * only rules of extraordinary size get here.) */
static int check_program_size(const char *name, const struct strbuf *obj,
			      size_t nrules)
{
	char *fn;
	int64_t size = largest_function(obj, &fn);
	int err = -1;

	if (size < 0)
		errorf("internal error: clang's object for '%s' has no functions",
		       name);
	else if (size / BPF_INSN_SIZE > XLB_MAX_PROG_INSNS)
		errorf("'%s': the %zu rule%s make%s a BPF function (%s) of %lld "
		       "instructions, more than the %d that its jumps can span; "
		       "use fewer or smaller rules (see LIMITS in xlb-rules(5))",
		       name, nrules, nrules == 1 ? "" : "s",
		       nrules == 1 ? "s" : "", fn,
		       (long long)(size / BPF_INSN_SIZE), XLB_MAX_PROG_INSNS);
	else
		err = 0;
	free(fn);
	return err;
}

/* Build the object and return its bytes in *obj; the caller writes every
 * output once all are ready.  clang works in a private directory, on C
 * named after the rules file so that its messages and the debug info name
 * something meaningful. */
static int build_object(const struct xlbc_opts *o, const char *name,
			const struct strbuf *c, struct strbuf *objbuf)
{
	char *tdir_owned;
	const char *tdir = template_dir(&tdir_owned);
	char *tmpdir = NULL, *cfile = NULL, *obj = NULL, *base, *inc = NULL;
	char *sysinc = NULL, *probe, *input = xstrdup(name);
	char *argv[24];
	int fd, err = 0, argc = 0, ret = -1;
	bool keep = false;
	struct stat st;
	sigset_t old;

	probe = xasprintf("%s/xlb_prog.h", tdir);
	if (stat(probe, &st) < 0) {
		errorf("cannot find the BPF templates: '%s' is missing; "
		       "reinstall xlb or point XLB_TEMPLATE_DIR at its bpf-templates",
		       probe);
		free(probe);
		goto out;
	}
	free(probe);

	{
		const char *t = getenv("TMPDIR");

		tmpdir = xasprintf("%s/xlbc.XXXXXX", t && *t ? t : "/tmp");
	}
	hold_signals(&old);
	if (mkdtemp(tmpdir))
		sig_tmpdir = tmpdir;
	else
		err = errno;
	release_signals(&old);
	if (!sig_tmpdir) {
		errorf("cannot create a temporary directory: %s",
		       strerror(err));
		free(tmpdir);
		tmpdir = NULL;
		goto out;
	}
	base = strcmp(name, XLB_STDIN_NAME) ? basename(input) : "stdin";
	cfile = xasprintf("%s/%s.c", tmpdir,
			  *base && *base != '.' ? base : "rules");
	fd = open(cfile, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write_all(fd, c->buf, c->len) < 0 || close(fd) < 0) {
		errorf("cannot write '%s': %s", cfile, strerror(errno));
		goto out;
	}

	obj = xasprintf("%s/%s.o", tmpdir,
			*base && *base != '.' ? base : "rules");
	inc = xasprintf("-I%s", tdir);
	argv[argc++] = (char *)clang_path();
	argv[argc++] = "-O2";
	argv[argc++] = "-g";
	argv[argc++] = "-target";
	argv[argc++] = "bpf";
	argv[argc++] = "-mcpu=v3";
	argv[argc++] = "-Wall";
	argv[argc++] = "-Wno-unused-function";
	argv[argc++] = inc;
	if (*XLB_SYS_INCLUDE) {
		sysinc = xasprintf("-I%s", XLB_SYS_INCLUDE);
		argv[argc++] = sysinc;
	}
	argv[argc++] = "-c";
	argv[argc++] = cfile;
	argv[argc++] = "-o";
	argv[argc++] = obj;
	argv[argc] = NULL;

	switch (run(argv, o->verbose)) {
	case 0:
		if (read_file(obj, objbuf) < 0) {
			errorf("cannot read what clang wrote to '%s': %s", obj,
			       strerror(errno));
			break;
		}
		ret = 0;
		break;
	case 1:
		errorf("internal error: clang could not build the generated C "
		       "(kept in '%s'); please report this with the rules file",
		       cfile);
		keep = true; /* the C, for the report */
		break;
	default: /* clang did not run; run() said why */
		break;
	}
out:
	sig_tmpdir = NULL;
	if (obj)
		unlink(obj);
	if (cfile && !keep)
		unlink(cfile);
	if (tmpdir && !keep)
		rmdir(tmpdir);
	free(cfile);
	free(tmpdir);
	free(obj);
	free(inc);
	free(sysinc);
	free(input);
	free(tdir_owned);
	return ret;
}

int xlb_read_rules(const struct xlb_source *src, struct xlb_ruleset *rs,
		   struct xlb_diags *diags)
{
	const char *nul = memchr(src->text, '\0', src->len);

	/* Text has no NUL byte: this is some other file, and the scanner
	 * would go on to report its every byte.  (libyaml refuses one.) */
	if (nul && !src->yaml) {
		struct xlb_loc loc = { .first_off = (size_t)(nul - src->text) };

		xlb_source_pos(src, loc.first_off, &loc.first_line,
			       &loc.first_column);
		loc.last_off = loc.first_off + 1;
		loc.last_line = loc.first_line;
		loc.last_column = loc.first_column;
		xlb_error(diags, &loc,
			  "NUL byte in a text rules file; is it the right file?");
		return -1;
	}
	/* The parser keeps only statements that parsed whole, so checking
	 * them after a syntax error is safe and reports more in one run. */
	if (src->yaml)
		xlb_parse_yaml(src, rs, diags);
	else
		xlb_parse(src, rs, diags);
	xlb_check(rs, diags);
	if (diags->nerrors)
		return -1;
	/* A YAML rule's counter label is its canonical text. */
	if (src->yaml)
		xlb_rules_set_text(rs);
	return 0;
}

int xlbc_run(const struct xlbc_opts *o)
{
	struct xlb_source src;
	struct xlb_ruleset rs;
	struct xlb_diags diags;
	struct strbuf c = STRBUF_INIT, obj = STRBUF_INIT;
	int err, status = 1;

	err = xlb_source_load(&src, o->input);
	if (err) {
		char *name = strcmp(o->input, "-") ? xasprintf("'%s'", o->input)
						   : xstrdup("standard input");

		if (err == -EFBIG)
			errorf("%s is larger than %u MiB; no rules file may be "
			       "larger (see LIMITS in xlb-rules(5))",
			       name, XLB_MAX_SOURCE_SIZE >> 20);
		else
			errorf("cannot read %s: %s", name, strerror(-err));
		free(name);
		return 1;
	}
	src.yaml |= o->yaml;
	xlb_diags_init(&diags, &src);
	xlb_ruleset_init(&rs, &src);

	xlb_read_rules(&src, &rs, &diags);
	xlb_diags_print(&diags, stderr);
	if (diags.nerrors)
		goto out;
	if (o->print) {
		xlb_print(&rs, &c);
		if (write_output("-", c.buf ? c.buf : "", c.len) == 0)
			status = 0;
		goto out;
	}
	if (o->check_only) {
		status = 0;
		goto out;
	}

	xlb_codegen(&rs, &c);
	/* Outputs are written only once all of them are ready. */
	if (o->output && (build_object(o, src.path, &c, &obj) < 0 ||
			  check_program_size(src.path, &obj, rs.nrules) < 0))
		goto out;
	if (o->emit_c && write_output(o->emit_c, c.buf, c.len) < 0)
		goto out;
	if (o->output && write_output(o->output, obj.buf, obj.len) < 0)
		goto out;
	status = 0;
out:
	strbuf_release(&obj);
	strbuf_release(&c);
	xlb_ruleset_free(&rs);
	xlb_diags_free(&diags);
	xlb_source_free(&src);
	return status;
}
