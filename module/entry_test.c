// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the shared exemption grammar (entry.c) and of the table
 * the packet path reads (pset.c), compiled here from the very sources the
 * module and the tool build.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "entry.h"
#include "pset.h"

/* Every valid form, and the canonical text it must print as. */
struct p53g_valid_case {
	const char *in;
	const char *out;
};

static const struct p53g_valid_case p53g_valid_cases[] = {
	{ "192.0.2.7", "192.0.2.7/32" },
	{ "192.0.2.7/32", "192.0.2.7/32" },
	{ "192.0.2.7/24", "192.0.2.0/24" },
	{ "192.0.2.129/25", "192.0.2.128/25" },
	{ "192.0.2.1/31", "192.0.2.0/31" },
	{ "10.0.0.0/8", "10.0.0.0/8" },
	{ "10.1.2.3/0", "0.0.0.0/0" },
	{ "0.0.0.0/0", "0.0.0.0/0" },
	{ "0.0.0.0", "0.0.0.0/32" },
	{ "255.255.255.255", "255.255.255.255/32" },
	{ "255.255.255.255/1", "128.0.0.0/1" },
	{ "2001:db8::", "2001:db8::/128" },
	{ "2001:DB8::1/32", "2001:db8::/32" },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1/128" },
	{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128" },
	{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1/128" },
	{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1/128" },
	{ "2001:db8:1:2:3:4:5:6/64", "2001:db8:1:2::/64" },
	{ "2001:db8::1/127", "2001:db8::/127" },
	{ "fe80::1/10", "fe80::/10" },
	{ "::", "::/128" },
	{ "::/0", "::/0" },
	{ "1::/0", "::/0" },
	{ "::1", "::1/128" },
	{ "1::", "1::/128" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128" },
	{ "::ffff:192.0.2.1", "192.0.2.1/32" },
	{ "::ffff:c000:201/120", "192.0.2.0/24" },
	{ "64:ff9b::192.0.2.1", "64:ff9b::c000:201/128" },
	{ "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0/128" },
	{ "dev:eth0", "dev:eth0" },
	{ "dev:br-lan", "dev:br-lan" },
	{ "dev:wg+", "dev:wg+" },
	{ "dev:+", "dev:+" },
	{ "dev:abcdefghijklmno", "dev:abcdefghijklmno" },
	{ "dev:abcdefghijklmno+", "dev:abcdefghijklmno+" },
	{ "dev:eth0++", "dev:eth0++" },
	{ "dev:.x", "dev:.x" },
	{ "dev:.+", "dev:.+" },
	{ "dev:veth@1", "dev:veth@1" },
};

/*
 * What the stored entry changed from the text: IPv4-mapped prefixes of
 * length 96 or more become IPv4, host bits are cleared.
 */
struct p53g_note_case {
	const char *in;
	const char *out;
	unsigned int notes;
};

static const struct p53g_note_case p53g_note_cases[] = {
	{ "::ffff:10.0.0.0/104", "10.0.0.0/8", P53G_NOTE_MAPPED },
	{ "::ffff:10.1.2.3", "10.1.2.3/32", P53G_NOTE_MAPPED },
	{ "::ffff:0:0/96", "0.0.0.0/0", P53G_NOTE_MAPPED },
	{ "::ffff:10.1.2.3/120", "10.1.2.0/24",
	  P53G_NOTE_MAPPED | P53G_NOTE_HOST_BITS },
	{ "0:0:0:0:0:FFFF:0a01:0203/127", "10.1.2.2/31",
	  P53G_NOTE_MAPPED | P53G_NOTE_HOST_BITS },
	{ "::ffff:0:0/95", "::fffe:0:0/95", P53G_NOTE_HOST_BITS },
	{ "::ffff:0:0/80", "::/80", P53G_NOTE_HOST_BITS },
	{ "::fffe:0:0/95", "::fffe:0:0/95", 0 },
	{ "::10.1.2.3", "::a01:203/128", 0 },
	{ "64:ff9b::10.1.2.3", "64:ff9b::a01:203/128", 0 },
	{ "10.1.2.3/8", "10.0.0.0/8", P53G_NOTE_HOST_BITS },
	{ "10.0.0.0/8", "10.0.0.0/8", 0 },
	{ "2001:db8::1/32", "2001:db8::/32", P53G_NOTE_HOST_BITS },
	{ "dev:eth0", "dev:eth0", 0 },
};

/* Malformed entries: each must fail with EINVAL and give a reason. */
static const char * const p53g_bad_entries[] = {
	"", " ", "192.0.2.1 ", " 192.0.2.1", "192.0.2.1\n", "192.0.2",
	"192.0.2.1.5", "192.0.2.256", "192.0.2.01", "010.0.0.1", "1..2.3",
	".1.2.3.4", "1.2.3.4.", "0x1.2.3.4", "a.b.c.d", "1234", "1.2.3.-4",
	"192.0.2.1/33", "192.0.2.1/", "/24", "/", "192.0.2.1/024",
	"192.0.2.1/-1", "192.0.2.1/+8", "192.0.2.1/8/8", "192.0.2.1/a",
	"192.0.2.1/32x", "1.2.3.4/1.2", "2001:db8::/129", "2001:db8::/1280",
	"::/", "2001:db8:::1", "2001:db8::1::2", ":2001:db8::1",
	"2001:db8::1:", "2001:db8:12345::1", "2001:db8:g::1",
	"1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::",
	"fe80::1%eth0", "::ffff:1.2.3", "::ffff:1.2.3.4.5",
	"1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5", "::ffff:01.2.3.4", ":", ":::",
	"dev:", "dev:abcdefghijklmnop", "dev:abcdefghijklmnop+", "dev:a/b",
	"dev:a:b", "dev:.", "dev:..", "dev:a b", "dev:a\tb", "dev:\x01",
	"dev:\xc3\xa9", "Dev:eth0", "eth0", "dev", "*", "any", "default",
	"192.0.2.1\x7f",
};

/* Command lines. */
struct p53g_cmd_case {
	const char *in;
	int err;
	u8 op;
	const char *entry;
};

static const struct p53g_cmd_case p53g_cmd_cases[] = {
	{ "add 192.0.2.1", 0, P53G_CMD_ADD, "192.0.2.1/32" },
	{ "add\t2001:db8::/32", 0, P53G_CMD_ADD, "2001:db8::/32" },
	{ "del dev:wg+", 0, P53G_CMD_DEL, "dev:wg+" },
	{ "flush", 0, P53G_CMD_FLUSH },
	{ "begin", 0, P53G_CMD_BEGIN },
	{ "commit", 0, P53G_CMD_COMMIT },
	{ "abort", 0, P53G_CMD_ABORT },
	{ "", -EINVAL }, { "add", -EINVAL }, { "add ", -EINVAL },
	{ "add  192.0.2.1", -EINVAL }, { "add 192.0.2.1 ", -EINVAL },
	{ " add 192.0.2.1", -EINVAL }, { "add 192.0.2.1 10.0.0.1", -EINVAL },
	{ "add ::ffff:10.0.0.0/104", 0, P53G_CMD_ADD, "10.0.0.0/8" },
	{ "del ::ffff:10.1.2.3", 0, P53G_CMD_DEL, "10.1.2.3/32" },
	{ "add 192.0.2.300", -EINVAL }, { "ADD 192.0.2.1", -EINVAL },
	{ "remove 192.0.2.1", -EINVAL }, { "flush now", -EINVAL },
	{ "flush ", -EINVAL }, { "commit 1", -EINVAL }, { "del", -EINVAL },
	{ "add\n192.0.2.1", -EINVAL },
};

/* Printable description: escapes anything KTAP or a terminal would mangle. */
static void p53g_escape(const char *s, char *desc, const char *prefix)
{
	size_t j = strscpy(desc, prefix, KUNIT_PARAM_DESC_SIZE);
	const unsigned char *p;

	desc[j++] = '\'';
	for (p = (const unsigned char *)s; *p && j + 6 < KUNIT_PARAM_DESC_SIZE; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '#' || *p == '\\')
			j += scnprintf(desc + j, 5, "\\x%02x", *p);
		else
			desc[j++] = *p;
	}
	desc[j++] = '\'';
	desc[j] = '\0';
}

static void p53g_valid_desc(const struct p53g_valid_case *c, char *desc)
{
	p53g_escape(c->in, desc, "");
}

static void p53g_note_desc(const struct p53g_note_case *c, char *desc)
{
	p53g_escape(c->in, desc, "");
}

static void p53g_bad_desc(const char * const *c, char *desc)
{
	p53g_escape(*c, desc, "");
}

static void p53g_cmd_desc(const struct p53g_cmd_case *c, char *desc)
{
	p53g_escape(c->in, desc, "");
}

KUNIT_ARRAY_PARAM(p53g_valid, p53g_valid_cases, p53g_valid_desc);
KUNIT_ARRAY_PARAM(p53g_note, p53g_note_cases, p53g_note_desc);
KUNIT_ARRAY_PARAM(p53g_bad, p53g_bad_entries, p53g_bad_desc);
KUNIT_ARRAY_PARAM(p53g_cmd, p53g_cmd_cases, p53g_cmd_desc);

static void p53g_valid_test(struct kunit *test)
{
	const struct p53g_valid_case *c = test->param_value;
	struct p53g_entry e, again;
	char buf[P53G_ENTRY_MAXLEN];
	const char *why = NULL;
	int len;

	KUNIT_ASSERT_EQ(test, p53g_entry_parse(c->in, strlen(c->in), &e, &why),
			0);
	len = p53g_entry_format(&e, buf, sizeof(buf));
	KUNIT_EXPECT_EQ(test, len, (int)strlen(c->out));
	KUNIT_EXPECT_STREQ(test, buf, c->out);
	/* The canonical text reads back as the same entry, byte for byte. */
	KUNIT_ASSERT_EQ(test, p53g_entry_parse(buf, len, &again, &why), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&e, &again, sizeof(e)), 0);
	KUNIT_EXPECT_EQ(test, p53g_entry_cmp(&e, &again), 0);
	/* A buffer one byte short is refused, not overrun. */
	KUNIT_EXPECT_EQ(test, p53g_entry_format(&e, buf, len), -ENOSPC);
	KUNIT_EXPECT_EQ(test, strlen(buf), (size_t)len - 1);
}

static void p53g_note_test(struct kunit *test)
{
	const struct p53g_note_case *c = test->param_value;
	char buf[P53G_ENTRY_MAXLEN];
	struct p53g_entry e, plain;
	unsigned int notes = ~0U;

	KUNIT_ASSERT_EQ(test, p53g_entry_parse_notes(c->in, strlen(c->in), &e,
						     &notes, NULL), 0);
	p53g_entry_format(&e, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, c->out);
	KUNIT_EXPECT_EQ(test, notes, c->notes);
	/* p53g_entry_parse() stores the very same entry */
	KUNIT_ASSERT_EQ(test, p53g_entry_parse(c->in, strlen(c->in), &plain,
					       NULL), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&e, &plain, sizeof(e)), 0);
	/* the canonical text has nothing left to note */
	KUNIT_ASSERT_EQ(test, p53g_entry_parse_notes(buf, strlen(buf), &plain,
						     &notes, NULL), 0);
	KUNIT_EXPECT_EQ(test, notes, 0U);
}

static void p53g_bad_test(struct kunit *test)
{
	const char *in = *(const char * const *)test->param_value;
	struct p53g_entry e, zero = { };
	const char *why = NULL;

	memset(&e, 0xa5, sizeof(e));
	KUNIT_EXPECT_EQ(test, p53g_entry_parse(in, strlen(in), &e, &why),
			-EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);
	KUNIT_EXPECT_EQ(test, memcmp(&e, &zero, sizeof(e)), 0);
}

/* Nothing past len is ever read: a valid prefix of a longer buffer. */
static void p53g_bounded_test(struct kunit *test)
{
	static const char buf[] = "192.0.2.1/24garbage";
	char out[P53G_ENTRY_MAXLEN];
	struct p53g_entry e;

	KUNIT_ASSERT_EQ(test, p53g_entry_parse(buf, 12, &e, NULL), 0);
	p53g_entry_format(&e, out, sizeof(out));
	KUNIT_EXPECT_STREQ(test, out, "192.0.2.0/24");
	KUNIT_EXPECT_EQ(test, p53g_entry_parse(buf, 13, &e, NULL), -EINVAL);
}

static void p53g_cmd_test(struct kunit *test)
{
	const struct p53g_cmd_case *c = test->param_value;
	char buf[P53G_ENTRY_MAXLEN];
	struct p53g_cmd cmd;

	KUNIT_ASSERT_EQ(test, p53g_cmd_parse(c->in, strlen(c->in), &cmd, NULL),
			c->err);
	if (c->err)
		return;
	KUNIT_EXPECT_EQ(test, cmd.op, c->op);
	if (c->entry) {
		p53g_entry_format(&cmd.entry, buf, sizeof(buf));
		KUNIT_EXPECT_STREQ(test, buf, c->entry);
	}
}

/* The canonical order: IPv4, IPv6, interfaces, each sorted. */
static void p53g_order_test(struct kunit *test)
{
	static const char * const sorted[] = {
		"0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/16", "10.0.0.1/32",
		"192.0.2.0/24", "::/0", "::1/128", "2001:db8::/32",
		"2001:db8::/48", "fe80::/10", "dev:+", "dev:eth", "dev:eth+",
		"dev:eth0", "dev:wg+",
	};
	struct p53g_entry a, b;
	unsigned int i;

	for (i = 0; i + 1 < ARRAY_SIZE(sorted); i++) {
		KUNIT_ASSERT_EQ(test, p53g_entry_parse(sorted[i], strlen(sorted[i]),
						       &a, NULL), 0);
		KUNIT_ASSERT_EQ(test, p53g_entry_parse(sorted[i + 1],
						       strlen(sorted[i + 1]),
						       &b, NULL), 0);
		KUNIT_EXPECT_EQ_MSG(test, p53g_entry_cmp(&a, &b), -1, "%s < %s",
				    sorted[i], sorted[i + 1]);
		KUNIT_EXPECT_EQ_MSG(test, p53g_entry_cmp(&b, &a), 1, "%s > %s",
				    sorted[i + 1], sorted[i]);
	}
}

static struct kunit_case p53g_entry_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_valid_test, p53g_valid_gen_params),
	KUNIT_CASE_PARAM(p53g_note_test, p53g_note_gen_params),
	KUNIT_CASE_PARAM(p53g_bad_test, p53g_bad_gen_params),
	KUNIT_CASE(p53g_bounded_test),
	KUNIT_CASE_PARAM(p53g_cmd_test, p53g_cmd_gen_params),
	KUNIT_CASE(p53g_order_test),
	{}
};

