// SPDX-License-Identifier: GPL-2.0
/*
 * The exemption list: the immutable table the packet path reads, behind an
 * __rcu pointer, and the commands written to /sys/kernel/port53guard/exempt
 * that replace it.
 *
 * Write protocol. A write() holds one or more lines, each "add ENTRY",
 * "del ENTRY" or "flush" (the grammar is entry.c's), and is atomic: every
 * line applies, or the write fails and nothing changes.
 *   - add of an entry already there: no error;
 *   - del of an absent entry: ENOENT; a malformed line: EINVAL;
 *   - a result over max_entries entries: ENOSPC (checked once the whole
 *     write is applied, so "del A" + "add B" at the limit is fine).
 * sysfs hands the module at most a page per write() (a longer write is
 * cut there and returns short), so a write of a page or more is refused
 * with E2BIG: no write() is ever applied in parts.
 *
 * Staged replace, for a list of any size:
 *   begin           opens an empty staged list owned by the writing process
 *                   (its thread group); EBUSY while any live process owns
 *                   one (its own included).
 *   add/del/flush   from the owner go to the staged list, with the same
 *                   rules (atomic per write, ENOENT, EINVAL, ENOSPC);
 *                   from any other process they go to the live list.
 *   commit          the staged list replaces the live one at once: a packet
 *                   sees the old list or the new one, never a mix. Changes
 *                   made to the live list meanwhile are replaced too (as
 *                   with ipset swap).
 *   abort           drops the staged list.
 * commit and abort from a process that owns no staged list fail with
 * EINVAL. "begin" may only be the first line of a write and "commit" or
 * "abort" only the last, so "begin", some lines and "commit" can also go
 * in one write. A staged list whose owner has exited is dropped by the
 * next write (its struct pid is held, so a reused pid number cannot pass
 * for the owner).
 *
 * Each write applies its lines to an overlay (a small rbtree of the
 * entries it touches, each present or absent, plus a "flushed" mark) over
 * a base: the live table, or the staged list. The live table is then
 * rebuilt from base and overlay in one merge and published with
 * rcu_assign_pointer(); the old one is freed after a grace period. The
 * staged list is itself an rbtree, so a staged write costs O(lines * log
 * n) and a commit one build, whatever the size.
 *
 * Reads return the whole list, canonical, one entry a line. Its text is
 * rendered once per table, at the first read, and reads at any offset
 * copy from it. Every published table has a generation; a reader's read
 * at offset 0 records it (in its open file, see sysfs.c), and a later
 * read of that open file past offset 0 fails with EAGAIN once another
 * table has been published. A list longer than one read() (sysfs hands
 * out a page at a time) is thus read whole from one table or not at all,
 * never old text up to one offset and new text past it; the reader
 * starts again from offset 0.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/printk.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "entry.h"
#include "exempt.h"
#include "pset.h"

/*
 * @present: whether the entry is in the list as this overlay sees it; in
 * a staged list, always true
 */
struct p53g_node {
	struct rb_node rb;
	struct p53g_entry e;
	bool present;
};

/*
 * struct p53g_tree - a sorted set of entries
 * @root: the nodes, ordered by p53g_entry_cmp()
 * @n: nodes in it
 */
struct p53g_tree {
	struct rb_root root;
	size_t n;
};

/*
 * struct p53g_base - what a write applies to
 * @ps: the live table (may be NULL: empty), or
 * @tree: the staged list
 * @n: entries in it
 */
struct p53g_base {
	const struct p53g_pset *ps;
	const struct p53g_tree *tree;
	size_t n;
};

/*
 * struct p53g_edit - one write's changes over a base
 * @ov: the entries the write touched
 * @flushed: the base no longer counts (a flush line)
 * @n: entries in base plus changes
 */
struct p53g_edit {
	struct p53g_tree ov;
	bool flushed;
	size_t n;
};

