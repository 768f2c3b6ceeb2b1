// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * udpcount - count UDP datagrams on real sockets, for the namespace tests
 * and the demo.
 *
 *   udpcount recv [-v] [-a ADDR] [-n TOTAL] [-t IDLE] [-T LIMIT]
 *                 [-r READYFILE] PORT...
 *	Bind one UDP socket per PORT on ADDR (default 0.0.0.0) and count the
 *	datagrams each receives.  Stop when TOTAL datagrams have arrived over
 *	all ports, when none has arrived for IDLE seconds (default 5, 0: never),
 *	when LIMIT seconds have passed (default 0: no limit), or on SIGINT,
 *	SIGTERM or SIGUSR1.  Then print one line "PORT COUNT" per port, in the
 *	order given, and exit 0.  READYFILE is created once every socket is
 *	bound, so a script can wait for it instead of sleeping.  Warns on
 *	stderr of datagrams the kernel dropped because a socket buffer was
 *	full (SO_RXQ_OVFL: that loss is not the program under test's) and of
 *	datagrams udpcount send did not write.  -v says why it stopped.
 *
 *   udpcount send [-v] [-b SRCADDR] [-p SRCPORT] [-n COUNT] [-i USEC]
 *                 [-s SIZE] ADDR PORT
 *	Send COUNT datagrams (default 1; 0: until SIGINT or SIGTERM) from one
 *	socket, bound to SRCADDR[:SRCPORT] if given, to ADDR:PORT, one every
 *	USEC microseconds (default 0: as fast as possible).  Datagram i
 *	carries "udpcount i\n", padded with '.' or cut to SIZE bytes (default
 *	32).  Prints "sent N" and exits 0.
 *
 * Exit status: 0 done, 1 error (the message names the address and port),
 * 2 usage.  Timeouts accept fractions of a second ("0.5").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 64
#define RCVBUF_BYTES (8 << 20)
#define DEFAULT_IDLE_MS 5000
#define DEFAULT_SIZE 32
#define MAX_SIZE 65507 /* largest UDP payload over IPv4 */
#define PAYLOAD_MAGIC "udpcount "

static const char *prog = "udpcount";
static bool verbose;
static volatile sig_atomic_t stop_signal;

__attribute__((format(printf, 1, 0))) static void vpr(const char *fmt,
						      va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

__attribute__((format(printf, 1, 2))) static void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr(fmt, ap);
	va_end(ap);
}

/* Only with -v. */
__attribute__((format(printf, 1, 2))) static void pr_info(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vpr(fmt, ap);
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s recv [-v] [-a ADDR] [-n TOTAL] [-t IDLE] [-T LIMIT] [-r READYFILE] PORT...\n"
		"       %s send [-v] [-b SRCADDR] [-p SRCPORT] [-n COUNT] [-i USEC] [-s SIZE] ADDR PORT\n",
		prog, prog);
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Handlers without SA_RESTART, so that poll() and sleeps return EINTR. */
static int catch_signals(const int *sigs, int n)
{
	struct sigaction sa;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < n; i++) {
		if (sigaction(sigs[i], &sa, NULL)) {
			pr_err("sigaction: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "2", "0.5": seconds, to milliseconds. */
static int parse_seconds(const char *s, int *ms)
{
	double v;
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0) || v > 86400)
		return -1;
	*ms = (int)(v * 1000 + 0.5);
	return 0;
}

static int parse_port(const char *s, unsigned short *port)
{
	unsigned long v;

	if (parse_ulong(s, 65535, &v) || !v) {
		pr_err("invalid port '%s': expected 1-65535", s);
		return -1;
	}
	*port = (unsigned short)v;
	return 0;
}

/* A numeric IPv4 or IPv6 address and a port; sets *len. */
static int make_sockaddr(const char *addr, unsigned short port,
			 struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	pr_err("invalid address '%s': expected a numeric IPv4 or IPv6 address",
	       addr);
	return -1;
}

/* "10.0.0.1:53" or "[2001:db8::1]:53", for messages; no port if 0. */
static const char *addr_port_str(const char *addr, unsigned short port)
{
	static char buf[INET6_ADDRSTRLEN + 16];

	if (!port)
		snprintf(buf, sizeof(buf), "%s", addr);
	else if (strchr(addr, ':'))
		snprintf(buf, sizeof(buf), "[%s]:%u", addr, port);
	else
		snprintf(buf, sizeof(buf), "%s:%u", addr, port);
	return buf;
}

/* Create the file atomically, so a waiter never sees it half written. */
static int write_ready_file(const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		pr_err("%s: path too long", path);
		return -1;
	}
	f = fopen(tmp, "w");
	if (!f) {
		pr_err("cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f)) {
		pr_err("cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		pr_err("cannot rename %s to %s: %s", tmp, path,
		       strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

struct rx_port {
	unsigned short port;
	int fd;
	unsigned long count;
	unsigned long foreign; /* payload not written by udpcount send */
	uint32_t overflows;    /* SO_RXQ_OVFL: dropped, socket buffer full */
};

static int open_rx_socket(struct rx_port *p, const char *addr)
{
	struct sockaddr_storage ss;
	int one = 1, size = RCVBUF_BYTES;
	socklen_t len;

	if (make_sockaddr(addr, p->port, &ss, &len))
		return -1;
	p->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0);
	if (p->fd < 0) {
		pr_err("socket for %s: %s", addr_port_str(addr, p->port),
		       strerror(errno));
		return -1;
	}
	/* A burst must not overflow the socket while we are not reading:
	 * that loss would look like a bug in the program under test. */
	if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(p->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(p->fd, (struct sockaddr *)&ss, len)) {
		pr_err("cannot bind UDP %s: %s", addr_port_str(addr, p->port),
		       strerror(errno));
		return -1;
	}
	return 0;
}

/* Read everything queued on one socket. */
static int drain(struct rx_port *p, unsigned long *total)
{
	char buf[MAX_SIZE + 1];
	char cbuf[CMSG_SPACE(sizeof(uint32_t))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		n = recvmsg(p->fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			pr_err("receive on UDP port %u: %s", p->port,
			       strerror(errno));
			return -1;
		}
		p->count++;
		(*total)++;
		if ((size_t)n < sizeof(PAYLOAD_MAGIC) - 1 ||
		    memcmp(buf, PAYLOAD_MAGIC, sizeof(PAYLOAD_MAGIC) - 1))
			p->foreign++;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SO_RXQ_OVFL)
				memcpy(&p->overflows, CMSG_DATA(c),
				       sizeof(p->overflows));
		}
	}
}

static int cmd_recv(int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR1 };
	struct rx_port ports[MAX_PORTS];
	struct pollfd pfd[MAX_PORTS];
	const char *addr = "0.0.0.0", *ready = NULL;
	unsigned long want = 0, total = 0, v;
	int idle_ms = DEFAULT_IDLE_MS, limit_ms = 0;
	int64_t start, last;
	int nports, i, opt, err = 1;

	while ((opt = getopt(argc, argv, "+a:n:t:T:r:vh")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'n':
			if (parse_ulong(optarg, ULONG_MAX, &v)) {
				pr_err("invalid count '%s'", optarg);
				return 2;
			}
			want = v;
			break;
		case 't':
		case 'T':
			if (parse_seconds(optarg,
					  opt == 't' ? &idle_ms : &limit_ms)) {
				pr_err("invalid number of seconds '%s'",
				       optarg);
				return 2;
			}
			break;
		case 'r':
			ready = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	nports = argc - optind;
	if (nports < 1 || nports > MAX_PORTS) {
		pr_err("recv: expected 1 to %d ports", MAX_PORTS);
		usage(stderr);
		return 2;
	}
	for (i = 0; i < nports; i++) {
		memset(&ports[i], 0, sizeof(ports[i]));
		ports[i].fd = -1;
		if (parse_port(argv[optind + i], &ports[i].port))
			return 2;
	}
	if (catch_signals(sigs, sizeof(sigs) / sizeof(sigs[0])))
		return 1;

	for (i = 0; i < nports; i++) {
		if (open_rx_socket(&ports[i], addr))
			goto out;
		pfd[i].fd = ports[i].fd;
		pfd[i].events = POLLIN;
	}
	if (ready && write_ready_file(ready))
		goto out;
	pr_info("listening on %d UDP port(s) of %s", nports, addr);

	start = last = now_ms();
	for (;;) {
		int64_t now = now_ms(), timeout = -1;
		int n;

		if (want && total >= want) {
			pr_info("stopping: %lu datagrams received", total);
			break;
		}
		if (stop_signal) {
			pr_info("stopping: %s", strsignal(stop_signal));
			break;
		}
		if (idle_ms) {
			timeout = last + idle_ms - now;
			if (timeout <= 0) {
				pr_info("stopping: nothing received for %d ms",
					idle_ms);
				break;
			}
		}
		if (limit_ms) {
			int64_t left = start + limit_ms - now;

			if (left <= 0) {
				pr_info("stopping: %d ms have passed",
					limit_ms);
				break;
			}
			if (timeout < 0 || left < timeout)
				timeout = left;
		}
		n = poll(pfd, nports, timeout < 0 ? -1 : (int)timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s", strerror(errno));
			goto out;
		}
		for (i = 0; i < nports && n > 0; i++) {
			unsigned long before = total;

			if (!pfd[i].revents)
				continue;
			if (drain(&ports[i], &total))
				goto out;
			if (total != before)
				last = now_ms();
		}
	}

	for (i = 0; i < nports; i++) {
		if (ports[i].overflows)
			pr_err("port %u: the kernel dropped %u datagrams, socket buffer full",
			       ports[i].port, ports[i].overflows);
		if (ports[i].foreign)
			pr_err("port %u: %lu datagrams not sent by udpcount",
			       ports[i].port, ports[i].foreign);
		printf("%u %lu\n", ports[i].port, ports[i].count);
	}
	if (fflush(stdout) || ferror(stdout)) {
		pr_err("write error on standard output");
		goto out;
	}
	err = 0;
out:
	for (i = 0; i < nports; i++)
		if (ports[i].fd >= 0)
			close(ports[i].fd);
	return err;
}

static void timespec_add_us(struct timespec *ts, unsigned long us)
{
	ts->tv_sec += us / 1000000;
	ts->tv_nsec += (long)(us % 1000000) * 1000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int cmd_send(int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sockaddr_storage dst, src;
	socklen_t dst_len, src_len;
	const char *srcaddr = NULL, *addr;
	unsigned long count = 1, interval = 0, size = DEFAULT_SIZE, seq, v;
	unsigned short port, srcport = 0;
	struct timespec next;
	char dst_str[INET6_ADDRSTRLEN + 16];
	char *buf = NULL;
	int fd = -1, opt, err = 1;

	while ((opt = getopt(argc, argv, "+b:p:n:i:s:vh")) != -1) {
		switch (opt) {
		case 'b':
			srcaddr = optarg;
			break;
		case 'p':
			if (parse_port(optarg, &srcport))
				return 2;
			break;
		case 'n':
			if (parse_ulong(optarg, ULONG_MAX, &count)) {
				pr_err("invalid count '%s'", optarg);
				return 2;
			}
			break;
		case 'i':
			if (parse_ulong(optarg, 60000000, &interval)) {
				pr_err("invalid interval '%s': microseconds, at most 60000000",
				       optarg);
				return 2;
			}
			break;
		case 's':
			if (parse_ulong(optarg, MAX_SIZE, &v)) {
				pr_err("invalid size '%s': bytes, at most %d",
				       optarg, MAX_SIZE);
				return 2;
			}
			size = v;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		pr_err("send: expected ADDR PORT");
		usage(stderr);
		return 2;
	}
	addr = argv[optind];
	if (parse_port(argv[optind + 1], &port) ||
	    make_sockaddr(addr, port, &dst, &dst_len))
		return 2;
	snprintf(dst_str, sizeof(dst_str), "%s", addr_port_str(addr, port));
	if (srcaddr) {
		if (make_sockaddr(srcaddr, srcport, &src, &src_len))
			return 2;
		if (src.ss_family != dst.ss_family) {
			pr_err("source %s and destination %s are not of the same address family",
			       srcaddr, dst_str);
			return 2;
		}
	} else if (srcport) {
		pr_err("-p needs -b SRCADDR");
		return 2;
	}
	if (catch_signals(sigs, sizeof(sigs) / sizeof(sigs[0])))
		return 1;

	buf = malloc(size + 1);
	if (!buf) {
		pr_err("out of memory");
		return 1;
	}
	fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pr_err("socket for %s: %s", dst_str, strerror(errno));
		goto out;
	}
	if (srcaddr && bind(fd, (struct sockaddr *)&src, src_len)) {
		pr_err("cannot bind UDP %s: %s",
		       addr_port_str(srcaddr, srcport), strerror(errno));
		goto out;
	}

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (seq = 0; (!count || seq < count) && !stop_signal; seq++) {
		int len;

		if (interval && seq) {
			struct timespec now;

			timespec_add_us(&next, interval);
			clock_gettime(CLOCK_MONOTONIC, &now);
			/* Far behind (stopped, descheduled): do not catch up
			 * with a burst, start the schedule again from now. */
			if (timespec_before(&next, &now)) {
				struct timespec late = next;

				timespec_add_us(&late, interval);
				if (timespec_before(&late, &now))
					next = now;
			}
			if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					    &next, NULL) == EINTR &&
			    stop_signal)
				break;
		}
		len = snprintf(buf, size + 1, PAYLOAD_MAGIC "%lu\n", seq);
		if ((unsigned long)len < size)
			memset(buf + len, '.', size - len);
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&dst, dst_len) <
		    0) {
			if (errno == EINTR) {
				seq--;
				continue;
			}
			pr_err("send to %s%s%s failed after %lu datagrams: %s",
			       dst_str, srcaddr ? " from " : "",
			       srcaddr ? srcaddr : "", seq, strerror(errno));
			goto out;
		}
	}
	pr_info("sent %lu datagrams of %lu bytes to %s", seq, size, dst_str);
	printf("sent %lu\n", seq);
	if (fflush(stdout) || ferror(stdout)) {
		pr_err("write error on standard output");
		goto out;
	}
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "recv") || !strcmp(argv[1], "send")) {
		/* getopt sees "udpcount recv ..." as its argv. */
		optind = 1;
		return argv[1][0] == 'r' ? cmd_recv(argc - 1, argv + 1)
					 : cmd_send(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	pr_err("unknown mode '%s': expected recv or send", argv[1]);
	usage(stderr);
	return 2;
}
