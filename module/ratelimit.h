/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guard's own rate limit in front of its replies (ICMP errors, RSTs),
 * so that a port-53 flood cannot spend the host's ICMP budget.
 */
#ifndef P53G_RATELIMIT_H
#define P53G_RATELIMIT_H

#include <linux/atomic.h>
#include <linux/types.h>

/**
 * struct p53g_bucket - a token bucket for replies
 * @tat: the theoretical arrival time (GCRA) of the next reply, in ns
 */
struct p53g_bucket {
	atomic64_t tat;
};

bool p53g_bucket_take(struct p53g_bucket *b, u32 rate, u64 now);
void p53g_bucket_give(struct p53g_bucket *b, u32 rate);
u32 p53g_bucket_burst(u32 rate);

/* The host's one bucket, shared by every hook and namespace. */
bool p53g_ratelimit_take(u32 rate);
void p53g_ratelimit_give(u32 rate);
void p53g_ratelimit_reset(void);

#endif /* P53G_RATELIMIT_H */
