/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for module/entry.h, the shared entry parser's header, with the
 * same struct p53g_entry.  Used only while module/entry.h does not exist:
 * pset.h includes "entry.h", which the compiler looks for in module/ first.
 */
#ifndef P53G_ENTRY_H
#define P53G_ENTRY_H

#ifdef __KERNEL__
#include <linux/in6.h>
#include <linux/types.h>
#else
#include <linux/types.h>
#include <netinet/in.h>
typedef __u8 u8;
#endif

enum p53g_entry_kind { P53G_ENTRY_V4 = 1, P53G_ENTRY_V6, P53G_ENTRY_DEV };

struct p53g_entry {
	u8 kind;
	u8 plen;
	u8 wildcard;
	u8 namelen;
	union {
		__be32 v4;
		struct in6_addr v6;
		char dev[16];
	};
};

#endif /* P53G_ENTRY_H */
