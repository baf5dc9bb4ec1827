// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: classify every packet delivered to this host, decide
 * under the current settings, and refuse the DNS queries that are not
 * exempt.
 *
 * The classifiers and p53g_judge() are pure functions of the packet, its
 * namespace and input device, a copy of the settings and the exemption
 * table, so that KUnit can test them on synthetic packets; the hooks only
 * act on their verdict. They are inlined into the hooks (most packets are not DNS and
 * pass after a few reads: a call chain would cost more than the reads),
 * and also exist out of line, for KUnit. Nothing here takes a lock, sleeps or allocates (the reject
 * helpers allocate the reply with GFP_ATOMIC).
 */
#include <linux/atomic.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/user_namespace.h>
#include <kunit/visibility.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/net_namespace.h>
#include <net/route.h>

#include "compat.h"
#include "conf.h"
#include "hook.h"
#include "pset.h"
#include "ratelimit.h"
#include "stats.h"

static __always_inline void p53g_classify_l4(const struct sk_buff *skb,
					     bool tcp, struct p53g_pkt *pkt)
{
	const struct tcphdr *th;
	const struct udphdr *uh;
	struct tcphdr _th;
	struct udphdr _uh;
	__be16 _ports[2];
	const __be16 *ports;

	switch (pkt->proto) {
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		/*
		 * Too short to hold a UDP header: the port is unknown, so
		 * the packet could be a query. Fail closed and drop it; the
		 * stack would discard it anyway, and with no port there is
		 * nothing to answer. UDP-Lite has UDP's ports and is judged
		 * alike.
		 */
		uh = skb_header_pointer(skb, pkt->thoff, sizeof(_uh), &_uh);
		if (!uh) {
			pkt->cls = P53G_CLASS_MALFORMED;
			return;
		}
		pkt->l4 = true;
		pkt->ulen = ntohs(uh->len);
		if (uh->dest == htons(P53G_DNS_PORT))
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
			pkt->l4 = true;
			pkt->syn = th->syn && !th->ack && !th->rst;
			pkt->port53 = th->dest == htons(P53G_DNS_PORT);
			if (pkt->port53 && pkt->syn)
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

static __always_inline void p53g_pkt_init(struct p53g_pkt *pkt)
{
	pkt->cls = P53G_CLASS_OTHER;
	pkt->proto = 0;
	pkt->syn = false;
	pkt->l4 = false;
	pkt->port53 = false;
	pkt->ulen = 0;
	pkt->thoff = 0;
}

/**
 * p53g_classify_ipv4() - what an inbound IPv4 packet is
 * @skb: the packet, its network header set
 * @tcp: whether TCP SYNs to port 53 are asked about (tcp=1)
 * @pkt: the result
 *
 * The packet is not changed.
 */
__always_inline void p53g_classify_ipv4(const struct sk_buff *skb, bool tcp,
					struct p53g_pkt *pkt)
{
	const struct iphdr *iph;
	struct iphdr _iph;

	p53g_pkt_init(pkt);
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
__always_inline void p53g_classify_ipv6(const struct sk_buff *skb, bool tcp,
					struct p53g_pkt *pkt)
{
	unsigned short fragoff = 0;
	unsigned int thoff = 0;
	int proto;

	p53g_pkt_init(pkt);
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

/**
 * p53g_ct_read() - what connection tracking says about a packet
 * @skb: the packet
 * @proto: its transport protocol
 * @ct: the answer
 *
 * nf_ct_get() and the fields read here are inline reads of the skb and
 * of the entry it points to, so there is no dependency on the conntrack
 * module; without it (or in a namespace it does not track) nothing is
 * known. A template (attached before conntrack ran) or the entry of
 * another flow (an ICMP error's) is no answer either.
 */
__always_inline void p53g_ct_read(const struct sk_buff *skb, u8 proto,
				  struct p53g_ct *ct)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	const struct nf_conntrack_tuple *t;
	enum ip_conntrack_info ctinfo;
	const struct nf_conn *c;
	unsigned long status;
	int dir;
#endif

	ct->reply = false;
	ct->dnat53 = false;
	ct->wport = 0;
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	c = nf_ct_get(skb, &ctinfo);
	if (!c || nf_ct_is_template(c))
		return;
	dir = CTINFO2DIR(ctinfo);
	t = &c->tuplehash[dir].tuple;
	if (t->dst.protonum != proto)
		return;
	ct->reply = ctinfo == IP_CT_ESTABLISHED_REPLY;
	if (proto != IPPROTO_UDP && proto != IPPROTO_UDPLITE &&
	    proto != IPPROTO_TCP)
		return;
	status = READ_ONCE(c->status);
	if (!(status & IPS_NAT_MASK))
		return;
	/*
	 * This direction's tuple is the packet as it came on the wire:
	 * before DNAT or REDIRECT in the original direction, before the
	 * reverse of SNAT in the reply direction.
	 */
	ct->wport = t->dst.u.all;
	ct->dnat53 = dir == IP_CT_DIR_ORIGINAL && (status & IPS_DST_NAT) &&
		     ct->wport == htons(P53G_DNS_PORT);
#endif
}
EXPORT_SYMBOL_IF_KUNIT(p53g_ct_read);

/*
 * The flags byte of the DNS header a UDP datagram begins with, when the
 * datagram, within its UDP length (UDP-Lite: the IP payload; a first
 * fragment: what this skb holds of it), has a whole 12-byte header.
 */
static __always_inline bool p53g_udp_dns_flags(const struct sk_buff *skb,
					       const struct p53g_pkt *pkt,
					       u8 *flags)
{
	unsigned int off = pkt->thoff + sizeof(struct udphdr), len;
	const u8 *b;

	/*
	 * The datagram ends where the IP payload does. UDP's length field
	 * may end it sooner (what follows is padding); UDP-Lite's is its
	 * checksum coverage (RFC 3828), which does not say where it ends: a
	 * response covered by 8 bytes is a whole response.
	 */
	len = skb->len - pkt->thoff;
	if (pkt->proto == IPPROTO_UDP)
		len = min_t(unsigned int, len, pkt->ulen);
	if (len < sizeof(struct udphdr) + P53G_DNS_HDR_LEN)
		return false;
	b = skb_header_pointer(skb, off + P53G_DNS_QR_BYTE, 1, flags);
	if (!b)
		return false;
	*flags = *b;
	return true;
}

/**
 * p53g_dns_response() - whether a UDP datagram holds a DNS response
 * @skb: the packet
 * @pkt: what the classifier found (a UDP or UDP-Lite header at @pkt->thoff)
 *
 * Return: true when the datagram, within its UDP length (UDP-Lite: the IP
 * payload), holds a whole 12-byte DNS header with QR set. Anything else
 * (a query, a header cut short, no header at all) is not a response.
 */
bool p53g_dns_response(const struct sk_buff *skb, const struct p53g_pkt *pkt)
{
	u8 flags;

	return p53g_udp_dns_flags(skb, pkt, &flags) && (flags & P53G_DNS_QR);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_dns_response);

/*
 * The flags byte of the DNS message a TCP segment's payload begins, read
 * after the message's 2-byte length. 1: read into @flags; 0: no payload
 * (an ACK, a FIN) or a RST, nothing to ask about; -1: a payload too short
 * to hold the length and a whole header, or headers cut short.
 */
static int p53g_tcp_dns_flags(const struct sk_buff *skb,
			      const struct p53g_pkt *pkt, u8 *flags)
{
	const struct tcphdr *th;
	unsigned int off, len;
	struct tcphdr _th;
	const u8 *b;

	th = skb_header_pointer(skb, pkt->thoff, sizeof(_th), &_th);
	if (!th || th->doff < sizeof(*th) / 4)
		return -1;
	if (th->rst)
		return 0;
	off = pkt->thoff + th->doff * 4;
	if (off > skb->len)
		return -1;
	len = skb->len - off;
	if (!len)
		return 0;
	if (len < P53G_DNS_TCP_PREFIX + P53G_DNS_HDR_LEN)
		return -1;
	b = skb_header_pointer(skb, off + P53G_DNS_TCP_PREFIX +
			       P53G_DNS_QR_BYTE, 1, flags);
	if (!b)
		return -1;
	*flags = *b;
	return 1;
}

/**
 * p53g_authority() - what authoritative=1 makes of a query
 * @skb: the packet
 * @pkt: what the classifier found: a query (any class but OTHER)
 *
 * Resolvers iterating clear RD when they ask authoritative servers; stub
 * resolvers and people set it. A UDP or UDP-Lite query whose whole DNS
 * header has QR and RD clear is iterative. Over TCP a SYN carries no
 * header: it passes, unless it carries data (TCP Fast Open), and every
 * later segment to port 53 with a payload is read as beginning a message
 * (RFC 7766 clients write the length and the message at once): QR and RD
 * clear is iterative, anything else is judged as a query. A payload too
 * short to show the header is judged too (fail closed). A segment with
 * no payload (an ACK, a FIN) or a RST is no query and passes.
 *
 * Return: P53G_ITERATIVE, P53G_PASSED, or P53G_NR_OUTCOMES when the
 * setting has no say and the packet is judged as without it.
 */
__always_inline enum p53g_outcome p53g_authority(const struct sk_buff *skb,
						 const struct p53g_pkt *pkt)
{
	u8 flags = P53G_DNS_RD;
	int r;

	switch (pkt->cls) {
	case P53G_CLASS_UDP:
		if (!p53g_udp_dns_flags(skb, pkt, &flags))
			return P53G_NR_OUTCOMES;
		break;
	case P53G_CLASS_TCP_SYN:
	case P53G_CLASS_TCP_DATA:
		r = p53g_tcp_dns_flags(skb, pkt, &flags);
		if (!r)
			return P53G_PASSED;
		if (r < 0)
			return P53G_NR_OUTCOMES;
		break;
	default:
		return P53G_NR_OUTCOMES;
	}
	return flags & (P53G_DNS_QR | P53G_DNS_RD) ? P53G_NR_OUTCOMES :
						     P53G_ITERATIVE;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_authority);

/* What the packet is as a query, whatever port its header names. */
static u8 p53g_query_class(const struct p53g_pkt *pkt, bool tcp)
{
	if (!pkt->l4)
		return pkt->cls;
	if (pkt->proto == IPPROTO_TCP)
		return tcp && pkt->syn ? P53G_CLASS_TCP_SYN : P53G_CLASS_OTHER;
	return P53G_CLASS_UDP;
}

/*
 * An interface's name vouches for its traffic only where naming the
 * interface takes CAP_NET_ADMIN over the host: in a namespace owned by the
 * initial user namespace. The root of one owned by a child user namespace
 * (a rootless container) renames its interfaces at will, so a dev: entry
 * would let it choose to be exempt.
 */
static __always_inline bool p53g_names_vouch(const struct net *net)
{
	return net->user_ns == &init_user_ns;
}

/**
 * p53g_l3_ingress() - where an L3 master device's packet came in
 * @master: the packet's input device is an L3 master (a VRF)
 * @ifindex: that device's index
 * @sdif: the packet's secondary input index (inet_sdif(), inet6_sdif())
 *
 * A VRF takes over the packets of its enslaved ports: on LOCAL_IN and
 * FORWARD the input device is the VRF, and the VRF marks the IP control
 * block (IPSKB_L3SLAVE, IP6SKB_L3SLAVE) so that the index of the device
 * the IP layer received the packet on is the sdif: the enslaved port, for
 * a packet from the wire. A packet the VRF delivers to itself (a local
 * address of the VRF, from a socket in it) is handed by the VRF's own
 * transmit path to the receive path of the VRF device itself, so that
 * device is where the IP layer received it: IPv4 records the device it
 * came in on (ip_rcv_core() sets IPCB(skb)->iif from skb->skb_iif), IPv6
 * the device of the route it already carries (ip6_rcv_core(); only a
 * packet looped back inside the host carries one), which is the VRF for
 * an address on the VRF device and the port for one on a port. So an
 * sdif equal to the VRF's own index means the VRF looped the packet back,
 * as the loopback device does for the host.
 *
 * Return: P53G_L3_NONE (not a VRF's packet), P53G_L3_SELF (the VRF
 * delivered it to itself) or P53G_L3_PORT (@sdif is its enslaved port).
 */
VISIBLE_IF_KUNIT enum p53g_l3 p53g_l3_ingress(bool master, int ifindex,
					      int sdif)
{
	if (!master || !sdif)
		return P53G_L3_NONE;
	return sdif == ifindex ? P53G_L3_SELF : P53G_L3_PORT;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_l3_ingress);

static __always_inline int p53g_sdif(const struct sk_buff *skb,
				     enum p53g_family f)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (f == P53G_IPV6)
		return inet6_sdif(skb);
#endif
	return inet_sdif(skb);
}

/* The loopback device, or a VRF that delivered the packet to itself. */
static __always_inline bool p53g_loopback(const struct sk_buff *skb,
					  enum p53g_family f,
					  const struct net_device *in)
{
	if (in->flags & IFF_LOOPBACK)
		return true;
	return netif_is_l3_master(in) &&
	       p53g_l3_ingress(true, in->ifindex, p53g_sdif(skb, f)) ==
	       P53G_L3_SELF;
}

/*
 * Whether a dev: entry names the device the packet came in on: the input
 * device, or under a VRF also the enslaved port it came in on. The port
 * is looked up only for a VRF's packet and a list with names in it. The
 * hooks run under rcu_read_lock(), which keeps the device alive without a
 * reference while its name is read.
 */
static bool p53g_dev_exempt(const struct sk_buff *skb, enum p53g_family f,
			    const struct net *net, const struct net_device *in,
			    const struct p53g_pset *exempt)
{
	const struct net_device *port;
	int sdif;

	if (p53g_pset_match_dev(exempt, in->name))
		return true;
	if (!netif_is_l3_master(in) ||
	    !p53g_pset_count(exempt, P53G_ENTRY_DEV))
		return false;
	sdif = p53g_sdif(skb, f);
	if (p53g_l3_ingress(true, in->ifindex, sdif) != P53G_L3_PORT)
		return false;
	/* dev_get_by_index_rcu() only reads the namespace's index hash. */
	port = dev_get_by_index_rcu((struct net *)net, sdif);
	return port && p53g_pset_match_dev(exempt, port->name);
}

static bool p53g_is_exempt(const struct sk_buff *skb, enum p53g_family f,
			   const struct net *net, const struct net_device *in,
			   const struct p53g_pset *exempt)
{
	const struct ipv6hdr *ip6h;
	const struct iphdr *iph;
	struct ipv6hdr _ip6h;
	struct iphdr _iph;

	if (!exempt)
		return false;
	/* Most lists have no names: the owner is read only after a match. */
	if (in && p53g_dev_exempt(skb, f, net, in, exempt) &&
	    p53g_names_vouch(net))
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
 * p53g_judge() - decide what to do with a packet
 * @skb: the packet, its network header set
 * @f: its family
 * @hook: where it was seen: delivered (input) or routed (forward)
 * @net: the network namespace it is in (whose owner decides whether
 *	dev: entries count there)
 * @in: the device it arrived on
 * @conf: the settings
 * @exempt: the exemption table, or NULL for none
 * @pkt: what the classifier found, for the caller's reply
 *
 * Which packets are queries: delivered to this host, one whose UDP,
 * UDP-Lite or TCP header names port 53, or that conntrack translated
 * from port 53 (REDIRECT, DNAT to a local port): the port the world
 * addressed counts as well as the port a socket receives on. Routed
 * through it, only one that conntrack DNATed from port 53 (a published
 * port); nothing else that is routed is touched.
 *
 * With tcp=1 and authoritative=1 every TCP segment to port 53 is a
 * query, whose payload p53g_authority() reads.
 *
 * Then, in this order: disabled, not a query, loopback, conntrack reply
 * (a TCP segment, or a DNS response), exemption list, authoritative (RD
 * clear: iterative), monitor, malformed, drop, reject. Whether a reply may and can be sent
 * (P53G_DROP_NOREPLY, P53G_DROP_RATELIMIT) is the hook's call, after this.
 *
 * Return: the outcome; the packet is not changed.
 */
__always_inline enum p53g_outcome
p53g_judge(const struct sk_buff *skb, enum p53g_family f, enum p53g_hook hook,
	   const struct net *net, const struct net_device *in,
	   const struct p53g_settings *conf, const struct p53g_pset *exempt,
	   struct p53g_pkt *pkt)
{
	enum p53g_outcome o;
	struct p53g_ct ct;

	if (!conf->enabled || (hook == P53G_HOOK_FORWARD && !conf->forward)) {
		p53g_pkt_init(pkt);
		return P53G_DISABLED;
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (f == P53G_IPV6)
		p53g_classify_ipv6(skb, conf->tcp, pkt);
	else
#endif
		p53g_classify_ipv4(skb, conf->tcp, pkt);
	p53g_ct_read(skb, pkt->proto, &ct);
	if (hook == P53G_HOOK_FORWARD) {
		if (!ct.dnat53)
			pkt->cls = P53G_CLASS_OTHER;
		else if (pkt->cls != P53G_CLASS_MALFORMED)
			pkt->cls = p53g_query_class(pkt, conf->tcp);
	} else if (pkt->cls == P53G_CLASS_OTHER &&
		   ct.wport == htons(P53G_DNS_PORT)) {
		pkt->cls = p53g_query_class(pkt, conf->tcp);
	}
	/* A SYN shows no header: the segments after it are read instead. */
	if (pkt->cls == P53G_CLASS_OTHER && conf->authoritative && conf->tcp &&
	    pkt->l4 && pkt->proto == IPPROTO_TCP &&
	    (hook == P53G_HOOK_FORWARD ? ct.dnat53 :
	     pkt->port53 || ct.wport == htons(P53G_DNS_PORT)))
		pkt->cls = P53G_CLASS_TCP_DATA;
	if (pkt->cls == P53G_CLASS_OTHER)
		return P53G_PASSED;
	/* Local resolvers (127.0.0.53, ::1, a VRF's own) keep working. */
	if (conf->loopback && in && p53g_loopback(skb, f, in))
		return P53G_EXEMPT_LOOPBACK;
	/*
	 * The reply direction of a flow this host started: a TCP segment,
	 * or a DNS response. A datagram without QR there is a query, sent
	 * back along a flow this host opened from port 53 (a resolver's
	 * query-source port 53), and is judged like any other.
	 */
	if (ct.reply && (pkt->proto == IPPROTO_TCP ||
			 (pkt->cls == P53G_CLASS_UDP &&
			  p53g_dns_response(skb, pkt))))
		return P53G_REPLY;
	if (p53g_is_exempt(skb, f, net, in, exempt))
		return P53G_EXEMPT_LIST;
	if (conf->authoritative) {
		o = p53g_authority(skb, pkt);
		if (o != P53G_NR_OUTCOMES)
			return o;
	}
	if (conf->action == P53G_ACTION_MONITOR)
		return P53G_MONITORED;
	/* It may hide a query and has no port to answer: drop it silently. */
	if (pkt->cls == P53G_CLASS_MALFORMED)
		return P53G_DROP_MALFORMED;
	if (conf->action == P53G_ACTION_DROP)
		return P53G_DROP_ACTION;
	return pkt->cls == P53G_CLASS_TCP_SYN ||
	       pkt->cls == P53G_CLASS_TCP_DATA ? P53G_REJECT_RESET :
						 P53G_REJECT_UNREACH;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_judge);

/*
 * The reject helpers send nothing for a packet to a broadcast or multicast
 * address or in a link-layer broadcast or multicast frame, from an
 * unspecified or multicast source, with a bad checksum or that is not a
 * first fragment. Ask the same questions first, so that the counters say
 * what happened (rejected means a reply went out). The order, and what
 * each costs, is p53g_reply_due()'s. The host's own ICMP rate limits
 * (net.ipv4.icmp_ratelimit, icmp_msgs_per_sec) come after this and may
 * still hold a reply back.
 */

/*
 * The datagram's length and the bytes its checksum covers, when its
 * header can be read and its length fits the packet, as the UDP and
 * UDP-Lite layers check them; else 0. UDP: both are the UDP length (a
 * shorter length than the packet's is trailing padding). UDP-Lite
 * (RFC 3828): the datagram is the whole IP payload and the length field
 * is the checksum coverage, 0 meaning all of it; its checksum is never
 * optional. @check gets the header's checksum field.
 */
static unsigned int p53g_udp_len(const struct sk_buff *skb,
				 const struct p53g_pkt *pkt,
				 unsigned int *cov, __sum16 *check)
{
	const struct udphdr *uh;
	unsigned int len, room;
	struct udphdr _uh;

	uh = skb_header_pointer(skb, pkt->thoff, sizeof(_uh), &_uh);
	if (!uh)
		return 0;
	room = skb->len - pkt->thoff;
	len = ntohs(uh->len);
	*check = uh->check;
	if (pkt->proto == IPPROTO_UDPLITE) {
		if (!len)
			len = room;
		if (len < sizeof(*uh) || len > room || !uh->check)
			return 0;
		*cov = len;
		return room;
	}
	if (len < sizeof(*uh) || len > room)
		return 0;
	*cov = len;
	return len;
}

/*
 * The sum of the bytes from @skb->data to the end, as the device gave it
 * (CHECKSUM_COMPLETE), minus the first @off of them; 0 when there is none
 * to use. Only at LOCAL_IN, as nf_ip_checksum() does: on the way there
 * the stack keeps skb->csum in step with what it pulls and NAT rewrites.
 */
static bool p53g_csum_complete(const struct sk_buff *skb,
			       unsigned int hooknum, unsigned int off,
			       unsigned int cov, __wsum *sum)
{
	if (skb->ip_summed != CHECKSUM_COMPLETE ||
	    hooknum != NF_INET_LOCAL_IN || cov != skb->len - off)
		return false;
	*sum = off ? csum_sub(skb->csum, skb_checksum(skb, 0, off, 0)) :
		     skb->csum;
	return true;
}

/*
 * The UDP checksum over the datagram and its pseudo-header, as the UDP
 * layer would check it. From the device's sum when it gave one for the
 * whole datagram (CHECKSUM_COMPLETE: a valid IPv4 header sums to zero, so
 * the sum from the IP header on is the datagram's), else in software;
 * a sum from the device that does not check out is summed again in
 * software, as the UDP layer does. Not nf_ip_checksum() for the software
 * sum: for a packet whose checksum nobody has verified yet it sums the IP
 * header as well, and by LOCAL_IN the stack has written this host's
 * address into a record route or timestamp option without refreshing the
 * header checksum (only forwarding does), so a valid query carrying such
 * an option would pass for a corrupt one and go unanswered.
 */
VISIBLE_IF_KUNIT bool p53g_udp4_csum_ok(const struct sk_buff *skb,
					const struct p53g_pkt *pkt,
					unsigned int hooknum)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int len, cov = 0;
	__sum16 check = 0;
	__wsum sum;

	len = p53g_udp_len(skb, pkt, &cov, &check);
	if (!len)
		return false;
	/* A zero UDP checksum over IPv4 means "none" (UDP-Lite: refused). */
	if (!check || skb_csum_unnecessary(skb))
		return true;
	if (p53g_csum_complete(skb, hooknum, 0, pkt->thoff + cov, &sum) &&
	    !csum_tcpudp_magic(iph->saddr, iph->daddr, len, pkt->proto, sum))
		return true;
	return !csum_tcpudp_magic(iph->saddr, iph->daddr, len, pkt->proto,
				  skb_checksum(skb, pkt->thoff, cov, 0));
}
EXPORT_SYMBOL_IF_KUNIT(p53g_udp4_csum_ok);

/* The header's questions: could a reply be sent at all? */
static bool p53g_reply_allowed_ipv4(const struct sk_buff *skb,
				    const struct p53g_pkt *pkt)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct rtable *rt = skb_rtable(skb);
	unsigned int cov;
	__sum16 check;

	if (skb->pkt_type != PACKET_HOST ||
	    (rt && (rt->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST))))
		return false;
	if (ipv4_is_multicast(iph->daddr) || ipv4_is_lbcast(iph->daddr) ||
	    ipv4_is_multicast(iph->saddr) || ipv4_is_lbcast(iph->saddr) ||
	    ipv4_is_zeronet(iph->saddr))
		return false;
	return pkt->proto == IPPROTO_TCP || p53g_udp_len(skb, pkt, &cov, &check);
}

/* The checksum's question, after the bucket. */
static bool p53g_csum_ok_ipv4(struct sk_buff *skb, const struct p53g_pkt *pkt,
			      unsigned int hooknum)
{
	if (pkt->proto != IPPROTO_TCP)
		return p53g_udp4_csum_ok(skb, pkt, hooknum);
	/*
	 * TCP: nf_send_reset() checks with nf_ip_checksum() itself, so ask
	 * the same (a SYN with a record route option goes unanswered).
	 */
	if (skb_csum_unnecessary(skb))
		return true;
	return !nf_ip_checksum(skb, hooknum, pkt->thoff, pkt->proto);
}

#if IS_ENABLED(CONFIG_IPV6)
/*
 * As p53g_udp4_csum_ok(), over IPv6, where a checksum is mandatory. The
 * device's sum includes the IPv6 header and its extension headers, which
 * sum to anything: they are taken out. A first fragment's UDP length runs
 * past the fragment, so it is never answered (its checksum cannot be
 * verified).
 */
VISIBLE_IF_KUNIT bool p53g_udp6_csum_ok(const struct sk_buff *skb,
					const struct p53g_pkt *pkt,
					unsigned int hooknum)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	unsigned int len, cov = 0;
	__sum16 check = 0;
	__wsum sum;

	len = p53g_udp_len(skb, pkt, &cov, &check);
	if (!len || !check)
		return false;
	if (skb_csum_unnecessary(skb))
		return true;
	if (p53g_csum_complete(skb, hooknum, pkt->thoff, cov, &sum) &&
	    !csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, len, pkt->proto, sum))
		return true;
	return !csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, len, pkt->proto,
				skb_checksum(skb, pkt->thoff, cov, 0));
}
EXPORT_SYMBOL_IF_KUNIT(p53g_udp6_csum_ok);

