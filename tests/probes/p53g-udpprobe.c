// SPDX-License-Identifier: GPL-2.0
/*
 * p53g-udpprobe: send small DNS queries over UDP and report what came back.
 *
 * For each datagram port53guard should make the receiver answer with an
 * ICMP (or ICMPv6) port unreachable. Two independent witnesses look for
 * that error:
 *   - a raw ICMP/ICMPv6 socket, matching the error to our datagram by the
 *     embedded original IP + UDP header (and the DNS id when present);
 *   - the UDP socket's error queue (IP_RECVERR / IPV6_RECVERR).
 *
 * Output, one line per datagram, then a summary:
 *   icmp type=T code=C embedded_dport=P errqueue_type=T errqueue_code=C
 *        errqueue_origin=O
 *       (one line; printed when either witness saw an error for this
 *        datagram; a field the other witness did not see reads "none";
 *        O is icmp, icmp6 or none)
 *   reply bytes=N
 *   timeout
 *   sent=N icmp=N replies=N timeouts=N
 *
 * -L sends UDP-Lite (RFC 3828, full checksum coverage) instead of UDP;
 * -R sends a DNS response (QR set) instead of a query.
 *
 * Datagrams go out one at a time: the next is sent once the previous one
 * has its answer or has timed out. Off loopback the receiving kernel rate
 * limits ICMP errors per peer (a burst of about 6, then one a second), so
 * a long -n run against a real interface shows timeouts after the burst.
 */
#include <time.h>		/* struct timespec, for linux/errqueue.h */
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include "p53g-common.h"

#define USAGE "[-6] [-L] [-R] [-p PORT] [-s SRCPORT] [-t TIMEOUT_MS] " \
	      "[-n COUNT] [-I IFNAME] ADDR"

/* Once one witness has seen the error, wait this long for the other. */
#define GRACE_MS	200

#define ICMP4_DEST_UNREACH	3
#ifndef ICMP_FILTER
#define ICMP_FILTER		1	/* SOL_RAW option, linux/icmp.h */
#endif
#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE		136
#endif

struct opts {
	int family;
	int port;
	int sport;
	int timeout_ms;
	int count;
	int proto;
	int response;
	const char *ifname;
	const char *addr;
};

/* Everything about the datagram in flight; -1 means "not seen". */
struct result {
	uint16_t id;
	int icmp_type;
	int icmp_code;
	int icmp_dport;
	int eq_type;
	int eq_code;
	int eq_origin;
	int reply_bytes;
};

struct probe {
	struct opts o;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	int udp_fd;
	int raw_fd;
	int sport;	/* actual local port, host order */
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .family = AF_INET, .port = 53, .timeout_ms = 1000,
			    .count = 1, .proto = IPPROTO_UDP };
	while ((c = getopt(argc, argv, "6LRp:s:t:n:I:h")) != -1) {
		switch (c) {
		case '6':
			o->family = AF_INET6;
			break;
		case 'L':
			o->proto = IPPROTO_UDPLITE;
			break;
		case 'R':
			o->response = 1;
			break;
		case 'p':
			o->port = p53g_opt_num(USAGE, "port", optarg, 1, 65535);
			break;
		case 's':
			o->sport = p53g_opt_num(USAGE, "source port", optarg,
						0, 65535);
			break;
		case 't':
			o->timeout_ms = p53g_opt_num(USAGE, "timeout", optarg,
						     1, 3600000);
			break;
		case 'n':
			o->count = p53g_opt_num(USAGE, "count", optarg,
						1, 100000);
			break;
		case 'I':
			o->ifname = p53g_opt_ifname(USAGE, optarg);
			break;
		default:
			p53g_die_usage(USAGE, NULL);
		}
	}
	if (optind != argc - 1)
		p53g_die_usage(USAGE, "need exactly one ADDR");
	o->addr = argv[optind];
}

/*
 * A minimal DNS query: id, RD set, one question "example.test IN A"; as a
 * response (@response), the same with QR and RA set and no answer.
 */
static size_t build_query(unsigned char *buf, uint16_t id, int response)
{
	static const unsigned char tail[] = {
		0x01, 0x00,		/* flags: standard query, RD */
		0x00, 0x01,		/* QDCOUNT */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* AN, NS, AR */
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		4, 't', 'e', 's', 't',
		0,
		0x00, 0x01,		/* QTYPE A */
		0x00, 0x01,		/* QCLASS IN */
	};

	buf[0] = id >> 8;
	buf[1] = id & 0xff;
	memcpy(buf + 2, tail, sizeof(tail));
	if (response) {
		buf[2] |= 0x80;		/* QR */
		buf[3] |= 0x80;		/* RA */
	}
	return 2 + sizeof(tail);
}

