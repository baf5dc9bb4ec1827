// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU packet counters, summed on read, reset by baseline (see
 * struct p53g_stats). u64_stats_sync makes the 64-bit values exact on
 * 32-bit machines too; on 64-bit it costs nothing.
 */
#include <linux/cpumask.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "stats.h"

struct p53g_stats p53g_stats;

static const char * const p53g_outcome_names[P53G_NR_OUTCOMES] = {
	[P53G_PASSED] = "passed",
	[P53G_DISABLED] = "disabled",
	[P53G_EXEMPT_LOOPBACK] = "exempted_loopback",
	[P53G_EXEMPT_LIST] = "exempted_list",
	[P53G_REPLY] = "replies",
	[P53G_MONITORED] = "monitored",
	[P53G_REJECT_UNREACH] = "rejected_unreach",
	[P53G_REJECT_RESET] = "tcp_reset",
	[P53G_DROP_ACTION] = "dropped_action",
	[P53G_DROP_RATELIMIT] = "dropped_ratelimit",
	[P53G_DROP_MALFORMED] = "dropped_malformed",
	[P53G_DROP_NOREPLY] = "dropped_noreply",
};

const char *p53g_outcome_name(enum p53g_outcome o)
{
	return p53g_outcome_names[o];
}

int p53g_stats_init(struct p53g_stats *st)
{
	int cpu;

	memset(st->base, 0, sizeof(st->base));
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

void p53g_stats_destroy(struct p53g_stats *st)
{
	free_percpu(st->cpu);
	st->cpu = NULL;
	mutex_destroy(&st->lock);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_stats_destroy);

/* The raw sums over every possible CPU (an offline CPU keeps its counts). */
static void p53g_stats_sum(struct p53g_stats *st, p53g_counts_t sum)
{
	const struct p53g_stats_cpu *c;
	unsigned int start, f, o;
	int cpu;

	memset(sum, 0, sizeof(p53g_counts_t));
	for_each_possible_cpu(cpu) {
		u64 v[P53G_NR_FAMILIES][P53G_NR_OUTCOMES];

		c = per_cpu_ptr(st->cpu, cpu);
		do {
			start = u64_stats_fetch_begin(&c->syncp);
			for (f = 0; f < P53G_NR_FAMILIES; f++)
				for (o = 0; o < P53G_NR_OUTCOMES; o++)
					v[f][o] = u64_stats_read(&c->n[f][o]);
		} while (u64_stats_fetch_retry(&c->syncp, start));
		for (f = 0; f < P53G_NR_FAMILIES; f++)
			for (o = 0; o < P53G_NR_OUTCOMES; o++)
				sum[f][o] += v[f][o];
	}
}

/**
 * p53g_stats_read() - the counts since the last reset
 * @st: the counters
 * @out: the counts, per family and outcome
 *
 * Process context (takes a mutex).
 */
void p53g_stats_read(struct p53g_stats *st, p53g_counts_t out)
{
	unsigned int f, o;

	mutex_lock(&st->lock);
	p53g_stats_sum(st, out);
	for (f = 0; f < P53G_NR_FAMILIES; f++)
		for (o = 0; o < P53G_NR_OUTCOMES; o++)
			out[f][o] -= st->base[f][o];
	mutex_unlock(&st->lock);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_stats_read);

/**
 * p53g_stats_reset() - start every count again from zero
 * @st: the counters
 * @taken: if not NULL, the counts the reset took away (what a read just
 *	before it would have shown, had no packet come in between)
 *
 * Process context (takes a mutex).
 */
void p53g_stats_reset(struct p53g_stats *st, p53g_counts_t taken)
{
	p53g_counts_t sum;
	unsigned int f, o;

	mutex_lock(&st->lock);
	p53g_stats_sum(st, sum);
	for (f = 0; f < P53G_NR_FAMILIES; f++) {
		for (o = 0; o < P53G_NR_OUTCOMES; o++) {
			if (taken)
				taken[f][o] = sum[f][o] - st->base[f][o];
			st->base[f][o] = sum[f][o];
		}
	}
	mutex_unlock(&st->lock);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_stats_reset);
