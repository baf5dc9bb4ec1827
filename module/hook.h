/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet path: what the guard decides about an inbound packet, and the
 * netfilter hooks that act on that decision.
 */
#ifndef P53G_HOOK_H
#define P53G_HOOK_H

#include <linux/kconfig.h>

struct net;
struct net_device;
struct sk_buff;

#define P53G_DNS_PORT	53

/**
 * enum p53g_verdict - what the guard decided about one inbound packet
 * @P53G_PASS: not bound for UDP port 53, or carries no port to read (a
 *	non-first fragment): accept it untouched.
 * @P53G_EXEMPT: would have been blocked or dropped, but arrived on a
 *	loopback device: accept it.
 * @P53G_BLOCK: a UDP datagram (or the first fragment of one) to port 53:
 *	answer with port unreachable, then drop it.
 * @P53G_MALFORMED: its headers end before the UDP destination port can
 *	be read, so it may be a query: drop it silently (fail-closed).
 */
enum p53g_verdict {
	P53G_PASS,
	P53G_EXEMPT,
	P53G_BLOCK,
	P53G_MALFORMED,
};

enum p53g_verdict p53g_classify_ipv4(const struct sk_buff *skb,
				     const struct net_device *in);
#if IS_ENABLED(CONFIG_IPV6)
enum p53g_verdict p53g_classify_ipv6(const struct sk_buff *skb,
				     const struct net_device *in);
#endif

int p53g_hooks_register(struct net *net);
void p53g_hooks_unregister(struct net *net);

#endif /* P53G_HOOK_H */
