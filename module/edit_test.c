// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the exempt file's write protocol (edit.c): each case is
 * a script of writes by two writers, with the errno each must get, the
 * live list and settings after it, and what the change reports.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "edit.h"

/*
 * The units under test, built into this module (the guard exports
 * nothing of its own): entry.c and pset.c come in entry_test.c.
 */
#include "names.c"
#include "edit.c"

#define P53G_MAX_STEPS	10
#define W1		((void *)1)
#define W2		((void *)2)

/**
 * struct p53g_edit_step - one write and what must come of it
 * @who: the writer, 1 or 2 (0 ends the script)
 * @write: the bytes written, or NULL for @big bytes of add lines
 * @big: with @write NULL, the length of the write
 * @exits: writer 1 has exited before this write
 * @err: the errno the write must fail with, or 0
 * @list: the live list after it, canonical, comma-separated; NULL: not
 *	checked
 * @set: settings that must hold after it, "name=value,..."; NULL: none
 * @op: on success, the change's op
 * @added: on success, entries it reports added (-1: not checked)
 * @removed: on success, entries it reports removed (-1: not checked)
 */
struct p53g_edit_step {
	u8 who;
	const char *write;
	unsigned int big;
	bool exits;
	int err;
	const char *list;
	const char *set;
	u8 op;
	int added;
	int removed;
};

struct p53g_edit_case {
	const char *name;
	unsigned int max;
	struct p53g_edit_step steps[P53G_MAX_STEPS];
};

#define LIVE	P53G_CHANGE_WRITE
#define STAGED	P53G_CHANGE_STAGED
#define COMMIT	P53G_CHANGE_COMMIT