static bool p53g_reply_allowed_ipv6(const struct sk_buff *skb,
				    const struct p53g_pkt *pkt)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	int dtype = ipv6_addr_type(&ip6h->daddr);
	int stype = ipv6_addr_type(&ip6h->saddr);
	unsigned int cov;
	__sum16 check;

	if ((dtype & IPV6_ADDR_MULTICAST) || skb->pkt_type != PACKET_HOST)
		return false;
	if (stype == IPV6_ADDR_ANY || (stype & IPV6_ADDR_MULTICAST))
		return false;
	if (pkt->proto == IPPROTO_TCP)
		return true;
	return p53g_udp_len(skb, pkt, &cov, &check) && check;
}

static bool p53g_csum_ok_ipv6(struct sk_buff *skb, const struct p53g_pkt *pkt,
			      unsigned int hooknum)
{
	if (pkt->proto != IPPROTO_TCP)
		return p53g_udp6_csum_ok(skb, pkt, hooknum);
	/* TCP: nf_send_reset6() checks with nf_ip6_checksum() itself. */
	if (skb_csum_unnecessary(skb))
		return true;
	return !nf_ip6_checksum(skb, hooknum, pkt->thoff, pkt->proto);
}
#endif

/**
 * p53g_reply_due() - whether a reply the verdict calls for may be sent
 * @skb: the packet
 * @f: its family
 * @pkt: what the classifier found
 * @hooknum: the netfilter hook it is in
 * @b: the bucket to take a token from
 * @rate: its rate (0: no limit)
 * @now: the time for the bucket, in ns
 * @o: the verdict's outcome, P53G_REJECT_UNREACH or P53G_REJECT_RESET
 *
 * First a look at the bucket, a plain read: under a flood nearly every
 * packet finds it empty and is dropped there, asked nothing else. Then
 * the header's questions, which read a few words of headers: a packet
 * that fails them takes no token, so packets no reply may answer (to a
 * broadcast address, say) never hold back a reply to a query that may
 * have one. Then a token is taken (another CPU may have taken the last).
 * Then the checksum, the costly question: a packet that fails it has
 * spent its token and keeps it spent, so that a flood with bad checksums
 * empties the bucket like any other and the summing it causes is bounded
 * by the rate.
 *
 * Return: @o, P53G_DROP_NOREPLY or P53G_DROP_RATELIMIT.
 */
