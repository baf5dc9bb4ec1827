// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the packet classifiers: each case builds a packet as the
 * LOCAL_IN hook would see it and checks the verdict, once with the packet
 * in the skb's linear area and once with everything past the fixed IP
 * header in a page fragment.
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
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "hook.h"

#define P53G_MAX_EXT	3

/**
 * struct p53g_case - one packet and the verdict it must get
 * @name: what the case shows
 * @proto: transport protocol number (NEXTHDR_NONE for no header)
 * @sport: first 16 bits of the transport header (the UDP/TCP source port)
 * @dport: next 16 bits (the UDP/TCP destination port)
 * @ext: IPv6 extension headers, outermost first
 * @n_ext: how many of @ext there are
 * @ip_options: IPv4 only: add a 4-byte router alert option
 * @frag_offset: fragment offset in 8-byte units, in the IPv4 header or
 *	the IPv6 fragment header
 * @more_frags: set the more-fragments flag there
 * @cut: bytes cut off the end of the packet (its length fields agree)
 * @loopback: the packet arrived on the loopback device
 * @want: the verdict the classifier must return
 */
struct p53g_case {
	const char *name;
	u8 proto;
	u16 sport;
	u16 dport;
	u8 ext[P53G_MAX_EXT];
	unsigned int n_ext;
	bool ip_options;
	u16 frag_offset;
	bool more_frags;
	unsigned int cut;
	bool loopback;
	enum p53g_verdict want;
};

/*
 * ICMP cases put 53 where a UDP destination port would be (it is the
 * checksum field there), so that a classifier reading ports out of other
 * protocols fails them.
 */
static const struct p53g_case p53g_ipv4_cases[] = {
	{ .name = "udp dport 53", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .want = P53G_BLOCK },
	{ .name = "udp dport 5353", .proto = IPPROTO_UDP,
	  .sport = 5353, .dport = 5353, .want = P53G_PASS },
	{ .name = "udp sport 53 dport 1234", .proto = IPPROTO_UDP,
	  .sport = 53, .dport = 1234, .want = P53G_PASS },
	{ .name = "udp dport 53 byte-swapped (13568)", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 0x3500, .want = P53G_PASS },
	{ .name = "tcp dport 53", .proto = IPPROTO_TCP,
	  .sport = 40000, .dport = 53, .want = P53G_PASS },
	{ .name = "icmp echo", .proto = IPPROTO_ICMP,
	  .sport = 0x0800, .dport = 53, .want = P53G_PASS },
	{ .name = "udp header truncated to 4 bytes", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .cut = 4, .want = P53G_MALFORMED },
	{ .name = "udp no header at all", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .cut = 8, .want = P53G_MALFORMED },
	{ .name = "udp dport 53 after ip options", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .ip_options = true,
	  .want = P53G_BLOCK },
	{ .name = "udp dport 5353 after ip options", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 5353, .ip_options = true,
	  .want = P53G_PASS },
	{ .name = "first fragment udp dport 53", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .more_frags = true,
	  .want = P53G_BLOCK },
	{ .name = "non-first fragment", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .frag_offset = 185,
	  .more_frags = true, .want = P53G_PASS },
	{ .name = "loopback udp dport 53", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .loopback = true,
	  .want = P53G_EXEMPT },
	{ .name = "loopback udp dport 5353", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 5353, .loopback = true,
	  .want = P53G_PASS },
	{ .name = "loopback udp truncated", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .cut = 4, .loopback = true,
	  .want = P53G_EXEMPT },
};

