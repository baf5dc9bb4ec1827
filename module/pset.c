// SPDX-License-Identifier: GPL-2.0
/*
 * The exemption set read in the packet path.
 *
 * A lookup answers yes or no: is the address inside any exempt prefix.
 * That lets the build simplify before it indexes anything.
 *
 * 1. Collapse.  A prefix inside another exempt prefix changes no answer,
 *    so it is dropped; what is left are disjoint prefixes.  A /0 leaves a
 *    flag and nothing else.
 *
 * 2. Levels.  Each remaining prefix is stored at one level, a prefix length
 *    at least its own: /p stored at level l becomes the 2^(l-p) prefixes /l
 *    it covers (disjoint prefixes expand to distinct keys).  A probe masks
 *    the address to a level's length and looks it up there.  The shortest
 *    level may be a direct bitmap (lengths up to 24: 2 MiB at most)
 *    indexed by the address's top bits, a single load; every other level
 *    is a hash table.
 *
 * 3. Binary search on length (Waldvogel et al., SIGCOMM 1997).  The tables
 *    are probed like a sorted array: a table holding the address's prefix
 *    answers yes, one holding a marker (a longer prefix starts with these
 *    bits) sends the search to longer tables, one holding neither to
 *    shorter ones.  Since no prefix is inside another, no backtracking is
 *    needed.  k tables cost at most floor(log2 k) + 1 probes: 33 tables,
 *    6 probes.  A marker is one more key, shared by the prefixes it leads
 *    to, and flagged by the first bit past the level's length.
 *
 * 4. Choosing the levels.  The build picks them by dynamic programming
 *    over the lengths present: for each count of tables, with or without
 *    a bitmap, the levels that expand least; of those plans, counting
 *    their markers too, the fewest probes (a bitmap weighs a quarter of a
 *    table) that fit a budget of PSET_BUDGET_V4 bytes per collapsed IPv4 prefix
 *    (PSET_BUDGET_V6 for IPv6) plus PSET_SLACK, or else the least memory.
 *    So a million /24s become one 2 MiB bitmap, a thousand /24s one table,
 *    a BGP-like mix of /8-/32 a bitmap and one or two tables.  None of
 *    this depends on how many prefixes there are: the cost of a lookup is
 *    flat as the list grows.
 *
 * 5. Tables.  Bucketized cuckoo hashing: every key lives in one of its two
 *    buckets of four slots, so a probe reads exactly eight slots (sixteen
 *    in a table with markers that misses): the same instructions hit or
 *    miss, at any size, whatever source address an attacker picks.  Keys
 *    are 4 bytes (up to 32 bits), 8 (up to 64) or 16; tables are 86% full,
 *    4.6 bytes per IPv4 key.  Empty slots hold a copy of a key of the
 *    table, so a probe needs no "empty" test.  Each table has its own seed
 *    from get_random_u64() at every build, mixed into the key by a 64-bit
 *    multiply-xorshift finaliser: a list cannot be prepared to defeat
 *    insertion, and an insertion that still fails retries with a new seed,
 *    then with more buckets.
 *
 * Interfaces: a name (at most 15 bytes), its length and its wildcard flag
 * pack into a 16-byte key of one more cuckoo table.  A name is probed as
 * itself, then as a wildcard of each length present (a 16-bit mask):
 * "wg+" matches "wg0" when the probe for the wildcard "wg" finds its key.
 *
 * The set also keeps the entries, compactly (IPv4 5 bytes, IPv6 17, an
 * interface 16), sorted and deduplicated, so that the list can be printed
 * and edited from the set alone; p53g_pset_bytes() counts them too.
 */

#include "p53g_kernel.h"

#include "pset.h"

/*
 * Past a page, vmalloc: kvmalloc() would try the page allocator first,
 * which rounds up to a power of two pages, up to twice the memory.
 */
static void *pset_zalloc(size_t size)
{
	if (size > PAGE_SIZE)
		return vzalloc(size);
	return kzalloc(size, GFP_KERNEL);
}

static size_t pset_allocated(size_t size)
{
	if (size > PAGE_SIZE)
		return PAGE_ALIGN(size);
	return kmalloc_size_roundup(size);
}

#define pset_free_mem(p)		kvfree(p)
#define pset_random()			get_random_u64()
#define pset_sort(base, n, size, cmp)	sort(base, n, size, cmp, NULL)
#define pset_resched()			cond_resched()
#define pset_popcount(x)		hweight32(x)

#define PSET_SLOTS	4		/* keys per bucket */
#define PSET_BMAX	24		/* longest bitmap level: 2^24 bits */
#define PSET_KICKS	512		/* displacements before an insertion fails */
#define PSET_TRIES	8		/* seeds (and sizes) before a build fails */
#define PSET_MAXKEYS	0x80000000ULL	/* keys in one table */
#define PSET_INF	(~0ULL)
#define PSET_WILD	0x80		/* in the last byte of an interface key */
#define PSET_NAMEMAX	15		/* IFNAMSIZ - 1 */

/* the planner's lookup costs, in quarters of a table probe */
#define PSET_COST_TABLE		4
#define PSET_COST_BITMAP	1

/* lookup memory the planner may spend to save probes, per prefix */
#ifndef PSET_BUDGET_V4
#define PSET_BUDGET_V4	20
#endif
#ifndef PSET_BUDGET_V6
#define PSET_BUDGET_V6	40
#endif
#ifndef PSET_SLACK
#define PSET_SLACK	4096
#endif

struct pset_key {
	u64 hi;
	u64 lo;
};

