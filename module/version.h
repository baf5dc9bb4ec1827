/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The version of port53guard: the one place it is written. The module and
 * the tool take it from here; dkms.conf, debian/changelog and the man page
 * repeat it, and tests/version.sh fails when one of them differs.
 */
#ifndef P53G_VERSION_H
#define P53G_VERSION_H

#define P53G_VERSION	"0.1.0"

#endif /* P53G_VERSION_H */
