/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exemption-entry grammar: one parser, compiled into the module and into
 * the port53guard tool, so that the tool never accepts what the module
 * refuses. Pure C with no kernel-only calls; the includes below are all that
 * differs between the two builds.
 */
#ifndef P53G_ENTRY_H
#define P53G_ENTRY_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/if.h>
#include <linux/in6.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned int __be32;
#endif

/* Longest canonical entry plus its NUL ("ffff:...:ffff/128" is 43 bytes). */
#define P53G_ENTRY_MAXLEN	48

/*
 * A write to the sysfs exempt file holds at most this many bytes: less
 * than a page, the most sysfs hands over in one piece.
 */
#define P53G_CMD_WRITE_MAX	4095

enum p53g_entry_kind {
	P53G_ENTRY_V4 = 1,
	P53G_ENTRY_V6,
	P53G_ENTRY_DEV,
};

/**
 * struct p53g_entry - one exemption: an address prefix or an interface
 * @kind: enum p53g_entry_kind
 * @plen: prefix length; every bit of the address past it is zero
 * @wildcard: dev:NAME+, every interface whose name starts with @dev
 * @namelen: bytes used in @dev (0 only for the wildcard dev:+)
 * @v4: IPv4 prefix, network byte order
 * @v6: IPv6 prefix
 * @dev: interface name or name prefix, not NUL-terminated
 *
 * The parser zeroes the whole structure first, so equal entries are also
 * equal bytewise (memcmp), padding and unused union bytes included.
 */
struct p53g_entry {
	u8 kind;
	u8 plen;
	u8 wildcard;
	u8 namelen;
	union {
		__be32 v4;
		struct in6_addr v6;
		char dev[IFNAMSIZ];
	};
};

enum p53g_cmd_op {
	P53G_CMD_ADD = 1,
	P53G_CMD_DEL,
	P53G_CMD_FLUSH,
	P53G_CMD_BEGIN,
	P53G_CMD_COMMIT,
	P53G_CMD_ABORT,
	P53G_CMD_SET,
};

/**
 * struct p53g_cmd - one line written to the sysfs exempt file
 * @op: enum p53g_cmd_op
 * @setting: set: which setting (enum p53g_setting, names.h)
 * @value: set: its value
 * @entry: the entry of add and del, zeroed for the others
 */
struct p53g_cmd {
	u8 op;
	u8 setting;
	u32 value;
	struct p53g_entry entry;
};

/* What p53g_entry_parse_notes() says the stored entry changed. */
#define P53G_NOTE_MAPPED	0x1	/* ::ffff:a.b.c.d/n, stored as IPv4 */
#define P53G_NOTE_HOST_BITS	0x2	/* bits past the prefix length cleared */

int p53g_entry_parse(const char *s, size_t len, struct p53g_entry *e,
		     const char **why);
int p53g_entry_parse_notes(const char *s, size_t len, struct p53g_entry *e,
			   unsigned int *notes, const char **why);
int p53g_entry_format(const struct p53g_entry *e, char *buf, size_t size);
int p53g_entry_cmp(const struct p53g_entry *a, const struct p53g_entry *b);
int p53g_entry_covers(const struct p53g_entry *e, const struct p53g_entry *x);
int p53g_cmd_parse(const char *line, size_t len, struct p53g_cmd *cmd,
		   const char **why);

#endif /* P53G_ENTRY_H */
