// SPDX-License-Identifier: GPL-2.0
/*
 * Microbenchmark of the packet-path exemption set (module/pset.c), meant to
 * run under valgrind --tool=callgrind --instr-atstart=no
 * --collect-atstart=no (see bench.sh): the set is built uninstrumented,
 * then only the lookup loop is counted, so callgrind's "Collected" total
 * divided by the lookup count is the instructions per lookup, loop and
 * call included (the "nop" kind measures that overhead alone).
 *
 *   pset_bench MODE N KIND LOOKUPS
 *     MODE  v4-24   N random IPv4 /24s
 *           v4-bgp  N random IPv4 prefixes, lengths /8-/32 shaped like a
 *                   BGP table (59% /24, 9% /22, 9% /23, ...)
 *           v6-48   N random IPv6 /48s
 *     KIND  random  uniformly random source addresses (mostly misses: the
 *                   attacker's case)
 *           hits    addresses inside random entries
 *           nop     the same loop calling an empty function
 *
 * Prints one line: entries= bytes= probes= hits=.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "pset.h"

static u64 rng_state = 53;

static u64 rnd(void)
{
	u64 x = (rng_state += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static unsigned int bgp_plen(void)
{
	/* per 100,000, /8 .. /32 */
	static const u32 bgp[] = {
		2, 1, 4, 10, 30, 60, 100, 200, 1300, 700, 1200, 2300, 3400,
		4000, 9000, 9300, 61804, 400, 400, 400, 400, 400, 400, 400,
		3789 };
	unsigned int r = rnd() % 100000, l;

	for (l = 0; l < sizeof(bgp) / sizeof(bgp[0]); l++) {
		if (r < bgp[l])
			return 8 + l;
		r -= bgp[l];
	}
	return 24;
}

static u32 mask4(unsigned int plen)
{
	return plen ? ~0U << (32 - plen) : 0;
}

static int v4;
static __be32 *a4;
static struct in6_addr *a6;

static __attribute__((__noinline__)) int nop(const struct p53g_pset *s, size_t i)
{
	__asm__ volatile("" : : "r"(s), "r"(i));
	return 0;
}

static __attribute__((__noinline__)) size_t run(const struct p53g_pset *s,
					    size_t k, int kind)
{
	size_t i, hits = 0;

	if (kind == 2) {
		for (i = 0; i < k; i++)
			hits += nop(s, i);
	} else if (v4) {
		for (i = 0; i < k; i++)
			hits += p53g_pset_match_v4(s, a4[i]);
	} else {
		for (i = 0; i < k; i++)
			hits += p53g_pset_match_v6(s, &a6[i]);
	}
	return hits;
}

int main(int argc, char **argv)
{
	struct p53g_entry *e;
	struct p53g_pset *s;
	size_t n, k, i, j, hits;
	const char *mode;
	int kind;

	if (argc != 5) {
		fprintf(stderr, "usage: pset_bench v4-24|v4-bgp|v6-48 N random|hits|nop LOOKUPS\n");
		return 2;
	}
	mode = argv[1];
	n = strtoul(argv[2], NULL, 0);
	kind = !strcmp(argv[3], "hits") ? 1 : !strcmp(argv[3], "nop") ? 2 : 0;
	k = strtoul(argv[4], NULL, 0);
	v4 = strncmp(mode, "v6", 2);

	e = calloc(n, sizeof(*e));
	a4 = calloc(k, sizeof(*a4));
	a6 = calloc(k, sizeof(*a6));
	if (!e || !a4 || !a6)
		return 1;
	for (i = 0; i < n; i++) {
		u64 r = rnd();

		if (v4) {
			e[i].kind = P53G_ENTRY_V4;
			if (!strcmp(mode, "v4-bgp")) {
				e[i].plen = bgp_plen();
				e[i].v4 = htonl((u32)r & mask4(e[i].plen));
			} else {	/* distinct: a bijection of i */
				u32 x = (i * 0x9e3779b1U + 0x5353U) & 0xffffff;

				x ^= x >> 12;
				x = (x * 0x2c1b3c6dU) & 0xffffff;
				x ^= x >> 11;
				e[i].plen = 24;
				e[i].v4 = htonl(x << 8);
			}
		} else {
			e[i].kind = P53G_ENTRY_V6;
			e[i].plen = 48;
			for (j = 0; j < 6; j++)
				e[i].v6.s6_addr[j] = r >> (8 * j);
		}
	}
	/* unsorted: the build sorts and deduplicates */
	s = p53g_pset_build(e, n);
	if (!s)
		return 1;
	for (i = 0; i < k; i++) {
		const struct p53g_entry *p = &e[rnd() % n];
		u64 r = rnd();

		if (v4) {
			a4[i] = kind == 1 ? htonl(ntohl(p->v4) | ((u32)r & ~mask4(p->plen)))
					  : (__be32)r;
		} else {
			for (j = 0; j < 16; j++)
				a6[i].s6_addr[j] = rnd();
			if (kind == 1)
				memcpy(&a6[i], &p->v6, 6);
		}
	}

	CALLGRIND_START_INSTRUMENTATION;
	CALLGRIND_TOGGLE_COLLECT;
	hits = run(s, k, kind);
	CALLGRIND_TOGGLE_COLLECT;
	CALLGRIND_STOP_INSTRUMENTATION;

	printf("entries=%zu bytes=%zu probes=%u hits=%zu\n",
	       p53g_pset_count(s, v4 ? P53G_ENTRY_V4 : P53G_ENTRY_V6),
	       p53g_pset_bytes(s),
	       p53g_pset_probes(s, v4 ? P53G_ENTRY_V4 : P53G_ENTRY_V6), hits);
	p53g_pset_free(s);
	free(e);
	free(a4);
	free(a6);
	return 0;
}
