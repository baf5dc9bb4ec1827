// SPDX-License-Identifier: GPL-2.0
/*
 * The settings and their text form, shared by the sysfs files and the
 * module parameters (/etc/modprobe.d/port53guard.conf:
 * "options port53guard action=drop rate=100").
 *
 * Parsing is strict: a boolean is exactly 1, 0, y, n, Y or N, an action one
 * of its three words, a rate a decimal number; one trailing newline is
 * allowed (echo adds it), any other byte fails the whole write.
 *
 * A bad module parameter does not stop the module from loading: refusing
 * to load would leave the host with no guard at all, the opposite of
 * fail-closed. The bad value is named in a pr_err() and the setting keeps
 * its default, and every default is the protective one (enabled, reject,
 * loopback passes as documented, rate limited, published ports judged).
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <kunit/visibility.h>

#include "conf.h"
#include "hook.h"

struct p53g_conf p53g_conf = {
	.enabled = true,
	.tcp = false,
	.loopback = true,
	.log = false,
	.forward = true,
	.action = P53G_ACTION_REJECT,
	.rate = P53G_RATE_DEFAULT,
};

static const char * const p53g_actions[] = {
	[P53G_ACTION_REJECT] = "reject",
	[P53G_ACTION_DROP] = "drop",
	[P53G_ACTION_MONITOR] = "monitor",
};

static const char * const p53g_setting_names[P53G_NR_SETTINGS] = {
	[P53G_SET_ENABLED] = "enabled",
	[P53G_SET_ACTION] = "action",
	[P53G_SET_TCP] = "tcp",
	[P53G_SET_LOOPBACK] = "loopback",
	[P53G_SET_LOG] = "log",
	[P53G_SET_RATE] = "rate",
	[P53G_SET_FORWARD] = "forward",
};

const char *p53g_setting_name(enum p53g_setting s)
{
	return p53g_setting_names[s];
}

const char *p53g_action_name(u8 action)
{
	return action < ARRAY_SIZE(p53g_actions) ? p53g_actions[action] : "?";
}

/* The length of @buf without one trailing newline. */
static size_t p53g_word_len(const char *buf)
{
	size_t len = strlen(buf);

	if (len && buf[len - 1] == '\n')
		len--;
	return len;
}

/**
 * p53g_parse_bool() - parse a boolean setting
 * @buf: NUL-terminated text, one trailing newline allowed
 * @val: the value, on success
 *
 * Stricter than kstrtobool(), which reads only the first bytes ("yes",
 * "10" and "nonsense" would all pass): exactly one of 1 0 y n Y N.
 *
 * Return: 0 or -EINVAL.
 */
int p53g_parse_bool(const char *buf, bool *val)
{
	if (p53g_word_len(buf) != 1)
		return -EINVAL;
	switch (buf[0]) {
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
EXPORT_SYMBOL_IF_KUNIT(p53g_parse_bool);

int p53g_parse_action(const char *buf, u8 *val)
{
	size_t len = p53g_word_len(buf);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(p53g_actions); i++) {
		if (len == strlen(p53g_actions[i]) &&
		    !memcmp(buf, p53g_actions[i], len)) {
			*val = i;
			return 0;
		}
	}
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_parse_action);

/* Decimal digits only (kstrtou32 would also take a '+' sign), at most 1e6. */
int p53g_parse_rate(const char *buf, u32 *val)
{
	size_t len = p53g_word_len(buf), i;
	u32 v = 0;

	if (!len || len > 7)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		v = v * 10 + (buf[i] - '0');
	}
	if (v > P53G_RATE_MAX)
		return -EINVAL;
	*val = v;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_parse_rate);

/**
 * p53g_setting_store() - set one setting from its text form
 * @s: which
 * @buf: NUL-terminated text
 *
 * Return: 0, or -EINVAL with nothing changed.
 */
