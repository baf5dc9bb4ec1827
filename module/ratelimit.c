// SPDX-License-Identifier: GPL-2.0
/*
 * The guard's rate limit: the host's one bucket (the algorithm and its
 * fast path are in ratelimit.h, inlined into the packet path).
 */
#include "ratelimit.h"

struct p53g_bucket p53g_host_bucket = { .tat = ATOMIC64_INIT(0) };

void p53g_ratelimit_reset(void)
{
	atomic64_set(&p53g_host_bucket.tat, 0);
}
