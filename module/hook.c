// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: classify every packet delivered to this host, decide
 * under the current settings, and refuse the DNS queries that are not
 * exempt.
 *
 * The classifiers and p53g_judge() are pure functions of the packet, its
 * input device, a copy of the settings and the exemption table, so that
 * KUnit can test them on synthetic packets; the hooks only act on their
 * verdict. Nothing here takes a lock, sleeps or allocates (the reject
 * helpers allocate the reply with GFP_ATOMIC).
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <kunit/visibility.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>

#include "compat.h"
#include "conf.h"
#include "exempt.h"
#include "hook.h"
#include "pset.h"
#include "stats.h"

static void p53g_classify_l4(const struct sk_buff *skb, bool tcp,
			     struct p53g_pkt *pkt)
{
	const struct tcphdr *th;
	const struct udphdr *uh;
	struct tcphdr _th;
	struct udphdr _uh;
	__be16 _ports[2];
	const __be16 *ports;

	switch (pkt->proto) {
	case IPPROTO_UDP:
		/*
		 * Too short to hold a UDP header: the port is unknown, so
		 * the packet could be a query. Fail closed and drop it; the
		 * stack would discard it anyway, and with no port there is
		 * nothing to answer.
		 */
		uh = skb_header_pointer(skb, pkt->thoff, sizeof(_uh), &_uh);
		if (!uh)
			pkt->cls = P53G_CLASS_MALFORMED;
		else if (uh->dest == htons(P53G_DNS_PORT))
			pkt->cls = P53G_CLASS_UDP;
		return;
	case IPPROTO_TCP:
		if (!tcp)
			return;
		th = skb_header_pointer(skb, pkt->thoff, sizeof(_th), &_th);
		if (th) {
			/*
			 * Only a SYN opens a connection; a segment with ACK or
			 * RST set belongs to one (or draws a RST from the
			 * stack itself), so it passes.
			 */
			if (th->dest == htons(P53G_DNS_PORT) && th->syn &&
			    !th->ack && !th->rst)
				pkt->cls = P53G_CLASS_TCP_SYN;
			return;
		}
		/* A cut header to another port is not ours to drop. */
		ports = skb_header_pointer(skb, pkt->thoff, sizeof(_ports),
					   _ports);
		if (!ports || ports[1] == htons(P53G_DNS_PORT))
			pkt->cls = P53G_CLASS_MALFORMED;
		return;
	}
}

/**
 * p53g_classify_ipv4() - what an inbound IPv4 packet is
 * @skb: the packet, its network header set
 * @tcp: whether TCP SYNs to port 53 are asked about (tcp=1)
 * @pkt: the result
 *
 * The packet is not changed.
 */
void p53g_classify_ipv4(const struct sk_buff *skb, bool tcp,
			struct p53g_pkt *pkt)
{
	const struct iphdr *iph;
	struct iphdr _iph;

	pkt->cls = P53G_CLASS_OTHER;
	pkt->proto = 0;
	pkt->thoff = 0;
	iph = skb_header_pointer(skb, skb_network_offset(skb), sizeof(_iph),
				 &_iph);
	if (!iph || iph->ihl < 5) {
		pkt->cls = P53G_CLASS_MALFORMED;
		return;
	}
	/*
	 * ip_local_deliver() reassembles before LOCAL_IN, so the hook never
	 * sees a fragment; should one come here all the same, bytes past its
	 * offset are payload, not ports.
	 */
	if (iph->frag_off & htons(IP_OFFSET))
		return;
	pkt->proto = iph->protocol;
	pkt->thoff = skb_network_offset(skb) + iph->ihl * 4;
	p53g_classify_l4(skb, tcp, pkt);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_classify_ipv4);

