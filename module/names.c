// SPDX-License-Identifier: GPL-2.0
/*
 * The words the module and the tool share (see names.h).
 *
 * Setting values are parsed strictly: a boolean is exactly 1, 0, y, n, Y
 * or N, an action one of its three words, a rate decimal digits only, at
 * most 1000000; one trailing newline is allowed (echo adds it), any other
 * byte refuses the value. The tool accepts friendlier spellings (yes, on,
 * true) and writes the one the module takes.
 */
#include "names.h"

static const struct {
	const char *name;
	u8 kind;
} p53g_setting_names[P53G_NR_SETTINGS] = {
	[P53G_SET_ENABLED] = { "enabled", P53G_KIND_BOOL },
	[P53G_SET_ACTION] = { "action", P53G_KIND_ACTION },
	[P53G_SET_TCP] = { "tcp", P53G_KIND_BOOL },
	[P53G_SET_LOOPBACK] = { "loopback", P53G_KIND_BOOL },
	[P53G_SET_LOG] = { "log", P53G_KIND_BOOL },
	[P53G_SET_RATE] = { "rate", P53G_KIND_RATE },
	[P53G_SET_FORWARD] = { "forward", P53G_KIND_BOOL },
	[P53G_SET_AUTHORITATIVE] = { "authoritative", P53G_KIND_BOOL },
};

static const char * const p53g_action_names[P53G_NR_ACTIONS] = {
	[P53G_ACTION_REJECT] = "reject",
	[P53G_ACTION_DROP] = "drop",
	[P53G_ACTION_MONITOR] = "monitor",
};

static const struct {
	const char *name;
	u8 total;
} p53g_outcome_names[P53G_NR_OUTCOMES] = {
	[P53G_PASSED] = { "passed", P53G_TOTAL_PASSED },
	[P53G_DISABLED] = { "disabled", P53G_TOTAL_DISABLED },
	[P53G_EXEMPT_LOOPBACK] = { "exempted_loopback", P53G_TOTAL_EXEMPTED },
	[P53G_EXEMPT_LIST] = { "exempted_list", P53G_TOTAL_EXEMPTED },
	[P53G_REPLY] = { "replies", P53G_TOTAL_REPLIES },
	[P53G_MONITORED] = { "monitored", P53G_TOTAL_MONITORED },
	[P53G_REJECT_UNREACH] = { "rejected_unreach", P53G_TOTAL_REJECTED },
	[P53G_REJECT_RESET] = { "tcp_reset", P53G_TOTAL_REJECTED },
	[P53G_DROP_ACTION] = { "dropped_action", P53G_TOTAL_DROPPED },
	[P53G_DROP_RATELIMIT] = { "dropped_ratelimit", P53G_TOTAL_DROPPED },
	[P53G_DROP_MALFORMED] = { "dropped_malformed", P53G_TOTAL_DROPPED },
	[P53G_DROP_NOREPLY] = { "dropped_noreply", P53G_TOTAL_DROPPED },
	[P53G_ITERATIVE] = { "iterative", P53G_TOTAL_ITERATIVE },
};

static const char * const p53g_total_names[P53G_NR_TOTALS] = {
	[P53G_TOTAL_REJECTED] = "rejected",
	[P53G_TOTAL_DROPPED] = "dropped",
	[P53G_TOTAL_MONITORED] = "monitored",
	[P53G_TOTAL_EXEMPTED] = "exempted",
	[P53G_TOTAL_REPLIES] = "replies",
	[P53G_TOTAL_PASSED] = "passed",
	[P53G_TOTAL_DISABLED] = "disabled",
	[P53G_TOTAL_ITERATIVE] = "iterative",
};

const char *p53g_setting_name(enum p53g_setting s)
{
	return s < P53G_NR_SETTINGS ? p53g_setting_names[s].name : "?";
}

enum p53g_setting_kind p53g_setting_kind(enum p53g_setting s)
{
	return p53g_setting_names[s].kind;
}

/* The setting named by @len bytes at @name, or -1. */
int p53g_setting_find(const char *name, size_t len)
{
	int s;

	for (s = 0; s < P53G_NR_SETTINGS; s++)
		if (len == strlen(p53g_setting_names[s].name) &&
		    !memcmp(name, p53g_setting_names[s].name, len))
			return s;
	return -1;
}

const char *p53g_action_name(unsigned int action)
{
	return action < P53G_NR_ACTIONS ? p53g_action_names[action] : "?";
}

static int p53g_names_fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

/**
 * p53g_bool_parse() - a boolean: exactly 1, 0, y, n, Y or N
 * @v: the text, not NUL-terminated; one trailing newline is allowed
 * @len: its length
 * @val: the value, on success
 *
 * Stricter than kstrtobool(), which reads only the first bytes ("yes",
 * "10" and "nonsense" would all pass).
 *
 * Return: 0 or -EINVAL.
 */
int p53g_bool_parse(const char *v, size_t len, bool *val)
{
	if (len && v[len - 1] == '\n')
		len--;
	if (len != 1)
		return -EINVAL;
	switch (v[0]) {
	case '1':
	case 'y':
	case 'Y':
		*val = true;
		return 0;
	case '0':
	case 'n':
	case 'N':
		*val = false;
		return 0;
	}
	return -EINVAL;
}

