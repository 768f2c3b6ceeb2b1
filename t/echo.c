// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * echo - request and response over real sockets, for the reply-path tests.
 *
 *   echo serve [-r READYFILE] [-T LIMIT] udp|tcp ADDR PORT...
 *	Listen on ADDR:PORT for each PORT (ADDR may be IPv4 or IPv6) and
 *	answer every datagram, or the first read of every connection, with
 *	"PORT " and what was read, so that the client learns which backend
 *	answered.  READYFILE is created once every socket listens.  Runs
 *	until SIGTERM or SIGINT, or for LIMIT seconds.
 *
 *   echo ask [-t TIMEOUT] udp|tcp ADDR PORT MESSAGE
 *	Send MESSAGE from a connected socket (so a UDP answer counts only if
 *	it comes from ADDR:PORT, exactly as an application sees it) and print
 *	the answer.  Exit 1 when none comes within TIMEOUT seconds (default
 *	2) or on an error.
 *
 * Exit status: 0 done, 1 error or no answer, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fputs("usage: echo serve [-r READYFILE] [-T LIMIT] udp|tcp ADDR PORT...\n"
	      "       echo ask [-t TIMEOUT] udp|tcp ADDR PORT MESSAGE\n",
	      stderr);
	return 2;
}

/* ADDR:PORT as a socket address of either family. */
static int resolve(const char *addr, const char *port, int type,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = type,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int err = getaddrinfo(addr, port, &hints, &ai);

	if (err) {
		fprintf(stderr, "echo: %s port %s: %s\n", addr, port,
			gai_strerror(err));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int serve(int argc, char **argv)
{
	struct pollfd pfd[MAX_PORTS];
	const char *ready = NULL, *ports[MAX_PORTS];
	double limit = 0;
	int type, n = 0, i, c;
	time_t start = time(NULL);

	while ((c = getopt(argc, argv, "r:T:")) != -1) {
		if (c == 'r')
			ready = optarg;
		else if (c == 'T')
			limit = atof(optarg);
		else
			return usage();
	}
	if (argc - optind < 3 || argc - optind - 2 > MAX_PORTS)
		return usage();
	type = !strcmp(argv[optind], "tcp") ? SOCK_STREAM : SOCK_DGRAM;
	for (i = optind + 2; i < argc; i++, n++) {
		struct sockaddr_storage ss;
		socklen_t len;
		int one = 1, fd;

		if (resolve(argv[optind + 1], argv[i], type, &ss, &len))
			return 1;
		fd = socket(ss.ss_family, type, 0);
		if (fd < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
			       sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&ss, len) ||
		    (type == SOCK_STREAM && listen(fd, 64))) {
			fprintf(stderr, "echo: cannot listen on %s port %s: %s\n",
				argv[optind + 1], argv[i], strerror(errno));
			return 1;
		}
		pfd[n].fd = fd;
		pfd[n].events = POLLIN;
		ports[n] = argv[i];
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0) {
			fprintf(stderr, "echo: cannot create %s: %s\n", ready,
				strerror(errno));
			return 1;
		}
		close(fd);
	}
	while (!stop && (!limit || difftime(time(NULL), start) < limit)) {
		if (poll(pfd, (nfds_t)n, 200) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			char in[1024], out[1100];
			ssize_t r;
			int cfd;

			if (!(pfd[i].revents & POLLIN))
				continue;
			if (type == SOCK_DGRAM) {
				r = recvfrom(pfd[i].fd, in, sizeof(in) - 1, 0,
					     (struct sockaddr *)&from, &flen);
				if (r < 0)
					continue;
				in[r] = '\0';
				snprintf(out, sizeof(out), "%s %s", ports[i],
					 in);
				sendto(pfd[i].fd, out, strlen(out), 0,
				       (struct sockaddr *)&from, flen);
				continue;
			}
			cfd = accept(pfd[i].fd, NULL, NULL);
			if (cfd < 0)
				continue;
			r = read(cfd, in, sizeof(in) - 1);
			if (r > 0) {
				in[r] = '\0';
				snprintf(out, sizeof(out), "%s %s", ports[i],
					 in);
				if (write(cfd, out, strlen(out)) < 0)
					perror("echo: write");
			}
			close(cfd);
		}
	}
	for (i = 0; i < n; i++)
		close(pfd[i].fd);
	return 0;
}

static int ask(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct timeval tv = { 2, 0 };
	double timeout = 2;
	socklen_t len;
	char buf[1100];
	ssize_t r;
	int type, fd, c;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c == 't')
			timeout = atof(optarg);
		else
			return usage();
	}
	if (argc - optind != 4)
		return usage();
	type = !strcmp(argv[optind], "tcp") ? SOCK_STREAM : SOCK_DGRAM;
	if (resolve(argv[optind + 1], argv[optind + 2], type, &ss, &len))
		return 1;
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	fd = socket(ss.ss_family, type, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&ss, len)) {
		fprintf(stderr, "echo: cannot reach %s port %s: %s\n",
			argv[optind + 1], argv[optind + 2], strerror(errno));
		return 1;
	}
	if (write(fd, argv[optind + 3], strlen(argv[optind + 3])) < 0) {
		fprintf(stderr, "echo: cannot send to %s port %s: %s\n",
			argv[optind + 1], argv[optind + 2], strerror(errno));
		return 1;
	}
	r = read(fd, buf, sizeof(buf) - 1);
	if (r <= 0) {
		fprintf(stderr, "echo: no answer from %s port %s: %s\n",
			argv[optind + 1], argv[optind + 2],
			r < 0 ? strerror(errno) : "connection closed");
		return 1;
	}
	buf[r] = '\0';
	printf("%s\n", buf);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "serve"))
		return serve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ask"))
		return ask(argc - 1, argv + 1);
	return usage();
}