VISIBLE_IF_KUNIT enum p53g_outcome
p53g_reply_due(struct sk_buff *skb, enum p53g_family f,
	       const struct p53g_pkt *pkt, unsigned int hooknum,
	       struct p53g_bucket *b, u32 rate, u64 now, enum p53g_outcome o)
{
	bool ok;

	if (p53g_bucket_empty(b, rate, now))
		return P53G_DROP_RATELIMIT;
#if IS_ENABLED(CONFIG_IPV6)
	if (f == P53G_IPV6)
		ok = p53g_reply_allowed_ipv6(skb, pkt);
	else
#endif
		ok = p53g_reply_allowed_ipv4(skb, pkt);
	if (!ok)
		return P53G_DROP_NOREPLY;
	if (!p53g_bucket_take(b, rate, now))
		return P53G_DROP_RATELIMIT;
#if IS_ENABLED(CONFIG_IPV6)
	if (f == P53G_IPV6)
		ok = p53g_csum_ok_ipv6(skb, pkt, hooknum);
	else
#endif
		ok = p53g_csum_ok_ipv4(skb, pkt, hooknum);
	return ok ? o : P53G_DROP_NOREPLY;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_reply_due);

/**
 * p53g_segs() - how many packets an skb stands for
 * @skb: the packet
 *
 * GRO merges a flow's datagrams (UDP GRO forwarding, a socket's UDP GRO)
 * into one skb that reaches the hooks once; the counters count the
 * datagrams it was made of, the segments it will be split into again.
 * An skb that says it is GSO without a count (one a device or tun handed
 * over, gso_segs 0 until the stack counts them) is one packet.
 *
 * Return: skb_shinfo(skb)->gso_segs for a GSO skb, at least 1; else 1.
 */