/* One hash table: the prefixes of one length, addresses masked to it. */
struct pset_level {
	u64 mhi;		/* netmask over the 128-bit key */
	u64 mlo;
	u64 fhi;		/* marker flag: the first bit past the mask, */
	u64 flo;		/* or 0 when the table holds no markers */
	u64 seed;
	void *slots;		/* nbuckets * PSET_SLOTS keys of ksize bytes */
	u32 nbuckets;
	u8 plen;
	u8 ksize;		/* 4 (keys up to 32 bits), 8 (to 64) or 16 */
};

/* What a probe of one table found. */
enum { PSET_NONE, PSET_MARKER, PSET_PREFIX };

/*
 * One address family.  Addresses are 128-bit keys, most significant bit
 * first; an IPv4 address takes the top 32 bits.
 */
struct pset_fam {
	bool all;		/* a /0: every address */
	u8 bmlen;		/* the bitmap's length, 0 for none */
	u8 width;		/* 32 or 128 */
	u32 nlv;
	u64 *bitmap;		/* bit i: addresses whose top bmlen bits are i */
	struct pset_level *lv;
	void *addr;		/* the entries: u32 or struct pset_key */
	u8 *plen;
	size_t n;
	size_t cap;		/* entries allocated */
};

/* An interface: the name zero padded, then its length | PSET_WILD. */
struct pset_name {
	u8 b[16];
};

struct p53g_pset {
	struct pset_fam v4;
	struct pset_fam v6;
	struct pset_level dev;
	struct pset_name *names;
	size_t ndev;
	size_t devcap;
	size_t nexact;
	u16 devwild;		/* bit L: a wildcard of length L */
	size_t bytes;
	struct rcu_head rcu;
};

/* Sort records, when the entries do not come sorted. */
struct pset_rec {
	u64 hi;
	u64 lo;
	u32 plen;
};

static void *pset_zalloc_array(size_t n, size_t size)
{
	if (!n || n > SIZE_MAX / size)
		return NULL;
	return pset_zalloc(n * size);
}

/* ---- the lookup ---- */

static inline u64 pset_mix(u64 x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline u32 pset_reduce(u32 h, u32 n)
{
	return ((u64)h * n) >> 32;
}

static inline u64 level_hash(const struct pset_level *lv, u64 khi, u64 klo)
{
	u64 h = pset_mix(khi ^ lv->seed);

	if (lv->ksize == 16)
		h = pset_mix(h ^ klo);
	return h;
}

static inline bool has32(const u32 *b, u32 k)
{
	return (b[0] == k) | (b[1] == k) | (b[2] == k) | (b[3] == k);
}

static inline bool has64(const u64 *b, u64 k)
{
	return (b[0] == k) | (b[1] == k) | (b[2] == k) | (b[3] == k);
}

static inline bool has128(const struct pset_key *b, u64 hi, u64 lo)
{
	return ((b[0].hi == hi) & (b[0].lo == lo)) |
	       ((b[1].hi == hi) & (b[1].lo == lo)) |
	       ((b[2].hi == hi) & (b[2].lo == lo)) |
	       ((b[3].hi == hi) & (b[3].lo == lo));
}

/* Whether the buckets at @b1 and @b2 hold the key @hi:@lo. */
static bool buckets_have(const struct pset_level *lv, size_t b1, size_t b2,
			 u64 hi, u64 lo)
{
	const struct pset_key *k = lv->slots;
	const u64 *d = lv->slots;
	const u32 *w = lv->slots;

	if (lv->ksize == 4)
		return has32(w + b1, hi >> 32) | has32(w + b2, hi >> 32);
	if (lv->ksize == 8)
		return has64(d + b1, hi) | has64(d + b2, hi);
	return has128(k + b1, hi, lo) | has128(k + b2, hi, lo);
}

/*
 * One probe: both buckets, all eight slots, no early exit; then, only in
 * a table with markers, the same slots for the key with its flag (out of
 * line: the common table has none).
 */
static __always_inline int level_probe(const struct pset_level *lv, u64 hi,
				       u64 lo)
{
	u64 khi = hi & lv->mhi;
	u64 klo = lo & lv->mlo;
	u64 h = level_hash(lv, khi, klo);
	size_t b1 = (size_t)pset_reduce(h, lv->nbuckets) * PSET_SLOTS;
	size_t b2 = (size_t)pset_reduce(h >> 32, lv->nbuckets) * PSET_SLOTS;

	if (lv->ksize == 4) {
		const u32 *w = lv->slots;
		u32 key = khi >> 32;

		if (has32(w + b1, key) | has32(w + b2, key))
			return PSET_PREFIX;
	} else if (buckets_have(lv, b1, b2, khi, klo)) {
		return PSET_PREFIX;
	}
	if (!(lv->fhi | lv->flo))
		return PSET_NONE;
	return buckets_have(lv, b1, b2, khi | lv->fhi, klo | lv->flo);
}

/*
 * The tables are searched like a sorted array, by length: a table found
 * to hold the address's prefix answers yes; one holding a marker (some
 * longer prefix starts with these bits) sends the search to the longer
 * tables; one holding neither, to the shorter.  No backtracking: the set
 * holds no prefix inside another, so when a marker says "longer", no
 * shorter prefix can hold the address.
 */
static noinline bool fam_search(const struct pset_fam *f, u64 hi, u64 lo)
{
	u32 first = 0, end = f->nlv, mid;
	int r;

	while (first < end) {
		mid = (first + end) / 2;
		r = level_probe(&f->lv[mid], hi, lo);
		if (r == PSET_PREFIX)
			return true;
		if (r == PSET_MARKER)
			first = mid + 1;
		else
			end = mid;
	}
	return false;
}

static inline bool fam_match(const struct pset_fam *f, u64 hi, u64 lo)
{
	if (f->all)
		return true;
	if (f->bmlen) {
		u64 bit = hi >> (64 - f->bmlen);

		if ((f->bitmap[bit >> 6] >> (bit & 63)) & 1)
			return true;
	}
	return f->nlv && fam_search(f, hi, lo);
}

static void in6_key(const struct in6_addr *a, u64 *hi, u64 *lo)
{
	__be64 x;

	memcpy(&x, &a->s6_addr[0], 8);
	*hi = be64_to_cpu(x);
	memcpy(&x, &a->s6_addr[8], 8);
	*lo = be64_to_cpu(x);
}

bool p53g_pset_match_v4(const struct p53g_pset *s, __be32 addr)
{
	return s && fam_match(&s->v4, (u64)be32_to_cpu(addr) << 32, 0);
}

bool p53g_pset_match_v6(const struct p53g_pset *s,
			const struct in6_addr *addr)
{
	u64 hi, lo;

	if (!s)
		return false;
	in6_key(addr, &hi, &lo);
	return fam_match(&s->v6, hi, lo);
}

static void name_key(struct pset_name *k, const char *name, unsigned int len,
		     u8 flag)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->b, name, len);
	k->b[15] = len | flag;
}

