/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The words the module and the tool share: the settings, their values'
 * grammar and defaults, the actions, and the outcomes a packet can have.
 * Pure C, built into both (names.c), so that they can never disagree.
 */
#ifndef P53G_NAMES_H
#define P53G_NAMES_H

#include "entry.h"

enum p53g_action {
	P53G_ACTION_REJECT,
	P53G_ACTION_DROP,
	P53G_ACTION_MONITOR,
	P53G_NR_ACTIONS,
};

enum p53g_setting {
	P53G_SET_ENABLED,
	P53G_SET_ACTION,
	P53G_SET_TCP,
	P53G_SET_LOOPBACK,
	P53G_SET_LOG,
	P53G_SET_RATE,
	P53G_SET_FORWARD,
	P53G_SET_AUTHORITATIVE,
	P53G_NR_SETTINGS,
};

enum p53g_setting_kind {
	P53G_KIND_BOOL,
	P53G_KIND_ACTION,
	P53G_KIND_RATE,
};

/* Replies per second the guard may send; 0 means no limit of its own. */
#define P53G_RATE_DEFAULT	300
#define P53G_RATE_MAX		1000000

/**
 * struct p53g_settings - every setting, as the packet path reads them
 * @enabled: when false every packet passes (and is counted as such)
 * @tcp: also refuse TCP SYNs to port 53, with a RST
 * @loopback: packets that arrive on a loopback device pass
 * @log: one rate-limited kernel log line per blocked packet
 * @forward: also judge queries DNATed from port 53 and routed on
 *	(NF_INET_FORWARD: ports published to containers and VMs)
 * @authoritative: queries that do not ask for recursion (RD=0, as
 *	resolvers ask authoritative servers) pass, counted as iterative
 * @action: enum p53g_action
 * @rate: replies per second, 0 for no limit
 */
struct p53g_settings {
	u8 enabled;
	u8 tcp;
	u8 loopback;
	u8 log;
	u8 forward;
	u8 authoritative;
	u8 action;
	u32 rate;
};

/* The protective defaults: what `modprobe port53guard` alone gives. */
#define P53G_SETTINGS_DEFAULT {					\
	.enabled = 1, .tcp = 0, .loopback = 1, .log = 0, .forward = 1,	\
	.authoritative = 0,						\
	.action = P53G_ACTION_REJECT, .rate = P53G_RATE_DEFAULT,	\
}

const char *p53g_setting_name(enum p53g_setting s);
enum p53g_setting_kind p53g_setting_kind(enum p53g_setting s);
int p53g_bool_parse(const char *v, size_t len, bool *val);
int p53g_setting_find(const char *name, size_t len);
int p53g_setting_parse(enum p53g_setting s, const char *v, size_t len,
		       u32 *val, const char **why);
int p53g_setting_format(enum p53g_setting s, u32 val, char *buf, size_t size);
u32 p53g_setting_get(const struct p53g_settings *c, enum p53g_setting s);
void p53g_setting_put(struct p53g_settings *c, enum p53g_setting s, u32 val);
const char *p53g_action_name(unsigned int action);

/**
 * enum p53g_outcome - what became of one packet that reached a hook
 * @P53G_PASSED: not a DNS query (another port or protocol, a later
 *	fragment, TCP while tcp=0, a TCP segment that is not a SYN; on
 *	FORWARD, anything that was not DNATed from port 53)
 * @P53G_DISABLED: any packet while enabled=0 (on FORWARD, also while
 *	forward=0)
 * @P53G_EXEMPT_LOOPBACK: a query that arrived on a loopback device
 * @P53G_EXEMPT_LIST: a query from an exempt prefix or interface
 * @P53G_REPLY: conntrack saw it as the reply of a flow this host started,
 *	and it is a TCP segment or a DNS response (QR set)
 * @P53G_MONITORED: a query let through because action=monitor
 * @P53G_REJECT_UNREACH: refused with ICMP/ICMPv6 port unreachable
 * @P53G_REJECT_RESET: a TCP SYN refused with a RST
 * @P53G_DROP_ACTION: dropped silently because action=drop
 * @P53G_DROP_RATELIMIT: a reply was due, but over the guard's rate limit
 *	(the bucket found empty before any other question, or its last token
 *	taken by another CPU after the header's; before the checksum)
 * @P53G_DROP_MALFORMED: headers cut short before the port: dropped
 * @P53G_DROP_NOREPLY: a reply was due, but the kernel's rules forbid one
 *	(to a broadcast or multicast address, from an unspecified or
 *	multicast source, a bad checksum: that one has spent a token): dropped
 * @P53G_ITERATIVE: with authoritative=1, a query that does not ask for
 *	recursion (a whole DNS header, QR and RD clear), let through; with
 *	tcp=1 also a TCP SYN to port 53 (its header comes later)
 * @P53G_NR_OUTCOMES: how many there are
 */
enum p53g_outcome {
	P53G_PASSED,
	P53G_DISABLED,
	P53G_EXEMPT_LOOPBACK,
	P53G_EXEMPT_LIST,
	P53G_REPLY,
	P53G_MONITORED,
	P53G_REJECT_UNREACH,
	P53G_REJECT_RESET,
	P53G_DROP_ACTION,
	P53G_DROP_RATELIMIT,
	P53G_DROP_MALFORMED,
	P53G_DROP_NOREPLY,
	P53G_ITERATIVE,
	P53G_NR_OUTCOMES,
};

/*
 * The totals the stats file leads with: every outcome is in exactly one
 * (rejected, dropped, monitored, exempted, replies, passed, disabled,
 * iterative).
 */
enum p53g_total {
	P53G_TOTAL_REJECTED,
	P53G_TOTAL_DROPPED,
	P53G_TOTAL_MONITORED,
	P53G_TOTAL_EXEMPTED,
	P53G_TOTAL_REPLIES,
	P53G_TOTAL_PASSED,
	P53G_TOTAL_DISABLED,
	P53G_TOTAL_ITERATIVE,
	P53G_NR_TOTALS,
};

const char *p53g_outcome_name(enum p53g_outcome o);
enum p53g_total p53g_outcome_total(enum p53g_outcome o);
const char *p53g_total_name(enum p53g_total t);

#endif /* P53G_NAMES_H */