static void bind_to_device(int fd, const char *ifname)
{
	if (ifname && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
				 strlen(ifname) + 1) < 0)
		p53g_die_sys("setsockopt(SO_BINDTODEVICE)");
}

/* Raw ICMP socket that only passes destination-unreachable messages. */
static int open_raw(const struct opts *o)
{
	int fd;

	if (o->family == AF_INET) {
		uint32_t block = ~(1U << ICMP4_DEST_UNREACH);

		fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
		if (fd < 0)
			p53g_die_sys("socket(AF_INET, SOCK_RAW, ICMP)");
		if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &block,
			       sizeof(block)) < 0)
			p53g_die_sys("setsockopt(ICMP_FILTER)");
	} else {
		struct icmp6_filter filt;

		fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMPV6);
		if (fd < 0)
			p53g_die_sys("socket(AF_INET6, SOCK_RAW, ICMPV6)");
		ICMP6_FILTER_SETBLOCKALL(&filt);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filt);
		if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt,
			       sizeof(filt)) < 0)
			p53g_die_sys("setsockopt(ICMP6_FILTER)");
	}
	bind_to_device(fd, o->ifname);
	return fd;
}

/* UDP socket with the error queue enabled, bound to SRCPORT (0: any). */
static int open_udp(const struct opts *o, int *sport)
{
	struct sockaddr_storage ss;
	const char *any;
	socklen_t len;
	int one = 1;
	int fd;

	fd = socket(o->family, SOCK_DGRAM | SOCK_NONBLOCK, o->proto);
	if (fd < 0)
		p53g_die_sys(o->proto == IPPROTO_UDP ? "socket(SOCK_DGRAM)" :
			     "socket(SOCK_DGRAM, IPPROTO_UDPLITE)");
	if (o->family == AF_INET) {
		if (setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one)) < 0)
			p53g_die_sys("setsockopt(IP_RECVERR)");
	} else {
		if (setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one,
			       sizeof(one)) < 0)
			p53g_die_sys("setsockopt(IPV6_RECVERR)");
	}
	bind_to_device(fd, o->ifname);

	any = o->family == AF_INET ? "0.0.0.0" : "::";
	len = p53g_parse_addr(o->family, any, o->sport, NULL, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		p53g_die_sys("bind");
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		p53g_die_sys("getsockname");
	*sport = p53g_port(&ss);
	return fd;
}

/* Does @udp (with @len bytes after it) carry our ports and DNS id? */
static int udp_is_ours(const struct probe *p, const unsigned char *udp,
		       size_t len, uint16_t id)
{
	const struct udphdr *uh = (const struct udphdr *)udp;

	if (len < sizeof(*uh))
		return 0;
	if (ntohs(uh->source) != p->sport || ntohs(uh->dest) != p->o.port)
		return 0;
	/* The DNS id is only there if the sender quoted enough of us. */
	if (len >= sizeof(*uh) + 2 &&
	    ((udp[8] << 8) | udp[9]) != id)
		return 0;
	return 1;
}

/* IPv4: outer IP header, ICMP header, quoted IP header, quoted UDP. */
static int match_icmp4(const struct probe *p, const unsigned char *buf,
		       size_t n, struct result *r)
{
	const struct sockaddr_in *dst = (const struct sockaddr_in *)&p->dst;
	const struct iphdr *outer = (const struct iphdr *)buf;
	const struct iphdr *inner;
	const unsigned char *udp;
	size_t off, ilen;

	if (n < sizeof(*outer) || outer->ihl < 5)
		return 0;
	off = outer->ihl * 4;
	if (n < off + 8 + sizeof(*inner) || buf[off] != ICMP4_DEST_UNREACH)
		return 0;
	inner = (const struct iphdr *)(buf + off + 8);
	ilen = inner->ihl * 4;
	if (inner->version != 4 || inner->ihl < 5 ||
	    inner->protocol != p->o.proto ||
	    inner->daddr != dst->sin_addr.s_addr ||
	    n < off + 8 + ilen)
		return 0;
	udp = buf + off + 8 + ilen;
	if (!udp_is_ours(p, udp, n - off - 8 - ilen, r->id))
		return 0;
	r->icmp_type = buf[off];
	r->icmp_code = buf[off + 1];
	r->icmp_dport = (udp[2] << 8) | udp[3];
	return 1;
}