static bool dev_probe(const struct p53g_pset *s, const char *name,
		      unsigned int len, u8 flag)
{
	struct pset_name k;
	u64 hi, lo;

	name_key(&k, name, len, flag);
	memcpy(&hi, &k.b[0], 8);
	memcpy(&lo, &k.b[8], 8);
	return level_probe(&s->dev, hi, lo) == PSET_PREFIX;
}

bool p53g_pset_match_dev(const struct p53g_pset *s, const char *ifname)
{
	unsigned int len, wild;

	if (!s || !s->ndev)
		return false;
	len = strnlen(ifname, PSET_NAMEMAX + 1);
	if (len <= PSET_NAMEMAX && s->nexact && dev_probe(s, ifname, len, 0))
		return true;
	if (len > PSET_NAMEMAX)
		len = PSET_NAMEMAX;
	for (wild = s->devwild & ((2U << len) - 1); wild; wild &= wild - 1)
		if (dev_probe(s, ifname, __builtin_ctz(wild), PSET_WILD))
			return true;
	return false;
}

/* ---- building the tables ---- */

static void pset_mask(unsigned int plen, u64 *mhi, u64 *mlo)
{
	*mhi = plen >= 64 ? ~0ULL : plen ? ~0ULL << (64 - plen) : 0;
	*mlo = plen >= 128 ? ~0ULL : plen > 64 ? ~0ULL << (128 - plen) : 0;
}

static unsigned int pset_ksize(unsigned int plen)
{
	return plen <= 32 ? 4 : plen <= 64 ? 8 : 16;
}

/* buckets for @keys keys at 86% load: 37/128 of a bucket per key */
static u64 pset_nbuckets(u64 keys)
{
	u64 nb = (keys * 37 + 127) >> 7;

	return nb ? nb : 1;
}

static int key_cmp(u64 ahi, u64 alo, u64 bhi, u64 blo)
{
	if (ahi != bhi)
		return ahi < bhi ? -1 : 1;
	if (alo != blo)
		return alo < blo ? -1 : 1;
	return 0;
}

static void fam_get(const struct pset_fam *f, size_t i, u64 *hi, u64 *lo)
{
	if (f->width == 32) {
		*hi = (u64)((const u32 *)f->addr)[i] << 32;
		*lo = 0;
	} else {
		*hi = ((const struct pset_key *)f->addr)[i].hi;
		*lo = ((const struct pset_key *)f->addr)[i].lo;
	}
}

static void fam_set(struct pset_fam *f, size_t i, u64 hi, u64 lo)
{
	if (f->width == 32) {
		((u32 *)f->addr)[i] = hi >> 32;
	} else {
		((struct pset_key *)f->addr)[i].hi = hi;
		((struct pset_key *)f->addr)[i].lo = lo;
	}
}

/* entries in canonical order: address, then length */
static int fam_cmp(const struct pset_fam *f, size_t i, u64 hi, u64 lo,
		   unsigned int plen)
{
	u64 ihi, ilo;
	int c;

	fam_get(f, i, &ihi, &ilo);
	c = key_cmp(ihi, ilo, hi, lo);
	if (c)
		return c;
	return f->plen[i] < plen ? -1 : f->plen[i] > plen;
}

static void slot_get(const struct pset_level *lv, size_t i, u64 *hi,
		     u64 *lo)
{
	*lo = 0;
	if (lv->ksize == 4) {
		*hi = (u64)((const u32 *)lv->slots)[i] << 32;
	} else if (lv->ksize == 8) {
		*hi = ((const u64 *)lv->slots)[i];
	} else {
		*hi = ((const struct pset_key *)lv->slots)[i].hi;
		*lo = ((const struct pset_key *)lv->slots)[i].lo;
	}
}

static void slot_set(struct pset_level *lv, size_t i, u64 hi, u64 lo)
{
	if (lv->ksize == 4) {
		((u32 *)lv->slots)[i] = hi >> 32;
	} else if (lv->ksize == 8) {
		((u64 *)lv->slots)[i] = hi;
	} else {
		((struct pset_key *)lv->slots)[i].hi = hi;
		((struct pset_key *)lv->slots)[i].lo = lo;
	}
}

/* A table being filled. */
struct pset_fill {
	struct pset_level *lv;
	u8 *cnt;		/* keys in each bucket */
	u64 rng;
};

static u32 fill_rand(struct pset_fill *fl)
{
	fl->rng ^= fl->rng << 13;
	fl->rng ^= fl->rng >> 7;
	fl->rng ^= fl->rng << 17;
	return fl->rng >> 32;
}

