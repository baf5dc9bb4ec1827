/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel names the module's pure units (module/pset.c, module/edit.c)
 * use, on top of libc, so that the tests build those very files in
 * userspace: compile with -include tests/include/p53g_kernel.h. It defines
 * module/p53g_kernel.h's guard, so the module's own list of kernel headers
 * is then skipped.
 *
 * rbtree: the kernel's API (rb_link_node, rb_insert_color, rb_erase,
 * rb_first, rb_next, postorder walks) over a height-balanced (AVL) tree of
 * this file's own: the same O(log n) bounds, not the kernel's code.
 */
#ifndef P53G_KERNEL_H
#define P53G_KERNEL_H

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* as module/entry.h spells them for userspace, and as the kernel does */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;

#define PAGE_SIZE		4096
#define PAGE_ALIGN(x)		(((x) + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1))
#define __force
#ifndef __always_inline
#define __always_inline		inline __attribute__((__always_inline__))
#endif
#define noinline		__attribute__((__noinline__))
#define BIT(n)			(1UL << (n))
#define max_t(t, a, b)		((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define min_t(t, a, b)		((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif
#define be32_to_cpu(x)		ntohl(x)
#define cpu_to_be32(x)		htonl(x)
#define be64_to_cpu(x)		be64toh(x)
#define cpu_to_be64(x)		htobe64(x)
#define hweight32(x)		__builtin_popcount(x)
#define cond_resched()		do { } while (0)

/* Memory: the slab's size classes, then whole pages, for accounting. */
#define GFP_KERNEL		0
#define GFP_KERNEL_ACCOUNT	0
#define kmalloc(size, gfp)	malloc(size)
#define kzalloc(size, gfp)	calloc(1, size)
#define vzalloc(size)		calloc(1, size)
#define kvmalloc(size, gfp)	malloc(size)
#define kfree(p)		free(p)
#define kvfree(p)		free(p)

static inline void *kvmalloc_array(size_t n, size_t size, int gfp)
{
	(void)gfp;
	if (size && n > SIZE_MAX / size)
		return NULL;
	return malloc(n * size);
}

static inline size_t kmalloc_size_roundup(size_t size)
{
	size_t r = 8;

	while (r < size)
		r <<= 1;
	return r;
}

/* Fixed, so that tests and benchmarks repeat. */
static inline u64 get_random_u64(void)
{
	static u64 state = 0x70353367756172ULL;
	u64 x = (state += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *), void *swap)
{
	(void)swap;
	qsort(base, num, size, cmp);
}

/* No readers run concurrently in the tests: a callback runs at once. */
struct rcu_head {
	void (*func)(struct rcu_head *head);
};

static inline void call_rcu(struct rcu_head *head,
			    void (*func)(struct rcu_head *head))
{
	func(head);
}

/* rbtree, as AVL */
struct rb_node {
	struct rb_node *rb_parent;
	struct rb_node *rb_left;
	struct rb_node *rb_right;
	int rb_height;
};

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT			((struct rb_root) { NULL })
#define rb_entry(ptr, type, member) container_of(ptr, type, member)

static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->rb_parent = parent;
	node->rb_left = NULL;
	node->rb_right = NULL;
	node->rb_height = 1;
	*link = node;
}

static inline int p53g_avl_height(const struct rb_node *n)
{
	return n ? n->rb_height : 0;
}

static inline void p53g_avl_update(struct rb_node *n)
{
	int l = p53g_avl_height(n->rb_left), r = p53g_avl_height(n->rb_right);

	n->rb_height = (l > r ? l : r) + 1;
}

/* Put @new where @old hangs from @parent (or the root). */
static inline void p53g_avl_replace(struct rb_root *root,
				    struct rb_node *parent,
				    struct rb_node *old, struct rb_node *new)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
	if (new)
		new->rb_parent = parent;
}

static inline struct rb_node *p53g_avl_rotate(struct rb_root *root,
					      struct rb_node *x, bool left)
{
	struct rb_node *y = left ? x->rb_right : x->rb_left;
	struct rb_node *inner = left ? y->rb_left : y->rb_right;