static struct kunit_suite p53g_entry_suite = {
	.name = "port53guard_entry",
	.test_cases = p53g_entry_test_cases,
};

/*
 * The table: a list of entries, then addresses and names that must match
 * or not. "+" before a query means it must match, "-" that it must not.
 */
#define P53G_MAX_Q	8

struct p53g_table_case {
	const char *name;
	const char *entries[6];
	const char *queries[P53G_MAX_Q];
	size_t count;
};

static const struct p53g_table_case p53g_table_cases[] = {
	{ "empty", { }, { "-0.0.0.0", "-192.0.2.1", "-::", "-2001:db8::1",
			  "-dev:eth0", "-dev:lo" }, 0 },
	{ "0.0.0.0/0 matches all IPv4, no IPv6", { "0.0.0.0/0" },
	  { "+0.0.0.0", "+255.255.255.255", "+192.0.2.1", "-::",
	    "-::fffe:c000:201", "-dev:eth0" }, 1 },
	{ "an IPv4-mapped prefix is an IPv4 entry", { "::ffff:10.0.0.0/104" },
	  { "+10.0.0.1", "+10.255.255.255", "-11.0.0.0", "-::fffe:a00:1",
	    "-::a00:1" }, 1 },
	{ "::/0 matches all IPv6, no IPv4", { "::/0" },
	  { "+::", "+2001:db8::1", "+ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "-192.0.2.1", "-dev:eth0" }, 1 },
	{ "/32", { "192.0.2.1/32" },
	  { "+192.0.2.1", "-192.0.2.0", "-192.0.2.2", "-193.0.2.1",
	    "-64.0.2.1" }, 1 },
	{ "/128", { "2001:db8::1" },
	  { "+2001:db8::1", "-2001:db8::", "-2001:db8::2", "-2001:db8::1:0",
	    "-3001:db8::1" }, 1 },
	{ "overlapping prefixes", { "10.0.0.0/8", "10.1.0.0/16", "10.1.2.3",
				    "10.1.2.3/32", "10.200.0.0/24" },
	  { "+10.0.0.0", "+10.255.255.255", "+10.1.2.3", "+10.200.0.9",
	    "-11.0.0.0", "-9.255.255.255" }, 4 },
	{ "IPv6 prefixes of many lengths", { "2001:db8::/32", "2001:db8:1::/48",
					     "fe80::/10", "2001:db9::5/127" },
	  { "+2001:db8:ffff::1", "+febf::1", "+2001:db9::4", "+2001:db9::5",
	    "-2001:db9::6", "-fec0::", "-2001:db7::" }, 4 },
	{ "interfaces, exact and wildcard", { "dev:eth0", "dev:wg+" },
	  { "+dev:eth0", "-dev:eth01", "-dev:eth", "+dev:wg", "+dev:wg0",
	    "+dev:wg-very-long0", "-dev:w", "-dev:awg0" }, 2 },
	{ "dev:+ matches every name", { "dev:+" },
	  { "+dev:lo", "+dev:eth0", "+dev:a", "-192.0.2.1" }, 1 },
	{ "a 15-byte name", { "dev:abcdefghijklmno" },
	  { "+dev:abcdefghijklmno", "-dev:abcdefghijklmn" }, 1 },
};

static void p53g_table_desc(const struct p53g_table_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p53g_table, p53g_table_cases, p53g_table_desc);

static void p53g_table_test(struct kunit *test)
{
	const struct p53g_table_case *c = test->param_value;
	struct p53g_entry e[ARRAY_SIZE(c->entries)], q, back;
	struct p53g_pset *ps;
	size_t n = 0, i;
	const char *s;
	bool got;

	while (n < ARRAY_SIZE(c->entries) && c->entries[n]) {
		KUNIT_ASSERT_EQ(test, p53g_entry_parse(c->entries[n],
						       strlen(c->entries[n]),
						       &e[n], NULL), 0);
		n++;
	}
	ps = p53g_pset_build(e, n);
	KUNIT_ASSERT_NOT_NULL(test, ps);
	KUNIT_EXPECT_EQ(test, p53g_pset_count(ps, P53G_ENTRY_V4) +
			      p53g_pset_count(ps, P53G_ENTRY_V6) +
			      p53g_pset_count(ps, P53G_ENTRY_DEV), c->count);
	KUNIT_EXPECT_GT(test, p53g_pset_bytes(ps), 0);
	/* Every entry given is in the set and reads back in order. */
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE(test, p53g_pset_has_entry(ps, &e[i]));
	for (i = 0; i + 1 < c->count; i++) {
		KUNIT_ASSERT_TRUE(test, p53g_pset_entry(ps, i, &q));
		KUNIT_ASSERT_TRUE(test, p53g_pset_entry(ps, i + 1, &back));
		KUNIT_EXPECT_EQ(test, p53g_entry_cmp(&q, &back), -1);
	}
	KUNIT_EXPECT_FALSE(test, p53g_pset_entry(ps, c->count, &q));

	for (i = 0; i < P53G_MAX_Q && c->queries[i]; i++) {
		s = c->queries[i] + 1;
		KUNIT_ASSERT_EQ_MSG(test, p53g_entry_parse(s, strlen(s), &q, NULL),
				    0, "query %s", s);
		switch (q.kind) {
		case P53G_ENTRY_V4:
			got = p53g_pset_match_v4(ps, q.v4);
			break;
		case P53G_ENTRY_V6:
			got = p53g_pset_match_v6(ps, &q.v6);
			break;
		default:
			got = p53g_pset_match_dev(ps, s + 4);
			break;
		}
		KUNIT_EXPECT_EQ_MSG(test, got, c->queries[i][0] == '+', "%s",
				    c->queries[i]);
	}
	p53g_pset_free(ps);
}

static struct kunit_case p53g_table_test_cases[] = {
	KUNIT_CASE_PARAM(p53g_table_test, p53g_table_gen_params),
	{}
};

static struct kunit_suite p53g_table_suite = {
	.name = "port53guard_table",
	.test_cases = p53g_table_test_cases,
};

kunit_test_suites(&p53g_entry_suite, &p53g_table_suite);

/*
 * The grammar and the table, built into this module from the module's own
 * sources: the test module links no symbol of port53guard.ko for them.
 */
#include "entry.c"
#include "pset.c"