/* Cuckoo insertion by random walk; false: the table needs a new seed. */
static bool fill_key(struct pset_fill *fl, u64 hi, u64 lo)
{
	struct pset_level *lv = fl->lv;
	u32 b1, b2, b, from = ~0U, r;
	unsigned int kick;
	size_t j;
	u64 h, vhi, vlo;

	for (kick = 0; kick < PSET_KICKS; kick++) {
		h = level_hash(lv, hi & lv->mhi, lo & lv->mlo);
		b1 = pset_reduce(h, lv->nbuckets);
		b2 = pset_reduce(h >> 32, lv->nbuckets);
		if (fl->cnt[b1] < PSET_SLOTS) {
			b = b1;
			goto put;
		}
		if (fl->cnt[b2] < PSET_SLOTS) {
			b = b2;
			goto put;
		}
		/* evict from the bucket the key in hand did not come from */
		r = fill_rand(fl);
		if (b1 == from)
			b = b2;
		else if (b2 == from)
			b = b1;
		else
			b = r & 4 ? b1 : b2;
		j = (size_t)b * PSET_SLOTS + (r & (PSET_SLOTS - 1));
		slot_get(lv, j, &vhi, &vlo);
		slot_set(lv, j, hi, lo);
		hi = vhi;
		lo = vlo;
		from = b;
	}
	return false;
put:
	slot_set(lv, (size_t)b * PSET_SLOTS + fl->cnt[b]++, hi, lo);
	return true;
}

/* Empty slots take a key that is in the table: never a false match. */
static void fill_pad(struct pset_fill *fl)
{
	struct pset_level *lv = fl->lv;
	size_t b, i, first = 0;
	u64 hi, lo;

	while (!fl->cnt[first])
		first++;
	slot_get(lv, first * PSET_SLOTS, &hi, &lo);
	for (b = 0; b < lv->nbuckets; b++)
		for (i = fl->cnt[b]; i < PSET_SLOTS; i++)
			slot_set(lv, b * PSET_SLOTS + i, hi, lo);
}

/*
 * Build @lv's table from @keys keys (at least one), which @source inserts
 * with fill_key().
 */
static int level_build(struct pset_level *lv, u64 keys,
		       bool (*source)(struct pset_fill *fl, const void *ctx),
		       const void *ctx)
{
	struct pset_fill fl = { .lv = lv };
	u64 nb = pset_nbuckets(keys);
	unsigned int try;

	for (try = 0; try < PSET_TRIES; try++) {
		if (nb > ~0U)
			return -ENOMEM;
		lv->nbuckets = nb;
		lv->seed = pset_random();
		fl.rng = lv->seed | 1;
		lv->slots = pset_zalloc_array(nb * PSET_SLOTS, lv->ksize);
		fl.cnt = pset_zalloc_array(nb, 1);
		if (!lv->slots || !fl.cnt)
			break;
		if (source(&fl, ctx)) {
			fill_pad(&fl);
			pset_free_mem(fl.cnt);
			return 0;
		}
		pset_free_mem(lv->slots);
		pset_free_mem(fl.cnt);
		lv->slots = NULL;
		if (try)
			nb += nb / 8 + 1;
	}
	pset_free_mem(lv->slots);
	pset_free_mem(fl.cnt);
	lv->slots = NULL;
	return -ENOMEM;
}

/*
 * What one table of a family holds: the prefixes kept by the collapse with
 * lengths in (lo, hi], expanded to hi; and, when mk > hi, a marker for
 * each distinct hi-bit start of the prefixes with lengths in (hi, mk].
 */
struct pset_span {
	const struct pset_fam *f;
	const u64 *kept;
	const struct pset_level *lv;
	unsigned int lo;
	unsigned int hi;
	unsigned int mk;
};

static bool kept_test(const u64 *kept, size_t i)
{
	return (kept[i / 64] >> (i % 64)) & 1;
}

/*
 * The markers of @sp, counted, or inserted into @fl.  Entries are sorted
 * by address, so equal markers come in a row.
 */
static u64 span_markers(const struct pset_span *sp, struct pset_fill *fl)
{
	const struct pset_fam *f = sp->f;
	const struct pset_level *lv = sp->lv;
	u64 hi, lo, phi = 0, plo = 0, n = 0;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (!kept_test(sp->kept, i) || f->plen[i] <= sp->hi ||
		    f->plen[i] > sp->mk)
			continue;
		fam_get(f, i, &hi, &lo);
		hi &= lv->mhi;
		lo &= lv->mlo;
		if (n && hi == phi && lo == plo)
			continue;
		phi = hi;
		plo = lo;
		n++;
		if (fl && !fill_key(fl, hi | lv->fhi, lo | lv->flo))
			return 0;
		if (!(n % 1024))
			pset_resched();
	}
	return n;
}

static bool span_fill(struct pset_fill *fl, const void *ctx)
{
	const struct pset_span *sp = ctx;
	const struct pset_fam *f = sp->f;
	unsigned int pos = 128 - sp->hi;
	u64 shi = pos >= 64 ? 1ULL << (pos - 64) : 0;
	u64 slo = pos >= 64 ? 0 : 1ULL << pos;
	u64 hi, lo, k, nk;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (!kept_test(sp->kept, i) || f->plen[i] <= sp->lo ||
		    f->plen[i] > sp->hi)
			continue;
		fam_get(f, i, &hi, &lo);
		nk = 1ULL << (sp->hi - f->plen[i]);
		for (k = 0; k < nk; k++) {
			if (!fill_key(fl, hi, lo))
				return false;
			lo += slo;
			hi += shi + (lo < slo);
		}
		if (!(i % 1024))
			pset_resched();
	}
	return sp->mk <= sp->hi || span_markers(sp, fl);
}

