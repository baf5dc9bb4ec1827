// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the packet path: the classifiers, the verdict under the
 * settings and an exemption table, and the reply rate limit.
 *
 * Each packet case builds a packet as the LOCAL_IN hook would see it and
 * checks the result twice: with the packet in the skb's linear area, and
 * with everything past the fixed IP header in a page fragment.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/user_namespace.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/tcp.h>

#include "compat.h"
#include "conf.h"
#include "entry.h"
#include "hook.h"
#include "pset.h"
#include "ratelimit.h"

#define P53G_MAX_EXT	3

/* Source addresses a case can pick. */
enum {
	P53G_SRC_DOC,		/* 192.0.2.1, 2001:db8::1 */
	P53G_SRC_OTHER,		/* 198.51.100.7, 2001:db8:1::7 */
	P53G_SRC_LOOPBACK,	/* 127.0.0.1, ::1 */
};

/**
 * struct p53g_pktspec - one packet
 * @proto: transport protocol number (NEXTHDR_NONE for no header)
 * @sport: first 16 bits of the transport header (the UDP/TCP source port)
 * @dport: next 16 bits (the UDP/TCP destination port)
 * @th_flags: TCP flags (TCPHDR_*); 0 means a plain SYN
 * @ext: IPv6 extension headers, outermost first
 * @n_ext: how many of @ext there are
 * @ip_options: IPv4 only: add a 4-byte router alert option
 * @frag_offset: fragment offset in 8-byte units, in the IPv4 header or
 *	the IPv6 fragment header
 * @more_frags: set the more-fragments flag there
 * @cut: bytes cut off the end of the packet (its length fields agree)
 * @src: P53G_SRC_*
 * @dns: UDP payload: P53G_DNS_* (none, a query, a response, or 6 bytes
 *	whose QR bit is set but that are no whole DNS header); TCP payload:
 *	the same, after the message's 2-byte length
 * @rd: set RD (recursion desired) in that DNS header
 * @lite_cov: UDP-Lite: the length field, its checksum coverage (0: the
 *	datagram's length, as UDP's; P53G_COV_ZERO: 0, meaning all of it)
 */
struct p53g_pktspec {
	u8 proto;
	u16 sport;
	u16 dport;
	u8 th_flags;
	u8 ext[P53G_MAX_EXT];
	unsigned int n_ext;
	bool ip_options;
	u16 frag_offset;
	bool more_frags;
	unsigned int cut;
	u8 src;
	u8 dns;
	bool rd;
	u16 lite_cov;
};

#define P53G_COV_ZERO	0xffff

enum {
	P53G_DNS_NONE,
	P53G_DNS_QUERY,
	P53G_DNS_RESPONSE,
	P53G_DNS_SHORT,
};

/**
 * struct p53g_class_case - a packet and the class it must get
 * @name: what the case shows
 * @p: the packet
 * @tcp: the tcp setting the classifier is asked under
 * @want: enum p53g_class
 */
struct p53g_class_case {
	const char *name;
	struct p53g_pktspec p;
	bool tcp;
	u8 want;
};

#define UDP(d)		.proto = IPPROTO_UDP, .sport = 40000, .dport = (d)
#define UDPLITE(d)	.proto = IPPROTO_UDPLITE, .sport = 40000, .dport = (d)
#define TCP(d)		.proto = IPPROTO_TCP, .sport = 40000, .dport = (d)

/*
 * ICMP cases put 53 where a UDP destination port would be (it is the
 * checksum field there), so that a classifier reading ports out of other
 * protocols fails them.
 */
static const struct p53g_class_case p53g_ipv4_cases[] = {
	{ "udp dport 53", { UDP(53) }, false, P53G_CLASS_UDP },
	{ "udp dport 5353", { UDP(5353) }, false, P53G_CLASS_OTHER },
	{ "udp sport 53 dport 1234",
	  { .proto = IPPROTO_UDP, .sport = 53, .dport = 1234 }, false,
	  P53G_CLASS_OTHER },
	{ "udp dport 53 byte-swapped (13568)", { UDP(0x3500) }, false,
	  P53G_CLASS_OTHER },
	{ "tcp syn dport 53, tcp=0", { TCP(53) }, false, P53G_CLASS_OTHER },
	{ "tcp syn dport 53, tcp=1", { TCP(53) }, true, P53G_CLASS_TCP_SYN },
	{ "tcp syn dport 80, tcp=1", { TCP(80) }, true, P53G_CLASS_OTHER },
	{ "tcp syn+ack dport 53, tcp=1",
	  { TCP(53), .th_flags = TCPHDR_SYN | TCPHDR_ACK }, true,
	  P53G_CLASS_OTHER },
	{ "tcp ack dport 53, tcp=1", { TCP(53), .th_flags = TCPHDR_ACK },
	  true, P53G_CLASS_OTHER },
	{ "tcp syn+rst dport 53, tcp=1",
	  { TCP(53), .th_flags = TCPHDR_SYN | TCPHDR_RST }, true,
	  P53G_CLASS_OTHER },
	{ "tcp header cut to 4 bytes, dport 53, tcp=1",
	  { TCP(53), .cut = 16 }, true, P53G_CLASS_MALFORMED },
	{ "tcp header cut to 4 bytes, dport 80, tcp=1",
	  { TCP(80), .cut = 16 }, true, P53G_CLASS_OTHER },
	{ "tcp header cut to 4 bytes, dport 53, tcp=0",
	  { TCP(53), .cut = 16 }, false, P53G_CLASS_OTHER },
	{ "icmp echo", { .proto = IPPROTO_ICMP, .sport = 0x0800, .dport = 53 },
	  true, P53G_CLASS_OTHER },
	{ "udp header truncated to 4 bytes", { UDP(53), .cut = 4 }, false,
	  P53G_CLASS_MALFORMED },
	{ "udp no header at all", { UDP(53), .cut = 8 }, false,
	  P53G_CLASS_MALFORMED },
	{ "udp dport 53 after ip options", { UDP(53), .ip_options = true },
	  false, P53G_CLASS_UDP },
	{ "udp dport 5353 after ip options", { UDP(5353), .ip_options = true },
	  false, P53G_CLASS_OTHER },
	{ "first fragment udp dport 53", { UDP(53), .more_frags = true },
	  false, P53G_CLASS_UDP },
	{ "non-first fragment",
	  { UDP(53), .frag_offset = 185, .more_frags = true }, false,
	  P53G_CLASS_OTHER },
	{ "udp-lite dport 53", { UDPLITE(53) }, false, P53G_CLASS_UDP },
	{ "udp-lite dport 5353", { UDPLITE(5353) }, false, P53G_CLASS_OTHER },
	{ "udp-lite header truncated to 4 bytes", { UDPLITE(53), .cut = 4 },
	  false, P53G_CLASS_MALFORMED },
};

static const struct p53g_class_case p53g_ipv6_cases[] = {
	{ "udp dport 53", { UDP(53) }, false, P53G_CLASS_UDP },
	{ "udp dport 5353", { UDP(5353) }, false, P53G_CLASS_OTHER },
	{ "udp sport 53 dport 1234",
	  { .proto = IPPROTO_UDP, .sport = 53, .dport = 1234 }, false,
	  P53G_CLASS_OTHER },
	{ "udp dport 53 byte-swapped (13568)", { UDP(0x3500) }, false,
	  P53G_CLASS_OTHER },
	{ "tcp syn dport 53, tcp=0", { TCP(53) }, false, P53G_CLASS_OTHER },
	{ "tcp syn dport 53, tcp=1", { TCP(53) }, true, P53G_CLASS_TCP_SYN },
	{ "tcp syn+ack dport 53, tcp=1",
	  { TCP(53), .th_flags = TCPHDR_SYN | TCPHDR_ACK }, true,
	  P53G_CLASS_OTHER },
	{ "tcp header cut to 4 bytes, dport 53, tcp=1",
	  { TCP(53), .cut = 16 }, true, P53G_CLASS_MALFORMED },
	{ "hop-by-hop, dest options, tcp syn dport 53, tcp=1",
	  { TCP(53), .ext = { NEXTHDR_HOP, NEXTHDR_DEST }, .n_ext = 2 },
	  true, P53G_CLASS_TCP_SYN },
	{ "icmpv6 echo",
	  { .proto = IPPROTO_ICMPV6, .sport = 0x8000, .dport = 53 }, true,
	  P53G_CLASS_OTHER },
	{ "no next header", { .proto = NEXTHDR_NONE }, true,
	  P53G_CLASS_OTHER },
	{ "udp header truncated to 4 bytes", { UDP(53), .cut = 4 }, false,
	  P53G_CLASS_MALFORMED },
	{ "hop-by-hop, udp dport 53",
	  { UDP(53), .ext = { NEXTHDR_HOP }, .n_ext = 1 }, false,
	  P53G_CLASS_UDP },
	{ "hop-by-hop, dest options, udp dport 53",
	  { UDP(53), .ext = { NEXTHDR_HOP, NEXTHDR_DEST }, .n_ext = 2 },
	  false, P53G_CLASS_UDP },
	{ "dest options, udp dport 5353",
	  { UDP(5353), .ext = { NEXTHDR_DEST }, .n_ext = 1 }, false,
	  P53G_CLASS_OTHER },
	{ "hop-by-hop, dest options, tcp dport 53, tcp=0",
	  { TCP(53), .ext = { NEXTHDR_HOP, NEXTHDR_DEST }, .n_ext = 2 },
	  false, P53G_CLASS_OTHER },
	{ "hop-by-hop cut in half",
	  { UDP(53), .ext = { NEXTHDR_HOP }, .n_ext = 1, .cut = 12 }, false,
	  P53G_CLASS_MALFORMED },
	{ "first fragment udp dport 53",
	  { UDP(53), .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1,
	    .more_frags = true }, false, P53G_CLASS_UDP },
	{ "first fragment udp dport 5353",
	  { UDP(5353), .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1,
	    .more_frags = true }, false, P53G_CLASS_OTHER },
	{ "atomic fragment udp dport 53",
	  { UDP(53), .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1 }, false,
	  P53G_CLASS_UDP },
	{ "hop-by-hop, first fragment, dest options, udp dport 53",
	  { UDP(53), .ext = { NEXTHDR_HOP, NEXTHDR_FRAGMENT, NEXTHDR_DEST },
	    .n_ext = 3, .more_frags = true }, false, P53G_CLASS_UDP },
	{ "first fragment too short for udp header",
	  { UDP(53), .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1,
	    .more_frags = true, .cut = 4 }, false, P53G_CLASS_MALFORMED },
	{ "middle fragment, udp next",
	  { UDP(53), .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1,
	    .frag_offset = 185, .more_frags = true }, false,
	  P53G_CLASS_OTHER },
	{ "last fragment, udp next",
	  { UDP(53), .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1,
	    .frag_offset = 185 }, false, P53G_CLASS_OTHER },
	{ "non-first fragment, dest options next",
	  { UDP(53), .ext = { NEXTHDR_FRAGMENT, NEXTHDR_DEST }, .n_ext = 2,
	    .frag_offset = 185, .more_frags = true }, false,
	  P53G_CLASS_OTHER },
	{ "udp-lite dport 53", { UDPLITE(53) }, false, P53G_CLASS_UDP },
	{ "hop-by-hop, udp-lite dport 5353",
	  { UDPLITE(5353), .ext = { NEXTHDR_HOP }, .n_ext = 1 }, false,
	  P53G_CLASS_OTHER },
};