VISIBLE_IF_KUNIT unsigned int p53g_segs(const struct sk_buff *skb)
{
	if (!skb_is_gso(skb))
		return 1;
	return max_t(unsigned int, skb_shinfo(skb)->gso_segs, 1);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_segs);

static void p53g_log(const struct sk_buff *skb, enum p53g_family f,
		     enum p53g_hook hook, const struct net_device *in,
		     const struct p53g_pkt *pkt, enum p53g_outcome o)
{
	const char *what = p53g_outcome_name(o);
	const char *proto = pkt->proto == IPPROTO_TCP ? "tcp" :
			    pkt->proto == IPPROTO_UDP ? "udp" :
			    pkt->proto == IPPROTO_UDPLITE ? "udplite" : "?";
	const char *dev = in ? in->name : "?";
	const char *where = hook == P53G_HOOK_FORWARD ? " forward" : "";

	if (!net_ratelimit())
		return;
	if (f == P53G_IPV4)
		pr_info("%s %s src=%pI4 dst=%pI4 in=%s%s\n", what, proto,
			&ip_hdr(skb)->saddr, &ip_hdr(skb)->daddr, dev, where);
	else
		pr_info("%s %s src=%pI6c dst=%pI6c in=%s%s\n", what, proto,
			&ipv6_hdr(skb)->saddr, &ipv6_hdr(skb)->daddr, dev,
			where);
}