#if IS_ENABLED(CONFIG_IPV6)
/**
 * p53g_classify_ipv6() - what an inbound IPv6 packet is
 * @skb: the packet, its network header set and its fixed header linear
 * @tcp: whether TCP SYNs to port 53 are asked about (tcp=1)
 * @pkt: the result
 *
 * Without conntrack (nf_defrag_ipv6) LOCAL_IN sees IPv6 fragments as they
 * came: the stack reassembles them only after the hook. A first fragment
 * carries the transport header and is judged by it; blocking it means the
 * datagram can never be reassembled. A later fragment has no port to read
 * and cannot complete without its first fragment, so it passes.
 */
void p53g_classify_ipv6(const struct sk_buff *skb, bool tcp,
			struct p53g_pkt *pkt)
{
	unsigned short fragoff = 0;
	unsigned int thoff = 0;
	int proto;

	pkt->cls = P53G_CLASS_OTHER;
	pkt->proto = 0;
	pkt->thoff = 0;
	/* Walk the extension headers (hop-by-hop, routing, dest. options, AH). */
	proto = ipv6_find_hdr(skb, &thoff, -1, &fragoff, NULL);
	/*
	 * With target -1, -ENOENT means a non-first fragment whose next
	 * header is another extension header: no port to read.
	 */
	if (proto == -ENOENT)
		return;
	/* The header chain is cut short: it may hide a query; fail closed. */
	if (proto < 0) {
		pkt->cls = P53G_CLASS_MALFORMED;
		return;
	}
	/* A later fragment: what follows its headers is payload, not ports. */
	if (fragoff)
		return;
	pkt->proto = proto;
	pkt->thoff = thoff;
	p53g_classify_l4(skb, tcp, pkt);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_classify_ipv6);
#endif

/*
 * Conntrack matched the packet as the reply direction of a flow: a flow
 * this host started (from port 53 to a peer's port 53, say), so not a
 * query. nf_ct_get() only reads the skb, so there is no dependency on the
 * conntrack module; without it (or in a namespace it does not track)
 * nothing is a reply. IP_CT_UNTRACKED is numerically a reply state but
 * means no entry, hence the explicit test.
 */
static bool p53g_is_reply(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;

	return nf_ct_get(skb, &ctinfo) && ctinfo == IP_CT_ESTABLISHED_REPLY;
#else
	return false;
#endif
}

static bool p53g_is_exempt(const struct sk_buff *skb, enum p53g_family f,
			   const struct net_device *in,
			   const struct p53g_pset *exempt)
{
	const struct ipv6hdr *ip6h;
	const struct iphdr *iph;
	struct ipv6hdr _ip6h;
	struct iphdr _iph;

	if (!exempt)
		return false;
	if (in && p53g_pset_match_dev(exempt, in->name))
		return true;
	if (f == P53G_IPV4) {
		iph = skb_header_pointer(skb, skb_network_offset(skb),
					 sizeof(_iph), &_iph);
		return iph && p53g_pset_match_v4(exempt, iph->saddr);
	}
	ip6h = skb_header_pointer(skb, skb_network_offset(skb), sizeof(_ip6h),
				  &_ip6h);
	return ip6h && p53g_pset_match_v6(exempt, &ip6h->saddr);
}

/**
 * p53g_judge() - decide what to do with an inbound packet
 * @skb: the packet, its network header set
 * @f: its family
 * @in: the device it arrived on
 * @conf: the settings
 * @exempt: the exemption table, or NULL for none
 * @pkt: what the classifier found, for the caller's reply
 *
 * In this order: disabled, not a query, loopback, conntrack reply,
 * exemption list, monitor, malformed, drop, reject. Whether a reply may
 * and can be sent (P53G_DROP_NOREPLY, P53G_DROP_RATELIMIT) is the hook's
 * call, after this.
 *
 * Return: the outcome; the packet is not changed.
 */
