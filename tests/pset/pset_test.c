// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the packet-path exemption set (module/pset.c, compiled
 * unchanged): table-driven boundaries, then random sets checked against
 * two independent matchers, a linear scan and (for big sets) a sorted
 * array per prefix length.  One PASS:/FAIL: line per group; exit status 1
 * on any failure.  P53G_SEED=N in the environment changes the random sets.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pset.h"

#ifndef PSET_TEST_VARIANT
#define PSET_TEST_VARIANT "default budget"
#define PSET_TEST_DEFAULT 1
#else
#define PSET_TEST_DEFAULT 0
#endif

static int npass, nfail;
static long group_bad, group_checks;

static void group_start(void)
{
	group_bad = 0;
	group_checks = 0;
}

static void group_end(const char *what)
{
	if (group_bad || !group_checks) {
		printf("FAIL: pset: [%s] %s (%ld of %ld checks failed)\n",
		       PSET_TEST_VARIANT, what, group_bad, group_checks);
		nfail++;
	} else {
		printf("PASS: pset: [%s] %s (%ld checks)\n", PSET_TEST_VARIANT,
		       what, group_checks);
		npass++;
	}
}

static void check(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	group_checks++;
	if (ok)
		return;
	if (group_bad++ < 10) {
		va_start(ap, fmt);
		printf("  # ");
		vprintf(fmt, ap);
		printf("\n");
		va_end(ap);
	}
}

/* ---- entries from text: 192.0.2.0/24, 2001:db8::/32, dev:wg0, dev:wg+ ---- */

static struct p53g_entry ent(const char *txt)
{
	struct p53g_entry e;
	char buf[80], *slash;

	memset(&e, 0, sizeof(e));
	if (!strncmp(txt, "dev:", 4)) {
		size_t len = strlen(txt + 4);

		e.kind = P53G_ENTRY_DEV;
		if (len && txt[4 + len - 1] == '+') {
			e.wildcard = 1;
			len--;
		}
		e.namelen = len;
		memcpy(e.dev, txt + 4, len);
		return e;
	}
	snprintf(buf, sizeof(buf), "%s", txt);
	slash = strchr(buf, '/');
	*slash = 0;
	e.plen = atoi(slash + 1);
	if (strchr(buf, ':')) {
		e.kind = P53G_ENTRY_V6;
		if (inet_pton(AF_INET6, buf, &e.v6) != 1)
			abort();
	} else {
		e.kind = P53G_ENTRY_V4;
		if (inet_pton(AF_INET, buf, &e.v4) != 1)
			abort();
	}
	return e;
}

/* "10.0.0.1", "2001:db8::1" or "dev:wg0": does the set let it pass? */
static int probe(const struct p53g_pset *s, const char *what)
{
	struct in6_addr a6;
	__be32 a4;

	if (!strncmp(what, "dev:", 4))
		return p53g_pset_match_dev(s, what + 4);
	if (inet_pton(AF_INET, what, &a4) == 1)
		return p53g_pset_match_v4(s, a4);
	if (inet_pton(AF_INET6, what, &a6) == 1)
		return p53g_pset_match_v6(s, &a6);
	abort();
}

/* ---- the table ---- */

struct tcase {
	const char *name;
	const char *set[8];
	const char *yes[12];
	const char *no[12];
};

