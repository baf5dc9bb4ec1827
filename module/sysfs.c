// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/port53guard/: the settings, the exemption list and the
 * counters. Glue only: the settings parse in conf.c, the list in exempt.c,
 * the counters in stats.c.
 *
 * The settings are global, not per network namespace. Files are 0644:
 * only root opens them for writing, and every write also needs
 * CAP_NET_ADMIN in the initial user namespace, so root in a container
 * (a user namespace of its own) is refused with EPERM.
 */
#include <linux/bits.h>
#include <linux/capability.h>
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "conf.h"
#include "exempt.h"
#include "hook.h"
#include "pset.h"
#include "record.h"
#include "stats.h"
#include "sysfs.h"

static struct kobject *p53g_kobj;

struct p53g_setting_attr {
	struct kobj_attribute attr;
	enum p53g_setting setting;
};

#define to_setting(a) container_of(a, struct p53g_setting_attr, attr)

static ssize_t p53g_setting_attr_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return p53g_setting_show(to_setting(attr)->setting, buf);
}

static ssize_t p53g_setting_attr_store(struct kobject *kobj,
				       struct kobj_attribute *attr,
				       const char *buf, size_t count)
{
	enum p53g_setting set = to_setting(attr)->setting;
	int err;

	if (!capable(CAP_NET_ADMIN)) {
		p53g_record_refused(P53G_OP_SET, -EPERM, set, p53g_cfg_entries());
		return -EPERM;
	}
	err = p53g_setting_write(set, buf, count);
	return err ? err : count;
}

#define P53G_SETTING_ATTR(_name, _setting)				\
	static struct p53g_setting_attr p53g_attr_##_name = {		\
		.attr = __ATTR(_name, 0644, p53g_setting_attr_show,	\
			       p53g_setting_attr_store),		\
		.setting = _setting,					\
	}

P53G_SETTING_ATTR(enabled, P53G_SET_ENABLED);
P53G_SETTING_ATTR(action, P53G_SET_ACTION);
P53G_SETTING_ATTR(tcp, P53G_SET_TCP);
P53G_SETTING_ATTR(loopback, P53G_SET_LOOPBACK);
P53G_SETTING_ATTR(log, P53G_SET_LOG);
P53G_SETTING_ATTR(rate, P53G_SET_RATE);
P53G_SETTING_ATTR(forward, P53G_SET_FORWARD);
P53G_SETTING_ATTR(authoritative, P53G_SET_AUTHORITATIVE);

/*
 * The totals the contract names, then the breakdowns of rejected, dropped
 * and exempted, each total per family and per hook, and the list's size.
 * Every packet that reached a hook is in exactly one of passed, disabled,
 * exempted, replies, monitored, rejected, dropped.
 */
/*
 * The sum of the outcomes of total @t (or outcome @o alone, if @t < 0),
 * over one hook or all (-1), one family or all.
 */
static u64 p53g_sum(const p53g_counts_t c, int t, int o, int hook, int fam)
{
	unsigned int h, f, k;
	u64 sum = 0;

	for (h = 0; h < P53G_NR_HOOKS; h++)
		for (f = 0; f < P53G_NR_FAMILIES; f++)
			for (k = 0; k < P53G_NR_OUTCOMES; k++)
				if ((t < 0 ? (int)k == o :
				     p53g_outcome_total(k) == (enum p53g_total)t) &&
				    (hook < 0 || hook == h) &&
				    (fam < 0 || fam == f))
					sum += c[h][f][k];
	return sum;
}

/* Whether outcome @o is one of several that make a total. */
static bool p53g_is_breakdown(enum p53g_outcome o)
{
	unsigned int k;

	for (k = 0; k < P53G_NR_OUTCOMES; k++)
		if (k != o && p53g_outcome_total(k) == p53g_outcome_total(o))
			return true;
	return false;
}

/*
 * The totals (names.h), then the breakdowns of those made of several
 * outcomes, each total per family and per hook, and the list's size.
 * Every packet that reached a hook is in exactly one total. Takes no lock.
 */
