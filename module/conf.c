// SPDX-License-Identifier: GPL-2.0
/*
 * The live configuration (see conf.h), its writers' lock, the settings'
 * sysfs files and their module parameters
 * (/etc/modprobe.d/port53guard.conf: "options port53guard action=drop
 * rate=100").
 *
 * Writers hold one mutex, taken killably: a change of the list builds a
 * new table under it, which for a million entries takes seconds. Readers
 * (the hooks, the settings' files, the counters) take no lock.
 *
 * A bad module parameter does not stop the module from loading: refusing
 * to load would leave the host with no guard at all, the opposite of
 * fail-closed. The bad value is named in a pr_err() and the setting keeps
 * its default, and every default is the protective one (enabled, reject,
 * loopback passes as documented, rate limited, published ports judged).
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "conf.h"
#include "pset.h"
#include "ratelimit.h"
#include "record.h"

static DEFINE_MUTEX(p53g_cfg_mutex);
struct p53g_cfg __rcu *p53g_live;

/* The settings the module parameters gave, until the first publish. */
static struct p53g_settings p53g_param = P53G_SETTINGS_DEFAULT;

int p53g_cfg_lock(void)
{
	return mutex_lock_killable(&p53g_cfg_mutex);
}

void p53g_cfg_unlock(void)
{
	mutex_unlock(&p53g_cfg_mutex);
}

const struct p53g_cfg *p53g_cfg_locked(void)
{
	return rcu_dereference_protected(p53g_live,
					 lockdep_is_held(&p53g_cfg_mutex));
}

/* Allocated before a change is decided, so that publishing it cannot fail. */
struct p53g_cfg *p53g_cfg_alloc(void)
{
	return kzalloc(sizeof(struct p53g_cfg), GFP_KERNEL);
}

static void p53g_cfg_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct p53g_cfg, rcu));
}

/**
 * p53g_cfg_publish() - make a new configuration the live one
 * @next: from p53g_cfg_alloc(); consumed
 * @s: its settings
 * @list: its table (NULL: empty), consumed, when @list_changed; else the
 *	live table is kept
 * @list_changed: whether @list replaces the live table
 *
 * The caller holds the lock. The old configuration (and the old table, if
 * replaced) is freed after an RCU grace period.
 */
void p53g_cfg_publish(struct p53g_cfg *next, const struct p53g_settings *s,
		      struct p53g_pset *list, bool list_changed)
{
	struct p53g_cfg *old = (struct p53g_cfg *)p53g_cfg_locked();

	next->s = *s;
	next->list = list_changed ? list : (old ? old->list : NULL);
	rcu_assign_pointer(p53g_live, next);
	if (!old)
		return;
	if (list_changed)
		p53g_pset_free_rcu(old->list);
	/* A new rate starts with a full bucket, not the old debt. */
	if (old->s.rate != s->rate)
		p53g_ratelimit_reset();
	call_rcu(&old->rcu, p53g_cfg_free_rcu);
}

/**
 * p53g_cfg_init() - the first configuration, at module load
 * @list: the exempt= parameter's table (NULL: empty), consumed
 *
 * Return: 0, or -ENOMEM (and @list is freed).
 */
int p53g_cfg_init(struct p53g_pset *list)
{
	struct p53g_cfg *c = p53g_cfg_alloc();

	if (!c) {
		p53g_pset_free(list);
		return -ENOMEM;
	}
	mutex_lock(&p53g_cfg_mutex);
	p53g_cfg_publish(c, &p53g_param, list, true);
	mutex_unlock(&p53g_cfg_mutex);
	return 0;
}

/*
 * At unload or a failed load, after the hooks are gone and their packets
 * done. The hooks are not the only readers: the module parameters' files
 * read the live configuration under rcu_read_lock(), and the module loader
 * removes them only after module_exit() (or a failed module_init())
 * returns, so a reader may still hold it here. It is freed only after a
 * grace period; rcu_barrier() alone waits for callbacks, not for readers.
 */