static const struct tcase cases[] = {
	{ "empty set", { NULL },
	  { NULL },
	  { "0.0.0.0", "255.255.255.255", "10.0.0.1", "::", "::1",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "dev:lo", "dev:eth0",
	    "dev:" } },
	{ "v4 /0 matches every IPv4 address, no IPv6",
	  { "0.0.0.0/0" },
	  { "0.0.0.0", "255.255.255.255", "10.0.0.1", "128.0.0.0" },
	  { "::", "::ffff:10.0.0.1", "2001:db8::1", "dev:eth0" } },
	{ "v4 /1 edges", { "128.0.0.0/1" },
	  { "128.0.0.0", "255.255.255.255", "192.0.2.1" },
	  { "127.255.255.255", "0.0.0.0", "1.2.3.4" } },
	{ "v4 /1 low half", { "0.0.0.0/1" },
	  { "0.0.0.0", "127.255.255.255" },
	  { "128.0.0.0", "255.255.255.255" } },
	{ "v4 /31 edges", { "10.0.0.2/31" },
	  { "10.0.0.2", "10.0.0.3" },
	  { "10.0.0.1", "10.0.0.4", "10.0.0.0", "11.0.0.2" } },
	{ "v4 /32 edges", { "192.0.2.7/32" },
	  { "192.0.2.7" },
	  { "192.0.2.6", "192.0.2.8", "192.0.3.7", "::ffff:192.0.2.7" } },
	{ "v4 /32 of 0.0.0.0 and 255.255.255.255",
	  { "0.0.0.0/32", "255.255.255.255/32" },
	  { "0.0.0.0", "255.255.255.255" },
	  { "0.0.0.1", "255.255.255.254", "::" } },
	{ "v4 /24 edges", { "198.51.100.0/24" },
	  { "198.51.100.0", "198.51.100.255", "198.51.100.128" },
	  { "198.51.99.255", "198.51.101.0" } },
	{ "v4 overlapping (nested) prefixes",
	  { "10.0.0.0/8", "10.1.0.0/16", "10.1.2.3/32", "10.1.2.0/24" },
	  { "10.0.0.0", "10.255.255.255", "10.1.2.3", "10.1.2.4",
	    "10.200.0.1" },
	  { "9.255.255.255", "11.0.0.0" } },
	{ "v4 adjacent prefixes",
	  { "192.0.2.0/25", "192.0.2.128/25", "192.0.3.0/24" },
	  { "192.0.2.0", "192.0.2.127", "192.0.2.128", "192.0.2.255",
	    "192.0.3.255" },
	  { "192.0.1.255", "192.0.4.0" } },
	{ "v4 many lengths, disjoint",
	  { "1.0.0.0/8", "2.0.0.0/16", "3.3.0.0/20", "4.4.4.0/28",
	    "5.5.5.5/32", "6.0.0.0/7" },
	  { "1.255.255.255", "2.0.255.255", "3.3.15.255", "4.4.4.15",
	    "5.5.5.5", "6.0.0.0", "7.255.255.255" },
	  { "2.1.0.0", "3.3.16.0", "4.4.4.16", "5.5.5.4", "5.5.5.6",
	    "8.0.0.0", "5.255.255.255" } },
	{ "v6 /0 matches every IPv6 address, no IPv4", { "::/0" },
	  { "::", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "::ffff:10.0.0.1" },
	  { "0.0.0.0", "10.0.0.1", "dev:eth0" } },
	{ "v6 /1 edges", { "8000::/1" },
	  { "8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	  { "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::" } },
	{ "v6 /127 edges", { "2001:db8::2/127" },
	  { "2001:db8::2", "2001:db8::3" },
	  { "2001:db8::1", "2001:db8::4", "2001:db9::2" } },
	{ "v6 /128 edges", { "2001:db8::7/128" },
	  { "2001:db8::7" },
	  { "2001:db8::6", "2001:db8::8", "2001:db8:0:1::7", "0.0.0.7" } },
	{ "v6 /64 and /65 edges", { "2001:db8:1:2::/64", "2001:db8:9:9:8000::/65" },
	  { "2001:db8:1:2::", "2001:db8:1:2:ffff:ffff:ffff:ffff",
	    "2001:db8:9:9:8000::", "2001:db8:9:9:ffff:ffff:ffff:ffff" },
	  { "2001:db8:1:1:ffff:ffff:ffff:ffff", "2001:db8:1:3::",
	    "2001:db8:9:9:7fff:ffff:ffff:ffff", "2001:db8:9:a::" } },
	{ "v6 /48 edges, nested, adjacent",
	  { "2001:db8:1::/48", "2001:db8:1:5::/64", "2001:db8:2::/48" },
	  { "2001:db8:1::", "2001:db8:2:ffff:ffff:ffff:ffff:ffff",
	    "2001:db8:1:5::1" },
	  { "2001:db8::ffff", "2001:db8:0:ffff:ffff:ffff:ffff:ffff",
	    "2001:db8:3::" } },
	{ "v6 /32 and /33 edges", { "2001:db8::/32", "2001:dba:8000::/33" },
	  { "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	    "2001:dba:8000::" },
	  { "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::",
	    "2001:dba:7fff:ffff:ffff:ffff:ffff:ffff" } },
	{ "v4 and v6 isolated", { "10.0.0.0/8", "::ffff:0:0/96", "::/96" },
	  { "10.0.0.1", "::ffff:1.2.3.4", "::10.0.0.1" },
	  { "1.2.3.4", "11.0.0.0" } },
	{ "interfaces: wildcard wg+ vs exact wg0",
	  { "dev:wg+", "dev:eth0" },
	  { "dev:wg0", "dev:wg", "dev:wg-office", "dev:wg123456789012",
	    "dev:eth0" },
	  { "dev:w", "dev:eth", "dev:eth01", "dev:", "dev:awg0", "dev:lo",
	    "10.0.0.1" } },
	{ "interfaces: exact wg0 only", { "dev:wg0" },
	  { "dev:wg0" },
	  { "dev:wg", "dev:wg01", "dev:wg1", "dev:Wg0", "dev:" } },
	{ "interfaces: exact and wildcard of one name", { "dev:br-lan", "dev:br-lan+", "dev:b+" },
	  { "dev:br-lan", "dev:br-lan0", "dev:b", "dev:bond0" },
	  { "dev:eth0", "dev:" } },
	{ "interfaces: 15-byte names",
	  { "dev:abcdefghijklmno", "dev:xyzxyzxyzxyzxy+" },
	  { "dev:abcdefghijklmno", "dev:xyzxyzxyzxyzxy" },
	  { "dev:abcdefghijklmn", "dev:xyzxyzxyzxyzx", "dev:abcdefghijklmnp" } },
	{ "interfaces: dev:+ matches every name", { "dev:+" },
	  { "dev:lo", "dev:eth0", "dev:", "dev:abcdefghijklmno" },
	  { "10.0.0.1", "::1" } },
	{ "everything at once",
	  { "0.0.0.0/1", "2001:db8::/32", "dev:wg+", "192.0.2.1/32", "::1/128" },
	  { "127.0.0.1", "192.0.2.1", "2001:db8::53", "::1", "dev:wg7" },
	  { "128.0.0.1", "192.0.2.2", "2001:db9::", "::2", "dev:eth0" } },
};

static void test_table(void)
{
	struct p53g_entry e[8];
	struct p53g_pset *s;
	size_t i, n, j;

	group_start();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];

		for (n = 0; n < 8 && c->set[n]; n++)
			e[n] = ent(c->set[n]);
		s = p53g_pset_build(e, n);
		check(!!s, "%s: build failed", c->name);
		if (!s)
			continue;
		for (j = 0; j < 12 && c->yes[j]; j++)
			check(probe(s, c->yes[j]) == 1, "%s: %s should match",
			      c->name, c->yes[j]);
		for (j = 0; j < 12 && c->no[j]; j++)
			check(probe(s, c->no[j]) == 0,
			      "%s: %s should not match", c->name, c->no[j]);
		/* the same entries in reverse, with duplicates */
		p53g_pset_free(s);
		if (n > 1) {
			struct p53g_entry r[16];

			for (j = 0; j < n; j++)
				r[j] = r[2 * n - 1 - j] = e[j];
			s = p53g_pset_build(r, 2 * n);
			check(!!s, "%s reversed: build failed", c->name);
			if (!s)
				continue;
			check(p53g_pset_count(s, P53G_ENTRY_V4) +
			      p53g_pset_count(s, P53G_ENTRY_V6) +
			      p53g_pset_count(s, P53G_ENTRY_DEV) == n,
			      "%s: duplicates kept", c->name);
			for (j = 0; j < 12 && c->yes[j]; j++)
				check(probe(s, c->yes[j]) == 1,
				      "%s reversed: %s should match", c->name,
				      c->yes[j]);
			for (j = 0; j < 12 && c->no[j]; j++)
				check(probe(s, c->no[j]) == 0,
				      "%s reversed: %s should not match",
				      c->name, c->no[j]);
			p53g_pset_free(s);
		}
	}
	group_end("table: /0 /1 /31 /32 /127 /128, nested, adjacent, edges, v4/v6 isolation, interfaces");
}

static void test_api(void)
{
	struct p53g_entry e[6], bad, out;
	struct p53g_pset *s;
	char txt[INET6_ADDRSTRLEN];
	__be32 a4;

	group_start();
	/* the NULL set and the empty set let nothing pass */
	inet_pton(AF_INET, "10.0.0.1", &a4);
	check(!p53g_pset_match_v4(NULL, a4), "NULL set matched v4");
	check(!p53g_pset_match_dev(NULL, "lo"), "NULL set matched dev");
	s = p53g_pset_build(NULL, 0);
	check(s && p53g_pset_bytes(s) > 0, "empty set: build");
	check(!p53g_pset_entry(s, 0, &out), "empty set: entry 0");
	check(p53g_pset_probes(s, P53G_ENTRY_V4) == 0, "empty set: probes");
	p53g_pset_free(s);
	p53g_pset_free(NULL);

	/* invalid entries: the parser's bug, refused */
	bad = ent("10.0.0.0/8");
	bad.plen = 33;
	check(!p53g_pset_build(&bad, 1), "v4 /33 accepted");
	bad = ent("::/0");
	bad.plen = 129;
	check(!p53g_pset_build(&bad, 1), "v6 /129 accepted");
	bad = ent("dev:x");
	bad.namelen = 16;
	check(!p53g_pset_build(&bad, 1), "16-byte name accepted");
	bad = ent("dev:x");
	bad.namelen = 0;
	check(!p53g_pset_build(&bad, 1), "empty exact name accepted");
	bad.kind = 9;
	check(!p53g_pset_build(&bad, 1), "unknown kind accepted");

	/* host bits cleared, canonical order, counts, exact membership */
	e[0] = ent("dev:wg+");
	e[1] = ent("2001:db8::1/32");
	e[2] = ent("192.0.2.77/24");
	e[3] = ent("10.0.0.0/8");
	e[4] = ent("dev:eth0");
	e[5] = ent("10.0.0.0/8");
	s = p53g_pset_build(e, 6);
	check(!!s, "build");
	if (!s)
		goto out;
	check(p53g_pset_count(s, P53G_ENTRY_V4) == 2, "v4 count");
	check(p53g_pset_count(s, P53G_ENTRY_V6) == 1, "v6 count");
	check(p53g_pset_count(s, P53G_ENTRY_DEV) == 2, "dev count");
	check(p53g_pset_entry(s, 0, &out) && out.kind == P53G_ENTRY_V4 &&
	      out.plen == 8 && out.v4 == htonl(0x0a000000), "entry 0");
	check(p53g_pset_entry(s, 1, &out) && out.kind == P53G_ENTRY_V4 &&
	      out.plen == 24 && out.v4 == htonl(0xc0000200),
	      "entry 1: host bits cleared");
	check(p53g_pset_entry(s, 2, &out) && out.kind == P53G_ENTRY_V6 &&
	      out.plen == 32 &&
	      !strcmp(inet_ntop(AF_INET6, &out.v6, txt, sizeof(txt)),
		      "2001:db8::"), "entry 2: host bits cleared");
	check(p53g_pset_entry(s, 3, &out) && out.kind == P53G_ENTRY_DEV &&
	      out.namelen == 4 && !out.wildcard &&
	      !memcmp(out.dev, "eth0", 5), "entry 3");
	check(p53g_pset_entry(s, 4, &out) && out.kind == P53G_ENTRY_DEV &&
	      out.namelen == 2 && out.wildcard &&
	      !memcmp(out.dev, "wg\0", 3), "entry 4");
	check(!p53g_pset_entry(s, 5, &out), "entry 5 past the end");
	check(p53g_pset_has_entry(s, &e[3]), "has 10.0.0.0/8");
	check(p53g_pset_has_entry(s, &e[2]), "has 192.0.2.77/24 (as /24)");
	bad = ent("10.0.0.0/9");
	check(!p53g_pset_has_entry(s, &bad), "has 10.0.0.0/9");
	bad = ent("10.0.0.1/32");
	check(!p53g_pset_has_entry(s, &bad), "has 10.0.0.1/32");
	bad = ent("dev:wg");
	check(!p53g_pset_has_entry(s, &bad), "has dev:wg");
	bad = ent("dev:wg+");
	check(p53g_pset_has_entry(s, &bad), "has dev:wg+");
	bad = ent("2001:db8::/32");
	check(p53g_pset_has_entry(s, &bad), "has 2001:db8::/32");
	bad = ent("2001:db8::/33");
	check(!p53g_pset_has_entry(s, &bad), "has 2001:db8::/33");
	check(p53g_pset_probes(s, P53G_ENTRY_DEV) == 2, "dev probes");
	p53g_pset_free(s);
out:
	group_end("API: empty and NULL sets, invalid entries, canonical read-back, exact membership");
}

/* ---- reference matchers ---- */

static u64 rng_state;

static u64 rnd(void)
{
	u64 x = (rng_state += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static u32 mask4(unsigned int plen)
{
	return plen ? ~0U << (32 - plen) : 0;
}

/* bits of @a under a /plen mask, as bytes */
static void mask6(struct in6_addr *a, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < 16; i++, plen = plen > 8 ? plen - 8 : 0)
		a->s6_addr[i] &= plen >= 8 ? 0xff : (u8)(0xff00 >> plen);
}

static int in_prefix6(const struct in6_addr *a, const struct p53g_entry *e)
{
	struct in6_addr m = *a;

	mask6(&m, e->plen);
	return !memcmp(&m, &e->v6, 16);
}

static int brute_v4(const struct p53g_entry *e, size_t n, u32 a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].kind == P53G_ENTRY_V4 &&
		    (a & mask4(e[i].plen)) == ntohl(e[i].v4))
			return 1;
	return 0;
}

