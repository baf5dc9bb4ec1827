// SPDX-License-Identifier: GPL-2.0
/*
 * p53g-flood: the benchmark's userspace traffic, static, for the guest.
 *
 *   p53g-flood send ADDR PORT SECS   sendmmsg() 60-byte frames (18 bytes of
 *                                    UDP payload) to ADDR:PORT for SECS
 *                                    seconds; prints "sent=N secs=S"
 *   p53g-flood drain PORT            bind 0.0.0.0:PORT and empty the socket
 *                                    with recvmmsg() until SIGTERM; prints
 *                                    "ready", then "received=N" at the end
 *
 * The sender never connects its socket, so ICMP errors from the target
 * do not come back to it as send errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PAYLOAD 18	/* 14 Ethernet + 20 IPv4 + 8 UDP + 18 = 60 bytes */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int flood(const char *addr, int port, double secs)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char payload[PAYLOAD];
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { payload, sizeof(payload) };
	unsigned long long sent = 0;
	double t0, end;
	int fd, i, n;

	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		fprintf(stderr, "p53g-flood: bad address %s\n", addr);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("p53g-flood: socket");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	end = t0 + secs;
	while (!stop) {
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0)
			sent += n;
		else if (n < 0 && errno != ENOBUFS && errno != EAGAIN &&
			 errno != ECONNREFUSED && errno != EINTR) {
			perror("p53g-flood: sendmmsg");
			return 1;
		}
		if (now() >= end)
			break;
	}
	printf("sent=%llu secs=%.3f\n", sent, now() - t0);
	return 0;
}

static int drain(int port)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char bufs[BATCH][64];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	unsigned long long got = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	int fd, i, n, rcvbuf = 4 << 20;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("p53g-flood: drain socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		n = recvmmsg(fd, msgs, BATCH, 0, NULL);
		if (n > 0)
			got += n;
		else if (n < 0 && errno != EINTR) {
			perror("p53g-flood: recvmmsg");
			return 1;
		}
	}
	printf("received=%llu\n", got);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "send"))
		return flood(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "drain"))
		return drain(atoi(argv[2]));
	fprintf(stderr, "usage: p53g-flood send ADDR PORT SECS | drain PORT\n");
	return 2;
}