static void p53g_class_desc(const struct p53g_class_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_ipv4, p53g_ipv4_cases, p53g_class_desc);
KUNIT_ARRAY_PARAM(p53g_ipv6, p53g_ipv6_cases, p53g_class_desc);

/* Writes the case's DNS header (or its first 6 bytes); returns its length. */
static unsigned int p53g_put_dns(u8 *dns, const struct p53g_pktspec *c)
{
	memset(dns, 0, P53G_DNS_HDR_LEN);
	dns[0] = 0x53;			/* ID */
	dns[5] = 1;			/* QDCOUNT */
	if (c->dns != P53G_DNS_QUERY)
		dns[P53G_DNS_QR_BYTE] = P53G_DNS_QR;
	if (c->rd)
		dns[P53G_DNS_QR_BYTE] |= P53G_DNS_RD;
	return c->dns == P53G_DNS_SHORT ? 6 : P53G_DNS_HDR_LEN;
}

/* Writes the transport header; returns its length. */
static unsigned int p53g_put_l4(u8 *p, const struct p53g_pktspec *c)
{
	struct tcphdr *th = (struct tcphdr *)p;
	struct udphdr *uh = (struct udphdr *)p;
	unsigned int len, n;

	switch (c->proto) {
	case NEXTHDR_NONE:
		return 0;
	case IPPROTO_TCP:
		memset(th, 0, sizeof(*th));
		th->source = htons(c->sport);
		th->dest = htons(c->dport);
		th->doff = sizeof(*th) / 4;
		tcp_flag_byte(th) = c->th_flags ? c->th_flags : TCPHDR_SYN;
		len = sizeof(*th);
		if (c->dns) {
			/* the message's length, then the message (RFC 1035) */
			n = p53g_put_dns(p + len + P53G_DNS_TCP_PREFIX, c);
			p[len] = 0;
			p[len + 1] = n;
			len += P53G_DNS_TCP_PREFIX + n;
		}
		return len;
	default:
		/*
		 * UDP, UDP-Lite, and the 8-byte ICMP/ICMPv6 echo header laid
		 * out alike; a DNS header after it when asked for.
		 */
		memset(uh, 0, sizeof(*uh));
		uh->source = htons(c->sport);
		uh->dest = htons(c->dport);
		len = sizeof(*uh);
		if (c->dns)
			len += p53g_put_dns(p + len, c);
		uh->len = htons(len);
		if (c->lite_cov)
			uh->len = htons(c->lite_cov == P53G_COV_ZERO ? 0 :
					c->lite_cov);
		return len;
	}
}

static unsigned int p53g_build_ipv4(u8 *buf, const struct p53g_pktspec *c)
{
	static const __be32 src[] = {
		[P53G_SRC_DOC] = htonl(0xc0000201),	/* 192.0.2.1 */
		[P53G_SRC_OTHER] = htonl(0xc6336407),	/* 198.51.100.7 */
		[P53G_SRC_LOOPBACK] = htonl(INADDR_LOOPBACK),
	};
	struct iphdr *iph = (struct iphdr *)buf;
	unsigned int hlen = sizeof(*iph) + (c->ip_options ? 4 : 0);
	unsigned int len;

	memset(buf, 0, hlen);
	if (c->ip_options) {
		buf[sizeof(*iph)] = IPOPT_RA;
		buf[sizeof(*iph) + 1] = 4;
	}
	len = hlen + p53g_put_l4(buf + hlen, c) - c->cut;

	iph->version = 4;
	iph->ihl = hlen / 4;
	iph->tot_len = htons(len);
	iph->frag_off = htons(c->frag_offset | (c->more_frags ? IP_MF : 0));
	iph->ttl = 64;
	iph->protocol = c->proto;
	iph->saddr = src[c->src];
	iph->daddr = c->src == P53G_SRC_LOOPBACK ? htonl(INADDR_LOOPBACK) :
						   htonl(0xc6336401);
	iph->check = ip_fast_csum(iph, iph->ihl);
	return len;
}

static unsigned int p53g_build_ipv6(u8 *buf, const struct p53g_pktspec *c)
{
	struct ipv6hdr *ip6h = (struct ipv6hdr *)buf;
	unsigned int off = sizeof(*ip6h);
	u8 *nexthdr = &ip6h->nexthdr;
	unsigned int i, len;

	memset(ip6h, 0, sizeof(*ip6h));
	for (i = 0; i < c->n_ext; i++) {
		u8 *h = buf + off;

		*nexthdr = c->ext[i];
		nexthdr = h;
		memset(h, 0, 8);
		if (c->ext[i] == NEXTHDR_FRAGMENT) {
			struct frag_hdr *fh = (struct frag_hdr *)h;

			fh->frag_off = htons(c->frag_offset << 3 |
					     (c->more_frags ? IP6_MF : 0));
			fh->identification = htonl(0x5335);
		} else {
			/* hop-by-hop or destination options: one PadN option */
			h[2] = IPV6_TLV_PADN;
			h[3] = 4;
		}
		off += 8;
	}
	*nexthdr = c->proto;
	len = off + p53g_put_l4(buf + off, c) - c->cut;

	ip6h->version = 6;
	/*
	 * Flow label 53 puts 53 in bytes 2-3 of the packet, where a classifier
	 * that read the UDP header at offset 0 (ipv6_find_hdr() leaves the
	 * offset unset for a non-first fragment) would find its port.
	 */
	ip6h->flow_lbl[2] = P53G_DNS_PORT;
	ip6h->payload_len = htons(len - sizeof(*ip6h));
	ip6h->hop_limit = 64;
	switch (c->src) {
	case P53G_SRC_LOOPBACK:
		ip6h->saddr = in6addr_loopback;
		ip6h->daddr = in6addr_loopback;
		return len;
	case P53G_SRC_OTHER:
		/* 2001:db8:1::7 */
		ipv6_addr_set(&ip6h->saddr, htonl(0x20010db8), htonl(0x10000),
			      0, htonl(7));
		break;
	default:
		/* 2001:db8::1 */
		ipv6_addr_set(&ip6h->saddr, htonl(0x20010db8), 0, 0, htonl(1));
		break;
	}
	ipv6_addr_set(&ip6h->daddr, htonl(0x20010db8), 0, 0, htonl(2));
	return len;
}

/*
 * The packet as LOCAL_IN gets it: data and network header at the IP header,
 * protocol and input device set. The first @head bytes are linear, the rest
 * sit in a page fragment.
 */
static struct sk_buff *p53g_skb(const u8 *pkt, unsigned int len,
				unsigned int head, __be16 protocol,
				struct net_device *dev)
{
	struct sk_buff *skb;
	struct page *page;

	skb = alloc_skb(LL_MAX_HEADER + head, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_put_data(skb, pkt, head);
	if (len > head) {
		page = alloc_page(GFP_KERNEL);
		if (!page) {
			kfree_skb(skb);
			return NULL;
		}
		memcpy(page_address(page), pkt + head, len - head);
		skb_add_rx_frag(skb, 0, page, 0, len - head, PAGE_SIZE);
	}
	skb_reset_network_header(skb);
	skb->protocol = protocol;
	skb->dev = dev;
	return skb;
}

/* Builds the packet; returns its length and the fixed header's. */
static unsigned int p53g_build(u8 *buf, const struct p53g_pktspec *p,
			       enum p53g_family f, unsigned int *l3len)
{
	unsigned int len;

	if (f == P53G_IPV4) {
		len = p53g_build_ipv4(buf, p);
		*l3len = ((struct iphdr *)buf)->ihl * 4;
	} else {
		len = p53g_build_ipv6(buf, p);
		*l3len = sizeof(struct ipv6hdr);
	}
	return len;
}

static const char * const p53g_layout[] = { "linear", "paged" };

static struct sk_buff *p53g_layout_skb(struct kunit *test, const u8 *pkt,
				       unsigned int len, unsigned int l3len,
				       unsigned int layout, enum p53g_family f,
				       struct net_device *dev)
{
	unsigned int head = layout ? min(len, l3len) : len;
	struct sk_buff *skb;

	skb = p53g_skb(pkt, len, head, htons(f == P53G_IPV4 ? ETH_P_IP :
					     ETH_P_IPV6), dev);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ_MSG(test, skb_headlen(skb), head, "%s skb",
			    p53g_layout[layout]);
	return skb;
}

static void p53g_class_check(struct kunit *test, enum p53g_family f)
{
	const struct p53g_class_case *c = test->param_value;
	u8 pkt[128] __aligned(8);
	struct p53g_pkt got;
	unsigned int i, len, l3len;
	struct sk_buff *skb;

	len = p53g_build(pkt, &c->p, f, &l3len);
	for (i = 0; i < ARRAY_SIZE(p53g_layout); i++) {
		skb = p53g_layout_skb(test, pkt, len, l3len, i, f, NULL);
#if IS_ENABLED(CONFIG_IPV6)
		if (f == P53G_IPV6)
			p53g_classify_ipv6(skb, c->tcp, &got);
		else
#endif
			p53g_classify_ipv4(skb, c->tcp, &got);
		kfree_skb(skb);
		KUNIT_EXPECT_EQ_MSG(test, got.cls, c->want, "%s skb",
				    p53g_layout[i]);
	}
}

static void p53g_ipv4_test(struct kunit *test)
{
	p53g_class_check(test, P53G_IPV4);
}

static struct kunit_case p53g_ipv4_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_ipv4_test, p53g_ipv4_gen_params),
	{}
};

static struct kunit_suite p53g_ipv4_suite = {
	.name = "port53guard_classify_ipv4",
	.test_cases = p53g_ipv4_test_cases,
};

#if IS_ENABLED(CONFIG_IPV6)
static void p53g_ipv6_test(struct kunit *test)
{
	p53g_class_check(test, P53G_IPV6);
}

static struct kunit_case p53g_ipv6_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_ipv6_test, p53g_ipv6_gen_params),
	{}
};

static struct kunit_suite p53g_ipv6_suite = {
	.name = "port53guard_classify_ipv6",
	.test_cases = p53g_ipv6_test_cases,
};
#endif

/* The verdict: one packet, its device, settings and list, one outcome. */

enum {
	P53G_DEV_ETH0,
	P53G_DEV_ETH1,
	P53G_DEV_WG0,
	P53G_DEV_W,
	P53G_DEV_LO,
};

/**
 * struct p53g_ctspec - a conntrack entry attached to a case's packet
 * @on: attach one
 * @ctinfo: the packet's state in it (enum ip_conntrack_info)
 * @status: its IPS_* bits
 * @wport: the destination port of the tuple of the packet's direction
 *	(what it carried on the wire); 0: the packet's own
 *
 * The entry is a zeroed struct nf_conn with only these fields set, as
 * the judge reads nothing else of it.
 */
struct p53g_ctspec {
	bool on;
	u8 ctinfo;
	unsigned long status;
	u16 wport;
};

/**
 * struct p53g_verdict_case - a packet under settings and its outcome
 * @name: what the case shows
 * @f: family
 * @p: the packet
 * @dev: P53G_DEV_*, the input device
 * @conf: the settings
 * @exempt: the exemption list, comma-separated, or NULL
 * @want: the outcome
 * @hook: where the packet is seen (P53G_HOOK_INPUT unless set)
 * @ct: its conntrack entry, if any
 * @rootless: the packet is in a network namespace owned by a child user
 *	namespace (a rootless container's), not by the initial one
 */