static DEFINE_MUTEX(p53g_exempt_lock);
static struct p53g_pset __rcu *p53g_live;
static unsigned int p53g_max_entries = P53G_MAX_ENTRIES_DEFAULT;

/* The staged list and its owner (NULL when none is open). */
static struct p53g_tree p53g_stage = { .root = RB_ROOT };
static struct pid *p53g_stage_owner;

/* The live list's text: valid until the next publish. */
static char *p53g_text;
static size_t p53g_text_len;
static bool p53g_text_valid;
/* p53g_text_len while the text is kept, for readers without the lock */
static size_t p53g_text_bytes;
/* Which table the text belongs to: never 0, which means "none yet". */
static unsigned long p53g_text_gen = 1;

#define p53g_live_locked() \
	rcu_dereference_protected(p53g_live, lockdep_is_held(&p53g_exempt_lock))

const struct p53g_pset *p53g_exempt_table(void)
{
	return rcu_dereference(p53g_live);
}

static size_t p53g_pset_total(const struct p53g_pset *ps)
{
	return p53g_pset_count(ps, P53G_ENTRY_V4) +
	       p53g_pset_count(ps, P53G_ENTRY_V6) +
	       p53g_pset_count(ps, P53G_ENTRY_DEV);
}

static struct p53g_node *p53g_tree_find(const struct p53g_tree *t,
					const struct p53g_entry *e)
{
	struct rb_node *rb = t->root.rb_node;
	struct p53g_node *n;
	int c;

	while (rb) {
		n = rb_entry(rb, struct p53g_node, rb);
		c = p53g_entry_cmp(e, &n->e);
		if (!c)
			return n;
		rb = c < 0 ? rb->rb_left : rb->rb_right;
	}
	return NULL;
}

/* @node must not be in @t yet. */
static void p53g_tree_insert(struct p53g_tree *t, struct p53g_node *node)
{
	struct rb_node **link = &t->root.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (p53g_entry_cmp(&node->e,
				   &rb_entry(parent, struct p53g_node, rb)->e) < 0)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&node->rb, parent, link);
	rb_insert_color(&node->rb, &t->root);
	t->n++;
}

static void p53g_tree_erase(struct p53g_tree *t, struct p53g_node *node)
{
	rb_erase(&node->rb, &t->root);
	t->n--;
}

static void p53g_tree_free(struct p53g_tree *t)
{
	struct p53g_node *node, *next;
	size_t i = 0;

	rbtree_postorder_for_each_entry_safe(node, next, &t->root, rb) {
		kfree(node);
		if (!(++i & 1023))
			cond_resched();
	}
	t->root = RB_ROOT;
	t->n = 0;
}

static bool p53g_base_has(const struct p53g_base *b,
			  const struct p53g_entry *e)
{
	if (b->tree)
		return p53g_tree_find(b->tree, e);
	return p53g_pset_has_entry(b->ps, e);
}

/*
 * Walks a base in canonical order. The live table gives its entries by
 * index, the staged list by rbtree order: both are p53g_entry_cmp() order.
 */
struct p53g_cursor {
	const struct p53g_base *b;
	size_t i;
	struct rb_node *rb;
	struct p53g_entry e;
	bool valid;
};

static void p53g_cursor_load(struct p53g_cursor *c)
{
	if (c->b->tree) {
		c->valid = c->rb;
		if (c->valid)
			c->e = rb_entry(c->rb, struct p53g_node, rb)->e;
	} else {
		c->valid = c->i < c->b->n && p53g_pset_entry(c->b->ps, c->i, &c->e);
	}
}

static void p53g_cursor_start(struct p53g_cursor *c, const struct p53g_base *b)
{
	c->b = b;
	c->i = 0;
	c->rb = b->tree ? rb_first(&b->tree->root) : NULL;
	p53g_cursor_load(c);
}