static ssize_t stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	static const char * const fam[P53G_NR_FAMILIES] = { "ipv4", "ipv6" };
	static const char * const hook[P53G_NR_HOOKS] = { "input", "forward" };
	struct p53g_exempt_info info;
	unsigned int t, h, f, o;
	p53g_counts_t *c;
	int len = 0;

	c = kmalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	p53g_stats_read(&p53g_stats, *c);
	p53g_exempt_info(&info);

	for (t = 0; t < P53G_NR_TOTALS; t++)
		len += sysfs_emit_at(buf, len, "%s %llu\n", p53g_total_name(t),
				     p53g_sum(*c, t, 0, -1, -1));
	for (o = 0; o < P53G_NR_OUTCOMES; o++)
		if (p53g_is_breakdown(o))
			len += sysfs_emit_at(buf, len, "%s %llu\n",
					     p53g_outcome_name(o),
					     p53g_sum(*c, -1, o, -1, -1));
	for (t = 0; t < P53G_NR_TOTALS; t++)
		for (f = 0; f < P53G_NR_FAMILIES; f++)
			len += sysfs_emit_at(buf, len, "%s_%s %llu\n",
					     p53g_total_name(t), fam[f],
					     p53g_sum(*c, t, 0, -1, f));
	for (t = 0; t < P53G_NR_TOTALS; t++)
		for (h = 0; h < P53G_NR_HOOKS; h++)
			len += sysfs_emit_at(buf, len, "%s_%s %llu\n",
					     p53g_total_name(t), hook[h],
					     p53g_sum(*c, t, 0, h, -1));
	kfree(c);
	len += sysfs_emit_at(buf, len, "exempt_entries %zu\n", info.entries);
	len += sysfs_emit_at(buf, len, "exempt_ipv4 %zu\n", info.v4);
	len += sysfs_emit_at(buf, len, "exempt_ipv6 %zu\n", info.v6);
	len += sysfs_emit_at(buf, len, "exempt_dev %zu\n", info.dev);
	len += sysfs_emit_at(buf, len, "exempt_bytes %zu\n", info.bytes);
	len += sysfs_emit_at(buf, len, "exempt_bytes_per_entry %zu\n",
			     info.entries ? info.bytes / info.entries : 0);
	len += sysfs_emit_at(buf, len, "exempt_text_bytes %zu\n",
			     info.text_bytes);
	return len;
}

static ssize_t stats_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	struct p53g_rec rec;
	int err = 0;

	if (!capable(CAP_NET_ADMIN))
		err = -EPERM;
	else if (!sysfs_streq(buf, "0"))
		err = -EINVAL;
	if (err)
		goto refused;
	/* under the writers' lock: the record gets the change's generation */
	err = p53g_cfg_lock();
	if (err)
		goto refused;
	err = p53g_stats_reset(&p53g_stats, NULL);
	if (!err)
		p53g_record_reset(&rec,
				  p53g_pset_total(p53g_cfg_locked()->list));
	p53g_cfg_unlock();
	if (err)
		goto refused;
	p53g_record_emit(&rec);
	return count;

refused:
	p53g_record_refused(P53G_OP_RESET, err, -1, p53g_cfg_entries());
	return err;
}

static struct kobj_attribute p53g_attr_stats = __ATTR_RW(stats);

/*
 * The counters as one table: a header line "hook family" and the outcome
 * names (names.h), then a line per hook and family. Takes no lock.
 */
static ssize_t counters_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	static const char * const fam[P53G_NR_FAMILIES] = { "ipv4", "ipv6" };
	static const char * const hook[P53G_NR_HOOKS] = { "input", "forward" };
	unsigned int h, f, o;
	p53g_counts_t *c;
	int len;

	c = kmalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	p53g_stats_read(&p53g_stats, *c);
	len = sysfs_emit(buf, "hook family");
	for (o = 0; o < P53G_NR_OUTCOMES; o++)
		len += sysfs_emit_at(buf, len, " %s", p53g_outcome_name(o));
	len += sysfs_emit_at(buf, len, "\n");
	for (h = 0; h < P53G_NR_HOOKS; h++)
		for (f = 0; f < P53G_NR_FAMILIES; f++) {
			len += sysfs_emit_at(buf, len, "%s %s", hook[h], fam[f]);
			for (o = 0; o < P53G_NR_OUTCOMES; o++)
				len += sysfs_emit_at(buf, len, " %llu",
						     (*c)[h][f][o]);
			len += sysfs_emit_at(buf, len, "\n");
		}
	kfree(c);
	return len;
}

