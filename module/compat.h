/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels port53guard builds against, probed by
 * feature, in one place.
 */
#ifndef P53G_COMPAT_H
#define P53G_COMPAT_H

#include <linux/kconfig.h>
#include <linux/module.h>

/*
 * Blocked packets are answered by the kernel's own senders of ICMP errors
 * (icmp_send(), icmpv6_send()) and TCP resets (nf_send_reset(),
 * nf_send_reset6()), which know when no reply may be sent (broadcast,
 * multicast, non-first fragment, ICMP errors, rate limits); the guard
 * never builds a reply itself.
 */
#if !IS_ENABLED(CONFIG_NF_REJECT_IPV4)
#error "port53guard needs CONFIG_NF_REJECT_IPV4 (nf_send_reset)"
#endif
#if IS_ENABLED(CONFIG_IPV6) && !IS_ENABLED(CONFIG_NF_REJECT_IPV6)
#error "port53guard needs CONFIG_NF_REJECT_IPV6 (nf_send_reset6)"
#endif

/*
 * The classifier is exported to the KUnit module with the kernel's own
 * EXPORT_SYMBOL_IF_KUNIT().  MODULE_IMPORT_NS() took a bare identifier
 * until 6.12 and takes a string from 6.13 on; the modinfo tag it expands
 * to is the same in both, so name the namespace through that.
 */
#define P53G_IMPORT_KUNIT_NS() \
	MODULE_INFO(import_ns, "EXPORTED_FOR_KUNIT_TESTING")

/*
 * Binary sysfs attributes are const from 6.16 on ("sysfs: treewide: switch
 * back to bin_attribute::read()/write()"; attribute_group::bin_attrs became
 * a const array with it): the read and write callbacks take a const
 * attribute and the group lists const pointers. No macro says which, so
 * Kbuild reads include/linux/sysfs.h (P53G_HAVE_CONST_BIN_ATTR).
 */
#ifdef P53G_HAVE_CONST_BIN_ATTR
#define P53G_BIN_ATTR_CONST const
#else
#define P53G_BIN_ATTR_CONST
#endif

#endif /* P53G_COMPAT_H */