static void p53g_cursor_next(struct p53g_cursor *c)
{
	if (c->b->tree)
		c->rb = rb_next(c->rb);
	else
		c->i++;
	p53g_cursor_load(c);
}

static bool p53g_edit_has(const struct p53g_edit *ed,
			  const struct p53g_base *b, const struct p53g_entry *e)
{
	const struct p53g_node *node = p53g_tree_find(&ed->ov, e);

	if (node)
		return node->present;
	return !ed->flushed && p53g_base_has(b, e);
}

/* Make @e present or absent in the overlay. */
static int p53g_edit_set(struct p53g_edit *ed, const struct p53g_entry *e,
			 bool present)
{
	struct p53g_node *node = p53g_tree_find(&ed->ov, e);

	if (!node) {
		node = kmalloc(sizeof(*node), GFP_KERNEL_ACCOUNT);
		if (!node)
			return -ENOMEM;
		node->e = *e;
		p53g_tree_insert(&ed->ov, node);
	}
	node->present = present;
	return 0;
}

static int p53g_edit_apply(struct p53g_edit *ed, const struct p53g_base *b,
			   const struct p53g_cmd *cmd)
{
	int err;

	switch (cmd->op) {
	case P53G_CMD_ADD:
		if (p53g_edit_has(ed, b, &cmd->entry))
			return 0;
		err = p53g_edit_set(ed, &cmd->entry, true);
		if (!err)
			ed->n++;
		return err;
	case P53G_CMD_DEL:
		if (!p53g_edit_has(ed, b, &cmd->entry))
			return -ENOENT;
		err = p53g_edit_set(ed, &cmd->entry, false);
		if (!err)
			ed->n--;
		return err;
	case P53G_CMD_FLUSH:
		p53g_tree_free(&ed->ov);
		ed->flushed = true;
		ed->n = 0;
		return 0;
	}
	return -EINVAL;
}

/*
 * The list base + overlay describes, as an array in canonical order: one
 * merge of two sorted sequences.
 */
static struct p53g_entry *p53g_edit_collect(const struct p53g_edit *ed,
					    const struct p53g_base *b,
					    size_t *count)
{
	struct rb_node *rb = rb_first(&ed->ov.root);
	const struct p53g_node *node;
	struct p53g_cursor cur;
	struct p53g_entry *out;
	size_t n = 0, steps = 0;
	int c;

	out = kvmalloc_array(max_t(size_t, ed->n, 1), sizeof(*out),
			     GFP_KERNEL_ACCOUNT);
	if (!out)
		return NULL;
	p53g_cursor_start(&cur, b);
	if (ed->flushed)
		cur.valid = false;
	while (cur.valid || rb) {
		if (!(++steps & 4095))
			cond_resched();
		node = rb ? rb_entry(rb, struct p53g_node, rb) : NULL;
		c = !node ? -1 : !cur.valid ? 1 : p53g_entry_cmp(&cur.e, &node->e);
		if (c < 0) {
			if (n < ed->n)
				out[n++] = cur.e;
			p53g_cursor_next(&cur);
			continue;
		}
		/* The overlay decides for the entries it holds. */
		if (node->present && n < ed->n)
			out[n++] = node->e;
		rb = rb_next(rb);
		if (!c)
			p53g_cursor_next(&cur);
	}
	*count = n;
	return out;
}

/* Fold a successful write's overlay into the staged list; cannot fail. */
static void p53g_edit_fold(struct p53g_edit *ed, struct p53g_tree *t)
{
	struct p53g_node *node, *old;
	struct rb_node *rb;

	if (ed->flushed)
		p53g_tree_free(t);
	while ((rb = rb_first(&ed->ov.root))) {
		node = rb_entry(rb, struct p53g_node, rb);
		p53g_tree_erase(&ed->ov, node);
		old = p53g_tree_find(t, &node->e);
		if (node->present && !old) {
			p53g_tree_insert(t, node);
			continue;
		}
		if (!node->present && old) {
			p53g_tree_erase(t, old);
			kfree(old);
		}
		kfree(node);
	}
}

