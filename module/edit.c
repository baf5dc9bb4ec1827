// SPDX-License-Identifier: GPL-2.0
/*
 * The write protocol of the exempt file (see edit.h).
 *
 * A write() holds one or more lines, each "add ENTRY", "del ENTRY",
 * "flush" or "set NAME VALUE" (the grammar is entry.c's), and is atomic:
 * every line applies, or the write fails and nothing changes.
 *   - add of an entry already there: no error;
 *   - del of an absent entry: ENOENT; a malformed line: EINVAL;
 *   - a list over max_entries entries: ENOSPC (checked once the whole
 *     write is applied, so "del A" + "add B" at the limit is fine);
 *   - a write of more than P53G_CMD_WRITE_MAX bytes: E2BIG (sysfs hands
 *     over at most a page of a longer write and returns short, so a write
 *     that big could otherwise be applied in parts).
 *
 * Staged transaction, for a list of any size and settings with it:
 *   begin           opens an empty staged list, no setting staged, owned
 *                   by the writer; EBUSY while any live writer owns one
 *                   (its own included).
 *   add/del/flush   from the owner go to the staged list, with the same
 *   set             rules (atomic per write, ENOENT, EINVAL, ENOSPC), set
 *                   lines to the staged settings; from anyone else they go
 *                   to the live configuration.
 *   commit          the staged list and the staged settings replace the
 *                   live ones at once: a packet sees the old configuration
 *                   or the new one, never a mix. Settings not staged keep
 *                   their live value; the list is replaced whole, changes
 *                   made to the live list meanwhile too (as with ipset
 *                   swap).
 *   abort           drops the staged transaction.
 * commit and abort from a writer that owns no staged transaction fail with
 * EINVAL. "begin" may only be the first line of a write and "commit" or
 * "abort" only the last, so a whole transaction can also go in one write.
 * A staged transaction whose owner has exited is dropped by the next
 * write.
 *
 * Each write applies its lines to an overlay (a small rbtree of the
 * entries it touches, each present or absent, plus a "flushed" mark) over
 * a base: the live table, or the staged list. A live write then builds a
 * new table from base and overlay in one merge; a staged write folds the
 * overlay into the staged list (itself an rbtree), so it costs O(lines *
 * log n) and a commit one build, whatever the size.
 */
#include "p53g_kernel.h"

#include "edit.h"

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
 * struct p53g_overlay - one write's changes to a list
 * @ov: the entries the write touched
 * @flushed: the base no longer counts (a flush line)
 * @n: entries in base plus changes
 */
struct p53g_overlay {
	struct p53g_tree ov;
	bool flushed;
	size_t n;
};

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

static bool p53g_overlay_has(const struct p53g_overlay *ol,
			     const struct p53g_base *b,
			     const struct p53g_entry *e)
{
	const struct p53g_node *node = p53g_tree_find(&ol->ov, e);

	if (node)
		return node->present;
	return !ol->flushed && p53g_base_has(b, e);
}

/* Make @e present or absent in the overlay. */
static int p53g_overlay_set(struct p53g_overlay *ol, const struct p53g_entry *e,
			    bool present)
{
	struct p53g_node *node = p53g_tree_find(&ol->ov, e);

	if (!node) {
		node = kmalloc(sizeof(*node), GFP_KERNEL_ACCOUNT);
		if (!node)
			return -ENOMEM;
		node->e = *e;
		p53g_tree_insert(&ol->ov, node);
	}
	node->present = present;
	return 0;
}

static int p53g_overlay_apply(struct p53g_overlay *ol,
			      const struct p53g_base *b,
			      const struct p53g_cmd *cmd)
{
	int err;

	switch (cmd->op) {
	case P53G_CMD_ADD:
		if (p53g_overlay_has(ol, b, &cmd->entry))
			return 0;
		err = p53g_overlay_set(ol, &cmd->entry, true);
		if (!err)
			ol->n++;
		return err;
	case P53G_CMD_DEL:
		if (!p53g_overlay_has(ol, b, &cmd->entry))
			return -ENOENT;
		err = p53g_overlay_set(ol, &cmd->entry, false);
		if (!err)
			ol->n--;
		return err;
	case P53G_CMD_FLUSH:
		p53g_tree_free(&ol->ov);
		ol->flushed = true;
		ol->n = 0;
		return 0;
	}
	return -EINVAL;
}

/*
 * The list base + overlay describes, as an array in canonical order: one
 * merge of two sorted sequences.
 */