static const struct p53g_case p53g_ipv6_cases[] = {
	{ .name = "udp dport 53", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .want = P53G_BLOCK },
	{ .name = "udp dport 5353", .proto = IPPROTO_UDP,
	  .sport = 5353, .dport = 5353, .want = P53G_PASS },
	{ .name = "udp sport 53 dport 1234", .proto = IPPROTO_UDP,
	  .sport = 53, .dport = 1234, .want = P53G_PASS },
	{ .name = "udp dport 53 byte-swapped (13568)", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 0x3500, .want = P53G_PASS },
	{ .name = "tcp dport 53", .proto = IPPROTO_TCP,
	  .sport = 40000, .dport = 53, .want = P53G_PASS },
	{ .name = "icmpv6 echo", .proto = IPPROTO_ICMPV6,
	  .sport = 0x8000, .dport = 53, .want = P53G_PASS },
	{ .name = "no next header", .proto = NEXTHDR_NONE,
	  .want = P53G_PASS },
	{ .name = "udp header truncated to 4 bytes", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .cut = 4, .want = P53G_MALFORMED },
	{ .name = "hop-by-hop, udp dport 53", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_HOP }, .n_ext = 1, .want = P53G_BLOCK },
	{ .name = "hop-by-hop, dest options, udp dport 53",
	  .proto = IPPROTO_UDP, .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_HOP, NEXTHDR_DEST }, .n_ext = 2,
	  .want = P53G_BLOCK },
	{ .name = "dest options, udp dport 5353", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 5353,
	  .ext = { NEXTHDR_DEST }, .n_ext = 1, .want = P53G_PASS },
	{ .name = "hop-by-hop, dest options, tcp dport 53",
	  .proto = IPPROTO_TCP, .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_HOP, NEXTHDR_DEST }, .n_ext = 2,
	  .want = P53G_PASS },
	{ .name = "hop-by-hop cut in half", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_HOP }, .n_ext = 1, .cut = 12,
	  .want = P53G_MALFORMED },
	{ .name = "first fragment udp dport 53", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1, .more_frags = true,
	  .want = P53G_BLOCK },
	{ .name = "first fragment udp dport 5353", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 5353,
	  .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1, .more_frags = true,
	  .want = P53G_PASS },
	{ .name = "atomic fragment udp dport 53", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1, .want = P53G_BLOCK },
	{ .name = "hop-by-hop, first fragment, dest options, udp dport 53",
	  .proto = IPPROTO_UDP, .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_HOP, NEXTHDR_FRAGMENT, NEXTHDR_DEST }, .n_ext = 3,
	  .more_frags = true, .want = P53G_BLOCK },
	{ .name = "first fragment too short for udp header",
	  .proto = IPPROTO_UDP, .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1, .more_frags = true,
	  .cut = 4, .want = P53G_MALFORMED },
	{ .name = "middle fragment, udp next", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1, .frag_offset = 185,
	  .more_frags = true, .want = P53G_PASS },
	{ .name = "last fragment, udp next", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_FRAGMENT }, .n_ext = 1, .frag_offset = 185,
	  .want = P53G_PASS },
	{ .name = "non-first fragment, dest options next",
	  .proto = IPPROTO_UDP, .sport = 40000, .dport = 53,
	  .ext = { NEXTHDR_FRAGMENT, NEXTHDR_DEST }, .n_ext = 2,
	  .frag_offset = 185, .more_frags = true, .want = P53G_PASS },
	{ .name = "loopback udp dport 53", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 53, .loopback = true,
	  .want = P53G_EXEMPT },
	{ .name = "loopback udp dport 5353", .proto = IPPROTO_UDP,
	  .sport = 40000, .dport = 5353, .loopback = true,
	  .want = P53G_PASS },
};

static void p53g_case_desc(const struct p53g_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_ipv4, p53g_ipv4_cases, p53g_case_desc);
KUNIT_ARRAY_PARAM(p53g_ipv6, p53g_ipv6_cases, p53g_case_desc);

/* Writes the transport header; returns its length. */
static unsigned int p53g_put_l4(u8 *p, const struct p53g_case *c)
{
	struct tcphdr *th = (struct tcphdr *)p;
	struct udphdr *uh = (struct udphdr *)p;

	switch (c->proto) {
	case NEXTHDR_NONE:
		return 0;
	case IPPROTO_TCP:
		memset(th, 0, sizeof(*th));
		th->source = htons(c->sport);
		th->dest = htons(c->dport);
		th->doff = sizeof(*th) / 4;
		th->syn = 1;
		return sizeof(*th);
	default:
		/* UDP, and the 8-byte ICMP/ICMPv6 echo header laid out alike */
		memset(uh, 0, sizeof(*uh));
		uh->source = htons(c->sport);
		uh->dest = htons(c->dport);
		uh->len = htons(sizeof(*uh));
		return sizeof(*uh);
	}
}