/**
 * p53g_setting_parse() - the value of a setting from its text
 * @s: which setting
 * @v: the text, not NUL-terminated; one trailing newline is allowed
 * @len: its length; nothing past it is read
 * @val: the value, on success (a boolean 0 or 1, an enum p53g_action, a
 *	rate)
 * @why: on failure, a short static English reason; may be NULL
 *
 * Return: 0, or -EINVAL with @val untouched.
 */
int p53g_setting_parse(enum p53g_setting s, const char *v, size_t len,
		       u32 *val, const char **why)
{
	unsigned int i;
	u32 r = 0;
	bool b;

	switch (p53g_setting_kind(s)) {
	case P53G_KIND_BOOL:
		if (p53g_bool_parse(v, len, &b))
			return p53g_names_fail(why, "must be 1 or 0");
		*val = b;
		return 0;
	case P53G_KIND_ACTION:
		if (len && v[len - 1] == '\n')
			len--;
		for (i = 0; i < P53G_NR_ACTIONS; i++) {
			if (len == strlen(p53g_action_names[i]) &&
			    !memcmp(v, p53g_action_names[i], len)) {
				*val = i;
				return 0;
			}
		}
		return p53g_names_fail(why, "must be reject, drop or monitor");
	case P53G_KIND_RATE:
		if (len && v[len - 1] == '\n')
			len--;
		/* Digits only (kstrtou32 would also take a sign), at most 1e6. */
		if (!len || len > 7)
			return p53g_names_fail(why, "must be a number 0-1000000");
		for (i = 0; i < len; i++) {
			if (v[i] < '0' || v[i] > '9')
				return p53g_names_fail(why, "must be a number 0-1000000");
			r = r * 10 + (v[i] - '0');
		}
		if (r > P53G_RATE_MAX)
			return p53g_names_fail(why, "must be a number 0-1000000");
		*val = r;
		return 0;
	}
	return p53g_names_fail(why, "unknown setting");
}

/**
 * p53g_setting_format() - a setting's value as the module prints it
 * @s: which setting
 * @val: its value
 * @buf: where to write it, NUL-terminated, without a newline
 * @size: the size of @buf
 *
 * Return: its length, or -ENOSPC if @buf is too small.
 */
int p53g_setting_format(enum p53g_setting s, u32 val, char *buf, size_t size)
{
	char digits[12];
	const char *t;
	size_t n = 0;

	switch (p53g_setting_kind(s)) {
	case P53G_KIND_ACTION:
		t = p53g_action_name(val);
		break;
	case P53G_KIND_BOOL:
		t = val ? "1" : "0";
		break;
	default:
		do {
			digits[sizeof(digits) - 1 - n++] = '0' + val % 10;
			val /= 10;
		} while (val && n < sizeof(digits) - 1);
		t = digits + sizeof(digits) - n;
		if (n + 1 > size)
			return -ENOSPC;
		memcpy(buf, t, n);
		buf[n] = '\0';
		return n;
	}
	n = strlen(t);
	if (n + 1 > size)
		return -ENOSPC;
	memcpy(buf, t, n + 1);
	return n;
}

u32 p53g_setting_get(const struct p53g_settings *c, enum p53g_setting s)
{
	switch (s) {
	case P53G_SET_ENABLED:
		return c->enabled;
	case P53G_SET_ACTION:
		return c->action;
	case P53G_SET_TCP:
		return c->tcp;
	case P53G_SET_LOOPBACK:
		return c->loopback;
	case P53G_SET_LOG:
		return c->log;
	case P53G_SET_RATE:
		return c->rate;
	case P53G_SET_FORWARD:
		return c->forward;
	case P53G_SET_AUTHORITATIVE:
		return c->authoritative;
	default:
		return 0;
	}
}

void p53g_setting_put(struct p53g_settings *c, enum p53g_setting s, u32 val)
{
	switch (s) {
	case P53G_SET_ENABLED:
		c->enabled = !!val;
		break;
	case P53G_SET_ACTION:
		c->action = val;
		break;
	case P53G_SET_TCP:
		c->tcp = !!val;
		break;
	case P53G_SET_LOOPBACK:
		c->loopback = !!val;
		break;
	case P53G_SET_LOG:
		c->log = !!val;
		break;
	case P53G_SET_RATE:
		c->rate = val;
		break;
	case P53G_SET_FORWARD:
		c->forward = !!val;
		break;
	case P53G_SET_AUTHORITATIVE:
		c->authoritative = !!val;
		break;
	default:
		break;
	}
}

const char *p53g_outcome_name(enum p53g_outcome o)
{
	return o < P53G_NR_OUTCOMES ? p53g_outcome_names[o].name : "?";
}

enum p53g_total p53g_outcome_total(enum p53g_outcome o)
{
	return p53g_outcome_names[o].total;
}

const char *p53g_total_name(enum p53g_total t)
{
	return t < P53G_NR_TOTALS ? p53g_total_names[t] : "?";
}
