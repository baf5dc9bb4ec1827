// SPDX-License-Identifier: GPL-2.0
/*
 * p53g-listen: a UDP listener that counts datagrams, optionally echoing
 * them back, so tests can tell whether traffic to a port got through
 * port53guard (and play a trivial DNS-ish responder with -r: the echo of
 * a datagram that holds a whole 12-byte DNS header has QR set, so it is a
 * response).
 *
 * Output (each line flushed at once, so a redirected stdout is usable
 * while it runs):
 *   ready                            once the socket is bound
 *   datagram bytes=N from=ADDR port=P    per datagram, only with -v
 *   received=N                       on exit
 *
 * It exits when TIMEOUT_MS pass with no datagram, after MAX datagrams
 * (-c), or on SIGTERM/SIGINT; all three print received=N and exit 0.
 *
 * -L listens for UDP-Lite instead of UDP. -S ADDR:PORT (IPv6: [ADDR]:PORT)
 * first sends one datagram from the bound socket to ADDR:PORT, so the
 * listener's own port starts a flow (a resolver sending from port 53).
 * -I DEVICE binds the socket to a device (SO_BINDTODEVICE): a VRF's
 * listener binds to the VRF.
 */
#define _GNU_SOURCE	/* ppoll() */
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "p53g-common.h"

#define USAGE "[-6] [-L] [-p PORT] [-t TIMEOUT_MS] [-r] [-c MAX] [-a ADDR] " \
	      "[-S ADDR:PORT] [-I DEVICE] [-v]"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE		136
#endif

struct opts {
	int family;
	int port;
	int timeout_ms;
	int echo;
	int verbose;
	long max;
	int proto;
	const char *addr;
	const char *send_to;
	const char *ifname;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .family = AF_INET, .port = 53, .timeout_ms = 5000,
			    .proto = IPPROTO_UDP };
	while ((c = getopt(argc, argv, "6Lp:t:rc:a:S:I:vh")) != -1) {
		switch (c) {
		case '6':
			o->family = AF_INET6;
			break;
		case 'L':
			o->proto = IPPROTO_UDPLITE;
			break;
		case 'S':
			o->send_to = optarg;
			break;
		case 'p':
			o->port = p53g_opt_num(USAGE, "port", optarg, 1, 65535);
			break;
		case 't':
			o->timeout_ms = p53g_opt_num(USAGE, "timeout", optarg,
						     1, 86400000);
			break;
		case 'r':
			o->echo = 1;
			break;
		case 'c':
			o->max = p53g_opt_num(USAGE, "count", optarg,
					      1, 1000000000);
			break;
		case 'a':
			o->addr = optarg;
			break;
		case 'I':
			o->ifname = p53g_opt_ifname(USAGE, optarg);
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			p53g_die_usage(USAGE, NULL);
		}
	}
	if (optind != argc)
		p53g_die_usage(USAGE, "unexpected argument '%s'", argv[optind]);
	if (!o->addr)
		o->addr = o->family == AF_INET ? "0.0.0.0" : "::";
}

static int open_listener(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	int fd;

	len = p53g_parse_addr(o->family, o->addr, o->port, NULL, &ss);
	if (!len)
		p53g_bad_addr(USAGE, o->family, o->addr);
	fd = socket(o->family, SOCK_DGRAM, o->proto);
	if (fd < 0)
		p53g_die_sys("socket(SOCK_DGRAM)");
	if (o->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		p53g_die_sys("setsockopt(IPV6_V6ONLY)");
	if (o->ifname && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->ifname,
				    strlen(o->ifname) + 1) < 0)
		p53g_die_sys("setsockopt(SO_BINDTODEVICE)");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		p53g_die_sys("bind");
	return fd;
}

/* -S ADDR:PORT: one datagram from the listening socket. */
static void send_first(const struct opts *o, int fd)
{
	static const unsigned char hello[] = "p53g-listen";
	char addr[INET6_ADDRSTRLEN + 2], *colon;
	struct sockaddr_storage ss;
	socklen_t len;
	int port;

	if (strlen(o->send_to) >= sizeof(addr))
		p53g_die_usage(USAGE, "bad -S '%s'", o->send_to);
	strcpy(addr, o->send_to);
	colon = strrchr(addr, ':');
	if (!colon)
		p53g_die_usage(USAGE, "-S needs ADDR:PORT");
	*colon = '\0';
	port = p53g_opt_num(USAGE, "-S port", colon + 1, 1, 65535);
	if (addr[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(addr, addr + 1, strlen(addr));
	}
	len = p53g_parse_addr(o->family, addr, port, NULL, &ss);
	if (!len)
		p53g_bad_addr(USAGE, o->family, addr);
	if (sendto(fd, hello, sizeof(hello) - 1, 0, (struct sockaddr *)&ss,
		   len) < 0)
		p53g_die_sys("sendto(-S)");
}

/*
 * SIGTERM/SIGINT stay blocked except inside ppoll(), so a signal can
 * never slip in between the check of @stop and the wait. @waitmask is
 * the mask to wait with.
 */
static void catch_signals(sigset_t *waitmask)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0)
		p53g_die_sys("sigaction");
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (sigprocmask(SIG_BLOCK, &block, waitmask) < 0)
		p53g_die_sys("sigprocmask");
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
}

/* ppoll() for up to @ms milliseconds with @waitmask. */
static int wait_readable(struct pollfd *pfd, int ms, const sigset_t *waitmask)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return ppoll(pfd, 1, &ts, waitmask);
}

/* Receive one datagram; echo it with -r. Returns 1 if one was read. */
static int handle_one(const struct opts *o, int fd)
{
	struct sockaddr_storage from;
	static unsigned char buf[65536];
	socklen_t flen = sizeof(from);
	char abuf[INET6_ADDRSTRLEN];
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		     (struct sockaddr *)&from, &flen);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		p53g_die_sys("recvfrom");
	}
	if (o->verbose)
		p53g_line("datagram bytes=%zd from=%s port=%d", n,
			  p53g_ntop(&from, abuf, sizeof(abuf)),
			  p53g_port(&from));
	if (o->echo && n >= 12)
		buf[2] |= 0x80;
	if (o->echo && sendto(fd, buf, n, 0, (struct sockaddr *)&from,
			      flen) < 0)
		p53g_die_sys("sendto");
	return 1;
}

int main(int argc, char **argv)
{
	struct pollfd pfd = { .events = POLLIN };
	long long deadline;
	long received = 0;
	sigset_t waitmask;
	struct opts o;
	int n;

	p53g_prog = "p53g-listen";
	parse_opts(argc, argv, &o);
	catch_signals(&waitmask);
	pfd.fd = open_listener(&o);
	if (o.send_to)
		send_first(&o, pfd.fd);
	p53g_line("ready");

	deadline = p53g_now_ms() + o.timeout_ms;
	while (!stop && (!o.max || received < o.max)) {
		n = wait_readable(&pfd, p53g_left_ms(deadline), &waitmask);
		if (n < 0 && errno != EINTR)
			p53g_die_sys("ppoll");
		if (n == 0)
			break;
		if (n > 0 && handle_one(&o, pfd.fd)) {
			received++;
			deadline = p53g_now_ms() + o.timeout_ms;
		}
	}
	p53g_line("received=%ld", received);
	return P53G_EXIT_RAN;
}
