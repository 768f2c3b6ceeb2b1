// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tap.c - TAP output for C tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int planned, run, failed;

void plan(int n)
{
	planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

void skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(0);
}

static int vreport(int cond, const char *fmt, va_list ap)
{
	run++;
	if (!cond)
		failed++;
	printf("%sok %d - ", cond ? "" : "not ", run);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vreport(cond, fmt, ap);
	va_end(ap);
	return r;
}

int is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vreport(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		diag("got %lld, want %lld", got, want);
	return r;
}

int is_string(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int r, same = got && want ? !strcmp(got, want) : got == want;

	va_start(ap, fmt);
	r = vreport(same, fmt, ap);
	va_end(ap);
	if (!r) {
		diag("got:  '%s'", got ? got : "(null)");
		diag("want: '%s'", want ? want : "(null)");
	}
	return r;
}

void skip_block(int n, const char *fmt, ...)
{
	va_list ap;

	while (n-- > 0) {
		run++;
		printf("ok %d # SKIP ", run);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int tap_done(void)
{
	if (run != planned) {
		diag("planned %d tests but ran %d", planned, run);
		return 1;
	}
	return failed ? 1 : 0;
}
