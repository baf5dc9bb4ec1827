/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU packet counters: one per hook, family and outcome, so that every
 * packet the hooks see is counted exactly once, a packet GRO merged from
 * several as the several it was.
 */
#ifndef P53G_STATS_H
#define P53G_STATS_H

#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/u64_stats_sync.h>

#include "names.h"

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
static inline void p53g_stats_add(struct p53g_stats *st, enum p53g_hook h,
				  enum p53g_family f, enum p53g_outcome o,
				  unsigned int n)
{
	struct p53g_stats_cpu *c = get_cpu_ptr(st->cpu);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&c->syncp);
	u64_stats_add(&c->n[h][f][o], n);
	u64_stats_update_end_irqrestore(&c->syncp, flags);
	put_cpu_ptr(st->cpu);
}

static inline void p53g_stats_inc(struct p53g_stats *st, enum p53g_hook h,
				  enum p53g_family f, enum p53g_outcome o)
{
	p53g_stats_add(st, h, f, o, 1);
}

int p53g_stats_init(struct p53g_stats *st);
void p53g_stats_destroy(struct p53g_stats *st);
void p53g_stats_read(struct p53g_stats *st, p53g_counts_t out);
int p53g_stats_reset(struct p53g_stats *st, p53g_counts_t taken);

#endif /* P53G_STATS_H */