static struct kobj_attribute p53g_attr_counters = __ATTR_RO(counters);

/* Committed changes since load (record.c). */
static ssize_t generation_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)p53g_record_generation());
}

static struct kobj_attribute p53g_attr_generation = __ATTR_RO(generation);

/* The time of the last change (or of the load), seconds since the epoch. */
static ssize_t changed_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%lld\n", (long long)p53g_record_changed());
}

static struct kobj_attribute p53g_attr_changed = __ATTR_RO(changed);

/* Network namespaces that have the hooks now. */
static ssize_t namespaces_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", p53g_hooks_namespaces());
}

static struct kobj_attribute p53g_attr_namespaces = __ATTR_RO(namespaces);

/*
 * A binary attribute, because a text attribute's read stops at a page:
 * the list is read at any offset, whatever its size, and written in
 * commands of at most a page.
 *
 * A list longer than a page takes several reads, which must all come from
 * one table: the open file keeps the generation of the table its read at
 * offset 0 saw, in the kernfs_open_file's priv (which kernfs publishes
 * for its users, zeroes at open and sysfs leaves alone; every sysfs file
 * has a seq_file as private_data, whose private is the kernfs_open_file;
 * kernfs serialises reads of one open file under its mutex).
 */
static ssize_t exempt_read(struct file *file, struct kobject *kobj,
			   P53G_BIN_ATTR_CONST struct bin_attribute *attr,
			   char *buf, loff_t off, size_t count)
{
	struct seq_file *sf = file->private_data;
	struct kernfs_open_file *of = sf->private;
	unsigned long gen = (unsigned long)of->priv;
	ssize_t ret;

	ret = p53g_exempt_read(buf, off, count, &gen);
	of->priv = (void *)gen;
	return ret;
}

static ssize_t exempt_write(struct file *file, struct kobject *kobj,
			    P53G_BIN_ATTR_CONST struct bin_attribute *attr,
			    char *buf, loff_t off, size_t count)
{
	if (!capable(CAP_NET_ADMIN)) {
		p53g_record_refused(P53G_OP_EXEMPT, -EPERM, -1,
				    p53g_cfg_entries());
		return -EPERM;
	}
	return p53g_exempt_write(buf, count);
}

static BIN_ATTR_RW(exempt, 0);

static struct attribute *p53g_attrs[] = {
	&p53g_attr_enabled.attr.attr,
	&p53g_attr_action.attr.attr,
	&p53g_attr_tcp.attr.attr,
	&p53g_attr_loopback.attr.attr,
	&p53g_attr_log.attr.attr,
	&p53g_attr_rate.attr.attr,
	&p53g_attr_forward.attr.attr,
	&p53g_attr_authoritative.attr.attr,
	&p53g_attr_stats.attr,
	&p53g_attr_counters.attr,
	&p53g_attr_generation.attr,
	&p53g_attr_changed.attr,
	&p53g_attr_namespaces.attr,
	NULL,
};

static P53G_BIN_ATTR_CONST struct bin_attribute *P53G_BIN_ATTR_CONST p53g_bin_attrs[] = {
	&bin_attr_exempt,
	NULL,
};

static const struct attribute_group p53g_group = {
	.attrs = p53g_attrs,
	.bin_attrs = p53g_bin_attrs,
};

int p53g_sysfs_init(void)
{
	int err;

	p53g_kobj = kobject_create_and_add("port53guard", kernel_kobj);
	if (!p53g_kobj)
		return -ENOMEM;
	err = sysfs_create_group(p53g_kobj, &p53g_group);
	if (err)
		goto err_put_kobj;
	return 0;

err_put_kobj:
	kobject_put(p53g_kobj);
	return err;
}

void p53g_sysfs_exit(void)
{
	sysfs_remove_group(p53g_kobj, &p53g_group);
	kobject_put(p53g_kobj);
}