static const struct p53g_edit_case p53g_edit_cases[] = {
	{ "add, add again, del", 100, {
	  { 1, "add 192.0.2.7/24\n", 0, 0, 0, "192.0.2.0/24", NULL, LIVE, 1, 0 },
	  { 2, "add 192.0.2.0/24", 0, 0, 0, "192.0.2.0/24", NULL, LIVE, 0, 0 },
	  { 1, "del 192.0.2.0/24\n", 0, 0, 0, "", NULL, LIVE, 0, 1 } } },
	{ "del of an absent entry: ENOENT, nothing changes", 100, {
	  { 1, "add 10.0.0.0/8\n", 0, 0, 0, "10.0.0.0/8", NULL, LIVE, -1, -1 },
	  { 1, "add 2001:db8::/32\ndel 10.1.0.0/16\n", 0, 0, -ENOENT,
	    "10.0.0.0/8" } } },
	{ "a malformed line: EINVAL, nothing changes", 100, {
	  { 1, "add 10.0.0.0/8\nadd 10.0.0.0/33\n", 0, 0, -EINVAL, "" },
	  { 1, "add 10.0.0.0/8\n\nadd 10.2.0.0/16\n", 0, 0, -EINVAL, "" },
	  { 1, "add  10.0.0.0/8", 0, 0, -EINVAL, "" },
	  { 1, "", 0, 0, -EINVAL, "" },
	  { 1, "set rate 1000001", 0, 0, -EINVAL, "", "rate=300" } } },
	{ "a write over 4095 bytes: E2BIG; 4095 bytes taken", 100000, {
	  { 1, NULL, 4096, 0, -E2BIG, "" },
	  { 1, NULL, 4095, 0, 0, NULL, NULL, LIVE, -1, -1 } } },
	{ "the size limit, checked on the whole write", 2, {
	  { 1, "add 10.0.0.1\nadd 10.0.0.2\n", 0, 0, 0, "10.0.0.1/32,10.0.0.2/32",
	    NULL, LIVE, -1, -1 },
	  { 1, "add 10.0.0.3\n", 0, 0, -ENOSPC, "10.0.0.1/32,10.0.0.2/32" },
	  { 1, "add 10.0.0.3\ndel 10.0.0.1\n", 0, 0, 0,
	    "10.0.0.2/32,10.0.0.3/32", NULL, LIVE, 1, 1 } } },
	{ "flush and add in one write", 100, {
	  { 1, "add 10.0.0.0/8\nadd dev:wg+\n", 0, 0, 0, "10.0.0.0/8,dev:wg+",
	    NULL, LIVE, 2, 0 },
	  { 1, "flush\nadd dev:wg+\nadd ::/0\n", 0, 0, 0, "::/0,dev:wg+", NULL,
	    LIVE, 1, 1 } } },
	{ "settings and list in one write", 100, {
	  { 1, "set action drop\nadd 10.0.0.0/8\nset rate 5\n", 0, 0, 0,
	    "10.0.0.0/8", "action=drop,rate=5,enabled=1", LIVE, 1, 0 },
	  { 1, "set action monitor\ndel 10.9.0.0/16\n", 0, 0, -ENOENT,
	    "10.0.0.0/8", "action=drop" },
	  { 2, "set enabled 0", 0, 0, 0, "10.0.0.0/8",
	    "enabled=0,action=drop,rate=5", LIVE, 0, 0 } } },
	{ "staged: live untouched until commit, others' writes replaced", 100, {
	  { 1, "add 10.0.0.0/8\n", 0, 0, 0, "10.0.0.0/8", NULL, LIVE, -1, -1 },
	  { 1, "begin\n", 0, 0, 0, "10.0.0.0/8", NULL, STAGED, -1, -1 },
	  { 1, "add 192.0.2.0/24\nadd 2001:db8::/32\n", 0, 0, 0, "10.0.0.0/8",
	    NULL, STAGED, -1, -1 },
	  { 2, "add 198.51.100.0/24\n", 0, 0, 0, "10.0.0.0/8,198.51.100.0/24",
	    NULL, LIVE, -1, -1 },
	  { 1, "del 192.0.2.0/24\nadd 203.0.113.0/24\n", 0, 0, 0,
	    "10.0.0.0/8,198.51.100.0/24", NULL, STAGED, -1, -1 },
	  { 1, "commit\n", 0, 0, 0, "203.0.113.0/24,2001:db8::/32", NULL, COMMIT,
	    2, 2 } } },
	{ "one begin at a time; commit and abort only by the owner", 100, {
	  { 1, "begin", 0, 0, 0, "", NULL, STAGED, -1, -1 },
	  { 2, "begin", 0, 0, -EBUSY, "" },
	  { 1, "begin", 0, 0, -EBUSY, "" },
	  { 2, "commit", 0, 0, -EINVAL, "" },
	  { 2, "abort", 0, 0, -EINVAL, "" },
	  { 1, "add 10.0.0.0/8\nabort\n", 0, 0, 0, "", NULL, STAGED, -1, -1 },
	  { 1, "commit", 0, 0, -EINVAL, "" },
	  { 2, "begin\nadd 10.0.0.0/8\n", 0, 0, 0, "", NULL, STAGED, -1, -1 },
	  { 2, "commit\n", 0, 0, 0, "10.0.0.0/8", NULL, COMMIT, 1, 0 } } },
	{ "a staged write is atomic too", 2, {
	  { 1, "begin\nadd 10.0.0.1\n", 0, 0, 0, "", NULL, STAGED, -1, -1 },
	  { 1, "add 10.0.0.2\ndel 10.0.0.9\n", 0, 0, -ENOENT, "" },
	  { 1, "add 10.0.0.2\nadd 10.0.0.3\n", 0, 0, -ENOSPC, "" },
	  { 1, "add 10.0.0.2\ncommit\n", 0, 0, 0, "10.0.0.1/32,10.0.0.2/32",
	    NULL, COMMIT, 2, 0 } } },
	{ "a whole transaction in one write; begin first, commit last", 100, {
	  { 1, "add 10.0.0.1\nbegin\n", 0, 0, -EINVAL, "" },
	  { 1, "begin\ncommit\nadd 10.0.0.1\n", 0, 0, -EINVAL, "" },
	  { 1, "begin\nadd 10.0.0.1\nset log 1\ncommit\n", 0, 0, 0,
	    "10.0.0.1/32", "log=1", COMMIT, 1, 0 },
	  { 2, "begin\ncommit\n", 0, 0, 0, "", "log=1", COMMIT, 0, 1 } } },
	{ "staged settings: only those set, with the list at commit", 100, {
	  { 1, "begin\nset rate 5\nset action drop\n", 0, 0, 0, "",
	    "rate=300,action=reject", STAGED, -1, -1 },
	  { 2, "set log 1\nset rate 7\n", 0, 0, 0, "", "log=1,rate=7", LIVE,
	    -1, -1 },
	  { 1, "add 10.0.0.0/8\nset action monitor\n", 0, 0, 0, "",
	    "action=reject,rate=7", STAGED, -1, -1 },
	  { 1, "commit", 0, 0, 0, "10.0.0.0/8", "log=1,rate=5,action=monitor",
	    COMMIT, 1, 0 } } },
	{ "an owner that exits: its stage is dropped by the next write", 100, {
	  { 1, "begin\nadd 10.0.0.0/8\n", 0, 0, 0, "", NULL, STAGED, -1, -1 },
	  { 2, "begin", 0, 0, -EBUSY, "" },
	  { 2, "begin\nadd 192.0.2.0/24\n", 0, true, 0, "", NULL, STAGED, -1, -1 },
	  { 2, "commit", 0, 0, 0, "192.0.2.0/24", NULL, COMMIT, 1, 0 } } },
};

static void p53g_edit_desc(const struct p53g_edit_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_edit, p53g_edit_cases, p53g_edit_desc);

/* Writer 1 may exit; writer 2 never does. */
static bool p53g_test_w1_gone;

static void *p53g_test_hold(void *who)
{
	return who;
}

static bool p53g_test_alive(void *owner)
{
	return !(owner == W1 && p53g_test_w1_gone);
}

static void p53g_test_put(void *owner)
{
}

