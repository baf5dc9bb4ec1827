/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exempt file: writes (edit.c's protocol) and reads of the list.
 */
#ifndef P53G_EXEMPT_H
#define P53G_EXEMPT_H

#include <linux/kconfig.h>
#include <linux/types.h>

struct p53g_pset;

/* Default and largest values of the max_entries module parameter. */
#define P53G_MAX_ENTRIES_DEFAULT	65536
#define P53G_MAX_ENTRIES_LIMIT		16777216U	/* 2^24 */

/**
 * struct p53g_exempt_info - the size of the live list
 * @entries: entries, all kinds
 * @v4: IPv4 prefixes
 * @v6: IPv6 prefixes
 * @dev: interfaces
 * @bytes: memory of the table the packet path reads
 * @text_bytes: memory of the list's text, kept once it has been read
 */
struct p53g_exempt_info {
	size_t entries;
	size_t v4;
	size_t v6;
	size_t dev;
	size_t bytes;
	size_t text_bytes;
};

int p53g_exempt_init(const char *param, unsigned int max_entries,
		     struct p53g_pset **list);
void p53g_exempt_exit(void);

ssize_t p53g_exempt_write(const char *buf, size_t len);
ssize_t p53g_exempt_read(char *buf, loff_t off, size_t count,
			 unsigned long *gen);
void p53g_exempt_info(struct p53g_exempt_info *info);

#if IS_ENABLED(CONFIG_KUNIT)
struct task_struct;
/* Whether a staged transaction's owner still runs (for the KUnit tests). */
bool p53g_owner_task_alive(const struct task_struct *t);
bool p53g_owner_alive(void *owner);
#endif

#endif /* P53G_EXEMPT_H */
