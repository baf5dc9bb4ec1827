// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the exemption-entry grammar (module/entry.c), built for
 * userspace with the sanitizers: every valid form with its canonical text,
 * malformed inputs with the reason given, the command lines of the sysfs
 * file, the order, and a differential check of the address parser and
 * formatter against the C library's inet_pton()/inet_ntop().
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "names.h"

static unsigned int passed, failed;

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: entry: ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		passed++;
	else
		failed++;
}

/* Printable form of a test input, for the PASS/FAIL lines. */
static const char *show(const char *s, size_t len)
{
	static char out[4][256];
	static int k;
	char *o = out[k++ & 3];
	size_t i, n = 0;

	for (i = 0; i < len && n < sizeof(out[0]) - 5; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			o[n++] = c;
		else
			n += sprintf(o + n, "\\x%02x", c);
	}
	o[n] = '\0';
	return o;
}

static const struct {
	const char *in;
	const char *canon;
} valid[] = {
	{ "192.0.2.1", "192.0.2.1/32" },
	{ "192.0.2.7/24", "192.0.2.0/24" },
	{ "0.0.0.0/0", "0.0.0.0/0" },
	{ "1.2.3.4/0", "0.0.0.0/0" },
	{ "0.0.0.0", "0.0.0.0/32" },
	{ "255.255.255.255", "255.255.255.255/32" },
	{ "10.1.2.3/8", "10.0.0.0/8" },
	{ "10.255.255.255/9", "10.128.0.0/9" },
	{ "1.2.3.5/31", "1.2.3.4/31" },
	{ "100.64.0.0/10", "100.64.0.0/10" },
	{ "9.9.9.9/32", "9.9.9.9/32" },
	{ "172.16.255.1/12", "172.16.0.0/12" },
	{ "2001:db8::/32", "2001:db8::/32" },
	{ "2001:DB8::1", "2001:db8::1/128" },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1/128" },
	{ "::", "::/128" },
	{ "::/0", "::/0" },
	{ "ffff::/0", "::/0" },
	{ "::1", "::1/128" },
	{ "1::", "1::/128" },
	{ "0:0:0:0:0:0:0:0", "::/128" },
	{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128" },
	{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1/128" },
	{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1/128" },
	{ "1:0:0:2:0:0:3:4", "1::2:0:0:3:4/128" },
	{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8/128" },
	{ "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0/128" },
	{ "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8/128" },
	{ "::ffff:192.0.2.1", "192.0.2.1/32" },
	{ "::FFFF:c000:0201", "192.0.2.1/32" },
	{ "0:0:0:0:0:ffff:1.2.3.4/127", "1.2.3.4/31" },
	{ "::ffff:0:0/96", "0.0.0.0/0" },
	{ "::ffff:10.0.0.0/104", "10.0.0.0/8" },
	{ "::ffff:10.1.2.3/120", "10.1.2.0/24" },
	{ "::ffff:0:0/95", "::fffe:0:0/95" },
	{ "::ffff:0:0/64", "::/64" },
	{ "::1.2.3.4", "::102:304/128" },
	{ "64:ff9b::192.0.2.33", "64:ff9b::c000:221/128" },
	{ "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304/128" },
	{ "2001:db8::1.2.3.4", "2001:db8::102:304/128" },
	{ "fe80::1/10", "fe80::/10" },
	{ "fe80::1:2/64", "fe80::/64" },
	{ "2001:db8:ffff:ffff::/33", "2001:db8:8000::/33" },
	{ "ff02::1:ff00:1/104", "ff02::1:ff00:0/104" },
	{ "2001:db8::/128", "2001:db8::/128" },
	{ "abcd:ef01:2345:6789:abcd:ef01:2345:6789/128", "abcd:ef01:2345:6789:abcd:ef01:2345:6789/128" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128" },
	{ "dev:eth0", "dev:eth0" },
	{ "dev:br-lan", "dev:br-lan" },
	{ "dev:wg+", "dev:wg+" },
	{ "dev:+", "dev:+" },
	{ "dev:++", "dev:++" },
	{ "dev:abcdefghijklmno", "dev:abcdefghijklmno" },
	{ "dev:abcdefghijklmno+", "dev:abcdefghijklmno+" },
	{ "dev:a+b", "dev:a+b" },
	{ "dev:.x", "dev:.x" },
	{ "dev:.+", "dev:.+" },
	{ "dev:..+", "dev:..+" },
	{ "dev:...", "dev:..." },
	{ "dev:eth0.100", "dev:eth0.100" },
	{ "dev:a,b", "dev:a,b" },
};

#define E(s) s, sizeof(s) - 1

static const struct {
	const char *in;
	size_t len;
	const char *why;
} malformed[] = {
	{ E(""), "empty entry" },
	{ E(" 1.2.3.4"), "whitespace in entry" },
	{ E("1.2.3.4 "), "whitespace in entry" },
	{ E("1.2.3.4\n"), "whitespace in entry" },
	{ E("1.2.3.4/32\t"), "whitespace in entry" },
	{ E("1.2.3.4\0"), "non-printable byte in entry" },
	{ E("1.2.3.\xc3\xa9"), "non-printable byte in entry" },
	{ E("\x7f"), "non-printable byte in entry" },
	{ E("010.0.0.1"), "leading zero in IPv4 address" },
	{ E("1.2.3.04"), "leading zero in IPv4 address" },
	{ E("1.00.3.4"), "leading zero in IPv4 address" },
	{ E("256.0.0.1"), "IPv4 part out of range 0-255" },
	{ E("1.2.3.1000"), "IPv4 part out of range 0-255" },
	{ E("1.2.3.99999999999999999999"), "IPv4 part out of range 0-255" },
	{ E("1.2.3"), "IPv4 address must have 4 parts" },
	{ E("1.2.3.4.5"), "IPv4 address must have 4 parts" },
	{ E("10"), "IPv4 address must have 4 parts" },
	{ E("10/8"), "IPv4 address must have 4 parts" },
	{ E("1..2.3"), "empty part in IPv4 address" },
	{ E("1.2.3."), "empty part in IPv4 address" },
	{ E(".1.2.3"), "empty part in IPv4 address" },
	{ E("1.2.3.a"), "not an IPv4 or IPv6 address" },
	{ E("1.2.3.4x"), "not an IPv4 or IPv6 address" },
	{ E("0x1.2.3.4"), "not an IPv4 or IPv6 address" },
	{ E("-1.2.3.4"), "not an IPv4 or IPv6 address" },
	{ E("foo.bar"), "not an IPv4 or IPv6 address" },
	{ E("eth0"), "not an IPv4 or IPv6 address, nor dev:NAME" },
	{ E("localhost"), "not an IPv4 or IPv6 address, nor dev:NAME" },
	{ E("dev"), "not an IPv4 or IPv6 address, nor dev:NAME" },
	{ E("10.0.0.0/33"), "prefix length must be 0-32" },
	{ E("10.0.0.0/1000000000000"), "prefix length must be 0-32" },
	{ E("10.0.0.0/"), "missing prefix length after '/'" },
	{ E("10.0.0.0/08"), "leading zero in prefix length" },
	{ E("10.0.0.0/00"), "leading zero in prefix length" },
	{ E("10.0.0.0/+8"), "prefix length is not a decimal number" },
	{ E("10.0.0.0/-1"), "prefix length is not a decimal number" },
	{ E("10.0.0.0/8/8"), "prefix length is not a decimal number" },
	{ E("10.0.0.0/0x8"), "prefix length is not a decimal number" },
	{ E("/8"), "missing address before '/'" },
	{ E("::/129"), "prefix length must be 0-128" },
	{ E("2001:db8::/0128"), "leading zero in prefix length" },
	{ E("::1/"), "missing prefix length after '/'" },
	{ E("fe80::1%eth0"), "IPv6 zone index (%...) not allowed" },
	{ E("fe80::1%eth0/64"), "IPv6 zone index (%...) not allowed" },
	{ E("1:2:3:4:5:6:7:8:9"), "too many groups in IPv6 address" },
	{ E("1:2:3:4:5:6:7:8::"), "too many groups in IPv6 address" },
	{ E("::1:2:3:4:5:6:7:8"), "too many groups in IPv6 address" },
	{ E("1:2:3:4::5:6:7:8"), "too many groups in IPv6 address" },
	{ E("1:2:3:4:5:6:7:1.2.3.4"), "too many groups in IPv6 address" },
	{ E("1::2:3:4:5:6:1.2.3.4"), "too many groups in IPv6 address" },
	{ E("1::2::3"), "more than one '::' in IPv6 address" },
	{ E(":1::"), "IPv6 address starts with a single ':'" },
	{ E(":"), "IPv6 address starts with a single ':'" },
	{ E("1::2:"), "IPv6 address ends with a single ':'" },
	{ E("1:::2"), "stray ':' in IPv6 address" },
	{ E(":::"), "stray ':' in IPv6 address" },
	{ E("12345::"), "IPv6 group longer than 4 hex digits" },
	{ E("::00000"), "IPv6 group longer than 4 hex digits" },
	{ E("1:2:3"), "too few groups in IPv6 address" },
	{ E("1:2:3:4:5:6:7"), "too few groups in IPv6 address" },
	{ E("1:2:3:4:5:1.2.3.4"), "too few groups in IPv6 address" },
	{ E("g::1"), "not an IPv4 or IPv6 address" },
	{ E("[::1]"), "not an IPv4 or IPv6 address" },
	{ E("1.2.3.4::"), "not an IPv4 or IPv6 address" },
	{ E("1.2.3.4:53"), "not an IPv4 or IPv6 address" },
	{ E("DEV:eth0"), "not an IPv4 or IPv6 address" },
	{ E("::ffff:1.2.3.256"), "IPv4 part out of range 0-255" },
	{ E("::ffff:1.2.3"), "IPv4 address must have 4 parts" },
	{ E("::ffff:01.2.3.4"), "leading zero in IPv4 address" },
	{ E("dev:"), "empty interface name" },
	{ E("dev:abcdefghijklmnop"), "interface name longer than 15 bytes" },
	{ E("dev:abcdefghijklmnop+"), "interface name longer than 15 bytes" },
	{ E("dev:."), "interface name cannot be '.' or '..'" },
	{ E("dev:.."), "interface name cannot be '.' or '..'" },
	{ E("dev:a/b"), "'/' in interface name" },
	{ E("dev:wg/+"), "'/' in interface name" },
	{ E("dev:a:b"), "':' in interface name" },
	{ E("dev:dev:"), "':' in interface name" },
	{ E("dev:eth 0"), "whitespace in entry" },
	{ E("dev:eth\x01"), "non-printable byte in entry" },
	{ E("dev:\xe2\x82\xac"), "non-printable byte in entry" },
};

static void test_valid(void)
{
	char buf[P53G_ENTRY_MAXLEN], buf2[P53G_ENTRY_MAXLEN];
	struct p53g_entry e, e2;
	const char *why;
	size_t i;
	int n, ok;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		why = NULL;
		ok = !p53g_entry_parse(valid[i].in, strlen(valid[i].in), &e, &why);
		n = ok ? p53g_entry_format(&e, buf, sizeof(buf)) : -1;
		ok = ok && n == (int)strlen(valid[i].canon) && !strcmp(buf, valid[i].canon);
		/* the canonical text is a fixed point */
		ok = ok && !p53g_entry_parse(buf, n, &e2, NULL) && !memcmp(&e, &e2, sizeof(e)) &&
		     p53g_entry_format(&e2, buf2, sizeof(buf2)) == n && !strcmp(buf, buf2);
		result(ok, "valid %s -> %s%s%s", valid[i].in, valid[i].canon,
		       ok ? "" : ": got ", ok ? "" : (why ? why : buf));
	}
}

static void test_malformed(void)
{
	struct p53g_entry e;
	const char *why;
	size_t i;
	int rc, ok;

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		/* no byte past len is read: give the parser an exact-size copy */
		char *copy = malloc(malformed[i].len ? malformed[i].len : 1);

		memcpy(copy, malformed[i].in, malformed[i].len);
		why = NULL;
		memset(&e, 0xa5, sizeof(e));
		rc = p53g_entry_parse(copy, malformed[i].len, &e, &why);
		ok = rc == -EINVAL && why && !strcmp(why, malformed[i].why) &&
		     e.kind == 0 && e.plen == 0;
		result(ok, "malformed '%s': %s%s%s", show(malformed[i].in, malformed[i].len),
		       malformed[i].why, ok ? "" : ": got ", ok ? "" : (why ? why : "(accepted)"));
		free(copy);
	}
}

/* What the stored entry changed from the text, as the tool warns of it. */
static const struct {
	const char *in;
	unsigned int notes;
} notes[] = {
	{ "::ffff:10.0.0.0/104", P53G_NOTE_MAPPED },
	{ "::ffff:10.1.2.3", P53G_NOTE_MAPPED },
	{ "::ffff:0:0/96", P53G_NOTE_MAPPED },
	{ "::ffff:10.1.2.3/120", P53G_NOTE_MAPPED | P53G_NOTE_HOST_BITS },
	{ "::ffff:0:0/95", P53G_NOTE_HOST_BITS },
	{ "::fffe:0:0/95", 0 },
	{ "::10.1.2.3", 0 },
	{ "192.0.2.7/24", P53G_NOTE_HOST_BITS },
	{ "192.0.2.0/24", 0 },
	{ "2001:db8::1/32", P53G_NOTE_HOST_BITS },
	{ "2001:db8::/32", 0 },
	{ "dev:eth0", 0 },
	{ "10.0.0.0/33", 0 },
};

static void test_notes(void)
{
	struct p53g_entry e, plain;
	unsigned int got;
	size_t i;
	int rc, ok;

	for (i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
		got = ~0u;
		rc = p53g_entry_parse_notes(notes[i].in, strlen(notes[i].in), &e, &got, NULL);
		/* refused: no notes; accepted: the entry p53g_entry_parse() stores */
		ok = got == notes[i].notes;
		if (rc)
			ok = ok && p53g_entry_parse(notes[i].in, strlen(notes[i].in), &plain, NULL);
		else
			ok = ok && !p53g_entry_parse(notes[i].in, strlen(notes[i].in), &plain, NULL) &&
			     !memcmp(&e, &plain, sizeof(e));
		result(ok, "notes of %s: %s%s (got %#x)", notes[i].in,
		       notes[i].notes & P53G_NOTE_MAPPED ? "mapped " : "",
		       notes[i].notes & P53G_NOTE_HOST_BITS ? "host bits" : "", got);
	}
}

static const struct {
	const char *line;
	int op;
	const char *entry;	/* canonical, or the reason when op is 0 */
} cmds[] = {
	{ "add 10.0.0.1", P53G_CMD_ADD, "10.0.0.1/32" },
	{ "add\t2001:db8::/32", P53G_CMD_ADD, "2001:db8::/32" },
	{ "add ::ffff:10.0.0.0/104", P53G_CMD_ADD, "10.0.0.0/8" },
	{ "del ::ffff:10.1.2.3", P53G_CMD_DEL, "10.1.2.3/32" },
	{ "del dev:eth0", P53G_CMD_DEL, "dev:eth0" },
	{ "del\tdev:wg+", P53G_CMD_DEL, "dev:wg+" },
	{ "add 10.9.8.7/8", P53G_CMD_ADD, "10.0.0.0/8" },
	{ "flush", P53G_CMD_FLUSH, NULL },
	{ "begin", P53G_CMD_BEGIN, NULL },
	{ "commit", P53G_CMD_COMMIT, NULL },
	{ "abort", P53G_CMD_ABORT, NULL },
	{ "", 0, "empty command" },
	{ " add 1.2.3.4", 0, "whitespace before command" },
	{ "\tflush", 0, "whitespace before command" },
	{ "ADD 1.2.3.4", 0, "unknown command (add, del, flush, set, begin, commit, abort)" },
	{ "addx 1.2.3.4", 0, "unknown command (add, del, flush, set, begin, commit, abort)" },
	{ "commit\n", 0, "unknown command (add, del, flush, set, begin, commit, abort)" },
	{ "1.2.3.4", 0, "unknown command (add, del, flush, set, begin, commit, abort)" },
	{ "add", 0, "add needs an entry" },
	{ "add ", 0, "add needs an entry" },
	{ "del", 0, "del needs an entry" },
	{ "add  1.2.3.4", 0, "more than one blank between words" },
	{ "add 1.2.3.4 ", 0, "whitespace after command" },
	{ "add 1.2.3.4 5.6.7.8", 0, "one entry per line" },
	{ "add 1.2.3.4\n", 0, "whitespace in entry" },
	{ "add 10.0.0.0/33", 0, "prefix length must be 0-32" },
	{ "del dev:", 0, "empty interface name" },
	{ "flush now", 0, "flush takes no argument" },
	{ "flush ", 0, "flush takes no argument" },
	{ "begin x", 0, "begin takes no argument" },
	{ "commit x", 0, "commit takes no argument" },
	{ "abort x", 0, "abort takes no argument" },
	{ "set action drop", P53G_CMD_SET, "action=drop" },
	{ "set\trate\t0", P53G_CMD_SET, "rate=0" },
	{ "set rate 1000000", P53G_CMD_SET, "rate=1000000" },
	{ "set enabled n", P53G_CMD_SET, "enabled=0" },
	{ "set forward Y", P53G_CMD_SET, "forward=1" },
	{ "set", 0, "set needs a setting and a value" },
	{ "set rate", 0, "set needs a setting and a value" },
	{ "set rate ", 0, "set needs a setting and a value" },
	{ "set  rate 5", 0, "more than one blank between words" },
	{ "set rate  5", 0, "more than one blank between words" },
	{ "set rate 5 ", 0, "one value per line" },
	{ "set rate 5 6", 0, "one value per line" },
	{ "set colour red", 0,
	  "unknown setting (enabled, action, tcp, loopback, log, rate, forward, authoritative)" },
	{ "set rate 1000001", 0, "must be a number 0-1000000" },
	{ "set rate -1", 0, "must be a number 0-1000000" },
	{ "set enabled yes", 0, "must be 1 or 0" },
	{ "set action Drop", 0, "must be reject, drop or monitor" },
};

static void test_cmds(void)
{
	char buf[P53G_ENTRY_MAXLEN] = "";
	struct p53g_cmd c;
	const char *why;
	size_t i, len;
	int rc, ok;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *copy;

		len = strlen(cmds[i].line);
		copy = malloc(len ? len : 1);
		memcpy(copy, cmds[i].line, len);
		why = NULL;
		rc = p53g_cmd_parse(copy, len, &c, &why);
		if (cmds[i].op == P53G_CMD_SET) {
			char v[16];

			ok = !rc && c.op == P53G_CMD_SET &&
			     p53g_setting_format(c.setting, c.value, v, sizeof(v)) > 0;
			snprintf(buf, sizeof(buf), "%s=%s", p53g_setting_name(c.setting),
				 ok ? v : "?");
			ok = ok && !strcmp(buf, cmds[i].entry);
		} else if (cmds[i].op) {
			ok = !rc && c.op == cmds[i].op;
			if (ok && cmds[i].entry)
				ok = p53g_entry_format(&c.entry, buf, sizeof(buf)) > 0 &&
				     !strcmp(buf, cmds[i].entry);
			else if (ok)
				ok = c.entry.kind == 0;
		} else {
			ok = rc == -EINVAL && why && !strcmp(why, cmds[i].entry) && c.op == 0;
		}
		result(ok, "command '%s' -> %s%s%s", show(cmds[i].line, len),
		       cmds[i].entry ? cmds[i].entry : "ok", ok ? "" : ": got ",
		       ok ? "" : (why ? why : buf));
		free(copy);
	}
}

/* The canonical order, as the module prints the list. */
static const char *const order[] = {
	"0.0.0.0/0", "0.0.0.0/8", "0.0.0.0/32", "10.0.0.0/8", "10.0.0.0/9",
	"10.128.0.0/9", "192.0.2.0/24", "192.0.2.1/32", "255.255.255.255/32",
	"::/0", "::/128", "::1/128", "::fffe:0:0/95", "2001:db8::/32",
	"2001:db8::/48", "2001:db8:0:1::/64", "fe80::/10", "ffff::/16",
	"dev:+", "dev:a", "dev:a+", "dev:a+b", "dev:br-lan", "dev:eth", "dev:eth+",
	"dev:eth0", "dev:eth0+", "dev:eth1", "dev:wg+",
};

static int cmp_qsort(const void *a, const void *b)
{
	return p53g_entry_cmp(a, b);
}

static void test_order(void)
{
	enum { N = sizeof(order) / sizeof(order[0]) };
	struct p53g_entry e[N], s[N];
	char buf[P53G_ENTRY_MAXLEN];
	size_t i, j;
	int ok = 1, sign;

	for (i = 0; i < N; i++)
		ok &= !p53g_entry_parse(order[i], strlen(order[i]), &e[i], NULL);
	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++) {
			sign = i < j ? -1 : i > j;
			ok &= p53g_entry_cmp(&e[i], &e[j]) == sign;
		}
	result(ok, "cmp orders %d entries pairwise as listed (and returns -1, 0, 1)", N);

	/* reversed, then sorted: the listed order comes back */
	for (i = 0; i < N; i++)
		s[i] = e[N - 1 - i];
	qsort(s, N, sizeof(s[0]), cmp_qsort);
	ok = 1;
	for (i = 0; i < N; i++) {
		p53g_entry_format(&s[i], buf, sizeof(buf));
		ok &= !strcmp(buf, order[i]);
	}
	result(ok, "qsort with cmp restores the canonical order");
}

static const struct {
	const char *e, *x;
	int covers;
} covers[] = {
	{ "10.0.0.0/8", "10.1.2.3", 1 },
	{ "10.0.0.0/8", "11.0.0.0", 0 },
	{ "10.0.0.0/8", "10.0.0.0/16", 1 },
	{ "10.0.0.0/16", "10.0.0.0/8", 0 },
	{ "10.128.0.0/9", "10.127.255.255", 0 },
	{ "10.128.0.0/9", "10.128.0.1", 1 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "192.0.2.1", "192.0.2.1", 1 },
	{ "192.0.2.1", "192.0.2.2", 0 },
	{ "192.0.2.0/31", "192.0.2.1", 1 },
	{ "0.0.0.0/0", "::1", 0 },
	{ "::/0", "10.0.0.1", 0 },
	{ "2001:db8::/32", "2001:db8:1::5", 1 },
	{ "2001:db8::/33", "2001:db8:8000::1", 0 },
	{ "::ffff:0:0/96", "::ffff:10.0.0.1", 1 },
	{ "::ffff:10.0.0.0/104", "10.1.2.3", 1 },
	{ "::ffff:10.0.0.0/104", "::ffff:a01:203", 1 },
	{ "::fffe:0:0/95", "::ffff:10.0.0.1", 0 },
	{ "dev:eth0", "dev:eth0", 1 },
	{ "dev:eth0", "dev:eth00", 0 },
	{ "dev:eth0", "dev:eth", 0 },
	{ "dev:eth+", "dev:eth0", 1 },
	{ "dev:eth+", "dev:eth", 1 },
	{ "dev:eth+", "dev:et", 0 },
	{ "dev:eth+", "dev:wg0", 0 },
	{ "dev:+", "dev:lo", 1 },
	{ "dev:eth0", "dev:eth0+", 0 },
	{ "dev:eth+", "dev:eth0+", 1 },
	{ "dev:eth0", "10.0.0.1", 0 },
};

static void test_covers(void)
{
	struct p53g_entry e, x;
	size_t i;
	int ok;

	for (i = 0; i < sizeof(covers) / sizeof(covers[0]); i++) {
		ok = !p53g_entry_parse(covers[i].e, strlen(covers[i].e), &e, NULL) &&
		     !p53g_entry_parse(covers[i].x, strlen(covers[i].x), &x, NULL) &&
		     p53g_entry_covers(&e, &x) == covers[i].covers;
		result(ok, "%s %s %s", covers[i].e, covers[i].covers ? "covers" : "does not cover",
		       covers[i].x);
	}
}

static void test_format_space(void)
{
	char buf[P53G_ENTRY_MAXLEN];
	struct p53g_entry e;
	int n, ok = 1, k;

	p53g_entry_parse(E("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), &e, NULL);
	n = p53g_entry_format(&e, buf, sizeof(buf));
	ok &= n == 43;
	for (k = 0; k <= n; k++) {
		memset(buf, 'x', sizeof(buf));
		ok &= p53g_entry_format(&e, buf, k) == -ENOSPC;
		ok &= k == 0 || (buf[k - 1] == '\0' && buf[k] == 'x');
	}
	ok &= p53g_entry_format(&e, buf, n + 1) == n && buf[n] == '\0';
	result(ok, "format returns -ENOSPC below length+1 and never writes past size");
}

/* A small deterministic generator, so that a failure can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state >> 32;
}

/*
 * glibc's inet_ntop() writes a dotted quad for ::a.b.c.d (IPv4-compatible,
 * deprecated by RFC 4291); RFC 5952 keeps mixed notation for ::ffff:0:0/96.
 */
static int v4_compatible(const unsigned char *a)
{
	static const unsigned char zero[12];

	return !memcmp(a, zero, 12) && (a[12] || a[13]);
}

/* In ::ffff:0:0/96: the parser stores it as IPv4 (from a length of 96 on). */
static int v4_mapped(const unsigned char *a)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, mapped, 12);
}

/* Parser and inet_pton() agree on random strings, and on the address. */
static void test_differential_pton(void)
{
	static const char alpha[] = "0123456789abcdefABCDEF::::....0";
	unsigned char a[16], want[16];
	char s[48], buf[P53G_ENTRY_MAXLEN];
	unsigned long i, accepted = 0, bad = 0;
	struct p53g_entry e;
	size_t len, k;
	int ours, libc, v6;

	for (i = 0; i < 2000000; i++) {
		len = rnd() % 24;
		for (k = 0; k < len; k++)
			s[k] = alpha[rnd() % (sizeof(alpha) - 1)];
		s[len] = '\0';
		if (len >= 4 && !memcmp(s, "dev:", 4))
			continue;
		v6 = !!memchr(s, ':', len);
		ours = !p53g_entry_parse(s, len, &e, NULL);
		libc = inet_pton(v6 ? AF_INET6 : AF_INET, s, want) == 1;
		if (ours != libc) {
			if (bad++ < 5)
				printf("# '%s': entry %s, inet_pton %s\n", s,
				       ours ? "accepts" : "refuses", libc ? "accepts" : "refuses");
			continue;
		}
		if (!ours)
			continue;
		accepted++;
		if (v6 && v4_mapped(want)) {
			/* stored as the IPv4 address it maps */
			if ((e.kind != P53G_ENTRY_V4 || e.plen != 32 || memcmp(&e.v4, want + 12, 4)) &&
			    bad++ < 5)
				printf("# '%s': IPv4-mapped, not stored as IPv4\n", s);
			continue;
		}
		memcpy(a, v6 ? (void *)e.v6.s6_addr : (void *)&e.v4, v6 ? 16 : 4);
		if (memcmp(a, want, v6 ? 16 : 4) || e.plen != (v6 ? 128 : 32)) {
			if (bad++ < 5)
				printf("# '%s': parsed to another address\n", s);
		}
		p53g_entry_format(&e, buf, sizeof(buf));
		if (v6 && !v4_compatible(a)) {
			char ref[INET6_ADDRSTRLEN + 4];

			inet_ntop(AF_INET6, a, ref, sizeof(ref));
			strcat(ref, "/128");
			if (strcmp(ref, buf) && bad++ < 5)
				printf("# '%s': formatted %s, inet_ntop %s\n", s, buf, ref);
		}
	}
	result(!bad && accepted > 1000,
	       "parser agrees with inet_pton on 2000000 random strings (%lu addresses)", accepted);
}

/* Random addresses in many spellings parse back, format as inet_ntop. */
static void test_differential_ntop(void)
{
	char text[64], ref[INET6_ADDRSTRLEN], buf[P53G_ENTRY_MAXLEN], want[80];
	struct p53g_entry e;
	unsigned char a[16];
	unsigned long i, bad = 0;
	unsigned int w, k, plen;
	int n;

	for (i = 0; i < 300000; i++) {
		for (k = 0; k < 8; k++) {
			/* mostly zero groups, so that "::" runs of every length occur */
			w = rnd() % 3 ? 0 : rnd() & (rnd() % 2 ? 0xffff : 0xf);
			a[2 * k] = w >> 8;
			a[2 * k + 1] = w;
		}
		if (rnd() % 8 == 0) {
			memset(a, 0, 10);
			a[10] = a[11] = 0xff;
		}
		if (v4_compatible(a))
			continue;
		inet_ntop(AF_INET6, a, ref, sizeof(ref));
		/* the full, uppercase, zero-padded spelling */
		n = 0;
		for (k = 0; k < 8; k++)
			n += sprintf(text + n, "%s%04X", k ? ":" : "", a[2 * k] << 8 | a[2 * k + 1]);
		plen = rnd() % 129;
		sprintf(text + n, "/%u", plen);
		if (p53g_entry_parse(text, strlen(text), &e, NULL) ||
		    p53g_entry_format(&e, buf, sizeof(buf)) < 0) {
			if (bad++ < 5)
				printf("# '%s' refused\n", text);
			continue;
		}
		if (v4_mapped(a) && plen >= 96) {
			/* an IPv4 entry: the address it maps, the length less 96 */
			snprintf(want, sizeof(want), "%u.%u.%u.%u/%u", a[12], a[13], a[14], a[15],
				 plen - 96);
			if (e.kind != P53G_ENTRY_V4 || e.plen != plen - 96 ||
			    (plen == 128 && strcmp(buf, want))) {
				if (bad++ < 5)
					printf("# '%s' -> %s, want the IPv4 entry %s\n", text, buf, want);
			}
		} else if (plen == 128) {
			snprintf(want, sizeof(want), "%s/128", ref);
			if (strcmp(buf, want) && bad++ < 5)
				printf("# '%s' -> %s, inet_ntop %s\n", text, buf, want);
		}
		/* the canonical text and inet_ntop's text are the same entry */
		{
			struct p53g_entry e2;
			char t2[80];

			snprintf(t2, sizeof(t2), "%s/%u", ref, plen);
			if ((p53g_entry_parse(t2, strlen(t2), &e2, NULL) || memcmp(&e, &e2, sizeof(e))) &&
			    bad++ < 5)
				printf("# '%s' and '%s' differ\n", text, t2);
		}
	}
	result(!bad, "300000 random IPv6 addresses: full spelling parses, formats as inet_ntop "
	       "(RFC 5952), IPv4-mapped /96 and longer as IPv4");
}

int main(void)
{
	test_valid();
	test_malformed();
	test_notes();
	test_cmds();
	test_order();
	test_covers();
	test_format_space();
	test_differential_pton();
	test_differential_ntop();
	printf("entry-test: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
