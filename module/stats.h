/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU packet counters: one per hook, family and outcome, so that every
 * packet the hooks see is counted exactly once.
 */
#ifndef P53G_STATS_H
#define P53G_STATS_H

#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/u64_stats_sync.h>

/**
 * enum p53g_outcome - what became of one packet that reached a hook
 * @P53G_PASSED: not a DNS query (another port or protocol, a later
 *	fragment, TCP while tcp=0, a TCP segment that is not a SYN; on
 *	FORWARD, anything that was not DNATed from port 53)
 * @P53G_DISABLED: any packet while enabled=0 (on FORWARD, also while
 *	forward=0)
 * @P53G_EXEMPT_LOOPBACK: a query that arrived on a loopback device
 * @P53G_EXEMPT_LIST: a query from an exempt prefix or interface
 * @P53G_REPLY: conntrack saw it as the reply of a flow this host started,
 *	and it is a TCP segment or a DNS response (QR set)
 * @P53G_MONITORED: a query let through because action=monitor
 * @P53G_REJECT_UNREACH: refused with ICMP/ICMPv6 port unreachable
 * @P53G_REJECT_RESET: a TCP SYN refused with a RST
 * @P53G_DROP_ACTION: dropped silently because action=drop
 * @P53G_DROP_RATELIMIT: a reply was due, but over the guard's rate limit
 * @P53G_DROP_MALFORMED: headers cut short before the port: dropped
 * @P53G_DROP_NOREPLY: a reply was due, but the kernel's rules forbid one
 *	(to a broadcast or multicast address, a bad checksum, from an
 *	unspecified or multicast source): dropped
 * @P53G_NR_OUTCOMES: how many there are
 */
enum p53g_outcome {
	P53G_PASSED,
	P53G_DISABLED,
	P53G_EXEMPT_LOOPBACK,
	P53G_EXEMPT_LIST,
	P53G_REPLY,
	P53G_MONITORED,
	P53G_REJECT_UNREACH,
	P53G_REJECT_RESET,
	P53G_DROP_ACTION,
	P53G_DROP_RATELIMIT,
	P53G_DROP_MALFORMED,
	P53G_DROP_NOREPLY,
	P53G_NR_OUTCOMES,
};

enum p53g_family {
	P53G_IPV4,
	P53G_IPV6,
	P53G_NR_FAMILIES,
};

/**
 * enum p53g_hook - where the guard saw the packet
 * @P53G_HOOK_INPUT: NF_INET_LOCAL_IN, delivered to this host
 * @P53G_HOOK_FORWARD: NF_INET_FORWARD, routed through it (published ports)
 * @P53G_NR_HOOKS: how many there are
 */
enum p53g_hook {
	P53G_HOOK_INPUT,
	P53G_HOOK_FORWARD,
	P53G_NR_HOOKS,
};

typedef u64 p53g_counts_t[P53G_NR_HOOKS][P53G_NR_FAMILIES][P53G_NR_OUTCOMES];

struct p53g_stats_cpu {
	u64_stats_t n[P53G_NR_HOOKS][P53G_NR_FAMILIES][P53G_NR_OUTCOMES];
	struct u64_stats_sync syncp;
};

/* The sums at a reset, immutable once published. */
struct p53g_stats_base {
	struct rcu_head rcu;
	p53g_counts_t c;
};

/**
 * struct p53g_stats - a set of counters
 * @cpu: the counters, one copy per CPU, only ever written by their CPU
 * @lock: serialises resets (process context); readers never take it
 * @base: the sums at the last reset (NULL: none yet), subtracted on read
 *
 * A reset never writes the per-CPU words: zeroing another CPU's counter
 * races with its increment (a read-modify-write there can put back the
 * old value, or on 32-bit half of it). Instead a reset records the sums
 * it read as a new @base; each increment lands either before the per-CPU
 * read of the reset (and is in @base) or after it (and is counted from
 * then on), never in both and never in neither. @base is published with
 * RCU, so a read waits for nothing.
 */
struct p53g_stats {
	struct p53g_stats_cpu __percpu *cpu;
	/* resets only, in process context */
	struct mutex lock;
	struct p53g_stats_base __rcu *base;
};

extern struct p53g_stats p53g_stats;

/*
 * Any context. The hooks run with BH disabled, except when NFQUEUE
 * reinjects a packet from process context, so take the CPU and, on 32-bit
 * where the seqcount needs it, keep interrupts off for the update.
 */
static inline void p53g_stats_inc(struct p53g_stats *st, enum p53g_hook h,
				  enum p53g_family f, enum p53g_outcome o)
{
	struct p53g_stats_cpu *c = get_cpu_ptr(st->cpu);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&c->syncp);
	u64_stats_inc(&c->n[h][f][o]);
	u64_stats_update_end_irqrestore(&c->syncp, flags);
	put_cpu_ptr(st->cpu);
}

int p53g_stats_init(struct p53g_stats *st);
void p53g_stats_destroy(struct p53g_stats *st);
void p53g_stats_read(struct p53g_stats *st, p53g_counts_t out);
int p53g_stats_reset(struct p53g_stats *st, p53g_counts_t taken);
const char *p53g_outcome_name(enum p53g_outcome o);

#endif /* P53G_STATS_H */