static bool names_fill(struct pset_fill *fl, const void *ctx)
{
	const struct p53g_pset *s = ctx;
	u64 hi, lo;
	size_t i;

	for (i = 0; i < s->ndev; i++) {
		memcpy(&hi, &s->names[i].b[0], 8);
		memcpy(&lo, &s->names[i].b[8], 8);
		if (!fill_key(fl, hi, lo))
			return false;
	}
	return true;
}

static void pset_bitmap_fill(u64 *bm, u64 start, u64 count)
{
	for (; count && start % 64; start++, count--)
		bm[start / 64] |= 1ULL << (start % 64);
	for (; count >= 64; start += 64, count -= 64)
		bm[start / 64] = ~0ULL;
	for (; count; start++, count--)
		bm[start / 64] |= 1ULL << (start % 64);
}

/* ---- choosing the levels ---- */

struct pset_plan {
	u8 bmlen;		/* a bitmap over lengths up to bmlen; 0: none */
	u8 nlv;
	u8 len[128];		/* the tables' lengths, ascending */
};

/* Work space of one family's build. */
struct pset_work {
	size_t cnt[129];		/* collapsed prefixes of each length */
	struct pset_plan plan;
	struct pset_plan cand;
	u8 len[128];			/* the lengths present */
	u64 cur[2][128];		/* [bitmap?][last table]: least memory */
	u64 nxt[2][128];
	u64 total[2][129];		/* [bitmap?][tables] covering all */
	u8 from[2][129][128];		/* previous table + 1, 0: first */
	u64 own[128];			/* keys of each table, expanded */
	u64 src[128];			/* prefixes stored in each table */
};

/* Probes a miss takes in a binary search over @k tables. */
static unsigned int pset_depth(unsigned int k)
{
	unsigned int d = 0;

	for (; k; k >>= 1)
		d++;
	return d;
}

/*
 * The binary search over @k tables reaches tables m+1 up to the returned
 * one (excluded) only through table @m: @m holds their markers.
 */
static unsigned int pset_marked_end(unsigned int m, unsigned int k)
{
	unsigned int first = 0, end = k, mid;

	for (;;) {
		mid = (first + end) / 2;
		if (mid == m)
			return end;
		if (m > mid)
			first = mid + 1;
		else
			end = mid;
	}
}

static u64 keys_add(u64 keys, u64 cnt, unsigned int shift)
{
	if (!cnt)
		return keys;
	if (shift > 62 || cnt > (PSET_MAXKEYS >> shift))
		return PSET_MAXKEYS + 1;
	keys += cnt << shift;
	return keys > PSET_MAXKEYS ? PSET_MAXKEYS + 1 : keys;
}

static u64 plan_table_bytes(u64 keys, unsigned int plen)
{
	if (keys > PSET_MAXKEYS)
		return PSET_INF;
	return sizeof(struct pset_level) +
	       pset_nbuckets(keys) * PSET_SLOTS * pset_ksize(plen);
}

static u64 plan_bitmap_bytes(unsigned int plen)
{
	return plen < 6 ? 8 : 1ULL << (plen - 3);
}

/*
 * Least memory to cover every length up to len[j] with the last table at
 * len[j], for each count of tables, with and without a bitmap first.
 */
static void plan_search(struct pset_work *w, unsigned int d)
{
	unsigned int b, i, j, k;
	u64 keys, mem;

	for (j = 0; j < d; j++) {
		w->cur[0][j] = PSET_INF;
		w->cur[1][j] = w->len[j] <= PSET_BMAX ?
			       plan_bitmap_bytes(w->len[j]) : PSET_INF;
	}
	for (k = 0; k <= d; k++) {
		w->total[0][k] = w->cur[0][d - 1];
		w->total[1][k] = w->cur[1][d - 1];
		if (k == d)
			break;
		for (j = 0; j < d; j++) {
			w->nxt[0][j] = PSET_INF;
			w->nxt[1][j] = PSET_INF;
			keys = 0;
			/* a table at len[j] over the lengths len[i..j] */
			for (i = j + 1; i-- > 0;) {
				keys = keys_add(keys, w->cnt[w->len[i]],
						w->len[j] - w->len[i]);
				mem = plan_table_bytes(keys, w->len[j]);
				if (mem == PSET_INF)
					break;
				if (!i) {
					if (!k) {
						w->nxt[0][j] = mem;
						w->from[0][1][j] = 0;
					}
					break;
				}
				for (b = 0; b < 2; b++) {
					if (w->cur[b][i - 1] == PSET_INF ||
					    w->cur[b][i - 1] + mem >=
					    w->nxt[b][j])
						continue;
					w->nxt[b][j] = w->cur[b][i - 1] + mem;
					w->from[b][k + 1][j] = i;
				}
			}
		}
		memcpy(w->cur, w->nxt, sizeof(w->cur));
		pset_resched();
	}
}

/* The tables of the least-memory way found with @b and @k into @p. */
static void plan_walk(struct pset_work *w, unsigned int d, unsigned int b,
		      unsigned int k, struct pset_plan *p)
{
	unsigned int i, j = d - 1;

	memset(p, 0, sizeof(*p));
	p->nlv = k;
	for (; k > 0; k--) {
		p->len[k - 1] = w->len[j];
		i = w->from[b][k][j];
		if (!i)
			break;
		j = i - 1;
	}
	if (b)
		p->bmlen = w->len[j];
}

/*
 * Memory of plan @p, markers included (one per prefix they lead to: an
 * upper bound, as prefixes sharing a start share a marker).
 */