static int brute_v6(const struct p53g_entry *e, size_t n,
		    const struct in6_addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].kind == P53G_ENTRY_V6 && in_prefix6(a, &e[i]))
			return 1;
	return 0;
}

static int brute_dev(const struct p53g_entry *e, size_t n, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < n; i++) {
		if (e[i].kind != P53G_ENTRY_DEV)
			continue;
		if (e[i].wildcard ? len >= e[i].namelen &&
				    !memcmp(name, e[i].dev, e[i].namelen)
				  : len == e[i].namelen &&
				    !memcmp(name, e[i].dev, len))
			return 1;
	}
	return 0;
}

/* For big sets: one sorted array of masked addresses per length. */
struct oracle {
	u32 *v4[33];
	size_t n4[33];
	struct in6_addr *v6[129];
	size_t n6[129];
};

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static int cmp_in6(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void oracle_build(struct oracle *o, const struct p53g_entry *e,
			 size_t n)
{
	size_t i, l;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < n; i++) {
		if (e[i].kind == P53G_ENTRY_V4)
			o->n4[e[i].plen]++;
		else if (e[i].kind == P53G_ENTRY_V6)
			o->n6[e[i].plen]++;
	}
	for (l = 0; l <= 128; l++) {
		if (l <= 32 && o->n4[l])
			o->v4[l] = malloc(o->n4[l] * sizeof(u32));
		if (o->n6[l])
			o->v6[l] = malloc(o->n6[l] * sizeof(struct in6_addr));
	}
	memset(o->n4, 0, sizeof(o->n4));
	memset(o->n6, 0, sizeof(o->n6));
	for (i = 0; i < n; i++) {
		if (e[i].kind == P53G_ENTRY_V4)
			o->v4[e[i].plen][o->n4[e[i].plen]++] = ntohl(e[i].v4);
		else if (e[i].kind == P53G_ENTRY_V6)
			o->v6[e[i].plen][o->n6[e[i].plen]++] = e[i].v6;
	}
	for (l = 0; l <= 128; l++) {
		if (l <= 32 && o->n4[l])
			qsort(o->v4[l], o->n4[l], sizeof(u32), cmp_u32);
		if (o->n6[l])
			qsort(o->v6[l], o->n6[l], 16, cmp_in6);
	}
}

