// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard: refuse inbound DNS queries (UDP port 53) on this host.
 *
 * Module load and unload, the load-time parameters, and the hooks' life in
 * each network namespace. The settings' own parameters are in conf.c.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "conf.h"
#include "exempt.h"
#include "hook.h"
#include "pset.h"
#include "record.h"
#include "stats.h"
#include "sysfs.h"
#include "version.h"

static bool init_net_only;
static unsigned int max_entries = P53G_MAX_ENTRIES_DEFAULT;
static char *exempt;

/*
 * Load-time parameters fail closed like the settings (conf.c): a bad
 * value is named in the log and the default is kept, since refusing to
 * load would leave the host unguarded. Their files under
 * /sys/module/port53guard/parameters are read-only.
 */
static int p53g_param_set_netonly(const char *val, const struct kernel_param *kp)
{
	bool b;

	if (!val)
		val = "1";
	if (p53g_bool_parse(val, strlen(val), &b)) {
		pr_err("parameter init_net_only=%s is not valid; keeping 0 (every namespace)\n",
		       val);
		return 0;
	}
	*(bool *)kp->arg = b;
	return 0;
}

static const struct kernel_param_ops p53g_netonly_ops = {
	.set = p53g_param_set_netonly,
	.get = param_get_bool,
};

module_param_cb(init_net_only, &p53g_netonly_ops, &init_net_only, 0444);
MODULE_PARM_DESC(init_net_only,
		 "Guard only the initial network namespace (default 0: every namespace, including later ones)");

static int p53g_param_set_max(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (!val || kstrtouint(val, 10, &v) || v > P53G_MAX_ENTRIES_LIMIT) {
		pr_err("parameter max_entries=%s is not valid (0-%u); keeping %u\n",
		       val ? val : "(none)", P53G_MAX_ENTRIES_LIMIT,
		       P53G_MAX_ENTRIES_DEFAULT);
		return 0;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops p53g_max_ops = {
	.set = p53g_param_set_max,
	.get = param_get_uint,
};

module_param_cb(max_entries, &p53g_max_ops, &max_entries, 0444);
MODULE_PARM_DESC(max_entries, "Largest exemption list, in entries (default 65536)");

/* Parsed at load; the live list is read from /sys/kernel/port53guard/exempt. */
module_param(exempt, charp, 0);
MODULE_PARM_DESC(exempt,
		 "Exempt entries, comma-separated: 10.0.0.0/8,2001:db8::/32,dev:br-lan,dev:wg+");

static int __net_init p53g_net_init(struct net *net)
{
	if (init_net_only && !net_eq(net, &init_net))
		return 0;
	return p53g_hooks_register(net);
}

/*
 * Unregistering does not wait for packets already in the hooks: they only
 * read what p53g_exit() frees after a grace period (synchronize_net()).
 */
static void __net_exit p53g_net_exit(struct net *net)
{
	if (init_net_only && !net_eq(net, &init_net))
		return;
	p53g_hooks_unregister(net);
}

static struct pernet_operations p53g_net_ops = {
	.init = p53g_net_init,
	.exit = p53g_net_exit,
};

static int __init p53g_init(void)
{
	const struct p53g_cfg *c;
	struct p53g_settings s;
	struct p53g_pset *list;
	size_t entries;
	int err;

	err = p53g_stats_init(&p53g_stats);
	if (err)
		return err;
	err = p53g_exempt_init(exempt, max_entries, &list);
	if (err)
		goto err_stats;
	err = p53g_cfg_init(list);
	if (err)
		goto err_exempt;
	err = p53g_sysfs_init();
	if (err)
		goto err_cfg;
	/* Every namespace, the existing ones and those created later. */
	err = register_pernet_subsys(&p53g_net_ops);
	if (err)
		goto err_sysfs;
	rcu_read_lock();
	c = p53g_cfg_get();
	s = c->s;
	entries = p53g_pset_total(c->list);
	rcu_read_unlock();
	p53g_record_load(&s, entries, max_entries, init_net_only);
	return 0;

err_sysfs:
	/* hooks registered before the failure may still have packets in them */
	synchronize_net();
	p53g_sysfs_exit();
err_cfg:
	p53g_cfg_exit();
err_exempt:
	p53g_exempt_exit();
err_stats:
	p53g_stats_destroy(&p53g_stats);
	return err;
}

static void __exit p53g_exit(void)
{
	p53g_record_unload(p53g_cfg_entries());
	unregister_pernet_subsys(&p53g_net_ops);
	/* wait for the packets still in the hooks before freeing what they read */
	synchronize_net();
	p53g_sysfs_exit();
	p53g_exempt_exit();
	p53g_cfg_exit();
	p53g_stats_destroy(&p53g_stats);
}

module_init(p53g_init);
module_exit(p53g_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("port53guard developers");
MODULE_DESCRIPTION("Refuse inbound DNS queries (UDP port 53) with ICMP port unreachable");
MODULE_VERSION(P53G_VERSION);
