// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of who owns a staged transaction: an owner whose threads
 * have all begun to exit is gone, whether its parent has reaped it yet
 * or not, and a process whose leader thread alone has ended is not.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "exempt.h"

/**
 * struct p53g_owner_case - the owner's thread group, as it may be found
 * @name: what the case shows
 * @task: pid_task() finds its leader (not yet reaped)
 * @live: threads of the group that have not begun to exit
 * @flags: the leader's PF_* flags
 * @exit_state: the leader's exit_state
 * @alive: the owner still runs
 */
struct p53g_owner_case {
	const char *name;
	bool task;
	int live;
	unsigned int flags;
	int exit_state;
	bool alive;
};

static const struct p53g_owner_case p53g_owner_cases[] = {
	{ "running", true, 1, 0, 0, true },
	{ "exiting, not yet a zombie", true, 0, PF_EXITING, 0, false },
	{ "zombie, not reaped", true, 0, PF_EXITING, EXIT_ZOMBIE, false },
	{ "leader ended by pthread_exit(), threads run", true, 2, PF_EXITING,
	  EXIT_ZOMBIE, true },
	{ "reaped", false, 0, 0, 0, false },
};

static void p53g_owner_desc(const struct p53g_owner_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_owner, p53g_owner_cases, p53g_owner_desc);

/* A task with only the fields an owner's check may read set. */
static void p53g_owner_test(struct kunit *test)
{
	const struct p53g_owner_case *c = test->param_value;
	struct signal_struct *sig;
	struct task_struct *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	sig = kunit_kzalloc(test, sizeof(*sig), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, sig);
	atomic_set(&sig->live, c->live);
	t->signal = sig;
	t->flags = c->flags;
	t->exit_state = c->exit_state;
	KUNIT_EXPECT_EQ(test, p53g_owner_task_alive(c->task ? t : NULL),
			c->alive);
}

static int p53g_owner_wait_stop(void *arg)
{
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 100);
	return 0;
}

/*
 * Real tasks: the test's own runs; a thread that kthread_stop() has seen
 * exit is gone at once, before or after it is released.
 */
static void p53g_owner_exit_test(struct kunit *test)
{
	struct task_struct *k;
	struct pid *pid;

	pid = get_pid(task_tgid(current));
	KUNIT_EXPECT_TRUE(test, p53g_owner_alive(pid));
	put_pid(pid);

	k = kthread_run(p53g_owner_wait_stop, NULL, "p53g-owner-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	pid = get_pid(task_tgid(k));
	KUNIT_EXPECT_TRUE(test, p53g_owner_alive(pid));
	kthread_stop(k);
	KUNIT_EXPECT_FALSE(test, p53g_owner_alive(pid));
	put_pid(pid);
}

static struct kunit_case p53g_owner_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_owner_test, p53g_owner_gen_params),
	KUNIT_CASE(p53g_owner_exit_test),
	{}
};

static struct kunit_suite p53g_owner_suite = {
	.name = "port53guard_owner",
	.test_cases = p53g_owner_test_cases,
};

kunit_test_suites(&p53g_owner_suite);