static int oracle_v4(const struct oracle *o, u32 a)
{
	unsigned int l;
	u32 m;

	for (l = 0; l <= 32; l++) {
		m = a & mask4(l);
		if (o->n4[l] && bsearch(&m, o->v4[l], o->n4[l], 4, cmp_u32))
			return 1;
	}
	return 0;
}

static int oracle_v6(const struct oracle *o, const struct in6_addr *a)
{
	struct in6_addr m;
	unsigned int l;

	for (l = 0; l <= 128; l++) {
		if (!o->n6[l])
			continue;
		m = *a;
		mask6(&m, l);
		if (bsearch(&m, o->v6[l], o->n6[l], 16, cmp_in6))
			return 1;
	}
	return 0;
}

static void oracle_free(struct oracle *o)
{
	unsigned int l;

	for (l = 0; l <= 128; l++) {
		if (l <= 32)
			free(o->v4[l]);
		free(o->v6[l]);
	}
}

/* ---- random sets ---- */

enum mix { MIX_UNIFORM, MIX_BGP, MIX_24, MIX_48, MIX_CLUSTER, MIX_SEQ };

static const char *const mix_name[] = {
	"uniform lengths", "BGP-like /8-/32", "all /24", "all /48",
	"clustered, nested and adjacent", "sequential /32 or /128 and /24 or /64",
};

