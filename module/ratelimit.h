/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guard's own rate limit in front of its replies (ICMP errors, RSTs),
 * so that a port-53 flood cannot spend the host's ICMP budget.
 */
#ifndef P53G_RATELIMIT_H
#define P53G_RATELIMIT_H

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/types.h>

/**
 * struct p53g_bucket - a token bucket for replies
 * @tat: the theoretical arrival time (GCRA) of the next reply, in ns
 */
struct p53g_bucket {
	atomic64_t tat;
};

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

/* A tenth of a second's worth of replies, at least one. */
static inline u32 p53g_bucket_burst(u32 rate)
{
	return max_t(u32, rate / 10, 1);
}

/**
 * p53g_bucket_take() - take one token, if there is one
 * @b: the bucket
 * @rate: tokens per second; 0 means no limit
 * @now: the time in ns (monotonic)
 *
 * Return: true if a reply may be sent.
 */
static inline bool p53g_bucket_take(struct p53g_bucket *b, u32 rate,
				    u64 now)
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

/**
 * p53g_bucket_empty() - whether no token is there now
 * @b: the bucket
 * @rate: tokens per second; 0 means no limit
 * @now: the time in ns (monotonic)
 *
 * A plain read: no token is taken. A flood finds the bucket empty and is
 * turned away before any other question.
 *
 * Return: true if p53g_bucket_take() would fail at @now.
 */
static inline bool p53g_bucket_empty(struct p53g_bucket *b, u32 rate, u64 now)
{
	s64 t;

	if (!rate)
		return false;
	t = div_u64(NSEC_PER_SEC, rate);
	return atomic64_read(&b->tat) - (s64)now > t * (p53g_bucket_burst(rate) - 1);
}

/* The host's one bucket, shared by every hook and namespace. */
extern struct p53g_bucket p53g_host_bucket;

/*
 * The clock is the tick (jiffies): one load, where reading the clocksource
 * would cost a flood's every packet more than the rest of the refusal.
 * Within a tick every packet sees one time, so the bucket hands out at
 * most a tick's worth of tokens beyond its burst there; over any longer
 * time the rate is exact. A tick (1 to 10 ms) is well under the burst's
 * tenth of a second.
 */
static inline u64 p53g_ratelimit_now(void)
{
	return get_jiffies_64() * (NSEC_PER_SEC / HZ);
}

void p53g_ratelimit_reset(void);

#endif /* P53G_RATELIMIT_H */