static struct p53g_entry *p53g_overlay_collect(const struct p53g_overlay *ol,
					       const struct p53g_base *b,
					       size_t *count)
{
	struct rb_node *rb = rb_first(&ol->ov.root);
	const struct p53g_node *node;
	struct p53g_cursor cur;
	struct p53g_entry *out;
	size_t n = 0, steps = 0;
	int c;

	out = kvmalloc_array(max_t(size_t, ol->n, 1), sizeof(*out),
			     GFP_KERNEL_ACCOUNT);
	if (!out)
		return NULL;
	p53g_cursor_start(&cur, b);
	if (ol->flushed)
		cur.valid = false;
	while (cur.valid || rb) {
		if (!(++steps & 4095))
			cond_resched();
		node = rb ? rb_entry(rb, struct p53g_node, rb) : NULL;
		c = !node ? -1 : !cur.valid ? 1 : p53g_entry_cmp(&cur.e, &node->e);
		if (c < 0) {
			if (n < ol->n)
				out[n++] = cur.e;
			p53g_cursor_next(&cur);
			continue;
		}
		/* The overlay decides for the entries it holds. */
		if (node->present && n < ol->n)
			out[n++] = node->e;
		rb = rb_next(rb);
		if (!c)
			p53g_cursor_next(&cur);
	}
	*count = n;
	return out;
}

/* Build the table base + overlay describes (NULL: empty). */
static int p53g_overlay_build(const struct p53g_overlay *ol,
			      const struct p53g_base *b, struct p53g_pset **ps)
{
	struct p53g_entry *e;
	size_t n;

	*ps = NULL;
	if (!ol->n)
		return 0;
	e = p53g_overlay_collect(ol, b, &n);
	if (!e)
		return -ENOMEM;
	*ps = p53g_pset_build(e, n);
	kvfree(e);
	return *ps ? 0 : -ENOMEM;
}