/* prefix length for family width @w */
static unsigned int rnd_plen(enum mix mix, unsigned int w, size_t n)
{
	/* per 100,000, /8 .. /32, shaped like a BGP table */
	static const u32 bgp[] = {
		2, 1, 4, 10, 30, 60, 100, 200, 1300, 700, 1200, 2300, 3400,
		4000, 9000, 9300, 61804, 400, 400, 400, 400, 400, 400, 400,
		3789 };
	unsigned int r, l;

	switch (mix) {
	case MIX_24:
		return w == 32 ? 24 : 48;
	case MIX_48:
		return 48;
	case MIX_CLUSTER:
		return w == 32 ? 10 + rnd() % 23 : 28 + rnd() % 101;
	case MIX_BGP:
		if (w == 128) {
			static const u8 v6[] = { 32, 29, 36, 40, 44, 48, 56, 64, 128 };

			return v6[rnd() % sizeof(v6)];
		}
		r = rnd() % 100000;
		for (l = 0; l < sizeof(bgp); l++) {
			if (r < bgp[l])
				return 8 + l;
			r -= bgp[l];
		}
		return 24;
	default:	/* all lengths the set can have and leave misses */
		for (l = 2; n >> (l - 2); l++)
			;
		return l + rnd() % (w - l + 1);
	}
}

static void rnd_entry(struct p53g_entry *e, enum mix mix, unsigned int w,
		      size_t n, const u64 *pool)
{
	u64 hi = rnd(), lo = rnd();
	unsigned int i;

	memset(e, 0, sizeof(*e));
	e->plen = rnd_plen(mix, w, n);
	if (mix == MIX_SEQ) {
		/* consecutive hosts and consecutive networks: structured keys */
		static u64 next;

		e->plen = rnd() & 1 ? w : w / 4 * 3;
		hi = pool[0] & 0xff00000000000000ULL;
		lo = 0;
		if (w == 32)
			hi |= (e->plen == 32 ? next : next << 8) << 32 & 0x00ffffff00000000ULL;
		else if (e->plen == 128)
			lo = next;
		else
			hi |= next;
		next++;
	} else if (mix == MIX_CLUSTER) {
		/* under one of four /12s (v4) or /32s (v6): nested, touching */
		u64 top = w == 32 ? 0xfff0000000000000ULL : 0xffffffff00000000ULL;

		hi = (pool[rnd() % 4] & top) | (hi & ~top);
	}
	if (w == 32) {
		e->kind = P53G_ENTRY_V4;
		e->v4 = htonl((u32)(hi >> 32) & mask4(e->plen));
	} else {
		e->kind = P53G_ENTRY_V6;
		for (i = 0; i < 8; i++) {
			e->v6.s6_addr[i] = hi >> (56 - 8 * i);
			e->v6.s6_addr[8 + i] = lo >> (56 - 8 * i);
		}
		mask6(&e->v6, e->plen);
	}
}

