// SPDX-License-Identifier: GPL-2.0
/*
 * p53g-raw: hand-built IPv4/IPv6 packets for port53guard's hostile-input
 * tests, and the two witnesses that go with them.
 *
 *   p53g-raw send [-6] -I IF [-M DSTMAC] -s SRC -d DST [-p DPORT] [-q SPORT]
 *                 [-n COUNT] [-T SECONDS] [-R BITS] [-i FRAGID] CASE
 *       Write COUNT frames (or as many as fit in SECONDS) of one CASE
 *       straight onto IF with an AF_PACKET socket, Ethernet header
 *       included, so nothing in the sender's stack fixes them up.
 *       -R BITS randomises the low BITS bits of SRC per packet (a spoofed
 *       flood). A frame the veth peer's backlog refuses (ENOBUFS) is sent
 *       again, so "sent" counts frames the receiver took. Prints
 *       "sent=N seconds=S".
 *   p53g-raw watch -I IF [-t MS]
 *       Print one line per ICMP/ICMPv6 error arriving on IF (any
 *       destination address; an AF_PACKET tap sees what the IP layer
 *       would not deliver): "icmpV type=T code=C inner_sport=S
 *       inner_dport=D". Ends on SIGTERM/SIGINT or after MS with
 *       "errors=N drops=N".
 *   p53g-raw listen [-I IF] [-g GROUP]... [-t MS]
 *       UDP sockets on 0.0.0.0:53 and [::]:53 (joined to each multicast
 *       GROUP on IF): one line per datagram "datagram from=ADDR", then
 *       "received=N" on SIGTERM/SIGINT or after MS.
 *
 * CASE (what the packet to DST:DPORT is):
 *   udp       a well-formed DNS query
 *   norec     the same query with RD clear, as a resolver iterating sends
 *   iptrunc   an IP header cut short (12 of 20 / 20 of 40 bytes)
 *   udptrunc  an IP packet of protocol UDP holding 4 bytes of UDP header
 *   opts      IPv4 options (NOPs) / an IPv6 destination options header
 *             before the UDP header
 *   rropt     IPv4 only: a record route option, which the receiving stack
 *             fills in without updating the header checksum
 *   badsum    a wrong UDP checksum
 *   zerosum   UDP checksum 0 ("none" over IPv4, invalid over IPv6)
 *   shortlen  a UDP length 8 bytes short of the packet's (the rest is
 *             padding the UDP layer trims), checksummed over that length
 *   longlen   a UDP length 8 bytes past the end of the packet
 *   frag1     the first fragment only (the whole UDP header and 8 bytes)
 *   frag2     the second, last fragment only (offset 16)
 *   frags     both, first then second
 *   atomic    IPv6 only: a fragment header with offset 0 and M clear
 *   tinyfrag  IPv6 only: a first fragment whose header chain (fragment,
 *             destination options) ends before the UDP header, which
 *             comes in the second; both are sent
 *   icmperr   an ICMP port unreachable (ICMPv6 type 1 code 4) quoting a
 *             UDP datagram from DST to SRC:DPORT
 *   gue       IPv4 only: a UDP datagram to DST:DPORT (a GUE receive port)
 *             carrying a GUE header (version 0, protocol UDP) and, inside
 *             it, the query as a UDP datagram to port 53 (checksum 0)
 *
 * Only for use inside the test guest, between its own namespaces.
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "p53g-common.h"

#define USAGE "send [-6] -I IF [-M MAC] -s SRC -d DST [-p DPORT] [-q SPORT] " \
	      "[-n COUNT] [-T SECONDS] [-R BITS] [-i FRAGID] CASE | " \
	      "watch -I IF [-t MS] | listen [-I IF] [-g GROUP]... [-t MS]"

enum kind {
	K_UDP, K_IPTRUNC, K_UDPTRUNC, K_OPTS, K_RROPT, K_BADSUM, K_ZEROSUM,
	K_SHORTLEN, K_LONGLEN, K_FRAG1,
	K_FRAG2, K_FRAGS, K_ATOMIC, K_TINYFRAG, K_ICMPERR, K_GUE, K_NOREC,
};

static const char * const kind_names[] = {
	"udp", "iptrunc", "udptrunc", "opts", "rropt", "badsum", "zerosum",
	"shortlen", "longlen", "frag1",
	"frag2", "frags", "atomic", "tinyfrag", "icmperr", "gue", "norec",
};

struct opts {
	int family;
	const char *ifname;
	const char *mac;
	const char *src;
	const char *dst;
	int dport;
	int sport;
	long count;
	long seconds;
	int rbits;
	uint32_t fragid;
	enum kind kind;
	int timeout_ms;
	const char *groups[8];
	int ngroups;
};

/* The UDP payload: a DNS query padded to 40 bytes (two 8-byte fragment
 * units after the first fragment's 16). */