enum p53g_outcome p53g_judge(const struct sk_buff *skb, enum p53g_family f,
			     const struct net_device *in,
			     const struct p53g_conf *conf,
			     const struct p53g_pset *exempt,
			     struct p53g_pkt *pkt)
{
	if (!conf->enabled) {
		pkt->cls = P53G_CLASS_OTHER;
		return P53G_DISABLED;
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (f == P53G_IPV6)
		p53g_classify_ipv6(skb, conf->tcp, pkt);
	else
#endif
		p53g_classify_ipv4(skb, conf->tcp, pkt);
	if (pkt->cls == P53G_CLASS_OTHER)
		return P53G_PASSED;
	/* Local resolvers (127.0.0.53, ::1) keep working. */
	if (conf->loopback && in && (in->flags & IFF_LOOPBACK))
		return P53G_EXEMPT_LOOPBACK;
	if (p53g_is_reply(skb))
		return P53G_REPLY;
	if (p53g_is_exempt(skb, f, in, exempt))
		return P53G_EXEMPT_LIST;
	if (conf->action == P53G_ACTION_MONITOR)
		return P53G_MONITORED;
	/* It may hide a query and has no port to answer: drop it silently. */
	if (pkt->cls == P53G_CLASS_MALFORMED)
		return P53G_DROP_MALFORMED;
	if (conf->action == P53G_ACTION_DROP)
		return P53G_DROP_ACTION;
	return pkt->cls == P53G_CLASS_TCP_SYN ? P53G_REJECT_RESET :
						P53G_REJECT_UNREACH;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_judge);

/*
 * The guard's rate limit: GCRA, the token bucket written as one word.
 * @tat is when the bucket will be full again. A reply at @now is allowed
 * when @tat is at most @now + tau (tau = (burst - 1) intervals): then
 * @tat moves one interval on from max(@tat, @now).
 *
 * One atomic64 and a cmpxchg, rather than per-CPU buckets: the limit is
 * exact for the whole host however RSS spreads a flood over the CPUs
 * (per-CPU buckets would allow up to rate * nr_cpus), and under a flood
 * the refusal is a plain read, so the cache line stays shared; only an
 * allowed reply, which then builds and routes a packet anyway, writes it.
 */
static struct p53g_bucket p53g_bucket = { .tat = ATOMIC64_INIT(0) };

/* A tenth of a second's worth of replies, at least one. */
u32 p53g_bucket_burst(u32 rate)
{
	return max_t(u32, rate / 10, 1);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_bucket_burst);

/**
 * p53g_bucket_take() - take one token, if there is one
 * @b: the bucket
 * @rate: tokens per second; 0 means no limit
 * @now: the time in ns (monotonic)
 *
 * Return: true if a reply may be sent.
 */
bool p53g_bucket_take(struct p53g_bucket *b, u32 rate, u64 now)
{
	s64 t, tau, tat, next;

	if (!rate)
		return true;
	t = div_u64(NSEC_PER_SEC, rate);
	tau = t * (p53g_bucket_burst(rate) - 1);
	tat = atomic64_read(&b->tat);
	do {
		if (tat - (s64)now > tau)
			return false;
		next = max_t(s64, tat, now) + t;
	} while (!atomic64_try_cmpxchg(&b->tat, &tat, next));
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_bucket_take);

void p53g_ratelimit_reset(void)
{
	atomic64_set(&p53g_bucket.tat, 0);
}

/*
 * The reject helpers send nothing for a packet to a broadcast or multicast
 * address or in a link-layer broadcast or multicast frame, from an
 * unspecified or multicast source, with a bad checksum or that is not a
 * first fragment. Ask the same questions first, so that the
 * counters say what happened (rejected means a reply went out) and such
 * packets take no token from the bucket. The host's own ICMP rate limits
 * (net.ipv4.icmp_ratelimit, icmp_msgs_per_sec) come after this and may
 * still hold a reply back.
 */

/*
 * The UDP length, when the datagram's header can be read and its length
 * fits the packet, as the UDP layer checks them; else 0. @check gets the
 * header's checksum field.
 */
static unsigned int p53g_udp_len(const struct sk_buff *skb,
				 unsigned int thoff, __sum16 *check)
{
	const struct udphdr *uh;
	struct udphdr _uh;
	unsigned int len;

	uh = skb_header_pointer(skb, thoff, sizeof(_uh), &_uh);
	if (!uh)
		return 0;
	len = ntohs(uh->len);
	if (len < sizeof(*uh) || len > skb->len - thoff)
		return 0;
	*check = uh->check;
	return len;
}

/*
 * The UDP checksum over the datagram and its pseudo-header, and its length
 * against the packet's, as the UDP layer would check them. Not
 * nf_ip_checksum(): for a packet whose checksum nobody has verified yet it
 * sums the IP header as well, and by LOCAL_IN the stack has written this
 * host's address into a record route or timestamp option without
 * refreshing the header checksum (only forwarding does), so a valid query
 * carrying such an option would pass for a corrupt one and go unanswered.
 */
static bool p53g_udp4_valid(const struct sk_buff *skb, unsigned int thoff)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int len;
	__sum16 check;

