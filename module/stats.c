// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU packet counters, summed on read, reset by baseline (see
 * struct p53g_stats). u64_stats_sync makes the 64-bit values exact on
 * 32-bit machines too; on 64-bit it costs nothing. Reads take no lock.
 */
#include <linux/cpumask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "stats.h"

struct p53g_stats p53g_stats;

int p53g_stats_init(struct p53g_stats *st)
{
	int cpu;

	RCU_INIT_POINTER(st->base, NULL);
	mutex_init(&st->lock);
	st->cpu = alloc_percpu(struct p53g_stats_cpu);
	if (!st->cpu)
		return -ENOMEM;
	/* alloc_percpu() zeroes; the seqcounts need their lockdep class. */
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(st->cpu, cpu)->syncp);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_stats_init);

/* No reader or reset may be left. */
void p53g_stats_destroy(struct p53g_stats *st)
{
	kfree(rcu_dereference_protected(st->base, true));
	RCU_INIT_POINTER(st->base, NULL);
	free_percpu(st->cpu);
	st->cpu = NULL;
	mutex_destroy(&st->lock);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_stats_destroy);

#define P53G_NR_COUNTS	(sizeof(p53g_counts_t) / sizeof(u64))

/*
 * The raw sums over every possible CPU (an offline CPU keeps its counts).
 * Each counter is read whole (on 32-bit the seqcount retries a torn one);
 * the sums are not one instant across counters, and need not be.
 */
static void p53g_stats_sum(struct p53g_stats *st, p53g_counts_t sum)
{
	const struct p53g_stats_cpu *c;
	u64 *out = &sum[0][0][0];
	unsigned int start, i;
	int cpu;
	u64 v;

	memset(sum, 0, sizeof(p53g_counts_t));
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(st->cpu, cpu);
		for (i = 0; i < P53G_NR_COUNTS; i++) {
			do {
				start = u64_stats_fetch_begin(&c->syncp);
				v = u64_stats_read(&(&c->n[0][0][0])[i]);
			} while (u64_stats_fetch_retry(&c->syncp, start));
			out[i] += v;
		}
	}
}

/**
 * p53g_stats_read() - the counts since the last reset
 * @st: the counters
 * @out: the counts, per hook, family and outcome
 *
 * Any context; takes no lock, so a reader never waits for a writer.
 */
void p53g_stats_read(struct p53g_stats *st, p53g_counts_t out)
{
	const struct p53g_stats_base *b;
	u64 *o = &out[0][0][0];
	unsigned int i;

	rcu_read_lock();
	b = rcu_dereference(st->base);
	/*
	 * The counters are read after the base: the reset read them before
	 * it published the base, so every sum here is at least its own.
	 */
	smp_rmb();
	p53g_stats_sum(st, out);
	if (b)
		for (i = 0; i < P53G_NR_COUNTS; i++)
			o[i] -= (&b->c[0][0][0])[i];
	rcu_read_unlock();
}
EXPORT_SYMBOL_IF_KUNIT(p53g_stats_read);

/**
 * p53g_stats_reset() - start every count again from zero
 * @st: the counters
 * @taken: if not NULL, the counts the reset took away (what a read just
 *	before it would have shown, had no packet come in between)
 *
 * Process context (allocates, takes a mutex).
 *
 * Return: 0, or -ENOMEM with nothing changed.
 */
int p53g_stats_reset(struct p53g_stats *st, p53g_counts_t taken)
{
	struct p53g_stats_base *nb, *old;
	unsigned int i;

	nb = kmalloc(sizeof(*nb), GFP_KERNEL);
	if (!nb)
		return -ENOMEM;
	mutex_lock(&st->lock);
	old = rcu_dereference_protected(st->base, lockdep_is_held(&st->lock));
	p53g_stats_sum(st, nb->c);
	if (taken)
		for (i = 0; i < P53G_NR_COUNTS; i++)
			(&taken[0][0][0])[i] = (&nb->c[0][0][0])[i] -
					       (old ? (&old->c[0][0][0])[i] : 0);
	/* release: the sums above are read before the base is seen */
	rcu_assign_pointer(st->base, nb);
	mutex_unlock(&st->lock);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_stats_reset);