	p53g_avl_replace(root, x->rb_parent, x, y);
	if (left) {
		x->rb_right = inner;
		y->rb_left = x;
	} else {
		x->rb_left = inner;
		y->rb_right = x;
	}
	if (inner)
		inner->rb_parent = x;
	x->rb_parent = y;
	p53g_avl_update(x);
	p53g_avl_update(y);
	return y;
}

/* Fix heights from @n up to the root, rotating where a side is too tall. */
static inline void p53g_avl_rebalance(struct rb_root *root, struct rb_node *n)
{
	int bal;

	while (n) {
		p53g_avl_update(n);
		bal = p53g_avl_height(n->rb_left) - p53g_avl_height(n->rb_right);
		if (bal > 1) {
			if (p53g_avl_height(n->rb_left->rb_left) <
			    p53g_avl_height(n->rb_left->rb_right))
				p53g_avl_rotate(root, n->rb_left, true);
			n = p53g_avl_rotate(root, n, false);
		} else if (bal < -1) {
			if (p53g_avl_height(n->rb_right->rb_right) <
			    p53g_avl_height(n->rb_right->rb_left))
				p53g_avl_rotate(root, n->rb_right, false);
			n = p53g_avl_rotate(root, n, true);
		}
		n = n->rb_parent;
	}
}

static inline void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	p53g_avl_rebalance(root, node->rb_parent);
}

static inline void rb_erase(struct rb_node *node, struct rb_root *root)
{
	struct rb_node *y, *start;

	if (node->rb_left && node->rb_right) {
		/* The successor takes the node's place. */
		y = node->rb_right;
		while (y->rb_left)
			y = y->rb_left;
		start = y->rb_parent == node ? y : y->rb_parent;
		if (y->rb_parent != node) {
			p53g_avl_replace(root, y->rb_parent, y, y->rb_right);
			y->rb_right = node->rb_right;
			node->rb_right->rb_parent = y;
		}
		p53g_avl_replace(root, node->rb_parent, node, y);
		y->rb_left = node->rb_left;
		node->rb_left->rb_parent = y;
		p53g_avl_rebalance(root, start);
		return;
	}
	start = node->rb_parent;
	p53g_avl_replace(root, start, node,
			 node->rb_left ? node->rb_left : node->rb_right);
	p53g_avl_rebalance(root, start);
}

static inline struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	while (n && n->rb_left)
		n = n->rb_left;
	return n;
}

static inline struct rb_node *rb_next(const struct rb_node *n)
{
	const struct rb_node *p;

	if (n->rb_right) {
		n = n->rb_right;
		while (n->rb_left)
			n = n->rb_left;
		return (struct rb_node *)n;
	}
	while ((p = n->rb_parent) && n == p->rb_right)
		n = p;
	return (struct rb_node *)p;
}

/* The deepest node first below @n, left before right. */
static inline struct rb_node *p53g_avl_leftdeep(struct rb_node *n)
{
	for (;;) {
		if (n->rb_left)
			n = n->rb_left;
		else if (n->rb_right)
			n = n->rb_right;
		else
			return n;
	}
}

static inline struct rb_node *rb_first_postorder(const struct rb_root *root)
{
	return root->rb_node ? p53g_avl_leftdeep(root->rb_node) : NULL;
}

static inline struct rb_node *rb_next_postorder(const struct rb_node *n)
{
	struct rb_node *p = n ? n->rb_parent : NULL;

	if (p && n == p->rb_left && p->rb_right)
		return p53g_avl_leftdeep(p->rb_right);
	return p;
}

#define p53g_rb_entry_safe(ptr, type, member) \
	((ptr) ? rb_entry(ptr, type, member) : NULL)

/* The next node is taken before @pos is handed out: @pos may be freed. */
#define rbtree_postorder_for_each_entry_safe(pos, n, root, field)		\
	for (pos = p53g_rb_entry_safe(rb_first_postorder(root),		\
				      __typeof__(*pos), field);			\
	     pos && ({ n = p53g_rb_entry_safe(rb_next_postorder(&pos->field), \
					      __typeof__(*pos), field); 1; });	\
	     pos = n)

#endif /* P53G_KERNEL_H */