static void p53g_text_drop(void)
{
	kvfree(p53g_text);
	p53g_text = NULL;
	p53g_text_len = 0;
	p53g_text_valid = false;
	WRITE_ONCE(p53g_text_bytes, 0);
}

/* Make @ps (NULL: empty) the live table. */
static void p53g_publish(struct p53g_pset *ps)
{
	struct p53g_pset *old;

	old = rcu_replace_pointer(p53g_live, ps,
				  lockdep_is_held(&p53g_exempt_lock));
	p53g_pset_free_rcu(old);
	p53g_text_drop();
	if (!++p53g_text_gen)
		p53g_text_gen = 1;
}

/* Build the table base + overlay describes. */
static int p53g_edit_build(const struct p53g_edit *ed,
			   const struct p53g_base *b, struct p53g_pset **ps)
{
	struct p53g_entry *e;
	size_t n;

	*ps = NULL;
	if (!ed->n)
		return 0;
	e = p53g_edit_collect(ed, b, &n);
	if (!e)
		return -ENOMEM;
	*ps = p53g_pset_build(e, n);
	kvfree(e);
	return *ps ? 0 : -ENOMEM;
}

static void p53g_stage_drop(void)
{
	p53g_tree_free(&p53g_stage);
	put_pid(p53g_stage_owner);
	p53g_stage_owner = NULL;
}

/* Drop a staged list whose owner has exited. */
static void p53g_stage_reap(void)
{
	bool alive;

	if (!p53g_stage_owner)
		return;
	rcu_read_lock();
	alive = pid_task(p53g_stage_owner, PIDTYPE_TGID);
	rcu_read_unlock();
	if (!alive) {
		pr_info("dropping a staged exempt list: its process exited\n");
		p53g_stage_drop();
	}
}

/*
 * Split @buf into commands. A trailing newline ends the last line; any
 * other empty line is an error.
 */
static int p53g_parse_lines(const char *buf, size_t len,
			    struct p53g_cmd **cmds, size_t *ncmds)
{
	size_t i, n = 0, start, end;
	struct p53g_cmd *c;
	int err;

