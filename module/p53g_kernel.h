/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the pure units (pset.c, edit.c) take from the kernel: headers only.
 * The tests build those units in userspace too, first including their own
 * tests/include/p53g_kernel.h, which defines the same guard and the same
 * names on top of libc, so this file is then skipped (the way the
 * kernel's tools/testing/vma builds mm/vma.c).
 */
#ifndef P53G_KERNEL_H
#define P53G_KERNEL_H

#include <asm/byteorder.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/vmalloc.h>

#endif /* P53G_KERNEL_H */