static unsigned int p53g_build_ipv4(u8 *buf, const struct p53g_case *c)
{
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
	if (c->loopback) {
		iph->saddr = htonl(INADDR_LOOPBACK);
		iph->daddr = htonl(INADDR_LOOPBACK);
	} else {
		iph->saddr = htonl(0xc0000201);	/* 192.0.2.1 */
		iph->daddr = htonl(0xc6336401);	/* 198.51.100.1 */
	}
	iph->check = ip_fast_csum(iph, iph->ihl);
	return len;
}

static unsigned int p53g_build_ipv6(u8 *buf, const struct p53g_case *c)
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
	if (c->loopback) {
		ip6h->saddr = in6addr_loopback;
		ip6h->daddr = in6addr_loopback;
	} else {
		/* 2001:db8::1 -> 2001:db8::2 */
		ipv6_addr_set(&ip6h->saddr, htonl(0x20010db8), 0, 0, htonl(1));
		ipv6_addr_set(&ip6h->daddr, htonl(0x20010db8), 0, 0, htonl(2));
	}
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

typedef enum p53g_verdict (*p53g_classify_t)(const struct sk_buff *skb,
					       const struct net_device *in);

static void p53g_check(struct kunit *test, const struct p53g_case *c,
		       const u8 *pkt, unsigned int len, unsigned int l3len,
		       __be16 protocol, p53g_classify_t classify)
{
	static const char * const layout[] = { "linear", "paged" };
	unsigned int head[] = { len, min(len, l3len) };
	struct net_device *dev = init_net.loopback_dev;
	enum p53g_verdict got;
	struct sk_buff *skb;
	unsigned int i;

	if (!c->loopback) {
		/* The classifiers read only the flags of the input device. */
		dev = kunit_kzalloc(test, sizeof(*dev), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, dev);
		dev->flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST;
	}
	KUNIT_ASSERT_EQ(test, !!(dev->flags & IFF_LOOPBACK), (int)c->loopback);

	for (i = 0; i < ARRAY_SIZE(layout); i++) {
		skb = p53g_skb(pkt, len, head[i], protocol, dev);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_EXPECT_EQ_MSG(test, skb_headlen(skb), head[i], "%s skb",
				    layout[i]);
		got = classify(skb, skb->dev);
		kfree_skb(skb);
		KUNIT_EXPECT_EQ_MSG(test, got, c->want, "%s skb", layout[i]);
	}
}

static void p53g_ipv4_test(struct kunit *test)
{
	const struct p53g_case *c = test->param_value;
	u8 pkt[128] __aligned(8);
	unsigned int len;

	len = p53g_build_ipv4(pkt, c);
	p53g_check(test, c, pkt, len, ((struct iphdr *)pkt)->ihl * 4,
		   htons(ETH_P_IP), p53g_classify_ipv4);
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
	const struct p53g_case *c = test->param_value;
	u8 pkt[128] __aligned(8);
	unsigned int len;

	len = p53g_build_ipv6(pkt, c);
	p53g_check(test, c, pkt, len, sizeof(struct ipv6hdr),
		   htons(ETH_P_IPV6), p53g_classify_ipv6);
}

static struct kunit_case p53g_ipv6_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_ipv6_test, p53g_ipv6_gen_params),
	{}
};

static struct kunit_suite p53g_ipv6_suite = {
	.name = "port53guard_classify_ipv6",
	.test_cases = p53g_ipv6_test_cases,
};

kunit_test_suites(&p53g_ipv4_suite, &p53g_ipv6_suite);
#else
kunit_test_suites(&p53g_ipv4_suite);
#endif

P53G_IMPORT_KUNIT_NS();
MODULE_LICENSE("GPL");
MODULE_AUTHOR("port53guard developers");
MODULE_DESCRIPTION("KUnit tests for port53guard's packet classifiers");