static u64 plan_bytes(struct pset_work *w, const struct pset_plan *p)
{
	u64 bytes = p->bmlen ? plan_bitmap_bytes(p->bmlen) : 0, keys, t;
	unsigned int m, j, l, lo = p->bmlen, end;

	for (m = 0; m < p->nlv; lo = p->len[m++]) {
		w->own[m] = 0;
		w->src[m] = 0;
		for (l = lo + 1; l <= p->len[m]; l++) {
			w->own[m] = keys_add(w->own[m], w->cnt[l],
					     p->len[m] - l);
			w->src[m] = keys_add(w->src[m], w->cnt[l], 0);
		}
	}
	for (m = 0; m < p->nlv; m++) {
		end = pset_marked_end(m, p->nlv);
		for (keys = w->own[m], j = m + 1; j < end; j++)
			keys = keys_add(keys, w->src[j], 0);
		t = plan_table_bytes(keys, p->len[m] + (end > m + 1));
		if (t == PSET_INF)
			return PSET_INF;
		bytes += t;
	}
	return bytes;
}

static void plan_levels(struct pset_work *w, unsigned int width, u64 budget)
{
	unsigned int d = 0, b, k, i;
	u64 cost, mem, bcost = PSET_INF, bmem = PSET_INF;
	bool fits, bfits = false;

	memset(&w->plan, 0, sizeof(w->plan));
	for (i = 1; i <= width; i++)
		if (w->cnt[i])
			w->len[d++] = i;
	if (!d)
		return;
	plan_search(w, d);

	/* the fewest probes within budget, else the least memory */
	for (b = 0; b < 2; b++) {
		for (k = 0; k <= d; k++) {
			if (w->total[b][k] == PSET_INF)
				continue;
			plan_walk(w, d, b, k, &w->cand);
			mem = plan_bytes(w, &w->cand);
			if (mem == PSET_INF)
				continue;
			cost = pset_depth(k) * PSET_COST_TABLE +
			       b * PSET_COST_BITMAP;
			fits = mem <= budget;
			if (fits != bfits ? fits :
			    fits ? cost < bcost || (cost == bcost && mem < bmem)
				 : mem < bmem || (mem == bmem && cost < bcost)) {
				w->plan = w->cand;
				bcost = cost;
				bmem = mem;
				bfits = fits;
			}
		}
	}
}

/* ---- building a family ---- */

static int rec_cmp(const void *a, const void *b)
{
	const struct pset_rec *x = a, *y = b;
	int c = key_cmp(x->hi, x->lo, y->hi, y->lo);

	if (c)
		return c;
	return x->plen < y->plen ? -1 : x->plen > y->plen;
}

/* Sort and deduplicate entries that came in another order. */
static int fam_sort(struct pset_fam *f)
{
	struct pset_rec *r = pset_zalloc_array(f->n, sizeof(*r));
	size_t i, m = 0;

	if (!r)
		return -ENOMEM;
	for (i = 0; i < f->n; i++) {
		fam_get(f, i, &r[i].hi, &r[i].lo);
		r[i].plen = f->plen[i];
	}
	pset_sort(r, f->n, sizeof(*r), rec_cmp);
	for (i = 0; i < f->n; i++) {
		if (m && !rec_cmp(&r[m - 1], &r[i]))
			continue;
		r[m++] = r[i];
	}
	for (i = 0; i < m; i++) {
		fam_set(f, i, r[i].hi, r[i].lo);
		f->plen[i] = r[i].plen;
	}
	f->n = m;
	pset_free_mem(r);
	return 0;
}

static int fam_load(struct pset_fam *f, const struct p53g_entry *e, size_t n,
		    u8 kind, size_t count)
{
	bool sorted = true;
	u64 hi, lo, mhi, mlo;
	size_t i;

	f->width = kind == P53G_ENTRY_V4 ? 32 : 128;
	if (!count)
		return 0;
	f->addr = pset_zalloc_array(count, f->width == 32 ? 4 : 16);
	f->plen = pset_zalloc_array(count, 1);
	if (!f->addr || !f->plen)
		return -ENOMEM;
	f->cap = count;
	for (i = 0; i < n; i++) {
		if (e[i].kind != kind)
			continue;
		if (kind == P53G_ENTRY_V4) {
			hi = (u64)be32_to_cpu(e[i].v4) << 32;
			lo = 0;
		} else {
			in6_key(&e[i].v6, &hi, &lo);
		}
		pset_mask(e[i].plen, &mhi, &mlo);
		hi &= mhi;
		lo &= mlo;
		if (f->n && fam_cmp(f, f->n - 1, hi, lo, e[i].plen) >= 0)
			sorted = false;
		fam_set(f, f->n, hi, lo);
		f->plen[f->n++] = e[i].plen;
	}
	return sorted ? 0 : fam_sort(f);
}

/*
 * Mark the prefixes no other prefix covers and count them by length.  In
 * canonical order a covering prefix comes right before what it covers.
 */
static u64 *fam_collapse(const struct pset_fam *f, size_t *cnt)
{
	u64 *kept = pset_zalloc_array((f->n + 63) / 64, sizeof(u64));
	u64 hi, lo, ehi = 0, elo = 0, mhi, mlo;
	size_t i;

	if (!kept)
		return NULL;
	for (i = 0; i < f->n; i++) {
		fam_get(f, i, &hi, &lo);
		if (i && key_cmp(hi, lo, ehi, elo) <= 0)
			continue;
		pset_mask(f->plen[i], &mhi, &mlo);
		ehi = hi | ~mhi;
		elo = lo | ~mlo;
		kept[i / 64] |= 1ULL << (i % 64);
		cnt[f->plen[i]]++;
	}
	return kept;
}

