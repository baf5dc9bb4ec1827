/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the port53guard test probes: option parsing,
 * address parsing, monotonic time and line output. Header-only so every
 * probe stays a single static binary built from one .c file.
 *
 * Exit codes shared by all probes: 0 the probe ran (the caller parses
 * stdout), 1 a system call failed (named on stderr), 2 usage error.
 */
#ifndef P53G_COMMON_H
#define P53G_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define P53G_EXIT_RAN	0
#define P53G_EXIT_SYS	1
#define P53G_EXIT_USAGE	2

static const char *p53g_prog = "p53g";

/* A system call failed: name it on stderr and exit 1. */
static inline void __attribute__((noreturn)) p53g_die_sys(const char *call)
{
	fprintf(stderr, "%s: %s: %s\n", p53g_prog, call, strerror(errno));
	exit(P53G_EXIT_SYS);
}

/* Bad command line: explain, print the usage line, exit 2. */
static inline void __attribute__((noreturn, format(printf, 2, 3)))
p53g_die_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", p53g_prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: %s %s\n", p53g_prog, usage);
	exit(P53G_EXIT_USAGE);
}

/* ADDR did not parse for @family: say why, exit 2. */
static inline void __attribute__((noreturn))
p53g_bad_addr(const char *usage, int family, const char *addr)
{
	if (family == AF_INET)
		p53g_die_usage(usage, "'%s' is not an IPv4 address "
			       "(use -6 for IPv6)", addr);
	p53g_die_usage(usage, "'%s' is not an IPv6 address (or bad %%scope)",
		       addr);
}

/* Print one output line and flush it, so a redirected stdout is current. */
static inline void __attribute__((format(printf, 1, 2)))
p53g_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Parse a decimal number in [min, max]; returns -1 when it is not one. */
static inline long p53g_parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

/* An option's numeric argument: parse it or exit 2 naming @what. */
static inline long p53g_opt_num(const char *usage, const char *what,
				const char *arg, long min, long max)
{
	long v = p53g_parse_num(arg, min, max);

	if (v < 0)
		p53g_die_usage(usage, "bad %s '%s' (want %ld..%ld)",
			       what, arg, min, max);
	return v;
}

/* An option's interface name: a name that fits IFNAMSIZ, or exit 2. */
static inline const char *p53g_opt_ifname(const char *usage, const char *arg)
{
	if (!*arg || strlen(arg) >= IF_NAMESIZE)
		p53g_die_usage(usage, "bad interface '%s'", arg);
	return arg;
}

/*
 * Fill @ss with ADDR:PORT for @family. An IPv6 ADDR may carry a
 * "%ifname" scope suffix; @scope_if (may be NULL) is used as the scope
 * when there is none. Returns the sockaddr length, or 0 when ADDR does
 * not parse.
 */
static inline socklen_t p53g_parse_addr(int family, const char *addr,
					int port, const char *scope_if,
					struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char *pct;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return 0;
		return sizeof(*s4);
	}

	if (strlen(addr) >= sizeof(buf))
		return 0;
	strcpy(buf, addr);
	pct = strchr(buf, '%');
	if (pct) {
		*pct = '\0';
		scope_if = pct + 1;
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) != 1)
		return 0;
	if (scope_if && *scope_if) {
		s6->sin6_scope_id = if_nametoindex(scope_if);
		if (!s6->sin6_scope_id)
			return 0;
	}
	return sizeof(*s6);
}

/* Port of an AF_INET or AF_INET6 sockaddr, host order. */
static inline int p53g_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* Text form of the address in @ss (no port), into @buf. */
static inline const char *p53g_ntop(const struct sockaddr_storage *ss,
				    char *buf, socklen_t len)
{
	const void *a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (!inet_ntop(ss->ss_family, a, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* Milliseconds on the monotonic clock. */
static inline long long p53g_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until @deadline, clamped to [0, INT_MAX] for poll(). */
static inline int p53g_left_ms(long long deadline)
{
	long long left = deadline - p53g_now_ms();

	if (left < 0)
		return 0;
	if (left > INT_MAX)
		return INT_MAX;
	return (int)left;
}

#endif /* P53G_COMMON_H */
