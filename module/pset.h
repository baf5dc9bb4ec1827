/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exemption set as the packet path reads it: an immutable table built
 * once from a list of entries, then only looked up.  See pset.c for the
 * structure and its costs.
 *
 * The same source builds into the module and into userspace tests and
 * benchmarks; there tests/include/p53g_kernel.h stands in for the kernel.
 */
#ifndef P53G_PSET_H
#define P53G_PSET_H

#include "p53g_kernel.h"

#include "entry.h"

struct p53g_pset;

/**
 * p53g_pset_build() - build an immutable set from a list of entries
 * @e: the entries, canonical (IPv4, IPv6, interfaces, each sorted by
 *	address then length, or name), deduplicated, host bits cleared; any
 *	other order is sorted, duplicates dropped and host bits cleared here
 * @n: how many
 *
 * The set keeps its own copy of the entries, so @e may be freed after the
 * call; p53g_pset_entry() reads them back in canonical order.  Sleeps and
 * allocates: process context only, never under a spinlock or RCU read lock.
 *
 * Return: the set, or NULL when out of memory or when an entry is invalid
 * (unknown kind, prefix length too long, interface name empty or longer
 * than 15 bytes: a parser bug, never user input).
 */
struct p53g_pset *p53g_pset_build(const struct p53g_entry *e, size_t n);

/**
 * p53g_pset_free() - free a set and everything it allocated
 * @s: the set, or NULL
 *
 * No reader may still hold @s: free it only after an RCU grace period.
 */
void p53g_pset_free(struct p53g_pset *s);

/**
 * p53g_pset_free_rcu() - free a set after the current RCU grace period
 * @s: the set, already unpublished, or NULL
 *
 * Safe from any context that may call call_rcu().  Call rcu_barrier()
 * before the module is unloaded.
 */
void p53g_pset_free_rcu(struct p53g_pset *s);

/*
 * The lookups: yes or no, "is the address inside any exempt prefix" (not
 * longest match), "is the name an exempt interface".  They never lock,
 * allocate or sleep, and any number may run at once on one set.
 */
bool p53g_pset_match_v4(const struct p53g_pset *s, __be32 addr);
bool p53g_pset_match_v6(const struct p53g_pset *s,
			const struct in6_addr *addr);
/* @ifname: NUL-terminated (at most IFNAMSIZ bytes read) */
bool p53g_pset_match_dev(const struct p53g_pset *s, const char *ifname);

/* Bytes allocated for @s (slab and page rounding included). */
size_t p53g_pset_bytes(const struct p53g_pset *s);

/* Entries of kind @k kept in @s (after deduplication; before collapsing). */
size_t p53g_pset_count(const struct p53g_pset *s, enum p53g_entry_kind k);

/* Entries of every kind in @s (NULL: none). */
size_t p53g_pset_total(const struct p53g_pset *s);

/*
 * Probes a lookup of kind @k that finds nothing makes: tables plus the
 * direct bitmap; for interfaces, one plus one per wildcard length.
 */
unsigned int p53g_pset_probes(const struct p53g_pset *s,
			      enum p53g_entry_kind k);

/*
 * The @i-th entry in canonical order (all IPv4, then IPv6, then
 * interfaces) into @e; false when @i is past the end.
 */
bool p53g_pset_entry(const struct p53g_pset *s, size_t i,
		     struct p53g_entry *e);

/* Whether @e itself (not an address it covers) is in @s. */
bool p53g_pset_has_entry(const struct p53g_pset *s,
			 const struct p53g_entry *e);

#endif /* P53G_PSET_H */