static int fam_build(struct pset_fam *f, u64 per_prefix)
{
	struct pset_span sp = { .f = f };
	struct pset_work *w;
	unsigned int m, l;
	u64 kept_n = 0, keys;
	u64 *kept = NULL;
	int err = -ENOMEM;
	size_t i;

	if (!f->n)
		return 0;
	w = pset_zalloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	kept = fam_collapse(f, w->cnt);
	if (!kept)
		goto out;
	err = 0;
	if (w->cnt[0]) {
		f->all = true;
		goto out;
	}
	for (l = 1; l <= f->width; l++)
		kept_n += w->cnt[l];
	plan_levels(w, f->width, kept_n * per_prefix + PSET_SLACK);

	err = -ENOMEM;
	if (w->plan.bmlen) {
		f->bitmap = pset_zalloc(plan_bitmap_bytes(w->plan.bmlen));
		if (!f->bitmap)
			goto out;
		f->bmlen = w->plan.bmlen;
		for (i = 0; i < f->n; i++) {
			u64 hi, lo;

			if (!kept_test(kept, i) || f->plen[i] > f->bmlen)
				continue;
			fam_get(f, i, &hi, &lo);
			pset_bitmap_fill(f->bitmap, hi >> (64 - f->bmlen),
					 1ULL << (f->bmlen - f->plen[i]));
		}
	}
	if (w->plan.nlv) {
		f->lv = pset_zalloc_array(w->plan.nlv, sizeof(*f->lv));
		if (!f->lv)
			goto out;
	}
	sp.kept = kept;
	sp.lo = f->bmlen;
	for (m = 0; m < w->plan.nlv; m++, sp.lo = sp.hi) {
		struct pset_level *lv = &f->lv[m];
		unsigned int end = pset_marked_end(m, w->plan.nlv);

		sp.lv = lv;
		sp.hi = w->plan.len[m];
		sp.mk = end > m + 1 ? w->plan.len[end - 1] : 0;
		lv->plen = sp.hi;
		pset_mask(sp.hi, &lv->mhi, &lv->mlo);
		if (sp.mk) {
			pset_mask(sp.hi + 1, &lv->fhi, &lv->flo);
			lv->fhi &= ~lv->mhi;
			lv->flo &= ~lv->mlo;
		}
		lv->ksize = pset_ksize(sp.hi + !!sp.mk);
		for (keys = 0, l = sp.lo + 1; l <= sp.hi; l++)
			keys = keys_add(keys, w->cnt[l], sp.hi - l);
		if (sp.mk)
			keys += span_markers(&sp, NULL);
		err = level_build(lv, keys, span_fill, &sp);
		if (err)
			goto out;
		f->nlv++;
	}
	err = 0;
out:
	pset_free_mem(kept);
	pset_free_mem(w);
	return err;
}

static size_t fam_bytes(const struct pset_fam *f)
{
	size_t b = 0;
	u32 i;

	if (f->cap)
		b += pset_allocated(f->cap * (f->width == 32 ? 4 : 16)) +
		     pset_allocated(f->cap);
	if (f->bmlen)
		b += pset_allocated(plan_bitmap_bytes(f->bmlen));
	if (f->lv)
		b += pset_allocated(f->nlv * sizeof(*f->lv));
	for (i = 0; i < f->nlv; i++)
		b += pset_allocated((size_t)f->lv[i].nbuckets * PSET_SLOTS *
				    f->lv[i].ksize);
	return b;
}

static void fam_free(struct pset_fam *f)
{
	u32 i;

	for (i = 0; i < f->nlv; i++)
		pset_free_mem(f->lv[i].slots);
	pset_free_mem(f->lv);
	pset_free_mem(f->bitmap);
	pset_free_mem(f->addr);
	pset_free_mem(f->plen);
}

/* ---- interfaces ---- */

static int name_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pset_name));
}

static int dev_load(struct p53g_pset *s, const struct p53g_entry *e,
		    size_t n, size_t count)
{
	bool sorted = true;
	size_t i, m = 0;

	if (!count)
		return 0;
	s->names = pset_zalloc_array(count, sizeof(*s->names));
	if (!s->names)
		return -ENOMEM;
	s->devcap = count;
	for (i = 0; i < n; i++) {
		if (e[i].kind != P53G_ENTRY_DEV)
			continue;
		name_key(&s->names[m], e[i].dev, e[i].namelen,
			 e[i].wildcard ? PSET_WILD : 0);
		if (m && name_cmp(&s->names[m - 1], &s->names[m]) >= 0)
			sorted = false;
		m++;
	}
	if (!sorted) {
		pset_sort(s->names, m, sizeof(*s->names), name_cmp);
		for (i = 0, n = m, m = 0; i < n; i++)
			if (!m || name_cmp(&s->names[m - 1], &s->names[i]))
				s->names[m++] = s->names[i];
	}
	s->ndev = m;
	for (i = 0; i < m; i++) {
		u8 last = s->names[i].b[15];

		if (last & PSET_WILD)
			s->devwild |= 1U << (last & ~PSET_WILD);
		else
			s->nexact++;
	}
	s->dev.ksize = 16;
	s->dev.plen = 128;
	s->dev.mhi = ~0ULL;
	s->dev.mlo = ~0ULL;
	return level_build(&s->dev, m, names_fill, s);
}

/* ---- the API ---- */

static bool entry_valid(const struct p53g_entry *e)
{
	switch (e->kind) {
	case P53G_ENTRY_V4:
		return e->plen <= 32;
	case P53G_ENTRY_V6:
		return e->plen <= 128;
	case P53G_ENTRY_DEV:
		return e->namelen <= PSET_NAMEMAX &&
		       (e->namelen || e->wildcard) &&
		       !memchr(e->dev, 0, e->namelen);
	}
	return false;
}