static void rnd_name(char *name, unsigned int len)
{
	static const char abc[] = "abegwx01+-.";
	unsigned int i;

	for (i = 0; i < len; i++)
		name[i] = abc[rnd() % (sizeof(abc) - 1)];
	name[len] = 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct p53g_entry *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->kind == P53G_ENTRY_V4) {
		u32 p = ntohl(x->v4), q = ntohl(y->v4);

		if (p != q)
			return p < q ? -1 : 1;
	} else if (x->kind == P53G_ENTRY_V6) {
		c = memcmp(&x->v6, &y->v6, 16);
		if (c)
			return c;
	} else {
		c = memcmp(x->dev, y->dev, 16);
		if (c)
			return c;
		return x->wildcard - y->wildcard;
	}
	return x->plen - y->plen;
}

/* canonical: sorted, deduplicated */
static size_t canonical(struct p53g_entry *e, size_t n)
{
	size_t i, m = 0;

	qsort(e, n, sizeof(*e), cmp_entry);
	for (i = 0; i < n; i++)
		if (!m || cmp_entry(&e[m - 1], &e[i]))
			e[m++] = e[i];
	return m;
}

/* an address near a random entry of @e (or anywhere) */
static void rnd_addr(const struct p53g_entry *e, size_t n, unsigned int w,
		     u32 *a4, struct in6_addr *a6)
{
	const struct p53g_entry *p = n ? &e[rnd() % n] : NULL;
	unsigned int how = p ? rnd() % 5 : 0, i;
	u64 r = rnd();

	*a4 = r >> 32;
	for (i = 0; i < 16; i++)
		a6->s6_addr[i] = rnd();

	if (w == 32) {
		u32 m = p ? mask4(p->plen) : 0, base = p ? ntohl(p->v4) : 0;

		switch (how) {
		case 0: *a4 = r; break;			/* anywhere */
		case 1: *a4 = base | (r & ~m); break;	/* inside */
		case 2: *a4 = base; break;		/* first */
		case 3: *a4 = base | ~m; break;		/* last */
		default: *a4 = r & 1 ? base - 1 : (base | ~m) + 1; break;
		}
		return;
	}
	if (!how)
		return;
	{
		struct in6_addr in = p->v6, last, host = *a6;
		unsigned int l = p->plen, carry;

		for (i = 0; i < 16; i++) {
			u8 m = l >= 8 * (i + 1) ? 0xff :
			       l <= 8 * i ? 0 : (u8)(0xff00 >> (l - 8 * i));

			last.s6_addr[i] = in.s6_addr[i] | (u8)~m;
			host.s6_addr[i] = in.s6_addr[i] | (host.s6_addr[i] & (u8)~m);
		}
		switch (how) {
		case 1: *a6 = host; break;
		case 2: *a6 = in; break;
		case 3: *a6 = last; break;
		default:
			if (r & 1) {	/* first - 1 */
				*a6 = in;
				for (i = 16, carry = 1; i-- > 0 && carry;)
					carry = !a6->s6_addr[i]--;
			} else {	/* last + 1 */
				*a6 = last;
				for (i = 16, carry = 1; i-- > 0 && carry;)
					carry = !++a6->s6_addr[i];
			}
		}
	}
}

/*
 * A random set of @n prefixes (family width @w), @k lookups, against the
 * linear matcher (small sets) and the per-length oracle.
 */