	len = p53g_udp_len(skb, thoff, &check);
	if (!len)
		return false;
	/* A zero UDP checksum over IPv4 means "none". */
	if (!check || skb_csum_unnecessary(skb))
		return true;
	return !csum_tcpudp_magic(iph->saddr, iph->daddr, len, IPPROTO_UDP,
				  skb_checksum(skb, thoff, len, 0));
}

static bool p53g_reply_possible_ipv4(struct sk_buff *skb,
				     const struct p53g_pkt *pkt)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct rtable *rt = skb_rtable(skb);

	if (skb->pkt_type != PACKET_HOST ||
	    (rt && (rt->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST))))
		return false;
	if (ipv4_is_multicast(iph->daddr) || ipv4_is_lbcast(iph->daddr) ||
	    ipv4_is_multicast(iph->saddr) || ipv4_is_lbcast(iph->saddr) ||
	    ipv4_is_zeronet(iph->saddr))
		return false;
	if (pkt->proto == IPPROTO_UDP)
		return p53g_udp4_valid(skb, pkt->thoff);
	/*
	 * TCP: nf_send_reset() checks with nf_ip_checksum() itself, so ask
	 * the same (a SYN with a record route option goes unanswered).
	 */
	if (skb_csum_unnecessary(skb))
		return true;
	return !nf_ip_checksum(skb, NF_INET_LOCAL_IN, pkt->thoff, pkt->proto);
}

#if IS_ENABLED(CONFIG_IPV6)
/*
 * As p53g_udp4_valid(), over IPv6, where a checksum is mandatory. A first
 * fragment's UDP length runs past the fragment, so it is never answered
 * (its checksum cannot be verified).
 */
static bool p53g_udp6_valid(const struct sk_buff *skb, unsigned int thoff)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	unsigned int len;
	__sum16 check;

	len = p53g_udp_len(skb, thoff, &check);
	if (!len || !check)
		return false;
	if (skb_csum_unnecessary(skb))
		return true;
	return !csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, len, IPPROTO_UDP,
				skb_checksum(skb, thoff, len, 0));
}

static bool p53g_reply_possible_ipv6(struct sk_buff *skb,
				     const struct p53g_pkt *pkt)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	int dtype = ipv6_addr_type(&ip6h->daddr);
	int stype = ipv6_addr_type(&ip6h->saddr);

	if ((dtype & IPV6_ADDR_MULTICAST) || skb->pkt_type != PACKET_HOST)
		return false;
	if (stype == IPV6_ADDR_ANY || (stype & IPV6_ADDR_MULTICAST))
		return false;
	if (pkt->proto == IPPROTO_UDP)
		return p53g_udp6_valid(skb, pkt->thoff);
	/* TCP: nf_send_reset6() checks with nf_ip6_checksum() itself. */
	if (skb_csum_unnecessary(skb))
		return true;
	return !nf_ip6_checksum(skb, NF_INET_LOCAL_IN, pkt->thoff, pkt->proto);
}
#endif