struct p53g_pset *p53g_pset_build(const struct p53g_entry *e, size_t n)
{
	size_t i, n4 = 0, n6 = 0, nd = 0;
	struct p53g_pset *s;

	for (i = 0; i < n; i++) {
		if (!entry_valid(&e[i]))
			return NULL;
		n4 += e[i].kind == P53G_ENTRY_V4;
		n6 += e[i].kind == P53G_ENTRY_V6;
		nd += e[i].kind == P53G_ENTRY_DEV;
	}
	s = pset_zalloc(sizeof(*s));
	if (!s)
		return NULL;
	if (fam_load(&s->v4, e, n, P53G_ENTRY_V4, n4) ||
	    fam_load(&s->v6, e, n, P53G_ENTRY_V6, n6) ||
	    fam_build(&s->v4, PSET_BUDGET_V4) ||
	    fam_build(&s->v6, PSET_BUDGET_V6) ||
	    dev_load(s, e, n, nd)) {
		p53g_pset_free(s);
		return NULL;
	}
	s->bytes = pset_allocated(sizeof(*s)) + fam_bytes(&s->v4) +
		   fam_bytes(&s->v6);
	if (s->devcap)
		s->bytes += pset_allocated(s->devcap * sizeof(*s->names)) +
			    pset_allocated((size_t)s->dev.nbuckets *
					   PSET_SLOTS * s->dev.ksize);
	return s;
}

void p53g_pset_free(struct p53g_pset *s)
{
	if (!s)
		return;
	fam_free(&s->v4);
	fam_free(&s->v6);
	pset_free_mem(s->dev.slots);
	pset_free_mem(s->names);
	pset_free_mem(s);
}

static void pset_free_cb(struct rcu_head *head)
{
	p53g_pset_free(container_of(head, struct p53g_pset, rcu));
}

void p53g_pset_free_rcu(struct p53g_pset *s)
{
	if (s)
		call_rcu(&s->rcu, pset_free_cb);
}

size_t p53g_pset_bytes(const struct p53g_pset *s)
{
	return s ? s->bytes : 0;
}

size_t p53g_pset_total(const struct p53g_pset *s)
{
	return p53g_pset_count(s, P53G_ENTRY_V4) + p53g_pset_count(s, P53G_ENTRY_V6) +
	       p53g_pset_count(s, P53G_ENTRY_DEV);
}

size_t p53g_pset_count(const struct p53g_pset *s, enum p53g_entry_kind k)
{
	if (!s)
		return 0;
	switch (k) {
	case P53G_ENTRY_V4:
		return s->v4.n;
	case P53G_ENTRY_V6:
		return s->v6.n;
	case P53G_ENTRY_DEV:
		return s->ndev;
	}
	return 0;
}

unsigned int p53g_pset_probes(const struct p53g_pset *s,
			      enum p53g_entry_kind k)
{
	const struct pset_fam *f;

	if (!s)
		return 0;
	if (k == P53G_ENTRY_DEV)
		return s->ndev ? !!s->nexact + pset_popcount(s->devwild)
			       : 0;
	f = k == P53G_ENTRY_V4 ? &s->v4 : &s->v6;
	return f->all ? 0 : pset_depth(f->nlv) + !!f->bmlen;
}

bool p53g_pset_entry(const struct p53g_pset *s, size_t i,
		     struct p53g_entry *e)
{
	const struct pset_fam *f;
	u64 hi, lo;
	__be64 x;

	memset(e, 0, sizeof(*e));
	if (!s)
		return false;
	if (i < s->v4.n + s->v6.n) {
		f = i < s->v4.n ? &s->v4 : &s->v6;
		i -= f == &s->v6 ? s->v4.n : 0;
		fam_get(f, i, &hi, &lo);
		e->plen = f->plen[i];
		if (f == &s->v4) {
			e->kind = P53G_ENTRY_V4;
			e->v4 = cpu_to_be32(hi >> 32);
			return true;
		}
		e->kind = P53G_ENTRY_V6;
		x = cpu_to_be64(hi);
		memcpy(&e->v6.s6_addr[0], &x, 8);
		x = cpu_to_be64(lo);
		memcpy(&e->v6.s6_addr[8], &x, 8);
		return true;
	}
	i -= s->v4.n + s->v6.n;
	if (i >= s->ndev)
		return false;
	e->kind = P53G_ENTRY_DEV;
	e->namelen = s->names[i].b[15] & ~PSET_WILD;
	e->wildcard = !!(s->names[i].b[15] & PSET_WILD);
	memcpy(e->dev, s->names[i].b, e->namelen);
	return true;
}

bool p53g_pset_has_entry(const struct p53g_pset *s,
			 const struct p53g_entry *e)
{
	const struct pset_fam *f;
	size_t lo = 0, hi, mid;
	struct pset_name k;
	u64 khi, klo, mhi, mlo;
	int c;

	if (!s || !entry_valid(e))
		return false;
	if (e->kind == P53G_ENTRY_DEV) {
		name_key(&k, e->dev, e->namelen, e->wildcard ? PSET_WILD : 0);
		for (hi = s->ndev; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			c = name_cmp(&s->names[mid], &k);
			if (!c)
				return true;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return false;
	}
	if (e->kind == P53G_ENTRY_V4) {
		f = &s->v4;
		khi = (u64)be32_to_cpu(e->v4) << 32;
		klo = 0;
	} else {
		f = &s->v6;
		in6_key(&e->v6, &khi, &klo);
	}
	pset_mask(e->plen, &mhi, &mlo);
	for (hi = f->n; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		c = fam_cmp(f, mid, khi & mhi, klo & mlo, e->plen);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}
