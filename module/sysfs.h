/* SPDX-License-Identifier: GPL-2.0 */
/* The user interface: /sys/kernel/port53guard/. */
#ifndef P53G_SYSFS_H
#define P53G_SYSFS_H

int p53g_sysfs_init(void);
void p53g_sysfs_exit(void);

#endif /* P53G_SYSFS_H */
