/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* util.h - allocation that never returns NULL, and a growable string. */
#ifndef XLB_UTIL_H
#define XLB_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#define XLB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) XLB_PRINTF(1, 2);

/* A growable NUL-terminated buffer. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT                                                            \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

void strbuf_add(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) XLB_PRINTF(2, 3);
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Hand the buffer to the caller (never NULL) and reset sb. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

#endif