struct p53g_verdict_case {
	const char *name;
	enum p53g_family f;
	struct p53g_pktspec p;
	u8 dev;
	struct p53g_settings conf;
	const char *exempt;
	enum p53g_outcome want;
	enum p53g_hook hook;
	struct p53g_ctspec ct;
	bool rootless;
};

#define CONF(en, tcp_, lo, act)					\
	{ .enabled = (en), .tcp = (tcp_), .loopback = (lo),		\
	  .forward = 1, .action = P53G_ACTION_##act, .rate = 300 }
#define DFL		CONF(1, 0, 1, REJECT)
#define NOFWD		{ .enabled = 1, .loopback = 1, .forward = 0, .rate = 300 }
#define FWD		.hook = P53G_HOOK_FORWARD
/* A conntrack entry: its state for this packet, status, and wire port. */
#define CT(info, st, wire)	.ct = { .on = true, .ctinfo = (info),	\
					.status = (st), .wport = (wire) }
#define DNAT(wire)	CT(IP_CT_NEW, IPS_DST_NAT, wire)
#define REPLY_CT	CT(IP_CT_ESTABLISHED_REPLY, 0, 0)
#define V4		P53G_IPV4
#define V6		P53G_IPV6
#define ROOTLESS	.rootless = true

static const struct p53g_verdict_case p53g_verdict_cases[] = {
	{ "v4 udp 53: reject", V4, { UDP(53) }, P53G_DEV_ETH0, DFL,
	  NULL, P53G_REJECT_UNREACH },
	{ "v6 udp 53: reject", V6, { UDP(53) }, P53G_DEV_ETH0, DFL,
	  NULL, P53G_REJECT_UNREACH },
	{ "v4 udp 5353: passed", V4, { UDP(5353) }, P53G_DEV_ETH0, DFL,
	  NULL, P53G_PASSED },
	{ "v4 udp 53, enabled=0: disabled", V4, { UDP(53) }, P53G_DEV_ETH0,
	  CONF(0, 0, 1, REJECT), NULL, P53G_DISABLED },
	{ "v6 udp 5353, enabled=0: disabled", V6, { UDP(5353) },
	  P53G_DEV_ETH0, CONF(0, 0, 1, REJECT), NULL, P53G_DISABLED },
	{ "v4 udp 53, action=drop", V4, { UDP(53) }, P53G_DEV_ETH0,
	  CONF(1, 0, 1, DROP), NULL, P53G_DROP_ACTION },
	{ "v6 udp 53, action=drop", V6, { UDP(53) }, P53G_DEV_ETH0,
	  CONF(1, 0, 1, DROP), NULL, P53G_DROP_ACTION },
	{ "v4 udp 53, action=monitor", V4, { UDP(53) }, P53G_DEV_ETH0,
	  CONF(1, 0, 1, MONITOR), NULL, P53G_MONITORED },
	{ "v6 udp 53, action=monitor", V6, { UDP(53) }, P53G_DEV_ETH0,
	  CONF(1, 0, 1, MONITOR), NULL, P53G_MONITORED },
	{ "v4 tcp syn 53, tcp=0: passed", V4, { TCP(53) }, P53G_DEV_ETH0,
	  DFL, NULL, P53G_PASSED },
	{ "v4 tcp syn 53, tcp=1: reset", V4, { TCP(53) }, P53G_DEV_ETH0,
	  CONF(1, 1, 1, REJECT), NULL, P53G_REJECT_RESET },
	{ "v6 tcp syn 53, tcp=1: reset", V6, { TCP(53) }, P53G_DEV_ETH0,
	  CONF(1, 1, 1, REJECT), NULL, P53G_REJECT_RESET },
	{ "v4 tcp ack 53, tcp=1: passed", V4,
	  { TCP(53), .th_flags = TCPHDR_ACK }, P53G_DEV_ETH0,
	  CONF(1, 1, 1, REJECT), NULL, P53G_PASSED },
	{ "v6 tcp syn+ack 53, tcp=1: passed", V6,
	  { TCP(53), .th_flags = TCPHDR_SYN | TCPHDR_ACK }, P53G_DEV_ETH0,
	  CONF(1, 1, 1, REJECT), NULL, P53G_PASSED },
	{ "v4 tcp syn 53, tcp=1, action=drop", V4, { TCP(53) }, P53G_DEV_ETH0,
	  CONF(1, 1, 1, DROP), NULL,
	  P53G_DROP_ACTION },
	{ "v6 tcp syn 53, tcp=1, action=monitor", V6, { TCP(53) },
	  P53G_DEV_ETH0, CONF(1, 1, 1, MONITOR),
	  NULL, P53G_MONITORED },
	{ "v4 udp 53 on lo, loopback=1: exempted", V4,
	  { UDP(53), .src = P53G_SRC_LOOPBACK }, P53G_DEV_LO, DFL, NULL,
	  P53G_EXEMPT_LOOPBACK },
	{ "v6 udp 53 on lo, loopback=1: exempted", V6,
	  { UDP(53), .src = P53G_SRC_LOOPBACK }, P53G_DEV_LO, DFL, NULL,
	  P53G_EXEMPT_LOOPBACK },
	{ "v4 udp 53 on lo, loopback=0: reject", V4,
	  { UDP(53), .src = P53G_SRC_LOOPBACK }, P53G_DEV_LO,
	  CONF(1, 0, 0, REJECT), NULL, P53G_REJECT_UNREACH },
	{ "v6 udp 53 on lo, loopback=0, action=drop", V6,
	  { UDP(53), .src = P53G_SRC_LOOPBACK }, P53G_DEV_LO,
	  CONF(1, 0, 0, DROP), NULL,
	  P53G_DROP_ACTION },
	{ "v4 tcp syn 53 on lo, tcp=1: exempted", V4,
	  { TCP(53), .src = P53G_SRC_LOOPBACK }, P53G_DEV_LO,
	  CONF(1, 1, 1, REJECT), NULL, P53G_EXEMPT_LOOPBACK },
	{ "v4 udp cut short: dropped", V4, { UDP(53), .cut = 4 },
	  P53G_DEV_ETH0, DFL, NULL, P53G_DROP_MALFORMED },
	{ "v6 udp cut short, action=monitor", V6, { UDP(53), .cut = 4 },
	  P53G_DEV_ETH0, CONF(1, 0, 1, MONITOR), NULL,
	  P53G_MONITORED },
	{ "v4 udp cut short on lo: exempted", V4,
	  { UDP(53), .cut = 4, .src = P53G_SRC_LOOPBACK }, P53G_DEV_LO,
	  DFL, NULL, P53G_EXEMPT_LOOPBACK },
	{ "v4 exempt 192.0.2.0/24, from 192.0.2.1", V4, { UDP(53) },
	  P53G_DEV_ETH0, DFL, "192.0.2.0/24", P53G_EXEMPT_LIST },
	{ "v4 exempt 192.0.2.0/24, from 198.51.100.7", V4,
	  { UDP(53), .src = P53G_SRC_OTHER }, P53G_DEV_ETH0, DFL,
	  "192.0.2.0/24", P53G_REJECT_UNREACH },
	{ "v4 exempt 192.0.2.1 (/32), from it", V4, { UDP(53) },
	  P53G_DEV_ETH0, DFL, "192.0.2.1", P53G_EXEMPT_LIST },
	{ "v4 exempt 192.0.2.2 (/32), from 192.0.2.1", V4, { UDP(53) },
	  P53G_DEV_ETH0, DFL, "192.0.2.2", P53G_REJECT_UNREACH },
	{ "v4 exempt 0.0.0.0/0", V4, { UDP(53), .src = P53G_SRC_OTHER },
	  P53G_DEV_ETH0, DFL, "0.0.0.0/0", P53G_EXEMPT_LIST },
	{ "v6 packet, exempt 0.0.0.0/0 only", V6, { UDP(53) }, P53G_DEV_ETH0,
	  DFL, "0.0.0.0/0", P53G_REJECT_UNREACH },
	{ "v6 exempt 2001:db8::/32", V6, { UDP(53), .src = P53G_SRC_OTHER },
	  P53G_DEV_ETH0, DFL, "2001:db8::/32", P53G_EXEMPT_LIST },
	{ "v6 exempt 2001:db8::1 (/128), from it", V6, { UDP(53) },
	  P53G_DEV_ETH0, DFL, "2001:db8::1", P53G_EXEMPT_LIST },
	{ "v6 exempt 2001:db8::1 (/128), from 2001:db8:1::7", V6,
	  { UDP(53), .src = P53G_SRC_OTHER }, P53G_DEV_ETH0, DFL,
	  "2001:db8::1", P53G_REJECT_UNREACH },
	{ "v6 exempt ::/0", V6, { UDP(53), .src = P53G_SRC_OTHER },
	  P53G_DEV_ETH0, DFL, "::/0", P53G_EXEMPT_LIST },
	{ "v4 packet, exempt ::/0 only", V4, { UDP(53) }, P53G_DEV_ETH0,
	  DFL, "::/0", P53G_REJECT_UNREACH },
	{ "v4 overlapping prefixes, from inside the widest", V4,
	  { UDP(53), .src = P53G_SRC_OTHER }, P53G_DEV_ETH0, DFL,
	  "198.51.100.7/32,198.51.0.0/16,198.0.0.0/8", P53G_EXEMPT_LIST },
	{ "v4 exempt dev:eth0, on eth0", V4, { UDP(53) }, P53G_DEV_ETH0,
	  DFL, "dev:eth0", P53G_EXEMPT_LIST },
	{ "v6 exempt dev:eth0, on eth1", V6, { UDP(53) }, P53G_DEV_ETH1,
	  DFL, "dev:eth0", P53G_REJECT_UNREACH },
	{ "v4 exempt dev:wg+, on wg0", V4, { UDP(53) }, P53G_DEV_WG0,
	  DFL, "dev:wg+", P53G_EXEMPT_LIST },
	{ "v6 exempt dev:wg+, on w", V6, { UDP(53) }, P53G_DEV_W, DFL,
	  "dev:wg+", P53G_REJECT_UNREACH },
	{ "v4 exempt dev:+, on eth1", V4, { UDP(53) }, P53G_DEV_ETH1, DFL,
	  "dev:+", P53G_EXEMPT_LIST },
	{ "v4 exempt dev:wg0, tcp syn on wg0, tcp=1", V4, { TCP(53) },
	  P53G_DEV_WG0, CONF(1, 1, 1, REJECT), "dev:wg0", P53G_EXEMPT_LIST },
	/* A rootless container's root names its interfaces as it likes. */
	{ "v4 exempt dev:eth0, on eth0, rootless netns: reject", V4,
	  { UDP(53) }, P53G_DEV_ETH0, DFL, "dev:eth0", P53G_REJECT_UNREACH,
	  ROOTLESS },
	{ "v6 exempt dev:wg+, on wg0, rootless netns: reject", V6,
	  { UDP(53) }, P53G_DEV_WG0, DFL, "dev:wg+", P53G_REJECT_UNREACH,
	  ROOTLESS },
	{ "v4 exempt dev:+, tcp syn, tcp=1, rootless netns: reset", V4,
	  { TCP(53) }, P53G_DEV_ETH1, CONF(1, 1, 1, REJECT), "dev:+",
	  P53G_REJECT_RESET, ROOTLESS },
	{ "v4 exempt dev:eth0 and 192.0.2.0/24, rootless netns: prefix", V4,
	  { UDP(53) }, P53G_DEV_ETH0, DFL, "192.0.2.0/24,dev:eth0",
	  P53G_EXEMPT_LIST, ROOTLESS },
	{ "v6 exempt 2001:db8::/32, on eth0, rootless netns: prefix", V6,
	  { UDP(53) }, P53G_DEV_ETH0, DFL, "2001:db8::/32", P53G_EXEMPT_LIST,
	  ROOTLESS },
	{ "v4 udp 53 on lo, loopback=1, rootless netns: exempted", V4,
	  { UDP(53), .src = P53G_SRC_LOOPBACK }, P53G_DEV_LO, DFL, "dev:eth0",
	  P53G_EXEMPT_LOOPBACK, ROOTLESS },
	{ "v4 exempt and action=drop: exempt wins", V4, { UDP(53) },
	  P53G_DEV_ETH0, CONF(1, 0, 1, DROP), "192.0.2.0/24",
	  P53G_EXEMPT_LIST },
	{ "v4 exempt, cut short: exempt wins", V4, { UDP(53), .cut = 4 },
	  P53G_DEV_ETH0, DFL, "192.0.2.0/24", P53G_EXEMPT_LIST },
	{ "v4 exempt, enabled=0: disabled", V4, { UDP(53) }, P53G_DEV_ETH0,
	  CONF(0, 0, 1, REJECT), "192.0.2.0/24", P53G_DISABLED },
	{ "v4 exempt, udp 5353: passed", V4, { UDP(5353) }, P53G_DEV_ETH0,
	  DFL, "192.0.2.0/24", P53G_PASSED },
	{ "v6 list of other entries: reject", V6, { UDP(53) }, P53G_DEV_ETH0,
	  DFL, "10.0.0.0/8,2001:db8:1::/48,dev:eth1,dev:wg+",
	  P53G_REJECT_UNREACH },
	{ "v4 udp-lite 53: reject", V4, { UDPLITE(53) }, P53G_DEV_ETH0, DFL,
	  NULL, P53G_REJECT_UNREACH },
	{ "v6 udp-lite 53, exempt 2001:db8::/32", V6, { UDPLITE(53) },
	  P53G_DEV_ETH0, DFL, "2001:db8::/32", P53G_EXEMPT_LIST },
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	/* The port the world addressed: conntrack's tuple before DNAT. */
	{ "v4 redirected 53 -> 5354: reject", V4, { UDP(5354) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH, DNAT(53) },
	{ "v6 redirected 53 -> 5354: reject", V6, { UDP(5354) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH, DNAT(53) },
	{ "v4 redirected 53 -> 5354, source exempt", V4, { UDP(5354) },
	  P53G_DEV_ETH0, DFL, "192.0.2.0/24", P53G_EXEMPT_LIST, DNAT(53) },
	{ "v4 redirected 53 -> 5354, action=drop", V4, { UDP(5354) },
	  P53G_DEV_ETH0, CONF(1, 0, 1, DROP), NULL, P53G_DROP_ACTION,
	  DNAT(53) },
	{ "v6 udp-lite redirected 53 -> 5354: reject", V6, { UDPLITE(5354) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH, DNAT(53) },
	{ "v4 tcp syn redirected 53 -> 5354, tcp=1: reset", V4, { TCP(5354) },
	  P53G_DEV_ETH0, CONF(1, 1, 1, REJECT), NULL, P53G_REJECT_RESET,
	  DNAT(53) },
	{ "v4 tcp syn redirected 53 -> 5354, tcp=0: passed", V4,
	  { TCP(5354) }, P53G_DEV_ETH0, DFL, NULL, P53G_PASSED, DNAT(53) },
	{ "v4 tcp ack redirected 53 -> 5354, tcp=1: passed", V4,
	  { TCP(5354), .th_flags = TCPHDR_ACK }, P53G_DEV_ETH0,
	  CONF(1, 1, 1, REJECT), NULL, P53G_PASSED,
	  CT(IP_CT_ESTABLISHED, IPS_DST_NAT, 53) },
	{ "v4 redirected 8053 -> 5354: passed", V4, { UDP(5354) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_PASSED, DNAT(8053) },
	{ "v4 redirected 5300 -> 53: the socket's port counts too", V4,
	  { UDP(53) }, P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH,
	  DNAT(5300) },
	{ "v4 tracked, not translated, to 5354: passed", V4, { UDP(5354) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_PASSED, CT(IP_CT_NEW, 0, 53) },
	{ "v4 source translated only, to 5354: passed", V4, { UDP(5354) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_PASSED,
	  CT(IP_CT_NEW, IPS_SRC_NAT, 5354) },
	{ "v4 a template, not an entry: passed", V4, { UDP(5354) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_PASSED,
	  CT(IP_CT_NEW, IPS_TEMPLATE | IPS_DST_NAT, 53) },
	/* Published: DNATed from port 53 and routed on. */
	{ "v4 forward, DNAT 53 -> 5354: reject", V4, { UDP(5354) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH, FWD, DNAT(53) },
	{ "v6 forward, DNAT 53 -> 53: reject", V6, { UDP(53) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH, FWD, DNAT(53) },
	{ "v4 forward, DNAT 53 -> 5354, exempt dev:eth0", V4, { UDP(5354) },
	  P53G_DEV_ETH0, DFL, "dev:eth0", P53G_EXEMPT_LIST, FWD, DNAT(53) },
	{ "v4 forward, DNAT 53 -> 5354, exempt dev:eth0, rootless netns",
	  V4, { UDP(5354) }, P53G_DEV_ETH0, DFL, "dev:eth0",
	  P53G_REJECT_UNREACH, FWD, DNAT(53), ROOTLESS },
	{ "v6 forward, DNAT 53 -> 5354, exempt by source", V6, { UDP(5354) },
	  P53G_DEV_ETH0, DFL, "2001:db8::/48", P53G_EXEMPT_LIST, FWD,
	  DNAT(53) },
	{ "v4 forward, DNAT 53 -> 5354, action=monitor", V4, { UDP(5354) },
	  P53G_DEV_ETH0, CONF(1, 0, 1, MONITOR), NULL, P53G_MONITORED, FWD,
	  DNAT(53) },
	{ "v4 forward, DNAT 53 -> 5354, forward=0: disabled", V4,
	  { UDP(5354) }, P53G_DEV_ETH0, NOFWD, NULL, P53G_DISABLED, FWD,
	  DNAT(53) },
	{ "v4 forward=0 keeps input: redirected 53 -> 5354 rejected", V4,
	  { UDP(5354) }, P53G_DEV_ETH0, NOFWD, NULL, P53G_REJECT_UNREACH,
	  DNAT(53) },
	{ "v4 forward, enabled=0: disabled", V4, { UDP(5354) },
	  P53G_DEV_ETH0, CONF(0, 0, 1, REJECT), NULL, P53G_DISABLED, FWD,
	  DNAT(53) },
	{ "v4 forward, tcp syn DNAT 53, tcp=1: reset", V4, { TCP(5354) },
	  P53G_DEV_ETH0, CONF(1, 1, 1, REJECT), NULL, P53G_REJECT_RESET, FWD,
	  DNAT(53) },
	{ "v6 forward, udp-lite DNAT 53: reject", V6, { UDPLITE(5354) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH, FWD, DNAT(53) },
	{ "v4 forward, udp 53 not translated: passed", V4, { UDP(53) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_PASSED, FWD, CT(IP_CT_NEW, 0, 53) },
	{ "v4 forward, udp 53 untracked: passed", V4, { UDP(53) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_PASSED, FWD },
	{ "v6 forward, masqueraded client query to 53: passed", V6,
	  { UDP(53) }, P53G_DEV_ETH0, DFL, NULL, P53G_PASSED, FWD,
	  CT(IP_CT_NEW, IPS_SRC_NAT, 53) },
	{ "v4 forward, DNAT 8053 -> 53: passed", V4, { UDP(53) },
	  P53G_DEV_ETH0, DFL, NULL, P53G_PASSED, FWD, DNAT(8053) },
	{ "v4 forward, the published server's answer: passed", V4,
	  { .proto = IPPROTO_UDP, .sport = 5354, .dport = 40000,
	    .dns = P53G_DNS_RESPONSE }, P53G_DEV_ETH0, DFL, NULL, P53G_PASSED,
	  FWD, CT(IP_CT_ESTABLISHED_REPLY, IPS_DST_NAT, 40000) },
	{ "v4 forward, cut short, DNAT 53: dropped", V4,
	  { UDP(5354), .cut = 4 }, P53G_DEV_ETH0, DFL, NULL,
	  P53G_DROP_MALFORMED, FWD, DNAT(53) },
	{ "v4 forward, cut short, untracked: passed", V4,
	  { UDP(53), .cut = 4 }, P53G_DEV_ETH0, DFL, NULL, P53G_PASSED, FWD },
	/* A reply passes only if it is one: a response, or TCP. */
	{ "v4 reply, DNS response: replies", V4,
	  { UDP(53), .dns = P53G_DNS_RESPONSE }, P53G_DEV_ETH0, DFL, NULL,
	  P53G_REPLY, REPLY_CT },
	{ "v6 reply, DNS response: replies", V6,
	  { UDP(53), .dns = P53G_DNS_RESPONSE }, P53G_DEV_ETH0, DFL, NULL,
	  P53G_REPLY, REPLY_CT },
	{ "v4 reply, DNS query (QR 0): reject", V4,
	  { UDP(53), .dns = P53G_DNS_QUERY }, P53G_DEV_ETH0, DFL, NULL,
	  P53G_REJECT_UNREACH, REPLY_CT },
	{ "v6 reply, DNS query (QR 0): reject", V6,
	  { UDP(53), .dns = P53G_DNS_QUERY }, P53G_DEV_ETH0, DFL, NULL,
	  P53G_REJECT_UNREACH, REPLY_CT },
	{ "v4 reply, 6 bytes with QR set: reject", V4,
	  { UDP(53), .dns = P53G_DNS_SHORT }, P53G_DEV_ETH0, DFL, NULL,
	  P53G_REJECT_UNREACH, REPLY_CT },
	{ "v4 reply, no payload: reject", V4, { UDP(53) }, P53G_DEV_ETH0, DFL,
	  NULL, P53G_REJECT_UNREACH, REPLY_CT },
	{ "v4 reply, response one byte short: reject", V4,
	  { UDP(53), .dns = P53G_DNS_RESPONSE, .cut = 1 }, P53G_DEV_ETH0,
	  DFL, NULL, P53G_REJECT_UNREACH, REPLY_CT },
	{ "v4 reply, DNS query from an exempt source: exempted", V4,
	  { UDP(53), .dns = P53G_DNS_QUERY }, P53G_DEV_ETH0, DFL,
	  "192.0.2.0/24", P53G_EXEMPT_LIST, REPLY_CT },
	{ "v6 reply, udp-lite DNS response: replies", V6,
	  { UDPLITE(53), .dns = P53G_DNS_RESPONSE }, P53G_DEV_ETH0, DFL, NULL,
	  P53G_REPLY, REPLY_CT },
	/* UDP-Lite's length field is its checksum coverage, not its length. */
	{ "v4 reply, udp-lite response, coverage 8: replies", V4,
	  { UDPLITE(53), .dns = P53G_DNS_RESPONSE, .lite_cov = 8 },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REPLY, REPLY_CT },
	{ "v6 reply, udp-lite response, coverage 8: replies", V6,
	  { UDPLITE(53), .dns = P53G_DNS_RESPONSE, .lite_cov = 8 },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REPLY, REPLY_CT },
	{ "v4 reply, udp-lite response, coverage 0 (all): replies", V4,
	  { UDPLITE(53), .dns = P53G_DNS_RESPONSE, .lite_cov = P53G_COV_ZERO },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REPLY, REPLY_CT },
	{ "v4 reply, udp-lite query, coverage 8: reject", V4,
	  { UDPLITE(53), .dns = P53G_DNS_QUERY, .lite_cov = 8 },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH, REPLY_CT },
	{ "v6 reply, udp-lite response one byte short, coverage 8: reject", V6,
	  { UDPLITE(53), .dns = P53G_DNS_RESPONSE, .lite_cov = 8, .cut = 1 },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH, REPLY_CT },
	{ "v4 reply, tcp syn, tcp=1: replies", V4, { TCP(53) },
	  P53G_DEV_ETH0, CONF(1, 1, 1, REJECT), NULL, P53G_REPLY, REPLY_CT },
	{ "v4 established, not a reply, DNS response: reject", V4,
	  { UDP(53), .dns = P53G_DNS_RESPONSE }, P53G_DEV_ETH0, DFL, NULL,
	  P53G_REJECT_UNREACH, CT(IP_CT_ESTABLISHED, 0, 0) },
	{ "v4 reply to 5354, SNATed from 53, query: reject", V4,
	  { UDP(5354), .dns = P53G_DNS_QUERY }, P53G_DEV_ETH0, DFL, NULL,
	  P53G_REJECT_UNREACH,
	  CT(IP_CT_ESTABLISHED_REPLY, IPS_SRC_NAT, 53) },
	{ "v4 reply to 5354, SNATed from 53, response: replies", V4,
	  { UDP(5354), .dns = P53G_DNS_RESPONSE }, P53G_DEV_ETH0, DFL, NULL,
	  P53G_REPLY, CT(IP_CT_ESTABLISHED_REPLY, IPS_SRC_NAT, 53) },
#endif
};

static void p53g_verdict_desc(const struct p53g_verdict_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_verdict, p53g_verdict_cases, p53g_verdict_desc);

/* The list, from text, as the sysfs file would take it. */
static struct p53g_pset *p53g_test_pset(struct kunit *test, const char *list)
{
	struct p53g_entry e[8];
	struct p53g_pset *ps;
	size_t n = 0, len;
	const char *comma;

	while (*list) {
		KUNIT_ASSERT_LT(test, n, ARRAY_SIZE(e));
		comma = strchrnul(list, ',');
		len = comma - list;
		KUNIT_ASSERT_EQ_MSG(test, p53g_entry_parse(list, len, &e[n], NULL),
				    0, "entry %.*s", (int)len, list);
		n++;
		list = *comma ? comma + 1 : comma;
	}
	ps = p53g_pset_build(e, n);
	KUNIT_ASSERT_NOT_NULL(test, ps);
	return ps;
}

static struct net_device *p53g_test_dev(struct kunit *test, u8 which)
{
	static const char * const names[] = {
		[P53G_DEV_ETH0] = "eth0",
		[P53G_DEV_ETH1] = "eth1",
		[P53G_DEV_WG0] = "wg0",
		[P53G_DEV_W] = "w",
	};
	struct net_device *dev;

	if (which == P53G_DEV_LO)
		return init_net.loopback_dev;
	/* The verdict reads only the flags and the name of the device. */
	dev = kunit_kzalloc(test, sizeof(*dev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dev);
	dev->flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST;
	strscpy(dev->name, names[which], sizeof(dev->name));
	return dev;
}

/*
 * Attach the case's conntrack entry to @skb: a zeroed struct nf_conn with
 * the fields the judge reads. Detached again before the skb is freed, so
 * nothing ever puts a reference on it.
 */
static void p53g_test_ct(struct kunit *test, struct sk_buff *skb,
			 const struct p53g_verdict_case *c)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	struct nf_conntrack_tuple *t;
	struct nf_conn *ct;

	if (!c->ct.on)
		return;
	ct = kunit_kzalloc(test, sizeof(*ct), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ct);
	ct->status = c->ct.status;
	t = &ct->tuplehash[CTINFO2DIR(c->ct.ctinfo)].tuple;
	t->dst.protonum = c->p.proto;
	t->dst.u.all = htons(c->ct.wport ? c->ct.wport : c->p.dport);
	nf_ct_set(skb, ct, c->ct.ctinfo);
#endif
}

static void p53g_test_ct_detach(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	nf_ct_set(skb, NULL, 0);
#endif
}

/*
 * The namespace the case's packet is in: the host's, or one owned by a
 * child user namespace. The verdict reads only its owner, so a zeroed
 * struct net owned by a zeroed user namespace stands for a rootless
 * container's.
 */
static const struct net *p53g_test_net(struct kunit *test, bool rootless)
{
	struct net *net;

	if (!rootless)
		return &init_net;
	net = kunit_kzalloc(test, sizeof(*net), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, net);
	net->user_ns = kunit_kzalloc(test, sizeof(*net->user_ns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, net->user_ns);
	return net;
}

static void p53g_verdict_test(struct kunit *test)
{
	const struct p53g_verdict_case *c = test->param_value;
	struct p53g_pset *ps = NULL;
	u8 pkt[128] __aligned(8);
	unsigned int i, len, l3len;
	struct net_device *dev;
	enum p53g_outcome got;
	const struct net *net;
	struct p53g_pkt info;
	struct sk_buff *skb;

	if (IS_ENABLED(CONFIG_IPV6) || c->f == P53G_IPV4) {
		dev = p53g_test_dev(test, c->dev);
		net = p53g_test_net(test, c->rootless);
		if (c->exempt)
			ps = p53g_test_pset(test, c->exempt);
		len = p53g_build(pkt, &c->p, c->f, &l3len);
		for (i = 0; i < ARRAY_SIZE(p53g_layout); i++) {
			skb = p53g_layout_skb(test, pkt, len, l3len, i, c->f,
					      dev);
			p53g_test_ct(test, skb, c);
			got = p53g_judge(skb, c->f, c->hook, net, dev, &c->conf,
					 ps, &info);
			p53g_test_ct_detach(skb);
			kfree_skb(skb);
			KUNIT_EXPECT_EQ_MSG(test, got, c->want, "%s skb",
					    p53g_layout[i]);
		}
		p53g_pset_free(ps);
	}
}

static struct kunit_case p53g_verdict_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_verdict_test, p53g_verdict_gen_params),
	{}
};

static struct kunit_suite p53g_verdict_suite = {
	.name = "port53guard_verdict",
	.test_cases = p53g_verdict_test_cases,
};

/*
 * authoritative=1: queries with RD clear pass (iterative), everything else
 * is judged as without the setting; with tcp=1 every TCP segment to port
 * 53 with a payload is read as beginning a DNS message.
 */
#define AUTH(tcp_, act)						\
	{ .enabled = 1, .tcp = (tcp_), .loopback = 1, .forward = 1,	\
	  .authoritative = 1, .action = P53G_ACTION_##act, .rate = 300 }
#define AUTHDFL		AUTH(0, REJECT)
#define AUTHTCP		AUTH(1, REJECT)
#define QUERY		.dns = P53G_DNS_QUERY
#define RECURSE		.dns = P53G_DNS_QUERY, .rd = true
/* A TCP segment of an established connection, with a payload. */
#define DATA		.th_flags = TCPHDR_ACK | TCPHDR_PSH

static const struct p53g_verdict_case p53g_auth_cases[] = {
	{ "v4 udp RD 0: iterative", V4, { UDP(53), QUERY }, P53G_DEV_ETH0,
	  AUTHDFL, NULL, P53G_ITERATIVE },
	{ "v6 udp RD 0: iterative", V6, { UDP(53), QUERY }, P53G_DEV_ETH0,
	  AUTHDFL, NULL, P53G_ITERATIVE },
	{ "v4 udp RD 1: reject", V4, { UDP(53), RECURSE }, P53G_DEV_ETH0,
	  AUTHDFL, NULL, P53G_REJECT_UNREACH },
	{ "v6 udp RD 1: reject", V6, { UDP(53), RECURSE }, P53G_DEV_ETH0,
	  AUTHDFL, NULL, P53G_REJECT_UNREACH },
	{ "v4 udp QR 1 RD 0: reject", V4,
	  { UDP(53), .dns = P53G_DNS_RESPONSE }, P53G_DEV_ETH0, AUTHDFL, NULL,
	  P53G_REJECT_UNREACH },
	{ "v4 udp RD 0, header one byte short: reject", V4,
	  { UDP(53), QUERY, .cut = 1 }, P53G_DEV_ETH0, AUTHDFL, NULL,
	  P53G_REJECT_UNREACH },
	{ "v6 udp RD 0, header one byte short: reject", V6,
	  { UDP(53), QUERY, .cut = 1 }, P53G_DEV_ETH0, AUTHDFL, NULL,
	  P53G_REJECT_UNREACH },
	{ "v4 udp RD 0, header past the UDP length: reject", V4,
	  { UDP(53), QUERY, .lite_cov = 19 }, P53G_DEV_ETH0, AUTHDFL, NULL,
	  P53G_REJECT_UNREACH },
	{ "v4 udp, 6 bytes of header: reject", V4,
	  { UDP(53), .dns = P53G_DNS_SHORT }, P53G_DEV_ETH0, AUTHDFL, NULL,
	  P53G_REJECT_UNREACH },
	{ "v4 udp, no payload: reject", V4, { UDP(53) }, P53G_DEV_ETH0,
	  AUTHDFL, NULL, P53G_REJECT_UNREACH },
	{ "v4 udp cut short: dropped", V4, { UDP(53), .cut = 4 },
	  P53G_DEV_ETH0, AUTHDFL, NULL, P53G_DROP_MALFORMED },
	{ "v4 udp 5353 RD 1: passed", V4, { UDP(5353), RECURSE },
	  P53G_DEV_ETH0, AUTHDFL, NULL, P53G_PASSED },
	{ "v4 udp-lite RD 0: iterative", V4, { UDPLITE(53), QUERY },
	  P53G_DEV_ETH0, AUTHDFL, NULL, P53G_ITERATIVE },
	{ "v6 udp-lite RD 0, coverage 8: iterative", V6,
	  { UDPLITE(53), QUERY, .lite_cov = 8 }, P53G_DEV_ETH0, AUTHDFL, NULL,
	  P53G_ITERATIVE },
	{ "v6 udp-lite RD 1: reject", V6, { UDPLITE(53), RECURSE },
	  P53G_DEV_ETH0, AUTHDFL, NULL, P53G_REJECT_UNREACH },
	{ "v4 first fragment RD 0: iterative", V4,
	  { UDP(53), QUERY, .more_frags = true }, P53G_DEV_ETH0, AUTHDFL,
	  NULL, P53G_ITERATIVE },
	{ "v4 first fragment RD 1: reject", V4,
	  { UDP(53), RECURSE, .more_frags = true }, P53G_DEV_ETH0, AUTHDFL,
	  NULL, P53G_REJECT_UNREACH },
	{ "v6 first fragment RD 0: iterative", V6,
	  { UDP(53), QUERY, .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1,
	    .more_frags = true }, P53G_DEV_ETH0, AUTHDFL, NULL,
	  P53G_ITERATIVE },
	{ "v6 first fragment RD 1: reject", V6,
	  { UDP(53), RECURSE, .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1,
	    .more_frags = true }, P53G_DEV_ETH0, AUTHDFL, NULL,
	  P53G_REJECT_UNREACH },
	{ "v6 first fragment, header one byte short: reject", V6,
	  { UDP(53), QUERY, .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1,
	    .more_frags = true, .cut = 1 }, P53G_DEV_ETH0, AUTHDFL, NULL,
	  P53G_REJECT_UNREACH },
	{ "v4 non-first fragment: passed", V4,
	  { UDP(53), RECURSE, .frag_offset = 185, .more_frags = true },
	  P53G_DEV_ETH0, AUTHDFL, NULL, P53G_PASSED },
	{ "v6 non-first fragment: passed", V6,
	  { UDP(53), RECURSE, .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1,
	    .frag_offset = 185 }, P53G_DEV_ETH0, AUTHDFL, NULL, P53G_PASSED },
	{ "v4 exempt source, RD 1: exempted", V4, { UDP(53), RECURSE },
	  P53G_DEV_ETH0, AUTHDFL, "192.0.2.0/24", P53G_EXEMPT_LIST },
	{ "v6 exempt source, RD 0: exempted", V6, { UDP(53), QUERY },
	  P53G_DEV_ETH0, AUTHDFL, "2001:db8::/32", P53G_EXEMPT_LIST },
	{ "v4 on lo, RD 0: exempted", V4,
	  { UDP(53), QUERY, .src = P53G_SRC_LOOPBACK }, P53G_DEV_LO, AUTHDFL,
	  NULL, P53G_EXEMPT_LOOPBACK },
	{ "v4 monitor, RD 0: iterative", V4, { UDP(53), QUERY },
	  P53G_DEV_ETH0, AUTH(0, MONITOR), NULL, P53G_ITERATIVE },
	{ "v4 monitor, RD 1: monitored", V4, { UDP(53), RECURSE },
	  P53G_DEV_ETH0, AUTH(0, MONITOR), NULL, P53G_MONITORED },
	{ "v6 monitor, header short: monitored", V6,
	  { UDP(53), QUERY, .cut = 1 }, P53G_DEV_ETH0, AUTH(0, MONITOR), NULL,
	  P53G_MONITORED },
	{ "v6 drop, RD 1: dropped", V6, { UDP(53), RECURSE }, P53G_DEV_ETH0,
	  AUTH(0, DROP), NULL, P53G_DROP_ACTION },
	{ "v4 drop, RD 0: iterative", V4, { UDP(53), QUERY }, P53G_DEV_ETH0,
	  AUTH(0, DROP), NULL, P53G_ITERATIVE },
	{ "v4 authoritative 0, RD 0: reject", V4, { UDP(53), QUERY },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH },
	{ "v6 authoritative 0, RD 0: reject", V6, { UDP(53), QUERY },
	  P53G_DEV_ETH0, DFL, NULL, P53G_REJECT_UNREACH },
	{ "v4 authoritative 0, monitor, RD 0: monitored", V4,
	  { UDP(53), QUERY }, P53G_DEV_ETH0, CONF(1, 0, 1, MONITOR), NULL,
	  P53G_MONITORED },
	{ "v4 authoritative 0, tcp=1, data RD 1: passed", V4,
	  { TCP(53), RECURSE, DATA }, P53G_DEV_ETH0, CONF(1, 1, 1, REJECT),
	  NULL, P53G_PASSED },
	{ "v4 authoritative 0, tcp=1, syn RD 0: reset", V4,
	  { TCP(53), QUERY }, P53G_DEV_ETH0, CONF(1, 1, 1, REJECT), NULL,
	  P53G_REJECT_RESET },
	/* TCP: the SYN passes, the segment that begins a message is read. */
	{ "v4 tcp=1 syn: passed", V4, { TCP(53) }, P53G_DEV_ETH0, AUTHTCP,
	  NULL, P53G_PASSED },
	{ "v6 tcp=1 syn: passed", V6, { TCP(53) }, P53G_DEV_ETH0, AUTHTCP,
	  NULL, P53G_PASSED },
	{ "v4 tcp=1 syn with data (fast open), RD 1: reset", V4,
	  { TCP(53), RECURSE }, P53G_DEV_ETH0, AUTHTCP, NULL,
	  P53G_REJECT_RESET },
	{ "v4 tcp=1 syn with data (fast open), RD 0: iterative", V4,
	  { TCP(53), QUERY }, P53G_DEV_ETH0, AUTHTCP, NULL, P53G_ITERATIVE },
	{ "v4 tcp=1 data RD 0: iterative", V4, { TCP(53), QUERY, DATA },
	  P53G_DEV_ETH0, AUTHTCP, NULL, P53G_ITERATIVE },
	{ "v6 tcp=1 data RD 0: iterative", V6, { TCP(53), QUERY, DATA },
	  P53G_DEV_ETH0, AUTHTCP, NULL, P53G_ITERATIVE },
	{ "v4 tcp=1 data RD 1: reset", V4, { TCP(53), RECURSE, DATA },
	  P53G_DEV_ETH0, AUTHTCP, NULL, P53G_REJECT_RESET },
	{ "v6 tcp=1 data RD 1: reset", V6, { TCP(53), RECURSE, DATA },
	  P53G_DEV_ETH0, AUTHTCP, NULL, P53G_REJECT_RESET },
	{ "v6 tcp=1 data after extension headers, RD 1: reset", V6,
	  { TCP(53), RECURSE, DATA, .ext = { NEXTHDR_HOP, NEXTHDR_DEST },
	    .n_ext = 2 }, P53G_DEV_ETH0, AUTHTCP, NULL, P53G_REJECT_RESET },
	{ "v4 tcp=1 data QR 1: reset", V4,
	  { TCP(53), .dns = P53G_DNS_RESPONSE, DATA }, P53G_DEV_ETH0, AUTHTCP,
	  NULL, P53G_REJECT_RESET },
	{ "v4 tcp=1 data RD 0, header one byte short: reset", V4,
	  { TCP(53), QUERY, DATA, .cut = 1 }, P53G_DEV_ETH0, AUTHTCP, NULL,
	  P53G_REJECT_RESET },
	{ "v6 tcp=1 data, 6 bytes of header: reset", V6,
	  { TCP(53), .dns = P53G_DNS_SHORT, DATA }, P53G_DEV_ETH0, AUTHTCP,
	  NULL, P53G_REJECT_RESET },
	{ "v4 tcp=1 ack, no payload: passed", V4,
	  { TCP(53), .th_flags = TCPHDR_ACK }, P53G_DEV_ETH0, AUTHTCP, NULL,
	  P53G_PASSED },
	{ "v6 tcp=1 fin, no payload: passed", V6,
	  { TCP(53), .th_flags = TCPHDR_ACK | TCPHDR_FIN }, P53G_DEV_ETH0,
	  AUTHTCP, NULL, P53G_PASSED },
	{ "v4 tcp=1 rst with a payload: passed", V4,
	  { TCP(53), RECURSE, .th_flags = TCPHDR_RST }, P53G_DEV_ETH0,
	  AUTHTCP, NULL, P53G_PASSED },
	{ "v4 tcp=1 data to port 80, RD 1: passed", V4,
	  { TCP(80), RECURSE, DATA }, P53G_DEV_ETH0, AUTHTCP, NULL,
	  P53G_PASSED },
	{ "v4 tcp=0 data RD 1: passed", V4, { TCP(53), RECURSE, DATA },
	  P53G_DEV_ETH0, AUTHDFL, NULL, P53G_PASSED },
	{ "v4 tcp=1 data header cut to 4 bytes: dropped", V4,
	  { TCP(53), DATA, .cut = 16 }, P53G_DEV_ETH0, AUTHTCP, NULL,
	  P53G_DROP_MALFORMED },
	{ "v4 tcp=1 exempt source, data RD 1: exempted", V4,
	  { TCP(53), RECURSE, DATA }, P53G_DEV_ETH0, AUTHTCP, "192.0.2.0/24",
	  P53G_EXEMPT_LIST },
	{ "v6 tcp=1 on lo, data RD 1: exempted", V6,
	  { TCP(53), RECURSE, DATA, .src = P53G_SRC_LOOPBACK }, P53G_DEV_LO,
	  AUTHTCP, NULL, P53G_EXEMPT_LOOPBACK },
	{ "v4 tcp=1 monitor, data RD 1: monitored", V4,
	  { TCP(53), RECURSE, DATA }, P53G_DEV_ETH0, AUTH(1, MONITOR), NULL,
	  P53G_MONITORED },
	{ "v6 tcp=1 monitor, data RD 0: iterative", V6,
	  { TCP(53), QUERY, DATA }, P53G_DEV_ETH0, AUTH(1, MONITOR), NULL,
	  P53G_ITERATIVE },
	{ "v4 tcp=1 drop, data RD 1: dropped", V4, { TCP(53), RECURSE, DATA },
	  P53G_DEV_ETH0, AUTH(1, DROP), NULL, P53G_DROP_ACTION },
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	{ "v4 reply direction, udp query RD 0: iterative", V4,
	  { UDP(53), QUERY }, P53G_DEV_ETH0, AUTHDFL, NULL, P53G_ITERATIVE,
	  REPLY_CT },
	{ "v4 tcp=1 reply direction, data RD 1: replies", V4,
	  { TCP(53), RECURSE, DATA }, P53G_DEV_ETH0, AUTHTCP, NULL,
	  P53G_REPLY, REPLY_CT },
	{ "v4 udp to 5354 REDIRECTed from 53, RD 1: reject", V4,
	  { UDP(5354), RECURSE }, P53G_DEV_ETH0, AUTHDFL, NULL,
	  P53G_REJECT_UNREACH, DNAT(53) },
	{ "v6 udp to 5354 REDIRECTed from 53, RD 0: iterative", V6,
	  { UDP(5354), QUERY }, P53G_DEV_ETH0, AUTHDFL, NULL, P53G_ITERATIVE,
	  DNAT(53) },
	{ "v4 tcp=1 data to 5354 DNATed from 53, RD 1: reset", V4,
	  { TCP(5354), RECURSE, DATA }, P53G_DEV_ETH0, AUTHTCP, NULL,
	  P53G_REJECT_RESET, CT(IP_CT_ESTABLISHED, IPS_DST_NAT, 53) },
	{ "v4 tcp=1 data to 5354 DNATed from 53, RD 0: iterative", V4,
	  { TCP(5354), QUERY, DATA }, P53G_DEV_ETH0, AUTHTCP, NULL,
	  P53G_ITERATIVE, CT(IP_CT_ESTABLISHED, IPS_DST_NAT, 53) },
	{ "v4 forward, tcp=1 data DNATed from 53, RD 1: reset", V4,
	  { TCP(5354), RECURSE, DATA }, P53G_DEV_ETH0, AUTHTCP, NULL,
	  P53G_REJECT_RESET, CT(IP_CT_ESTABLISHED, IPS_DST_NAT, 53), FWD },
	{ "v6 forward, udp DNATed from 53, RD 0: iterative", V6,
	  { UDP(5354), QUERY }, P53G_DEV_ETH0, AUTHDFL, NULL, P53G_ITERATIVE,
	  DNAT(53), FWD },
	{ "v4 forward, tcp=1 data not DNATed, RD 1: passed", V4,
	  { TCP(53), RECURSE, DATA }, P53G_DEV_ETH0, AUTHTCP, NULL,
	  P53G_PASSED, FWD },
#endif
};

KUNIT_ARRAY_PARAM(p53g_auth, p53g_auth_cases, p53g_verdict_desc);

static struct kunit_case p53g_auth_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_verdict_test, p53g_auth_gen_params),
	{}
};

static struct kunit_suite p53g_auth_suite = {
	.name = "port53guard_authoritative",
	.test_cases = p53g_auth_test_cases,
};

/*
 * The rate limit with an injected clock: at each step, @n replies are
 * asked for at @t ns, and @allowed of them must be let through.
 */
#define P53G_MAX_STEPS	6

struct p53g_rate_step {
	u64 t;
	unsigned int n;
	unsigned int allowed;
};

struct p53g_rate_case {
	const char *name;
	u32 rate;
	struct p53g_rate_step steps[P53G_MAX_STEPS];
	unsigned int n_steps;
};

#define MS	1000000ULL
#define S	1000000000ULL

static const struct p53g_rate_case p53g_rate_cases[] = {
	{ "rate 0: no limit", 0,
	  { { S, 100000, 100000 }, { S, 1, 1 } }, 2 },
	{ "rate 1: burst 1, one a second", 1,
	  { { S, 5, 1 }, { S + 999 * MS, 1, 0 }, { 2 * S, 3, 1 },
	    { 10 * S, 2, 1 } }, 4 },
	{ "rate 10: burst 1, one per 100 ms", 10,
	  { { S, 2, 1 }, { S + 99 * MS, 1, 0 }, { S + 100 * MS, 1, 1 },
	    { S + 150 * MS, 1, 0 }, { S + 200 * MS, 2, 1 } }, 5 },
	{ "rate 100: burst 10, refill 1 per 10 ms", 100,
	  { { S, 11, 10 }, { S + 10 * MS, 2, 1 }, { S + 35 * MS, 3, 2 },
	    { S + 35 * MS, 1, 0 } }, 4 },
	{ "rate 100: a long idle refills the burst, no more", 100,
	  { { S, 10, 10 }, { 100 * S, 20, 10 }, { 100 * S + 5 * MS, 1, 0 } },
	  3 },
	{ "rate 300 (default): burst 30", 300,
	  { { S, 40, 30 }, { S + 100 * MS, 40, 30 } }, 2 },
	{ "rate 1000000: burst 100000, 1 us apart", 1000000,
	  { { S, 100001, 100000 }, { S + 1000, 2, 1 }, { S + 3000, 3, 2 } },
	  3 },
};

static void p53g_rate_desc(const struct p53g_rate_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_rate, p53g_rate_cases, p53g_rate_desc);

static void p53g_rate_test(struct kunit *test)
{
	const struct p53g_rate_case *c = test->param_value;
	struct p53g_bucket b = { .tat = ATOMIC64_INIT(0) };
	unsigned int i, k, allowed;

	for (i = 0; i < c->n_steps; i++) {
		const struct p53g_rate_step *s = &c->steps[i];

		for (k = 0, allowed = 0; k < s->n; k++)
			allowed += p53g_bucket_take(&b, c->rate, s->t);
		KUNIT_EXPECT_EQ_MSG(test, allowed, s->allowed,
				    "step %u: %u asked at %llu ns", i, s->n,
				    s->t);
	}
}

static void p53g_burst_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, p53g_bucket_burst(1), 1);
	KUNIT_EXPECT_EQ(test, p53g_bucket_burst(19), 1);
	KUNIT_EXPECT_EQ(test, p53g_bucket_burst(300), 30);
	KUNIT_EXPECT_EQ(test, p53g_bucket_burst(P53G_RATE_MAX), 100000);
}

static struct kunit_case p53g_rate_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_rate_test, p53g_rate_gen_params),
	KUNIT_CASE(p53g_burst_test),
	{}
};

static struct kunit_suite p53g_rate_suite = {
	.name = "port53guard_ratelimit",
	.test_cases = p53g_rate_test_cases,
};

/**
 * struct p53g_csum_case - a UDP checksum and what the device said of it
 * @name: what the case shows
 * @corrupt: a payload byte changed after the checksum was computed
 * @complete: CHECKSUM_COMPLETE, with skb->csum the sum of the bytes...
 * @device_sum_of_good: ...of the packet as it was before @corrupt
 *	(a device sum that disagrees with the bytes: believed at LOCAL_IN,
 *	which shows the device's sum is what is used there)
 * @hooknum: where it is asked
 * @lite_cov: UDP-Lite with this checksum coverage (0: UDP)
 * @want: the checksum checks out
 */
struct p53g_csum_case {
	const char *name;
	bool corrupt;
	bool complete;
	bool device_sum_of_good;
	u8 hooknum;
	u8 lite_cov;
	bool want;
};

static const struct p53g_csum_case p53g_csum_cases[] = {
	{ "no device sum: good", false, false, false, NF_INET_LOCAL_IN, 0, true },
	{ "no device sum: corrupt", true, false, false, NF_INET_LOCAL_IN, 0, false },
	{ "device sum: good", false, true, false, NF_INET_LOCAL_IN, 0, true },
	{ "device sum: corrupt", true, true, false, NF_INET_LOCAL_IN, 0, false },
	{ "device sum of other bytes: believed at LOCAL_IN", true, true, true,
	  NF_INET_LOCAL_IN, 0, true },
	{ "device sum of other bytes: not used on FORWARD", true, true, true,
	  NF_INET_FORWARD, 0, false },
	{ "device sum wrong, bytes good: summed again", false, true, true,
	  NF_INET_LOCAL_IN, 0, true },
	{ "udplite, partial coverage: summed in software, good", false, true,
	  false, NF_INET_LOCAL_IN, 8 + P53G_DNS_HDR_LEN - 4, true },
	{ "udplite, partial coverage: device sum of other bytes not used", true,
	  true, true, NF_INET_LOCAL_IN, 8 + P53G_DNS_HDR_LEN - 4, false },
};

static void p53g_csum_desc(const struct p53g_csum_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_csum, p53g_csum_cases, p53g_csum_desc);

static bool p53g_csum_ask(struct sk_buff *skb, enum p53g_family f,
			  unsigned int hooknum)
{
	struct p53g_pkt got;

#if IS_ENABLED(CONFIG_IPV6)
	if (f == P53G_IPV6) {
		p53g_classify_ipv6(skb, false, &got);
		return p53g_udp6_csum_ok(skb, &got, hooknum);
	}
#endif
	p53g_classify_ipv4(skb, false, &got);
	return p53g_udp4_csum_ok(skb, &got, hooknum);
}

/*
 * Builds a UDP or UDP-Lite query with a valid checksum; UDP-Lite with
 * @lite_cov bytes of checksum coverage (0: all). Returns its length and
 * the fixed header's.
 */
static unsigned int p53g_build_csummed(u8 *pkt, u8 proto, unsigned int lite_cov,
				       enum p53g_family f, unsigned int *l3len)
{
	struct p53g_pktspec spec = { .dns = P53G_DNS_QUERY, .src = P53G_SRC_DOC,
				     .proto = proto, .sport = 40000,
				     .dport = P53G_DNS_PORT };
	unsigned int len, ulen, cov;
	struct udphdr *uh;

	len = p53g_build(pkt, &spec, f, l3len);
	uh = (struct udphdr *)(pkt + *l3len);
	ulen = len - *l3len;
	cov = lite_cov ? lite_cov : ulen;
	if (proto == IPPROTO_UDPLITE)
		uh->len = htons(lite_cov);
	uh->check = 0;
	if (f == P53G_IPV4)
		uh->check = csum_tcpudp_magic(((struct iphdr *)pkt)->saddr,
					      ((struct iphdr *)pkt)->daddr,
					      ulen, proto,
					      csum_partial(uh, cov, 0));
	else
		uh->check = csum_ipv6_magic(&((struct ipv6hdr *)pkt)->saddr,
					    &((struct ipv6hdr *)pkt)->daddr,
					    ulen, proto,
					    csum_partial(uh, cov, 0));
	if (!uh->check)
		uh->check = CSUM_MANGLED_0;
	return len;
}

static void p53g_csum_check(struct kunit *test, enum p53g_family f)
{
	const struct p53g_csum_case *c = test->param_value;
	unsigned int i, len, l3len;
	u8 pkt[128] __aligned(8);
	struct sk_buff *skb;
	struct udphdr *uh;
	__wsum good;
	bool ok;

	len = p53g_build_csummed(pkt, c->lite_cov ? IPPROTO_UDPLITE :
						    IPPROTO_UDP,
				 c->lite_cov, f, &l3len);
	uh = (struct udphdr *)(pkt + l3len);
	good = csum_partial(pkt, len, 0);
	if (c->corrupt)		/* the DNS ID: inside any coverage */
		pkt[l3len + sizeof(*uh) + 1] ^= 0x5a;
	if (c->device_sum_of_good && !c->corrupt)
		good = csum_add(good, htonl(0x01000000));	/* a wrong sum */
	for (i = 0; i < ARRAY_SIZE(p53g_layout); i++) {
		skb = p53g_layout_skb(test, pkt, len, l3len, i, f, NULL);
		if (c->complete) {
			skb->ip_summed = CHECKSUM_COMPLETE;
			skb->csum = c->device_sum_of_good ? good :
							    csum_partial(pkt, len, 0);
		}
		ok = p53g_csum_ask(skb, f, c->hooknum);
		kfree_skb(skb);
		KUNIT_EXPECT_EQ_MSG(test, ok, c->want, "%s skb", p53g_layout[i]);
	}
}

static void p53g_csum4_test(struct kunit *test)
{
	p53g_csum_check(test, P53G_IPV4);
}

#if IS_ENABLED(CONFIG_IPV6)
static void p53g_csum6_test(struct kunit *test)
{
	p53g_csum_check(test, P53G_IPV6);
}
#endif

/**
 * struct p53g_due_case - a query refused with a reply: what it costs
 * @name: what the case shows
 * @pkt_type: the frame's skb->pkt_type (PACKET_HOST: to this host alone)
 * @corrupt: a payload byte changed after the checksum was computed
 * @cut: bytes cut off the end: the UDP length then runs past the packet
 * @rate: the bucket's rate (10: a burst of one)
 * @empty: the bucket's token is spent before the packet comes
 * @want: the outcome
 * @left: the bucket still holds a token after it
 *
 * An empty bucket is seen first; then the header's questions, which take
 * no token; then the token; then the checksum, which keeps the token
 * spent when it fails.
 */
struct p53g_due_case {
	const char *name;
	u8 pkt_type;
	bool corrupt;
	u8 cut;
	u32 rate;
	bool empty;
	enum p53g_outcome want;
	bool left;
};

static const struct p53g_due_case p53g_due_cases[] = {
	{ "good: rejected, token spent", PACKET_HOST, false, 0, 10, false,
	  P53G_REJECT_UNREACH, false },
	{ "good, bucket empty: ratelimited", PACKET_HOST, false, 0, 10, true,
	  P53G_DROP_RATELIMIT, false },
	{ "good, rate 0: rejected", PACKET_HOST, false, 0, 0, false,
	  P53G_REJECT_UNREACH, true },
	{ "bad checksum: noreply, token spent", PACKET_HOST, true, 0, 10,
	  false, P53G_DROP_NOREPLY, false },
	{ "bad checksum, bucket empty: ratelimited", PACKET_HOST, true, 0, 10,
	  true, P53G_DROP_RATELIMIT, false },
	{ "bad checksum, rate 0: noreply", PACKET_HOST, true, 0, 0, false,
	  P53G_DROP_NOREPLY, true },
	{ "broadcast frame: noreply, no token", PACKET_BROADCAST, false, 0, 10,
	  false, P53G_DROP_NOREPLY, true },
	{ "multicast frame, bucket empty: ratelimited (the bucket first)",
	  PACKET_MULTICAST, false, 0, 10, true, P53G_DROP_RATELIMIT, false },
	{ "udp length past the packet: noreply, no token", PACKET_HOST, false,
	  4, 10, false, P53G_DROP_NOREPLY, true },
};

static void p53g_due_desc(const struct p53g_due_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_due, p53g_due_cases, p53g_due_desc);

/* The packet through p53g_reply_due(), as the hook would ask. */
static enum p53g_outcome p53g_due_ask(struct sk_buff *skb, enum p53g_family f,
				      struct p53g_bucket *b, u32 rate, u64 now)
{
	struct p53g_pkt got;

#if IS_ENABLED(CONFIG_IPV6)
	if (f == P53G_IPV6)
		p53g_classify_ipv6(skb, false, &got);
	else
#endif
		p53g_classify_ipv4(skb, false, &got);
	return p53g_reply_due(skb, f, &got, NF_INET_LOCAL_IN, b, rate, now,
			      P53G_REJECT_UNREACH);
}

/* Shortens the built packet by @cut bytes, its IP length with it. */
static unsigned int p53g_cut(u8 *pkt, unsigned int len, unsigned int cut,
			     enum p53g_family f)
{
	len -= cut;
	if (f == P53G_IPV4) {
		struct iphdr *iph = (struct iphdr *)pkt;

		iph->tot_len = htons(len);
		iph->check = 0;
		iph->check = ip_fast_csum(iph, iph->ihl);
	} else {
		((struct ipv6hdr *)pkt)->payload_len =
			htons(len - sizeof(struct ipv6hdr));
	}
	return len;
}

static void p53g_due_check(struct kunit *test, enum p53g_family f)
{
	const struct p53g_due_case *c = test->param_value;
	u64 t = 5ULL * NSEC_PER_SEC;
	unsigned int i, len, l3len;
	u8 pkt[128] __aligned(8);
	struct p53g_bucket b;
	enum p53g_outcome o;
	struct sk_buff *skb;

	len = p53g_build_csummed(pkt, IPPROTO_UDP, 0, f, &l3len);
	if (c->corrupt)		/* the DNS ID */
		pkt[l3len + sizeof(struct udphdr) + 1] ^= 0x5a;
	len = p53g_cut(pkt, len, c->cut, f);
	for (i = 0; i < ARRAY_SIZE(p53g_layout); i++) {
		atomic64_set(&b.tat, 0);
		if (c->empty)
			KUNIT_ASSERT_TRUE(test, p53g_bucket_take(&b, c->rate, t));
		skb = p53g_layout_skb(test, pkt, len, l3len, i, f, NULL);
		skb->pkt_type = c->pkt_type;
		o = p53g_due_ask(skb, f, &b, c->rate, t);
		kfree_skb(skb);
		KUNIT_EXPECT_EQ_MSG(test, o, c->want, "%s skb", p53g_layout[i]);
		/* rate 0 takes nothing; at rate 10 a token is one take */
		KUNIT_EXPECT_EQ_MSG(test, p53g_bucket_take(&b, c->rate ?: 10, t),
				    c->left, "%s skb: a token left",
				    p53g_layout[i]);
	}
}

static void p53g_due4_test(struct kunit *test)
{
	p53g_due_check(test, P53G_IPV4);
}

#if IS_ENABLED(CONFIG_IPV6)
static void p53g_due6_test(struct kunit *test)
{
	p53g_due_check(test, P53G_IPV6);
}
#endif

/*
 * A flood with bad checksums empties the bucket like any other: at rate
 * 100 (a burst of 10) the first 10 are summed and spend a token each, the
 * rest find it empty, and so does a good query after them.
 */
static void p53g_bad_flood_test(struct kunit *test)
{
	u64 t = 5ULL * NSEC_PER_SEC;
	unsigned int i, len, l3len, noreply = 0, limited = 0;
	u8 pkt[128] __aligned(8);
	struct p53g_bucket b = { .tat = ATOMIC64_INIT(0) };
	struct sk_buff *skb;
	enum p53g_outcome o;

	len = p53g_build_csummed(pkt, IPPROTO_UDP, 0, P53G_IPV4, &l3len);
	pkt[l3len + sizeof(struct udphdr) + 1] ^= 0x5a;
	for (i = 0; i < 30; i++) {
		skb = p53g_layout_skb(test, pkt, len, l3len, 0, P53G_IPV4, NULL);
		o = p53g_due_ask(skb, P53G_IPV4, &b, 100, t);
		kfree_skb(skb);
		noreply += o == P53G_DROP_NOREPLY;
		limited += o == P53G_DROP_RATELIMIT;
	}
	KUNIT_EXPECT_EQ(test, noreply, 10);
	KUNIT_EXPECT_EQ(test, limited, 20);
	pkt[l3len + sizeof(struct udphdr) + 1] ^= 0x5a;
	skb = p53g_layout_skb(test, pkt, len, l3len, 0, P53G_IPV4, NULL);
	o = p53g_due_ask(skb, P53G_IPV4, &b, 100, t);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, o, P53G_DROP_RATELIMIT);
	/* 10 ms later one token has come back, and the good query gets it */
	skb = p53g_layout_skb(test, pkt, len, l3len, 0, P53G_IPV4, NULL);
	o = p53g_due_ask(skb, P53G_IPV4, &b, 100, t + 10 * NSEC_PER_MSEC);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, o, P53G_REJECT_UNREACH);
}

static struct kunit_case p53g_csum_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_csum4_test, p53g_csum_gen_params),
#if IS_ENABLED(CONFIG_IPV6)
	KUNIT_CASE_PARAM(p53g_csum6_test, p53g_csum_gen_params),
#endif
	KUNIT_CASE_PARAM(p53g_due4_test, p53g_due_gen_params),
#if IS_ENABLED(CONFIG_IPV6)
	KUNIT_CASE_PARAM(p53g_due6_test, p53g_due_gen_params),
#endif
	KUNIT_CASE(p53g_bad_flood_test),
	{}
};

static struct kunit_suite p53g_csum_suite = {
	.name = "port53guard_reply_checks",
	.test_cases = p53g_csum_test_cases,
};

/* Where a VRF's packet came in, from its input device and its sdif. */
struct p53g_l3_case {
	const char *name;
	bool master;
	int ifindex;
	int sdif;
	enum p53g_l3 want;
};

static const struct p53g_l3_case p53g_l3_cases[] = {
	{ "plain device, no sdif", false, 2, 0, P53G_L3_NONE },
	/* Only a VRF's sdif names a port: anything else keeps its device. */
	{ "plain device, stray sdif", false, 2, 3, P53G_L3_NONE },
	{ "plain device, sdif is itself", false, 2, 2, P53G_L3_NONE },
	{ "VRF, no sdif", true, 10, 0, P53G_L3_NONE },
	{ "VRF, from its enslaved port", true, 10, 3, P53G_L3_PORT },
	{ "VRF, delivered to itself", true, 10, 10, P53G_L3_SELF },
};

static void p53g_l3_desc(const struct p53g_l3_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_l3, p53g_l3_cases, p53g_l3_desc);

static void p53g_l3_test(struct kunit *test)
{
	const struct p53g_l3_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, p53g_l3_ingress(c->master, c->ifindex, c->sdif),
			c->want);
}

/* How many packets the counters count an skb as. */
struct p53g_segs_case {
	const char *name;
	unsigned short gso_size;
	unsigned short gso_segs;
	unsigned int gso_type;
	unsigned int want;
};

static const struct p53g_segs_case p53g_segs_cases[] = {
	{ "one datagram", 0, 0, 0, 1 },
	/* gso_segs means nothing while gso_size says the skb is no GSO. */
	{ "not GSO, stale segment count", 0, 7, 0, 1 },
	{ "UDP GRO forwarding, 2 merged", 1200, 2, SKB_GSO_UDP_L4, 2 },
	{ "UDP GRO, 64 merged", 100, 64, SKB_GSO_UDP_L4, 64 },
	{ "fraglist GRO, 5 merged", 1200, 5,
	  SKB_GSO_UDP_L4 | SKB_GSO_FRAGLIST, 5 },
	{ "GSO, not yet counted", 1200, 0, SKB_GSO_UDP_L4, 1 },
	{ "GSO, the largest count", 1, 65535, SKB_GSO_UDP_L4, 65535 },
};

static void p53g_segs_desc(const struct p53g_segs_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_segs, p53g_segs_cases, p53g_segs_desc);

static void p53g_segs_test(struct kunit *test)
{
	const struct p53g_segs_case *c = test->param_value;
	struct sk_buff *skb = alloc_skb(128, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_shinfo(skb)->gso_size = c->gso_size;
	skb_shinfo(skb)->gso_segs = c->gso_segs;
	skb_shinfo(skb)->gso_type = c->gso_type;
	KUNIT_EXPECT_EQ(test, p53g_segs(skb), c->want);
	skb_shinfo(skb)->gso_size = 0;
	kfree_skb(skb);
}

static struct kunit_case p53g_ingress_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_l3_test, p53g_l3_gen_params),
	{}
};

static struct kunit_case p53g_segs_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_segs_test, p53g_segs_gen_params),
	{}
};

static struct kunit_suite p53g_segs_suite = {
	.name = "port53guard_segments",
	.test_cases = p53g_segs_test_cases,
};

static struct kunit_suite p53g_ingress_suite = {
	.name = "port53guard_ingress",
	.test_cases = p53g_ingress_test_cases,
};

#if IS_ENABLED(CONFIG_IPV6)
kunit_test_suites(&p53g_ipv4_suite, &p53g_ipv6_suite, &p53g_verdict_suite,
		  &p53g_auth_suite, &p53g_rate_suite, &p53g_csum_suite,
		  &p53g_ingress_suite, &p53g_segs_suite);
#else
kunit_test_suites(&p53g_ipv4_suite, &p53g_verdict_suite, &p53g_auth_suite,
		  &p53g_rate_suite, &p53g_csum_suite, &p53g_ingress_suite,
		  &p53g_segs_suite);
#endif

P53G_IMPORT_KUNIT_NS();
MODULE_LICENSE("GPL");
MODULE_AUTHOR("port53guard developers");
MODULE_DESCRIPTION("KUnit tests for port53guard");
