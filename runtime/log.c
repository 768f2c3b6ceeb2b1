// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* log.c - xlb_log and the libbpf print callback. */
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "log.h"

const char *xlb_tool_name = "xlb";
int xlb_verbosity;

static void vlog(enum xlb_log_level level, const char *fmt, va_list ap)
{
	if (level == XLB_LOG_DEBUG && xlb_verbosity < 2)
		return;
	fprintf(stderr, "%s: ", xlb_tool_name);
	vfprintf(stderr, fmt, ap);
}

void xlb_log(enum xlb_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

const char *xlb_errstr(int err)
{
	static char buf[128];

	buf[0] = '\0';
	libbpf_strerror(err, buf, sizeof(buf));
	if (!buf[0])
		snprintf(buf, sizeof(buf), "error %d", err < 0 ? -err : err);
	return buf;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* libbpf's own complaints are detail: our callers say what failed
	 * and what to do; -v shows libbpf's view too. */
	if (level == LIBBPF_WARN && xlb_verbosity < 1)
		return 0;
	if (level != LIBBPF_WARN && xlb_verbosity < 2)
		return 0;
	/* libbpf starts its messages with "libbpf: " itself */
	return vfprintf(stderr, fmt, ap);
}

void xlb_log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