static void diff_prefixes(unsigned int w, enum mix mix, size_t n, size_t k,
			  int unsorted)
{
	struct p53g_entry *e = calloc(n ? 2 * n : 1, sizeof(*e));
	u64 pool[4] = { rnd(), rnd(), rnd(), rnd() };
	struct oracle o;
	struct p53g_pset *s;
	struct in6_addr a6;
	size_t i, m, hits = 0;
	char what[160];
	u32 a4;
	int want, got, lin;

	group_start();
	for (i = 0; i < n; i++)
		rnd_entry(&e[i], mix, w, n, pool);
	m = n;
	if (unsorted) {		/* random order, with duplicates */
		for (i = 0; i < n / 4; i++)
			e[m++] = e[rnd() % n];
		s = p53g_pset_build(e, m);
		m = canonical(e, m);
	} else {
		m = canonical(e, m);
		s = p53g_pset_build(e, m);
	}
	check(!!s, "build of %zu prefixes failed", n);
	if (!s)
		goto out;
	check(p53g_pset_count(s, w == 32 ? P53G_ENTRY_V4 : P53G_ENTRY_V6) == m,
	      "count %zu, want %zu", p53g_pset_count(s, w == 32 ? P53G_ENTRY_V4 : P53G_ENTRY_V6), m);
	oracle_build(&o, e, m);
	for (i = 0; i < k; i++) {
		rnd_addr(e, m, w, &a4, &a6);
		if (w == 32) {
			got = p53g_pset_match_v4(s, htonl(a4));
			want = oracle_v4(&o, a4);
			lin = m <= 2000 ? brute_v4(e, m, a4) : want;
			snprintf(what, sizeof(what), "%u.%u.%u.%u", a4 >> 24,
				 a4 >> 16 & 255, a4 >> 8 & 255, a4 & 255);
			check(!p53g_pset_match_v6(s, &a6), "v6 lookup in a v4 set matched");
		} else {
			got = p53g_pset_match_v6(s, &a6);
			want = oracle_v6(&o, &a6);
			lin = m <= 2000 ? brute_v6(e, m, &a6) : want;
			inet_ntop(AF_INET6, &a6, what, sizeof(what));
			check(!p53g_pset_match_v4(s, htonl(a4)), "v4 lookup in a v6 set matched");
		}
		hits += want;
		check(got == want && lin == want, "%s: set %d, oracle %d, linear %d",
		      what, got, want, lin);
	}
	/* both answers must have occurred, or the test proves little */
	check(hits > 0 || m == 0, "no lookup hit");
	check(hits < k, "every lookup hit");
	/* the entries read back are the canonical list */
	for (i = 0; i < m; i++) {
		struct p53g_entry out;

		if (i % (m / 1000 + 1))
			continue;
		check(p53g_pset_entry(s, i, &out) && !cmp_entry(&out, &e[i]) &&
		      p53g_pset_has_entry(s, &e[i]), "entry %zu differs", i);
	}
	if (PSET_TEST_DEFAULT && w == 32 && n >= 100000)
		check(p53g_pset_bytes(s) <= 32 * m, "%zu bytes for %zu prefixes",
		      p53g_pset_bytes(s), m);
	if (PSET_TEST_DEFAULT && w == 32 && n >= 1000000 && mix == MIX_24)
		check(p53g_pset_probes(s, P53G_ENTRY_V4) == 1,
		      "1M /24: %u probes", p53g_pset_probes(s, P53G_ENTRY_V4));
	snprintf(what, sizeof(what),
		 "differential: %zu %s %s prefixes%s, %zu lookups (%zu hits), %u probes, %.1f bytes/prefix",
		 m, mix_name[mix], w == 32 ? "IPv4" : "IPv6",
		 unsorted ? " (given unsorted, duplicated)" : "", k, hits,
		 p53g_pset_probes(s, w == 32 ? P53G_ENTRY_V4 : P53G_ENTRY_V6),
		 (double)p53g_pset_bytes(s) / (m ? m : 1));
	oracle_free(&o);
	p53g_pset_free(s);
	free(e);
	group_end(what);
	return;
out:
	free(e);
	group_end("differential: build");
}

static void setbit(u8 *a, unsigned int i)
{
	a[i / 8] |= 0x80 >> (i % 8);
}

static void fill_prefix(struct p53g_entry *p, unsigned int w, const u8 *a,
			unsigned int plen)
{
	memset(p, 0, sizeof(*p));
	p->plen = plen;
	if (w == 32) {
		p->kind = P53G_ENTRY_V4;
		memcpy(&p->v4, a, 4);
	} else {
		p->kind = P53G_ENTRY_V6;
		memcpy(&p->v6, a, 16);
	}
}

/*
 * Every length 2..w at once, disjoint (a /1 would cover half the space):
 * the most tables a set can ask for.  Down the all-zero path, the sibling
 * subtree at depth l-1 holds the /l staircase prefix in its first half;
 * for L >= 8, the second half of the sibling at depth L-7 holds
 * @per_len - 1 more /L prefixes.
 */
