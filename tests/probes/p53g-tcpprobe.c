// SPDX-License-Identifier: GPL-2.0
/*
 * p53g-tcpprobe: one non-blocking TCP connect, to check that port53guard
 * leaves TCP (DNS over TCP included) alone.
 *
 * Output, one line:
 *   connected          the handshake completed
 *   refused            ECONNREFUSED: a RST came back (note: an ICMP port
 *                      unreachable for the SYN also gives ECONNREFUSED)
 *   timeout            nothing within TIMEOUT_MS
 *   error errno=NAME   any other failure of the connect itself, e.g.
 *                      EHOSTUNREACH, ENETUNREACH
 */
#include <poll.h>
#include <unistd.h>

#include "p53g-common.h"

#define USAGE "[-6] [-p PORT] [-t TIMEOUT_MS] ADDR"

struct opts {
	int family;
	int port;
	int timeout_ms;
	const char *addr;
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .family = AF_INET, .port = 53, .timeout_ms = 1000 };
	while ((c = getopt(argc, argv, "6p:t:h")) != -1) {
		switch (c) {
		case '6':
			o->family = AF_INET6;
			break;
		case 'p':
			o->port = p53g_opt_num(USAGE, "port", optarg, 1, 65535);
			break;
		case 't':
			o->timeout_ms = p53g_opt_num(USAGE, "timeout", optarg,
						     1, 3600000);
			break;
		default:
			p53g_die_usage(USAGE, NULL);
		}
	}
	if (optind != argc - 1)
		p53g_die_usage(USAGE, "need exactly one ADDR");
	o->addr = argv[optind];
}

static const char *errno_name(int err)
{
	static char buf[16];

	switch (err) {
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case ENETUNREACH:
		return "ENETUNREACH";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case EPROTO:
		return "EPROTO";
	case ECONNRESET:
		return "ECONNRESET";
	case EADDRNOTAVAIL:
		return "EADDRNOTAVAIL";
	default:
		snprintf(buf, sizeof(buf), "%d", err);
		return buf;
	}
}

/* Print the outcome of a connect that finished with @err (0: success). */
static void report(int err)
{
	if (!err)
		p53g_line("connected");
	else if (err == ECONNREFUSED)
		p53g_line("refused");
	else if (err == ETIMEDOUT)
		p53g_line("timeout");
	else
		p53g_line("error errno=%s", errno_name(err));
}

/* Wait for the connect in progress on @fd; returns its errno, or -1. */
static int wait_connect(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	long long deadline = p53g_now_ms() + timeout_ms;
	socklen_t len = sizeof(int);
	int n, err;

	do {
		n = poll(&pfd, 1, p53g_left_ms(deadline));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		p53g_die_sys("poll");
	if (n == 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		p53g_die_sys("getsockopt(SO_ERROR)");
	return err;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage dst;
	socklen_t dlen;
	struct opts o;
	int fd, err;

	p53g_prog = "p53g-tcpprobe";
	parse_opts(argc, argv, &o);
	dlen = p53g_parse_addr(o.family, o.addr, o.port, NULL, &dst);
	if (!dlen)
		p53g_bad_addr(USAGE, o.family, o.addr);

	fd = socket(o.family, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	if (fd < 0)
		p53g_die_sys("socket(SOCK_STREAM)");
	if (connect(fd, (struct sockaddr *)&dst, dlen) == 0)
		err = 0;
	else if (errno == EINPROGRESS)
		err = wait_connect(fd, o.timeout_ms);
	else
		err = errno;

	if (err < 0)
		p53g_line("timeout");
	else
		report(err);
	close(fd);
	return P53G_EXIT_RAN;
}
