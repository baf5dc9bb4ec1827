// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: classify every packet delivered to this host, and refuse
 * those addressed to UDP port 53.
 *
 * The classifiers are pure functions of the packet and its input device, so
 * that KUnit can test them on synthetic packets and the hooks only act on
 * their verdict.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <kunit/visibility.h>
#include <net/ipv6.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>

#include "compat.h"
#include "hook.h"

/* Loopback traffic is local resolvers (127.0.0.53, ::1): it always passes. */
static enum p53g_verdict p53g_exempt(enum p53g_verdict verdict,
				     const struct net_device *in)
{
	if (verdict != P53G_PASS && in && (in->flags & IFF_LOOPBACK))
		return P53G_EXEMPT;
	return verdict;
}

static enum p53g_verdict p53g_classify_udp(const struct sk_buff *skb,
					   int thoff)
{
	const struct udphdr *uh;
	struct udphdr _uh;

	/*
	 * Too short to hold a UDP header: the port is unknown, so the packet
	 * could be a query. Fail closed and drop it; the stack would discard
	 * it anyway, and with no port there is nothing to answer.
	 */
	uh = skb_header_pointer(skb, thoff, sizeof(_uh), &_uh);
	if (!uh)
		return P53G_MALFORMED;

	return uh->dest == htons(P53G_DNS_PORT) ? P53G_BLOCK : P53G_PASS;
}

/**
 * p53g_classify_ipv4() - decide what to do with an inbound IPv4 packet
 * @skb: the packet, its network header set
 * @in: the device it arrived on
 *
 * Return: the verdict; the packet is not changed.
 */
enum p53g_verdict p53g_classify_ipv4(const struct sk_buff *skb,
				     const struct net_device *in)
{
	const struct iphdr *iph;
	struct iphdr _iph;

	iph = skb_header_pointer(skb, skb_network_offset(skb), sizeof(_iph),
				 &_iph);
	if (!iph || iph->ihl < 5)
		return p53g_exempt(P53G_MALFORMED, in);
	if (iph->protocol != IPPROTO_UDP)
		return P53G_PASS;
	/*
	 * ip_local_deliver() reassembles before LOCAL_IN, so the hook never
	 * sees a fragment; should one come here all the same, bytes past its
	 * offset are payload, not ports.
	 */
	if (iph->frag_off & htons(IP_OFFSET))
		return P53G_PASS;

	return p53g_exempt(p53g_classify_udp(skb, skb_network_offset(skb) +
					     iph->ihl * 4), in);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_classify_ipv4);

#if IS_ENABLED(CONFIG_IPV6)
/**
 * p53g_classify_ipv6() - decide what to do with an inbound IPv6 packet
 * @skb: the packet, its network header set and its fixed header linear
 * @in: the device it arrived on
 *
 * Without conntrack (nf_defrag_ipv6) LOCAL_IN sees IPv6 fragments as they
 * came: the stack reassembles them only after the hook. A first fragment
 * carries the UDP header and is judged by it; blocking it means the
 * datagram can never be reassembled. A later fragment has no port to read
 * and cannot complete without its first fragment, so it passes.
 *
 * Return: the verdict; the packet is not changed.
 */
enum p53g_verdict p53g_classify_ipv6(const struct sk_buff *skb,
				     const struct net_device *in)
{
	unsigned short fragoff = 0;
	unsigned int thoff = 0;
	int proto;

	/* Walk the extension headers (hop-by-hop, routing, dest. options, AH). */
	proto = ipv6_find_hdr(skb, &thoff, -1, &fragoff, NULL);
	/*
	 * With target -1, -ENOENT means a non-first fragment whose next
	 * header is another extension header: no port to read.
	 */
	if (proto == -ENOENT)
		return P53G_PASS;
	/* The header chain is cut short: it may hide a query; fail closed. */
	if (proto < 0)
		return p53g_exempt(P53G_MALFORMED, in);
	/* A later fragment: what follows its headers is payload, not ports. */
	if (proto != IPPROTO_UDP || fragoff)
		return P53G_PASS;

	return p53g_exempt(p53g_classify_udp(skb, thoff), in);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_classify_ipv6);
#endif

/*
 * The reject helpers send nothing for a packet to a broadcast or multicast
 * address, with a bad checksum, or that is not a first fragment; the
 * packet is dropped whether or not a reply went out.
 */
static unsigned int p53g_ipv4_local_in(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	switch (p53g_classify_ipv4(skb, state->in)) {
	case P53G_BLOCK:
		nf_send_unreach(skb, ICMP_PORT_UNREACH, NF_INET_LOCAL_IN);
		return NF_DROP;
	case P53G_MALFORMED:
		return NF_DROP;
	case P53G_PASS:
	case P53G_EXEMPT:
		break;
	}
	return NF_ACCEPT;
}

#if IS_ENABLED(CONFIG_IPV6)
static unsigned int p53g_ipv6_local_in(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	switch (p53g_classify_ipv6(skb, state->in)) {
	case P53G_BLOCK:
		nf_send_unreach6(state->net, skb, ICMPV6_PORT_UNREACH,
				 NF_INET_LOCAL_IN);
		return NF_DROP;
	case P53G_MALFORMED:
		return NF_DROP;
	case P53G_PASS:
	case P53G_EXEMPT:
		break;
	}
	return NF_ACCEPT;
}
#endif

/*
 * Just after the filter tables: conntrack has attached its entry and
 * DNAT/REDIRECT have run in PRE_ROUTING (the port judged is the one a socket
 * would receive on), and an explicit ruleset keeps its say. The guard is the
 * backstop for what that ruleset let through, or for no ruleset at all. It
 * runs before LOCAL_IN SNAT (NF_IP_PRI_NAT_SRC) rewrites the source.
 */
static const struct nf_hook_ops p53g_nf_ops[] = {
	{
		.hook		= p53g_ipv4_local_in,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP_PRI_FILTER + 1,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook		= p53g_ipv6_local_in,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP6_PRI_FILTER + 1,
	},
#endif
};

int p53g_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, p53g_nf_ops, ARRAY_SIZE(p53g_nf_ops));
}

void p53g_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, p53g_nf_ops, ARRAY_SIZE(p53g_nf_ops));
}