static unsigned int p53g_hook_fn(struct sk_buff *skb,
				 const struct nf_hook_state *state,
				 enum p53g_family f, enum p53g_hook hook)
{
	const struct p53g_cfg *cfg;
	struct p53g_pkt pkt;
	enum p53g_outcome o;

	/* Hooks run under rcu_read_lock(): one configuration for the packet. */
	cfg = p53g_cfg_get();
	o = p53g_judge(skb, f, hook, state->net, state->in, &cfg->s, cfg->list,
		       &pkt);
	/* The bucket is asked before any reply is built. */
	if (o == P53G_REJECT_UNREACH || o == P53G_REJECT_RESET)
		o = p53g_reply_due(skb, f, &pkt, state->hook, &p53g_host_bucket,
				   cfg->s.rate,
				   cfg->s.rate ? p53g_ratelimit_now() : 0, o);
	/*
	 * Counted before the reply leaves, so a reader who saw it sees this;
	 * every segment of a merged packet in the one outcome the packet had
	 * (one reply and one token for all of them: the sender of a merged
	 * flow learns as much from one error).
	 */
	p53g_stats_add(&p53g_stats, hook, f, o, p53g_segs(skb));

	switch (o) {
	case P53G_PASSED:
	case P53G_DISABLED:
	case P53G_EXEMPT_LOOPBACK:
	case P53G_EXEMPT_LIST:
	case P53G_REPLY:
	case P53G_ITERATIVE:
	case P53G_NR_OUTCOMES:
		return NF_ACCEPT;
	default:
		break;
	}
	if (cfg->s.log)
		p53g_log(skb, f, hook, state->in, &pkt, o);
	switch (o) {
	case P53G_MONITORED:
		return NF_ACCEPT;
	case P53G_REJECT_UNREACH:
		/*
		 * Checked above, over the UDP datagram alone (see
		 * p53g_udp4_csum_ok() for why not with nf_send_unreach()).
		 * The error takes the packet's conntrack entry along
		 * (icmp_send() attaches it), so NAT turns what it quotes
		 * back into what the client sent: a query to port 53 of
		 * the address it asked, REDIRECTed or DNATed or not.
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
			nf_send_reset6(state->net, NULL, skb, state->hook);
		else
#endif
			nf_send_reset(state->net, NULL, skb, state->hook);
		break;
	default:
		break;
	}
	return NF_DROP;
}

static unsigned int p53g_ipv4_local_in(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	return p53g_hook_fn(skb, state, P53G_IPV4, P53G_HOOK_INPUT);
}

static unsigned int p53g_ipv4_forward(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return p53g_hook_fn(skb, state, P53G_IPV4, P53G_HOOK_FORWARD);
}

#if IS_ENABLED(CONFIG_IPV6)
static unsigned int p53g_ipv6_local_in(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	return p53g_hook_fn(skb, state, P53G_IPV6, P53G_HOOK_INPUT);
}

static unsigned int p53g_ipv6_forward(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return p53g_hook_fn(skb, state, P53G_IPV6, P53G_HOOK_FORWARD);
}
#endif

/*
 * Just after the filter tables, on both hooks: conntrack has attached its
 * entry and DNAT/REDIRECT have run in PRE_ROUTING, and an explicit ruleset
 * keeps its say (a packet it drops costs the guard nothing and takes no
 * token). The guard is the backstop for what that ruleset let through, or
 * for no ruleset at all. On LOCAL_IN it runs before LOCAL_IN SNAT
 * (NF_IP_PRI_NAT_SRC) rewrites the source. On FORWARD nothing later
 * changes the destination, and what it judges there is only what
 * conntrack DNATed from port 53.
 */
static const struct nf_hook_ops p53g_nf_ops[] = {
	{
		.hook		= p53g_ipv4_local_in,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP_PRI_FILTER + 1,
	},
	{
		.hook		= p53g_ipv4_forward,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_FORWARD,
		.priority	= NF_IP_PRI_FILTER + 1,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook		= p53g_ipv6_local_in,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP6_PRI_FILTER + 1,
	},
	{
		.hook		= p53g_ipv6_forward,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_FORWARD,
		.priority	= NF_IP6_PRI_FILTER + 1,
	},
#endif
};

/* Namespaces whose hooks are registered, for the namespaces file. */
static atomic_t p53g_guarded = ATOMIC_INIT(0);

int p53g_hooks_register(struct net *net)
{
	int err = nf_register_net_hooks(net, p53g_nf_ops,
					ARRAY_SIZE(p53g_nf_ops));

	if (!err)
		atomic_inc(&p53g_guarded);
	return err;
}

void p53g_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, p53g_nf_ops, ARRAY_SIZE(p53g_nf_ops));
	atomic_dec(&p53g_guarded);
}

unsigned int p53g_hooks_namespaces(void)
{
	return atomic_read(&p53g_guarded);
}