static const struct p53g_owner_ops p53g_test_ops = {
	.hold = p53g_test_hold,
	.alive = p53g_test_alive,
	.put = p53g_test_put,
};

/* The list as "a,b,c". */
static void p53g_list_text(const struct p53g_pset *ps, char *buf, size_t size)
{
	char e[P53G_ENTRY_MAXLEN];
	struct p53g_entry ent;
	size_t i, len = 0;
	int l;

	buf[0] = '\0';
	for (i = 0; p53g_pset_entry(ps, i, &ent); i++) {
		l = p53g_entry_format(&ent, e, sizeof(e));
		if (l < 0 || len + l + 2 > size)
			break;
		if (len)
			buf[len++] = ',';
		memcpy(buf + len, e, l + 1);
		len += l;
	}
}

/* Every "name=value" of @want holds in @s. */
static void p53g_check_settings(struct kunit *test, const struct p53g_settings *s,
				const char *want, unsigned int step)
{
	const char *p = want, *eq, *end;
	char text[16];
	int set;

	while (p && *p) {
		eq = strchr(p, '=');
		end = strchrnul(p, ',');
		KUNIT_ASSERT_NOT_NULL(test, eq);
		set = p53g_setting_find(p, eq - p);
		KUNIT_ASSERT_GE(test, set, 0);
		p53g_setting_format(set, p53g_setting_get(s, set), text,
				    sizeof(text));
		KUNIT_EXPECT_TRUE_MSG(test, strlen(text) == end - eq - 1 &&
				      !memcmp(text, eq + 1, end - eq - 1),
				      "step %u: %.*s, have %s", step,
				      (int)(end - p), p, text);
		p = *end ? end + 1 : end;
	}
}

/*
 * @len bytes of whole add lines: 13-byte ones and, for the rest, 14-byte
 * ones (14 = 1 mod 13, so len mod 13 of them make up the difference).
 */
static char *p53g_big_write(struct kunit *test, unsigned int len)
{
	unsigned int longer = len % 13, i, pos = 0;
	char *b = kunit_kmalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	for (i = 0; i < longer; i++, pos += 14)
		memcpy(b + pos, "add 10.0.0.22\n", 14);
	while (pos < len) {
		memcpy(b + pos, "add 10.0.0.1\n", 13);
		pos += 13;
	}
	return b;
}

static void p53g_edit_test(struct kunit *test)
{
	const struct p53g_edit_case *c = test->param_value;
	struct p53g_settings s = P53G_SETTINGS_DEFAULT;
	struct p53g_pset *list = NULL;
	struct p53g_config live;
	struct p53g_editor ed;
	struct p53g_change chg;
	struct p53g_cmd *cmds;
	char *text, *buf;
	unsigned int i;
	size_t n, len;
	int err;

	text = kunit_kmalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, text);
	p53g_test_w1_gone = false;
	p53g_editor_init(&ed, c->max, &p53g_test_ops);
	for (i = 0; i < P53G_MAX_STEPS && c->steps[i].who; i++) {
		const struct p53g_edit_step *st = &c->steps[i];

		if (st->exits)
			p53g_test_w1_gone = true;
		buf = st->write ? (char *)st->write : p53g_big_write(test, st->big);
		len = st->write ? strlen(st->write) : st->big;
		live.s = s;
		live.list = list;
		err = p53g_edit_parse(buf, len, &cmds, &n);
		if (!err) {
			err = p53g_editor_apply(&ed, &live, cmds, n,
						st->who == 1 ? W1 : W2, &chg);
			kvfree(cmds);
		}
		KUNIT_EXPECT_EQ_MSG(test, err, st->err, "step %u", i);
		if (!err && chg.op != P53G_CHANGE_STAGED) {
			s = chg.s;
			if (chg.list_changed) {
				p53g_pset_free(list);
				list = chg.list;
			}
		}
		if (!err && !st->err) {
			KUNIT_EXPECT_EQ_MSG(test, chg.op, st->op, "step %u", i);
			if (st->added >= 0)
				KUNIT_EXPECT_EQ_MSG(test, chg.added,
						    (size_t)st->added,
						    "step %u added", i);
			if (st->removed >= 0)
				KUNIT_EXPECT_EQ_MSG(test, chg.removed,
						    (size_t)st->removed,
						    "step %u removed", i);
		}
		if (st->list) {
			p53g_list_text(list, text, 4096);
			KUNIT_EXPECT_STREQ_MSG(test, text, st->list, "step %u", i);
		}
		p53g_check_settings(test, &s, st->set, i);
	}
	p53g_editor_destroy(&ed);
	p53g_pset_free(list);
}

static struct kunit_case p53g_edit_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_edit_test, p53g_edit_gen_params),
	{}
};

static struct kunit_suite p53g_edit_suite = {
	.name = "port53guard_edit",
	.test_cases = p53g_edit_test_cases,
};

kunit_test_suites(&p53g_edit_suite);
