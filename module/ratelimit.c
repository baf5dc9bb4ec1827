// SPDX-License-Identifier: GPL-2.0
/*
 * The guard's rate limit: the host's one bucket (the algorithm and its
 * fast path are in ratelimit.h, inlined into the packet path).
 */
#include <linux/math64.h>
#include <kunit/visibility.h>

#include "ratelimit.h"

struct p53g_bucket p53g_host_bucket = { .tat = ATOMIC64_INIT(0) };

/**
 * p53g_bucket_give() - give back a token taken for a reply not sent
 * @b: the bucket
 * @rate: the rate it was taken at (0: nothing was taken)
 */
void p53g_bucket_give(struct p53g_bucket *b, u32 rate)
{
	if (rate)
		atomic64_sub(div_u64(NSEC_PER_SEC, rate), &b->tat);
}
EXPORT_SYMBOL_IF_KUNIT(p53g_bucket_give);

void p53g_ratelimit_give(u32 rate)
{
	p53g_bucket_give(&p53g_host_bucket, rate);
}

void p53g_ratelimit_reset(void)
{
	atomic64_set(&p53g_host_bucket.tat, 0);
}