/* IPv6: raw sockets get no outer header; ICMPv6 header, quoted IPv6, UDP. */
static int match_icmp6(const struct probe *p, const unsigned char *buf,
		       size_t n, struct result *r)
{
	const struct sockaddr_in6 *dst = (const struct sockaddr_in6 *)&p->dst;
	const struct ip6_hdr *inner;
	size_t off = sizeof(struct icmp6_hdr);

	if (n < off + sizeof(*inner) || buf[0] != ICMP6_DST_UNREACH)
		return 0;
	inner = (const struct ip6_hdr *)(buf + off);
	if ((inner->ip6_vfc >> 4) != 6 || inner->ip6_nxt != p->o.proto ||
	    memcmp(&inner->ip6_dst, &dst->sin6_addr, sizeof(dst->sin6_addr)))
		return 0;
	off += sizeof(*inner);
	if (!udp_is_ours(p, buf + off, n - off, r->id))
		return 0;
	r->icmp_type = buf[0];
	r->icmp_code = buf[1];
	r->icmp_dport = (buf[off + 2] << 8) | buf[off + 3];
	return 1;
}

/* Read everything queued on the raw socket; record a match in @r. */
static void read_raw(const struct probe *p, struct result *r)
{
	unsigned char buf[2048];
	ssize_t n;

	while ((n = recv(p->raw_fd, buf, sizeof(buf), 0)) >= 0) {
		if (!r || r->icmp_type >= 0)
			continue;
		if (p->o.family == AF_INET)
			match_icmp4(p, buf, n, r);
		else
			match_icmp6(p, buf, n, r);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		p53g_die_sys("recv(raw)");
}

/* Pick the sock_extended_err out of an error-queue message. */
static const struct sock_extended_err *find_ee(struct msghdr *msg)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if ((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
		    (cm->cmsg_level == SOL_IPV6 &&
		     cm->cmsg_type == IPV6_RECVERR))
			return (const struct sock_extended_err *)CMSG_DATA(cm);
	}
	return NULL;
}

/*
 * Drain the UDP error queue. The data of each entry is the payload of
 * the datagram that caused it, so the DNS id ties it to ours.
 */
static void read_errqueue(const struct probe *p, struct result *r)
{
	const struct sock_extended_err *ee;
	unsigned char data[512], ctl[512];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg;
	ssize_t n;

	for (;;) {
		msg = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
				       .msg_control = ctl,
				       .msg_controllen = sizeof(ctl) };
		n = recvmsg(p->udp_fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0)
			break;
		ee = find_ee(&msg);
		if (!r || r->eq_type >= 0 || !ee)
			continue;
		if (ee->ee_origin != SO_EE_ORIGIN_ICMP &&
		    ee->ee_origin != SO_EE_ORIGIN_ICMP6)
			continue;
		if (n >= 2 && ((data[0] << 8) | data[1]) != r->id)
			continue;
		r->eq_type = ee->ee_type;
		r->eq_code = ee->ee_code;
		r->eq_origin = ee->ee_origin;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		p53g_die_sys("recvmsg(MSG_ERRQUEUE)");
}

static int same_peer(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;

	if (a->ss_family != b->ss_family || p53g_port(a) != p53g_port(b))
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
}

/* Read UDP answers; one from ADDR:PORT carrying our DNS id counts. */
static void read_reply(const struct probe *p, struct result *r)
{
	struct sockaddr_storage from;
	unsigned char buf[65536];
	socklen_t flen;
	ssize_t n;

	for (;;) {
		flen = sizeof(from);
		n = recvfrom(p->udp_fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);
		if (n < 0) {
			/* A pending ICMP error is reported here once. */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNREFUSED ||
			    errno == EHOSTUNREACH || errno == ENETUNREACH ||
			    errno == EPROTO || errno == EACCES)
				continue;
			p53g_die_sys("recvfrom");
		}
		if (!r || r->reply_bytes >= 0 || !same_peer(&from, &p->dst))
			continue;
		if (n >= 2 && ((buf[0] << 8) | buf[1]) != r->id)
			continue;
		r->reply_bytes = n;
	}
}

