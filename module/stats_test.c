// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the counters and of the settings' text forms.
 *
 * Counters: every increment is counted once, per family and outcome, and
 * a reset is exact while other CPUs keep counting: what the resets took
 * plus what is left equals what was added, to the unit.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "names.h"
#include "stats.h"

/* Two sets of counts, off the stack (they are 384 bytes each). */
struct p53g_two_counts {
	p53g_counts_t c;
	p53g_counts_t taken;
};

static void p53g_stats_count_test(struct kunit *test)
{
	struct p53g_two_counts *t2;
	struct p53g_stats *st;
	unsigned int h, f, o, k;

	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	t2 = kunit_kzalloc(test, sizeof(*t2), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_NOT_NULL(test, t2);
	KUNIT_ASSERT_EQ(test, p53g_stats_init(st), 0);
	for (h = 0; h < P53G_NR_HOOKS; h++)
		for (f = 0; f < P53G_NR_FAMILIES; f++)
			for (o = 0; o < P53G_NR_OUTCOMES; o++)
				for (k = 0; k < h * 1000 + f * 100 + o; k++)
					p53g_stats_inc(st, h, f, o);
	p53g_stats_read(st, t2->c);
	for (h = 0; h < P53G_NR_HOOKS; h++)
		for (f = 0; f < P53G_NR_FAMILIES; f++)
			for (o = 0; o < P53G_NR_OUTCOMES; o++)
				KUNIT_EXPECT_EQ_MSG(test, t2->c[h][f][o],
						    h * 1000 + f * 100 + o,
						    "hook %u family %u outcome %u",
						    h, f, o);
	KUNIT_ASSERT_EQ(test, p53g_stats_reset(st, t2->taken), 0);
	KUNIT_EXPECT_EQ(test, memcmp(t2->taken, t2->c, sizeof(t2->c)), 0);
	p53g_stats_read(st, t2->c);
	for (h = 0; h < P53G_NR_HOOKS; h++)
		for (f = 0; f < P53G_NR_FAMILIES; f++)
			for (o = 0; o < P53G_NR_OUTCOMES; o++)
				KUNIT_EXPECT_EQ(test, t2->c[h][f][o], 0);
	p53g_stats_inc(st, P53G_HOOK_FORWARD, P53G_IPV6, P53G_REPLY);
	p53g_stats_read(st, t2->c);
	KUNIT_EXPECT_EQ(test, t2->c[P53G_HOOK_FORWARD][P53G_IPV6][P53G_REPLY], 1);
	KUNIT_EXPECT_EQ(test, t2->c[P53G_HOOK_INPUT][P53G_IPV6][P53G_REPLY], 0);
	KUNIT_EXPECT_EQ(test, t2->c[P53G_HOOK_FORWARD][P53G_IPV4][P53G_REPLY], 0);
	/* A second reset takes only what came after the first. */
	KUNIT_ASSERT_EQ(test, p53g_stats_reset(st, t2->taken), 0);
	KUNIT_EXPECT_EQ(test, t2->taken[P53G_HOOK_FORWARD][P53G_IPV6][P53G_REPLY], 1);
	KUNIT_EXPECT_EQ(test, t2->taken[P53G_HOOK_INPUT][P53G_IPV6][P53G_REPLY], 0);
	p53g_stats_destroy(st);
}

/*
 * A read takes no lock that a reset holds: with the reset's mutex held
 * here, the read still completes (were it to take the mutex, this test
 * would hang, and the guest's hung-task watchdog end the run).
 */
static void p53g_stats_read_unlocked_test(struct kunit *test)
{
	struct p53g_stats *st;
	p53g_counts_t c;

	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_EQ(test, p53g_stats_init(st), 0);
	p53g_stats_inc(st, P53G_HOOK_INPUT, P53G_IPV4, P53G_PASSED);
	mutex_lock(&st->lock);
	p53g_stats_read(st, c);
	mutex_unlock(&st->lock);
	KUNIT_EXPECT_EQ(test, c[P53G_HOOK_INPUT][P53G_IPV4][P53G_PASSED], 1);
	p53g_stats_destroy(st);
}

/*
 * A packet GRO merged from N datagrams moves one outcome by N and no
 * other, so the outcomes still sum to the datagrams seen.
 */
static void p53g_stats_segs_test(struct kunit *test)
{
	struct p53g_two_counts *t2;
	struct p53g_stats *st;
	unsigned int h, f, o;
	u64 sum = 0;

	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	t2 = kunit_kzalloc(test, sizeof(*t2), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_NOT_NULL(test, t2);
	KUNIT_ASSERT_EQ(test, p53g_stats_init(st), 0);
	p53g_stats_add(st, P53G_HOOK_FORWARD, P53G_IPV4, P53G_REJECT_UNREACH,
		       64);
	p53g_stats_inc(st, P53G_HOOK_INPUT, P53G_IPV4, P53G_REJECT_UNREACH);
	p53g_stats_add(st, P53G_HOOK_INPUT, P53G_IPV6, P53G_PASSED, 65535);
	p53g_stats_read(st, t2->c);
	KUNIT_EXPECT_EQ(test,
			t2->c[P53G_HOOK_FORWARD][P53G_IPV4][P53G_REJECT_UNREACH],
			64);
	KUNIT_EXPECT_EQ(test,
			t2->c[P53G_HOOK_INPUT][P53G_IPV4][P53G_REJECT_UNREACH],
			1);
	KUNIT_EXPECT_EQ(test, t2->c[P53G_HOOK_INPUT][P53G_IPV6][P53G_PASSED],
			65535);
	for (h = 0; h < P53G_NR_HOOKS; h++)
		for (f = 0; f < P53G_NR_FAMILIES; f++)
			for (o = 0; o < P53G_NR_OUTCOMES; o++)
				sum += t2->c[h][f][o];
	KUNIT_EXPECT_EQ(test, sum, 64 + 1 + 65535);
	p53g_stats_destroy(st);
}

#define P53G_INCS	200000

static u64 p53g_stats_sum_outcome(p53g_counts_t c, enum p53g_outcome o)
{
	unsigned int h, f;
	u64 sum = 0;

	for (h = 0; h < P53G_NR_HOOKS; h++)
		for (f = 0; f < P53G_NR_FAMILIES; f++)
			sum += c[h][f][o];
	return sum;
}

struct p53g_counter_thread {
	struct p53g_stats *st;
	struct task_struct *task;
	struct completion done;
};

static int p53g_counter_fn(void *arg)
{
	struct p53g_counter_thread *t = arg;
	unsigned int i;

	for (i = 0; i < P53G_INCS; i++) {
		p53g_stats_inc(t->st, (i >> 1) & 1, i & 1,
			       P53G_REJECT_UNREACH);
		if (!(i & 1023))
			cond_resched();
	}
	complete(&t->done);
	/* Stay until kthread_stop(), so the test knows when the code is done. */
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
	return 0;
}

static void p53g_stats_reset_race_test(struct kunit *test)
{
	unsigned int n = clamp_t(unsigned int, num_online_cpus(), 2, 8);
	struct p53g_counter_thread *t;
	struct p53g_two_counts *t2;
	u64 sum = 0, resets = 0;
	struct p53g_stats *st;
	unsigned int i, left;

	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	t2 = kunit_kzalloc(test, sizeof(*t2), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t2);
	t = kunit_kcalloc(test, n, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, p53g_stats_init(st), 0);
	for (i = 0; i < n; i++) {
		t[i].st = st;
		init_completion(&t[i].done);
		t[i].task = kthread_run(p53g_counter_fn, &t[i], "p53g-count/%u",
					i);
		if (IS_ERR(t[i].task)) {
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(t[i].task));
			n = i;
			break;
		}
	}
	/* Reset over and over while they count. */
	do {
		KUNIT_ASSERT_EQ(test, p53g_stats_reset(st, t2->taken), 0);
		sum += p53g_stats_sum_outcome(t2->taken, P53G_REJECT_UNREACH);
		resets++;
		usleep_range(50, 200);
		for (i = 0, left = 0; i < n; i++)
			left += !completion_done(&t[i].done);
	} while (left);
	for (i = 0; i < n; i++)
		kthread_stop(t[i].task);
	p53g_stats_read(st, t2->c);
	sum += p53g_stats_sum_outcome(t2->c, P53G_REJECT_UNREACH);
	KUNIT_EXPECT_EQ_MSG(test, sum, (u64)n * P53G_INCS,
			    "%u threads, %llu resets", n, resets);
	p53g_stats_destroy(st);
}

static struct kunit_case p53g_stats_test_cases[] = {
	KUNIT_CASE(p53g_stats_count_test),
	KUNIT_CASE(p53g_stats_read_unlocked_test),
	KUNIT_CASE(p53g_stats_segs_test),
	KUNIT_CASE(p53g_stats_reset_race_test),
	{}
};

static struct kunit_suite p53g_stats_suite = {
	.name = "port53guard_stats",
	.test_cases = p53g_stats_test_cases,
};

/* The settings' words: what each parser takes, and what it refuses. */
struct p53g_word_case {
	const char *in;
	int kind;	/* 0 bool, 1 action, 2 rate */
	int err;
	u32 want;
};

static const struct p53g_word_case p53g_word_cases[] = {
	{ "1", 0, 0, 1 }, { "0", 0, 0, 0 }, { "y", 0, 0, 1 }, { "n", 0, 0, 0 },
	{ "Y", 0, 0, 1 }, { "N", 0, 0, 0 }, { "1\n", 0, 0, 1 },
	{ "0\n", 0, 0, 0 },
	{ "", 0, -EINVAL }, { "\n", 0, -EINVAL }, { "yes", 0, -EINVAL },
	{ "10", 0, -EINVAL }, { "on", 0, -EINVAL }, { "2", 0, -EINVAL },
	{ " 1", 0, -EINVAL }, { "1 ", 0, -EINVAL }, { "1\n\n", 0, -EINVAL },
	{ "true", 0, -EINVAL },
	{ "reject", 1, 0, P53G_ACTION_REJECT },
	{ "drop\n", 1, 0, P53G_ACTION_DROP },
	{ "monitor", 1, 0, P53G_ACTION_MONITOR },
	{ "Reject", 1, -EINVAL }, { "rejects", 1, -EINVAL },
	{ "rej", 1, -EINVAL }, { "", 1, -EINVAL }, { " drop", 1, -EINVAL },
	{ "drop\n\n", 1, -EINVAL }, { "accept", 1, -EINVAL },
	{ "0", 2, 0, 0 }, { "1", 2, 0, 1 }, { "300\n", 2, 0, 300 },
	{ "1000000", 2, 0, 1000000 }, { "0000001", 2, 0, 1 },
	{ "1000001", 2, -EINVAL }, { "10000000", 2, -EINVAL },
	{ "4294967296", 2, -EINVAL }, { "-1", 2, -EINVAL },
	{ "+5", 2, -EINVAL }, { "", 2, -EINVAL }, { "5 ", 2, -EINVAL },
	{ "0x10", 2, -EINVAL }, { "1e3", 2, -EINVAL },
};

static void p53g_word_desc(const struct p53g_word_case *c, char *desc)
{
	static const char * const kind[] = { "bool", "action", "rate" };
	char in[24];
	size_t i, j = 0;

	for (i = 0; c->in[i] && j + 3 < sizeof(in); i++) {
		if (c->in[i] == '\n') {
			in[j++] = '\\';
			in[j++] = 'n';
		} else {
			in[j++] = c->in[i];
		}
	}
	in[j] = '\0';
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s '%s'", kind[c->kind], in);
}

KUNIT_ARRAY_PARAM(p53g_word, p53g_word_cases, p53g_word_desc);

static void p53g_word_test(struct kunit *test)
{
	const struct p53g_word_case *c = test->param_value;
	static const enum p53g_setting which[] = {
		P53G_SET_ENABLED, P53G_SET_ACTION, P53G_SET_RATE,
	};
	u32 got = 0xdead;
	int err;

	err = p53g_setting_parse(which[c->kind], c->in, strlen(c->in), &got,
				 NULL);
	KUNIT_EXPECT_EQ(test, err, c->err);
	if (!c->err)
		KUNIT_EXPECT_EQ(test, got, c->want);
}

static struct kunit_case p53g_conf_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_word_test, p53g_word_gen_params),
	{}
};

static struct kunit_suite p53g_conf_suite = {
	.name = "port53guard_conf",
	.test_cases = p53g_conf_test_cases,
};

kunit_test_suites(&p53g_stats_suite, &p53g_conf_suite);