#define PAYLOAD_LEN	40
#define UDP_LEN		(8 + PAYLOAD_LEN)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	if (sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0)
		p53g_die_sys("sigaction");
}

static uint32_t sum16(const void *p, size_t len, uint32_t s)
{
	const uint8_t *b = p;

	while (len > 1) {
		s += (b[0] << 8) | b[1];
		b += 2;
		len -= 2;
	}
	if (len)
		s += b[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Checksum of an upper-layer segment with the IPv4 or IPv6 pseudo header. */
static uint16_t l4_csum(int family, const uint8_t *src, const uint8_t *dst,
			int proto, const uint8_t *seg, size_t len)
{
	int alen = family == AF_INET ? 4 : 16;
	uint32_t s = 0;

	s = sum16(src, alen, s);
	s = sum16(dst, alen, s);
	s += proto;
	s += (uint32_t)len;
	s = sum16(seg, len, s);
	return fold(s);
}

/* UDP header and payload into @p; the checksum per @kind. */
static void build_udp(const struct opts *o, const uint8_t *src,
		      const uint8_t *dst, int sport, uint8_t *p)
{
	static const uint8_t q[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
		0x00, 0x01, 0x00, 0x01,
	};
	size_t ulen = o->kind == K_SHORTLEN ? UDP_LEN - 8 :
		      o->kind == K_LONGLEN ? UDP_LEN + 8 : UDP_LEN;
	uint16_t c;

	memset(p, 0, UDP_LEN);
	put16(p, sport);
	put16(p + 2, o->dport);
	put16(p + 4, ulen);
	memcpy(p + 8, q, sizeof(q));
	if (o->kind == K_NOREC)
		p[8 + 2] &= ~0x01;	/* RD */
	c = l4_csum(o->family, src, dst, IPPROTO_UDP, p,
		    ulen < UDP_LEN ? ulen : UDP_LEN);
	/* A computed 0 goes out as 0xffff (RFC 768; RFC 8200, 8.1). */
	if (!c)
		c = 0xffff;
	if (o->kind == K_BADSUM)
		c = c == 0x5a5a ? 0xa5a5 : 0x5a5a;
	if (o->kind == K_ZEROSUM)
		c = 0;
	put16(p + 6, c);
}

struct frame {
	uint8_t b[256];
	size_t len;
};

static size_t ip4_hdr(uint8_t *p, const uint8_t *src, const uint8_t *dst,
		      int proto, size_t optlen, size_t datalen, uint16_t id,
		      uint16_t frag)
{
	size_t hl = 20 + optlen;

	p[0] = 0x40 | (hl / 4);
	p[1] = 0;
	put16(p + 2, hl + datalen);
	put16(p + 4, id);
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	put16(p + 10, 0);
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	return hl;
}

static void ip4_csum(uint8_t *p)
{
	put16(p + 10, fold(sum16(p, (p[0] & 0xf) * 4, 0)));
}

static size_t ip6_hdr(uint8_t *p, const uint8_t *src, const uint8_t *dst,
		      int nh, size_t plen)
{
	memset(p, 0, 8);
	p[0] = 0x60;
	put16(p + 4, plen);
	p[6] = nh;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40;
}

static size_t frag6_hdr(uint8_t *p, int nh, unsigned int off8, int more,
			uint32_t id)
{
	p[0] = nh;
	p[1] = 0;
	put16(p + 2, (off8 << 3) | (more ? 1 : 0));
	p[4] = id >> 24;
	p[5] = id >> 16;
	p[6] = id >> 8;
	p[7] = id;
	return 8;
}

/* An 8-byte destination options header: PadN only. */
static size_t dstopts_hdr(uint8_t *p, int nh)
{
	static const uint8_t pad[] = { 1, 4, 0, 0, 0, 0 };

	p[0] = nh;
	p[1] = 0;
	memcpy(p + 2, pad, sizeof(pad));
	return 8;
}

/* The IPv4 packets of one case into @f; returns how many. */
static int build4(const struct opts *o, const uint8_t *s, const uint8_t *d,
		  int sport, uint16_t id, struct frame *f)
{
	static const uint8_t rr[] = { 7, 7, 4, 0, 0, 0, 0, 0 };
	static const uint8_t nops[] = { 1, 1, 1, 0 };
	const uint8_t *opt = o->kind == K_RROPT ? rr : nops;
	size_t optlen = o->kind == K_RROPT ? sizeof(rr) : sizeof(nops);
	uint8_t udp[UDP_LEN], *p;
	size_t hl;

	build_udp(o, s, d, sport, udp);
	p = f[0].b;
	switch (o->kind) {
	case K_IPTRUNC:
		ip4_hdr(p, s, d, IPPROTO_UDP, 0, UDP_LEN, id, 0);
		ip4_csum(p);
		f[0].len = 12;
		return 1;
	case K_UDPTRUNC:
		hl = ip4_hdr(p, s, d, IPPROTO_UDP, 0, 4, id, 0);
		memcpy(p + hl, udp, 4);
		ip4_csum(p);
		f[0].len = hl + 4;
		return 1;
	case K_OPTS:
	case K_RROPT:
		hl = ip4_hdr(p, s, d, IPPROTO_UDP, optlen, UDP_LEN, id, 0);
		memcpy(p + 20, opt, optlen);
		memcpy(p + hl, udp, UDP_LEN);
		ip4_csum(p);
		f[0].len = hl + UDP_LEN;
		return 1;
	case K_FRAG1:
	case K_FRAG2:
	case K_FRAGS:
		hl = ip4_hdr(p, s, d, IPPROTO_UDP, 0, 16, id, 0x2000);
		memcpy(p + hl, udp, 16);
		ip4_csum(p);
		f[0].len = hl + 16;
		p = f[1].b;
		hl = ip4_hdr(p, s, d, IPPROTO_UDP, 0, UDP_LEN - 16, id, 2);
		memcpy(p + hl, udp + 16, UDP_LEN - 16);
		ip4_csum(p);
		f[1].len = hl + UDP_LEN - 16;
		if (o->kind == K_FRAG2)
			f[0] = f[1];
		return o->kind == K_FRAGS ? 2 : 1;
	case K_ICMPERR: {
		uint8_t *icmp;
		size_t n = 8 + 20 + 8;

		hl = ip4_hdr(p, s, d, IPPROTO_ICMP, 0, n, id, 0);
		ip4_csum(p);
		icmp = p + hl;
		memset(icmp, 0, 8);
		icmp[0] = 3;
		icmp[1] = 3;
		/* The quoted datagram: from DST to SRC:DPORT. */
		ip4_hdr(icmp + 8, d, s, IPPROTO_UDP, 0, UDP_LEN, id ^ 0xffff, 0);
		ip4_csum(icmp + 8);
		build_udp(o, d, s, sport, udp);
		memcpy(icmp + 28, udp, 8);
		put16(icmp + 2, fold(sum16(icmp, n, 0)));
		f[0].len = hl + n;
		return 1;
	}
	case K_GUE: {
		/* outer UDP, GUE header, inner UDP to 53 with the query */
		size_t n = 8 + 4 + UDP_LEN;
		uint8_t *u;

		hl = ip4_hdr(p, s, d, IPPROTO_UDP, 0, n, id, 0);
		ip4_csum(p);
		u = p + hl;
		put16(u, sport);
		put16(u + 2, o->dport);
		put16(u + 4, n);
		put16(u + 6, 0);
		u[8] = 0;		/* version 0, no control, no options */
		u[9] = IPPROTO_UDP;	/* what follows */
		put16(u + 10, 0);
		memcpy(u + 12, udp, UDP_LEN);
		put16(u + 12 + 2, 53);
		put16(u + 12 + 6, 0);
		put16(u + 6, l4_csum(AF_INET, s, d, IPPROTO_UDP, u, n) ?: 0xffff);
		f[0].len = hl + n;
		return 1;
	}
	default:
		hl = ip4_hdr(p, s, d, IPPROTO_UDP, 0, UDP_LEN, id, 0);
		memcpy(p + hl, udp, UDP_LEN);
		ip4_csum(p);
		f[0].len = hl + UDP_LEN;
		return 1;
	}
}

/* The IPv6 packets of one case into @f; returns how many. */
static int build6(const struct opts *o, const uint8_t *s, const uint8_t *d,
		  int sport, uint32_t id, struct frame *f)
{
	uint8_t udp[UDP_LEN], *p;
	size_t n;

	build_udp(o, s, d, sport, udp);
	p = f[0].b;
	switch (o->kind) {
	case K_IPTRUNC:
		ip6_hdr(p, s, d, IPPROTO_UDP, UDP_LEN);
		f[0].len = 20;
		return 1;
	case K_UDPTRUNC:
		n = ip6_hdr(p, s, d, IPPROTO_UDP, 4);
		memcpy(p + n, udp, 4);
		f[0].len = n + 4;
		return 1;
	case K_OPTS:
		n = ip6_hdr(p, s, d, IPPROTO_DSTOPTS, 8 + UDP_LEN);
		n += dstopts_hdr(p + n, IPPROTO_UDP);
		memcpy(p + n, udp, UDP_LEN);
		f[0].len = n + UDP_LEN;
		return 1;
	case K_ATOMIC:
		n = ip6_hdr(p, s, d, IPPROTO_FRAGMENT, 8 + UDP_LEN);
		n += frag6_hdr(p + n, IPPROTO_UDP, 0, 0, id);
		memcpy(p + n, udp, UDP_LEN);
		f[0].len = n + UDP_LEN;
		return 1;
	case K_FRAG1:
	case K_FRAG2:
	case K_FRAGS:
		n = ip6_hdr(p, s, d, IPPROTO_FRAGMENT, 8 + 16);
		n += frag6_hdr(p + n, IPPROTO_UDP, 0, 1, id);
		memcpy(p + n, udp, 16);
		f[0].len = n + 16;
		p = f[1].b;
		n = ip6_hdr(p, s, d, IPPROTO_FRAGMENT, 8 + UDP_LEN - 16);
		n += frag6_hdr(p + n, IPPROTO_UDP, 2, 0, id);
		memcpy(p + n, udp + 16, UDP_LEN - 16);
		f[1].len = n + UDP_LEN - 16;
		if (o->kind == K_FRAG2)
			f[0] = f[1];
		return o->kind == K_FRAGS ? 2 : 1;
	case K_TINYFRAG:
		/* Fragmentable part: destination options (8), then UDP. */
		n = ip6_hdr(p, s, d, IPPROTO_FRAGMENT, 8 + 8);
		n += frag6_hdr(p + n, IPPROTO_DSTOPTS, 0, 1, id);
		n += dstopts_hdr(p + n, IPPROTO_UDP);
		f[0].len = n;
		p = f[1].b;
		n = ip6_hdr(p, s, d, IPPROTO_FRAGMENT, 8 + UDP_LEN);
		n += frag6_hdr(p + n, IPPROTO_DSTOPTS, 1, 0, id);
		memcpy(p + n, udp, UDP_LEN);
		f[1].len = n + UDP_LEN;
		return 2;
	case K_ICMPERR: {
		uint8_t *icmp;
		size_t len = 8 + 40 + 8;

		n = ip6_hdr(p, s, d, IPPROTO_ICMPV6, len);
		icmp = p + n;
		memset(icmp, 0, 8);
		icmp[0] = 1;
		icmp[1] = 4;
		ip6_hdr(icmp + 8, d, s, IPPROTO_UDP, UDP_LEN);
		build_udp(o, d, s, sport, udp);
		memcpy(icmp + 48, udp, 8);
		put16(icmp + 2, l4_csum(AF_INET6, s, d, IPPROTO_ICMPV6, icmp,
					len));
		f[0].len = n + len;
		return 1;
	}
	default:
		n = ip6_hdr(p, s, d, IPPROTO_UDP, UDP_LEN);
		memcpy(p + n, udp, UDP_LEN);
		f[0].len = n + UDP_LEN;
		return 1;
	}
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int m[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
		   &m[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (m[i] > 0xff)
			return -1;
		mac[i] = m[i];
	}
	return 0;
}

/* Destination MAC: -M, else derived from a multicast/broadcast DST. */
static void dst_mac(const struct opts *o, const uint8_t *d, uint8_t *mac)
{
	if (o->mac) {
		if (parse_mac(o->mac, mac))
			p53g_die_usage(USAGE, "bad MAC '%s'", o->mac);
		return;
	}
	if (o->family == AF_INET && (d[0] & 0xf0) == 0xe0) {
		uint8_t m[6] = { 0x01, 0x00, 0x5e, d[1] & 0x7f, d[2], d[3] };

		memcpy(mac, m, 6);
	} else if (o->family == AF_INET6 && d[0] == 0xff) {
		uint8_t m[6] = { 0x33, 0x33, d[12], d[13], d[14], d[15] };

		memcpy(mac, m, 6);
	} else if (o->family == AF_INET && !memcmp(d, "\xff\xff\xff\xff", 4)) {
		memset(mac, 0xff, 6);
	} else {
		p53g_die_usage(USAGE, "need -M for a unicast destination");
	}
}

static int if_index(int fd, const char *ifname, uint8_t *mac)
{
	struct ifreq ifr = { 0 };

	if (!ifname || strlen(ifname) >= IF_NAMESIZE)
		p53g_die_usage(USAGE, "need -I IFNAME");
	strcpy(ifr.ifr_name, ifname);
	if (mac) {
		if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
			p53g_die_sys("ioctl(SIOCGIFHWADDR)");
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		p53g_die_sys("ioctl(SIOCGIFINDEX)");
	return ifr.ifr_ifindex;
}

static uint32_t xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void randomise(uint8_t *a, int alen, int bits, uint32_t *seed)
{
	int i;

	for (i = alen - 1; i >= 0 && bits > 0; i--, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (1u << bits) - 1;

		a[i] = (a[i] & ~mask) | (xorshift(seed) & mask);
	}
}

static int do_send(const struct opts *o)
{
	uint8_t s[16], d[16], smac[6], dmac[6];
	struct sockaddr_ll ll = { 0 };
	long long t0, deadline;
	struct frame f[2];
	uint32_t seed = (uint32_t)getpid() * 2654435761u | 1;
	long sent = 0, retries = 0;
	int fd, i, n, alen = o->family == AF_INET ? 4 : 16;
	uint16_t etype = o->family == AF_INET ? ETH_P_IP : ETH_P_IPV6;

	if (!o->src || !o->dst)
		p53g_die_usage(USAGE, "need -s SRC and -d DST");
	if (inet_pton(o->family, o->src, s) != 1 ||
	    inet_pton(o->family, o->dst, d) != 1)
		p53g_bad_addr(USAGE, o->family, inet_pton(o->family, o->src, s)
			      == 1 ? o->dst : o->src);
	if ((o->family == AF_INET && (o->kind == K_ATOMIC ||
				      o->kind == K_TINYFRAG)) ||
	    (o->family == AF_INET6 && (o->kind == K_RROPT || o->kind == K_GUE)))
		p53g_die_usage(USAGE, "%s is not for this family", kind_names[o->kind]);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		p53g_die_sys("socket(AF_PACKET)");
	ll.sll_family = AF_PACKET;
	ll.sll_ifindex = if_index(fd, o->ifname, smac);
	ll.sll_halen = 6;
	/* Loopback's "Ethernet" address is all zeroes: that is PACKET_HOST. */
	if (!o->mac && !memcmp(smac, "\0\0\0\0\0\0", 6))
		memset(dmac, 0, 6);
	else
		dst_mac(o, d, dmac);

	t0 = p53g_now_ms();
	deadline = o->seconds ? t0 + o->seconds * 1000 : 0;
	while (sent < o->count && !stop) {
		uint8_t sa[16];
		uint8_t *frame;

		if (deadline && p53g_now_ms() >= deadline)
			break;
		memcpy(sa, s, alen);
		if (o->rbits)
			randomise(sa, alen, o->rbits, &seed);
		if (o->family == AF_INET)
			n = build4(o, sa, d, o->sport, (uint16_t)(o->fragid +
				   (o->fragid ? 0 : sent)), f);
		else
			n = build6(o, sa, d, o->sport, o->fragid ? o->fragid :
				   (uint32_t)sent + 1, f);
		for (i = 0; i < n; i++) {
			/* Ethernet header in front of the IP packet. */
			memmove(f[i].b + 14, f[i].b, f[i].len);
			frame = f[i].b;
			memcpy(frame, dmac, 6);
			memcpy(frame + 6, smac, 6);
			put16(frame + 12, etype);
			memcpy(ll.sll_addr, dmac, 6);
			while (sendto(fd, frame, f[i].len + 14, 0,
				      (struct sockaddr *)&ll, sizeof(ll)) < 0) {
				if (errno != ENOBUFS && errno != EAGAIN)
					p53g_die_sys("sendto");
				retries++;
				usleep(100);
			}
		}
		sent++;
	}
	p53g_line("sent=%ld seconds=%.3f retries=%ld", sent,
		  (p53g_now_ms() - t0) / 1000.0, retries);
	return P53G_EXIT_RAN;
}

static int do_watch(const struct opts *o)
{
	/* Keep only IPv4 protocol 1 and IPv6 next header 58. */
	static struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 2),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 3, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 3),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	struct tpacket_stats st;
	socklen_t stlen = sizeof(st);
	struct sockaddr_ll ll = { 0 };
	long long deadline;
	long errors = 0;
	int fd, n, big = 4 << 20;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		p53g_die_sys("socket(AF_PACKET)");
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) < 0)
		p53g_die_sys("setsockopt(SO_ATTACH_FILTER)");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_ALL);
	ll.sll_ifindex = if_index(fd, o->ifname, NULL);
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		p53g_die_sys("bind(AF_PACKET)");
	catch_signals();
	p53g_line("ready");
	deadline = p53g_now_ms() + o->timeout_ms;
	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint8_t b[2048], *ip, *ic, *in;
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		int type, code6, sport = -1, dport = -1, v4;
		ssize_t len;
		size_t off;

		n = poll(&pfd, 1, p53g_left_ms(deadline));
		if (n < 0)
			continue;
		if (n == 0) {
			if (p53g_left_ms(deadline) > 0)
				continue;
			break;
		}
		len = recvfrom(fd, b, sizeof(b), MSG_DONTWAIT,
			       (struct sockaddr *)&from, &flen);
		if (len < 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		ip = b + 14;
		v4 = ((ip[0] >> 4) == 4);
		off = v4 ? 14 + (ip[0] & 0xf) * 4 : 14 + 40;
		if ((size_t)len < off + 8)
			continue;
		ic = b + off;
		type = ic[0];
		code6 = ic[1];
		if (v4 ? !(type == 3 || type == 4 || type == 5 || type == 11 ||
			   type == 12) : type >= 128)
			continue;
		in = ic + 8;
		if (v4 && (size_t)len >= off + 8 + 20 && in[9] == IPPROTO_UDP &&
		    (size_t)len >= off + 8 + (in[0] & 0xf) * 4 + 4) {
			in += (in[0] & 0xf) * 4;
			sport = (in[0] << 8) | in[1];
			dport = (in[2] << 8) | in[3];
		} else if (!v4 && (size_t)len >= off + 8 + 40 + 4 &&
			   in[6] == IPPROTO_UDP) {
			in += 40;
			sport = (in[0] << 8) | in[1];
			dport = (in[2] << 8) | in[3];
		}
		errors++;
		p53g_line("icmp%d type=%d code=%d inner_sport=%d inner_dport=%d",
			  v4 ? 4 : 6, type, code6, sport, dport);
	}
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen) < 0)
		p53g_die_sys("getsockopt(PACKET_STATISTICS)");
	p53g_line("errors=%ld drops=%u", errors, st.tp_drops);
	return P53G_EXIT_RAN;
}