void p53g_cfg_exit(void)
{
	struct p53g_cfg *c;

	mutex_lock(&p53g_cfg_mutex);
	c = (struct p53g_cfg *)p53g_cfg_locked();
	RCU_INIT_POINTER(p53g_live, NULL);
	mutex_unlock(&p53g_cfg_mutex);
	synchronize_rcu();
	if (c) {
		p53g_pset_free(c->list);
		kfree(c);
	}
	/* The configurations freed by call_rcu() must be gone before the code. */
	rcu_barrier();
}

/**
 * p53g_setting_write() - set one setting from its text form
 * @s: which
 * @buf: the text (one trailing newline allowed)
 * @len: its length
 *
 * Return: 0; -EINVAL with nothing changed; -ENOMEM; -EINTR when killed
 * while waiting for another writer.
 */
int p53g_setting_write(enum p53g_setting s, const char *buf, size_t len)
{
	struct p53g_settings set;
	struct p53g_cfg *next;
	struct p53g_rec rec;
	u32 val, old;
	int err;

	err = p53g_setting_parse(s, buf, len, &val, NULL) ? -EINVAL : 0;
	next = err ? NULL : p53g_cfg_alloc();
	if (!err && !next)
		err = -ENOMEM;
	if (err) {
		p53g_record_refused(P53G_OP_SET, err, s, p53g_cfg_entries());
		return err;
	}
	err = p53g_cfg_lock();
	if (err) {
		kfree(next);
		p53g_record_refused(P53G_OP_SET, err, s, p53g_cfg_entries());
		return err;
	}
	set = p53g_cfg_locked()->s;
	old = p53g_setting_get(&set, s);
	p53g_setting_put(&set, s, val);
	p53g_cfg_publish(next, &set, NULL, false);
	p53g_record_setting(&rec, s, old, val,
			    p53g_pset_total(p53g_cfg_locked()->list));
	p53g_cfg_unlock();
	p53g_record_emit(&rec);
	return 0;
}

/*
 * Entries in the live list, read without the lock (for a record); 0 once
 * unload has taken the configuration away.
 */
size_t p53g_cfg_entries(void)
{
	const struct p53g_cfg *c;
	size_t n;

	rcu_read_lock();
	c = p53g_cfg_get();
	n = c ? p53g_pset_total(c->list) : 0;
	rcu_read_unlock();
	return n;
}

/*
 * The value in the live configuration, or the parameter's when there is
 * none: before the first configuration, and from p53g_cfg_exit() until the
 * loader removes the module parameters' files.
 */
static u32 p53g_setting_value(enum p53g_setting s)
{
	const struct p53g_cfg *c;
	u32 v;

	rcu_read_lock();
	c = rcu_dereference(p53g_live);
	v = p53g_setting_get(c ? &c->s : &p53g_param, s);
	rcu_read_unlock();
	return v;
}

/* @buf: a sysfs page (the show buffer of a sysfs file or module parameter) */
int p53g_setting_show(enum p53g_setting s, char *buf)
{
	char text[16];

	if (p53g_setting_format(s, p53g_setting_value(s), text,
				sizeof(text)) < 0)
		return -EINVAL;
	return sysfs_emit(buf, "%s\n", text);
}

/*
 * The module parameters. Read-only under /sys/module/port53guard/parameters
 * (they show the live value): writes go through /sys/kernel/port53guard,
 * which checks CAP_NET_ADMIN; a writable parameter file would bypass that.
 * They are only ever set at load, before the first configuration.
 */
static int p53g_param_set(const char *val, const struct kernel_param *kp)
{
	enum p53g_setting s = (enum p53g_setting)(unsigned long)kp->arg;
	u32 v;

	/* "options port53guard tcp" with no value means tcp=1, as for bool. */
	if (!val && p53g_setting_kind(s) == P53G_KIND_BOOL)
		val = "1";
	if (val && !p53g_setting_parse(s, val, strlen(val), &v, NULL)) {
		p53g_setting_put(&p53g_param, s, v);
		return 0;
	}
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
module_param_cb(authoritative, &p53g_param_ops, (void *)P53G_SET_AUTHORITATIVE, 0444);
MODULE_PARM_DESC(authoritative, "Queries with RD clear pass, counted as iterative (default 0)");
