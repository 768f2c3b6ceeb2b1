/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* tap.h - a small TAP producer for xlb's C tests. */
#ifndef XLB_TAP_H
#define XLB_TAP_H

#include <stddef.h>

#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))

void plan(int n);
void skip_all(const char *fmt, ...) TAP_PRINTF(1, 2);
/* Each returns its verdict (1 ok, 0 not ok). */
int ok(int cond, const char *fmt, ...) TAP_PRINTF(2, 3);
int is_int(long long got, long long want, const char *fmt, ...)
	TAP_PRINTF(3, 4);
int is_string(const char *got, const char *want, const char *fmt, ...)
	TAP_PRINTF(3, 4);
/* n tests that cannot run here, each reported "ok # SKIP why". */
void skip_block(int n, const char *fmt, ...) TAP_PRINTF(2, 3);
void diag(const char *fmt, ...) TAP_PRINTF(1, 2);
/* Exit status for main: 0 if every planned test ran and passed. */
int tap_done(void);

#endif