static int udp_wild(int family)
{
	struct sockaddr_storage ss;
	int one = 1, fd;
	socklen_t len;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		p53g_die_sys("socket(SOCK_DGRAM)");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		p53g_die_sys("setsockopt(IPV6_V6ONLY)");
	len = p53g_parse_addr(family, family == AF_INET ? "0.0.0.0" : "::",
			      53, NULL, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		p53g_die_sys("bind(:53)");
	return fd;
}

static int do_listen(const struct opts *o)
{
	struct pollfd pfd[2];
	long long deadline;
	long received = 0;
	int i, ifindex = 0;

	pfd[0] = (struct pollfd){ .fd = udp_wild(AF_INET), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = udp_wild(AF_INET6), .events = POLLIN };
	if (o->ifname)
		ifindex = if_index(pfd[0].fd, o->ifname, NULL);
	for (i = 0; i < o->ngroups; i++) {
		struct ipv6_mreq m6 = { .ipv6mr_interface = ifindex };
		struct ip_mreqn m4 = { .imr_ifindex = ifindex };

		if (inet_pton(AF_INET, o->groups[i], &m4.imr_multiaddr) == 1) {
			if (setsockopt(pfd[0].fd, IPPROTO_IP, IP_ADD_MEMBERSHIP,
				       &m4, sizeof(m4)) < 0)
				p53g_die_sys("setsockopt(IP_ADD_MEMBERSHIP)");
		} else if (inet_pton(AF_INET6, o->groups[i],
				     &m6.ipv6mr_multiaddr) == 1) {
			if (setsockopt(pfd[1].fd, IPPROTO_IPV6, IPV6_JOIN_GROUP,
				       &m6, sizeof(m6)) < 0)
				p53g_die_sys("setsockopt(IPV6_JOIN_GROUP)");
		} else {
			p53g_die_usage(USAGE, "bad group '%s'", o->groups[i]);
		}
	}
	catch_signals();
	p53g_line("ready");
	deadline = p53g_now_ms() + o->timeout_ms;
	while (!stop && p53g_left_ms(deadline) > 0) {
		if (poll(pfd, 2, p53g_left_ms(deadline)) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			char a[INET6_ADDRSTRLEN];
			uint8_t b[2048];

			while (recvfrom(pfd[i].fd, b, sizeof(b), 0,
					(struct sockaddr *)&from, &flen) >= 0) {
				received++;
				p53g_line("datagram from=%s",
					  p53g_ntop(&from, a, sizeof(a)));
				flen = sizeof(from);
			}
		}
	}
	p53g_line("received=%ld", received);
	return P53G_EXIT_RAN;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	unsigned int k;
	int c;

	*o = (struct opts){ .family = AF_INET, .dport = 53, .sport = 40053,
			    .count = 1, .timeout_ms = 60000 };
	while ((c = getopt(argc, argv, "6I:M:s:d:p:q:n:T:R:i:t:g:h")) != -1) {
		switch (c) {
		case '6':
			o->family = AF_INET6;
			break;
		case 'I':
			o->ifname = optarg;
			break;
		case 'M':
			o->mac = optarg;
			break;
		case 's':
			o->src = optarg;
			break;
		case 'd':
			o->dst = optarg;
			break;
		case 'p':
			o->dport = p53g_opt_num(USAGE, "port", optarg, 0, 65535);
			break;
		case 'q':
			o->sport = p53g_opt_num(USAGE, "source port", optarg,
						0, 65535);
			break;
		case 'n':
			o->count = p53g_opt_num(USAGE, "count", optarg, 1,
						1000000000);
			break;
		case 'T':
			o->seconds = p53g_opt_num(USAGE, "seconds", optarg, 1,
						  3600);
			break;
		case 'R':
			o->rbits = p53g_opt_num(USAGE, "bits", optarg, 0, 64);
			break;
		case 'i':
			o->fragid = p53g_opt_num(USAGE, "fragment id", optarg,
						 1, 65535);
			break;
		case 't':
			o->timeout_ms = p53g_opt_num(USAGE, "timeout", optarg,
						     1, 86400000);
			break;
		case 'g':
			if (o->ngroups == 8)
				p53g_die_usage(USAGE, "at most 8 groups");
			o->groups[o->ngroups++] = optarg;
			break;
		default:
			p53g_die_usage(USAGE, NULL);
		}
	}
	if (optind == argc)
		return;
	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (!strcmp(argv[optind], kind_names[k]))
			break;
	if (k == sizeof(kind_names) / sizeof(kind_names[0]) ||
	    optind != argc - 1)
		p53g_die_usage(USAGE, "need one CASE (udp, iptrunc, ...)");
	o->kind = k;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;

	p53g_prog = "p53g-raw";
	if (argc < 2)
		p53g_die_usage(USAGE, NULL);
	cmd = argv[1];
	parse_opts(argc - 1, argv + 1, &o);
	if (!strcmp(cmd, "send"))
		return do_send(&o);
	if (!strcmp(cmd, "watch"))
		return do_watch(&o);
	if (!strcmp(cmd, "listen"))
		return do_listen(&o);
	p53g_die_usage(USAGE, "unknown command '%s'", cmd);
}