/* Fold a successful write's overlay into the staged list; cannot fail. */
static void p53g_overlay_fold(struct p53g_overlay *ol, struct p53g_tree *t)
{
	struct p53g_node *node, *old;
	struct rb_node *rb;

	if (ol->flushed)
		p53g_tree_free(t);
	while ((rb = rb_first(&ol->ov.root))) {
		node = rb_entry(rb, struct p53g_node, rb);
		p53g_tree_erase(&ol->ov, node);
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

/*
 * Entries of table @new that @old lacks, and the other way round: one walk
 * of both in canonical order.
 */
static void p53g_pset_diff(const struct p53g_pset *old,
			   const struct p53g_pset *new, size_t *added,
			   size_t *removed)
{
	struct p53g_base ob = { .ps = old, .n = p53g_pset_total(old) };
	struct p53g_base nb = { .ps = new, .n = p53g_pset_total(new) };
	struct p53g_cursor o, w;
	size_t steps = 0;
	int c;

	*added = 0;
	*removed = 0;
	p53g_cursor_start(&o, &ob);
	p53g_cursor_start(&w, &nb);
	while (o.valid || w.valid) {
		if (!(++steps & 4095))
			cond_resched();
		c = !w.valid ? -1 : !o.valid ? 1 : p53g_entry_cmp(&o.e, &w.e);
		if (c < 0)
			(*removed)++;
		else if (c > 0)
			(*added)++;
		if (c <= 0)
			p53g_cursor_next(&o);
		if (c >= 0)
			p53g_cursor_next(&w);
	}
}

static void p53g_stage_drop(struct p53g_editor *ed)
{
	p53g_tree_free(&ed->stage);
	ed->ops->put(ed->owner);
	ed->owner = NULL;
	ed->stage_mask = 0;
}

void p53g_editor_init(struct p53g_editor *ed, unsigned int max_entries,
		      const struct p53g_owner_ops *ops)
{
	memset(ed, 0, sizeof(*ed));
	ed->max_entries = max_entries;
	ed->ops = ops;
	ed->stage.root = RB_ROOT;
}

void p53g_editor_destroy(struct p53g_editor *ed)
{
	if (ed->owner)
		p53g_stage_drop(ed);
}

/**
 * p53g_edit_parse() - split a write into commands
 * @buf: what was written
 * @len: its length
 * @cmds: the commands, on success (kvfree() them)
 * @ncmds: how many
 *
 * A trailing newline ends the last line; any other empty line is an
 * error, as is a write of more than P53G_CMD_WRITE_MAX bytes (E2BIG).
 * Also checked here: "begin" only first, "commit" and "abort" only last.
 *
 * Return: 0, -E2BIG, -EINVAL or -ENOMEM.
 */
int p53g_edit_parse(const char *buf, size_t len, struct p53g_cmd **cmds,
		    size_t *ncmds)
{
	size_t i, n = 1, start, end;
	struct p53g_cmd *c;
	int err;
	u8 op;

	if (len > P53G_CMD_WRITE_MAX)
		return -E2BIG;
	if (!len)
		return -EINVAL;
	if (buf[len - 1] == '\n')
		len--;
	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	c = kvmalloc_array(n, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	for (i = 0, start = 0; i < n; i++, start = end + 1) {
		end = start;
		while (end < len && buf[end] != '\n')
			end++;
		err = p53g_cmd_parse(buf + start, end - start, &c[i], NULL);
		op = c[i].op;
		if (!err && ((op == P53G_CMD_BEGIN && i) ||
			     ((op == P53G_CMD_COMMIT || op == P53G_CMD_ABORT) &&
			      i != n - 1)))
			err = -EINVAL;
		if (err) {
			kvfree(c);
			return err;
		}
	}
	*cmds = c;
	*ncmds = n;
	return 0;
}

/* Drop a staged transaction whose owner has exited. */
static bool p53g_stage_reap(struct p53g_editor *ed)
{
	if (!ed->owner || ed->ops->alive(ed->owner))
		return false;
	p53g_stage_drop(ed);
	return true;
}

/**
 * p53g_editor_apply() - apply one write's commands
 * @ed: the protocol's state
 * @live: the live configuration
 * @cmds: the commands of one write (p53g_edit_parse())
 * @n: how many
 * @who: the writer (see struct p53g_owner_ops)
 * @chg: what changed, on success; with op WRITE or COMMIT the caller
 *	publishes @chg->s and, when @chg->list_changed, @chg->list
 *
 * Process context: allocates, may sleep; the caller serialises calls and
 * keeps @live unchanged during one.
 *
 * Return: 0, or a negative errno with nothing changed (but a dead owner's
 * staged transaction, which is dropped either way: @chg->reaped).
 */
int p53g_editor_apply(struct p53g_editor *ed, const struct p53g_config *live,
		      const struct p53g_cmd *cmds, size_t n, void *who,
		      struct p53g_change *chg)
{
	struct p53g_overlay ol = { .ov = { .root = RB_ROOT } };
	struct p53g_tree fresh = { .root = RB_ROOT };
	struct p53g_settings set;
	struct p53g_base base = { };
	struct p53g_tree *stage = NULL;
	bool begin, commit, abort, list = false, mine;
	u32 mask = 0;
	size_t i;
	int err;

	memset(chg, 0, sizeof(*chg));
	if (!n)
		return -EINVAL;
	begin = cmds[0].op == P53G_CMD_BEGIN;
	commit = cmds[n - 1].op == P53G_CMD_COMMIT;
	abort = cmds[n - 1].op == P53G_CMD_ABORT;
	chg->lines = n;
	chg->reaped = p53g_stage_reap(ed);
	mine = ed->owner && ed->owner == who;
	if (begin) {
		if (ed->owner)
			return -EBUSY;
		stage = &fresh;
	} else if (mine) {
		stage = &ed->stage;
	} else if (commit || abort) {
		return -EINVAL;
	}
	if (stage) {
		base.tree = stage;
		base.n = stage->n;
		set = begin ? live->s : ed->stage_set;
		if (!begin)
			mask = ed->stage_mask;
	} else {
		base.ps = live->list;
		base.n = p53g_pset_total(base.ps);
		set = live->s;
	}
	ol.n = base.n;

	err = 0;
	for (i = begin; i < n - (commit || abort); i++) {
		if (cmds[i].op == P53G_CMD_SET) {
			p53g_setting_put(&set, cmds[i].setting, cmds[i].value);
			mask |= BIT(cmds[i].setting);
			chg->set_mask |= BIT(cmds[i].setting);
			continue;
		}
		list = true;
		err = p53g_overlay_apply(&ol, &base, &cmds[i]);
		if (err)
			goto out;
	}
	if (ol.n > ed->max_entries) {
		err = -ENOSPC;
		goto out;
	}
	if (abort) {
		if (!begin)
			p53g_stage_drop(ed);
		chg->op = P53G_CHANGE_STAGED;
		chg->abort = true;
		goto out;
	}
	if (stage && !commit) {
		/* Staged lines: into the staged transaction. */
		p53g_overlay_fold(&ol, stage);
		if (begin) {
			ed->stage = fresh;
			fresh.root = RB_ROOT;
			ed->owner = ed->ops->hold(who);
			chg->begin = true;
		}
		ed->stage_set = set;
		ed->stage_mask = mask;
		chg->op = P53G_CHANGE_STAGED;
		chg->total = stage->n;
		goto out;
	}
	/*
	 * A live write, or a commit: one new configuration, built before
	 * anything is changed, so that a failed build changes nothing. A
	 * commit publishes the staged list (with this write's lines) and the
	 * live settings with the staged ones over them.
	 */
	if (list || commit) {
		err = p53g_overlay_build(&ol, &base, &chg->list);
		if (err)
			goto out;
		p53g_pset_diff(live->list, chg->list, &chg->added,
			       &chg->removed);
		chg->list_changed = true;
	}
	chg->total = ol.n;
	chg->s = live->s;
	for (i = 0; i < P53G_NR_SETTINGS; i++)
		if (mask & BIT(i))
			p53g_setting_put(&chg->s, i, p53g_setting_get(&set, i));
	chg->set_mask = mask;
	chg->op = commit ? P53G_CHANGE_COMMIT : P53G_CHANGE_WRITE;
	if (commit && !begin)
		p53g_stage_drop(ed);
out:
	p53g_tree_free(&ol.ov);
	p53g_tree_free(&fresh);
	return err;
}
