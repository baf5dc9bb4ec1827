/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guard's settings: what they are, their text form, and the one copy
 * the packet path reads. The same parsers serve the sysfs files and the
 * module parameters, so both accept exactly the same words.
 */
#ifndef P53G_CONF_H
#define P53G_CONF_H

#include <linux/compiler.h>
#include <linux/types.h>

enum p53g_action {
	P53G_ACTION_REJECT,
	P53G_ACTION_DROP,
	P53G_ACTION_MONITOR,
};

/* Replies per second the guard may send; 0 means no limit of its own. */
#define P53G_RATE_DEFAULT	300
#define P53G_RATE_MAX		1000000

/**
 * struct p53g_conf - the settings, as the packet path sees them
 * @enabled: when false every packet passes (and is counted as such)
 * @tcp: also refuse TCP SYNs to port 53, with a RST
 * @loopback: packets that arrive on a loopback device pass
 * @log: one rate-limited kernel log line per blocked packet
 * @forward: also judge queries DNATed from port 53 and routed on
 *	(NF_INET_FORWARD: ports published to containers and VMs)
 * @action: enum p53g_action
 * @rate: replies per second, 0 for no limit
 *
 * Every field is written with WRITE_ONCE() and read with READ_ONCE(): the
 * fields are independent, so a packet may see one setting changed and not
 * yet another, never a torn value.
 */
struct p53g_conf {
	bool enabled;
	bool tcp;
	bool loopback;
	bool log;
	bool forward;
	u8 action;
	u32 rate;
};

extern struct p53g_conf p53g_conf;

/* A consistent-per-field copy of the live settings, for one packet. */
static inline void p53g_conf_snapshot(struct p53g_conf *c)
{
	c->enabled = READ_ONCE(p53g_conf.enabled);
	c->tcp = READ_ONCE(p53g_conf.tcp);
	c->loopback = READ_ONCE(p53g_conf.loopback);
	c->log = READ_ONCE(p53g_conf.log);
	c->forward = READ_ONCE(p53g_conf.forward);
	c->action = READ_ONCE(p53g_conf.action);
	c->rate = READ_ONCE(p53g_conf.rate);
}

enum p53g_setting {
	P53G_SET_ENABLED,
	P53G_SET_ACTION,
	P53G_SET_TCP,
	P53G_SET_LOOPBACK,
	P53G_SET_LOG,
	P53G_SET_RATE,
	P53G_SET_FORWARD,
	P53G_NR_SETTINGS,
};

const char *p53g_setting_name(enum p53g_setting s);
int p53g_setting_store(enum p53g_setting s, const char *buf);
int p53g_setting_show(enum p53g_setting s, char *buf);

int p53g_parse_bool(const char *buf, bool *val);
int p53g_parse_action(const char *buf, u8 *val);
int p53g_parse_rate(const char *buf, u32 *val);
const char *p53g_action_name(u8 action);

#endif /* P53G_CONF_H */