/* Throw away anything left over from an earlier datagram. */
static void drain(const struct probe *p)
{
	int err;
	socklen_t len = sizeof(err);

	read_raw(p, NULL);
	read_errqueue(p, NULL);
	read_reply(p, NULL);
	getsockopt(p->udp_fd, SOL_SOCKET, SO_ERROR, &err, &len);
}

static void send_query(const struct probe *p, uint16_t id)
{
	unsigned char q[64];
	size_t len = build_query(q, id, p->o.response);

	if (sendto(p->udp_fd, q, len, 0, (const struct sockaddr *)&p->dst,
		   p->dst_len) < 0)
		p53g_die_sys("sendto");
}

/* Wait for a reply, or both ICMP witnesses, or the timeout. */
static void wait_result(const struct probe *p, struct result *r)
{
	long long deadline = p53g_now_ms() + p->o.timeout_ms;
	long long until = deadline;
	struct pollfd pfd[2] = {
		{ .fd = p->raw_fd, .events = POLLIN },
		{ .fd = p->udp_fd, .events = POLLIN },
	};
	int n;

	for (;;) {
		n = poll(pfd, 2, p53g_left_ms(until));
		if (n < 0 && errno != EINTR)
			p53g_die_sys("poll");
		if (n == 0)
			return;
		read_raw(p, r);
		read_errqueue(p, r);
		read_reply(p, r);
		if (r->reply_bytes >= 0)
			return;
		if (r->icmp_type >= 0 && r->eq_type >= 0)
			return;
		/* One witness is in: give the other a short grace. */
		if (until == deadline &&
		    (r->icmp_type >= 0 || r->eq_type >= 0)) {
			until = p53g_now_ms() + GRACE_MS;
			if (until > deadline)
				until = deadline;
		}
	}
}

static const char *num_or_none(int v, char *buf, size_t len)
{
	if (v < 0)
		return "none";
	snprintf(buf, len, "%d", v);
	return buf;
}

static const char *origin_name(int origin)
{
	switch (origin) {
	case SO_EE_ORIGIN_ICMP:
		return "icmp";
	case SO_EE_ORIGIN_ICMP6:
		return "icmp6";
	default:
		return "none";
	}
}

static void print_icmp(const struct result *r)
{
	char t[12], c[12], d[12], et[12], ec[12];

	p53g_line("icmp type=%s code=%s embedded_dport=%s errqueue_type=%s "
		  "errqueue_code=%s errqueue_origin=%s",
		  num_or_none(r->icmp_type, t, sizeof(t)),
		  num_or_none(r->icmp_code, c, sizeof(c)),
		  num_or_none(r->icmp_dport, d, sizeof(d)),
		  num_or_none(r->eq_type, et, sizeof(et)),
		  num_or_none(r->eq_code, ec, sizeof(ec)),
		  origin_name(r->eq_origin));
}

int main(int argc, char **argv)
{
	int sent = 0, icmp = 0, replies = 0, timeouts = 0;
	struct probe p = { 0 };
	uint16_t base;
	int i;

	p53g_prog = "p53g-udpprobe";
	parse_opts(argc, argv, &p.o);
	p.dst_len = p53g_parse_addr(p.o.family, p.o.addr, p.o.port,
				    p.o.ifname, &p.dst);
	if (!p.dst_len)
		p53g_bad_addr(USAGE, p.o.family, p.o.addr);

	/* Raw socket first, so no error can arrive before it exists. */
	p.raw_fd = open_raw(&p.o);
	p.udp_fd = open_udp(&p.o, &p.sport);
	base = (uint16_t)(getpid() ^ p53g_now_ms());

	for (i = 0; i < p.o.count; i++) {
		struct result r = { .id = (uint16_t)(base + i),
				    .icmp_type = -1, .icmp_code = -1,
				    .icmp_dport = -1, .eq_type = -1,
				    .eq_code = -1, .eq_origin = -1,
				    .reply_bytes = -1 };

		drain(&p);
		send_query(&p, r.id);
		sent++;
		wait_result(&p, &r);
		if (r.reply_bytes >= 0) {
			replies++;
			p53g_line("reply bytes=%d", r.reply_bytes);
		} else if (r.icmp_type >= 0 || r.eq_type >= 0) {
			icmp++;
			print_icmp(&r);
		} else {
			timeouts++;
			p53g_line("timeout");
		}
	}
	p53g_line("sent=%d icmp=%d replies=%d timeouts=%d",
		  sent, icmp, replies, timeouts);
	return P53G_EXIT_RAN;
}