static void p53g_log(const struct sk_buff *skb, enum p53g_family f,
		     const struct net_device *in, const struct p53g_pkt *pkt,
		     enum p53g_outcome o)
{
	static const char * const what[P53G_NR_OUTCOMES] = {
		[P53G_MONITORED] = "monitor",
		[P53G_REJECT_UNREACH] = "reject",
		[P53G_REJECT_RESET] = "reset",
		[P53G_DROP_ACTION] = "drop",
		[P53G_DROP_RATELIMIT] = "drop-ratelimit",
		[P53G_DROP_MALFORMED] = "drop-malformed",
		[P53G_DROP_NOREPLY] = "drop-noreply",
	};
	const char *proto = pkt->proto == IPPROTO_TCP ? "tcp" :
			    pkt->proto == IPPROTO_UDP ? "udp" : "?";
	const char *dev = in ? in->name : "?";

	if (!net_ratelimit())
		return;
	if (f == P53G_IPV4)
		pr_info("%s %s src=%pI4 dst=%pI4 in=%s\n", what[o], proto,
			&ip_hdr(skb)->saddr, &ip_hdr(skb)->daddr, dev);
	else
		pr_info("%s %s src=%pI6c dst=%pI6c in=%s\n", what[o], proto,
			&ipv6_hdr(skb)->saddr, &ipv6_hdr(skb)->daddr, dev);
}

static unsigned int p53g_local_in(struct sk_buff *skb,
				  const struct nf_hook_state *state,
				  enum p53g_family f)
{
	struct p53g_conf conf;
	struct p53g_pkt pkt;
	enum p53g_outcome o;
	bool possible;

	p53g_conf_snapshot(&conf);
	/* Hooks run under rcu_read_lock(). */
	o = p53g_judge(skb, f, state->in, &conf, p53g_exempt_table(), &pkt);
	if (o == P53G_REJECT_UNREACH || o == P53G_REJECT_RESET) {
#if IS_ENABLED(CONFIG_IPV6)
		if (f == P53G_IPV6)
			possible = p53g_reply_possible_ipv6(skb, &pkt);
		else
#endif
			possible = p53g_reply_possible_ipv4(skb, &pkt);
		/* The bucket is asked before any reply is built. */
		if (!possible)
			o = P53G_DROP_NOREPLY;
		else if (!p53g_bucket_take(&p53g_bucket, conf.rate,
					   ktime_get_mono_fast_ns()))
			o = P53G_DROP_RATELIMIT;
	}
	/* Counted before the reply leaves, so a reader who saw it sees this. */
	p53g_stats_inc(&p53g_stats, f, o);

	switch (o) {
	case P53G_PASSED:
	case P53G_DISABLED:
	case P53G_EXEMPT_LOOPBACK:
	case P53G_EXEMPT_LIST:
	case P53G_REPLY:
	case P53G_NR_OUTCOMES:
		return NF_ACCEPT;
	default:
		break;
	}
	if (conf.log)
		p53g_log(skb, f, state->in, &pkt, o);
	switch (o) {
	case P53G_MONITORED:
		return NF_ACCEPT;
	case P53G_REJECT_UNREACH:
		/*
		 * Checked above, over the UDP datagram alone (see
		 * p53g_udp4_valid() for why not with nf_send_unreach()).
		 */
#if IS_ENABLED(CONFIG_IPV6)
		if (f == P53G_IPV6)
			icmpv6_send(skb, ICMPV6_DEST_UNREACH,
				    ICMPV6_PORT_UNREACH, 0);
		else
#endif
			icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
		break;
	case P53G_REJECT_RESET:
#if IS_ENABLED(CONFIG_IPV6)
		if (f == P53G_IPV6)
			nf_send_reset6(state->net, NULL, skb, NF_INET_LOCAL_IN);
		else
#endif
			nf_send_reset(state->net, NULL, skb, NF_INET_LOCAL_IN);
		break;
	default:
		break;
	}
	return NF_DROP;
}

static unsigned int p53g_ipv4_local_in(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	return p53g_local_in(skb, state, P53G_IPV4);
}

#if IS_ENABLED(CONFIG_IPV6)
static unsigned int p53g_ipv6_local_in(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	return p53g_local_in(skb, state, P53G_IPV6);
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