int p53g_setting_store(enum p53g_setting s, const char *buf)
{
	bool b;
	u32 rate;
	u8 action;

	switch (s) {
	case P53G_SET_ACTION:
		if (p53g_parse_action(buf, &action))
			return -EINVAL;
		WRITE_ONCE(p53g_conf.action, action);
		return 0;
	case P53G_SET_RATE:
		if (p53g_parse_rate(buf, &rate))
			return -EINVAL;
		WRITE_ONCE(p53g_conf.rate, rate);
		/* Start the new rate with a full bucket, not the old debt. */
		p53g_ratelimit_reset();
		return 0;
	default:
		break;
	}
	if (p53g_parse_bool(buf, &b))
		return -EINVAL;
	switch (s) {
	case P53G_SET_ENABLED:
		WRITE_ONCE(p53g_conf.enabled, b);
		break;
	case P53G_SET_TCP:
		WRITE_ONCE(p53g_conf.tcp, b);
		break;
	case P53G_SET_LOOPBACK:
		WRITE_ONCE(p53g_conf.loopback, b);
		break;
	case P53G_SET_LOG:
		WRITE_ONCE(p53g_conf.log, b);
		break;
	case P53G_SET_FORWARD:
		WRITE_ONCE(p53g_conf.forward, b);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/* @buf: a sysfs page (the show buffer of a sysfs file or module parameter) */
int p53g_setting_show(enum p53g_setting s, char *buf)
{
	switch (s) {
	case P53G_SET_ENABLED:
		return sysfs_emit(buf, "%d\n", READ_ONCE(p53g_conf.enabled));
	case P53G_SET_ACTION:
		return sysfs_emit(buf, "%s\n",
				  p53g_action_name(READ_ONCE(p53g_conf.action)));
	case P53G_SET_TCP:
		return sysfs_emit(buf, "%d\n", READ_ONCE(p53g_conf.tcp));
	case P53G_SET_LOOPBACK:
		return sysfs_emit(buf, "%d\n", READ_ONCE(p53g_conf.loopback));
	case P53G_SET_LOG:
		return sysfs_emit(buf, "%d\n", READ_ONCE(p53g_conf.log));
	case P53G_SET_RATE:
		return sysfs_emit(buf, "%u\n", READ_ONCE(p53g_conf.rate));
	case P53G_SET_FORWARD:
		return sysfs_emit(buf, "%d\n", READ_ONCE(p53g_conf.forward));
	default:
		return -EINVAL;
	}
}

/*
 * The module parameters. Read-only under /sys/module/port53guard/parameters
 * (they show the live value): writes go through /sys/kernel/port53guard,
 * which checks CAP_NET_ADMIN; a writable parameter file would bypass that.
 */
static int p53g_param_set(const char *val, const struct kernel_param *kp)
{
	enum p53g_setting s = (enum p53g_setting)(unsigned long)kp->arg;

	/* "options port53guard tcp" with no value means tcp=1, as for bool. */
	if (!val && s != P53G_SET_ACTION && s != P53G_SET_RATE)
		val = "1";
	if (val && !p53g_setting_store(s, val))
		return 0;
	pr_err("parameter %s=%s is not valid; keeping the default\n",
	       p53g_setting_name(s), val ? val : "(none)");
	return 0;
}

static int p53g_param_get(char *buf, const struct kernel_param *kp)
{
	return p53g_setting_show((enum p53g_setting)(unsigned long)kp->arg, buf);
}

static const struct kernel_param_ops p53g_param_ops = {
	.set = p53g_param_set,
	.get = p53g_param_get,
};

module_param_cb(enabled, &p53g_param_ops, (void *)P53G_SET_ENABLED, 0444);
MODULE_PARM_DESC(enabled, "Refuse DNS queries (1, default) or pass everything (0)");
module_param_cb(action, &p53g_param_ops, (void *)P53G_SET_ACTION, 0444);
MODULE_PARM_DESC(action, "reject (default: ICMP unreachable, TCP RST), drop or monitor");
module_param_cb(tcp, &p53g_param_ops, (void *)P53G_SET_TCP, 0444);
MODULE_PARM_DESC(tcp, "Also refuse TCP SYNs to port 53 (default 0)");
module_param_cb(loopback, &p53g_param_ops, (void *)P53G_SET_LOOPBACK, 0444);
MODULE_PARM_DESC(loopback, "Packets arriving on loopback pass (default 1)");
module_param_cb(log, &p53g_param_ops, (void *)P53G_SET_LOG, 0444);
MODULE_PARM_DESC(log, "Log each blocked packet, rate limited (default 0)");
module_param_cb(rate, &p53g_param_ops, (void *)P53G_SET_RATE, 0444);
MODULE_PARM_DESC(rate, "Replies per second, 0 for no limit (default 300)");
module_param_cb(forward, &p53g_param_ops, (void *)P53G_SET_FORWARD, 0444);
MODULE_PARM_DESC(forward, "Also refuse queries DNATed from port 53 and forwarded (default 1)");
