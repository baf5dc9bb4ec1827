// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard: refuse inbound DNS queries (UDP port 53) on this host.
 *
 * Module load and unload, and the hooks' life in each network namespace.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "hook.h"

static int __net_init p53g_net_init(struct net *net)
{
	return p53g_hooks_register(net);
}

/* Unregistering waits for the hooks to finish, so no packet is mid-hook. */
static void __net_exit p53g_net_exit(struct net *net)
{
	p53g_hooks_unregister(net);
}

static struct pernet_operations p53g_net_ops = {
	.init = p53g_net_init,
	.exit = p53g_net_exit,
};

/* Every namespace, the existing ones and those created later, is guarded. */
static int __init p53g_init(void)
{
	return register_pernet_subsys(&p53g_net_ops);
}

static void __exit p53g_exit(void)
{
	unregister_pernet_subsys(&p53g_net_ops);
}

module_init(p53g_init);
module_exit(p53g_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("port53guard developers");
MODULE_DESCRIPTION("Refuse inbound DNS queries (UDP port 53) with ICMP port unreachable");
MODULE_VERSION("0.1.0");