	if (!len)
		return -EINVAL;
	if (buf[len - 1] == '\n')
		len--;
	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	n++;
	c = kvmalloc_array(n, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	for (i = 0, start = 0; i < n; i++, start = end + 1) {
		end = start;
		while (end < len && buf[end] != '\n')
			end++;
		err = p53g_cmd_parse(buf + start, end - start, &c[i], NULL);
		if (err) {
			kvfree(c);
			return err;
		}
	}
	*cmds = c;
	*ncmds = n;
	return 0;
}

static ssize_t p53g_exempt_apply(const struct p53g_cmd *cmds, size_t n)
{
	bool begin = cmds[0].op == P53G_CMD_BEGIN;
	u8 last = cmds[n - 1].op;
	bool commit = last == P53G_CMD_COMMIT, abort = last == P53G_CMD_ABORT;
	struct p53g_tree fresh = { .root = RB_ROOT };
	struct p53g_edit ed = { .ov = { .root = RB_ROOT } };
	struct p53g_base base = { };
	struct p53g_tree *stage = NULL;
	struct p53g_pset *ps;
	bool mine;
	size_t i;
	int err;

	/* begin first, commit or abort last, the rest in between */
	for (i = 0; i < n; i++) {
		u8 op = cmds[i].op;

		if ((op == P53G_CMD_BEGIN && i) ||
		    ((op == P53G_CMD_COMMIT || op == P53G_CMD_ABORT) &&
		     i != n - 1))
			return -EINVAL;
	}

	p53g_stage_reap();
	mine = p53g_stage_owner && p53g_stage_owner == task_tgid(current);
	if (begin) {
		if (p53g_stage_owner)
			return -EBUSY;
		stage = &fresh;
	} else if (mine) {
		stage = &p53g_stage;
	} else if (commit || abort) {
		return -EINVAL;
	}
	if (stage) {
		base.tree = stage;
		base.n = stage->n;
	} else {
		base.ps = p53g_live_locked();
		base.n = p53g_pset_total(base.ps);
	}
	ed.n = base.n;

	err = 0;
	for (i = begin; i < n - (commit || abort); i++) {
		err = p53g_edit_apply(&ed, &base, &cmds[i]);
		if (err)
			goto out;
	}
	if (ed.n > p53g_max_entries) {
		err = -ENOSPC;
		goto out;
	}
	if (abort) {
		if (!begin)
			p53g_stage_drop();
		goto out;
	}
	if (!stage || commit) {
		err = p53g_edit_build(&ed, &base, &ps);
		if (err)
			goto out;
		p53g_publish(ps);
		if (stage == &p53g_stage)
			p53g_stage_drop();
		goto out;
	}
	p53g_edit_fold(&ed, stage);
	if (begin) {
		p53g_stage = fresh;
		p53g_stage_owner = get_task_pid(current, PIDTYPE_TGID);
	}
out:
	p53g_tree_free(&ed.ov);
	return err;
}

/**
 * p53g_exempt_write() - apply one write to the exempt file
 * @buf: what was written (at most a page)
 * @len: its length
 *
 * sysfs hands a binary attribute at most a page of a longer write() and
 * returns short. A full page cannot be told from the head of a longer
 * write, so it is refused whole: a write() either applies entirely or
 * fails, never in parts.
 *
 * Return: @len, or a negative errno with nothing changed.
 */
ssize_t p53g_exempt_write(const char *buf, size_t len)
{
	struct p53g_cmd *cmds;
	size_t n;
	ssize_t err;

	if (len >= PAGE_SIZE)
		return -E2BIG;
	err = p53g_parse_lines(buf, len, &cmds, &n);
	if (err)
		return err;
	mutex_lock(&p53g_exempt_lock);
	err = p53g_exempt_apply(cmds, n);
	mutex_unlock(&p53g_exempt_lock);
	kvfree(cmds);
	return err ? err : len;
}

/* The live list as text, one canonical entry a line. */
static int p53g_text_render(void)
{
	const struct p53g_pset *ps = p53g_live_locked();
	size_t i, n = p53g_pset_total(ps), len = 0, pos = 0;
	char line[P53G_ENTRY_MAXLEN];
	struct p53g_entry e;
	char *text;
	int l;

	for (i = 0; i < n && p53g_pset_entry(ps, i, &e); i++) {
		l = p53g_entry_format(&e, line, sizeof(line));
		if (l < 0)
			return l;
		len += l + 1;
		if (!(i & 4095))
			cond_resched();
	}
	text = len ? kvmalloc(len, GFP_KERNEL_ACCOUNT) : NULL;
	if (len && !text)
		return -ENOMEM;
	for (i = 0; i < n && pos < len && p53g_pset_entry(ps, i, &e); i++) {
		l = p53g_entry_format(&e, line, sizeof(line));
		if (l < 0 || pos + l + 1 > len)
			break;
		memcpy(text + pos, line, l);
		text[pos + l] = '\n';
		pos += l + 1;
		if (!(i & 4095))
			cond_resched();
	}
	p53g_text = text;
	p53g_text_len = pos;
	p53g_text_valid = true;
	WRITE_ONCE(p53g_text_bytes, text ? pos : 0);
	return 0;
}

/**
 * p53g_exempt_read() - read the list's text at any offset
 * @buf: where to copy it
 * @off: from which byte
 * @count: at most how many bytes
 * @gen: the generation of the table this reader's earlier reads came from
 *       (0: none); set by a read at offset 0, and by the first read of
 *       an open file that starts past it
 *
 * Return: bytes copied (0 at the end), -EAGAIN if the list has changed
 * since @gen (read again from offset 0), or another negative errno.
 */
ssize_t p53g_exempt_read(char *buf, loff_t off, size_t count,
			 unsigned long *gen)
{
	ssize_t ret = 0;

	if (off < 0)
		return -EINVAL;
	mutex_lock(&p53g_exempt_lock);
	if (!off || !*gen)
		*gen = p53g_text_gen;
	if (*gen != p53g_text_gen)
		ret = -EAGAIN;
	else if (!p53g_text_valid)
		ret = p53g_text_render();
	if (!ret && off < p53g_text_len) {
		ret = min_t(size_t, count, p53g_text_len - off);
		memcpy(buf, p53g_text + off, ret);
	}
	mutex_unlock(&p53g_exempt_lock);
	return ret;
}

/*
 * Takes no lock: a reader of the counters never waits for a writer that
 * is building a table (a million entries take seconds).
 */
void p53g_exempt_info(struct p53g_exempt_info *info)
{
	const struct p53g_pset *ps;

	rcu_read_lock();
	ps = rcu_dereference(p53g_live);
	info->v4 = p53g_pset_count(ps, P53G_ENTRY_V4);
	info->v6 = p53g_pset_count(ps, P53G_ENTRY_V6);
	info->dev = p53g_pset_count(ps, P53G_ENTRY_DEV);
	info->bytes = p53g_pset_bytes(ps);
	rcu_read_unlock();
	info->entries = info->v4 + info->v6 + info->dev;
	info->text_bytes = READ_ONCE(p53g_text_bytes);
}

/*
 * The exempt= module parameter: entries separated by commas. Fail-closed:
 * one bad entry, or more than max_entries, and none is loaded (the
 * strictest list), with the reason in the kernel log.
 */
static int p53g_exempt_load(const char *param)
{
	size_t n = 1, i, len = strlen(param), start, end;
	struct p53g_entry *e;
	struct p53g_pset *ps;
	const char *why;
	int err = 0;

	for (i = 0; i < len; i++)
		n += param[i] == ',';
	if (n > p53g_max_entries) {
		pr_err("parameter exempt: %zu entries, more than max_entries=%u; no exemption loaded\n",
		       n, p53g_max_entries);
		return 0;
	}
	e = kvmalloc_array(n, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	for (i = 0, start = 0; i < n; i++, start = end + 1) {
		end = start;
		while (end < len && param[end] != ',')
			end++;
		why = "";
		if (p53g_entry_parse(param + start, end - start, &e[i], &why)) {
			pr_err("parameter exempt: '%.*s': %s; no exemption loaded\n",
			       (int)(end - start), param + start, why);
			goto out;
		}
	}
	ps = p53g_pset_build(e, n);
	if (!ps) {
		err = -ENOMEM;
		goto out;
	}
	mutex_lock(&p53g_exempt_lock);
	p53g_publish(ps);
	mutex_unlock(&p53g_exempt_lock);
out:
	kvfree(e);
	return err;
}

/**
 * p53g_exempt_init() - set up the list at module load
 * @param: the exempt= module parameter, or NULL or "" for none
 * @max_entries: the largest list a write may make
 *
 * Return: 0, or -ENOMEM.
 */
int p53g_exempt_init(const char *param, unsigned int max_entries)
{
	p53g_max_entries = max_entries;
	if (!param || !*param)
		return 0;
	return p53g_exempt_load(param);
}

/* At unload, after the hooks are gone: no reader is left. */
void p53g_exempt_exit(void)
{
	mutex_lock(&p53g_exempt_lock);
	p53g_publish(NULL);
	if (p53g_stage_owner)
		p53g_stage_drop();
	mutex_unlock(&p53g_exempt_lock);
	/* The tables freed by call_rcu() must be gone before the code is. */
	rcu_barrier();
}
