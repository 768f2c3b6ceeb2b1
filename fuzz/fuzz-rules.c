// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz-rules.c - a libFuzzer harness over one of xlbc's front ends: the
 * text syntax, or YAML when built with -DXLB_FUZZ_YAML.  Each input is a
 * rules file.  It is read and checked as xlbc reads it, its diagnostics
 * are rendered (excerpts and carets included), and when it has no errors:
 *
 *   - its canonical text (xlbc --print) must read back without errors and
 *     print the same again: the printer and the text front end agree;
 *   - the generator must produce C for it, and the reference interpreter
 *     must build its tables (round-robin slots, weighted lists, Maglev).
 *
 * Any disagreement aborts, so libFuzzer keeps the input as a crash.  See
 * doc/fuzzing.md for how to build and run it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "xlbc.h"

#ifdef XLB_FUZZ_YAML
#define FUZZ_NAME "fuzz.yaml"
#else
#define FUZZ_NAME "fuzz.conf"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

struct reading {
	struct xlb_source src;
	struct xlb_ruleset rs;
	struct xlb_diags diags;
};

static int reading_run(struct reading *r, const char *name, const char *text,
		       size_t len)
{
	xlb_source_init_text(&r->src, name, text, len);
	xlb_diags_init(&r->diags, &r->src);
	xlb_ruleset_init(&r->rs, &r->src);
	xlb_read_rules(&r->src, &r->rs, &r->diags);
	xlb_diags_print(&r->diags, sink);
	return r->diags.nerrors ? -1 : 0;
}

static void reading_done(struct reading *r)
{
	xlb_ruleset_free(&r->rs);
	xlb_diags_free(&r->diags);
	xlb_source_free(&r->src);
}

static void fail(const char *what, const struct strbuf *a,
		 const struct strbuf *b, const struct xlb_diags *d)
{
	fprintf(stderr, "fuzz-rules: %s\n", what);
	if (a)
		fprintf(stderr, "--- canonical text:\n%s", a->buf ? a->buf : "");
	if (b)
		fprintf(stderr, "--- printed again:\n%s", b->buf ? b->buf : "");
	if (d)
		xlb_diags_print(d, stderr);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf text = STRBUF_INIT, again = STRBUF_INIT, c = STRBUF_INIT;
	struct reading in, back;
	struct xlb_sim *sim;

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (!sink)
		abort();

	if (reading_run(&in, FUZZ_NAME, (const char *)data, size) < 0) {
		reading_done(&in);
		return 0;
	}

	xlb_print(&in.rs, &text);
	if (reading_run(&back, "canonical.conf", text.buf ? text.buf : "",
			text.len) < 0)
		fail("the canonical text does not read back", &text, NULL,
		     &back.diags);
	xlb_print(&back.rs, &again);
	if (text.len != again.len ||
	    (text.len && memcmp(text.buf, again.buf, text.len)))
		fail("the canonical text prints differently", &text, &again,
		     NULL);

	xlb_codegen(&in.rs, &c);
	if (!c.len)
		fail("the generator wrote nothing", &text, NULL, NULL);
	sim = xlb_sim_new(&in.rs);
	xlb_sim_free(sim);

	strbuf_release(&c);
	strbuf_release(&again);
	strbuf_release(&text);
	reading_done(&back);
	reading_done(&in);
	return 0;
}