static void diff_all_lengths(unsigned int w, size_t per_len, size_t k)
{
	size_t n = w * per_len, i, m = 0, hits = 0;
	struct p53g_entry *e = calloc(n, sizeof(*e));
	struct p53g_pset *s;
	struct oracle o;
	struct in6_addr a6;
	unsigned int l, b;
	char what[160];
	u8 a[16];
	u32 a4;

	group_start();
	for (l = 2; l <= w; l++) {
		memset(a, 0, sizeof(a));
		setbit(a, l - 2);
		fill_prefix(&e[m++], w, a, l);
		for (i = 1; i < per_len && l >= 8; i++) {
			u64 r = rnd() % 64;

			memset(a, 0, sizeof(a));
			setbit(a, l - 8);
			setbit(a, l - 7);
			for (b = 0; b < 6; b++)
				if (r >> b & 1)
					setbit(a, l - 1 - b);
			fill_prefix(&e[m++], w, a, l);
		}
	}
	m = canonical(e, m);
	s = p53g_pset_build(e, m);
	check(!!s, "build failed");
	if (!s)
		goto out;
	oracle_build(&o, e, m);
	for (i = 0; i < k; i++) {
		int got, want;

		rnd_addr(e, m, w, &a4, &a6);
		got = w == 32 ? p53g_pset_match_v4(s, htonl(a4)) :
				p53g_pset_match_v6(s, &a6);
		want = w == 32 ? oracle_v4(&o, a4) : oracle_v6(&o, &a6);
		hits += want;
		check(got == want, "lookup %zu: set %d, oracle %d", i, got, want);
	}
	check(hits > 0 && hits < k, "%zu hits of %zu", hits, k);
	/* a binary search over at most 32 or 128 tables, and the bitmap */
	check(p53g_pset_probes(s, w == 32 ? P53G_ENTRY_V4 : P53G_ENTRY_V6) <=
	      (w == 32 ? 7u : 9u), "%u probes",
	      p53g_pset_probes(s, w == 32 ? P53G_ENTRY_V4 : P53G_ENTRY_V6));
	snprintf(what, sizeof(what),
		 "differential: all %u %s lengths 2-%u present (%zu prefixes), %zu lookups, %u probes, %.1f bytes/prefix",
		 w - 1, w == 32 ? "IPv4" : "IPv6", w, m, k,
		 p53g_pset_probes(s, w == 32 ? P53G_ENTRY_V4 : P53G_ENTRY_V6),
		 (double)p53g_pset_bytes(s) / m);
	oracle_free(&o);
	p53g_pset_free(s);
	free(e);
	group_end(what);
	return;
out:
	free(e);
	group_end("differential: all lengths");
}

static void diff_devs(size_t n, size_t k)
{
	struct p53g_entry *e = calloc(n + 1, sizeof(*e));
	struct p53g_pset *s;
	size_t i, hits = 0;
	char name[20], what[120];

	group_start();
	for (i = 0; i < n; i++) {
		unsigned int len = 1 + rnd() % 7;

		e[i].kind = P53G_ENTRY_DEV;
		e[i].wildcard = rnd() % 3 == 0;
		if (e[i].wildcard && len < 3 && n > 10)
			len += 2;	/* so that some names miss */
		e[i].namelen = len;
		rnd_name(name, len);
		memcpy(e[i].dev, name, len);
	}
	n = canonical(e, n);
	s = p53g_pset_build(e, n);
	check(!!s, "build failed");
	for (i = 0; s && i < k; i++) {
		unsigned int len = rnd() % 16;
		int got, want;

		if (rnd() & 1 && n) {	/* an entry's name, maybe extended */
			const struct p53g_entry *p = &e[rnd() % n];

			memcpy(name, p->dev, p->namelen);
			rnd_name(name + p->namelen, len % (16 - p->namelen));
		} else {
			rnd_name(name, len);
		}
		got = p53g_pset_match_dev(s, name);
		want = brute_dev(e, n, name);
		hits += want;
		check(got == want, "dev %s: set %d, linear %d", name, got, want);
	}
	check(hits > 0 && hits < k, "%zu hits of %zu", hits, k);
	snprintf(what, sizeof(what),
		 "differential: %zu interface names, %zu lookups (%zu hits)", n,
		 k, hits);
	p53g_pset_free(s);
	free(e);
	group_end(what);
}

int main(void)
{
	const char *env = getenv("P53G_SEED");
	static const size_t sizes[] = { 1, 2, 3, 10, 100, 1000, 10000, 100000 };
	unsigned int i, mix;

	rng_state = env ? strtoull(env, NULL, 0) : 53;
	printf("# pset tests, %s, P53G_SEED=%llu\n", PSET_TEST_VARIANT,
	       (unsigned long long)rng_state);
	test_table();
	test_api();
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (mix = MIX_UNIFORM; mix <= MIX_CLUSTER; mix++) {
			if (mix == MIX_48)
				continue;
			diff_prefixes(32, mix, sizes[i], 20000, 0);
			diff_prefixes(128, mix == MIX_24 ? MIX_48 : mix,
				      sizes[i], 20000, 0);
		}
		diff_prefixes(32, MIX_UNIFORM, sizes[i], 5000, 1);
		diff_prefixes(128, MIX_UNIFORM, sizes[i], 5000, 1);
	}
	diff_prefixes(32, MIX_SEQ, 100000, 20000, 0);
	diff_prefixes(128, MIX_SEQ, 100000, 20000, 0);
	diff_all_lengths(32, 1, 20000);
	diff_all_lengths(32, 50, 20000);
	diff_all_lengths(128, 1, 20000);
	diff_all_lengths(128, 50, 20000);
	diff_devs(5, 20000);
	diff_devs(200, 20000);
	diff_devs(5000, 20000);
	if (PSET_TEST_DEFAULT) {
		diff_prefixes(32, MIX_24, 1000000, 200000, 0);
		diff_prefixes(32, MIX_BGP, 1000000, 200000, 0);
	}
	printf("# pset: %d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
