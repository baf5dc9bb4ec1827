/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live configuration: every setting and the exemption table, one
 * immutable object behind one RCU pointer, so that a packet sees one
 * whole configuration, and a change of settings and list together (a
 * restore) reaches packets at once.
 */
#ifndef P53G_CONF_H
#define P53G_CONF_H

#include <linux/rcupdate.h>
#include <linux/types.h>

#include "names.h"

struct p53g_pset;

/**
 * struct p53g_cfg - one configuration, never changed once published
 * @s: the settings
 * @list: the exemption table (NULL: empty), owned by the configuration
 *	that first published it and handed on to the next one that keeps it
 * @rcu: for freeing after readers are done
 */
struct p53g_cfg {
	struct p53g_settings s;
	struct p53g_pset *list;
	struct rcu_head rcu;
};

/* Only the accessors below touch it. */
extern struct p53g_cfg __rcu *p53g_live;

/* The packet path: under rcu_read_lock() (every netfilter hook runs so). */
static inline const struct p53g_cfg *p53g_cfg_get(void)
{
	return rcu_dereference(p53g_live);
}

/* Writers: one at a time, killable (a list build can take seconds). */
int p53g_cfg_lock(void);
void p53g_cfg_unlock(void);
const struct p53g_cfg *p53g_cfg_locked(void);
struct p53g_cfg *p53g_cfg_alloc(void);
void p53g_cfg_publish(struct p53g_cfg *next, const struct p53g_settings *s,
		      struct p53g_pset *list, bool list_changed);

size_t p53g_cfg_entries(void);
int p53g_cfg_init(struct p53g_pset *list);
void p53g_cfg_exit(void);

int p53g_setting_write(enum p53g_setting s, const char *buf, size_t len);
int p53g_setting_show(enum p53g_setting s, char *buf);

#endif /* P53G_CONF_H */
