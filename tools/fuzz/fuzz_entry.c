// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the exemption-entry grammar (module/entry.c), the
 * parser the module runs on every sysfs write and module parameter.
 *
 * For arbitrary bytes: the parser never reads past the input (it gets an
 * exact-size copy, so ASan sees any over-read), refuses with a reason, or
 * accepts an entry whose canonical text parses back to the same entry and
 * formats the same again; addresses agree with the C library's inet_pton
 * (an IPv4-mapped one is stored as IPv4, never as an IPv6 entry of 96
 * bits or more in ::ffff:0:0/96); the order is antisymmetric; the command
 * parser keeps the same promises.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "names.h"

#define CHECK(x) do {							\
		if (!(x)) {						\
			fprintf(stderr, "check failed: %s (line %d)\n", #x, __LINE__); \
			abort();					\
		}							\
	} while (0)

/* ::ffff:0:0/96 */
static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

static int zeroed(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

/* An accepted entry: canonical text round trip, and sane fields. */
static void check_entry(const struct p53g_entry *e)
{
	char buf[P53G_ENTRY_MAXLEN], buf2[P53G_ENTRY_MAXLEN];
	struct p53g_entry e2;
	const char *why = NULL;
	int n, n2;

	CHECK(e->kind >= P53G_ENTRY_V4 && e->kind <= P53G_ENTRY_DEV);
	if (e->kind == P53G_ENTRY_V4)
		CHECK(e->plen <= 32 && !e->wildcard && !e->namelen);
	else if (e->kind == P53G_ENTRY_V6)
		CHECK(e->plen <= 128 && !e->wildcard && !e->namelen &&
		      (e->plen < 96 || memcmp(e->v6.s6_addr, mapped, sizeof(mapped))));
	else
		CHECK(!e->plen && e->namelen < IFNAMSIZ && (e->namelen || e->wildcard) &&
		      zeroed(e->dev + e->namelen, sizeof(e->dev) - e->namelen));
	CHECK(p53g_entry_covers(e, e));
	CHECK(p53g_entry_cmp(e, e) == 0);

	n = p53g_entry_format(e, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n < sizeof(buf) && strlen(buf) == (size_t)n);
	CHECK(p53g_entry_format(e, buf2, n) == -ENOSPC);
	CHECK(!p53g_entry_parse(buf, n, &e2, &why));
	CHECK(!memcmp(e, &e2, sizeof(e2)));
	n2 = p53g_entry_format(&e2, buf2, sizeof(buf2));
	CHECK(n2 == n && !strcmp(buf, buf2));
}

/* A bare address (no "/", not dev:) is what inet_pton says it is. */
static void check_pton(const char *s, size_t len, const struct p53g_entry *e, int ok)
{
	unsigned char want[16];
	char z[64];
	int v6, libc;

	if (len >= sizeof(z) || memchr(s, '/', len) || memchr(s, '\0', len) ||
	    (len >= 4 && !memcmp(s, "dev:", 4)))
		return;
	memcpy(z, s, len);
	z[len] = '\0';
	v6 = !!memchr(s, ':', len);
	libc = inet_pton(v6 ? AF_INET6 : AF_INET, z, want) == 1;
	CHECK(ok == libc);
	/* an IPv4-mapped address is stored as the IPv4 address it maps */
	if (ok && v6 && !memcmp(want, mapped, sizeof(mapped)))
		CHECK(e->kind == P53G_ENTRY_V4 && e->plen == 32 && !memcmp(&e->v4, want + 12, 4));
	else if (ok && v6)
		CHECK(e->kind == P53G_ENTRY_V6 && e->plen == 128 && !memcmp(e->v6.s6_addr, want, 16));
	if (ok && !v6)
		CHECK(e->kind == P53G_ENTRY_V4 && e->plen == 32 && !memcmp(&e->v4, want, 4));
}

static void check_cmd(const char *s, size_t len)
{
	char line[P53G_ENTRY_MAXLEN + 8];
	struct p53g_cmd c, c2;
	const char *why = NULL;
	int rc, n;

	rc = p53g_cmd_parse(s, len, &c, &why);
	if (rc) {
		CHECK(rc == -EINVAL && why && *why && zeroed(&c, sizeof(c)));
		return;
	}
	CHECK(c.op >= P53G_CMD_ADD && c.op <= P53G_CMD_SET);
	if (c.op == P53G_CMD_SET) {
		char v[16];

		/* the setting's value as the module prints it reads back the same */
		CHECK(zeroed(&c.entry, sizeof(c.entry)) && c.setting < P53G_NR_SETTINGS);
		CHECK(p53g_setting_format(c.setting, c.value, v, sizeof(v)) > 0);
		n = snprintf(line, sizeof(line), "set %s %s", p53g_setting_name(c.setting), v);
		CHECK(!p53g_cmd_parse(line, n, &c2, NULL) && !memcmp(&c, &c2, sizeof(c)));
		return;
	}
	if (c.op != P53G_CMD_ADD && c.op != P53G_CMD_DEL) {
		CHECK(zeroed(&c.entry, sizeof(c.entry)));
		return;
	}
	check_entry(&c.entry);
	/* the line the tool would write for it means the same */
	n = snprintf(line, sizeof(line), "%s ", c.op == P53G_CMD_ADD ? "add" : "del");
	n += p53g_entry_format(&c.entry, line + n, sizeof(line) - n);
	CHECK(!p53g_cmd_parse(line, n, &c2, NULL) && !memcmp(&c, &c2, sizeof(c)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p53g_entry e, a, b;
	const char *why = NULL;
	unsigned int notes;
	char *s, *nl;
	int rc, ra, rb;

	s = malloc(size ? size : 1);
	memcpy(s, data, size);

	rc = p53g_entry_parse(s, size, &e, &why);
	if (rc)
		CHECK(rc == -EINVAL && why && *why && zeroed(&e, sizeof(e)));
	else
		check_entry(&e);
	/* the same entry with its notes; mapped only from IPv6 text to IPv4 */
	CHECK(p53g_entry_parse_notes(s, size, &a, &notes, NULL) == rc && !memcmp(&a, &e, sizeof(e)));
	CHECK(!rc || !notes);
	if (notes & P53G_NOTE_MAPPED)
		CHECK(e.kind == P53G_ENTRY_V4 && memchr(s, ':', size));
	check_pton(s, size, &e, !rc);
	check_cmd(s, size);

	/* two entries around the first newline: the order is a total order */
	nl = memchr(s, '\n', size);
	if (nl) {
		ra = p53g_entry_parse(s, nl - s, &a, NULL);
		rb = p53g_entry_parse(nl + 1, size - (nl - s) - 1, &b, NULL);
		if (!ra && !rb) {
			CHECK(p53g_entry_cmp(&a, &b) == -p53g_entry_cmp(&b, &a));
			CHECK((p53g_entry_cmp(&a, &b) == 0) == !memcmp(&a, &b, sizeof(a)));
			if (p53g_entry_covers(&a, &b) && p53g_entry_covers(&b, &a))
				CHECK(!memcmp(&a, &b, sizeof(a)));
		}
	}
	free(s);
	return 0;
}
