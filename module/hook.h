/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet path: what the guard decides about an inbound packet, and the
 * netfilter hooks that act on that decision.
 */
#ifndef P53G_HOOK_H
#define P53G_HOOK_H

#include <linux/kconfig.h>
#include <linux/types.h>

#include "names.h"
#include "stats.h"

struct net;
struct net_device;
struct sk_buff;
struct p53g_bucket;
struct p53g_pset;

#define P53G_DNS_PORT	53
/*
 * A DNS message starts with a 12-byte header; QR is the top bit of byte 2,
 * RD (recursion desired) its lowest. Over TCP each message is preceded by
 * its 2-byte length (RFC 1035 4.2.2).
 */
#define P53G_DNS_HDR_LEN	12
#define P53G_DNS_QR_BYTE	2
#define P53G_DNS_QR		0x80
#define P53G_DNS_RD		0x01
#define P53G_DNS_TCP_PREFIX	2

/**
 * enum p53g_class - what a packet is, before any setting is applied
 * @P53G_CLASS_OTHER: not a query: another port or protocol, a later
 *	fragment (no port to read, and it cannot complete without its
 *	first), a TCP segment that is not a SYN, or TCP while tcp=0
 * @P53G_CLASS_UDP: a UDP or UDP-Lite datagram (or the first fragment of
 *	one) to port 53
 * @P53G_CLASS_TCP_SYN: a TCP SYN to port 53 (asked for only with tcp=1)
 * @P53G_CLASS_TCP_DATA: any other TCP segment to port 53, asked about only
 *	with tcp=1 and authoritative=1 (its payload may begin a query)
 * @P53G_CLASS_MALFORMED: the headers end before the destination port can
 *	be read, so it may be a query
 */
enum p53g_class {
	P53G_CLASS_OTHER,
	P53G_CLASS_UDP,
	P53G_CLASS_TCP_SYN,
	P53G_CLASS_MALFORMED,
	P53G_CLASS_TCP_DATA,
};

/**
 * struct p53g_pkt - what the classifier found
 * @cls: enum p53g_class
 * @proto: the transport protocol, when known
 * @syn: TCP: the segment opens a connection (SYN, no ACK, no RST)
 * @l4: the transport header could be read (UDP, UDP-Lite, TCP)
 * @port53: TCP: the header names port 53 (whatever the flags)
 * @thoff: where the transport header starts, when known
 * @ulen: UDP and UDP-Lite: the header's length field (UDP-Lite: its
 *	checksum coverage), read once for whoever asks about the payload
 */
struct p53g_pkt {
	u8 cls;
	u8 proto;
	bool syn;
	bool l4;
	bool port53;
	u16 ulen;
	unsigned int thoff;
};

/**
 * struct p53g_ct - what connection tracking says about a packet
 * @reply: the reply direction of a flow this host started
 *	(IP_CT_ESTABLISHED_REPLY)
 * @dnat53: the original direction of a flow whose destination conntrack
 *	translated (IPS_DST_NAT) from port 53: a published or redirected
 *	port 53
 * @wport: the destination port the packet carried on the wire, before
 *	any translation (its own direction's tuple), when conntrack
 *	translated the flow; 0 otherwise
 *
 * All false and 0 without conntrack: the guard does not depend on it.
 */
struct p53g_ct {
	bool reply;
	bool dnat53;
	__be16 wport;
};

void p53g_classify_ipv4(const struct sk_buff *skb, bool tcp,
			struct p53g_pkt *pkt);
#if IS_ENABLED(CONFIG_IPV6)
void p53g_classify_ipv6(const struct sk_buff *skb, bool tcp,
			struct p53g_pkt *pkt);
#endif

/**
 * enum p53g_l3 - where a packet an L3 master device (a VRF) received came in
 * @P53G_L3_NONE: not a VRF's packet, or no port is known
 * @P53G_L3_SELF: the VRF delivered it to itself (its loopback)
 * @P53G_L3_PORT: on an enslaved port, the packet's sdif
 */
enum p53g_l3 {
	P53G_L3_NONE,
	P53G_L3_SELF,
	P53G_L3_PORT,
};

void p53g_ct_read(const struct sk_buff *skb, u8 proto, struct p53g_ct *ct);
bool p53g_dns_response(const struct sk_buff *skb, const struct p53g_pkt *pkt);
enum p53g_outcome p53g_authority(const struct sk_buff *skb,
				 const struct p53g_pkt *pkt);

enum p53g_outcome p53g_judge(const struct sk_buff *skb, enum p53g_family f,
			     enum p53g_hook hook, const struct net *net,
			     const struct net_device *in,
			     const struct p53g_settings *conf,
			     const struct p53g_pset *exempt,
			     struct p53g_pkt *pkt);

#if IS_ENABLED(CONFIG_KUNIT)
/* How many packets the counters count an skb as (for the KUnit tests). */
unsigned int p53g_segs(const struct sk_buff *skb);
/* Where a VRF's packet came in (for the KUnit tests). */
enum p53g_l3 p53g_l3_ingress(bool master, int ifindex, int sdif);
/* Whether a UDP datagram's checksum checks out (for the KUnit tests). */
bool p53g_udp4_csum_ok(const struct sk_buff *skb, const struct p53g_pkt *pkt,
		       unsigned int hooknum);
#if IS_ENABLED(CONFIG_IPV6)
bool p53g_udp6_csum_ok(const struct sk_buff *skb, const struct p53g_pkt *pkt,
		       unsigned int hooknum);
#endif
/* Whether a reply may go, and what it cost the bucket (for the tests). */
enum p53g_outcome p53g_reply_due(struct sk_buff *skb, enum p53g_family f,
				 const struct p53g_pkt *pkt,
				 unsigned int hooknum, struct p53g_bucket *b,
				 u32 rate, u64 now, enum p53g_outcome o);
#endif

int p53g_hooks_register(struct net *net);
void p53g_hooks_unregister(struct net *net);
/* How many network namespaces have the hooks now. */
unsigned int p53g_hooks_namespaces(void);

#endif /* P53G_HOOK_H */
