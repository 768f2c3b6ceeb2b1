/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* log.h - messages of the xlb runtime tools, and libbpf's routed through them. */
#ifndef XLB_LOG_H
#define XLB_LOG_H

#define XLB_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum xlb_log_level {
	XLB_LOG_WARN,
	XLB_LOG_INFO,
	XLB_LOG_DEBUG,
};

/* Name printed before every message ("xlb-load"). */
extern const char *xlb_tool_name;
/* 0: warnings and info; 1 (-v): also libbpf's warnings; 2 (-vv): all of
 * libbpf's messages and our debug messages. */
extern int xlb_verbosity;

void xlb_log(enum xlb_log_level level, const char *fmt, ...) XLB_PRINTF(2, 3);
#define pr_warn(...) xlb_log(XLB_LOG_WARN, __VA_ARGS__)
#define pr_info(...) xlb_log(XLB_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) xlb_log(XLB_LOG_DEBUG, __VA_ARGS__)

/* The text of an error number, negative or not, libbpf's own included
 * (LIBBPF_ERRNO__*, 4000 and up, which strerror() does not know).  In a
 * static buffer: valid until the next call. */
const char *xlb_errstr(int err);

/* Send libbpf's messages through xlb_log. */
void xlb_log_setup_libbpf(void);

#endif
